import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import type { SecretValue } from '../contracts/secret';
import { InvalidConfigError, StoreCorruptionError } from '../errors';
import type { SerializedTokenSet } from '../token-set';

/*
 * Encryption at rest for token sets, shared by every store (file, Redis). Storage-agnostic: it
 * turns a serialised token set into a JSON-safe envelope and back. AES-256-GCM with a random
 * 12-byte IV per write; the account id is the additional authenticated data, so an envelope
 * copied into another account's record fails authentication instead of handing out the wrong
 * account's token.
 */

export const ENCRYPTION_ALG = 'aes-256-gcm' as const;

/** The `encrypted` field of a stored record. `kid` names the key without revealing it. */
export interface EncryptedEnvelopeV1 {
  alg: typeof ENCRYPTION_ALG;
  /** First 16 hex chars of sha256('tokens-key-id:' ‖ raw key bytes). */
  kid: string;
  /** base64, 12 bytes. */
  iv: string;
  /** base64, 16 bytes. */
  tag: string;
  /** base64 ciphertext of the serialised token set's JSON. */
  data: string;
}

const HOW_TO_MAKE = 'Generate one with `openssl rand -hex 32` (64 hex characters) or `openssl rand -base64 32`.';
const inspectSymbol = Symbol.for('nodejs.util.inspect.custom');
const keyMarker = Symbol.for('tokens.encryption-key');
// Raw bytes live outside the object so no property, spread or structured clone can reach them.
const material = new WeakMap<EncryptionKey, Buffer>();

/** An opaque AES-256 key. Redacts itself like `Secret`; only this module can read the bytes. */
export class EncryptionKey {
  /** Key id stored next to each envelope, so a wrong key is told apart from corruption. */
  readonly kid: string;
  private readonly [keyMarker] = true;

  private constructor(bytes: Buffer) {
    material.set(this, bytes);
    this.kid = keyId(bytes);
  }

  /** Wraps 32 raw bytes (e.g. from a KMS). Most callers want {@link loadEncryptionKey}. */
  static fromBytes(bytes: Uint8Array): EncryptionKey {
    if (bytes.length !== 32) throw new InvalidConfigError({ issues: [{ path: 'encryptionKey', message: `must be 32 bytes. ${HOW_TO_MAKE}` }] });
    return new EncryptionKey(Buffer.from(bytes));
  }

  static isInstance(value: unknown): value is EncryptionKey {
    return value != null && typeof value === 'object' && (value as Record<symbol, unknown>)[keyMarker] === true && material.has(value as EncryptionKey);
  }

  toString(): string {
    return '[redacted]';
  }

  toJSON(): string {
    return '[redacted]';
  }

  [inspectSymbol](): string {
    return 'EncryptionKey([redacted])';
  }

  [Symbol.toPrimitive](): string {
    return '[redacted]';
  }
}

function keyId(bytes: Buffer): string {
  return createHash('sha256').update('tokens-key-id:').update(bytes).digest('hex').slice(0, 16);
}

function bytesOf(key: EncryptionKey): Buffer {
  const bytes = EncryptionKey.isInstance(key) ? material.get(key) : undefined;
  if (!bytes) throw new TypeError('Expected an EncryptionKey from loadEncryptionKey().');
  return bytes;
}

export interface LoadEncryptionKeyOptions {
  /** The key itself: 64 hex characters or base64 of 32 bytes. */
  key?: string | SecretValue;
  /** Name of an environment variable holding the key, e.g. "TOKENS_ENCRYPTION_KEY". */
  env?: string;
  /** Path of a file holding the key (mode 0600 or stricter). */
  keyFile?: string;
  /** Where `env` is looked up. Default: `process.env`, read at call time. */
  environment?: NodeJS.ProcessEnv;
}

function configError(path: string, message: string): InvalidConfigError {
  return new InvalidConfigError({ issues: [{ path, message }] });
}

/** Parses 64 hex chars or base64 (standard or URL-safe) of exactly 32 bytes; undefined otherwise. */
function parseKeyText(text: string): Buffer | undefined {
  const t = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(t)) return Buffer.from(t, 'hex');
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(t)) return undefined;
  const bytes = Buffer.from(t.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  return bytes.length === 32 ? bytes : undefined;
}

/**
 * Loads the encryption key from exactly one source. Errors name the source and how to make a
 * key, never the key text itself.
 */
export function loadEncryptionKey(options: LoadEncryptionKeyOptions): EncryptionKey {
  const sources = (['key', 'env', 'keyFile'] as const).filter((s) => options[s] !== undefined);
  if (sources.length !== 1) {
    throw configError(
      'encryption',
      sources.length === 0
        ? `no key source given: set one of key, env or keyFile. ${HOW_TO_MAKE}`
        : `give exactly one of key, env or keyFile (got ${sources.join(', ')}).`,
    );
  }
  let text: string;
  let where: string;
  let path: string;
  if (options.key !== undefined) {
    text = typeof options.key === 'string' ? options.key : options.key.reveal();
    where = 'the configured key';
    path = 'encryption.key';
  } else if (options.env !== undefined) {
    const value = (options.environment ?? process.env)[options.env];
    where = `environment variable ${options.env}`;
    path = 'encryption.env';
    if (value === undefined || value.trim() === '') throw configError(path, `${where} is not set or empty. ${HOW_TO_MAKE}`);
    text = value;
  } else {
    const file = options.keyFile!;
    where = `key file ${file}`;
    path = 'encryption.keyFile';
    text = readKeyFile(file, path);
  }
  const bytes = parseKeyText(text);
  if (!bytes) throw configError(path, `${where} is not a 32-byte key written as 64 hex characters or base64. ${HOW_TO_MAKE}`);
  return EncryptionKey.fromBytes(bytes);
}

function readKeyFile(file: string, path: string): string {
  let st;
  try {
    st = statSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw configError(path, `cannot read key file ${file} (${code ?? 'error'}). ${HOW_TO_MAKE} Save it with: openssl rand -hex 32 > ${file} && chmod 600 ${file}`);
  }
  if (!st.isFile()) throw configError(path, `key file ${file} is not a regular file.`);
  // Windows has no POSIX modes; everywhere else a key readable by others is a leaked key.
  if (process.platform !== 'win32' && (st.mode & 0o077) !== 0) {
    const mode = (st.mode & 0o777).toString(8).padStart(4, '0');
    throw configError(path, `key file ${file} has mode ${mode}: group or others can access it. Run: chmod 600 ${file}`);
  }
  return readFileSync(file, 'utf8');
}

/** Encrypts a serialised token set for `accountId`. */
export function encryptTokenSet(key: EncryptionKey, accountId: string, serialized: SerializedTokenSet): EncryptedEnvelopeV1 {
  const iv = randomBytes(12);
  const cipher = createCipheriv(ENCRYPTION_ALG, bytesOf(key), iv);
  cipher.setAAD(Buffer.from(accountId, 'utf8'));
  const data = Buffer.concat([cipher.update(JSON.stringify(serialized), 'utf8'), cipher.final()]);
  return { alg: ENCRYPTION_ALG, kid: key.kid, iv: iv.toString('base64'), tag: cipher.getAuthTag().toString('base64'), data: data.toString('base64') };
}

const B64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** True when `value` has the envelope's shape (it may still fail to decrypt). */
export function isEncryptedEnvelope(value: unknown): value is EncryptedEnvelopeV1 {
  if (value == null || typeof value !== 'object' || Array.isArray(value)) return false;
  const v = value as Record<string, unknown>;
  return (
    v.alg === ENCRYPTION_ALG &&
    typeof v.kid === 'string' &&
    /^[0-9a-f]{16}$/.test(v.kid) &&
    [v.iv, v.tag, v.data].every((f) => typeof f === 'string' && B64.test(f))
  );
}

/**
 * Decrypts an envelope written for `accountId`. A different key id → StoreCorruptionError with
 * code STORE_KEY (the data is fine, the configuration is wrong: callers must not quarantine or
 * overwrite it). Anything else that fails → StoreCorruptionError with code STORE_CORRUPT.
 * The result is parsed JSON; run it through `deserializeTokenSet` to validate it.
 */
export function decryptTokenSet(key: EncryptionKey, accountId: string, envelope: unknown): SerializedTokenSet {
  if (!isEncryptedEnvelope(envelope)) {
    throw new StoreCorruptionError({ accountId, message: `Encrypted token set of account "${accountId}" is malformed (not an ${ENCRYPTION_ALG} envelope).` });
  }
  if (envelope.kid !== key.kid) {
    throw new StoreCorruptionError({
      accountId,
      code: 'STORE_KEY',
      message:
        `Wrong encryption key for account "${accountId}": it was encrypted with key id ${envelope.kid}, ` +
        `but the configured key has id ${key.kid}. Configure the key that wrote it; nothing was changed.`,
    });
  }
  const iv = Buffer.from(envelope.iv, 'base64');
  const tag = Buffer.from(envelope.tag, 'base64');
  if (iv.length !== 12 || tag.length !== 16) {
    throw new StoreCorruptionError({ accountId, message: `Encrypted token set of account "${accountId}" has a bad IV or tag length.` });
  }
  let plain: string;
  try {
    const decipher = createDecipheriv(ENCRYPTION_ALG, bytesOf(key), iv);
    decipher.setAAD(Buffer.from(accountId, 'utf8'));
    decipher.setAuthTag(tag);
    plain = Buffer.concat([decipher.update(Buffer.from(envelope.data, 'base64')), decipher.final()]).toString('utf8');
  } catch {
    // The key id matched, so the bytes were altered or the record belongs to another account.
    throw new StoreCorruptionError({
      accountId,
      message: `Encrypted token set of account "${accountId}" failed authentication: it was altered or copied from another account.`,
    });
  }
  try {
    return JSON.parse(plain) as SerializedTokenSet;
  } catch {
    throw new StoreCorruptionError({ accountId, message: `Decrypted token set of account "${accountId}" is not valid JSON.` });
  }
}
