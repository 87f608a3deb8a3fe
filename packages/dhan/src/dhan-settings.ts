import { InvalidConfigError, Secret, type ConfigIssue, type SecretValue } from '@tokens/core';
import { generateTotp, isSecretValue, withoutTrailingSlash, type SecretInput } from '@tokens/broker-utils';
import { z } from 'zod';

/** Where Dhan's trading API lives (RenewToken, profile). */
export const DHAN_API_BASE_URL = 'https://api.dhan.co/v2';
/** Where Dhan's auth endpoints live (generateAccessToken, consent flow). */
export const DHAN_AUTH_BASE_URL = 'https://auth.dhan.co';

/**
 * How this account gets its daily token:
 * - `totp`: re-mint with PIN + TOTP (`POST auth.dhan.co/app/generateAccessToken`). Fully unattended.
 * - `renew`: chain a token generated on Dhan Web with `GET /v2/RenewToken` before it lapses.
 * - `consent`: API key + secret; a human logs in through Dhan's consent page every day.
 */
export type DhanMode = 'totp' | 'renew' | 'consent';

export interface DhanSettings {
  /** Your Dhan client id (account number, e.g. "1000000401"). Falls back to DHAN_CLIENT_ID. */
  clientId?: string;
  mode: DhanMode;
  /** Dhan PIN (mode `totp`). Falls back to DHAN_PIN. */
  pin?: SecretInput;
  /** The base32 setup key shown when you enabled TOTP on web.dhan.co (mode `totp`). Falls back to DHAN_TOTP_SECRET. */
  totpSecret?: SecretInput;
  /** A token generated on web.dhan.co (mode `renew`: the first link of the chain). Falls back to DHAN_ACCESS_TOKEN. */
  accessToken?: SecretInput;
  /** API key (`app_id`) for the consent login. Required in mode `consent`, optional otherwise. Falls back to DHAN_API_KEY. */
  apiKey?: SecretInput;
  /** API secret (`app_secret`) for the consent login. Falls back to DHAN_API_SECRET. */
  apiSecret?: SecretInput;
  /** Default `https://api.dhan.co/v2`. */
  baseUrl?: string;
  /** Default `https://auth.dhan.co`. */
  authBaseUrl?: string;
  /** Custom fetch (tests, proxies). */
  fetch?: typeof globalThis.fetch;
  /** Time limit per request in ms. Default 15 000. */
  timeoutMs?: number;
  /** Where the DHAN_* fallbacks are read. Default `process.env`, read when `createDhan` runs. */
  environment?: Record<string, string | undefined>;
}

export interface ResolvedDhanSettings {
  clientId: string;
  mode: DhanMode;
  pin?: Secret;
  totpSecret?: Secret;
  accessToken?: Secret;
  apiKey?: Secret;
  apiSecret?: Secret;
  baseUrl: string;
  authBaseUrl: string;
  fetch?: typeof globalThis.fetch;
  timeoutMs?: number;
}

const secretInput = z.union([z.string(), z.custom<SecretValue>(isSecretValue)]);
const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an absolute http(s) URL' });

// Shapes only; which fields each mode needs is checked below with messages that say how to fix it.
const settingsSchema = z.strictObject({
  clientId: z.string().optional(),
  mode: z.enum(['totp', 'renew', 'consent'], { error: 'must be "totp", "renew" or "consent"' }),
  pin: secretInput.optional(),
  totpSecret: secretInput.optional(),
  accessToken: secretInput.optional(),
  apiKey: secretInput.optional(),
  apiSecret: secretInput.optional(),
  baseUrl: httpUrl.optional(),
  authBaseUrl: httpUrl.optional(),
  fetch: z.custom<typeof globalThis.fetch>((v) => typeof v === 'function', 'must be a fetch function').optional(),
  timeoutMs: z.number().int().positive().max(600_000, 'must be at most 600000 (10 minutes)').optional(),
  environment: z.record(z.string(), z.string().optional()).optional(),
});

const ENV = {
  clientId: 'DHAN_CLIENT_ID',
  pin: 'DHAN_PIN',
  totpSecret: 'DHAN_TOTP_SECRET',
  accessToken: 'DHAN_ACCESS_TOKEN',
  apiKey: 'DHAN_API_KEY',
  apiSecret: 'DHAN_API_SECRET',
} as const;

type SecretField = 'pin' | 'totpSecret' | 'accessToken' | 'apiKey' | 'apiSecret';

function present(value: SecretInput | undefined): value is SecretInput {
  if (value === undefined) return false;
  return (typeof value === 'string' ? value : value.reveal()).trim() !== '';
}

/**
 * Validates the settings (zod for shapes, then per-mode requirements) and reads the DHAN_*
 * fallbacks. Throws one InvalidConfigError listing every problem; messages never echo values.
 */
export function resolveDhanSettings(settings: DhanSettings): ResolvedDhanSettings {
  const parsed = settingsSchema.safeParse(settings ?? {}, { reportInput: false });
  if (!parsed.success) {
    throw new InvalidConfigError({
      message: `Invalid Dhan settings:\n${parsed.error.issues
        .map((i) => `  - ${i.path.join('.') || '(settings)'}: ${i.code === 'unrecognized_keys' ? `unknown setting(s) ${i.keys.join(', ')}` : i.message}`)
        .join('\n')}`,
      issues: parsed.error.issues.map((i) => ({
        path: i.path.join('.') || (i.code === 'unrecognized_keys' ? i.keys.join(',') : 'settings'),
        message: i.code === 'unrecognized_keys' ? 'unknown setting' : i.message,
      })),
    });
  }
  const s = parsed.data;
  const env = s.environment ?? (typeof process === 'undefined' ? {} : process.env);
  const fromEnv = (name: string) => {
    const v = env[name];
    return v !== undefined && v.trim() !== '' ? v.trim() : undefined;
  };
  const secret = (field: SecretField): Secret | undefined => {
    const v = s[field];
    if (present(v)) return typeof v === 'string' ? new Secret(v.trim()) : Secret.from(v);
    const e = fromEnv(ENV[field]);
    return e === undefined ? undefined : new Secret(e);
  };

  const issues: ConfigIssue[] = [];
  const missing = (field: keyof typeof ENV, what: string) =>
    issues.push({ path: field, message: `${what} is missing. Pass it as \`${field}\` or set ${ENV[field]}.` });

  const clientId = s.clientId?.trim() || fromEnv(ENV.clientId);
  if (clientId === undefined) missing('clientId', 'Dhan client id (your account number, shown on web.dhan.co)');
  else if (!/^[A-Za-z0-9]{4,32}$/.test(clientId)) issues.push({ path: 'clientId', message: 'must be your Dhan client id: letters and digits only, such as "1000000401".' });

  const pin = secret('pin');
  const totpSecret = secret('totpSecret');
  const accessToken = secret('accessToken');
  const apiKey = secret('apiKey');
  const apiSecret = secret('apiSecret');

  if (s.mode === 'totp') {
    if (!pin) missing('pin', 'Dhan PIN (mode "totp" logs in with PIN + TOTP)');
    if (!totpSecret) missing('totpSecret', 'Dhan TOTP secret (the setup key shown when you enabled TOTP under web.dhan.co → DhanHQ Trading APIs)');
  }
  if (s.mode === 'renew' && !accessToken) {
    missing('accessToken', 'Dhan access token (mode "renew" chains a token generated on web.dhan.co → My Profile → Access DhanHQ APIs)');
  }
  if (s.mode === 'consent') {
    if (!apiKey) missing('apiKey', 'Dhan API key (mode "consent"; create one under web.dhan.co → DhanHQ Trading APIs)');
    if (!apiSecret) missing('apiSecret', 'Dhan API secret (mode "consent")');
  } else if (Boolean(apiKey) !== Boolean(apiSecret)) {
    issues.push({ path: apiKey ? 'apiSecret' : 'apiKey', message: 'the consent login needs both `apiKey` and `apiSecret`; pass both or neither.' });
  }
  if (pin && !/^\d{4,8}$/.test(pin.reveal())) issues.push({ path: 'pin', message: 'must be your Dhan PIN: digits only (Dhan PINs have 6 digits).' });
  if (totpSecret) {
    try {
      generateTotp({ secret: totpSecret, now: 0 });
    } catch {
      issues.push({ path: 'totpSecret', message: 'is not a valid base32 TOTP setup key; copy the key Dhan showed when you enabled TOTP (spaces are fine).' });
    }
  }
  if (accessToken && /\s/.test(accessToken.reveal())) issues.push({ path: 'accessToken', message: 'must be the token exactly as Dhan shows it, without spaces or line breaks.' });

  if (issues.length > 0) throw new InvalidConfigError({ message: `Invalid Dhan settings:\n${issues.map((i) => `  - ${i.path}: ${i.message}`).join('\n')}`, issues });

  const out: ResolvedDhanSettings = {
    clientId: clientId!,
    mode: s.mode,
    baseUrl: withoutTrailingSlash(s.baseUrl ?? DHAN_API_BASE_URL),
    authBaseUrl: withoutTrailingSlash(s.authBaseUrl ?? DHAN_AUTH_BASE_URL),
  };
  if (pin) out.pin = pin;
  if (totpSecret) out.totpSecret = totpSecret;
  if (accessToken) out.accessToken = accessToken;
  if (apiKey && apiSecret) {
    out.apiKey = apiKey;
    out.apiSecret = apiSecret;
  }
  if (s.fetch) out.fetch = s.fetch;
  if (s.timeoutMs !== undefined) out.timeoutMs = s.timeoutMs;
  return out;
}

/** "******0401": enough for a human to tell accounts apart, not the whole account number. */
export function maskClientId(clientId: string): string {
  return clientId.length <= 4 ? '****' : `${'*'.repeat(Math.min(6, clientId.length - 4))}${clientId.slice(-4)}`;
}
