// Room-test fixtures (protocol §14 pysogs conftest equivalents) written straight to the database, so
// room tests do not depend on the moderation endpoints.
import { randomBytes } from 'node:crypto';
import type { SogsClient, SogsResponse } from '../../src/client';
import type { TestContext } from './context';

type Defaults = Partial<Record<'read' | 'accessible' | 'write' | 'upload', boolean>>;

export async function createRoom(ctx: TestContext, token: string, opts: Defaults & { name?: string; description?: string } = {}) {
  return ctx.prisma.room.create({ data: { token, name: opts.name ?? token, ...opts } });
}

/** The user row of a client (created like the auth step would). */
export async function userOf(ctx: TestContext, client: SogsClient) {
  const sessionId = client.sessionId!;
  return ctx.prisma.user.upsert({ where: { sessionId }, create: { sessionId }, update: {} });
}

async function roomId(ctx: TestContext, token: string): Promise<number> {
  const room = await ctx.prisma.room.findFirstOrThrow({ where: { token } });
  return room.id;
}

/** Sets fields of a user's override row in a room. */
export async function setOverride(
  ctx: TestContext,
  token: string,
  client: SogsClient,
  fields: Partial<Record<'read' | 'accessible' | 'write' | 'upload', boolean | null>> & { banned?: boolean; moderator?: boolean; admin?: boolean; visibleMod?: boolean },
) {
  const [room, user] = [await roomId(ctx, token), await userOf(ctx, client)];
  await ctx.prisma.userPermissionOverride.upsert({
    where: { roomId_userId: { roomId: room, userId: user.id } },
    create: { roomId: room, userId: user.id, ...fields },
    update: fields,
  });
}

/** Room moderator (or admin); visible unless told otherwise. */
export function grantRoom(ctx: TestContext, token: string, client: SogsClient, opts: { admin?: boolean; visible?: boolean } = {}) {
  return setOverride(ctx, token, client, { moderator: true, admin: opts.admin ?? false, visibleMod: opts.visible ?? true });
}

/** Global moderator (or admin); hidden unless told otherwise (protocol §6.8 default). */
export async function grantGlobal(ctx: TestContext, client: SogsClient, opts: { admin?: boolean; visible?: boolean } = {}) {
  const user = await userOf(ctx, client);
  await ctx.prisma.user.update({ where: { id: user.id }, data: { moderator: true, admin: opts.admin ?? false, visibleMod: opts.visible ?? false } });
}

export function banInRoom(ctx: TestContext, token: string, client: SogsClient) {
  return setOverride(ctx, token, client, { banned: true });
}

export async function banGlobally(ctx: TestContext, client: SogsClient) {
  const user = await userOf(ctx, client);
  await ctx.prisma.user.update({ where: { id: user.id }, data: { banned: true } });
}

/** Padded Session-like message bytes (protocol §7.5) and a random 64-byte "signature". */
export function messageBody(text = `hello ${randomBytes(4).toString('hex')}`): { data: string; signature: string } {
  const raw = Buffer.concat([Buffer.from(text), Buffer.from([0x80]), Buffer.alloc(7)]);
  return { data: raw.toString('base64'), signature: randomBytes(64).toString('base64') };
}

/**
 * A padded Session `Content { dataMessage { body, profile { displayName }? } }` protobuf (protocol §7.5),
 * what the posting filters parse, with a random signature.
 */
export function sessionMessage(body: string, displayName?: string): { data: string; signature: string } {
  const field = (n: number, bytes: Buffer) => Buffer.concat([Buffer.from([(n << 3) | 2]), varint(bytes.length), bytes]);
  // DataMessage.profile is field 101: its key (101 << 3 | 2 = 810) is a two-byte varint.
  const profile = displayName === undefined ? Buffer.alloc(0) : ((p) => Buffer.concat([varint((101 << 3) | 2), varint(p.length), p]))(field(1, Buffer.from(displayName)));
  const content = field(1, Buffer.concat([field(1, Buffer.from(body)), profile]));
  const padded = Buffer.concat([content, Buffer.from([0x80]), Buffer.alloc(159 - (content.length % 160))]);
  return { data: padded.toString('base64'), signature: randomBytes(64).toString('base64') };
}

function varint(n: number): Buffer {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return Buffer.from(out);
}

export interface PostedMessage {
  id: number;
  seqno: number;
  session_id: string;
  posted: number;
  data: string;
  signature: string;
  reactions: Record<string, unknown>;
  filtered?: boolean;
}

/** Posts a message and expects 201. */
export async function post(client: SogsClient, token: string, extra: Record<string, unknown> = {}): Promise<PostedMessage> {
  const res = await client.post(`/room/${token}/message`, { ...messageBody(), ...extra });
  expectStatus(res, 201);
  return res.json<PostedMessage>();
}

export function expectStatus(res: SogsResponse, code: number): void {
  if (res.code !== code) throw new Error(`expected ${code}, got ${res.code}: ${res.text()}`);
}
