import { InvalidConfigError, type AlertSeverityV1, type AlertSinkV1, type AlertV1, type ClockV1 } from '@tokens/core';

const RANK: Record<AlertSeverityV1, number> = { info: 0, warning: 1, critical: 2 };

export interface AlertRoute {
  /** Deliver only alerts at least this severe. Default: all. */
  minSeverity?: AlertSeverityV1;
  /** Deliver only alerts about these accounts. Alerts about no account (daemon-wide) always pass. */
  accounts?: readonly string[];
  /** Deliver only these kinds, e.g. `['login_required', 'deadline']`. */
  kinds?: readonly string[];
  /** Never deliver these kinds, e.g. `['refresh_succeeded']`. */
  excludeKinds?: readonly string[];
  /**
   * At most one alert per key per `perKeyMs` on this channel, so a channel that comes back
   * after hours does not flood. An alert more severe than the last one delivered for its key
   * always goes through (an escalation must not be swallowed).
   */
  rateLimit?: {
    perKeyMs: number;
    /** Default: account and kind, e.g. "schwab-main:refresh_failed". */
    key?: (alert: AlertV1) => string;
  };
  /** Clock for the rate limit. Default: the system clock. */
  clock?: Pick<ClockV1, 'now'>;
}

export interface RouteStats {
  /** Alerts handed to the channel and delivered. */
  delivered: number;
  /** Alerts that did not match the route (severity, account, kind). */
  filtered: number;
  /** Alerts dropped by the per-key rate limit. */
  rateLimited: number;
}

/** A routed channel: same name and delivery as the wrapped one, plus counters for status pages. */
export interface RoutedAlertSink extends AlertSinkV1 {
  readonly inner: AlertSinkV1;
  readonly route: Readonly<AlertRoute>;
  stats(): RouteStats;
}

/** True when the alert passes the route's severity, account and kind filters. */
export function matchesRoute(alert: AlertV1, route: AlertRoute): boolean {
  if (route.minSeverity && (RANK[alert.severity] ?? RANK.critical) < RANK[route.minSeverity]) return false;
  if (route.accounts && alert.accountId !== undefined && !route.accounts.includes(alert.accountId)) return false;
  if (route.kinds && !route.kinds.includes(alert.kind)) return false;
  if (route.excludeKinds?.includes(alert.kind)) return false;
  return true;
}

const defaultKey = (alert: AlertV1) => `${alert.accountId ?? '*'}:${alert.kind}`;

/**
 * Wraps a channel so it receives only the alerts its route matches; others resolve at once,
 * without a delivery. The wrapper keeps the channel's name, so the engine's per-sink status,
 * retries and deduplication stay per channel.
 */
export function routeAlerts(sink: AlertSinkV1, route: AlertRoute): RoutedAlertSink {
  if (route.minSeverity !== undefined && !(route.minSeverity in RANK)) {
    throw new InvalidConfigError({ issues: [{ path: 'minSeverity', message: 'must be "info", "warning" or "critical"' }] });
  }
  const perKeyMs = route.rateLimit?.perKeyMs;
  if (perKeyMs !== undefined && !(Number.isFinite(perKeyMs) && perKeyMs >= 0)) {
    throw new InvalidConfigError({ issues: [{ path: 'rateLimit.perKeyMs', message: 'must be a number of milliseconds ≥ 0' }] });
  }
  const now = route.clock ? () => route.clock!.now() : () => Date.now();
  const keyOf = route.rateLimit?.key ?? defaultKey;
  const last = new Map<string, { at: number; rank: number }>();
  const stats: RouteStats = { delivered: 0, filtered: 0, rateLimited: 0 };

  const limited = (alert: AlertV1): boolean => {
    if (!perKeyMs) return false;
    const prev = last.get(keyOf(alert));
    if (!prev) return false;
    return now() - prev.at < perKeyMs && (RANK[alert.severity] ?? RANK.critical) <= prev.rank;
  };

  const remember = (alert: AlertV1) => {
    if (!perKeyMs) return;
    const at = now();
    last.set(keyOf(alert), { at, rank: RANK[alert.severity] ?? RANK.critical });
    // A long-lived daemon sees many keys; forget the ones whose window has passed.
    if (last.size > 1_000) for (const [k, v] of last) if (at - v.at >= perKeyMs) last.delete(k);
  };

  return {
    specificationVersion: 'v1',
    name: sink.name,
    inner: sink,
    route,
    async send(alert, options) {
      if (options?.signal?.aborted) throw options.signal.reason;
      if (!matchesRoute(alert, route)) {
        stats.filtered++;
        return;
      }
      if (limited(alert)) {
        stats.rateLimited++;
        return;
      }
      // Recorded only after a delivery: the engine's retries of a failed alert are never limited.
      await sink.send(alert, options);
      remember(alert);
      stats.delivered++;
    },
    accepts: (alert) => matchesRoute(alert, route) && !limited(alert),
    ...(sink.close ? { close: () => sink.close!() } : {}),
    stats: () => ({ ...stats }),
  };
}
