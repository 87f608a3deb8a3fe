import { createHmac, timingSafeEqual } from 'node:crypto';

// An independent RFC 6238 implementation (not the adapter's otpauth), so the fake actually
// checks what the adapter sends instead of agreeing with it by construction.

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** Decodes a base32 setup key (spaces, dashes, lower case and `=` padding allowed). */
export function base32Decode(text: string): Buffer {
  const clean = text.replace(/[\s-]/g, '').replace(/=+$/, '').toUpperCase();
  let bits = 0;
  let value = 0;
  const out: number[] = [];
  for (const ch of clean) {
    const index = ALPHABET.indexOf(ch);
    if (index < 0) throw new Error('invalid base32 character in TOTP secret');
    value = (value << 5) | index;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

export type TotpHash = 'sha1' | 'sha256' | 'sha512';

/** RFC 4226 HOTP for one counter value. */
export function hotp(key: Buffer, counter: number, digits = 6, hash: TotpHash = 'sha1'): string {
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac(hash, key).update(message).digest();
  const offset = mac[mac.length - 1]! & 0x0f;
  const binary = ((mac[offset]! & 0x7f) << 24) | (mac[offset + 1]! << 16) | (mac[offset + 2]! << 8) | mac[offset + 3]!;
  return (binary % 10 ** digits).toString().padStart(digits, '0');
}

/** RFC 6238 TOTP at `nowMs`. */
export function totpAt(key: Buffer, nowMs: number, options: { digits?: number; periodSeconds?: number; hash?: TotpHash } = {}): string {
  const period = options.periodSeconds ?? 30;
  return hotp(key, Math.floor(nowMs / 1000 / period), options.digits ?? 6, options.hash ?? 'sha1');
}

/** True when `code` matches the step at `nowMs` or one step either side (the usual clock-drift window). */
export function verifyTotp(key: Buffer, code: string, nowMs: number, window = 1): boolean {
  if (!/^\d{6}$/.test(code)) return false;
  const step = Math.floor(nowMs / 30_000);
  let ok = false;
  for (let d = -window; d <= window; d++) {
    const expected = Buffer.from(hotp(key, step + d));
    // No early exit: the time taken does not tell which step matched.
    if (timingSafeEqual(expected, Buffer.from(code))) ok = true;
  }
  return ok;
}
