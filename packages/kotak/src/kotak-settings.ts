import { InvalidConfigError, Secret, type ConfigIssue, type SecretValue } from '@tokens/core';
import { generateTotp, isSecretValue, loadOptionalSetting, withoutTrailingSlash } from '@tokens/broker-utils';
import { z } from 'zod';

/** The Trade API login host (the same for the main and the ADC data centre). */
export const KOTAK_LOGIN_BASE_URL = 'https://mis.kotaksecurities.com';
/** The constant `neo-fin-key` header every Trade API login call carries. */
export const KOTAK_NEO_FIN_KEY = 'neotradeapi';

export interface KotakSettings {
  /**
   * The Trade API consumer key ("token" on NEO app → Invest → Trade API card → Generate
   * application). Sent raw as `Authorization`, no "Bearer". Env: KOTAK_CONSUMER_KEY.
   */
  consumerKey?: string | SecretValue;
  /** The registered mobile number with country code, e.g. "+919876543210" (10 bare digits get +91). Env: KOTAK_MOBILE_NUMBER. */
  mobileNumber?: string;
  /** The alphanumeric Unique Client Code (NEO app → Profile), e.g. "ABC12". Env: KOTAK_UCC. */
  ucc?: string;
  /** The base32 setup key shown when registering TOTP for the Trade API. Env: KOTAK_TOTP_SECRET. */
  totpSecret?: string | SecretValue;
  /** The 6-digit MPIN. Env: KOTAK_MPIN. */
  mpin?: string | SecretValue;
  /** Login host. Default https://mis.kotaksecurities.com (point it at `startFakeKotak().url` in tests). */
  loginBaseUrl?: string;
  /** Value of the `neo-fin-key` header. Default "neotradeapi". */
  neoFinKey?: string;
  /** Custom fetch (tests, proxies, instrumentation). */
  fetch?: typeof globalThis.fetch;
  /** Time limit per HTTP request, body included. Default 15 000 ms. */
  timeoutMs?: number;
  /** Where the KOTAK_* fallbacks are looked up. Default `process.env`, read when `createKotak` runs. */
  environment?: Record<string, string | undefined>;
}

export interface ResolvedKotakSettings {
  consumerKey: Secret;
  mobileNumber: string;
  ucc: string;
  totpSecret: Secret;
  mpin: Secret;
  loginBaseUrl: string;
  neoFinKey: string;
  fetch?: typeof globalThis.fetch;
  timeoutMs?: number;
}

interface FieldSpec {
  env: string;
  description: string;
}

const FIELDS = {
  consumerKey: { env: 'KOTAK_CONSUMER_KEY', description: 'Kotak consumer key' },
  mobileNumber: { env: 'KOTAK_MOBILE_NUMBER', description: 'Kotak mobile number' },
  ucc: { env: 'KOTAK_UCC', description: 'Kotak UCC (client code)' },
  totpSecret: { env: 'KOTAK_TOTP_SECRET', description: 'Kotak TOTP secret' },
  mpin: { env: 'KOTAK_MPIN', description: 'Kotak MPIN' },
} satisfies Record<string, FieldSpec>;

type CredentialField = keyof typeof FIELDS;

const fix = (field: CredentialField) => `Pass it as \`${field}\` or set ${FIELDS[field].env}.`;

function isBase32Key(value: string): boolean {
  try {
    generateTotp({ secret: value, now: 0 });
    return true;
  } catch {
    return false;
  }
}

// Messages never quote the value: most of these fields are secrets or personal data.
const schema = z.object({
  consumerKey: z.string({ error: `is missing. ${fix('consumerKey')}` }).min(8, `does not look like a Trade API consumer key (too short). ${fix('consumerKey')}`),
  mobileNumber: z
    .string({ error: `is missing. ${fix('mobileNumber')}` })
    .transform((v) => v.replace(/[\s-]/g, ''))
    .transform((v) => (/^\d{10}$/.test(v) ? `+91${v}` : v))
    .refine((v) => /^\+\d{10,15}$/.test(v), `must be the registered mobile number with country code, e.g. "+919876543210". ${fix('mobileNumber')}`),
  ucc: z
    .string({ error: `is missing. ${fix('ucc')}` })
    .trim()
    .regex(/^[A-Za-z0-9]{2,20}$/, `must be the alphanumeric client code (UCC) from the NEO app profile, e.g. "ABC12". ${fix('ucc')}`),
  totpSecret: z
    .string({ error: `is missing. ${fix('totpSecret')}` })
    .refine(isBase32Key, `is not a base32 TOTP setup key; copy the key shown when registering TOTP for the Trade API. ${fix('totpSecret')}`),
  mpin: z.string({ error: `is missing. ${fix('mpin')}` }).regex(/^\d{6}$/, `must be the 6-digit MPIN (digits only). ${fix('mpin')}`),
  loginBaseUrl: z
    .string()
    .refine((v) => /^https?:\/\/[^/?#\s]+/i.test(v) && URL.canParse(v), 'must be an absolute http(s) URL such as "https://mis.kotaksecurities.com".'),
  neoFinKey: z.string().min(1, 'must not be empty (the default is "neotradeapi").'),
  timeoutMs: z.number().int('must be a whole number of milliseconds.').positive('must be positive.').optional(),
  fetch: z.custom<typeof globalThis.fetch>((v) => typeof v === 'function', 'must be a fetch function.').optional(),
});

function reveal(value: unknown): unknown {
  return isSecretValue(value) ? value.reveal() : value;
}

/**
 * Validates the settings (falling back to KOTAK_* environment variables) and throws one
 * InvalidConfigError naming every bad field and how to fix it. Values are never echoed.
 */
export function resolveKotakSettings(settings: KotakSettings = {}): ResolvedKotakSettings {
  const environment = settings.environment;
  const raw: Record<string, unknown> = {};
  const issues: ConfigIssue[] = [];
  for (const field of Object.keys(FIELDS) as CredentialField[]) {
    const given = reveal(settings[field]);
    if (given !== undefined && typeof given !== 'string') {
      issues.push({ path: field, message: `${FIELDS[field].description} must be a string. ${fix(field)}` });
      continue;
    }
    raw[field] = loadOptionalSetting({ value: given, environmentVariableName: FIELDS[field].env, description: FIELDS[field].description, environment });
  }
  raw.loginBaseUrl = withoutTrailingSlash(settings.loginBaseUrl ?? KOTAK_LOGIN_BASE_URL);
  raw.neoFinKey = settings.neoFinKey ?? KOTAK_NEO_FIN_KEY;
  raw.timeoutMs = settings.timeoutMs;
  raw.fetch = settings.fetch;

  const parsed = schema.safeParse(raw, { reportInput: false });
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const path = issue.path.map(String).join('.');
      if (issues.some((i) => i.path === path)) continue;
      const label = path in FIELDS ? FIELDS[path as CredentialField].description : `Kotak setting \`${path}\``;
      issues.push({ path, message: `${label} ${issue.message}` });
    }
  }
  if (issues.length > 0 || !parsed.success) {
    const message =
      issues.length === 1 ? issues[0]!.message : `Invalid Kotak settings:\n${issues.map((i) => `  - ${i.path}: ${i.message}`).join('\n')}`;
    throw new InvalidConfigError({ message, issues });
  }
  const v = parsed.data;
  return {
    consumerKey: new Secret(v.consumerKey),
    mobileNumber: v.mobileNumber,
    ucc: v.ucc,
    totpSecret: new Secret(v.totpSecret),
    mpin: new Secret(v.mpin),
    loginBaseUrl: v.loginBaseUrl,
    neoFinKey: v.neoFinKey,
    ...(v.fetch ? { fetch: v.fetch } : {}),
    ...(v.timeoutMs !== undefined ? { timeoutMs: v.timeoutMs } : {}),
  };
}

/** "+91******3210": enough for a human to recognise the account, not enough to misuse it. */
export function maskMobileNumber(mobile: string): string {
  if (mobile.length <= 4) return '****';
  const prefix = mobile.startsWith('+91') ? '+91' : mobile.startsWith('+') ? '+' : '';
  return `${prefix}${'*'.repeat(Math.max(0, mobile.length - prefix.length - 4))}${mobile.slice(-4)}`;
}

/** "AB***": the first two characters of the client code. */
export function maskUcc(ucc: string): string {
  return `${ucc.slice(0, 2)}${'*'.repeat(Math.max(3, ucc.length - 2))}`;
}
