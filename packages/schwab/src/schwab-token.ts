import { InvalidInputError, Secret, type SecretValue, type TokenSetV1 } from '@tokens/core';
import { basicAuth, parseJsonResponse, type BrokerHttp, type BrokerHttpResponse } from '@tokens/broker-utils';
import { SCHWAB_PATHS, tokenResponseSchema, type SchwabTokenResponse } from './schwab-api';
import { retryableShapeError, tokenEndpointError, type SchwabGrant } from './schwab-errors';
import type { ResolvedSchwabSettings } from './schwab-settings';

/**
 * `POST /v1/oauth/token` with HTTP Basic `base64(app_key:app_secret)` and a form body, as
 * Schwab (and schwab-py's authlib client) send it. Returns the parsed success body or throws a
 * classified error.
 */
export async function postToken(
  http: BrokerHttp,
  settings: ResolvedSchwabSettings,
  grant: SchwabGrant,
  form: Record<string, string | SecretValue>,
  signal: AbortSignal,
): Promise<SchwabTokenResponse> {
  const response: BrokerHttpResponse = await http.request(SCHWAB_PATHS.token, {
    method: 'POST',
    headers: { Authorization: basicAuth(settings.appKey, settings.appSecret) },
    form: { grant_type: grant, ...form },
    signal,
    secretValues: [settings.appSecret],
  });
  if (!response.ok) throw tokenEndpointError(response, grant);
  try {
    return parseJsonResponse(tokenResponseSchema, response, { secretValues: [settings.appSecret] });
  } catch (error) {
    throw retryableShapeError(error);
  }
}

export interface ToTokenSetOptions {
  now: number;
  /** When the refresh token dies: login + 7 days, carried unchanged across refreshes. */
  refreshExpiresAt: number;
  /** Kept when the response carries no `refresh_token`. */
  previousRefreshToken?: SecretValue;
}

/** A token response as a `TokenSetV1`: `expiresAt` from `expires_in`, secrets wrapped. */
export function toTokenSet(body: SchwabTokenResponse, o: ToTokenSetOptions): TokenSetV1 {
  const refreshToken = body.refresh_token !== undefined ? new Secret(body.refresh_token) : o.previousRefreshToken;
  if (!refreshToken) {
    throw new InvalidInputError({ field: 'refresh_token', message: 'Schwab returned no refresh token and none was stored: log in again in the browser.' });
  }
  const tokenSet: TokenSetV1 = {
    accessToken: new Secret(body.access_token),
    refreshToken,
    issuedAt: o.now,
    expiresAt: o.now + body.expires_in * 1000,
    refreshExpiresAt: o.refreshExpiresAt,
    tokenType: body.token_type ?? 'Bearer',
  };
  if (body.scope !== undefined) tokenSet.extras = { scope: body.scope };
  if (body.id_token !== undefined) tokenSet.secretExtras = { idToken: new Secret(body.id_token) };
  return tokenSet;
}
