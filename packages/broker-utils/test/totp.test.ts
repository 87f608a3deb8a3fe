import { InvalidInputError, Secret } from '@tokens/core';
import { describe, expect, it } from 'vitest';
import { generateTotp, totpTimeRemainingMs } from '../src';

// RFC 4648 base32, written here so the vectors do not depend on the library under test.
function base32(ascii: string): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const byte of Buffer.from(ascii, 'ascii')) bits += byte.toString(2).padStart(8, '0');
  let out = '';
  for (let i = 0; i < bits.length; i += 5) out += alphabet[parseInt(bits.slice(i, i + 5).padEnd(5, '0'), 2)];
  return out;
}

const keys = {
  SHA1: base32('12345678901234567890'),
  SHA256: base32('12345678901234567890123456789012'),
  SHA512: base32('1234567890123456789012345678901234567890123456789012345678901234'),
} as const;

// RFC 6238 Appendix B.
const vectors: [number, string, string, string][] = [
  [59, '94287082', '46119246', '90693936'],
  [1111111109, '07081804', '68084774', '25091201'],
  [1111111111, '14050471', '67062674', '99943326'],
  [1234567890, '89005924', '91819424', '93441116'],
  [2000000000, '69279037', '90698825', '38618901'],
  [20000000000, '65353130', '77737706', '47863826'],
];

describe('generateTotp', () => {
  it('uses the RFC base32 key', () => {
    expect(keys.SHA1).toBe('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ');
  });

  it.each(vectors)('RFC 6238 T=%i', (t, sha1, sha256, sha512) => {
    const now = t * 1000;
    expect(generateTotp({ secret: keys.SHA1, now, digits: 8 }).reveal()).toBe(sha1);
    expect(generateTotp({ secret: new Secret(keys.SHA256), now, digits: 8, algorithm: 'SHA256' }).reveal()).toBe(sha256);
    expect(generateTotp({ secret: keys.SHA512, now, digits: 8, algorithm: 'SHA512' }).reveal()).toBe(sha512);
  });

  it('defaults to 6 digits, 30 s, SHA1 and returns a redacting Secret', () => {
    const code = generateTotp({ secret: keys.SHA1, now: 59_000 });
    expect(code.reveal()).toBe('287082');
    expect(String(code)).toBe('[redacted]');
  });

  it('accepts setup keys with spaces, dashes, lower case and padding', () => {
    const pretty = 'gezd gnbv-gy3t qojq gezd gnbv gy3t qojq==';
    expect(generateTotp({ secret: pretty, now: 59_000 }).reveal()).toBe('287082');
  });

  it.each(['NOT-BASE32-18!', 'ABC1', ''])('rejects %j without echoing it', (secret) => {
    let error: unknown;
    try {
      generateTotp({ secret, now: 0 });
    } catch (e) {
      error = e;
    }
    expect(InvalidInputError.isInstance(error)).toBe(true);
    expect((error as Error).message).toBe('TOTP secret is not valid base32; copy the setup key shown by the broker.');
  });

  it('time remaining in the window', () => {
    expect(totpTimeRemainingMs(59_000)).toBe(1000);
    expect(totpTimeRemainingMs(60_000)).toBe(30_000);
  });
});
