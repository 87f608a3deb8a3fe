import {
  LoginRequiredError,
  Secret,
  type BrokerAdapterV1,
  type RefreshInputV1,
  type TokenSetV1,
  type ValidateInputV1,
  type ValidateResultV1,
} from '@tokens/core';
import { createBrokerHttp, formatIst, parseJsonResponse } from '@tokens/broker-utils';
import { FYERS_DAILY_EXPIRY, FYERS_PATHS, profileResponseSchema, refreshResponseSchema } from './fyers-api';
import { classifyFyersError, malformedError, readErrorEnvelope, refreshError } from './fyers-errors';
import { createFyersLogin, type FyersLogin } from './fyers-login';
import { resolveFyersSettings, type FyersSettings } from './fyers-settings';
import { fyersTokenSet, refreshExpiresAtOf } from './fyers-token-set';

export interface FyersAdapter extends BrokerAdapterV1 {
  readonly broker: 'fyers';
  /** The app id (public); consumers send `Authorization: <appId>:<accessToken>`. */
  readonly appId: string;
  readonly login: FyersLogin;
  doValidate(input: ValidateInputV1): Promise<ValidateResultV1>;
}

/**
 * Renewal window: after the 06:00 IST rollover (plus a margin for FYERS' own clock) and before
 * the 09:00 IST pre-open, so a failure still leaves time for a human before the market needs
 * the session.
 */
export const FYERS_RENEWAL_WINDOW = { start: '06:05', end: '08:55', timeZone: 'Asia/Kolkata' } as const;

/**
 * The setup `tokens` replaces, as an account schedule: renew at 08:45 IST, Monday to Friday,
 * skipping NSE holidays. Pass it as `schedule` to `addAccount` (with a market calendar).
 */
export const FYERS_SEED_SCHEDULE = { cron: '45 8 * * 1-5', timeZone: 'Asia/Kolkata', skipHolidaysOf: 'NSE' } as const;

/**
 * Creates the FYERS API v3 adapter: unattended refresh with the 15-day refresh token + PIN +
 * `appIdHash`, a browser login (callback or pasted redirect URL) when a human is needed, and a
 * profile probe.
 *
 * ```ts
 * const fyers = createFyers({ appId: 'ABCDEFGH12-100', appSecret, pin, redirectUri: 'https://127.0.0.1:8765/callback' });
 * await manager.addAccount({ id: 'fyers-main', adapter: fyers });
 * ```
 */
export function createFyers(settings: FyersSettings = {}): FyersAdapter {
  const resolved = resolveFyersSettings(settings);
  const { appId, appIdHash, pin } = resolved;
  const http = createBrokerHttp({
    broker: 'fyers',
    baseUrl: resolved.baseUrl,
    ...(resolved.fetch ? { fetch: resolved.fetch } : {}),
    ...(resolved.timeoutMs !== undefined ? { timeoutMs: resolved.timeoutMs } : {}),
  });

  async function doRefresh({ current, signal, now }: RefreshInputV1): Promise<TokenSetV1> {
    const refreshToken = current?.refreshToken;
    if (!refreshToken || refreshToken.reveal() === '') {
      throw new LoginRequiredError({ broker: 'fyers', message: 'No FYERS refresh token is stored: complete a browser login first.' });
    }
    const refreshExpiresAt = refreshExpiresAtOf(refreshToken, current.refreshExpiresAt);
    // Known dead: don't spend a request (and a rate-limit slot) on a certain rejection.
    if (refreshExpiresAt !== undefined && refreshExpiresAt <= now) {
      throw new LoginRequiredError({
        broker: 'fyers',
        message: `The FYERS refresh token expired at ${formatIst(refreshExpiresAt)} (15 days after the last browser login): log in again in the browser.`,
      });
    }
    const response = await http.request(FYERS_PATHS.refresh, {
      method: 'POST',
      json: { grant_type: 'refresh_token', appIdHash, refresh_token: refreshToken, pin },
      signal,
    });
    if (!response.ok || readErrorEnvelope(response)) throw refreshError(response);
    let body;
    try {
      body = parseJsonResponse(refreshResponseSchema, response);
    } catch (error) {
      throw malformedError(error);
    }
    // The answer carries no new refresh token: the 15-day clock keeps running from the login.
    return fyersTokenSet({ accessToken: body.access_token, refreshToken, refreshExpiresAt, now, appId });
  }

  async function doValidate({ tokenSet, signal, now }: ValidateInputV1): Promise<ValidateResultV1> {
    if (tokenSet.expiresAt <= now) return { valid: false, reason: `expired at ${formatIst(tokenSet.expiresAt)}` };
    const response = await http.request(FYERS_PATHS.profile, {
      // No scheme word: FYERS wants "<appId>:<accessToken>".
      headers: { Authorization: new Secret(`${appId}:${tokenSet.accessToken.reveal()}`) },
      signal,
    });
    if (!response.ok || readErrorEnvelope(response)) {
      const failure = classifyFyersError(response);
      if (failure.kind === 'auth') return { valid: false, reason: `FYERS rejected the token (${failure.summary})` };
      throw failure.error;
    }
    try {
      parseJsonResponse(profileResponseSchema, response);
    } catch (error) {
      throw malformedError(error);
    }
    return { valid: true };
  }

  return {
    specificationVersion: 'v1',
    broker: 'fyers',
    appId,
    capabilities: { renewal: 'refresh-token', interactiveLogin: 'oauth-redirect', validate: true },
    expiryRule: { kind: 'daily', at: { ...FYERS_DAILY_EXPIRY } },
    renewalWindow: { ...FYERS_RENEWAL_WINDOW },
    doRefresh,
    doValidate,
    login: createFyersLogin(resolved, http),
  };
}
