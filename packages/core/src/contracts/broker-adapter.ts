import type { TokenSetV1 } from './token-set';

/** How the broker renews a session without a human. */
export type RenewalKindV1 =
  /** OAuth-style refresh token grant (Schwab, FYERS, Kite for approved apps). */
  | 'refresh-token'
  /** Unattended re-login with stored credentials such as PIN + TOTP (Dhan, Kotak). */
  | 'relogin'
  /** Cannot renew unattended: a human logs in (Kite for normal apps). */
  | 'none';

/** How the human step works, when there is one. */
export type InteractiveLoginKindV1 = 'oauth-redirect' | 'paste';

export interface BrokerCapabilitiesV1 {
  renewal: RenewalKindV1;
  /** Present when the broker supports a human login through this adapter. */
  interactiveLogin?: InteractiveLoginKindV1;
  /** True when `doValidate` makes a cheap authenticated probe. */
  validate: boolean;
  /** True when renewing invalidates the previous token (Schwab, Dhan, Kotak): single-writer matters. */
  renewalInvalidatesPrevious?: boolean;
}

/** A daily wall-clock time in an IANA zone, e.g. `{ time: '06:00', timeZone: 'Asia/Kolkata' }`. */
export interface WallClockV1 {
  /** `HH:mm`, 24-hour. */
  time: string;
  timeZone: string;
}

/** How the broker's access tokens expire. The adapter computes `expiresAt`; this is for humans and schedules. */
export type ExpiryRuleV1 =
  | { kind: 'jwt-exp' }
  | { kind: 'expires-in' }
  | { kind: 'fixed-lifetime'; lifetimeMs: number }
  | { kind: 'daily'; at: WallClockV1 };

/**
 * A window in which unattended renewal should happen, e.g. FYERS "after 06:00 IST, before the
 * 09:00 IST pre-open". The engine never schedules a routine refresh outside it (it still
 * refreshes outside it when the token would otherwise die).
 */
export interface RenewalWindowV1 {
  start: string;
  end: string;
  timeZone: string;
}

export interface RefreshInputV1 {
  accountId: string;
  /** The stored token set, if any. Adapters that re-login may ignore it. */
  current?: TokenSetV1;
  signal: AbortSignal;
  /** Epoch ms, from the engine's clock. */
  now: number;
}

export interface ValidateInputV1 {
  accountId: string;
  tokenSet: TokenSetV1;
  signal: AbortSignal;
  now: number;
}

export interface ValidateResultV1 {
  valid: boolean;
  /** Expiry as reported by the broker, when the probe tells (Dhan `tokenValidity`). */
  expiresAt?: number;
  /** Short human-readable reason when invalid. Never contains secrets. */
  reason?: string;
}

export interface AuthorizeUrlInputV1 {
  /** Opaque, HMAC-signed state the callback must echo back. */
  state: string;
  redirectUri?: string;
}

export interface ExchangeInputV1 {
  accountId: string;
  /** Query parameters of the redirect, or the fields parsed from a pasted URL / token. */
  callbackParams: Record<string, string>;
  redirectUri?: string;
  signal: AbortSignal;
  now: number;
}

export interface InteractiveLoginV1 {
  kind: InteractiveLoginKindV1;
  authorizeUrl(input: AuthorizeUrlInputV1): string | Promise<string>;
  /**
   * Turns what a human pasted (a redirected URL, a bare request token) into callback params.
   * Throws an InvalidInputError that says what was expected.
   */
  parsePasted?(text: string): Record<string, string>;
  doExchange(input: ExchangeInputV1): Promise<TokenSetV1>;
}

/** Broker-specific defaults the engine applies unless an account overrides them. */
export interface AdapterDefaultsV1 {
  /** Refresh-ahead policy, e.g. Dhan "renew when less than 6 hours of 24 remain" = ratio 0.75. */
  refreshAhead?: { ratio?: number; jitter?: number; minMarginMs?: number };
  /** Probe the session with `doValidate` this often (brokers can kill sessions early). */
  validateEveryMs?: number;
}

/**
 * The broker adapter contract. Methods starting with `do` are called only by the engine, which
 * adds single flight, locking, persistence, retries and alerts around them.
 */
export interface BrokerAdapterV1 {
  readonly specificationVersion: 'v1';
  /** Broker id, e.g. "schwab", "fyers". */
  readonly broker: string;
  readonly capabilities: BrokerCapabilitiesV1;
  readonly expiryRule: ExpiryRuleV1;
  readonly renewalWindow?: RenewalWindowV1;
  readonly defaults?: AdapterDefaultsV1;
  /**
   * Renews or re-mints the session. Throws typed errors: retryable (`isRetryable`), needs a
   * human (`needsHuman`, e.g. LoginRequiredError) or invalid credentials.
   */
  doRefresh(input: RefreshInputV1): Promise<TokenSetV1>;
  /** Cheap authenticated probe. Resolves `{ valid: false }` on an auth rejection; throws on transport errors. */
  doValidate?(input: ValidateInputV1): Promise<ValidateResultV1>;
  readonly login?: InteractiveLoginV1;
}
