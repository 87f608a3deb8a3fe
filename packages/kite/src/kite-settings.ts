import { InvalidConfigError, type ConfigIssue, type Secret } from '@tokens/core';
import {
  isSecretValue,
  loadOptionalSetting,
  loadSecretSetting,
  loadSetting,
  withoutTrailingSlash,
  type SecretInput,
} from '@tokens/broker-utils';
import { z } from 'zod';

export const KITE_API_URL = 'https://api.kite.trade';
export const KITE_LOGIN_URL = 'https://kite.zerodha.com/connect/login';

/** Settings of {@link createKite}. Credentials fall back to environment variables, read when `createKite` runs. */
export interface KiteSettings {
  /** The app's API key from developers.kite.trade. Public (it is in the login URL). Default: `KITE_API_KEY`. */
  apiKey?: string;
  /** The app's API secret. Used only inside checksums. Default: `KITE_API_SECRET`. */
  apiSecret?: SecretInput;
  /**
   * The redirect URL registered for the app on developers.kite.trade. Kite always redirects
   * there (it cannot be chosen per login); informational for the daemon's callback route.
   * Default: `KITE_REDIRECT_URL`, else none.
   */
  redirectUrl?: string;
  /**
   * Only for platforms Zerodha approved for refresh tokens: renews the session unattended with
   * `POST /session/refresh_token`. Normal apps get `refresh_token: ""` and leave this unset.
   */
  refreshToken?: SecretInput;
  /**
   * Zerodha approved this app for refresh tokens: keep the `refresh_token` each login returns and
   * renew with it. Implied by `refreshToken`. Default false.
   */
  useRefreshTokens?: boolean;
  /** API root. Default `https://api.kite.trade` (the fake's `url` in tests). */
  baseUrl?: string;
  /** Login page. Default `https://kite.zerodha.com/connect/login` (the fake's `loginUrl` in tests). */
  loginUrl?: string;
  /** Custom fetch (tests, proxies). */
  fetch?: typeof globalThis.fetch;
  /** Time limit per request, body included. Default 15 000 ms. */
  timeoutMs?: number;
  /** How often the engine probes the session with `GET /user/profile`. Default 15 minutes; 0 turns the probe off. */
  validateEveryMs?: number;
  /** Where to look up the environment variables. Default `process.env`. */
  environment?: Record<string, string | undefined>;
}

/** Settings after defaults, environment and validation. */
export interface ResolvedKiteSettings {
  apiKey: string;
  apiSecret: Secret;
  redirectUrl?: string;
  refreshToken?: Secret;
  /** True when the app renews with refresh tokens (approved platforms). */
  useRefreshTokens: boolean;
  baseUrl: string;
  loginUrl: string;
  fetch?: typeof globalThis.fetch;
  timeoutMs?: number;
  validateEveryMs: number;
}

export const DEFAULT_VALIDATE_EVERY_MS = 15 * 60_000;

const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an absolute http(s) URL' });
const shape = z.object({
  // Kite API keys are short alphanumeric ids; anything with spaces or URL syntax is a paste error.
  apiKey: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be the app\'s API key from developers.kite.trade (letters and digits)'),
  redirectUrl: httpUrl.optional(),
  baseUrl: httpUrl,
  loginUrl: httpUrl,
  timeoutMs: z.number().int().positive('must be a positive number of milliseconds').optional(),
  validateEveryMs: z.number().int().min(0, 'must be 0 (off) or a positive number of milliseconds'),
});

const fixes: Record<string, string> = {
  apiKey: 'Copy it from your app on developers.kite.trade.',
  redirectUrl: 'Use the redirect URL registered for the app, e.g. "https://example.com/kite/callback".',
  baseUrl: 'Leave it unset for https://api.kite.trade.',
  loginUrl: 'Leave it unset for https://kite.zerodha.com/connect/login.',
  timeoutMs: 'For example 15000.',
  validateEveryMs: 'For example 900000 (15 minutes).',
};

/** Applies defaults and the environment, then validates; throws InvalidConfigError naming each bad field and its fix. */
export function resolveKiteSettings(settings: KiteSettings = {}): ResolvedKiteSettings {
  const environment = settings.environment;
  const apiKey = loadSetting({
    value: settings.apiKey,
    parameterName: 'apiKey',
    environmentVariableName: 'KITE_API_KEY',
    description: 'Kite Connect API key',
    environment,
  });
  const apiSecret = loadSecretSetting({
    value: settings.apiSecret,
    parameterName: 'apiSecret',
    environmentVariableName: 'KITE_API_SECRET',
    description: 'Kite Connect API secret',
    environment,
  });
  const redirectUrl = loadOptionalSetting({
    value: settings.redirectUrl,
    parameterName: 'redirectUrl',
    environmentVariableName: 'KITE_REDIRECT_URL',
    description: 'Kite Connect redirect URL',
    environment,
  });
  const candidate = {
    apiKey: apiKey.trim(),
    redirectUrl,
    baseUrl: withoutTrailingSlash(settings.baseUrl ?? KITE_API_URL),
    loginUrl: settings.loginUrl ?? KITE_LOGIN_URL,
    timeoutMs: settings.timeoutMs,
    validateEveryMs: settings.validateEveryMs ?? DEFAULT_VALIDATE_EVERY_MS,
  };
  const parsed = shape.safeParse(candidate, { reportInput: false });
  const issues: ConfigIssue[] = [];
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const field = String(issue.path[0] ?? 'settings');
      issues.push({ path: field, message: `${issue.message}. ${fixes[field] ?? ''}`.trim() });
    }
  }
  let refreshToken: Secret | undefined;
  if (settings.refreshToken !== undefined) {
    const raw = isSecretValue(settings.refreshToken) ? settings.refreshToken.reveal() : settings.refreshToken;
    if (typeof raw !== 'string' || raw.trim() === '') {
      issues.push({ path: 'refreshToken', message: 'is empty. Leave it unset unless Zerodha approved your app for refresh tokens.' });
    } else {
      refreshToken = loadSecretSetting({ value: settings.refreshToken, parameterName: 'refreshToken', description: 'Kite Connect refresh token' });
    }
  }
  if (settings.useRefreshTokens !== undefined && typeof settings.useRefreshTokens !== 'boolean') {
    issues.push({ path: 'useRefreshTokens', message: 'must be true or false.' });
  }
  if (settings.fetch !== undefined && typeof settings.fetch !== 'function') {
    issues.push({ path: 'fetch', message: 'must be a fetch-compatible function.' });
  }
  if (issues.length > 0 || !parsed.success) {
    throw new InvalidConfigError({
      message: `Invalid Kite settings:\n${issues.map((i) => `  - ${i.path}: ${i.message}`).join('\n')}`,
      issues,
    });
  }
  const v = parsed.data;
  return {
    apiKey: v.apiKey,
    apiSecret,
    ...(v.redirectUrl !== undefined ? { redirectUrl: v.redirectUrl } : {}),
    ...(refreshToken ? { refreshToken } : {}),
    useRefreshTokens: refreshToken !== undefined || settings.useRefreshTokens === true,
    baseUrl: v.baseUrl,
    loginUrl: v.loginUrl,
    ...(settings.fetch ? { fetch: settings.fetch } : {}),
    ...(v.timeoutMs !== undefined ? { timeoutMs: v.timeoutMs } : {}),
    validateEveryMs: v.validateEveryMs,
  };
}
