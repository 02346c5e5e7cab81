// Greeter + captcha gate (issue 16 item 5), a worker plugin shipped with the server (README "Bots
// and plugins"). In the rooms of settings.rooms, a user's first request makes them read-only there
// (a timed write=false, so nobody stays locked out if the bot goes away) and gets them a DM from
// the bot asking for an emoji; the right emoji as a DM reply gives write access back, a wrong one
// counts, and after settings.tries wrong answers the bot ignores answers for settings.lockout
// seconds. Every permission change and DM is an action, so the audit log has them as plugin:NAME.
'use strict';
/* global exports */
const { randomInt } = require('node:crypto');
const { workerData } = require('node:worker_threads');

const settings = (workerData && workerData.settings) || {};
const ROOMS = new Set(Array.isArray(settings.rooms) ? settings.rooms : []);
const TRIES = Number.isInteger(settings.tries) && settings.tries > 0 ? settings.tries : 3;
const LOCKOUT = Number(settings.lockout) > 0 ? Number(settings.lockout) : 3600;
const GATE_TIMEOUT = Number(settings.gate_timeout) > 0 ? Number(settings.gate_timeout) : 86400;
const GREETING = typeof settings.greeting === 'string' ? settings.greeting : 'Welcome to {room}!';

/** The emoji a question may ask for, by the name the question uses. */
const EMOJI = { cat: '🐱', dog: '🐶', fox: '🦊', frog: '🐸', owl: '🦉', pig: '🐷', cow: '🐮', bee: '🐝' };

// State (docs/plugins.md "State"), shared by every process and replica, so the answer may reach
// another one than the question: per user (blinded id) `question:USER` { name, lockedUntil } (the
// emoji asked for; event.at until which answers are ignored), `wrong:USER` the wrong answers, and
// `rooms:USER` the rooms they were gated in, each kept as long as the gate (or the lockout).

/** A new question: its text, and the name of the emoji it asks for. */
function question() {
  const names = Object.keys(EMOJI);
  const name = names[randomInt(names.length)];
  const others = names.filter((n) => n !== name);
  const shown = [name];
  while (shown.length < 4) shown.push(others.splice(randomInt(others.length), 1)[0]);
  shown.sort(() => randomInt(3) - 1);
  return { name, text: `To post, reply to this message with the emoji of a ${name}: ${shown.map((n) => EMOJI[n]).join(' ')}` };
}

/** Asks `user` a new question: remembers what it asks for and returns its text. */
async function ask(state, user) {
  const q = question();
  await state.set(`question:${user}`, { name: q.name, lockedUntil: 0 }, Math.max(GATE_TIMEOUT, LOCKOUT));
  return q.text;
}

/** The answer as a person types it: the emoji alone, perhaps with spaces or a variation selector. */
const isRight = (name, text) => text.replace(/[\s\uFE0F]/gu, '') === EMOJI[name];

async function firstRequest(event, state) {
  if (!ROOMS.has(event.room)) return null;
  await state.append(`rooms:${event.user}`, event.room, GATE_TIMEOUT);
  const greeting = GREETING.replace('{room}', event.room);
  return {
    actions: [
      { action: 'permissions', room: event.room, user: event.user, write: false, timeout: GATE_TIMEOUT },
      { action: 'dm', to: event.user, text: `${greeting} ${await ask(state, event.user)}` },
    ],
  };
}

async function answer(event, state) {
  const user = event.sender;
  const q = await state.get(`question:${user}`);
  if (q === null) return { decision: 'allow' };
  const dm = (text) => ({ action: 'dm', to: user, text });
  if (event.at < q.lockedUntil) return { decision: 'silent', actions: [dm(`Too many wrong answers; try again in ${Math.ceil((q.lockedUntil - event.at) / 60)} minutes.`)] };
  if (q.lockedUntil > 0) {
    await state.delete(`wrong:${user}`);
    return { decision: 'silent', actions: [dm(await ask(state, user))] };
  }
  if (isRight(q.name, event.text)) {
    const rooms = [...new Set((await state.recent(`rooms:${user}`, GATE_TIMEOUT)).map((e) => e.value))];
    await Promise.all([state.delete(`question:${user}`), state.delete(`wrong:${user}`), state.delete(`rooms:${user}`)]);
    return {
      decision: 'silent',
      actions: [...rooms.map((room) => ({ action: 'permissions', room, user, write: null })), dm(`Thank you! You can post in ${rooms.join(', ')} now.`)],
    };
  }
  const wrong = await state.incr(`wrong:${user}`, Math.max(GATE_TIMEOUT, LOCKOUT));
  const note = { action: 'note', user, text: `captcha: wrong answer ${wrong} of ${TRIES}` };
  if (wrong >= TRIES) {
    await state.set(`question:${user}`, { name: q.name, lockedUntil: event.at + LOCKOUT }, Math.max(GATE_TIMEOUT, LOCKOUT));
    return {
      decision: 'silent',
      actions: [note, dm(`That is not right. Too many wrong answers: write to me again in ${Math.ceil(LOCKOUT / 60)} minutes for a new question.`)],
    };
  }
  return { decision: 'silent', actions: [note, dm(`That is not right (${TRIES - wrong} tries left). ${await ask(state, user)}`)] };
}

exports.EMOJI = EMOJI;
exports.notify = (event, { state }) => (event.type === 'first-request-in-room' ? firstRequest(event, state) : null);
exports.decide = (event, { state }) => (event.type === 'before-bot-dm' ? answer(event, state) : { decision: 'allow' });
