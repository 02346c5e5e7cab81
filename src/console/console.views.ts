import { AUDIT_ACTIONS, type AuditRecord } from '../audit/audit.types';
import { AUDIT_LIST_LIMIT } from '../audit/audit.service';
import type { BlocklistEntry } from '../files/blocklist.service';
import { BLOCKLIST_REASON_MAX } from '../files/blocklist.service';
import type { RoomFileListing } from '../files/files.repository';
import type { BanRow } from '../moderation/moderation.repository';
import type { PersonIdentity } from '../moderation/moderation.service';
import type { RoomListing } from '../rooms/room-admin.service';
import type { OtherPostJson } from '../rooms/review.service';
import type { QueueData, RoomPolicyData } from './console.service';
import { HELD_MODES } from '../moderation/room-moderation';
import { RULE_ACTIONS, UNREADABLE_ACTIONS } from '../rooms/content-rules';
import { formatBytes } from '../cli/io';
import { ANY_SESSION_ID } from '../protocol/constants';
import { html, trusted, type Html } from '../web/html';
import { toCsv } from './csv';

/** The views of the navigation; each is listed once its feature exists. */
export type ViewName = 'overview' | 'rooms' | 'queue' | 'people' | 'bans' | 'files' | 'audit';

const NAV: Array<{ view: ViewName; label: string; path: string }> = [
  { view: 'overview', label: 'Overview', path: '/console/' },
  { view: 'rooms', label: 'Rooms', path: '/console/rooms' },
  { view: 'queue', label: 'Queue', path: '/console/queue' },
  { view: 'people', label: 'People', path: '/console/people' },
  { view: 'bans', label: 'Bans', path: '/console/bans' },
  { view: 'files', label: 'Files', path: '/console/files' },
  { view: 'audit', label: 'Audit log', path: '/console/audit' },
];

/** What every signed-in page carries: the session's CSRF token and a one-line outcome of the last change. */
export interface PageContext {
  csrf: string;
  notice?: string | null;
  error?: string | null;
}

const roomPath = (token: string) => `/console/rooms/${encodeURIComponent(token)}`;
const when = (t: number | null) => (t === null ? '—' : `${new Date(t * 1000).toISOString().slice(0, 16).replace('T', ' ')} UTC`);

function document(title: string, body: Html): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<meta name="robots" content="noindex">
<title>${title} · Console</title>
<link rel="stylesheet" href="/console/static/console.css">
<link rel="icon" href="/console/static/favicon.svg" type="image/svg+xml">
</head>
<body>
${body}
<script src="/console/static/console.js" defer></script>
</body>
</html>
`.value;
}

/** A form that changes something: POST with the session's synchronizer token. */
export function form(ctx: PageContext, action: string, body: Html, attrs: { inline?: boolean; multipart?: boolean } = {}): Html {
  return html`<form method="post" action="${action}"${attrs.inline ? trusted(' class="inline"') : ''}${attrs.multipart ? trusted(' enctype="multipart/form-data"') : ''}><input type="hidden" name="_csrf" value="${ctx.csrf}">${body}</form>`;
}

export function layout(ctx: PageContext, view: ViewName | null, title: string, body: Html): string {
  return document(
    title,
    html`<a class="skip" href="#main">Skip to content</a>
<header class="top"><div class="bar"><strong>Community console</strong>
<nav aria-label="Console"><ul>${NAV.map((n) => html`<li><a href="${n.path}"${n.view === view ? trusted(' aria-current="page"') : ''}>${n.label}</a></li>`)}</ul></nav>
${form(ctx, '/console/logout', html`<button type="submit" class="link">Sign out</button>`, { inline: true })}
</div></header>
<main id="main">
<h1>${title}</h1>
${ctx.notice && html`<p class="notice" role="status">${ctx.notice}</p>`}
${ctx.error && html`<p class="error" role="alert">${ctx.error}</p>`}
${body}
</main>`,
  );
}

/** Shown instead of any view without a live session, and for a refused sign-in link. */
export function signedOutPage(message: string): string {
  return document(
    'Sign in',
    html`<main id="main"><h1>Community console</h1><div class="card"><p>${message}</p>
<p>Sign in with a one-time link made on the server:</p><pre class="mono">community-server console login</pre></div></main>`,
  );
}

// ---- Overview

export interface OverviewData {
  rooms: Array<RoomListing & { qrSvg: string }>;
  /** Posts per hour, oldest first. */
  hourly: Array<{ hour: number; posts: number }>;
  pollsPerSecond: number | null;
  storage: { kinds: Array<{ kind: string; bytes: number; files: number }>; objectBytes: number };
  /** Each readiness check: 'ok' or why not; an advisory one warns without making the server unready. */
  health: Array<{ name: string; result: string; advisory: boolean }>;
  serverKey: string;
}

/** Server-drawn bar chart of posts per hour (no script, no library); one label per day. */
export function postsChart(hourly: Array<{ hour: number; posts: number }>): Html {
  const step = 4;
  const left = 36;
  const width = left + step * hourly.length;
  const plot = 110;
  const top = Math.max(1, ...hourly.map((h) => h.posts));
  const total = hourly.reduce((sum, h) => sum + h.posts, 0);
  const bars = hourly.map((h, i) => {
    const barHeight = (h.posts / top) * plot;
    return html`<rect class="bar" x="${left + step * i}" y="${(plot - barHeight).toFixed(1)}" width="${step - 1}" height="${barHeight.toFixed(1)}"><title>${when(h.hour * 3600)}: ${h.posts}</title></rect>`;
  });
  const days = hourly.flatMap((h, i) =>
    h.hour % 24 === 0 ? [html`<text x="${left + step * i}" y="${plot + 16}">${new Date(h.hour * 3600 * 1000).toISOString().slice(5, 10)}</text>`] : [],
  );
  return html`<svg class="chart" viewBox="0 0 ${width} ${plot + 20}" role="img" aria-labelledby="chart-title">
<title id="chart-title">Posts per hour over the last ${hourly.length / 24} days: ${total} in all, at most ${top} in an hour</title>
<line class="axis" x1="${left - 2}" y1="${plot + 0.5}" x2="${width}" y2="${plot + 0.5}"/><text x="0" y="10">${top}</text><text x="0" y="${plot}">0</text>
${bars}${days}</svg>`;
}

export function overviewPage(ctx: PageContext, d: OverviewData): string {
  const roomBytes = d.storage.kinds.reduce((sum, k) => sum + k.bytes, 0);
  return layout(
    ctx,
    'overview',
    'Overview',
    html`<div class="grid">
<section class="card" aria-labelledby="health-h"><h2 id="health-h">Health</h2><dl class="facts">
${d.health.map((h) => html`<dt>${h.name}</dt><dd class="${h.result === 'ok' ? 'ok' : h.advisory ? 'warn' : 'bad'}">${h.result}</dd>`)}
</dl></section>
<section class="card" aria-labelledby="load-h"><h2 id="load-h">Traffic and storage</h2><dl class="facts">
<dt>Room polls per second</dt><dd>${d.pollsPerSecond === null ? 'measuring…' : d.pollsPerSecond.toFixed(2)}</dd>
${d.storage.kinds.map((k) => html`<dt>${k.kind === 'room' ? 'Room files' : 'File server'}</dt><dd>${formatBytes(k.bytes)} in ${k.files} files</dd>`)}
<dt>Stored (deduplicated)</dt><dd>${formatBytes(d.storage.objectBytes)} of ${formatBytes(roomBytes)}</dd>
</dl></section>
</div>
<section class="card" aria-labelledby="posts-h"><h2 id="posts-h">Posts per hour, last 7 days</h2>${postsChart(d.hourly)}</section>
<section class="card" aria-labelledby="rooms-h"><h2 id="rooms-h">Rooms</h2>
${
  d.rooms.length === 0
    ? html`<p>No rooms yet. <a href="/console/rooms">Create one</a>.</p>`
    : html`<div class="scroll"><table><thead><tr><th>Room</th><th class="num">Active today</th><th class="num">This week</th><th class="num">Messages</th></tr></thead><tbody>
${d.rooms.map((r) => html`<tr><td><a href="${roomPath(r.token)}">${r.name}</a> <span class="muted mono">${r.token}</span></td><td class="num">${r.active_users.d1}</td><td class="num">${r.active_users.d7}</td><td class="num">${r.messages}</td></tr>`)}
</tbody></table></div>`
}</section>
<section class="card" aria-labelledby="key-h"><h2 id="key-h">Server key and join links</h2>
<p>Server public key: <code id="server-key">${d.serverKey}</code> <button type="button" class="small" data-copy="server-key" hidden>Copy</button></p>
<div class="join">${d.rooms.map(
      (
        r,
        i,
      ) => html`<figure class="join-link"><figcaption><strong>${r.name}</strong><br><code id="join-${i}">${r.join_url}</code> <button type="button" class="small" data-copy="join-${i}" hidden>Copy</button></figcaption>
<div class="qr">${trusted(r.qrSvg)}</div></figure>`,
    )}</div></section>`,
  );
}

// ---- Rooms

const FLAGS = ['read', 'accessible', 'write', 'upload'] as const;

export function roomsPage(ctx: PageContext, rooms: RoomListing[]): string {
  return layout(
    ctx,
    'rooms',
    'Rooms',
    html`<section class="card" aria-labelledby="list-h"><h2 id="list-h">All rooms</h2>
${
  rooms.length === 0
    ? html`<p>No rooms yet.</p>`
    : html`<div class="scroll"><table><thead><tr><th>Room</th><th>Defaults</th><th class="num">Messages</th><th class="num">Files</th><th>Moderators</th></tr></thead><tbody>
${rooms.map(
  (r) => html`<tr><td><a href="${roomPath(r.token)}">${r.name}</a><br><span class="muted mono">${r.token}</span></td>
<td>${FLAGS.map((f) => (r.default_permissions[f] ? `+${f} ` : `-${f} `))}</td><td class="num">${r.messages}</td><td class="num">${r.files} (${formatBytes(r.file_bytes)})</td>
<td>${r.admins.length + r.moderators.length} visible, ${r.hidden_admins.length + r.hidden_moderators.length} hidden</td></tr>`,
)}</tbody></table></div>`
}</section>
<section class="card" aria-labelledby="new-h"><h2 id="new-h">Create a room</h2>
${form(
  ctx,
  '/console/rooms',
  html`<label for="new-token">Token (in the join link: letters, digits, _ or -)</label><input type="text" id="new-token" name="token" required pattern="[A-Za-z0-9_\\-]{1,64}" autocomplete="off">
<label for="new-name">Name</label><input type="text" id="new-name" name="name">
<label for="new-description">Description</label><textarea id="new-description" name="description"></textarea>
<button type="submit">Create room</button>`,
)}</section>`,
  );
}

function moderatorRows(ctx: PageContext, r: RoomListing): Html {
  const rows = [
    ...r.admins.map((s) => ({ s, role: 'admin', visible: true })),
    ...r.hidden_admins.map((s) => ({ s, role: 'admin', visible: false })),
    ...r.moderators.map((s) => ({ s, role: 'moderator', visible: true })),
    ...r.hidden_moderators.map((s) => ({ s, role: 'moderator', visible: false })),
  ];
  if (rows.length === 0) return html`<p class="muted">No moderators or admins.</p>`;
  return html`<div class="scroll"><table><thead><tr><th>Session id</th><th>Role</th><th>Listed</th><th></th></tr></thead><tbody>
${rows.map(
  (m) => html`<tr><td class="mono"><a href="/console/people?id=${m.s}">${m.s}</a></td><td>${m.role}</td><td>${m.visible ? 'visible' : 'hidden'}</td>
<td>${form(ctx, `${roomPath(r.token)}/moderators/remove`, html`<input type="hidden" name="session_id" value="${m.s}"><button type="submit" class="small danger">Remove</button>`, { inline: true })}</td></tr>`,
)}</tbody></table></div>`;
}

/** A setting's field: the room's own value, or empty for the server default (shown as the placeholder). */
function setting(id: string, label: string, own: string | number | undefined, effective: string | number, type: 'number' | 'text' = 'number'): Html {
  return html`<div><label for="${id}">${label}</label><input type="${type}" id="${id}" name="${id}" value="${own ?? ''}" placeholder="server default: ${effective}"${type === 'number' ? trusted(' min="0"') : ''} autocomplete="off"></div>`;
}

function choice(id: string, label: string, options: readonly string[], own: string | undefined, effective: string, withDefault = true): Html {
  return html`<div><label for="${id}">${label}</label><select id="${id}" name="${id}">${withDefault ? html`<option value="">server default (${effective})</option>` : ''}${options.map(
    (o) => html`<option value="${o}"${o === (withDefault ? own : (own ?? effective)) ? trusted(' selected') : ''}>${o}</option>`,
  )}</select></div>`;
}

/** Room policy: moderation settings, content rules and limits, lockdown — each form as the matching CLI command. */
function policySections(ctx: PageContext, path: string, p: RoomPolicyData): Html {
  const m = p.moderation;
  const c = p.content;
  const e = c.effective;
  const limited = (key: 'maxChars' | 'mentions', id: string, label: string) =>
    html`${setting(id, `${label} (0 = off)`, c.own[key]?.limit, e[key].limit)}${choice(`${id}_action`, `${label}: then`, RULE_ACTIONS, c.own[key]?.action, e[key].action, false)}`;
  const listed = (key: 'words' | 'patterns', id: string, label: string) =>
    html`<div class="wide"><label for="${id}">${label}</label><textarea id="${id}" name="${id}" placeholder="${e[key].list.length ? `server default: ${e[key].list.join(', ')}` : 'none'}">${(c.own[key]?.list ?? []).join('\n')}</textarea></div>${choice(`${id}_action`, 'then', RULE_ACTIONS, c.own[key]?.action, e[key].action, false)}`;
  return html`<section class="card" aria-labelledby="moderation-h"><h2 id="moderation-h">Moderation settings</h2>
<p class="muted">Empty fields follow the server's defaults (as <code>rooms update … default</code>).</p>
${form(
  ctx,
  `${path}/moderation`,
  html`<div class="filters">${choice('held_mode', 'Held posts (pre-moderation)', HELD_MODES, m.own.heldMode, m.effective.heldMode)}
${setting('report_threshold', 'Reports that hide a message', m.own.reportThreshold, m.effective.reportThreshold)}
${setting('new_user_posts', 'New users: fewer accepted posts than', m.own.newUserPosts, m.effective.newUserPosts)}
${setting('new_user_age', 'New users: first seen less than (e.g. 24h; 0 = off)', m.own.newUserAge === undefined ? undefined : `${m.own.newUserAge}s`, `${m.effective.newUserAge}s`, 'text')}
${setting('approve_emoji', 'Approve reaction', m.own.approveEmoji, m.effective.approveEmoji, 'text')}
${setting('reject_emoji', 'Reject reaction', m.own.rejectEmoji, m.effective.rejectEmoji, 'text')}
${setting('report_emoji', 'Report reaction', m.own.reportEmoji, m.effective.reportEmoji, 'text')}</div>
<button type="submit">Save moderation settings</button>`,
)}</section>
<section class="card" aria-labelledby="policy-h"><h2 id="policy-h">Content rules and limits</h2>
<p class="muted">Empty fields follow the server's defaults (as <code>rooms policy --reset</code>). Moderators are exempt from slow mode and quotas.</p>
${form(
  ctx,
  `${path}/policy`,
  html`<div class="filters">${setting('slow_posts', 'Slow mode: posts per user…', c.own.slowMode?.posts, e.slowMode.posts)}${setting('slow_seconds', '…per seconds', c.own.slowMode?.seconds, e.slowMode.seconds)}
${setting('quota_posts', 'Posts per user per day (0 = none)', c.own.quotas?.postsPerDay, e.quotas.postsPerDay)}
${setting('quota_bytes', 'Upload bytes per user per day (0 = none)', c.own.quotas?.uploadBytesPerDay, e.quotas.uploadBytesPerDay)}
${setting('quota_reactions', 'Reactions per user per minute (0 = none)', c.own.quotas?.reactionsPerMinute, e.quotas.reactionsPerMinute)}
${limited('maxChars', 'max_chars', 'Longest message in characters')}${limited('mentions', 'mentions', 'Most mentions in a message')}
${listed('words', 'words', 'Words and phrases (one a line; folded: NFKC and look-alikes)')}${listed('patterns', 'patterns', 'Regular expressions (one a line)')}
${choice('unreadable', 'A message the server cannot read', UNREADABLE_ACTIONS, c.own.unreadable, e.unreadable)}
${choice('links', 'A link from a user who is not trusted', UNREADABLE_ACTIONS, c.own.links, e.links)}
${choice('new_user_attachments', 'An attachment from a new user', UNREADABLE_ACTIONS, c.own.newUserAttachments, e.newUserAttachments)}</div>
<button type="submit">Save content rules and limits</button>`,
)}</section>
<section class="card" aria-labelledby="lockdown-h"><h2 id="lockdown-h">Lockdown</h2>
${
  p.lockdown
    ? html`<p><strong class="bad">Locked down</strong> until ${when(p.lockdown.until)}${p.lockdown.reason ? html`: ${p.lockdown.reason}` : ''}. Only trusted users and moderators post, react and upload.</p>
${form(ctx, `${path}/unlock`, html`<button type="submit">End the lockdown now</button>`)}`
    : html`<p class="muted">While locked down, only trusted users and moderators post, react and upload; it ends by itself.</p>
${form(
  ctx,
  `${path}/lockdown`,
  html`<label for="lockdown-for">For (e.g. 30m, 2h, 1d)</label><input type="text" id="lockdown-for" name="for" required autocomplete="off">
<label for="lockdown-reason">Reason (shown to refused users)</label><input type="text" id="lockdown-reason" name="reason" autocomplete="off">
<button type="submit" class="danger">Lock down</button>`,
)}`
}</section>`;
}

export function roomPage(ctx: PageContext, r: RoomListing, policy: RoomPolicyData): string {
  const path = roomPath(r.token);
  return layout(
    ctx,
    'rooms',
    r.name,
    html`<div class="grid">
<section class="card" aria-labelledby="info-h"><h2 id="info-h">Name and description</h2>
${form(
  ctx,
  path,
  html`<label for="room-name">Name</label><input type="text" id="room-name" name="name" value="${r.name}" required>
<label for="room-description">Description</label><textarea id="room-description" name="description">${r.description ?? ''}</textarea>
<fieldset><legend>Default permissions</legend>${FLAGS.map(
    (f) => html`<label class="check"><input type="checkbox" name="default_${f}" value="on"${r.default_permissions[f] ? trusted(' checked') : ''}> ${f}</label>`,
  )}</fieldset>
<button type="submit">Save</button>`,
)}</section>
<section class="card" aria-labelledby="image-h"><h2 id="image-h">Image</h2>
${r.image_id !== null ? html`<img class="room-image" src="${path}/image" alt="Current room image" width="64" height="64">` : html`<p class="muted">No image.</p>`}
${form(ctx, `${path}/image`, html`<label for="room-image">PNG, JPEG, GIF or WebP</label><input type="file" id="room-image" name="image" accept="image/png,image/jpeg,image/gif,image/webp" required><button type="submit">Upload image</button>`, { multipart: true })}
<dl class="facts"><dt>Messages</dt><dd>${r.messages} (${formatBytes(r.message_bytes)}), ${r.deleted_messages} deleted</dd><dt>Files</dt><dd>${r.files} (${formatBytes(r.file_bytes)}) <a href="/console/files?room=${r.token}">files</a></dd>
<dt>Active</dt><dd>${r.active_users.d1} today, ${r.active_users.d7} this week</dd><dt>Join link</dt><dd class="mono">${r.join_url}</dd></dl>
</section>
</div>
<section class="card" aria-labelledby="mods-h"><h2 id="mods-h">Moderators and admins</h2>
${moderatorRows(ctx, r)}
${form(
  ctx,
  `${path}/moderators`,
  html`<label for="mod-id">Session id (05… or 15…)</label><input type="text" id="mod-id" name="session_id" required autocomplete="off" class="mono">
<label class="check"><input type="checkbox" name="admin" value="on"> admin (not only moderator)</label>
<label class="check"><input type="checkbox" name="hidden" value="on"> hidden (not listed to users)</label>
<button type="submit">Add</button>`,
)}</section>
${policySections(ctx, path, policy)}
<section class="card" aria-labelledby="delete-h"><h2 id="delete-h">Delete room</h2>
<p>Deletes the room with all its messages, reactions, pins, permissions and files. This cannot be undone.</p>
${form(
  ctx,
  `${path}/delete`,
  html`<label for="confirm">Type the token <code>${r.token}</code> to confirm</label><input type="text" id="confirm" name="confirm" required autocomplete="off">
<button type="submit" class="danger">Delete room</button>`,
)}</section>`,
  );
}

// ---- People and bans

/** Where a ban applies: a room token, '*' (every room) or 'global'. */
function scopeSelect(id: string, rooms: string[]): Html {
  return html`<select id="${id}" name="scope"><option value="global">whole server (global)</option><option value="*">every room</option>${rooms.map((t) => html`<option value="${t}">${t}</option>`)}</select>`;
}

export function peoplePage(ctx: PageContext, query: string, found: PersonIdentity[] | null, rooms: string[]): string {
  const lookup = html`<form method="get" action="/console/people" role="search"><label for="q">Session id (05…, or 15… in either blinded form)</label>
<input type="search" id="q" name="id" value="${query}" required autocomplete="off" class="mono"><button type="submit">Look up</button></form>`;
  let result: Html | false = false;
  if (found !== null && found.length === 0) result = html`<p>This Session id has never been seen on this server. A ban still applies when they arrive.</p>`;
  if (found?.length) {
    result = html`${found.map(
      (p) => html`<section class="card person" aria-label="${p.sessionId}"><h2 class="mono">${p.sessionId}</h2>
<dl class="facts"><dt>First seen</dt><dd>${when(p.created)}</dd><dt>Last active</dt><dd>${when(p.lastActive)}</dd>
<dt>Global</dt><dd>${p.admin ? 'admin' : p.moderator ? 'moderator' : 'user'}${p.trusted ? ', trusted' : ''}${p.mutedUntil !== null ? html`, <strong class="warn">muted</strong> until ${when(p.mutedUntil)}${p.muteReason ? ` (${p.muteReason})` : ''}` : ''}${p.banned ? html`, <strong class="bad">banned</strong> until ${p.bannedUntil === null ? 'lifted' : when(p.bannedUntil)}` : ''}</dd></dl>
${
  p.rooms.length === 0
    ? html`<p class="muted">No rooms.</p>`
    : html`<div class="scroll"><table><thead><tr><th>Room</th><th class="num">Posts</th><th>Last posted</th><th>Last active</th><th>Standing</th></tr></thead><tbody>
${p.rooms.map(
  (r) => html`<tr><td><a href="${roomPath(r.room)}">${r.room}</a></td><td class="num">${r.posts}</td><td>${when(r.lastPosted)}</td><td>${when(r.lastActive)}</td>
<td>${
    [
      r.admin ? 'admin' : r.moderator ? 'moderator' : '',
      r.trusted ? 'trusted' : '',
      r.mutedUntil !== null ? `muted until ${when(r.mutedUntil)}${r.muteReason ? ` (${r.muteReason})` : ''}` : '',
      r.banned ? `banned${r.bannedUntil === null ? '' : ` until ${when(r.bannedUntil)}`}` : '',
      r.write === false ? 'no write' : '',
      r.upload === false ? 'no upload' : '',
      r.read === false ? 'no read' : '',
    ]
      .filter(Boolean)
      .join(', ') || 'member'
  }</td></tr>`,
)}</tbody></table></div>`
}</section>`,
    )}`;
  }
  const actions =
    query !== '' &&
    html`<div class="grid"><section class="card" aria-labelledby="ban-h"><h2 id="ban-h">Ban</h2>
${form(
  ctx,
  '/console/people/ban',
  html`<input type="hidden" name="session_id" value="${query}"><label for="ban-scope">Where</label>${scopeSelect('ban-scope', rooms)}
<label for="ban-duration">For (e.g. 30m, 12h, 7d; empty = until lifted)</label><input type="text" id="ban-duration" name="duration" autocomplete="off">
<button type="submit" class="danger">Ban</button>`,
)}</section>
<section class="card" aria-labelledby="unban-h"><h2 id="unban-h">Unban</h2>
${form(ctx, '/console/people/unban', html`<input type="hidden" name="session_id" value="${query}"><label for="unban-scope">Where</label>${scopeSelect('unban-scope', rooms)}<button type="submit">Unban</button>`)}
</section>
<section class="card" aria-labelledby="mute-h"><h2 id="mute-h">Mute</h2>
<p class="muted">A muted user reads as before; posting, editing, deleting and uploading are refused with the reason and the end.</p>
${form(
  ctx,
  '/console/people/mute',
  html`<input type="hidden" name="session_id" value="${query}"><label for="mute-scope">Where</label>${scopeSelect('mute-scope', rooms)}
<label for="mute-duration">For (e.g. 30m, 4h, 7d)</label><input type="text" id="mute-duration" name="duration" required autocomplete="off">
<label for="mute-reason">Reason (shown to them)</label><input type="text" id="mute-reason" name="reason" autocomplete="off">
<button type="submit" class="danger">Mute</button>`,
)}
${form(ctx, '/console/people/unmute', html`<input type="hidden" name="session_id" value="${query}"><label for="unmute-scope">Where</label>${scopeSelect('unmute-scope', rooms)}<button type="submit">Unmute</button>`)}
</section>
<section class="card" aria-labelledby="trust-h"><h2 id="trust-h">Trust</h2>
<p class="muted">Trusted users are exempt from the rules for new and untrusted users.</p>
${form(
  ctx,
  '/console/people/trust',
  html`<input type="hidden" name="session_id" value="${query}"><label for="trust-scope">Where</label>${scopeSelect('trust-scope', rooms)}
<button type="submit" name="trusted" value="on">Trust</button> <button type="submit" name="trusted" value="off">Untrust</button>`,
)}</section></div>`;
  return layout(ctx, 'people', 'People', html`<section class="card">${lookup}</section>${result}${actions}`);
}

export function bansPage(ctx: PageContext, bans: BanRow[]): string {
  return layout(
    ctx,
    'bans',
    'Bans',
    bans.length === 0
      ? html`<p>Nobody is banned.</p>`
      : html`<div class="card scroll"><table><thead><tr><th>Session id</th><th>Where</th><th>Until</th><th></th></tr></thead><tbody>
${bans.map(
  (
    b,
  ) => html`<tr><td class="mono"><a href="/console/people?id=${b.sessionId}">${b.sessionId}</a></td><td>${b.room ?? 'global'}${b.shadow ? ' (shadow ban)' : ''}</td><td>${b.until === null ? 'lifted by hand' : when(b.until)}</td>
<td>${form(ctx, '/console/bans/lift', html`<input type="hidden" name="session_id" value="${b.sessionId}"><input type="hidden" name="scope" value="${b.room ?? 'global'}"><button type="submit" class="small">Lift</button>`, { inline: true })}</td></tr>`,
)}</tbody></table></div>`,
  );
}

// ---- Files

/** The attachment blocklist: what is blocked, and two ways to add (a digest, or a file at hand whose digest the server takes). */
function blocklistSection(ctx: PageContext, blocked: BlocklistEntry[]): Html {
  const reason = (id: string) =>
    html`<label for="${id}">Reason (shown to uploaders; optional)</label><input type="text" id="${id}" name="reason" maxlength="${BLOCKLIST_REASON_MAX}" autocomplete="off">`;
  return html`<section class="card" aria-labelledby="blocklist-h"><h2 id="blocklist-h">Attachment blocklist</h2>
<p class="muted">Uploads with a blocked SHA-256 are refused in every room and on the file server; blocking quarantines every stored copy (its files answer 404 and the bytes are deleted).</p>
${
  blocked.length === 0
    ? html`<p>Nothing is blocked.</p>`
    : html`<div class="scroll"><table class="blocklist"><thead><tr><th>SHA-256</th><th>Added</th><th>Reason</th><th></th></tr></thead><tbody>
${blocked.map(
  (b) => html`<tr><td class="mono">${b.sha256}</td><td class="nowrap">${when(b.added)}</td><td>${b.reason ?? ''}</td>
<td>${form(ctx, '/console/files/blocklist/remove', html`<input type="hidden" name="sha256" value="${b.sha256}"><button type="submit" class="small" aria-label="Unblock ${b.sha256}">Unblock</button>`, { inline: true })}</td></tr>`,
)}</tbody></table></div>`
}
<div class="grid">
<div>${form(
    ctx,
    '/console/files/blocklist',
    html`<h3>Block a SHA-256</h3><label for="block-sha256">SHA-256 (64 hex digits)</label><input type="text" id="block-sha256" name="sha256" required pattern="\s*[0-9A-Fa-f]{64}\s*" autocomplete="off" class="mono">
${reason('block-reason')}<button type="submit" class="danger">Block</button>`,
  )}</div>
<div>${form(
    ctx,
    '/console/files/blocklist/upload',
    html`<h3>Block a file's content</h3><label for="block-file">File (only its SHA-256 is kept)</label><input type="file" id="block-file" name="file" required>
${reason('block-file-reason')}<button type="submit" class="danger">Block this content</button>`,
    { multipart: true },
  )}</div>
</div></section>`;
}

export function filesPage(ctx: PageContext, rooms: RoomListing[], room: string | null, files: RoomFileListing[], blocked: BlocklistEntry[]): string {
  return layout(
    ctx,
    'files',
    'Files',
    html`<section class="card" aria-labelledby="per-room-h"><h2 id="per-room-h">Storage per room</h2><div class="scroll"><table><thead><tr><th>Room</th><th class="num">Files</th><th class="num">Bytes</th></tr></thead><tbody>
${rooms.map((r) => html`<tr><td><a href="/console/files?room=${r.token}">${r.name}</a></td><td class="num">${r.files}</td><td class="num">${formatBytes(r.file_bytes)}</td></tr>`)}
</tbody></table></div></section>
<section class="card" aria-labelledby="largest-h"><h2 id="largest-h">Largest files${room ? html` in ${room}` : ''}</h2>
${room && html`<p><a href="/console/files">All rooms</a></p>`}
${
  files.length === 0
    ? html`<p>No files.</p>`
    : html`<div class="scroll"><table><thead><tr><th class="num">Id</th><th>Room</th><th class="num">Size</th><th>Uploaded</th><th>Expires</th><th>Name</th><th></th></tr></thead><tbody>
${files.map(
  (
    f,
  ) => html`<tr><td class="num">${f.id}</td><td>${f.room ?? ''}</td><td class="num">${formatBytes(f.size)}</td><td>${when(f.uploaded)}</td><td>${f.expiry === null ? 'never' : when(f.expiry)}</td><td>${f.filename ?? ''}</td>
<td class="nowrap">${form(ctx, '/console/files/delete', html`<input type="hidden" name="id" value="${f.id}"><button type="submit" class="small danger">Delete</button>`, { inline: true })}
${f.room === null ? '' : form(ctx, '/console/files/block', html`<input type="hidden" name="id" value="${f.id}"><input type="hidden" name="room" value="${f.room}"><button type="submit" class="small danger" aria-label="Block the content of file ${f.id}">Block</button>`, { inline: true })}</td></tr>`,
)}</tbody></table></div>`
}</section>
${blocklistSection(ctx, blocked)}`,
  );
}

// ---- Audit log

/** The audit filter as the form holds it (what the operator typed), to fill the form again and to build the CSV link. */
export interface AuditQuery {
  room: string;
  actor: string;
  target: string;
  action: string;
  from: string;
  to: string;
}

const isoSeconds = (t: number) => `${new Date(t * 1000).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
/** A session id links to People; other actors and targets ("cli", a file id) are plain text. */
const who = (text: string | null) => (text !== null && ANY_SESSION_ID.test(text) ? html`<a class="mono" href="/console/people?id=${text}">${text}</a>` : (text ?? ''));

export function auditPage(ctx: PageContext, query: AuditQuery, rooms: string[], entries: AuditRecord[]): string {
  const params = new URLSearchParams(Object.entries(query).filter(([, v]) => v !== '')).toString();
  const field = (name: keyof AuditQuery, label: string, hint: string, attrs: Html | string = '') =>
    html`<div><label for="audit-${name}">${label}</label><input type="text" id="audit-${name}" name="${name}" value="${query[name]}" placeholder="${hint}" autocomplete="off"${attrs}></div>`;
  const time = (name: 'from' | 'to', label: string) =>
    html`<div><label for="audit-${name}">${label}</label><input type="datetime-local" id="audit-${name}" name="${name}" value="${query[name]}"></div>`;
  return layout(
    ctx,
    'audit',
    'Audit log',
    html`<section class="card" aria-labelledby="filter-h"><h2 id="filter-h">Filter</h2>
<form method="get" action="/console/audit" class="filters">
${field('room', 'Room', 'token (deleted rooms too)', trusted(' list="audit-rooms"'))}<datalist id="audit-rooms">${rooms.map((t) => html`<option value="${t}">`)}</datalist>
${field('actor', 'Actor', 'Session id, cli, console, system, rule:…')}
${field('target', 'Target', 'Session id, file or message id')}
<div><label for="audit-action">Action</label><select id="audit-action" name="action"><option value="">any</option>${AUDIT_ACTIONS.map(
      (a) => html`<option value="${a}"${a === query.action ? trusted(' selected') : ''}>${a}</option>`,
    )}</select></div>
${time('from', 'From (UTC)')}${time('to', 'To (UTC)')}
<div class="actions"><button type="submit">Filter</button> <a href="/console/audit">Clear</a></div>
</form></section>
<section class="card" aria-labelledby="entries-h"><h2 id="entries-h">${entries.length === 1 ? '1 entry' : `${entries.length} entries`}, newest first</h2>
<p><a id="audit-csv" href="/console/audit.csv${params ? `?${params}` : ''}" download>Download as CSV</a>${entries.length === AUDIT_LIST_LIMIT ? html` <span class="muted">· showing the newest ${AUDIT_LIST_LIMIT}; narrow the filter or the time to see older entries</span>` : ''}</p>
${
  entries.length === 0
    ? html`<p>No entries match.</p>`
    : html`<div class="scroll"><table class="audit"><thead><tr><th>At</th><th>Actor</th><th>Action</th><th>Room</th><th>Target</th><th>Reason</th><th>Details</th></tr></thead><tbody>
${entries.map(
  (e) =>
    html`<tr><td class="nowrap">${isoSeconds(e.at)}</td><td>${who(e.actor)}</td><td>${e.action}</td><td>${e.room ?? ''}</td><td>${who(e.target)}</td><td>${e.reason ?? ''}</td><td>${e.details === null ? '' : html`<code>${JSON.stringify(e.details)}</code>`}</td></tr>`,
)}</tbody></table></div>`
}</section>`,
  );
}

/** The audit entries as CSV, one row each under a header, with times in ISO 8601 UTC. */
export function auditCsv(entries: AuditRecord[]): string {
  return toCsv([
    ['id', 'at', 'actor', 'action', 'room', 'target', 'reason', 'details'],
    ...entries.map((e) => [
      String(e.id),
      new Date(e.at * 1000).toISOString(),
      e.actor,
      e.action,
      e.room ?? '',
      e.target ?? '',
      e.reason ?? '',
      e.details === null ? '' : JSON.stringify(e.details),
    ]),
  ]);
}

// ---- Queue

/** A message's text as clients show it; said plainly when the server cannot read it. */
function messageText(text: string | null): Html {
  return text === null ? html`<p class="muted">(This message is not in a form the server can read.)</p>` : html`<p class="message">${text}</p>`;
}

function otherPosts(posts: OtherPostJson[] | undefined): Html {
  if (!posts?.length) return html`<p class="muted">No other posts by this author in this room.</p>`;
  return html`<details><summary>The author's ${posts.length === 1 ? 'other post' : `other ${posts.length} latest posts`} in this room</summary><ol class="others">${posts.map(
    (p) => html`<li><span class="muted">${when(p.posted)}${p.hidden ? ` · ${p.hidden}` : ''}</span>${messageText(p.text)}</li>`,
  )}</ol></details>`;
}

/** One queue item: who, where, when, the text, and the two decisions as one form with two buttons. */
function queueItem(
  ctx: PageContext,
  kind: 'held' | 'report',
  m: { id: number; room: string; session_id: string; posted: number; text: string | null },
  facts: Html,
  others: OtherPostJson[] | undefined,
  back: string | null,
): Html {
  const [yes, no] = kind === 'held' ? ['Approve', 'Reject'] : ['Dismiss reports', 'Delete message'];
  return html`<article class="card queue-item" id="message-${m.id}" aria-labelledby="message-${m.id}-h">
<h3 id="message-${m.id}-h">Message ${m.id} in <a href="${roomPath(m.room)}">${m.room}</a></h3>
<dl class="facts"><dt>Author</dt><dd>${who(m.session_id)}</dd><dt>Posted</dt><dd>${when(m.posted)}</dd>${facts}</dl>
${messageText(m.text)}
${form(
  ctx,
  '/console/queue/decide',
  html`<input type="hidden" name="id" value="${m.id}"><input type="hidden" name="kind" value="${kind}">${back === null ? '' : html`<input type="hidden" name="room" value="${back}">`}
<button type="submit" name="decision" value="approve">${yes}</button> <button type="submit" name="decision" value="reject" class="danger">${no}</button>`,
)}
${otherPosts(others)}
</article>`;
}

export function queuePage(ctx: PageContext, rooms: string[], room: string | null, q: QueueData): string {
  const more = (shown: number, total: number) => (total > shown ? html`<p class="muted">Showing ${shown} of ${total}; decide these to see the rest.</p>` : '');
  return layout(
    ctx,
    'queue',
    'Queue',
    html`<section class="card"><form method="get" action="/console/queue" class="inline-form"><label for="queue-room">Room</label>
<select id="queue-room" name="room"><option value="">all rooms</option>${rooms.map((t) => html`<option value="${t}"${t === room ? trusted(' selected') : ''}>${t}</option>`)}</select>
<button type="submit">Show</button></form>
<p class="muted">Approving publishes a held post to everyone (or restores a message its reports hid) and dismisses its reports; rejecting deletes it and upholds them. The same decisions as a moderator's approve and reject reactions, or <code>held</code>/<code>reports</code> on the CLI.</p></section>
<section aria-labelledby="held-h"><h2 id="held-h">Held posts (${q.totals.held})</h2>
${q.held.length === 0 ? html`<p class="card">No held posts.</p>` : q.held.map((m) => queueItem(ctx, 'held', m, html``, q.others.get(m.id), room))}${more(q.held.length, q.totals.held)}
</section>
<section aria-labelledby="reported-h"><h2 id="reported-h">Reported messages (${q.totals.reported})</h2>
${
  q.reported.length === 0
    ? html`<p class="card">No open reports.</p>`
    : q.reported.map((m) =>
        queueItem(
          ctx,
          'report',
          m,
          html`<dt>Reports</dt><dd>${m.reports} (${m.counted} counted), last ${when(m.last_at)}</dd><dt>Visible</dt><dd>${m.hidden ? html`<strong class="bad">hidden by its reports</strong>` : 'yes'}</dd>`,
          q.others.get(m.id),
          room,
        ),
      )
}${more(q.reported.length, q.totals.reported)}
</section>`,
  );
}
