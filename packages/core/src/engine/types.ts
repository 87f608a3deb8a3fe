import type { AlertSeverityV1, AlertSinkV1 } from '../contracts/alert-sink';
import type { BrokerAdapterV1, BrokerCapabilitiesV1 } from '../contracts/broker-adapter';
import type { ClockV1 } from '../contracts/clock';
import type { LockV1 } from '../contracts/lock';
import type { LoggerV1 } from '../contracts/logger';
import type { TokenStoreV1 } from '../contracts/token-store';
import type { Exchange, MarketCalendar } from '../calendar';

export type AccountState = 'missing' | 'valid' | 'refreshing' | 'retrying' | 'login_required' | 'expired';

/** A cron schedule in an exchange's time zone, e.g. 08:45 IST Monday to Friday. */
export interface CronScheduleConfig {
  /** 5- or 6-field cron pattern, e.g. "45 8 * * 1-5". */
  cron: string;
  /** IANA zone the pattern is read in. Default: the exchange's zone, else UTC. */
  timeZone?: string;
  /** Skip days on which this exchange is closed for a holiday. */
  skipHolidaysOf?: Exchange;
  /**
   * Also refresh ahead of expiry between cron runs (default false: the cron alone decides
   * routine refreshes; on-demand refreshes still happen when a caller needs a token).
   */
  alsoRefreshAhead?: boolean;
}

export interface RefreshAheadConfig {
  /** Fraction of the lifetime after which to renew. Default 2/3. */
  ratio?: number;
  /** Random spread as a fraction of the lifetime, ±. Default 0.1. */
  jitter?: number;
  /** Never renew later than this before expiry. Default 5 minutes (at most a fifth of the lifetime). */
  minMarginMs?: number;
}

export interface EscalationLevel {
  /** How long before the human deadline to warn. */
  beforeMs: number;
  severity: AlertSeverityV1;
}

export interface BackoffConfig {
  initialMs?: number;
  maxMs?: number;
  factor?: number;
}

export interface AccountConfig {
  id: string;
  adapter: BrokerAdapterV1;
  schedule?: CronScheduleConfig;
  refreshAhead?: RefreshAheadConfig;
  /** Probe the session with the adapter's `doValidate` this often. Default: the adapter's default, else never. */
  validateEveryMs?: number;
  /** Overrides the manager's escalation levels for this account. */
  escalation?: EscalationLevel[];
  /** The market whose next open bounds the human deadline of daily-login brokers. */
  market?: Exchange;
  /** Extra alert sinks for this account only. */
  alerts?: AlertSinkV1[];
  /** Free-form label for humans. */
  label?: string;
}

export interface TokenManagerOptions {
  store: TokenStoreV1;
  /** Cross-process lock. Default: an in-process lock (single process). */
  lock?: LockV1;
  alerts?: AlertSinkV1[];
  clock?: ClockV1;
  logger?: LoggerV1;
  calendar?: MarketCalendar;
  /** Source of randomness for jitter, in [0, 1). */
  random?: () => number;
  refreshAhead?: RefreshAheadConfig;
  backoff?: BackoffConfig;
  escalation?: EscalationLevel[];
  /** Builds the one-tap login link put into alerts (e.g. the daemon's `/login/:id` URL). */
  loginLink?: (accountId: string) => string | undefined;
  /** Send an info alert for every successful refresh (off by default; some users want every one). */
  notifyOnRefresh?: boolean;
  /** A token is treated as expired this long before its `expiresAt`. Default 10 s. */
  expirySkewMs?: number;
  /** Aborts a broker call that takes longer. Default 30 s. */
  refreshTimeoutMs?: number;
  /** Lock lease length. Default refreshTimeoutMs + 30 s. */
  lockTtlMs?: number;
  /**
   * Broker calls in flight at once across all accounts; the rest queue, with refreshes a caller
   * waits for ahead of scheduled ones. Default 16.
   */
  maxConcurrentRefreshes?: number;
  /** Alerts with the same key are not repeated within this window. Default 6 h. */
  alertDedupMs?: number;
}

export interface ErrorSummary {
  code: string;
  message: string;
  at: number;
  isRetryable: boolean;
  needsHuman: boolean;
}

export interface HumanDeadline {
  /** Epoch ms: bots stop at this moment unless a human logs in. */
  at: number;
  reason: 'refresh-token-expiry' | 'daily-login' | 'login-required';
}

export interface AccountStatus {
  accountId: string;
  broker: string;
  label?: string;
  state: AccountState;
  /** True when `getAccessToken` can answer from memory right now. */
  tokenValid: boolean;
  version?: number;
  issuedAt?: number;
  expiresAt?: number;
  refreshExpiresAt?: number;
  nextRefreshAt?: number;
  nextRetryAt?: number;
  humanDeadline?: HumanDeadline;
  lastRefresh?: { at: number; ok: boolean; durationMs: number; source: RefreshSource };
  lastError?: ErrorSummary;
  lastValidation?: { at: number; valid: boolean; reason?: string };
  capabilities: BrokerCapabilitiesV1;
  /** Unpersisted token waiting for the store to come back. */
  persistPending: boolean;
  counters: {
    refreshes: number;
    failures: number;
    consecutiveFailures: number;
    adoptions: number;
    validations: number;
    logins: number;
  };
}

export type RefreshSource = 'schedule' | 'on-demand' | 'manual' | 'auth-error' | 'validate' | 'retry' | 'startup';

export interface TokenChangeEvent {
  accountId: string;
  broker: string;
  version: number;
  expiresAt: number;
  /** How the new token arrived. */
  source: 'refresh' | 'login' | 'store' | 'adopted';
}

export interface StateChangeEvent {
  accountId: string;
  from: AccountState;
  to: AccountState;
  error?: ErrorSummary;
}

export interface RefreshEvent {
  accountId: string;
  broker: string;
  ok: boolean;
  source: RefreshSource;
  durationMs: number;
  /** Another process had refreshed already: its token was adopted, no broker call. */
  adopted: boolean;
  error?: ErrorSummary;
}

export interface TokenManagerEvents {
  change: TokenChangeEvent;
  /** One per refresh attempt that reached the lock (metrics: results and durations). */
  refresh: RefreshEvent;
  state: StateChangeEvent;
  alert: { alertId: string; accountId?: string; kind: string; severity: AlertSeverityV1; delivered: boolean; sink: string };
}
