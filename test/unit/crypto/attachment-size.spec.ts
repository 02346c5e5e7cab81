import { attachmentPadding, ATTACHMENT_MAX_ENCRYPTED, ATTACHMENT_MAX_PLAINTEXT, encryptedAttachmentSize } from '../../../src/crypto/attachment-size';

// protocol §9.1: libsession's attachment padding, checked against the sizes libsession documents.
describe('attachment padding (protocol §9.1)', () => {
  it('gives the sizes libsession documents', () => {
    // Its worked example: 1,000,000 bytes → 1,015,808 (15,256 bytes of padding with the 24-byte header).
    expect(encryptedAttachmentSize(1_000_000)).toBe(1_015_808);
    expect(attachmentPadding(1_000_000)).toBe(15_256);
    // A 10,000,000-byte file and MAX_REGULAR_SIZE pad to the same 10,223,616.
    expect(encryptedAttachmentSize(10_000_000)).toBe(10_223_616);
    expect(ATTACHMENT_MAX_ENCRYPTED).toBe(10_223_616);
    // An empty file still carries one byte of padding, in one 4 KiB step.
    expect(encryptedAttachmentSize(0)).toBe(4096);
    expect(encryptedAttachmentSize(ATTACHMENT_MAX_PLAINTEXT + 1)).toBeGreaterThan(ATTACHMENT_MAX_ENCRYPTED);
  });

  it('no file a client accepts uploads as more than ATTACHMENT_MAX_ENCRYPTED, and sizes only grow', () => {
    // Every size near the top (the last padding steps) and a stride through the rest.
    const sizes: number[] = [];
    for (let n = 0; n < ATTACHMENT_MAX_PLAINTEXT - 300_000; n += 997) sizes.push(n);
    for (let n = ATTACHMENT_MAX_PLAINTEXT - 300_000; n <= ATTACHMENT_MAX_PLAINTEXT; n++) sizes.push(n);
    let largest = 0;
    let previous = 0;
    let shrinks = 0;
    for (const n of sizes) {
      const size = encryptedAttachmentSize(n);
      if (size < previous) shrinks++;
      if (size > largest) largest = size;
      previous = size;
    }
    expect(shrinks).toBe(0);
    expect(largest).toBe(ATTACHMENT_MAX_ENCRYPTED);
  });

  it('always pads at least one byte and lands on the step of its size', () => {
    for (const n of [1, 32_767, 32_768, 32_769, 131_000, 4_194_303, 4_194_304, 9_999_999]) {
      expect(attachmentPadding(n)).toBeGreaterThanOrEqual(1);
      const size = encryptedAttachmentSize(n);
      const step = 2 ** Math.floor(Math.log2(Math.max(size, 131_072))) / 32;
      expect(size % step).toBe(0);
    }
  });
});
