import { describe, expect, it } from 'vitest';
import { createTokenManager } from '../src/engine';
import { createMemoryTokenStore } from '../src/stores/memory-store';
import { createMarketCalendar } from '../src/calendar';
import { createFakeClock, createMockBrokerAdapter } from '../src/testing';
import { HOUR, MIN, tokenSet } from './helpers/engine';

describe('refresh ahead', () => {
  it('renews a 30-minute token at 2/3 of its lifetime (no jitter at random=0.5) and keeps doing so', async () => {
    const clock = createFakeClock();
    const store = createMemoryTokenStore({ clock });
    const start = clock.now();
    await store.put('s', { broker: 'mock', tokenSet: tokenSet(start, 30 * MIN) }, { expectedVersion: 0 });
    const adapter = createMockBrokerAdapter({ doRefresh: () => tokenSet(clock.now(), 30 * MIN) });
    const manager = createTokenManager({ store, clock, random: () => 0.5 });
    await manager.addAccount({ id: 's', adapter });
    expect(manager.status('s').nextRefreshAt).toBe(start + 20 * MIN);
    await clock.advance(20 * MIN - 1);
    expect(adapter.doRefreshCalls).toHaveLength(0);
    await clock.advance(1);
    expect(adapter.doRefreshCalls).toHaveLength(1);
    await clock.advance(20 * MIN);
    expect(adapter.doRefreshCalls).toHaveLength(2);
    expect((await store.get('s'))?.version).toBe(3);
    await manager.stop();
  });

  it('spreads renewals by ±10 % of the lifetime and never later than the minimum margin', async () => {
    const clock = createFakeClock();
    const start = clock.now();
    const plan = async (random: number, lifetime: number, minMarginMs?: number) => {
      const store = createMemoryTokenStore({ clock });
      await store.put('s', { broker: 'mock', tokenSet: tokenSet(start, lifetime) }, { expectedVersion: 0 });
      const manager = createTokenManager({ store, clock, random: () => random, refreshAhead: minMarginMs ? { minMarginMs, ratio: 0.99 } : {} });
      await manager.addAccount({ id: 's', adapter: createMockBrokerAdapter({ doRefresh: () => tokenSet(clock.now()) }) });
      const at = manager.status('s').nextRefreshAt!;
      await manager.stop();
      return at - start;
    };
    expect(await plan(0, 30 * MIN)).toBe(17 * MIN);
    expect(await plan(0.999999, 30 * MIN)).toBeCloseTo(23 * MIN, -2);
    // ratio 0.99 would land 18 s before expiry; the 5-minute margin (capped at a fifth of the lifetime) wins.
    expect(await plan(0.5, 30 * MIN, 5 * MIN)).toBe(25 * MIN);
    expect(await plan(0.5, 10 * MIN, 5 * MIN)).toBe(8 * MIN);
  });

  it('renews a daily-rollover token inside the renewal window after the rollover (FYERS: after 06:00 IST)', async () => {
    // 2026-01-05 (Monday) 20:00 IST = 14:30Z; the token dies at 06:00 IST on the 6th = 00:30Z.
    const clock = createFakeClock(Date.UTC(2026, 0, 5, 14, 30));
    const store = createMemoryTokenStore({ clock });
    const expiresAt = Date.UTC(2026, 0, 6, 0, 30);
    await store.put('f', { broker: 'mock', tokenSet: tokenSet(clock.now(), expiresAt - clock.now()) }, { expectedVersion: 0 });
    const adapter = createMockBrokerAdapter({
      expiryRule: { kind: 'daily', at: { time: '06:00', timeZone: 'Asia/Kolkata' } },
      renewalWindow: { start: '06:05', end: '09:00', timeZone: 'Asia/Kolkata' },
      doRefresh: () => tokenSet(clock.now(), 20 * HOUR),
    });
    const manager = createTokenManager({ store, clock, random: () => 0 });
    await manager.addAccount({ id: 'f', adapter });
    expect(manager.status('f').nextRefreshAt).toBe(Date.UTC(2026, 0, 6, 0, 35));
    await clock.advanceTo(Date.UTC(2026, 0, 6, 0, 34));
    expect(adapter.doRefreshCalls).toHaveLength(0);
    expect(manager.status('f').state).toBe('expired');
    await clock.advanceTo(Date.UTC(2026, 0, 6, 0, 35));
    expect(adapter.doRefreshCalls).toHaveLength(1);
    expect(manager.status('f').state).toBe('valid');
    await manager.stop();
  });

  it('follows a cron schedule in IST, Monday to Friday, skipping NSE holidays', async () => {
    // Friday 2026-01-23 12:00 IST. Next runs: Mon 26th is Republic Day (holiday) → Tue 27th 08:45 IST.
    const clock = createFakeClock(Date.UTC(2026, 0, 23, 6, 30));
    const store = createMemoryTokenStore({ clock });
    await store.put('f', { broker: 'mock', tokenSet: tokenSet(clock.now(), 17 * HOUR) }, { expectedVersion: 0 });
    const adapter = createMockBrokerAdapter({ doRefresh: () => tokenSet(clock.now(), 21 * HOUR) });
    const manager = createTokenManager({ store, clock, calendar: createMarketCalendar() });
    await manager.addAccount({
      id: 'f',
      adapter,
      schedule: { cron: '45 8 * * 1-5', timeZone: 'Asia/Kolkata', skipHolidaysOf: 'NSE' },
    });
    expect(manager.status('f').nextRefreshAt).toBe(Date.UTC(2026, 0, 27, 3, 15));
    await clock.advanceTo(Date.UTC(2026, 0, 27, 3, 14));
    expect(adapter.doRefreshCalls).toHaveLength(0);
    await clock.advanceTo(Date.UTC(2026, 0, 27, 3, 15));
    expect(adapter.doRefreshCalls).toHaveLength(1);
    expect(manager.status('f').nextRefreshAt).toBe(Date.UTC(2026, 0, 28, 3, 15));
    await manager.stop();
  });

  it('rejects an invalid cron pattern naming the field', async () => {
    const manager = createTokenManager({ store: createMemoryTokenStore(), clock: createFakeClock() });
    const err = await manager
      .addAccount({ id: 'x', adapter: createMockBrokerAdapter(), schedule: { cron: '61 * * *' } })
      .catch((e) => e);
    expect(err.code).toBe('INVALID_CONFIG');
    expect(err.message).toContain('accounts.x.schedule.cron');
    await manager.stop();
  });
});

describe('polite embedding', () => {
  it('two managers in one process do not interfere, and stop() clears every timer', async () => {
    const clock = createFakeClock();
    const storeA = createMemoryTokenStore({ clock });
    const storeB = createMemoryTokenStore({ clock });
    const a = createTokenManager({ store: storeA, clock, random: () => 0.5 });
    const b = createTokenManager({ store: storeB, clock, random: () => 0.5 });
    const adA = createMockBrokerAdapter({ capabilities: { renewal: 'relogin' }, doRefresh: () => tokenSet(clock.now(), 30 * MIN) });
    const adB = createMockBrokerAdapter({ capabilities: { renewal: 'relogin' }, doRefresh: () => tokenSet(clock.now(), 60 * MIN) });
    await a.addAccount({ id: 'same-id', adapter: adA });
    await b.addAccount({ id: 'same-id', adapter: adB });
    await clock.flush();
    const [ta, tb] = await Promise.all([a.getAccessToken('same-id'), b.getAccessToken('same-id')]);
    expect(ta).not.toBe(tb);
    await a.stop();
    await clock.advance(60 * MIN);
    expect(adA.doRefreshCalls).toHaveLength(1);
    expect(adB.doRefreshCalls.length).toBeGreaterThanOrEqual(2);
    await b.stop();
    expect(clock.pending).toBe(0);
    await expect(a.getAccessToken('same-id')).rejects.toMatchObject({ code: 'STOPPED' });
  });
});

describe('adapter defaults and liveness probes', () => {
  it('applies the adapter’s refresh-ahead default (Dhan: renew when 6 of 24 hours remain) and probes on its cadence', async () => {
    const clock = createFakeClock();
    const store = createMemoryTokenStore({ clock });
    const start = clock.now();
    await store.put('d', { broker: 'mock', tokenSet: tokenSet(start, 24 * HOUR) }, { expectedVersion: 0 });
    const adapter = createMockBrokerAdapter({
      capabilities: { renewal: 'relogin' },
      doRefresh: () => tokenSet(clock.now(), 24 * HOUR),
      doValidate: [{ valid: true }, { valid: true }, { valid: false, reason: 'revoked on the web' }, { valid: true }],
    });
    Object.assign(adapter, { defaults: { refreshAhead: { ratio: 0.75, jitter: 0 }, validateEveryMs: HOUR } });
    const manager = createTokenManager({ store, clock, random: () => 0.9 });
    await manager.addAccount({ id: 'd', adapter });
    expect(manager.status('d').nextRefreshAt).toBe(start + 18 * HOUR);
    await clock.advance(2 * HOUR);
    expect(adapter.doValidateCalls).toHaveLength(2);
    expect(adapter.doRefreshCalls).toHaveLength(0);
    // The third probe finds the session killed early: the engine re-mints at once.
    await clock.advance(HOUR);
    expect(adapter.doValidateCalls).toHaveLength(3);
    expect(adapter.doRefreshCalls).toHaveLength(1);
    expect(manager.status('d')).toMatchObject({ state: 'valid', lastValidation: { valid: false, reason: 'revoked on the web' } });
    await manager.stop();
  });
});

describe('stop', () => {
  it('stop({ drainMs }) lets a refresh in flight finish and be stored before timers are cleared', async () => {
    const clock = createFakeClock();
    const store = createMemoryTokenStore({ clock });
    await store.put('s', { broker: 'mock', tokenSet: tokenSet(clock.now() - 2 * HOUR, HOUR) }, { expectedVersion: 0 });
    let release!: () => void;
    const adapter = createMockBrokerAdapter({ doRefresh: () => new Promise((r) => (release = () => r(tokenSet(clock.now())))) });
    const manager = createTokenManager({ store, clock });
    await manager.addAccount({ id: 's', adapter });
    await clock.flush();
    expect(adapter.doRefreshCalls).toHaveLength(1);
    const stopping = manager.stop({ drainMs: 5_000 });
    release();
    await stopping;
    expect((await store.get('s'))?.version).toBe(2);
    expect(clock.pending).toBe(0);
  });
});

describe('manual refresh', () => {
  it('refresh({ force }) resolves with the settled state, not "refreshing"', async () => {
    const clock = createFakeClock();
    const store = createMemoryTokenStore({ clock });
    await store.put('s', { broker: 'mock', tokenSet: tokenSet(clock.now(), HOUR) }, { expectedVersion: 0 });
    const manager = createTokenManager({ store, clock });
    await manager.addAccount({ id: 's', adapter: createMockBrokerAdapter({ doRefresh: () => tokenSet(clock.now(), HOUR) }) });
    expect(await manager.refresh('s', { force: true })).toMatchObject({ state: 'valid', version: 2 });
    await manager.stop();
  });
});

describe('trading days', () => {
  it('a daily-rollover token with a market renews on the next trading day’s window (Friday → Tuesday over a holiday Monday)', async () => {
    // Friday 2026-01-23 10:00 IST; the token dies Saturday 06:00 IST; Monday 26th is Republic Day.
    const clock = createFakeClock(Date.UTC(2026, 0, 23, 4, 30));
    const store = createMemoryTokenStore({ clock });
    const expiresAt = Date.UTC(2026, 0, 24, 0, 30);
    await store.put('f', { broker: 'mock', tokenSet: tokenSet(clock.now(), expiresAt - clock.now()) }, { expectedVersion: 0 });
    const adapter = createMockBrokerAdapter({
      expiryRule: { kind: 'daily', at: { time: '06:00', timeZone: 'Asia/Kolkata' } },
      renewalWindow: { start: '06:05', end: '08:55', timeZone: 'Asia/Kolkata' },
      doRefresh: () => tokenSet(clock.now(), 20 * HOUR),
    });
    const manager = createTokenManager({ store, clock, random: () => 0, calendar: createMarketCalendar() });
    await manager.addAccount({ id: 'f', adapter, market: 'NSE' });
    expect(manager.status('f').nextRefreshAt).toBe(Date.UTC(2026, 0, 27, 0, 35));
    await manager.stop();
  });
});
