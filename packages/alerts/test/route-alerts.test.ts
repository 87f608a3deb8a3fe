import { describe, expect, it } from 'vitest';
import { InvalidConfigError, type AlertV1 } from '@tokens/core';
import { createFakeClock, createMemoryAlertSink } from '@tokens/core/testing';
import { matchesRoute, routeAlerts } from '../src/index';
import { loginAlert } from './helpers/alerts';

const MIN = 60_000;
let n = 0;
const alert = (o: Partial<AlertV1> = {}): AlertV1 => loginAlert({ id: `a-${++n}`, ...o });

describe('routeAlerts', () => {
  it('keeps the channel name and passes close through', async () => {
    let closed = 0;
    const inner = { ...createMemoryAlertSink({ name: 'telegram' }), close: async () => void closed++ };
    const routed = routeAlerts(inner, {});
    expect(routed.name).toBe('telegram');
    expect(routed.specificationVersion).toBe('v1');
    await routed.close?.();
    expect(closed).toBe(1);
  });

  it('delivers only what matches; the rest resolves without a delivery and is counted', async () => {
    const inner = createMemoryAlertSink();
    const routed = routeAlerts(inner, { minSeverity: 'warning', accounts: ['schwab-main'], excludeKinds: ['refresh_succeeded'] });
    await routed.send(alert({ severity: 'info' }));
    await routed.send(alert({ accountId: 'kite-1' }));
    await routed.send(alert({ kind: 'refresh_succeeded' }));
    await routed.send(alert({ severity: 'warning', kind: 'deadline' }));
    // Daemon-wide alerts (no account) reach every channel whose severity matches.
    await routed.send(alert({ accountId: undefined, kind: 'store_error' }));
    expect(inner.alerts.map((a) => a.kind)).toEqual(['deadline', 'store_error']);
    expect(routed.stats()).toEqual({ delivered: 2, filtered: 3, rateLimited: 0 });
  });

  it('matchesRoute: kinds is an allow-list; severities rank info < warning < critical', () => {
    expect(matchesRoute(alert({ kind: 'deadline' }), { kinds: ['deadline', 'expired'] })).toBe(true);
    expect(matchesRoute(alert({ kind: 'refresh_failed' }), { kinds: ['deadline'] })).toBe(false);
    expect(matchesRoute(alert({ severity: 'critical' }), { minSeverity: 'critical' })).toBe(true);
    expect(matchesRoute(alert({ severity: 'warning' }), { minSeverity: 'critical' })).toBe(false);
    expect(() => routeAlerts(createMemoryAlertSink(), { minSeverity: 'loud' as never })).toThrow(InvalidConfigError);
  });

  it('rate-limits per account and kind; an escalation and other keys always pass; the window ends', async () => {
    const clock = createFakeClock();
    const inner = createMemoryAlertSink();
    const routed = routeAlerts(inner, { rateLimit: { perKeyMs: 30 * MIN }, clock });
    await routed.send(alert({ kind: 'refresh_failed', severity: 'warning', dedupKey: 'k1' }));
    await routed.send(alert({ kind: 'refresh_failed', severity: 'warning', dedupKey: 'k2' })); // same account+kind: dropped
    await routed.send(alert({ kind: 'refresh_failed', severity: 'info', dedupKey: 'k3' })); // less severe: dropped
    await routed.send(alert({ kind: 'refresh_failed', severity: 'critical', dedupKey: 'k4' })); // escalation: passes
    await routed.send(alert({ kind: 'refresh_failed', severity: 'warning', accountId: 'kite-1' })); // other account
    await routed.send(alert({ kind: 'refresh_recovered', severity: 'info' })); // other kind
    expect(inner.alerts.map((a) => a.dedupKey)).toEqual(['k1', 'k4', 'schwab-main:login_required:3', 'schwab-main:login_required:3']);
    await clock.advance(29 * MIN);
    await routed.send(alert({ kind: 'refresh_failed', severity: 'critical', dedupKey: 'k5' }));
    await clock.advance(1 * MIN);
    await routed.send(alert({ kind: 'refresh_failed', severity: 'warning', dedupKey: 'k6' }));
    expect(inner.alerts.map((a) => a.dedupKey).slice(4)).toEqual(['k6']);
    expect(routed.stats()).toEqual({ delivered: 5, filtered: 0, rateLimited: 3 });
  });

  it('a failed delivery does not count against the limit, so the engine can retry it', async () => {
    const clock = createFakeClock();
    const inner = createMemoryAlertSink();
    const routed = routeAlerts(inner, { rateLimit: { perKeyMs: 30 * MIN, key: (a) => a.dedupKey }, clock });
    inner.failNext(1);
    const a = alert();
    await expect(routed.send(a)).rejects.toMatchObject({ isRetryable: true });
    await routed.send(a);
    await routed.send(alert());
    expect(inner.alerts.map((x) => x.id)).toEqual([a.id]);
  });

  it('a channel that was down for hours sends one alert per key when it recovers, not the backlog', async () => {
    const clock = createFakeClock();
    const inner = createMemoryAlertSink();
    const routed = routeAlerts(inner, { rateLimit: { perKeyMs: 60 * MIN }, clock });
    // Hours of refresh failures queued by the engine, each with a new dedup key (a new token version).
    const backlog = Array.from({ length: 12 }, (_, i) => alert({ kind: 'refresh_failed', severity: 'warning', dedupKey: `v${i}` }));
    for (const a of backlog) await routed.send(a);
    expect(inner.alerts).toHaveLength(1);
    expect(routed.stats().rateLimited).toBe(11);
  });
});
