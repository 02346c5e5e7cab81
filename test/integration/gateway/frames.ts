import { bdecodeList, buildOnionFrame, bytesToHex, onionDecrypt, onionEncrypt, onionKeyFromSecret, x25519KeyPair, x25519SharedSecret, type EncType } from '../../../src/crypto';

/**
 * Hand-made onion frames for gateway tests that need plaintexts or frames no well-behaved client
 * sends (SogsClient covers the well-formed ones).
 */
export interface SealedFrame {
  frame: Buffer;
  /** Decrypts a reply with this frame's key; null if it does not decrypt. */
  open(reply: Uint8Array): Uint8Array | null;
}

export function sealFrame(serverPubkey: Uint8Array, plaintext: Uint8Array, encType: EncType = 'aes-gcm', meta: Record<string, unknown> = {}): SealedFrame {
  const eph = x25519KeyPair();
  const key = onionKeyFromSecret(encType, x25519SharedSecret(eph.privateKey, serverPubkey), eph.publicKey, serverPubkey);
  const frame = buildOnionFrame(onionEncrypt(encType, key, plaintext), { ephemeral_key: bytesToHex(eph.publicKey), enc_type: encType, ...meta });
  return { frame, open: (reply) => onionDecrypt(encType, key, reply) };
}

export interface OuterResponse {
  status: number;
  contentType: string | null;
  body: Buffer;
}

export async function postFrame(baseUrl: string, frame: Uint8Array, path = '/oxen/v4/lsrpc', contentType: string | null = 'application/octet-stream'): Promise<OuterResponse> {
  const res = await fetch(baseUrl + path, { method: 'POST', body: frame, headers: contentType ? { 'content-type': contentType } : {} });
  return { status: res.status, contentType: res.headers.get('content-type'), body: Buffer.from(await res.arrayBuffer()) };
}

/** The `{code, headers}` and body of a v4 reply plaintext. */
export function v4Reply(plain: Uint8Array): { meta: { code: number; headers: Record<string, string> }; body: Buffer } {
  const [meta, body] = bdecodeList(plain);
  return { meta: JSON.parse(meta.toString('utf8')) as { code: number; headers: Record<string, string> }, body };
}
