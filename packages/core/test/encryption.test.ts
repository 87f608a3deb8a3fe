import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { decryptTokenSet, encryptTokenSet, EncryptionKey, InvalidConfigError, loadEncryptionKey, Secret, StoreCorruptionError } from '../src';
import type { SerializedTokenSet } from '../src';
import { tempDir } from './fixtures/child';

const hex = randomBytes(32).toString('hex');
const tokenSet: SerializedTokenSet = { accessToken: 'access-canary-7f3a', refreshToken: 'refresh-canary-91b2', expiresAt: 2e12, issuedAt: 1e12 };

function configError(fn: () => unknown): InvalidConfigError {
  try {
    fn();
  } catch (error) {
    expect(InvalidConfigError.isInstance(error)).toBe(true);
    return error as InvalidConfigError;
  }
  throw new Error('expected an InvalidConfigError');
}

function corruption(fn: () => unknown): StoreCorruptionError {
  try {
    fn();
  } catch (error) {
    expect(StoreCorruptionError.isInstance(error)).toBe(true);
    return error as StoreCorruptionError;
  }
  throw new Error('expected a StoreCorruptionError');
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((c) => c()));
});

describe('loadEncryptionKey', () => {
  it('accepts 64 hex chars, base64 and base64url of the same 32 bytes, with the same key id', () => {
    const bytes = Buffer.from(hex, 'hex');
    const a = loadEncryptionKey({ key: hex });
    const b = loadEncryptionKey({ key: bytes.toString('base64') });
    const c = loadEncryptionKey({ key: new Secret(`${bytes.toString('base64url')}\n`) });
    expect(a.kid).toMatch(/^[0-9a-f]{16}$/);
    expect(b.kid).toBe(a.kid);
    expect(c.kid).toBe(a.kid);
    expect(loadEncryptionKey({ key: randomBytes(32).toString('hex') }).kid).not.toBe(a.kid);
  });

  it('reads an environment variable by name', () => {
    const key = loadEncryptionKey({ env: 'MY_KEY', environment: { MY_KEY: hex } });
    expect(key.kid).toBe(loadEncryptionKey({ key: hex }).kid);
    const e = configError(() => loadEncryptionKey({ env: 'MY_KEY', environment: {} }));
    expect(e.message).toContain('environment variable MY_KEY');
    expect(e.message).toContain('openssl rand -hex 32');
  });

  it('rejects malformed keys naming the source, never the key text', () => {
    const bad = 'not-a-key-but-a-secret-password-123';
    const e1 = configError(() => loadEncryptionKey({ key: bad }));
    expect(e1.message).toContain('openssl rand -hex 32');
    expect(e1.message).not.toContain(bad);
    const short = randomBytes(16).toString('hex');
    const e2 = configError(() => loadEncryptionKey({ env: 'K', environment: { K: short } }));
    expect(e2.message).toContain('environment variable K');
    expect(e2.message).not.toContain(short);
    configError(() => loadEncryptionKey({ key: randomBytes(31).toString('base64') }));
    configError(() => loadEncryptionKey({}));
    configError(() => loadEncryptionKey({ key: hex, env: 'K' }));
  });

  it('reads a 0600 key file and refuses a group- or world-readable one', async () => {
    const dir = await tempDir('key');
    cleanups.push(dir.cleanup);
    const file = join(dir.path, 'key');
    await writeFile(file, `${hex}\n`, { mode: 0o600 });
    expect(loadEncryptionKey({ keyFile: file }).kid).toBe(loadEncryptionKey({ key: hex }).kid);
    if (process.platform !== 'win32') {
      const loose = join(dir.path, 'loose');
      await writeFile(loose, hex, { mode: 0o644 });
      const e = configError(() => loadEncryptionKey({ keyFile: loose }));
      expect(e.message).toContain(`chmod 600 ${loose}`);
      expect(e.message).not.toContain(hex);
    }
    const missing = configError(() => loadEncryptionKey({ keyFile: join(dir.path, 'nope') }));
    expect(missing.message).toContain('openssl rand -hex 32');
  });

  it('redacts itself like Secret', () => {
    const key = loadEncryptionKey({ key: hex });
    const b64 = Buffer.from(hex, 'hex').toString('base64');
    for (const text of [String(key), `${key}`, JSON.stringify({ key }), inspect(key, { showHidden: true, depth: 5 }), JSON.stringify(Object.entries(key))]) {
      expect(text).not.toContain(hex);
      expect(text).not.toContain(b64);
    }
    expect(String(key)).toBe('[redacted]');
    expect(EncryptionKey.isInstance(key)).toBe(true);
    expect(EncryptionKey.isInstance({ kid: key.kid })).toBe(false);
  });
});

describe('encryptTokenSet / decryptTokenSet', () => {
  const key = loadEncryptionKey({ key: hex });

  it('round-trips with a fresh IV every time and no plaintext in the envelope', () => {
    const a = encryptTokenSet(key, 'acct', tokenSet);
    const b = encryptTokenSet(key, 'acct', tokenSet);
    expect(a).toMatchObject({ alg: 'aes-256-gcm', kid: key.kid });
    expect(Buffer.from(a.iv, 'base64')).toHaveLength(12);
    expect(Buffer.from(a.tag, 'base64')).toHaveLength(16);
    expect(a.iv).not.toBe(b.iv);
    expect(a.data).not.toBe(b.data);
    expect(JSON.stringify(a)).not.toContain('canary');
    expect(decryptTokenSet(key, 'acct', a)).toEqual(tokenSet);
  });

  it('a different key id is a "wrong key" error (STORE_KEY), not corruption', () => {
    const other = loadEncryptionKey({ key: randomBytes(32).toString('hex') });
    const e = corruption(() => decryptTokenSet(other, 'acct', encryptTokenSet(key, 'acct', tokenSet)));
    expect(e.code).toBe('STORE_KEY');
    expect(e.needsHuman).toBe(true);
    expect(e.message).toMatch(/wrong encryption key/i);
    expect(e.message).toContain(key.kid);
    expect(e.quarantinedTo).toBeUndefined();
  });

  it('a tampered envelope, or one moved to another account, fails authentication as corruption', () => {
    const env = encryptTokenSet(key, 'acct', tokenSet);
    const data = Buffer.from(env.data, 'base64');
    data[0] = data[0]! ^ 1;
    const tampered = corruption(() => decryptTokenSet(key, 'acct', { ...env, data: data.toString('base64') }));
    expect(tampered.code).toBe('STORE_CORRUPT');
    const swapped = corruption(() => decryptTokenSet(key, 'other-acct', env));
    expect(swapped.code).toBe('STORE_CORRUPT');
    expect(corruption(() => decryptTokenSet(key, 'acct', { alg: 'aes-256-gcm' })).code).toBe('STORE_CORRUPT');
  });
});
