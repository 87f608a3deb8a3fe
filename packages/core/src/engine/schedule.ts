import { Cron } from 'croner';
import type { BrokerAdapterV1 } from '../contracts/broker-adapter';
import type { TokenSetV1 } from '../contracts/token-set';
import type { MarketCalendar } from '../calendar';
import { InvalidConfigError } from '../errors';
import { isWithinDailyWindow, nextWindowStart } from '../time';
import type { BackoffConfig, CronScheduleConfig, RefreshAheadConfig } from './types';

const MINUTE = 60_000;

export const DEFAULT_REFRESH_AHEAD: Required<RefreshAheadConfig> = { ratio: 2 / 3, jitter: 0.1, minMarginMs: 5 * MINUTE };
export const DEFAULT_BACKOFF: Required<BackoffConfig> = { initialMs: 5_000, maxMs: 5 * MINUTE, factor: 2 };

/**
 * When to renew a token without waiting for callers: at about `ratio` of its lifetime, spread
 * by ±`jitter` so many processes and accounts don't renew in the same second, and never later
 * than `minMarginMs` before expiry.
 */
export function refreshAheadAt(tokenSet: TokenSetV1, config: RefreshAheadConfig, random: () => number): number {
  const { ratio, jitter, minMarginMs } = { ...DEFAULT_REFRESH_AHEAD, ...config };
  const lifetime = Math.max(0, tokenSet.expiresAt - tokenSet.issuedAt);
  const margin = Math.min(minMarginMs, lifetime / 5);
  const spread = lifetime * jitter * (random() * 2 - 1);
  const at = tokenSet.issuedAt + lifetime * ratio + spread;
  return Math.min(at, tokenSet.expiresAt - margin);
}

/**
 * Moves a routine refresh into the adapter's renewal window. Brokers whose tokens die at a
 * daily wall-clock rollover (FYERS, Kite) gain nothing from renewing before it, so they renew
 * at the first window opening after expiry; others renew at the first window opening after the
 * ahead time, or at the ahead time itself when no window opens before the margin.
 */
export function routineRefreshAt(
  adapter: BrokerAdapterV1,
  tokenSet: TokenSetV1,
  config: RefreshAheadConfig,
  random: () => number,
  /** When given, daily renewals happen only on days it accepts (the account's market's trading days). */
  tradingDay?: (at: number) => boolean,
): number {
  const window = adapter.renewalWindow;
  if (adapter.expiryRule.kind === 'daily') {
    const after = tokenSet.expiresAt;
    if (!window) return after + Math.floor(random() * 5 * MINUTE);
    let start = nextWindowStart(after, window);
    // Nobody trades on a Saturday or a holiday: renew on the next trading day's window instead.
    for (let i = 0; tradingDay && !tradingDay(start) && i < 30; i++) start = nextWindowStart(start + 86_400_000 - 3_600_000, window);
    return start + Math.floor(random() * 5 * MINUTE);
  }
  const ahead = refreshAheadAt(tokenSet, config, random);
  if (!window || isWithinDailyWindow(ahead, window)) return ahead;
  const start = nextWindowStart(ahead, window);
  const { minMarginMs } = { ...DEFAULT_REFRESH_AHEAD, ...config };
  const latest = tokenSet.expiresAt - Math.min(minMarginMs, (tokenSet.expiresAt - tokenSet.issuedAt) / 5);
  return start < latest ? start : ahead;
}

/** Exponential backoff with full jitter, honouring Retry-After, capped by the remaining lifetime. */
export function backoffDelay(
  attempt: number,
  config: BackoffConfig,
  random: () => number,
  retryAfterMs: number | undefined,
  remainingLifetimeMs: number | undefined,
): number {
  const { initialMs, maxMs, factor } = { ...DEFAULT_BACKOFF, ...config };
  const ceiling = Math.min(maxMs, initialMs * factor ** Math.max(0, attempt - 1));
  let delay = Math.max(250, Math.floor(random() * ceiling));
  if (retryAfterMs !== undefined && retryAfterMs > delay) delay = retryAfterMs;
  // While the old token still works, retry before it dies rather than after.
  if (remainingLifetimeMs !== undefined && remainingLifetimeMs > 0) delay = Math.min(delay, Math.max(1_000, remainingLifetimeMs / 2));
  return delay;
}

/** A compiled cron schedule that can skip exchange holidays. */
export interface CompiledSchedule {
  next(after: number): number | undefined;
  readonly alsoRefreshAhead: boolean;
}

export function compileSchedule(
  config: CronScheduleConfig,
  calendar: MarketCalendar | undefined,
  field = 'schedule',
): CompiledSchedule {
  const timeZone = config.timeZone ?? (config.skipHolidaysOf && calendar ? calendar.exchangeTimeZone(config.skipHolidaysOf) : 'UTC');
  let cron: Cron;
  try {
    cron = new Cron(config.cron, { timezone: timeZone, paused: true });
  } catch (error) {
    throw new InvalidConfigError({
      issues: [
        {
          path: `${field}.cron`,
          message: `"${config.cron}" is not a valid cron pattern (${(error as Error).message}). Example: "45 8 * * 1-5" for 08:45 Monday to Friday.`,
        },
      ],
    });
  }
  if (config.skipHolidaysOf && !calendar) {
    throw new InvalidConfigError({ issues: [{ path: `${field}.skipHolidaysOf`, message: 'needs a market calendar.' }] });
  }
  return {
    alsoRefreshAhead: config.alsoRefreshAhead ?? false,
    next(after) {
      let from = new Date(after);
      // A year of occurrences is plenty to step over holidays and weekends.
      for (let i = 0; i < 400; i++) {
        const run = cron.nextRun(from);
        if (!run) return undefined;
        const at = run.getTime();
        if (!config.skipHolidaysOf || calendar!.isTradingDay(config.skipHolidaysOf, at)) return at;
        from = run;
      }
      return undefined;
    },
  };
}
