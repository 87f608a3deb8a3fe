import { InvalidInputError } from '@tokens/core';
import { revealInput, type SecretInput } from './secret-input';

/** The registered claims we read; brokers add their own. */
export interface JwtPayload {
  /** Expiry, epoch seconds. */
  exp?: number;
  /** Issued at, epoch seconds. */
  iat?: number;
  nbf?: number;
  iss?: string;
  sub?: string;
  [claim: string]: unknown;
}

function malformed(reason: string): InvalidInputError {
  return new InvalidInputError({ message: `Token is not a valid JWT: ${reason}.`, field: 'token', code: 'INVALID_JWT' });
}

/**
 * Decodes the payload of a JWT (base64url JSON). **Does not verify the signature**: use it
 * only to read claims such as `exp` from tokens the broker just gave us, never to trust a
 * token from elsewhere. Throws `InvalidInputError` for anything that is not a JWT; the error
 * never contains the token.
 */
export function decodeJwtPayload(token: SecretInput): JwtPayload {
  const raw = revealInput(token).trim();
  const parts = raw.split('.');
  if (parts.length !== 3) throw malformed('expected three dot-separated parts');
  const segment = parts[1] ?? '';
  if (!/^[A-Za-z0-9_-]+={0,2}$/.test(segment)) throw malformed('the payload is not base64url');
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
  } catch {
    throw malformed('the payload is not JSON');
  }
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) {
    throw malformed('the payload is not a JSON object');
  }
  return payload as JwtPayload;
}

function secondsClaim(payload: JwtPayload, name: 'exp' | 'iat'): number | undefined {
  const value = payload[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw malformed(`the "${name}" claim is not a number`);
  return Math.round(value * 1000);
}

/** The token's `exp` as epoch milliseconds, or `undefined` when it has no `exp`. Unverified. */
export function jwtExpiresAt(token: SecretInput): number | undefined {
  return secondsClaim(decodeJwtPayload(token), 'exp');
}

/** The token's `iat` as epoch milliseconds, or `undefined` when it has no `iat`. Unverified. */
export function jwtIssuedAt(token: SecretInput): number | undefined {
  return secondsClaim(decodeJwtPayload(token), 'iat');
}
