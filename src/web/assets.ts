// Static assets of the web page, kept as strings so the build needs no copy step (protocol §6.10 /static/).

/** Mobile-first, no external fonts or images; follows the system light/dark preference. */
export const STYLE_CSS = `:root{color-scheme:light dark;--bg:#f6f7f8;--fg:#16181a;--muted:#5d6670;--card:#fff;--line:#dde1e5;--accent:#00a36c}
@media (prefers-color-scheme:dark){:root{--bg:#121416;--fg:#eceef0;--muted:#9aa4ad;--card:#1c1f22;--line:#2c3136;--accent:#00f782}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
main{max-width:40rem;margin:0 auto;padding:1.25rem 1rem 3rem}
header{margin-bottom:1.25rem}
h1{font-size:1.5rem;margin:0 0 .25rem;overflow-wrap:anywhere}
h2{font-size:1.1rem;margin:1.5rem 0 .5rem}
p{margin:.25rem 0}
a{color:inherit}
.muted{color:var(--muted);font-size:.9rem}
.rooms{list-style:none;margin:0;padding:0;display:grid;gap:.75rem}
.room{display:flex;gap:.75rem;align-items:center;background:var(--card);border:1px solid var(--line);border-radius:.75rem;padding:.75rem}
.room a{font-weight:600;text-decoration:none}
.room a:hover,.room a:focus{text-decoration:underline}
.room-image{width:3rem;height:3rem;border-radius:50%;object-fit:cover;flex:none;background:var(--line)}
.room-text{min-width:0}
.room-text p{overflow-wrap:anywhere}
.card{background:var(--card);border:1px solid var(--line);border-radius:.75rem;padding:1rem}
.card h2{margin-top:0}
.join{display:flex;flex-wrap:wrap;gap:.5rem;align-items:center}
.join-url{flex:1 1 100%;min-width:0;font:14px/1.4 ui-monospace,SFMono-Regular,Menlo,monospace;white-space:pre-wrap;word-break:break-all;user-select:all;background:var(--bg);border:1px solid var(--line);border-radius:.5rem;padding:.5rem .6rem;margin:0}
button{font:inherit;background:var(--accent);color:#000;border:0;border-radius:.5rem;padding:.45rem .9rem;cursor:pointer}
.qr{margin:1rem auto 0;max-width:18rem;text-align:center}
.qr svg{width:100%;height:auto;background:#fff;border-radius:.5rem;display:block}
.messages{list-style:none;padding:0;margin:0;display:grid;gap:.5rem}
.messages li{background:var(--card);border:1px solid var(--line);border-radius:.5rem;padding:.5rem .75rem;overflow-wrap:anywhere;white-space:pre-wrap}
footer{margin-top:2rem}
`;

/**
 * Progressive enhancement only: reveals the copy button and copies the join URL. Without script
 * the URL stays selectable text and the QR code is already rendered.
 */
export const COPY_JS = `(function(){
var button=document.getElementById('copy');var url=document.getElementById('join-url');
if(!button||!url||!navigator.clipboard)return;
button.hidden=false;
button.addEventListener('click',function(){navigator.clipboard.writeText(url.textContent.trim()).then(function(){button.textContent='Copied';setTimeout(function(){button.textContent='Copy';},2000);});});
})();
`;

/** A plain speech-bubble icon (browsers ask for one; /favicon.ico is not a public path). */
export const FAVICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="8" fill="#00a36c"/><path d="M8 10h16v10H14l-5 4v-4H8z" fill="#fff"/></svg>`;
