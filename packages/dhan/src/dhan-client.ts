import type { Secret, TokenSetV1 } from '@tokens/core';
import { createBrokerHttp, generateTotp, parseJsonResponse, type BrokerHttp, type BrokerHttpResponse } from '@tokens/broker-utils';
import { dhanConsentSchema, dhanProfileSchema, dhanTokenResponseSchema } from './dhan-api';
import { describeDhanError, dhanErrorFromResponse, parseDhanError, DHAN_AUTH_CODES, type DhanCall } from './dhan-errors';
import { maskClientId, type ResolvedDhanSettings } from './dhan-settings';
import { assertFresh, dhanTokenSet, expiryOf, tokenValidityOf, type TokenSetInput } from './dhan-token';

export type ProfileResult =
  | { valid: true; expiresAt?: number; dhanClientId?: string }
  | { valid: false; reason: string };

/** The wire calls, one function per Dhan endpoint. No retries here: the engine retries. */
export interface DhanClient {
  readonly settings: ResolvedDhanSettings;
  readonly clientLabel: string;
  /** `POST {auth}/app/generateAccessToken?dhanClientId&pin&totp` — query only, no body. */
  generateAccessToken(input: { now: number; signal: AbortSignal }): Promise<TokenSetV1>;
  /** `GET /v2/RenewToken` with `access-token` and `dhanClientId` headers. The old token dies. */
  renewToken(token: Secret, input: { now: number; signal: AbortSignal }): Promise<TokenSetV1>;
  /** `GET /v2/profile`: valid (with `tokenValidity`) or rejected; throws on anything else. */
  profile(token: Secret, signal?: AbortSignal): Promise<ProfileResult>;
  /** `POST {auth}/app/generate-consent?client_id` with `app_id` / `app_secret` headers → consentAppId. */
  generateConsent(signal?: AbortSignal): Promise<string>;
  /** `GET {auth}/app/consumeApp-consent?tokenId` with `app_id` / `app_secret` headers. */
  consumeConsent(tokenId: string, input: { now: number; signal: AbortSignal }): Promise<TokenSetV1>;
}

export function createDhanClient(settings: ResolvedDhanSettings): DhanClient {
  const http: BrokerHttp = createBrokerHttp({
    broker: 'dhan',
    baseUrl: settings.baseUrl,
    ...(settings.fetch ? { fetch: settings.fetch } : {}),
    ...(settings.timeoutMs !== undefined ? { timeoutMs: settings.timeoutMs } : {}),
    headers: { accept: 'application/json' },
  });
  const clientLabel = maskClientId(settings.clientId);
  // The client id is an account number: kept out of every error message and body.
  const secretValues = [settings.clientId];
  const auth = (path: string) => `${settings.authBaseUrl}${path}`;

  const fail = (response: BrokerHttpResponse, call: DhanCall) => dhanErrorFromResponse(response, call, { clientLabel, canLogIn: settings.apiKey !== undefined });

  function tokenSetFrom(response: BrokerHttpResponse, call: DhanCall, now: number, source: TokenSetInput['source']): TokenSetV1 {
    // A 200 that carries Dhan's error envelope is still an error.
    if (!response.ok || parseDhanError(safeJson(response)).code !== undefined) throw fail(response, call);
    const body = parseJsonResponse(dhanTokenResponseSchema, response, { secretValues });
    const token = (body.accessToken ?? body.token)!;
    const expiresAt = expiryOf(token, body.expiryTime, now);
    assertFresh(response, expiresAt, now);
    return dhanTokenSet({ token, expiresAt, issuedAt: now, clientId: settings.clientId, source });
  }

  const appHeaders = () => ({ app_id: settings.apiKey, app_secret: settings.apiSecret });

  return {
    settings,
    clientLabel,

    async generateAccessToken({ now, signal }) {
      const totp = generateTotp({ secret: settings.totpSecret!, now });
      const response = await http.request(auth('/app/generateAccessToken'), {
        method: 'POST',
        query: { dhanClientId: settings.clientId, pin: settings.pin, totp },
        signal,
        secretValues,
      });
      return tokenSetFrom(response, 'generateAccessToken', now, 'totp');
    },

    async renewToken(token, { now, signal }) {
      const response = await http.request('/RenewToken', {
        method: 'GET',
        headers: { 'access-token': token, dhanClientId: settings.clientId },
        signal,
        secretValues,
      });
      return tokenSetFrom(response, 'RenewToken', now, 'renew');
    },

    async profile(token, signal) {
      const response = await http.request('/profile', {
        method: 'GET',
        headers: { 'access-token': token, dhanClientId: settings.clientId },
        ...(signal ? { signal } : {}),
        secretValues,
      });
      const info = parseDhanError(safeJson(response));
      if (response.status === 401 || response.status === 403 || (info.code !== undefined && DHAN_AUTH_CODES.has(info.code))) {
        return { valid: false, reason: response.redactText(`Dhan rejected the access token: ${describeDhanError(info, response.status)}.`, secretValues) };
      }
      if (!response.ok || info.code !== undefined) throw fail(response, 'profile');
      const body = parseJsonResponse(dhanProfileSchema, response, { secretValues });
      if (body.dhanClientId !== undefined && body.dhanClientId !== settings.clientId) {
        return { valid: false, reason: `The access token belongs to another Dhan client, not ${clientLabel}.` };
      }
      const expiresAt = tokenValidityOf(body.tokenValidity);
      return { valid: true, ...(expiresAt !== undefined ? { expiresAt } : {}), ...(body.dhanClientId ? { dhanClientId: body.dhanClientId } : {}) };
    },

    async generateConsent(signal) {
      const response = await http.request(auth('/app/generate-consent'), {
        method: 'POST',
        query: { client_id: settings.clientId },
        headers: appHeaders(),
        ...(signal ? { signal } : {}),
        secretValues,
      });
      if (!response.ok) throw fail(response, 'generate-consent');
      return parseJsonResponse(dhanConsentSchema, response, { secretValues }).consentAppId;
    },

    async consumeConsent(tokenId, { now, signal }) {
      // GET, as the official SDK does (openalgo uses POST; the fake accepts both).
      const response = await http.request(auth('/app/consumeApp-consent'), {
        method: 'GET',
        query: { tokenId },
        headers: appHeaders(),
        signal,
        secretValues: [...secretValues, tokenId],
      });
      return tokenSetFrom(response, 'consumeApp-consent', now, 'consent');
    },
  };
}

function safeJson(response: BrokerHttpResponse): unknown {
  try {
    return response.json();
  } catch {
    return undefined;
  }
}
