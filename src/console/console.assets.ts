// The console's stylesheet and script, kept as strings so `npm run build` (tsc) builds them into
// dist with the server and the console needs no copy step or CDN; served from /console/static/.

/** Mobile-first; follows the system light/dark preference; visible focus for keyboard use. */
export const CONSOLE_CSS = `:root{color-scheme:light dark;--bg:#f6f7f8;--fg:#16181a;--muted:#5d6670;--card:#fff;--line:#d5dae0;--accent:#00855a;--accent-fg:#fff;--danger:#b3261e;--ok:#1a7f37;--warn:#9a6700}
@media (prefers-color-scheme:dark){:root{--bg:#121416;--fg:#eceef0;--muted:#a0aab3;--card:#1c1f22;--line:#353b41;--accent:#00f782;--accent-fg:#000;--danger:#ff8a80;--ok:#6fdd8b;--warn:#e3b341}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
a{color:inherit}
:focus-visible{outline:3px solid var(--accent);outline-offset:2px}
.skip{position:absolute;left:-999px}.skip:focus{left:.5rem;top:.5rem;background:var(--card);padding:.25rem .5rem;z-index:2}
header.top{background:var(--card);border-bottom:1px solid var(--line)}
header.top .bar{max-width:72rem;margin:0 auto;padding:.5rem 1rem;display:flex;flex-wrap:wrap;gap:.25rem .75rem;align-items:center}
header.top strong{margin-right:auto}
nav ul{list-style:none;margin:0;padding:0;display:flex;flex-wrap:wrap;gap:.25rem}
nav a{display:inline-block;padding:.3rem .6rem;border-radius:.4rem;text-decoration:none}
nav a[aria-current=page]{background:var(--accent);color:var(--accent-fg)}
main{max-width:72rem;margin:0 auto;padding:1rem 1rem 3rem}
h1{font-size:1.4rem;margin:.5rem 0 1rem;overflow-wrap:anywhere}
h2{font-size:1.1rem;margin:0 0 .5rem}
h3{font-size:1rem;margin:.75rem 0 .25rem}
.grid{display:grid;gap:1rem;grid-template-columns:repeat(auto-fit,minmax(min(100%,20rem),1fr))}
.card{background:var(--card);border:1px solid var(--line);border-radius:.6rem;padding:1rem;margin-bottom:1rem;min-width:0}
.muted{color:var(--muted);font-size:.9rem}
.mono,code{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.85rem;overflow-wrap:anywhere;word-break:break-all}
.scroll{overflow-x:auto}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:.35rem .5rem;border-bottom:1px solid var(--line);vertical-align:top}
th{font-size:.85rem;color:var(--muted);font-weight:600}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
form.inline{display:inline}
label{display:block;font-weight:600;margin:.5rem 0 .2rem}
label.check{display:flex;gap:.4rem;align-items:center;font-weight:400;margin:.25rem 0}
input[type=text],input[type=search],input[type=number],input[type=file],input[type=datetime-local],textarea,select{font:inherit;color:inherit;background:var(--bg);border:1px solid var(--line);border-radius:.4rem;padding:.4rem .5rem;width:100%;max-width:36rem}
textarea{min-height:5rem}
button{font:inherit;background:var(--accent);color:var(--accent-fg);border:0;border-radius:.4rem;padding:.4rem .9rem;cursor:pointer;margin-top:.5rem}
button.danger{background:var(--danger);color:#fff}
button.small{padding:.15rem .55rem;margin:0;font-size:.85rem}
button.link{background:none;color:inherit;text-decoration:underline;padding:.3rem .6rem;margin:0}
fieldset{border:1px solid var(--line);border-radius:.4rem;margin:.5rem 0;padding:.25rem .75rem .5rem}
.notice{border-left:4px solid var(--ok);padding:.5rem .75rem;background:var(--card);margin-bottom:1rem}
.error{border-left:4px solid var(--danger);padding:.5rem .75rem;background:var(--card);margin-bottom:1rem}
.ok{color:var(--ok)}.bad{color:var(--danger)}.warn{color:var(--warn)}
.chart{width:100%;height:auto;display:block}
.chart .bar{fill:var(--accent)}.chart .axis{stroke:var(--line)}.chart text{fill:var(--muted);font-size:11px}
.qr{max-width:12rem}.qr svg{width:100%;height:auto;background:#fff;border-radius:.4rem;display:block}
.join{display:grid;gap:1rem;grid-template-columns:repeat(auto-fill,minmax(min(100%,16rem),1fr))}
.room-image{width:4rem;height:4rem;border-radius:50%;object-fit:cover;background:var(--line)}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.2rem .75rem;margin:0}dl.facts dt{color:var(--muted)}dl.facts dd{margin:0;overflow-wrap:anywhere}
.message{white-space:pre-wrap;overflow-wrap:anywhere}
.filters{display:grid;gap:0 1rem;grid-template-columns:repeat(auto-fill,minmax(min(100%,16rem),1fr));align-items:end}
.filters .actions{align-self:end;padding-bottom:.1rem}
.nowrap{white-space:nowrap}
.filters .wide{grid-column:1/-1}
table.audit code{font-size:.8rem}
.queue-item .message{background:var(--bg);border-radius:.4rem;padding:.5rem .75rem;margin:.5rem 0}
.queue-item form button{margin-right:.5rem}
ol.others{margin:.25rem 0;padding-left:1.25rem}ol.others .message{margin:.1rem 0 .5rem}
details summary{cursor:pointer;margin-top:.5rem}
.inline-form{display:flex;flex-wrap:wrap;gap:.5rem;align-items:end}.inline-form label{margin:0}.inline-form select{width:auto}.inline-form button{margin:0}
`;

/**
 * Progressive enhancement only: copy buttons for join links. Every action is a plain form that
 * works without script.
 */
export const CONSOLE_JS = `(function(){
if(!navigator.clipboard)return;
document.querySelectorAll('[data-copy]').forEach(function(button){
var target=document.getElementById(button.getAttribute('data-copy'));if(!target)return;
button.hidden=false;
button.addEventListener('click',function(){navigator.clipboard.writeText(target.textContent.trim()).then(function(){button.textContent='Copied';setTimeout(function(){button.textContent='Copy';},2000);});});
});
})();
`;
