import { BrokerApiError, Secret, type TokenSetV1 } from '@tokens/core';
import { decodeJwtPayload, parseIstDdMmYyyyHhMm, parseIstLocal, type BrokerHttpResponse } from '@tokens/broker-utils';

/** Dhan access tokens live 24 hours from generation (a rolling window, not a wall-clock time). */
export const DHAN_TOKEN_LIFETIME_MS = 24 * 60 * 60 * 1000;

// When `expiryTime` and the JWT's `exp` disagree by more than this, the earlier one wins.
const AGREEMENT_MS = 60_000;

function tryJwt(token: string): { exp?: number; iat?: number } {
  try {
    const p = decodeJwtPayload(token);
    return {
      exp: typeof p.exp === 'number' && Number.isFinite(p.exp) ? p.exp * 1000 : undefined,
      iat: typeof p.iat === 'number' && Number.isFinite(p.iat) ? p.iat * 1000 : undefined,
    };
  } catch {
    return {};
  }
}

function tryParse(parse: (text: string) => number, text: string | undefined): number | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  try {
    return parse(text);
  } catch {
    return undefined;
  }
}

/** The JWT `exp` of a Dhan token (epoch ms), when it is a JWT with one. */
export function jwtExpiryOf(token: string): number | undefined {
  return tryJwt(token).exp;
}

/**
 * When a freshly issued token dies: `expiryTime` read as IST (research: IST per the docs'
 * relays; one script read it as UTC), cross-checked against the JWT's `exp`; on disagreement
 * the earlier wins so we renew early rather than late. Without either, the 24 h rule.
 */
export function expiryOf(token: string, expiryTime: string | undefined, now: number): number {
  const fromField = tryParse(parseIstLocal, expiryTime);
  const fromJwt = tryJwt(token).exp;
  if (fromField !== undefined && fromJwt !== undefined) {
    return Math.abs(fromField - fromJwt) <= AGREEMENT_MS ? fromField : Math.min(fromField, fromJwt);
  }
  return fromField ?? fromJwt ?? now + DHAN_TOKEN_LIFETIME_MS;
}

/** Reads the profile's `tokenValidity` ("DD/MM/YYYY HH:mm", IST); undefined when absent or unreadable. */
export function tokenValidityOf(text: string | undefined): number | undefined {
  return tryParse(parseIstDdMmYyyyHhMm, text);
}

export interface TokenSetInput {
  token: string;
  expiresAt: number;
  issuedAt: number;
  clientId: string;
  source: 'totp' | 'renew' | 'consent' | 'configured';
}

/** The token set handed to the engine. The client id goes into the public extras: consumers send it as `client-id`. */
export function dhanTokenSet(input: TokenSetInput): TokenSetV1 {
  return {
    accessToken: new Secret(input.token),
    expiresAt: input.expiresAt,
    issuedAt: Math.min(input.issuedAt, input.expiresAt - 1),
    extras: { dhanClientId: input.clientId, source: input.source },
  };
}

/** A fresh token whose expiry is already past means the clocks or the body are wrong: fail loudly, do not store it. */
export function assertFresh(response: BrokerHttpResponse, expiresAt: number, now: number): void {
  if (expiresAt > now) return;
  throw new BrokerApiError({
    broker: 'dhan',
    message: `Dhan answered ${response.requestLabel} with a token that already expired (${new Date(expiresAt).toISOString()}); check this host's clock.`,
    statusCode: response.status,
    isAuthError: false,
    isRetryable: false,
  });
}

/** For adopting a token we did not mint: issue time from the JWT's `iat`, else 24 h before expiry. */
export function issuedAtOf(token: string, expiresAt: number, now: number): number {
  const iat = tryJwt(token).iat;
  return Math.min(now, iat ?? expiresAt - DHAN_TOKEN_LIFETIME_MS);
}
