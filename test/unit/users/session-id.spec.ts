import { ANY_SESSION_ID, BLIND_SESSION_ID } from '../../../src/protocol/constants';
import { normaliseSessionId } from '../../../src/users/session-id';
import { isSystemUser, systemSessionId } from '../../../src/users/system-user';
import { parseScope } from '../../../src/moderation/moderation.service';

const hex64 = 'ab'.repeat(32);

describe('session id patterns (protocol §2.2)', () => {
  it('AnySessionID accepts 05 and 15 in any case, nothing else', () => {
    expect(ANY_SESSION_ID.test('05' + hex64)).toBe(true);
    expect(ANY_SESSION_ID.test('15' + hex64.toUpperCase())).toBe(true);
    expect(ANY_SESSION_ID.test('25' + hex64)).toBe(false);
    expect(ANY_SESSION_ID.test('ff' + hex64)).toBe(false);
    expect(ANY_SESSION_ID.test('05' + hex64 + 'a')).toBe(false);
  });

  it('BlindSessionID accepts 15 only', () => {
    expect(BLIND_SESSION_ID.test('15' + hex64)).toBe(true);
    expect(BLIND_SESSION_ID.test('05' + hex64)).toBe(false);
  });

  it('ids are lowercased so one user is one row (protocol §13)', () => {
    expect(normaliseSessionId('15' + hex64.toUpperCase())).toBe('15' + hex64);
  });
});

describe('system user (protocol §2.1)', () => {
  it('is ff + server pubkey with id 0', () => {
    expect(systemSessionId(hex64.toUpperCase())).toBe('ff' + hex64);
    expect(isSystemUser({ id: 0 })).toBe(true);
    expect(isSystemUser({ id: 1 })).toBe(false);
  });
});

describe('parseScope (protocol §6.8 rooms|global)', () => {
  it('accepts exactly one of a room list and global', () => {
    expect(parseScope({ rooms: ['a', 'b'] })).toEqual({ rooms: ['a', 'b'] });
    expect(parseScope({ rooms: ['*'] })).toEqual({ rooms: ['*'] });
    expect(parseScope({ global: true })).toEqual({ global: true });
    expect(parseScope({ rooms: ['a'], global: false })).toEqual({ rooms: ['a'] });
  });

  it.each([
    ['both', { rooms: ['a'], global: true }],
    ['neither', {}],
    ['global false alone', { global: false }],
    ['empty list', { rooms: [] }],
    ['* mixed with tokens', { rooms: ['*', 'a'] }],
  ])('rejects %s with 400', (_name, body) => {
    expect(() => parseScope(body)).toThrow(expect.objectContaining({ status: 400 }));
  });
});
