import { randomBytes } from 'node:crypto';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BotKeyError, createBotKey, listBotNames, readBotKey } from '../../../src/bots/bot-keys';
import { BlindedMessageError, blind15IdFromSeed, decryptFromBlindedSender, encryptForBlindedRecipient } from '../../../src/crypto';
import { encodeProto } from '../../../src/protocol/protobuf';
import { padMessage, visibleMessageContent } from '../../../src/protocol/session-message';
import { sessionText, unpad } from '../../../src/rooms/message-filter';

describe('protobuf writer', () => {
  test('varints and length-delimited fields as the protobuf encoding defines them', () => {
    expect(Buffer.from(encodeProto([{ field: 1, varint: 300 }])).toString('hex')).toBe('08ac02');
    expect(Buffer.from(encodeProto([{ field: 2, text: 'testing' }])).toString('hex')).toBe('120774657374696e67');
    expect(Buffer.from(encodeProto([{ field: 3, message: [{ field: 1, varint: 150 }] }])).toString('hex')).toBe('1a03089601');
    // field 101 needs a two-byte key; undefined fields are left out
    expect(
      Buffer.from(
        encodeProto([
          { field: 101, bytes: Uint8Array.of(7) },
          { field: 4, text: undefined },
        ]),
      ).toString('hex'),
    ).toBe('aa060107');
    expect(Buffer.from(encodeProto([{ field: 15, varint: 1_700_000_000_123 }])).toString('hex')).toBe('78fbd095ffbc31');
    expect(() => encodeProto([{ field: 1, varint: -1 }])).toThrow(RangeError);
  });
});

describe('Session message', () => {
  test('padding: message, 0x80, zeros, to one short of a multiple of 160 (desktop)', () => {
    for (const [n, len] of [
      [0, 159],
      [157, 159],
      [158, 159],
      [159, 319],
      [318, 319],
      [319, 479],
    ]) {
      const padded = padMessage(new Uint8Array(n).fill(1));
      expect(padded.length).toBe(len);
      expect(padded[n]).toBe(0x80);
      expect(unpad(padded)).toEqual(new Uint8Array(n).fill(1));
    }
  });

  test("the server's own reader gets the body and display name back", () => {
    const content = padMessage(visibleMessageContent({ body: 'héllo 👋', displayName: 'Bot', sentAtMs: 1_700_000_000_000 }));
    expect(sessionText(content)).toEqual({ body: 'héllo 👋', displayName: 'Bot' });
  });
});

describe('blinded DM encryption', () => {
  const server = new Uint8Array(randomBytes(32));
  const alice = new Uint8Array(randomBytes(32));
  const bob = new Uint8Array(randomBytes(32));
  const bobId = blind15IdFromSeed(bob, server);
  const aliceId = blind15IdFromSeed(alice, server);

  test('round trip; the recipient learns the sender is who the blinded id says', () => {
    const body = encryptForBlindedRecipient(alice, server, bobId, Uint8Array.of(1, 2, 3));
    expect(body[0]).toBe(0);
    const opened = decryptFromBlindedSender(bob, server, aliceId, body);
    expect(opened.plaintext).toEqual(Uint8Array.of(1, 2, 3));
    expect(opened.senderSessionId).toMatch(/^05/);
  });

  test('a tampered body, another claimed sender, a wrong version or bad ids are refused', () => {
    const body = encryptForBlindedRecipient(alice, server, bobId, Uint8Array.of(1, 2, 3));
    const tampered = body.slice();
    tampered[5] ^= 1;
    expect(() => decryptFromBlindedSender(bob, server, aliceId, tampered)).toThrow(BlindedMessageError);
    expect(() => decryptFromBlindedSender(bob, server, blind15IdFromSeed(new Uint8Array(randomBytes(32)), server), body)).toThrow(BlindedMessageError);
    const v1 = body.slice();
    v1[0] = 1;
    expect(() => decryptFromBlindedSender(bob, server, aliceId, v1)).toThrow(/version/);
    expect(() => decryptFromBlindedSender(bob, server, aliceId, body.subarray(0, 20))).toThrow(/short/);
    expect(() => encryptForBlindedRecipient(alice, server, `05${'00'.repeat(32)}`, Uint8Array.of(1))).toThrow(BlindedMessageError);
    expect(() => encryptForBlindedRecipient(alice, server, `15${'00'.repeat(32)}`, Uint8Array.of(1))).toThrow(BlindedMessageError);
  });
});

describe('bot keys', () => {
  test('created 0600, read back, listed; names checked; no overwrite', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'bots-')), 'bots');
    const made = createBotKey(dir, 'flood-guard', ' Flood Guard ');
    expect(made.displayName).toBe('Flood Guard');
    expect(statSync(join(dir, 'flood-guard.key')).mode & 0o777).toBe(0o600);
    expect(readBotKey(dir, 'flood-guard')).toEqual(made);
    expect(readBotKey(dir, 'nobody')).toBeNull();
    expect(readBotKey(dir, '../etc')).toBeNull();
    expect(listBotNames(dir)).toEqual(['flood-guard']);
    expect(() => createBotKey(dir, 'flood-guard', 'x')).toThrow(/already exists/);
    expect(() => createBotKey(dir, 'Bad Name', 'x')).toThrow(BotKeyError);
    expect(() => createBotKey(dir, 'ok', '   ')).toThrow(/display name/);
  });
});
