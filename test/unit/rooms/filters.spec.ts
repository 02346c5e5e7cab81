import { alphabetHit, foldText, profanityMatcher, sessionText, unpad } from '../../../src/rooms/message-filter';

/** Minimal protobuf writer for a Session Content { dataMessage { body, profile { displayName } } }. */
function field(num: number, bytes: Uint8Array): Uint8Array {
  const varint = (n: number) => {
    const out: number[] = [];
    while (n > 0x7f) {
      out.push((n & 0x7f) | 0x80);
      n >>>= 7;
    }
    out.push(n);
    return out;
  };
  return new Uint8Array([...varint((num << 3) | 2), ...varint(bytes.length), ...bytes]);
}
const enc = (s: string) => new TextEncoder().encode(s);
function content(body: string, name: string): Uint8Array {
  const dm = new Uint8Array([...field(1, enc(body)), ...field(101, field(1, enc(name)))]);
  return new Uint8Array([...field(1, dm), 0x80, 0, 0, 0]);
}

describe('Session padding (protocol §7.5)', () => {
  it('strips zeros and one 0x80', () => {
    expect([...unpad(new Uint8Array([1, 0x80, 0, 0]))]).toEqual([1]);
    expect([...unpad(new Uint8Array([1, 2]))]).toEqual([1, 2]);
    expect([...unpad(new Uint8Array([0x80, 0x80]))]).toEqual([0x80]);
  });
});

describe('sessionText', () => {
  it('reads body and display name of a padded Content', () => {
    expect(sessionText(content('hello there', 'Alice'))).toEqual({ body: 'hello there', displayName: 'Alice' });
  });
  it('yields empty strings for non-protobuf bytes', () => {
    expect(sessionText(new Uint8Array([0xff, 0xff, 0xff]))).toEqual({ body: '', displayName: '' });
  });
});

describe('profanity matching with folding (protocol §9.2)', () => {
  const profane = profanityMatcher(['darn', 'blow job']);
  it('matches whole words and phrases only', () => {
    expect(profane('well darn it')).toBe(true);
    expect(profane('a blow job')).toBe(true);
    expect(profane('darnation')).toBe(false);
    expect(profane('clean text')).toBe(false);
  });
  it('does not let look-alike characters bypass the list', () => {
    expect(profane('well dаrn it')).toBe(true); // Cyrillic а
    expect(profane('ＤＡＲＮ')).toBe(true); // full-width
    expect(profane('𝐝𝐚𝐫𝐧!')).toBe(true); // mathematical bold
    expect(profane('d\u200barn')).toBe(true); // zero-width space
  });
  it('folds to lower-case Latin without accents', () => {
    expect(foldText('ＨéＬＬＯ')).toBe('hello');
  });
});

describe('alphabet filters', () => {
  it('detects scripts', () => {
    expect(alphabetHit('привет', ['cyrillic'])).toBe('cyrillic');
    expect(alphabetHit('سلام', ['arabic'])).toBe('arabic');
    expect(alphabetHit('سلام', ['persian'])).toBeNull();
    expect(alphabetHit('پ', ['persian'])).toBe('persian');
    expect(alphabetHit('hello', ['arabic', 'cyrillic'])).toBeNull();
  });
});
