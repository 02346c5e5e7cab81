// Flood guard (issue 16 item 5), a worker plugin shipped with the server (README "Bots and
// plugins"). The same or near-same text from one user — compared folded as the content rules fold
// it (the event's `folded`), then without spaces, punctuation and repeated letters — posted in
// settings.rooms_max rooms, or settings.repeats times in a row, within settings.window seconds
// makes their posts held for review for settings.hold_for seconds; the moderators of each room
// involved are told by a moderator-only whisper from the bot (the bot must moderate the room).
// Moderators are never held. settings.rooms: the rooms it watches (absent: every room).
// What it remembers is in the shared state (docs/plugins.md "State"), so every process and replica
// sees a user's posts wherever they land.
'use strict';
/* global exports */
const { workerData } = require('node:worker_threads');

const settings = (workerData && workerData.settings) || {};
const positive = (v, fallback) => (Number.isFinite(v) && v > 0 ? v : fallback);
const ROOMS = Array.isArray(settings.rooms) ? new Set(settings.rooms) : null;
const WINDOW = positive(settings.window, 60);
const REPEATS = positive(settings.repeats, 3);
const ROOMS_MAX = positive(settings.rooms_max, 3);
const HOLD_FOR = positive(settings.hold_for, 600);
const MIN_LENGTH = positive(settings.min_length, 4);

/** Near-same texts share a key: no spaces, punctuation or symbols, runs of one letter as one. */
const keyOf = (folded) => folded.replace(/[^\p{L}\p{N}]/gu, '').replace(/(.)\1+/gu, '$1');

// State, per author: `held:AUTHOR` the time (event.at) their hold ends; `posts:AUTHOR` their
// recent posts ({ key, room }) within WINDOW, oldest first.
async function decide(event, { state }) {
  if (event.type !== 'before-post' || event.moderator || (ROOMS && !ROOMS.has(event.room))) return { decision: 'allow' };
  const heldUntil = await state.get(`held:${event.author}`);
  if (heldUntil !== null && event.at < heldUntil) return { decision: 'hold' };
  const key = event.folded === null ? '' : keyOf(event.folded);
  if (key.length < MIN_LENGTH) return { decision: 'allow' };
  const posts = (await state.append(`posts:${event.author}`, { key, room: event.room }, WINDOW)).map((e) => e.value);
  const same = posts.filter((p) => p.key === key);
  const rooms = [...new Set(same.map((p) => p.room))];
  const inARow = posts.length >= REPEATS && posts.slice(-REPEATS).every((p) => p.key === key);
  if (rooms.length < ROOMS_MAX && !inARow) return { decision: 'allow' };
  await state.set(`held:${event.author}`, event.at + HOLD_FOR, HOLD_FOR);
  await state.delete(`posts:${event.author}`);
  const what = rooms.length >= ROOMS_MAX ? `the same text in ${rooms.length} rooms` : `the same text ${REPEATS} times in a row`;
  const text = `Flood guard: ${event.author} posted ${what} within ${WINDOW} s; their posts are held for review for ${Math.ceil(HOLD_FOR / 60)} minutes.`;
  return { decision: 'hold', actions: rooms.map((room) => ({ action: 'post', room, text, whisper_mods: true })) };
}

exports.decide = decide;
