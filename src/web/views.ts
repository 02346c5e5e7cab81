import { html, trusted, type Html } from './html';

/** What the public page shows of a room (protocol §6.10): no ids of users, no permissions. */
export interface WebRoom {
  token: string;
  name: string;
  description: string | null;
  activeUsers: number;
  hasImage: boolean;
}

/** A recent message as shown publicly: its time and text only, the sender stays hidden. */
export interface WebMessage {
  posted: number;
  text: string;
}

const roomPath = (token: string) => `/r/${encodeURIComponent(token)}`;

function layout(title: string, body: Html, scripts: string[] = []): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${title}</title>
<link rel="stylesheet" href="/static/style.css">
<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
</head>
<body>
<main>
${body}
</main>
${scripts.map((src) => html`<script src="${src}" defer></script>`)}
</body>
</html>
`.value;
}

/** A description as the admin wrote it: its line breaks (protocol §10.1 `\n`) kept as <br>. */
function description(text: string | null): Html | false {
  return text !== null && html`<p>${text.split('\n').map((line, i) => (i === 0 ? line : html`<br>${line}`))}</p>`;
}

function activeUsers(count: number): string {
  return `${count} active ${count === 1 ? 'user' : 'users'} this week`;
}

function roomImage(room: WebRoom): Html | false {
  return room.hasImage && html`<img class="room-image" src="${roomPath(room.token)}/image" alt="" width="48" height="48">`;
}

export function indexPage(rooms: WebRoom[]): string {
  return layout(
    'Session communities',
    html`<header><h1>Session communities</h1><p class="muted">Open a room to get its join link and QR code.</p></header>
<ul class="rooms">
${rooms.map(
  (room) => html`<li class="room">${roomImage(room)}<div class="room-text"><a href="${roomPath(room.token)}">${room.name}</a>
${description(room.description)}<p class="muted">${activeUsers(room.activeUsers)}</p></div></li>
`,
)}</ul>`,
  );
}

/** Shown instead of an empty index: how to create the first room. */
export function setupPage(): string {
  return layout(
    'Session community server',
    html`<header><h1>Your community server is running</h1></header>
<div class="card"><p>There are no rooms yet. Create one on the server with:</p>
<pre class="join-url">community-server rooms add TOKEN --name "Room name"</pre>
<p class="muted">Then reload this page to get the room's join link and QR code.</p></div>`,
  );
}

/** The 404 of an unknown (or inaccessible) room, as a page: a join link opened in a browser lands here too. */
export function noSuchRoomPage(showIndexLink: boolean): string {
  return layout(
    'No such room',
    html`<header><h1>No such room</h1></header>
<div class="card"><p>This server has no room at this address, or it is not open to visitors. Check the link with whoever shared it.</p></div>
${showIndexLink && html`<footer><a href="/">All rooms</a></footer>`}`,
  );
}

export function roomPage(room: WebRoom, joinUrl: string, qrSvg: string, messages: WebMessage[] | null, showIndexLink: boolean): string {
  const invite = `${roomPath(room.token)}/invite.png`;
  return layout(
    room.name,
    html`<header>${roomImage(room)}<h1>${room.name}</h1>
${description(room.description)}<p class="muted">${activeUsers(room.activeUsers)}</p></header>
<section class="card" aria-labelledby="join-heading">
<h2 id="join-heading">Join in Session</h2>
<p class="muted">Scan the QR code in Session (Join Community), or paste this link:</p>
<div class="join"><pre class="join-url" id="join-url">${joinUrl}</pre><button type="button" id="copy" hidden>Copy</button></div>
<figure class="qr" id="qr">${trusted(qrSvg)}<figcaption class="muted"><a href="${invite}" download>Download QR code (PNG)</a></figcaption></figure>
</section>
${
  messages !== null &&
  html`<section aria-labelledby="recent-heading"><h2 id="recent-heading">Recent messages</h2>
${
  messages.length === 0
    ? html`<p class="muted">No messages yet.</p>`
    : html`<ul class="messages">${messages.map(
        (m) => html`<li><span class="muted">${new Date(m.posted * 1000).toISOString().slice(0, 16).replace('T', ' ')} UTC</span>
${m.text}</li>`,
      )}</ul>`
}
</section>`
}
${showIndexLink && html`<footer><a href="/">All rooms</a></footer>`}`,
    ['/static/copy.js'],
  );
}
