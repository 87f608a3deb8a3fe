import {
  LoginRequiredError,
  Secret,
  type BrokerAdapterV1,
  type RefreshInputV1,
  type TokenSetV1,
  type ValidateInputV1,
  type ValidateResultV1,
} from '@tokens/core';
import { createBrokerHttp } from '@tokens/broker-utils';
import { REFRESH_TOKEN_LIFETIME_MS, SCHWAB_PATHS } from './schwab-api';
import { BROKER, schwabApiErrorFromResponse } from './schwab-errors';
import { createSchwabLogin, type SchwabLogin } from './schwab-login';
import { resolveSchwabSettings, type SchwabSettings } from './schwab-settings';
import { postToken, toTokenSet } from './schwab-token';

const MINUTE = 60_000;

/** The Schwab adapter: a `BrokerAdapterV1` whose login and probe are always present. */
export interface SchwabAdapter extends BrokerAdapterV1 {
  readonly broker: 'schwab';
  readonly login: SchwabLogin;
  doValidate(input: ValidateInputV1): Promise<ValidateResultV1>;
}

/**
 * Charles Schwab Trader API. Access tokens live 30 minutes and are renewed with the OAuth
 * `refresh_token` grant (HTTP Basic); the refresh token dies 7 days after the browser login,
 * so the engine warns a human before that (`refreshExpiresAt`).
 *
 * ```ts
 * const schwab = createSchwab({ appKey, appSecret, callbackUrl: 'https://127.0.0.1:8182' });
 * await manager.addAccount({ id: 'schwab-main', adapter: schwab });
 * ```
 */
export function createSchwab(settings: SchwabSettings = {}): SchwabAdapter {
  const resolved = resolveSchwabSettings(settings);
  const http = createBrokerHttp({
    broker: BROKER,
    baseUrl: resolved.baseUrl,
    ...(resolved.fetch ? { fetch: resolved.fetch } : {}),
    ...(resolved.timeoutMs !== undefined ? { timeoutMs: resolved.timeoutMs } : {}),
  });

  return {
    specificationVersion: 'v1',
    broker: BROKER,
    capabilities: { renewal: 'refresh-token', interactiveLogin: 'oauth-redirect', validate: true, renewalInvalidatesPrevious: true },
    expiryRule: { kind: 'expires-in' },
    defaults: {
      // Renew 20–25 minutes into the 30-minute life (22.5 ± 2.5 min): never a gap, and many
      // processes or accounts never renew in the same second.
      refreshAhead: { ratio: 0.75, jitter: 2.5 / 30, minMarginMs: 5 * MINUTE },
    },
    login: createSchwabLogin(http, resolved),

    async doRefresh({ current, signal, now }: RefreshInputV1): Promise<TokenSetV1> {
      const refreshToken = current?.refreshToken;
      if (!refreshToken || refreshToken.reveal() === '') {
        throw new LoginRequiredError({
          broker: BROKER,
          message: 'No Schwab refresh token is stored for this account: complete the browser login first, or import a schwab-py token file.',
        });
      }
      const body = await postToken(http, resolved, 'refresh_token', { refresh_token: refreshToken }, signal);
      return toTokenSet(body, {
        now,
        // Carried from the login; only a token set built by hand lacks it (then: a best guess).
        refreshExpiresAt: current.refreshExpiresAt ?? current.issuedAt + REFRESH_TOKEN_LIFETIME_MS,
        previousRefreshToken: refreshToken,
      });
    },

    async doValidate({ tokenSet, signal }: ValidateInputV1): Promise<ValidateResultV1> {
      const response = await http.request(SCHWAB_PATHS.accountNumbers, {
        headers: { Authorization: new Secret(`Bearer ${tokenSet.accessToken.reveal()}`) },
        signal,
      });
      if (response.ok) return { valid: true };
      const error = schwabApiErrorFromResponse(response);
      if (error.isAuthError) return { valid: false, reason: error.message };
      throw error;
    },
  };
}
