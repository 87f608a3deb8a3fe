import { Secret, type SecretValue, type TokenSetV1 } from '@tokens/core';
import { createBrokerHttp, nextIstTime, parseIstLocal, parseJsonResponse, type BrokerHttp, type BrokerHttpResponse } from '@tokens/broker-utils';
import { KITE_VERSION_HEADER, kiteSessionResponse } from './kite-api';
import { kiteErrorFromResponse, readKiteEnvelope, type KiteOperation } from './kite-errors';
import type { ResolvedKiteSettings } from './kite-settings';

/** Kite sessions die at 06:00 IST (regulatory daily logout); the response carries no expiry. */
export const KITE_DAILY_EXPIRY = { time: '06:00', timeZone: 'Asia/Kolkata' } as const;

export function createKiteHttp(settings: ResolvedKiteSettings): BrokerHttp {
  return createBrokerHttp({
    broker: 'kite',
    baseUrl: settings.baseUrl,
    ...(settings.fetch ? { fetch: settings.fetch } : {}),
    ...(settings.timeoutMs !== undefined ? { timeoutMs: settings.timeoutMs } : {}),
    headers: { ...KITE_VERSION_HEADER, 'User-Agent': 'tokens-kite' },
  });
}

/** `Authorization: token api_key:access_token`, as a Secret so it never reaches an error or log. */
export function kiteAuthorization(apiKey: string, accessToken: SecretValue): Secret {
  return new Secret(`token ${apiKey}:${accessToken.reveal()}`);
}

/** "AB1234" → "AB**34": client ids are PII, shown masked only. */
export function maskUserId(userId: string): string {
  if (userId.length <= 4) return '*'.repeat(userId.length);
  return `${userId.slice(0, 2)}${'*'.repeat(userId.length - 4)}${userId.slice(-2)}`;
}

/** True for a 2xx whose body is not Kite's error envelope. */
export function isKiteSuccess(response: BrokerHttpResponse): boolean {
  return response.ok && readKiteEnvelope(response).status !== 'error';
}

/**
 * Reads a `/session/token` or `/session/refresh_token` answer into a token set. The expiry is
 * the next 06:00 IST after the exchange; `enctoken` (the web session token) is ignored on purpose.
 */
export function readKiteSession(
  response: BrokerHttpResponse,
  operation: Extract<KiteOperation, 'exchange' | 'refresh'>,
  o: { apiKey: string; now: number; refreshToken?: Secret },
): TokenSetV1 {
  if (!isKiteSuccess(response)) throw kiteErrorFromResponse(response, operation);
  const { data } = parseJsonResponse(kiteSessionResponse, response);
  const issued = new Secret(data.access_token);
  const refresh = data.refresh_token ? new Secret(data.refresh_token) : o.refreshToken;
  const extras: Record<string, string> = { apiKey: o.apiKey };
  if (data.user_id) extras.userId = maskUserId(data.user_id);
  if (data.login_time) {
    try {
      extras.loginTime = new Date(parseIstLocal(data.login_time)).toISOString();
    } catch {
      // A login time we cannot read changes nothing: the expiry rule uses the exchange time.
    }
  }
  return {
    accessToken: issued,
    ...(refresh ? { refreshToken: refresh } : {}),
    expiresAt: nextIstTime(o.now, KITE_DAILY_EXPIRY.time),
    issuedAt: o.now,
    tokenType: 'token',
    extras,
    ...(data.public_token ? { secretExtras: { publicToken: new Secret(data.public_token) } } : {}),
  };
}
