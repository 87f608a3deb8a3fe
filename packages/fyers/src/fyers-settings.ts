import { InvalidConfigError, Secret, type ConfigIssue, type SecretValue } from '@tokens/core';
import { fyersAppIdHash, isSecretValue, loadOptionalSetting, withoutTrailingSlash } from '@tokens/broker-utils';
import { z } from 'zod';

/** The production API host. Auth calls and the login page live under it too. */
export const FYERS_BASE_URL = 'https://api-t1.fyers.in/api/v3';

export interface FyersSettings {
  /**
   * The app id **with** its app-type suffix, e.g. `ABCDEFGH12-100` (from myapi.fyers.in →
   * Dashboard → your app). Falls back to `FYERS_APP_ID`.
   */
  appId?: string;
  /** The app's secret key. Only ever sent as `appIdHash`. Falls back to `FYERS_APP_SECRET`. */
  appSecret?: string | SecretValue;
  /** Your 4-digit FYERS trading PIN, needed for every refresh. Falls back to `FYERS_PIN`. */
  pin?: string | SecretValue;
  /**
   * The redirect URL registered for the app (must match exactly). Falls back to
   * `FYERS_REDIRECT_URI`. A `redirectUri` passed to `authorizeUrl` wins.
   */
  redirectUri?: string;
  /** API base URL. Default `https://api-t1.fyers.in/api/v3`; point it at `startFakeFyers().url` to test. */
  baseUrl?: string;
  /** Custom fetch (proxies, instrumentation). */
  fetch?: typeof globalThis.fetch;
  /** Time limit per request, body included. Default 15 000 ms. */
  timeoutMs?: number;
  /** Where the `FYERS_*` fallbacks are looked up. Default `process.env`, read when `createFyers` runs. */
  environment?: Record<string, string | undefined>;
}

/** Settings after validation: secrets wrapped, the hash computed once. */
export interface ResolvedFyersSettings {
  appId: string;
  appIdHash: Secret;
  pin: Secret;
  redirectUri: string;
  baseUrl: string;
  fetch?: typeof globalThis.fetch;
  timeoutMs?: number;
}

const httpUrl = (what: string) =>
  z
    .string({ error: (issue: { input?: unknown }) => (issue.input === undefined ? 'is missing' : 'must be a string') })
    .refine((v) => /^https?:\/\/[^/?#\s]+/i.test(v) && URL.canParse(v), { error: `must be an absolute http(s) URL (${what})` });

// Messages never echo values: a PIN typed into the wrong field must not end up in a log.
const required = { error: (issue: { input?: unknown }) => (issue.input === undefined ? 'is missing' : 'must be a string') };

const schema = z.object({
  appId: z
    .string(required)
    .regex(/^[A-Z0-9]+-\d+$/i, { error: 'must be the full app id with its app-type suffix, e.g. "ABCDEFGH12-100"' }),
  appSecret: z.string(required).min(1, { error: 'is missing' }),
  pin: z.string(required).regex(/^\d{4}$/, { error: 'must be your 4-digit FYERS trading PIN' }),
  redirectUri: httpUrl('the redirect URL registered for the app, e.g. "https://127.0.0.1:8765/callback"'),
  baseUrl: httpUrl('e.g. "https://api-t1.fyers.in/api/v3"'),
  timeoutMs: z.number().int().positive({ error: 'must be a positive number of milliseconds' }).optional(),
  fetch: z.custom<typeof globalThis.fetch>((v) => typeof v === 'function', { error: 'must be a fetch function' }).optional(),
});

const ENV: Record<string, string> = {
  appId: 'FYERS_APP_ID',
  appSecret: 'FYERS_APP_SECRET',
  pin: 'FYERS_PIN',
  redirectUri: 'FYERS_REDIRECT_URI',
};

function howToFix(field: string): string {
  const env = ENV[field];
  return env ? ` Pass it as \`${field}\` or set ${env}.` : ` Pass it as \`${field}\`.`;
}

/** A value from the settings or the environment; secrets are revealed only for validation. */
function read(value: unknown, field: string, environment: FyersSettings['environment']): unknown {
  if (isSecretValue(value)) {
    const raw = value.reveal();
    return raw.trim() === '' ? read(undefined, field, environment) : raw;
  }
  if (value !== undefined && typeof value !== 'string') return value; // zod reports the type
  const env = ENV[field];
  return loadOptionalSetting({ value, description: `FYERS ${field}`, ...(env ? { environmentVariableName: env } : {}), ...(environment ? { environment } : {}) });
}

/**
 * Validates the settings and resolves `FYERS_*` environment fallbacks. Every problem is reported
 * at once as an `InvalidConfigError` naming the field and how to fix it.
 */
export function resolveFyersSettings(settings: FyersSettings = {}): ResolvedFyersSettings {
  const env = settings.environment;
  const input = {
    appId: read(settings.appId, 'appId', env),
    appSecret: read(settings.appSecret, 'appSecret', env),
    pin: read(settings.pin, 'pin', env),
    redirectUri: read(settings.redirectUri, 'redirectUri', env),
    baseUrl: withoutTrailingSlash(typeof settings.baseUrl === 'string' && settings.baseUrl.trim() !== '' ? settings.baseUrl.trim() : FYERS_BASE_URL),
    timeoutMs: settings.timeoutMs,
    fetch: settings.fetch,
  };
  const parsed = schema.safeParse(input, { reportInput: false });
  if (!parsed.success) {
    const issues: ConfigIssue[] = parsed.error.issues.map((issue) => {
      const field = String(issue.path[0] ?? 'settings');
      const missing = issue.message === 'is missing';
      return { path: field, message: `FYERS ${field} ${issue.message}.${missing ? howToFix(field) : ''}` };
    });
    throw new InvalidConfigError({ issues });
  }
  const s = parsed.data;
  return {
    appId: s.appId,
    appIdHash: fyersAppIdHash(s.appId, new Secret(s.appSecret)),
    pin: new Secret(s.pin),
    redirectUri: s.redirectUri,
    baseUrl: s.baseUrl,
    ...(s.fetch ? { fetch: s.fetch } : {}),
    ...(s.timeoutMs !== undefined ? { timeoutMs: s.timeoutMs } : {}),
  };
}
