import { InvalidInputError, Secret, type TokenSetV1 } from '@tokens/core';
import { jwtExpiresAt, nextIstTime } from '@tokens/broker-utils';

/** Kotak Trade API sessions are assumed to die at midnight IST; without a JWT `exp` we stop a minute early. */
export const FALLBACK_EXPIRY_IST = '23:59';

/** When a trade token dies: its JWT `exp` when it has one, else the next 23:59 IST. */
export function sessionExpiresAt(tradeToken: string, now: number): number {
  let exp: number | undefined;
  try {
    exp = jwtExpiresAt(tradeToken);
  } catch {
    exp = undefined; // not a JWT (or a malformed one): fall back to the wall-clock rule
  }
  return exp ?? nextIstTime(now, FALLBACK_EXPIRY_IST);
}

export function buildTokenSet(o: { tradeToken: string; sid: string; baseUrl: string; dataCenter?: string; now: number }): TokenSetV1 {
  return {
    accessToken: new Secret(o.tradeToken),
    expiresAt: sessionExpiresAt(o.tradeToken, o.now),
    issuedAt: o.now,
    extras: { baseUrl: o.baseUrl, ...(o.dataCenter ? { dataCenter: o.dataCenter } : {}) },
    secretExtras: { sid: new Secret(o.sid) },
  };
}

/** What a consumer needs to call `{baseUrl}/quick/...`: revealed values, for building requests only. */
export interface KotakSession {
  /** The data centre's API base URL, e.g. "https://e43.kotaksecurities.com". */
  baseUrl: string;
  /** `Auth` (trade token) and `Sid` headers. Never log them. */
  headers: { Auth: string; Sid: string };
}

/**
 * Reads a Kotak token set (from `manager.getTokenSet(id)`) into the base URL and headers of the
 * trading API. Order writes additionally need `Authorization: <consumer key>`, which stays in
 * your own configuration.
 */
export function kotakSession(tokenSet: TokenSetV1): KotakSession {
  const sid = tokenSet.secretExtras?.sid;
  const baseUrl = tokenSet.extras?.baseUrl;
  if (!sid || !baseUrl) {
    throw new InvalidInputError({
      code: 'INVALID_TOKEN_SET',
      field: sid ? 'extras.baseUrl' : 'secretExtras.sid',
      message: 'This is not a Kotak token set: it lacks the session id (secretExtras.sid) or the base URL (extras.baseUrl).',
    });
  }
  return { baseUrl, headers: { Auth: tokenSet.accessToken.reveal(), Sid: sid.reveal() } };
}
