import { InvalidConfigError, type Secret, type SecretValue } from '@tokens/core';
import { loadSecretSetting, loadSetting, withoutTrailingSlash } from '@tokens/broker-utils';

/** The production host of the Schwab Trader API (OAuth and trading endpoints share it). */
export const SCHWAB_BASE_URL = 'https://api.schwabapi.com';

export interface SchwabSettings {
  /** The app key (OAuth `client_id`) from developer.schwab.com → Dashboard → your app. Env: SCHWAB_APP_KEY. */
  appKey?: string;
  /** The app secret shown next to the app key. Env: SCHWAB_APP_SECRET. */
  appSecret?: string | SecretValue;
  /**
   * The callback URL registered for the app, character for character (Schwab requires https and
   * rejects a trailing slash), e.g. `https://127.0.0.1:8182`. Env: SCHWAB_CALLBACK_URL.
   */
  callbackUrl?: string;
  /** Default `https://api.schwabapi.com`; point it at `startFakeSchwab()` in tests. */
  baseUrl?: string;
  /** Custom fetch (proxies, instrumentation, tests). */
  fetch?: typeof globalThis.fetch;
  /** Time limit per HTTP request, body included. Default 15 000 ms. */
  timeoutMs?: number;
  /** Where SCHWAB_* variables are read when a field is not passed. Default `process.env`, read when `createSchwab` is called. */
  environment?: Record<string, string | undefined>;
}

/** Settings after validation: what the adapter actually uses. */
export interface ResolvedSchwabSettings {
  appKey: string;
  appSecret: Secret;
  callbackUrl: string;
  baseUrl: string;
  fetch?: typeof globalThis.fetch;
  timeoutMs?: number;
}

function invalid(path: string, message: string): InvalidConfigError {
  return new InvalidConfigError({ message: `Schwab ${path} ${message}`, issues: [{ path, message }] });
}

const isLoopback = (host: string) => host === '127.0.0.1' || host === 'localhost' || host === '[::1]';

/**
 * Validates the settings and fills them from the environment. Every problem names the field and
 * the fix, because a Schwab app that is misconfigured fails only at the (weekly) login.
 */
export function resolveSchwabSettings(settings: SchwabSettings = {}): ResolvedSchwabSettings {
  const environment = settings.environment;
  const appKey = loadSetting({
    value: settings.appKey,
    environmentVariableName: 'SCHWAB_APP_KEY',
    parameterName: 'appKey',
    description: 'Schwab app key (developer.schwab.com → Dashboard → App Key)',
    environment,
  }).trim();
  if (/\s/.test(appKey)) throw invalid('appKey', 'must not contain spaces: copy the App Key from the developer portal exactly.');
  const appSecret = loadSecretSetting({
    value: settings.appSecret,
    environmentVariableName: 'SCHWAB_APP_SECRET',
    parameterName: 'appSecret',
    description: 'Schwab app secret (developer.schwab.com → Dashboard → Secret)',
    environment,
  });
  const callbackUrl = loadSetting({
    value: settings.callbackUrl,
    environmentVariableName: 'SCHWAB_CALLBACK_URL',
    parameterName: 'callbackUrl',
    description: 'Schwab callback URL (as registered for the app, e.g. https://127.0.0.1:8182)',
    environment,
  }).trim();
  let parsed: URL;
  try {
    parsed = new URL(callbackUrl);
  } catch {
    throw invalid('callbackUrl', 'must be an absolute URL such as "https://127.0.0.1:8182", exactly as registered for the app.');
  }
  // Schwab only accepts https callbacks; plain http is allowed for loopback fakes in tests.
  if (parsed.protocol !== 'https:' && !(parsed.protocol === 'http:' && isLoopback(parsed.hostname))) {
    throw invalid('callbackUrl', 'must use https (Schwab rejects other callback URLs), e.g. "https://127.0.0.1:8182".');
  }
  if (callbackUrl.endsWith('/')) {
    throw invalid('callbackUrl', `must not end with "/": Schwab compares it character for character with the registered URL (use "${callbackUrl.replace(/\/+$/, '')}").`);
  }
  if (parsed.search || parsed.hash) throw invalid('callbackUrl', 'must not carry a query string or fragment.');

  const baseUrl = withoutTrailingSlash(settings.baseUrl?.trim() || SCHWAB_BASE_URL);
  if (!/^https?:\/\/[^/?#\s]+/i.test(baseUrl) || !URL.canParse(baseUrl)) {
    throw invalid('baseUrl', 'must be an absolute http(s) URL such as "https://api.schwabapi.com".');
  }
  if (settings.timeoutMs !== undefined && !(Number.isFinite(settings.timeoutMs) && settings.timeoutMs > 0)) {
    throw invalid('timeoutMs', 'must be a positive number of milliseconds.');
  }
  if (settings.fetch !== undefined && typeof settings.fetch !== 'function') throw invalid('fetch', 'must be a fetch function.');
  return {
    appKey,
    appSecret,
    callbackUrl,
    baseUrl,
    ...(settings.fetch ? { fetch: settings.fetch } : {}),
    ...(settings.timeoutMs !== undefined ? { timeoutMs: settings.timeoutMs } : {}),
  };
}
