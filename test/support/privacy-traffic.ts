import { randomBytes } from 'node:crypto';
import type { SogsClient, SogsRequest } from '../../src/client';
import type { TestContext } from './context';
import { createRoom } from './rooms-fixtures';

/** What a privacy scan looks for: the ids that took part and the strings no log, key or label may hold. */
export interface Traffic {
  /** Session and blinded ids of the users (66 hex). */
  ids: string[];
  /** Nonces (hex and base64), signatures, message data, DM bodies and file names that were sent. */
  secrets: string[];
}

/**
 * Exercises every path that records a user (docs/privacy.md): two blinded users sign in, poll,
 * post, edit, react, upload a named file, send a DM and read it; a bad signature, a missing room and
 * a bad body fail; the file server takes an anonymous upload. Returns what a scan must not find.
 */
export async function privacyTraffic(ctx: TestContext, token = `priv${randomBytes(3).toString('hex')}`): Promise<Traffic> {
  await createRoom(ctx, token);
  const [alice, bob] = [ctx.newUser(), ctx.newUser()];
  const traffic: Traffic = { ids: [alice.sessionId!, bob.sessionId!], secrets: [] };
  const send = async (client: SogsClient, req: SogsRequest, expected: number, tamper = false) => {
    const nonce = new Uint8Array(randomBytes(16));
    const headers = tamper ? { ...client.signHeaders(req.method, req.path), 'X-SOGS-Signature': randomBytes(64).toString('base64') } : undefined;
    traffic.secrets.push(Buffer.from(nonce).toString('hex'), Buffer.from(nonce).toString('base64'));
    const res = await client.request({ ...req, nonce, headers: { ...req.headers, ...headers } });
    if (res.code !== expected) throw new Error(`${req.method} ${req.path} answered ${res.code}, not ${expected}: ${res.text()}`);
    return res;
  };
  const message = () => {
    const data = Buffer.concat([Buffer.from(`secret ${randomBytes(12).toString('hex')}`), Buffer.from([0x80])]).toString('base64');
    const signature = randomBytes(64).toString('base64');
    traffic.secrets.push(data, signature);
    return { data, signature };
  };

  for (const user of [alice, bob]) {
    await send(user, { method: 'GET', path: `/room/${token}/pollInfo/0` }, 200);
    await send(user, { method: 'GET', path: `/room/${token}/messages/recent` }, 200);
  }
  const filename = `holiday-${randomBytes(6).toString('hex')}.jpg`;
  traffic.secrets.push(filename);
  const upload = await send(
    alice,
    { method: 'POST', path: `/room/${token}/file`, body: randomBytes(100), headers: { 'Content-Disposition': `attachment; filename="${filename}"` } },
    201,
  );
  const fileId = upload.json<{ id: number }>().id;
  const posted = await send(alice, { method: 'POST', path: `/room/${token}/message`, json: { ...message(), files: [fileId] } }, 201);
  const id = posted.json<{ id: number }>().id;
  await send(alice, { method: 'PUT', path: `/room/${token}/message/${id}`, json: message() }, 200);
  await send(bob, { method: 'PUT', path: `/room/${token}/reaction/${id}/🎉` }, 200);
  await send(bob, { method: 'GET', path: `/room/${token}/file/${fileId}/${filename}` }, 200);
  const dm = randomBytes(60).toString('base64');
  traffic.secrets.push(dm);
  await send(bob, { method: 'POST', path: `/inbox/${alice.sessionId}`, json: { message: dm } }, 201);
  await send(alice, { method: 'GET', path: '/inbox' }, 200);
  await send(
    bob,
    {
      method: 'POST',
      path: '/batch',
      json: [
        { method: 'GET', path: `/room/${token}/messages/since/0` },
        { method: 'GET', path: '/outbox' },
      ],
    },
    200,
  );
  await send(alice, { method: 'GET', path: `/room/${token}/messages/recent` }, 401, true);
  await send(bob, { method: 'GET', path: '/room/no-such-room/messages/recent' }, 404);
  await send(bob, { method: 'POST', path: `/room/${token}/message`, json: { data: 'not base64!', signature: 'x' } }, 400);
  await send(ctx.anon(), { method: 'POST', path: '/file', body: randomBytes(64) }, 200);
  return traffic;
}
