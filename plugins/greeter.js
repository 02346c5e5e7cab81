// Greeter + captcha gate (issue 16 item 5), a worker plugin shipped with the server (README "Bots
// and plugins"). In the rooms of settings.rooms, a user's first request makes them read-only there
// (a timed write=false, so nobody stays locked out if the bot goes away) and gets them a DM from
// the bot asking for an emoji; the right emoji as a DM reply gives write access back, a wrong one
// counts, and after settings.tries wrong answers the bot ignores answers for settings.lockout
// seconds. Every permission change and DM is an action, so the audit log has them as plugin:NAME.
// State is kept in the worker's memory: a restart forgets open questions (their timed gate still ends).
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

/** sender (blinded id) → { rooms: Set, name, wrong, lockedUntil } */
const pending = new Map();

function question(p) {
  const names = Object.keys(EMOJI);
  p.name = names[randomInt(names.length)];
  const others = names.filter((n) => n !== p.name);
  const shown = [p.name];
  while (shown.length < 4) shown.push(others.splice(randomInt(others.length), 1)[0]);
  shown.sort(() => randomInt(3) - 1);
  return `To post, reply to this message with the emoji of a ${p.name}: ${shown.map((n) => EMOJI[n]).join(' ')}`;
}

/** The answer as a person types it: the emoji alone, perhaps with spaces or a variation selector. */
const isRight = (p, text) => text.replace(/[\s\uFE0F]/gu, '') === EMOJI[p.name];

function firstRequest(event) {
  if (!ROOMS.has(event.room)) return null;
  const p = pending.get(event.user) || { rooms: new Set(), name: null, wrong: 0, lockedUntil: 0 };
  p.rooms.add(event.room);
  pending.set(event.user, p);
  const greeting = GREETING.replace('{room}', event.room);
  return {
    actions: [
      { action: 'permissions', room: event.room, user: event.user, write: false, timeout: GATE_TIMEOUT },
      { action: 'dm', to: event.user, text: `${greeting} ${question(p)}` },
    ],
  };
}

function answer(event) {
  const p = pending.get(event.sender);
  if (!p) return { decision: 'allow' };
  const dm = (text) => ({ action: 'dm', to: event.sender, text });
  if (event.at < p.lockedUntil) return { decision: 'silent', actions: [dm(`Too many wrong answers; try again in ${Math.ceil((p.lockedUntil - event.at) / 60)} minutes.`)] };
  if (p.lockedUntil > 0) {
    p.lockedUntil = 0;
    p.wrong = 0;
    return { decision: 'silent', actions: [dm(question(p))] };
  }
  if (isRight(p, event.text)) {
    pending.delete(event.sender);
    const rooms = [...p.rooms];
    return {
      decision: 'silent',
      actions: [...rooms.map((room) => ({ action: 'permissions', room, user: event.sender, write: null })), dm(`Thank you! You can post in ${rooms.join(', ')} now.`)],
    };
  }
  p.wrong++;
  const wrong = { action: 'note', user: event.sender, text: `captcha: wrong answer ${p.wrong} of ${TRIES}` };
  if (p.wrong >= TRIES) {
    p.lockedUntil = event.at + LOCKOUT;
    return {
      decision: 'silent',
      actions: [wrong, dm(`That is not right. Too many wrong answers: write to me again in ${Math.ceil(LOCKOUT / 60)} minutes for a new question.`)],
    };
  }
  return { decision: 'silent', actions: [wrong, dm(`That is not right (${TRIES - p.wrong} tries left). ${question(p)}`)] };
}

exports.EMOJI = EMOJI;
exports.notify = (event) => (event.type === 'first-request-in-room' ? firstRequest(event) : null);
exports.decide = (event) => (event.type === 'before-bot-dm' ? answer(event) : { decision: 'allow' });
