import {
  LoginRequiredError,
  Secret,
  type BrokerAdapterV1,
  type InteractiveLoginV1,
  type RefreshInputV1,
  type TokenSetV1,
  type ValidateInputV1,
  type ValidateResultV1,
} from '@tokens/core';
import { kiteChecksum, parseJsonResponse } from '@tokens/broker-utils';
import { kiteProfileResponse } from './kite-api';
import { isKiteTokenRejection, kiteErrorFromResponse } from './kite-errors';
import { exchangeKiteRequestToken, kiteAuthorizeUrl, parseKitePasted } from './kite-login';
import { revokeKiteSession, type KiteRevokeInput, type KiteRevokeResult } from './kite-logout';
import { createKiteHttp, isKiteSuccess, KITE_DAILY_EXPIRY, kiteAuthorization, readKiteSession } from './kite-session';
import { resolveKiteSettings, type KiteSettings } from './kite-settings';

export interface KiteLogin extends InteractiveLoginV1 {
  readonly kind: 'oauth-redirect';
  parsePasted(text: string): Record<string, string>;
}

/** The Kite Connect adapter: a `BrokerAdapterV1` plus `revoke` for user-initiated logouts. */
export interface KiteAdapter extends BrokerAdapterV1 {
  readonly broker: 'kite';
  /** The app's API key (public; consumers need it for `Authorization: token api_key:access_token`). */
  readonly apiKey: string;
  /** The redirect URL registered for the app, when configured. */
  readonly redirectUrl?: string;
  readonly login: KiteLogin;
  /** Logs the session out at Kite (`DELETE /session/token`), for when the user asks to revoke it. */
  revoke(input: KiteRevokeInput): Promise<KiteRevokeResult>;
}

/**
 * Creates the Zerodha Kite Connect adapter.
 *
 * Normal Kite apps cannot renew a session: a human logs in every trading day after 06:00 IST
 * (`capabilities.renewal: 'none'`); the engine warns ahead of the NSE pre-open with a one-tap
 * login link. Platforms Zerodha approved for refresh tokens set `useRefreshTokens` (or pass a
 * `refreshToken`) and renew unattended (`'refresh-token'`).
 */
export function createKite(settings: KiteSettings = {}): KiteAdapter {
  const s = resolveKiteSettings(settings);
  const http = createKiteHttp(s);
  const renews = s.useRefreshTokens;

  async function doValidate(input: ValidateInputV1): Promise<ValidateResultV1> {
    const response = await http.request('/user/profile', {
      headers: { Authorization: kiteAuthorization(s.apiKey, input.tokenSet.accessToken) },
      signal: input.signal,
    });
    if (isKiteSuccess(response)) {
      parseJsonResponse(kiteProfileResponse, response);
      return { valid: true };
    }
    if (response.status !== 429 && isKiteTokenRejection(response)) {
      return {
        valid: false,
        reason: `Kite rejected the session (HTTP ${response.status} TokenException): logged out, master logout on Kite web, or past the 06:00 IST expiry.`,
      };
    }
    throw kiteErrorFromResponse(response, 'validate');
  }

  async function doRefresh(input: RefreshInputV1): Promise<TokenSetV1> {
    const refreshToken = input.current?.refreshToken ?? s.refreshToken;
    if (!renews || !refreshToken) {
      throw new LoginRequiredError({
        broker: 'kite',
        message:
          'Kite Connect cannot renew a session without a human: log in through Kite (once per trading day, after 06:00 IST). Only platforms approved by Zerodha get refresh tokens.',
      });
    }
    const response = await http.request('/session/refresh_token', {
      method: 'POST',
      form: { api_key: s.apiKey, refresh_token: refreshToken, checksum: kiteChecksum(s.apiKey, refreshToken, s.apiSecret) },
      signal: input.signal,
    });
    return readKiteSession(response, 'refresh', { apiKey: s.apiKey, now: input.now, refreshToken: Secret.from(refreshToken) });
  }

  const login: KiteLogin = {
    kind: 'oauth-redirect',
    authorizeUrl: (input) => kiteAuthorizeUrl(s, input),
    parsePasted: parseKitePasted,
    doExchange: (input) => exchangeKiteRequestToken(http, s, input),
  };

  return {
    specificationVersion: 'v1',
    broker: 'kite',
    apiKey: s.apiKey,
    ...(s.redirectUrl !== undefined ? { redirectUrl: s.redirectUrl } : {}),
    capabilities: {
      renewal: renews ? 'refresh-token' : 'none',
      interactiveLogin: 'oauth-redirect',
      validate: true,
    },
    expiryRule: { kind: 'daily', at: { ...KITE_DAILY_EXPIRY } },
    // Approved platforms renew just after the 06:00 rollover, well before the 09:00 pre-open.
    ...(renews ? { renewalWindow: { start: '06:05', end: '08:45', timeZone: KITE_DAILY_EXPIRY.timeZone } } : {}),
    ...(s.validateEveryMs > 0 ? { defaults: { validateEveryMs: s.validateEveryMs } } : {}),
    doRefresh,
    doValidate,
    login,
    revoke: (input) => revokeKiteSession(http, s, input),
  };
}
