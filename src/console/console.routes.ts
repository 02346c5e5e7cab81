import { HttpException } from '@nestjs/common';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { actingAs } from '../audit/audit-actor';
import { AUDIT_ACTIONS, type AuditFilter } from '../audit/audit.types';
import { HELD_MODES } from '../moderation/room-moderation';
import { RULE_ACTIONS, UNREADABLE_ACTIONS } from '../rooms/content-rules';
import { CliError } from '../cli/io';
import { parseDuration } from '../cli/parse';
import type { AppConfig } from '../config/config';
import type { ReadinessCheck } from '../health/readiness';
import { imageContentType } from '../files/image-type';
import { ANY_SESSION_ID, ROOM_TOKEN } from '../protocol/constants';
import { SESSION_COOKIE, type ConsoleAuthService, type ConsoleSession } from './console-auth.service';
import { CONSOLE_FORM_LIMIT, CONSOLE_PATH, consoleUploadLimit } from './console-http';
import { CONSOLE_CSS, CONSOLE_JS } from './console.assets';
import type { ConsoleService } from './console.service';
import {
  auditCsv,
  auditPage,
  bansPage,
  filesPage,
  layout,
  overviewPage,
  peoplePage,
  queuePage,
  roomPage,
  roomsPage,
  signedOutPage,
  type AuditQuery,
  type PageContext,
} from './console.views';
import { parseMultipart, type FormPart } from './multipart';
import { FAVICON_SVG } from '../web/assets';
import { html } from '../web/html';

/**
 * No inline script or style and nothing from elsewhere: the stylesheet and script come from
 * /console/static; images are this server's (the room image); forms post only here.
 */
export const CONSOLE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/** The outcomes a change reports on the page it returns to: fixed texts, so a crafted link cannot put words on the page. */
const NOTICES = {
  created: 'Room created.',
  saved: 'Saved.',
  'moderation-saved': 'Moderation settings saved.',
  'policy-saved': 'Content rules and limits saved.',
  'locked-down': 'The room is locked down.',
  unlocked: 'The lockdown has ended.',
  'not-locked': 'The room was not locked down.',
  image: 'Room image set.',
  deleted: 'Room deleted.',
  'moderator-added': 'Moderator added.',
  'moderator-removed': 'Moderator removed.',
  banned: 'Banned.',
  unbanned: 'Unbanned.',
  muted: 'Muted.',
  unmuted: 'Unmuted.',
  trusted: 'Trusted.',
  untrusted: 'No longer trusted.',
  lifted: 'Ban lifted.',
  'file-deleted': 'File deleted.',
  blocked: 'Blocked: uploads of it are refused, and any stored copies are quarantined.',
  'already-blocked': 'That content was blocked already (its reason is updated).',
  unblocked: 'Unblocked. Quarantined copies stay deleted.',
  approved: 'Approved: everyone receives it on their next poll.',
  rejected: 'Rejected: the post is deleted.',
  dismissed: 'Reports dismissed: the message is visible again.',
  upheld: 'Reports upheld: the message is deleted.',
} as const;
type Notice = keyof typeof NOTICES;

export interface ConsoleDeps {
  auth: ConsoleAuthService;
  console: ConsoleService;
  config: AppConfig;
  checks: ReadinessCheck[];
  timeoutMs: number;
}

type Form = Record<string, string>;
/** Where the multipart parser leaves the parts (files included) beside the text fields. */
const FILES = Symbol('files');

const sessionId = z
  .string()
  .trim()
  .regex(ANY_SESSION_ID, 'A Session id is 05 or 15 followed by 64 hex digits')
  .transform((s) => s.toLowerCase());
const token = z.string().trim().regex(ROOM_TOKEN, 'A room token is 1 to 64 letters, digits, _ or -');
const scope = z.union([z.literal('global'), z.literal('*'), token]);
/** An optional form field: empty (or absent) is null, "back to the server default". */
const blank = <T extends z.ZodType>(schema: T) => z.preprocess((v) => (v === undefined || (typeof v === 'string' && v.trim() === '') ? null : v), schema.nullable());
const checkbox = z
  .string()
  .optional()
  .transform((v) => v === 'on');

/** An <input type="datetime-local"> value, read as UTC (the form says so). */
const utcMinute = z
  .string()
  .regex(/^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d{1,3})?)?$/, 'expected a date and time (YYYY-MM-DDTHH:MM)')
  .transform((v, c) => {
    const ms = Date.parse(`${v}Z`);
    // Date.parse rolls 31 February over into March: a real date reads back as written.
    if (Number.isNaN(ms) || !new Date(ms).toISOString().startsWith(v.slice(0, 16))) c.addIssue({ code: 'custom', message: 'not a real date and time' });
    return ms / 1000;
  });
const blankIsAbsent = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);
const auditFilterSchema = z.object({
  room: z.preprocess(blankIsAbsent, token.optional()),
  actor: z.preprocess(blankIsAbsent, z.string().trim().max(200).optional()),
  target: z.preprocess(blankIsAbsent, z.string().trim().max(200).optional()),
  action: z.preprocess(blankIsAbsent, z.enum(AUDIT_ACTIONS).optional()),
  from: z.preprocess(blankIsAbsent, utcMinute.optional()),
  to: z.preprocess(blankIsAbsent, utcMinute.optional()),
});

/** The audit filter from the query string, and what the form shows again; a ZodError when it is not one. */
function auditFilterOf(raw: Record<string, string | undefined>): { query: AuditQuery; filter: AuditFilter } {
  const text = (name: keyof AuditQuery) => (typeof raw[name] === 'string' ? raw[name].slice(0, 200) : '');
  const query: AuditQuery = { room: text('room'), actor: text('actor'), target: text('target'), action: text('action'), from: text('from'), to: text('to') };
  const f = auditFilterSchema.parse(query);
  // "To" names a minute (or a second): entries within it are included.
  const until = f.to === undefined ? undefined : f.to + (/T\d\d:\d\d$/.test(query.to) ? 59.999 : 0.999);
  return { query, filter: { room: f.room, actor: f.actor, target: f.target, action: f.action, since: f.from, until } };
}

function headers(reply: FastifyReply, type: string, cache = 'no-store'): FastifyReply {
  return (
    reply
      .type(type)
      .header('Content-Security-Policy', CONSOLE_CSP)
      .header('X-Content-Type-Options', 'nosniff')
      // Not no-referrer: with it a browser sends `Origin: null` on the console's own form posts, which the CSRF check refuses.
      .header('Referrer-Policy', 'same-origin')
      .header('X-Frame-Options', 'DENY')
      .header('Cross-Origin-Opener-Policy', 'same-origin')
      .header('Cross-Origin-Resource-Policy', 'same-origin')
      .header('Cache-Control', cache)
  );
}

function cookieOf(req: FastifyRequest): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name === SESSION_COOKIE) return value.join('=');
  }
  return undefined;
}

/** HttpOnly, SameSite=Strict, scoped to the console; Secure whenever the console is reached over https. */
function sessionCookie(req: FastifyRequest, value: string, maxAge: number): string {
  return `${SESSION_COOKIE}=${value}; Path=${CONSOLE_PATH}; Max-Age=${Math.max(0, Math.floor(maxAge))}; HttpOnly; SameSite=Strict${req.protocol === 'https' ? '; Secure' : ''}`;
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** A change must come from a console page: its Origin is this host, and it carries the session's synchronizer token. */
function csrfRefusal(req: FastifyRequest, session: ConsoleSession, form: Form): string | null {
  const origin = req.headers.origin;
  if (origin === undefined || origin !== `${req.protocol}://${req.headers.host}`) return 'Refused: the change did not come from a console page (Origin)';
  if (!form._csrf || !same(form._csrf, session.csrf)) return 'Refused: the change did not come from a console page (CSRF token)';
  return null;
}

/** A message for the operator from a refused change: the domain rule's own text. */
function refusal(err: unknown): { status: number; message: string } | null {
  if (err instanceof HttpException) return { status: err.getStatus(), message: err.message };
  if (err instanceof CliError) return { status: 400, message: err.message };
  if (err instanceof z.ZodError) return { status: 400, message: err.issues.map((i) => `${i.path.join('.') || 'form'}: ${i.message}`).join('; ') };
  return null;
}

/** The file a multipart form sent in field `name`; a 400 saying `missing` when none was chosen. */
function uploaded(form: Form, name: string, missing: string): FormPart & { filename: string } {
  const part = (form as { [FILES]?: Map<string, FormPart> })[FILES]?.get(name);
  if (!part || part.filename === null || part.data.length === 0) throw new z.ZodError([{ code: 'custom', path: [name], message: missing, input: undefined }]);
  return part as FormPart & { filename: string };
}

function formOf(req: FastifyRequest): Form {
  return (req.body as Form | undefined) ?? {};
}

/**
 * The console's routes on the admin listener. Every page and change needs a session (a cookie from
 * a one-time link), every change passes the CSRF check, and every answer carries a strict CSP.
 * Handlers only parse the form and call ConsoleService.
 */
export function installConsole(fastify: FastifyInstance, deps: ConsoleDeps): void {
  const { auth, console: service } = deps;

  fastify.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: CONSOLE_FORM_LIMIT }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });
  // The image upload: the room file limit, plus room for the form's other fields and framing.
  fastify.addContentTypeParser('multipart/form-data', { parseAs: 'buffer', bodyLimit: consoleUploadLimit(deps.config) }, (req, body, done) => {
    try {
      const parts = parseMultipart(body as Buffer, req.headers['content-type'] ?? '');
      const form: Form & { [FILES]?: typeof parts } = {};
      for (const [name, part] of parts) if (part.filename === null) form[name] = part.data.toString('utf8');
      form[FILES] = parts;
      done(null, form);
    } catch (err) {
      done(err as Error, undefined);
    }
  });

  const page = (reply: FastifyReply, status: number, body: string) => headers(reply, 'text/html; charset=utf-8').code(status).send(body);

  const fail = (reply: FastifyReply, ctx: PageContext, err: unknown, back: string) => {
    const known = refusal(err);
    if (!known) throw err;
    return page(reply, known.status, layout({ ...ctx, error: known.message }, null, 'Not done', html`<p><a href="${back}">Back</a></p>`));
  };

  /** A signed-in page: 401 without a live session. */
  const view = (path: string, render: (req: FastifyRequest, ctx: PageContext) => Promise<string>) => {
    fastify.get(`${CONSOLE_PATH}${path}`, async (req, reply) => {
      const session = await auth.session(cookieOf(req));
      if (!session) return page(reply, 401, signedOutPage('You are not signed in, or your session has ended.'));
      const query = req.query as Record<string, string | undefined>;
      const notice = query.notice && Object.hasOwn(NOTICES, query.notice) ? NOTICES[query.notice as Notice] : null;
      const ctx: PageContext = { csrf: session.csrf, notice };
      try {
        return page(reply, 200, await render(req, ctx));
      } catch (err) {
        return fail(reply, ctx, err, `${CONSOLE_PATH}/`);
      }
    });
  };

  /** A change: session, CSRF check, then the service; answered by a redirect to the page that shows the result. */
  const change = (path: string, back: (req: FastifyRequest) => string, act: (form: Form, req: FastifyRequest) => Promise<{ to: string; notice: Notice }>) => {
    fastify.post(`${CONSOLE_PATH}${path}`, async (req, reply) => {
      const session = await auth.session(cookieOf(req));
      if (!session) return page(reply, 401, signedOutPage('You are not signed in, or your session has ended.'));
      const form = formOf(req);
      const ctx: PageContext = { csrf: session.csrf };
      const refused = csrfRefusal(req, session, form);
      if (refused) return page(reply, 403, layout({ ...ctx, error: refused }, null, 'Not done', html`<p><a href="${back(req)}">Back</a></p>`));
      try {
        // Recorded in the audit log as the console's, as the CLI's changes are recorded as the CLI's.
        const done = await actingAs('console', () => act(form, req));
        return headers(reply, 'text/plain; charset=utf-8').redirect(`${done.to}${done.to.includes('?') ? '&' : '?'}notice=${done.notice}`, 303);
      } catch (err) {
        return fail(reply, ctx, err, back(req));
      }
    });
  };

  const roomParam = (req: FastifyRequest) => token.parse((req.params as { token: string }).token);
  const roomPath = (t: string) => `${CONSOLE_PATH}/rooms/${encodeURIComponent(t)}`;

  // ---- sign-in, sign-out, assets

  fastify.get(`${CONSOLE_PATH}/login`, async (req, reply) => {
    const loginToken = (req.query as { token?: string }).token ?? '';
    const redeemed = await auth.redeem(loginToken);
    if (!redeemed) return page(reply, 403, signedOutPage('This sign-in link is not valid: it was used already, has expired, or was never made.'));
    return headers(reply, 'text/plain; charset=utf-8')
      .header('Set-Cookie', sessionCookie(req, redeemed.cookie, deps.config.CONSOLE_SESSION_TTL))
      .redirect(`${CONSOLE_PATH}/`, 303);
  });

  fastify.post(`${CONSOLE_PATH}/logout`, async (req, reply) => {
    const cookie = cookieOf(req);
    const session = await auth.session(cookie);
    if (!session) return page(reply, 401, signedOutPage('You are not signed in.'));
    const refused = csrfRefusal(req, session, formOf(req));
    if (refused) return page(reply, 403, signedOutPage(refused));
    await auth.signOut(cookie!);
    return page(reply.header('Set-Cookie', sessionCookie(req, '', 0)), 200, signedOutPage('You are signed out.'));
  });

  fastify.get(`${CONSOLE_PATH}`, (_req, reply) => reply.redirect(`${CONSOLE_PATH}/`, 301));
  fastify.get(`${CONSOLE_PATH}/static/console.css`, (_req, reply) => headers(reply, 'text/css; charset=utf-8', 'no-cache').send(CONSOLE_CSS));
  fastify.get(`${CONSOLE_PATH}/static/favicon.svg`, (_req, reply) => headers(reply, 'image/svg+xml', 'no-cache').send(FAVICON_SVG));
  fastify.get(`${CONSOLE_PATH}/static/console.js`, (_req, reply) => headers(reply, 'text/javascript; charset=utf-8', 'no-cache').send(CONSOLE_JS));

  // ---- overview and rooms

  view('/', async (_req, ctx) => overviewPage(ctx, await service.overview(deps.checks, deps.timeoutMs)));
  view('/rooms', async (_req, ctx) => roomsPage(ctx, await service.listings()));
  view('/rooms/:token', async (req, ctx) => {
    const t = roomParam(req);
    return roomPage(ctx, await service.listing(t), await service.roomPolicy(t));
  });

  fastify.get(`${CONSOLE_PATH}/rooms/:token/image`, async (req, reply) => {
    if (!(await auth.session(cookieOf(req)))) return page(reply, 401, signedOutPage('You are not signed in.'));
    const parsed = token.safeParse((req.params as { token: string }).token);
    const file = parsed.success ? await service.roomImage(parsed.data).catch(() => null) : null;
    if (!file) return headers(reply, 'text/plain; charset=utf-8').code(404).send('No room image');
    const chunks: Buffer[] = [];
    for await (const chunk of file.body) chunks.push(chunk as Buffer);
    const bytes = Buffer.concat(chunks);
    return headers(reply, imageContentType(bytes), 'private, no-cache').send(bytes);
  });

  change(
    '/rooms',
    () => `${CONSOLE_PATH}/rooms`,
    async (form) => {
      const f = z.object({ token, name: z.string().trim().optional(), description: z.string().optional() }).parse(form);
      const room = await service.createRoom(f.token, f.name || undefined, f.description?.trim() ? f.description.replace(/\r\n/g, '\n') : undefined);
      return { to: roomPath(room.token), notice: 'created' };
    },
  );
  change(
    '/rooms/:token',
    (req) => roomPath((req.params as { token: string }).token),
    async (form, req) => {
      const t = roomParam(req);
      const f = z
        .object({
          name: z.string().trim().min(1, 'A room needs a name'),
          description: z.string(),
          default_read: checkbox,
          default_accessible: checkbox,
          default_write: checkbox,
          default_upload: checkbox,
        })
        .parse(form);
      const description = f.description.replace(/\r\n/g, '\n');
      await service.updateRoom(t, {
        name: f.name,
        description: description.trim() === '' ? null : description,
        defaults: { read: f.default_read, accessible: f.default_accessible, write: f.default_write, upload: f.default_upload },
      });
      return { to: roomPath(t), notice: 'saved' };
    },
  );
  change(
    '/rooms/:token/image',
    (req) => roomPath((req.params as { token: string }).token),
    async (form, req) => {
      const t = roomParam(req);
      const image = uploaded(form, 'image', 'Choose an image file');
      await service.setImage(t, Buffer.from(image.data), image.filename || 'image');
      return { to: roomPath(t), notice: 'image' };
    },
  );
  // Room policy: empty fields go back to the server default; the services check ranges and patterns.
  const roomBack = (req: FastifyRequest) => roomPath((req.params as { token: string }).token);
  change('/rooms/:token/moderation', roomBack, async (form, req) => {
    const t = roomParam(req);
    const f = z
      .object({
        held_mode: blank(z.enum(HELD_MODES)),
        report_threshold: blank(z.coerce.number().int()),
        new_user_posts: blank(z.coerce.number().int()),
        new_user_age: blank(z.string().transform((v) => (v.trim() === '0' ? 0 : Math.round(parseDuration(v))))),
        approve_emoji: blank(z.string().trim()),
        reject_emoji: blank(z.string().trim()),
        report_emoji: blank(z.string().trim()),
      })
      .parse(form);
    await service.setRoomModeration(t, {
      heldMode: f.held_mode,
      reportThreshold: f.report_threshold,
      newUserPosts: f.new_user_posts,
      newUserAge: f.new_user_age,
      approveEmoji: f.approve_emoji,
      rejectEmoji: f.reject_emoji,
      reportEmoji: f.report_emoji,
    });
    return { to: roomPath(t), notice: 'moderation-saved' };
  });
  change('/rooms/:token/policy', roomBack, async (form, req) => {
    const t = roomParam(req);
    const n = blank(z.coerce.number().int());
    const lines = blank(
      z.string().transform((v) =>
        v
          .split(/[\r\n]+/)
          .map((l) => l.trim())
          .filter(Boolean),
      ),
    );
    const act = z.enum(RULE_ACTIONS);
    const f = z
      .object({
        max_chars: n,
        max_chars_action: act,
        mentions: n,
        mentions_action: act,
        words: lines,
        words_action: act,
        patterns: lines,
        patterns_action: act,
        unreadable: blank(z.enum(UNREADABLE_ACTIONS)),
        links: blank(z.enum(UNREADABLE_ACTIONS)),
        new_user_attachments: blank(z.enum(UNREADABLE_ACTIONS)),
        slow_posts: n,
        slow_seconds: n,
        quota_posts: n,
        quota_bytes: n,
        quota_reactions: n,
      })
      .parse(form);
    await service.setContentPolicy(t, {
      maxChars: { limit: f.max_chars, action: f.max_chars_action },
      mentions: { limit: f.mentions, action: f.mentions_action },
      words: { list: f.words, action: f.words_action },
      patterns: { list: f.patterns, action: f.patterns_action },
      unreadable: f.unreadable,
      links: f.links,
      newUserAttachments: f.new_user_attachments,
      slowMode: { posts: f.slow_posts, seconds: f.slow_seconds },
      quotas: { postsPerDay: f.quota_posts, uploadBytesPerDay: f.quota_bytes, reactionsPerMinute: f.quota_reactions },
    });
    return { to: roomPath(t), notice: 'policy-saved' };
  });
  change('/rooms/:token/lockdown', roomBack, async (form, req) => {
    const t = roomParam(req);
    const f = z.object({ for: z.string().transform((v) => parseDuration(v)), reason: z.string().optional() }).parse(form);
    await service.lockdown(t, f.for, f.reason?.trim() || null);
    return { to: roomPath(t), notice: 'locked-down' };
  });
  change('/rooms/:token/unlock', roomBack, async (_form, req) => {
    const t = roomParam(req);
    return { to: roomPath(t), notice: (await service.unlock(t)) ? 'unlocked' : 'not-locked' };
  });
  change(
    '/rooms/:token/delete',
    (req) => roomPath((req.params as { token: string }).token),
    async (form, req) => {
      await service.deleteRoom(roomParam(req), z.object({ confirm: z.string() }).parse(form).confirm);
      return { to: `${CONSOLE_PATH}/rooms`, notice: 'deleted' };
    },
  );
  change(
    '/rooms/:token/moderators',
    (req) => roomPath((req.params as { token: string }).token),
    async (form, req) => {
      const t = roomParam(req);
      const f = z.object({ session_id: sessionId, admin: checkbox, hidden: checkbox }).parse(form);
      await service.addModerator(t, f.session_id, { admin: f.admin, visible: !f.hidden });
      return { to: roomPath(t), notice: 'moderator-added' };
    },
  );
  change(
    '/rooms/:token/moderators/remove',
    (req) => roomPath((req.params as { token: string }).token),
    async (form, req) => {
      const t = roomParam(req);
      await service.removeModerator(t, z.object({ session_id: sessionId }).parse(form).session_id);
      return { to: roomPath(t), notice: 'moderator-removed' };
    },
  );

  // ---- queue: held posts and reports

  const queuePath = (room?: string) => `${CONSOLE_PATH}/queue${room ? `?room=${encodeURIComponent(room)}` : ''}`;
  view('/queue', async (req, ctx) => {
    const room = (req.query as { room?: string }).room;
    const t = room ? token.parse(room) : null;
    return queuePage(
      ctx,
      (await service.listings()).map((r) => r.token),
      t,
      await service.queue(t),
    );
  });
  change(
    '/queue/decide',
    (req) => queuePath(formOf(req).room),
    async (form) => {
      const f = z.object({ id: z.coerce.number().int().min(0), kind: z.enum(['held', 'report']), decision: z.enum(['approve', 'reject']), room: token.optional() }).parse(form);
      await service.decide(f.id, f.decision === 'approve');
      const notice = f.kind === 'held' ? (f.decision === 'approve' ? 'approved' : 'rejected') : f.decision === 'approve' ? 'dismissed' : 'upheld';
      return { to: queuePath(f.room), notice };
    },
  );

  // ---- people and bans

  view('/people', async (req, ctx) => {
    const q = (req.query as { id?: string }).id?.trim() ?? '';
    const rooms = (await service.listings()).map((r) => r.token);
    if (q === '') return peoplePage(ctx, '', null, rooms);
    const id = sessionId.safeParse(q);
    if (!id.success) return peoplePage({ ...ctx, error: id.error.issues[0].message }, q, null, rooms);
    return peoplePage(ctx, id.data, await service.person(id.data), rooms);
  });
  const personPath = (id: string) => `${CONSOLE_PATH}/people?id=${encodeURIComponent(id)}`;
  const idFrom = (req: FastifyRequest) => personPath(formOf(req).session_id ?? '');
  change('/people/ban', idFrom, async (form) => {
    const f = z.object({ session_id: sessionId, scope, duration: z.string().trim().optional() }).parse(form);
    await service.ban(f.session_id, f.scope, f.duration ? parseDuration(f.duration) : null);
    return { to: personPath(f.session_id), notice: 'banned' };
  });
  change('/people/unban', idFrom, async (form) => {
    const f = z.object({ session_id: sessionId, scope }).parse(form);
    await service.unban(f.session_id, f.scope);
    return { to: personPath(f.session_id), notice: 'unbanned' };
  });
  change('/people/mute', idFrom, async (form) => {
    const f = z.object({ session_id: sessionId, scope, duration: z.string(), reason: z.string().optional() }).parse(form);
    await service.mute(f.session_id, f.scope, parseDuration(f.duration), f.reason ?? null);
    return { to: personPath(f.session_id), notice: 'muted' };
  });
  change('/people/unmute', idFrom, async (form) => {
    const f = z.object({ session_id: sessionId, scope }).parse(form);
    await service.unmute(f.session_id, f.scope);
    return { to: personPath(f.session_id), notice: 'unmuted' };
  });
  change('/people/trust', idFrom, async (form) => {
    const f = z.object({ session_id: sessionId, scope, trusted: z.enum(['on', 'off']) }).parse(form);
    await service.setTrusted(f.session_id, f.scope, f.trusted === 'on');
    return { to: personPath(f.session_id), notice: f.trusted === 'on' ? 'trusted' : 'untrusted' };
  });
  view('/bans', async (_req, ctx) => bansPage(ctx, await service.bans()));
  change(
    '/bans/lift',
    () => `${CONSOLE_PATH}/bans`,
    async (form) => {
      const f = z.object({ session_id: sessionId, scope }).parse(form);
      await service.unban(f.session_id, f.scope);
      return { to: `${CONSOLE_PATH}/bans`, notice: 'lifted' };
    },
  );

  // ---- files

  view('/files', async (req, ctx) => {
    const room = (req.query as { room?: string }).room;
    const t = room ? token.parse(room) : null;
    return filesPage(ctx, await service.listings(), t, await service.largestFiles(t), await service.blocked());
  });
  change(
    '/files/delete',
    () => `${CONSOLE_PATH}/files`,
    async (form) => {
      await service.deleteFile(z.object({ id: z.coerce.number().int().min(0) }).parse(form).id);
      return { to: `${CONSOLE_PATH}/files`, notice: 'file-deleted' };
    },
  );

  // ---- attachment blocklist

  const blocklistBack = () => `${CONSOLE_PATH}/files#blocklist-h`;
  const blockReason = z
    .string()
    .optional()
    .transform((r) => (r?.trim() ? r : null));
  change('/files/blocklist', blocklistBack, async (form) => {
    const f = z.object({ sha256: z.string(), reason: blockReason }).parse(form);
    const done = await service.block(f.sha256, f.reason);
    return { to: `${CONSOLE_PATH}/files`, notice: done.added ? 'blocked' : 'already-blocked' };
  });
  change('/files/blocklist/upload', blocklistBack, async (form) => {
    const file = uploaded(form, 'file', 'Choose a file');
    const done = await service.blockContent(file.data, blockReason.parse(form.reason));
    return { to: `${CONSOLE_PATH}/files`, notice: done.added ? 'blocked' : 'already-blocked' };
  });
  change('/files/block', blocklistBack, async (form) => {
    const f = z.object({ id: z.coerce.number().int().min(0), room: token }).parse(form);
    const done = await service.blockFile(f.id, f.room);
    return { to: `${CONSOLE_PATH}/files`, notice: done.added ? 'blocked' : 'already-blocked' };
  });
  change('/files/blocklist/remove', blocklistBack, async (form) => {
    await service.unblock(z.object({ sha256: z.string() }).parse(form).sha256);
    return { to: `${CONSOLE_PATH}/files`, notice: 'unblocked' };
  });

  // ---- audit log

  view('/audit', async (req, ctx) => {
    const { query, filter } = auditFilterOf(req.query as Record<string, string | undefined>);
    return auditPage(
      ctx,
      query,
      (await service.listings()).map((r) => r.token),
      await service.auditLog(filter),
    );
  });
  fastify.get(`${CONSOLE_PATH}/audit.csv`, async (req, reply) => {
    if (!(await auth.session(cookieOf(req)))) return page(reply, 401, signedOutPage('You are not signed in.'));
    let filter: AuditFilter;
    try {
      filter = auditFilterOf(req.query as Record<string, string | undefined>).filter;
    } catch (err) {
      return headers(reply, 'text/plain; charset=utf-8')
        .code(400)
        .send(refusal(err)?.message ?? 'Bad filter');
    }
    const stamp = new Date().toISOString().slice(0, 19).replace(/[-:]/g, '').replace('T', '-');
    return headers(reply, 'text/csv; charset=utf-8')
      .header('Content-Disposition', `attachment; filename="audit-${stamp}.csv"`)
      .send(auditCsv(await service.auditLog(filter)));
  });
}
