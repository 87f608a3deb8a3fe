import type { SecretValue } from './contracts/secret';
import type { StoredTokenV1, TokenSetV1 } from './contracts/token-set';
import { InvalidInputError } from './errors';
import { Secret } from './secret';

function bad(message: string, field: string): never {
  throw new InvalidInputError({ code: 'INVALID_TOKEN_SET', field, message });
}

function isFiniteTime(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0;
}

/**
 * Rejects a malformed token set before it can be stored or handed out: empty token, expiry not
 * a number or already in the past, refresh expiry not a number.
 */
export function assertValidTokenSet(tokenSet: unknown, now: number, source = 'adapter'): asserts tokenSet is TokenSetV1 {
  if (tokenSet == null || typeof tokenSet !== 'object') bad(`The ${source} returned no token set.`, 'tokenSet');
  const t = tokenSet as Partial<TokenSetV1>;
  const token = t.accessToken;
  const raw = typeof token === 'string' ? token : token && typeof token.reveal === 'function' ? token.reveal() : undefined;
  if (typeof raw !== 'string' || raw.trim().length === 0) bad(`The ${source} returned an empty access token.`, 'accessToken');
  if (!isFiniteTime(t.expiresAt)) bad(`The ${source} returned an expiry that is not a number of epoch milliseconds.`, 'expiresAt');
  if (t.expiresAt <= now) {
    bad(`The ${source} returned a token that expired at ${new Date(t.expiresAt).toISOString()}, before now.`, 'expiresAt');
  }
  if (t.refreshExpiresAt !== undefined && !isFiniteTime(t.refreshExpiresAt)) {
    bad(`The ${source} returned a refresh expiry that is not a number of epoch milliseconds.`, 'refreshExpiresAt');
  }
  if (t.issuedAt !== undefined && !isFiniteTime(t.issuedAt)) bad(`The ${source} returned an issue time that is not a number.`, 'issuedAt');
  if (t.refreshToken !== undefined) {
    const r = typeof t.refreshToken === 'string' ? t.refreshToken : t.refreshToken.reveal?.();
    if (typeof r !== 'string' || r.length === 0) bad(`The ${source} returned an empty refresh token.`, 'refreshToken');
  }
}

/** Normalises plain strings into Secrets so adapters may return either. */
export function normalizeTokenSet(tokenSet: TokenSetV1, now: number): TokenSetV1 {
  const out: TokenSetV1 = {
    accessToken: Secret.from(tokenSet.accessToken as SecretValue | string),
    expiresAt: tokenSet.expiresAt,
    issuedAt: tokenSet.issuedAt ?? now,
  };
  if (tokenSet.refreshToken !== undefined) out.refreshToken = Secret.from(tokenSet.refreshToken as SecretValue | string);
  if (tokenSet.refreshExpiresAt !== undefined) out.refreshExpiresAt = tokenSet.refreshExpiresAt;
  if (tokenSet.tokenType !== undefined) out.tokenType = tokenSet.tokenType;
  if (tokenSet.extras) out.extras = { ...tokenSet.extras };
  if (tokenSet.secretExtras) {
    out.secretExtras = Object.fromEntries(
      Object.entries(tokenSet.secretExtras).map(([k, v]) => [k, Secret.from(v as SecretValue | string)]),
    );
  }
  return out;
}

/** The plain JSON shape of a token set inside a store. Contains secrets: never log it. */
export interface SerializedTokenSet {
  accessToken: string;
  refreshToken?: string;
  expiresAt: number;
  refreshExpiresAt?: number;
  issuedAt: number;
  tokenType?: string;
  extras?: Record<string, string>;
  secretExtras?: Record<string, string>;
}

export function serializeTokenSet(t: TokenSetV1): SerializedTokenSet {
  const out: SerializedTokenSet = { accessToken: t.accessToken.reveal(), expiresAt: t.expiresAt, issuedAt: t.issuedAt };
  if (t.refreshToken) out.refreshToken = t.refreshToken.reveal();
  if (t.refreshExpiresAt !== undefined) out.refreshExpiresAt = t.refreshExpiresAt;
  if (t.tokenType !== undefined) out.tokenType = t.tokenType;
  if (t.extras) out.extras = t.extras;
  if (t.secretExtras) out.secretExtras = Object.fromEntries(Object.entries(t.secretExtras).map(([k, v]) => [k, v.reveal()]));
  return out;
}

function isStringRecord(v: unknown): v is Record<string, string> {
  return v != null && typeof v === 'object' && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'string');
}

/** Parses a stored token set; throws InvalidInputError naming the bad field. */
export function deserializeTokenSet(json: unknown): TokenSetV1 {
  if (json == null || typeof json !== 'object') bad('Stored token set is not an object.', 'tokenSet');
  const j = json as Record<string, unknown>;
  if (typeof j.accessToken !== 'string' || j.accessToken.length === 0) bad('Stored token set has no access token.', 'accessToken');
  if (!isFiniteTime(j.expiresAt)) bad('Stored token set has no numeric expiresAt.', 'expiresAt');
  if (!isFiniteTime(j.issuedAt)) bad('Stored token set has no numeric issuedAt.', 'issuedAt');
  const out: TokenSetV1 = { accessToken: new Secret(j.accessToken), expiresAt: j.expiresAt, issuedAt: j.issuedAt };
  if (j.refreshToken !== undefined) {
    if (typeof j.refreshToken !== 'string') bad('Stored refresh token is not a string.', 'refreshToken');
    out.refreshToken = new Secret(j.refreshToken);
  }
  if (j.refreshExpiresAt !== undefined) {
    if (!isFiniteTime(j.refreshExpiresAt)) bad('Stored refreshExpiresAt is not a number.', 'refreshExpiresAt');
    out.refreshExpiresAt = j.refreshExpiresAt;
  }
  if (j.tokenType !== undefined) {
    if (typeof j.tokenType !== 'string') bad('Stored tokenType is not a string.', 'tokenType');
    out.tokenType = j.tokenType;
  }
  if (j.extras !== undefined) {
    if (!isStringRecord(j.extras)) bad('Stored extras must map names to strings.', 'extras');
    out.extras = { ...j.extras };
  }
  if (j.secretExtras !== undefined) {
    if (!isStringRecord(j.secretExtras)) bad('Stored secretExtras must map names to strings.', 'secretExtras');
    out.secretExtras = Object.fromEntries(Object.entries(j.secretExtras).map(([k, v]) => [k, new Secret(v)]));
  }
  return out;
}

/** A stored record's clear metadata, as written by the file and Redis stores. */
export interface SerializedStoredToken {
  format: 'tokens.stored/v1';
  accountId: string;
  broker: string;
  version: number;
  updatedAt: number;
  fencingToken?: number;
  /** Present when not encrypted. */
  tokenSet?: SerializedTokenSet;
  /** Present when encrypted at rest (see `encryption.ts`). */
  encrypted?: { alg: 'aes-256-gcm'; kid: string; iv: string; tag: string; data: string };
}

export function storedToPlain(record: StoredTokenV1): Omit<SerializedStoredToken, 'tokenSet' | 'encrypted'> {
  const out: Omit<SerializedStoredToken, 'tokenSet' | 'encrypted'> = {
    format: 'tokens.stored/v1',
    accountId: record.accountId,
    broker: record.broker,
    version: record.version,
    updatedAt: record.updatedAt,
  };
  if (record.fencingToken !== undefined) out.fencingToken = record.fencingToken;
  return out;
}
