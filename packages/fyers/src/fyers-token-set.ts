import { BrokerApiError, Secret, type SecretValue, type TokenSetV1 } from '@tokens/core';
import { formatIst, jwtExpiresAt, jwtIssuedAt, nextIstTime } from '@tokens/broker-utils';
import { FYERS_DAILY_EXPIRY, FYERS_REFRESH_TOKEN_LIFETIME_MS } from './fyers-api';

/**
 * `exp` of the access-token JWT; the 06:00 IST rule when the token carries none. A token FYERS
 * just issued must not be dead already (`fresh`); an imported one may be (the engine decides).
 */
export function accessTokenExpiresAt(accessToken: string, now: number, fresh = true): number {
  let exp: number | undefined;
  try {
    exp = jwtExpiresAt(accessToken);
  } catch {
    exp = undefined; // not a JWT: fall back to the wall-clock rule
  }
  if (exp === undefined) return nextIstTime(now, FYERS_DAILY_EXPIRY.time);
  if (fresh && exp <= now) {
    throw new BrokerApiError({
      broker: 'fyers',
      message: `FYERS issued an access token that expired at ${formatIst(exp)}, before now (${formatIst(now)}). Check this host's clock.`,
      isRetryable: false,
      isAuthError: false,
    });
  }
  return exp;
}

/**
 * When a refresh token stops working: 15 days after the browser login. For a token imported
 * from elsewhere (no recorded login time) the JWT's `iat` is the login time.
 */
export function refreshExpiresAtOf(refreshToken: SecretValue, known: number | undefined): number | undefined {
  if (known !== undefined) return known;
  try {
    const iat = jwtIssuedAt(refreshToken);
    return iat === undefined ? undefined : iat + FYERS_REFRESH_TOKEN_LIFETIME_MS;
  } catch {
    return undefined;
  }
}

export function fyersTokenSet(o: {
  accessToken: string;
  refreshToken: SecretValue;
  refreshExpiresAt: number | undefined;
  now: number;
  appId: string;
}): TokenSetV1 {
  const tokenSet: TokenSetV1 = {
    accessToken: new Secret(o.accessToken),
    refreshToken: Secret.from(o.refreshToken),
    expiresAt: accessTokenExpiresAt(o.accessToken, o.now),
    issuedAt: o.now,
    // Consumers send `Authorization: <appId>:<accessToken>`; the app id is public.
    extras: { appId: o.appId },
  };
  if (o.refreshExpiresAt !== undefined) tokenSet.refreshExpiresAt = o.refreshExpiresAt;
  return tokenSet;
}

/**
 * A token set for FYERS tokens obtained outside `tokens` (the hand-made script's
 * `FYERS_ACCESS_TOKEN` and refresh token), for `manager.importTokenSet`: expiry from the access
 * JWT, refresh expiry from the refresh JWT's `iat` + 15 days.
 */
export function fyersTokenSetFromTokens(input: {
  appId: string;
  accessToken: string | SecretValue;
  refreshToken?: string | SecretValue;
  now: number;
}): TokenSetV1 {
  const access = Secret.from(input.accessToken).reveal();
  const refresh = Secret.from(input.refreshToken);
  const tokenSet: TokenSetV1 = {
    accessToken: new Secret(access),
    expiresAt: accessTokenExpiresAt(access, input.now, false),
    issuedAt: input.now,
    extras: { appId: input.appId },
  };
  if (refresh && refresh.reveal() !== '') {
    tokenSet.refreshToken = refresh;
    const refreshExpiresAt = refreshExpiresAtOf(refresh, undefined);
    if (refreshExpiresAt !== undefined) tokenSet.refreshExpiresAt = refreshExpiresAt;
  }
  return tokenSet;
}
