import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { createTokenManager } from '../src/engine';
import { createMemoryTokenStore } from '../src/stores/memory-store';
import { createMarketCalendar } from '../src/calendar';
import { BrokerApiError, InvalidCredentialsError, LoginRequiredError } from '../src/errors';
import { Secret } from '../src/secret';
import { createFakeClock, createMemoryAlertSink, createMockBrokerAdapter } from '../src/testing';
import { captureLogger, HOUR, MIN, tokenSet } from './helpers/engine';

const DAY = 24 * HOUR;

describe('deadline-driven escalation', () => {
  it('warns at T−24 h (info), T−2 h (warning) and T−15 min (critical) before the refresh token dies, once each', async () => {
    const clock = createFakeClock();
    const store = createMemoryTokenStore({ clock });
    const loginAt = clock.now();
    const deadline = loginAt + 7 * DAY;
    const schwabLike = (now: number) => tokenSet(now, 30 * MIN, { refreshExpiresAt: deadline });
    await store.put('s', { broker: 'mock', tokenSet: schwabLike(loginAt) }, { expectedVersion: 0 });
    const sink = createMemoryAlertSink();
    const adapter = createMockBrokerAdapter({ doRefresh: () => schwabLike(clock.now()) });
    const manager = createTokenManager({ store, clock, random: () => 0.5, alerts: [sink], loginLink: (id) => `https://x.test/login/${id}` });
    await manager.addAccount({ id: 's', adapter });
    expect(manager.status('s').humanDeadline).toEqual({ at: deadline, reason: 'refresh-token-expiry' });
    const deadlineAlerts = () => sink.alerts.filter((a) => a.kind === 'deadline').map((a) => [a.severity, a.createdAt - deadline]);
    await clock.advanceTo(deadline - DAY - 1);
    expect(deadlineAlerts()).toEqual([]);
    await clock.advanceTo(deadline - MIN);
    expect(deadlineAlerts()).toEqual([
      ['info', -DAY],
      ['warning', -2 * HOUR],
      ['critical', -15 * MIN],
    ]);
    const critical = sink.alerts.find((a) => a.severity === 'critical' && a.kind === 'deadline')!;
    expect(critical.action).toEqual({ label: 'Log in', url: 'https://x.test/login/s' });
    expect(critical.deadline).toBe(deadline);
    // Refreshes never extend the deadline; after a login the deadline moves and alerts reset.
    const next = loginAt + 14 * DAY;
    adapter.setRefresh(() => tokenSet(clock.now(), 30 * MIN, { refreshExpiresAt: next }));
    await manager.completeLogin('s', { callbackParams: { code: 'abc' } }).catch(() => undefined);
    await manager.stop();
  });

  it('a daily-login broker is warned only after the rollover, against the next NSE pre-open', async () => {
    // Kite-like: the token dies at 06:00 IST Tue 2026-01-06 (00:30Z); bots need it by 09:00 IST (03:30Z).
    const clock = createFakeClock(Date.UTC(2026, 0, 5, 4, 0));
    const store = createMemoryTokenStore({ clock });
    const expiresAt = Date.UTC(2026, 0, 6, 0, 30);
    await store.put('k', { broker: 'kite', tokenSet: tokenSet(clock.now(), expiresAt - clock.now(), { refreshToken: undefined }) }, { expectedVersion: 0 });
    const sink = createMemoryAlertSink();
    const adapter = createMockBrokerAdapter({
      broker: 'kite',
      capabilities: { renewal: 'none' },
      expiryRule: { kind: 'daily', at: { time: '06:00', timeZone: 'Asia/Kolkata' } },
    });
    const manager = createTokenManager({ store, clock, alerts: [sink], calendar: createMarketCalendar() });
    await manager.addAccount({ id: 'k', adapter, market: 'NSE' });
    expect(manager.status('k').humanDeadline).toEqual({ at: Date.UTC(2026, 0, 6, 3, 30), reason: 'daily-login' });
    await clock.advanceTo(expiresAt - MIN);
    expect(sink.alerts.filter((a) => a.kind === 'deadline')).toEqual([]);
    await clock.advanceTo(Date.UTC(2026, 0, 6, 3, 30) - 1);
    const sent = sink.alerts.filter((a) => a.kind === 'deadline').map((a) => a.severity);
    // T−24 h is before the rollover, so info waits for 06:00 IST; warning at 07:00, critical at 08:45.
    expect(sent).toEqual(['info', 'warning', 'critical']);
    expect(sink.alerts.filter((a) => a.kind === 'deadline').map((a) => a.createdAt)).toEqual([
      expiresAt,
      Date.UTC(2026, 0, 6, 1, 30),
      Date.UTC(2026, 0, 6, 3, 15),
    ]);
    expect(sink.alerts.filter((a) => a.kind === 'expired')).toEqual([]);
    expect(sink.alerts.find((a) => a.kind === 'deadline')!.title).toContain('Tue 09:00 IST');
    expect(manager.status('k').state).toBe('login_required');
    expect(adapter.doRefreshCalls).toHaveLength(0);
    await manager.stop();
  });
});

describe('human login', () => {
  it('completes a login: exchange, persist, publish, state valid', async () => {
    const clock = createFakeClock();
    const store = createMemoryTokenStore({ clock });
    const fresh = tokenSet(clock.now());
    const adapter = createMockBrokerAdapter({ doExchange: (input) => (input.callbackParams.code === 'good' ? fresh : Promise.reject(new BrokerApiError({ broker: 'mock', statusCode: 400, message: 'code expired' }))) });
    const manager = createTokenManager({ store, clock });
    await manager.addAccount({ id: 's', adapter });
    expect(manager.status('s').state).toBe('login_required');
    const url = await manager.authorizeUrl('s', { state: 'st4te' });
    expect(new URL(url).searchParams.get('state')).toBe('st4te');
    await expect(manager.completeLogin('s', { callbackParams: { code: 'bad' } })).rejects.toMatchObject({ code: 'BROKER_API_ERROR' });
    const status = await manager.completeLogin('s', { pasted: `https://127.0.0.1/cb?code=good&state=st4te` });
    expect(status).toMatchObject({ state: 'valid', version: 1, counters: { logins: 1 } });
    expect(await manager.getAccessToken('s')).toBe(fresh.accessToken.reveal());
    expect((await store.get('s'))?.tokenSet.accessToken.reveal()).toBe(fresh.accessToken.reveal());
    await manager.stop();
  });

  it('invalid credentials stop renewal and raise a critical alert', async () => {
    const clock = createFakeClock();
    const sink = createMemoryAlertSink();
    const adapter = createMockBrokerAdapter({ capabilities: { renewal: 'relogin' }, doRefresh: new InvalidCredentialsError({ message: 'Invalid MPIN.' }) });
    const manager = createTokenManager({ store: createMemoryTokenStore({ clock }), clock, alerts: [sink] });
    await manager.addAccount({ id: 'k', adapter });
    await clock.advance(HOUR);
    expect(adapter.doRefreshCalls).toHaveLength(1);
    expect(manager.status('k')).toMatchObject({ state: 'login_required', lastError: { code: 'INVALID_CREDENTIALS' } });
    expect(sink.alerts.map((a) => [a.kind, a.severity])).toEqual([['invalid_credentials', 'critical']]);
    await manager.stop();
  });
});

describe('callers', () => {
  it('withToken refreshes once on an auth error and retries fn once; concurrent callers share the refresh', async () => {
    const clock = createFakeClock();
    const store = createMemoryTokenStore({ clock });
    const first = tokenSet(clock.now());
    await store.put('s', { broker: 'mock', tokenSet: first }, { expectedVersion: 0 });
    const second = tokenSet(clock.now());
    const adapter = createMockBrokerAdapter({ doRefresh: [second] });
    const manager = createTokenManager({ store, clock });
    await manager.addAccount({ id: 's', adapter });
    const seen: string[] = [];
    const call = (token: string) => {
      seen.push(token);
      if (token === first.accessToken.reveal()) throw Object.assign(new Error('Unauthorized'), { status: 401 });
      return 'ok';
    };
    const results = await Promise.all([manager.withToken('s', call), manager.withToken('s', call), manager.withToken('s', call)]);
    expect(results).toEqual(['ok', 'ok', 'ok']);
    expect(adapter.doRefreshCalls).toHaveLength(1);
    expect(seen.filter((t) => t === second.accessToken.reveal())).toHaveLength(3);
    // A non-auth error passes straight through without a refresh.
    await expect(manager.withToken('s', () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(adapter.doRefreshCalls).toHaveLength(1);
    await manager.stop();
  });

  it('validate(): a rejected token triggers a refresh', async () => {
    const clock = createFakeClock();
    const store = createMemoryTokenStore({ clock });
    await store.put('s', { broker: 'mock', tokenSet: tokenSet(clock.now()) }, { expectedVersion: 0 });
    const fresh = tokenSet(clock.now());
    const adapter = createMockBrokerAdapter({ doRefresh: [fresh], doValidate: [{ valid: false, reason: 'session revoked' }] });
    const manager = createTokenManager({ store, clock });
    await manager.addAccount({ id: 's', adapter });
    expect(await manager.validate('s')).toEqual({ valid: false, reason: 'session revoked' });
    expect(adapter.doRefreshCalls).toHaveLength(1);
    expect(await manager.getAccessToken('s')).toBe(fresh.accessToken.reveal());
    expect(manager.status('s').lastValidation).toMatchObject({ valid: false, reason: 'session revoked' });
    await manager.stop();
  });

  it('hot reload: a token written by another process is picked up and announced without a broker call', async () => {
    const clock = createFakeClock();
    const store = createMemoryTokenStore({ clock });
    await store.put('s', { broker: 'mock', tokenSet: tokenSet(clock.now()) }, { expectedVersion: 0 });
    const adapter = createMockBrokerAdapter({ doRefresh: () => tokenSet(clock.now()) });
    const manager = createTokenManager({ store, clock });
    await manager.addAccount({ id: 's', adapter });
    const changed = new Promise((resolve) => manager.on('change', resolve));
    const external = tokenSet(clock.now());
    await store.put('s', { broker: 'mock', tokenSet: external }, { expectedVersion: 1 });
    expect(await changed).toMatchObject({ accountId: 's', version: 2, source: 'store' });
    expect(await manager.getAccessToken('s')).toBe(external.accessToken.reveal());
    expect(adapter.doRefreshCalls).toHaveLength(0);
    await manager.stop();
  });
});

describe('secrets', () => {
  it('no canary secret reaches logs, status, events, alerts or errors', async () => {
    const clock = createFakeClock();
    const canaries = ['CANARY-ACCESS-9f8e7d6c5b4a', 'CANARY-REFRESH-1a2b3c4d5e6f', 'CANARY-SID-77aa88bb99cc'];
    const store = createMemoryTokenStore({ clock });
    await store.put('s', { broker: 'mock', tokenSet: { accessToken: new Secret(canaries[0]!), refreshToken: new Secret(canaries[1]!), issuedAt: clock.now(), expiresAt: clock.now() + 30 * MIN, secretExtras: { sid: new Secret(canaries[2]!) } } }, { expectedVersion: 0 });
    const logger = captureLogger();
    const sink = createMemoryAlertSink();
    const outputs: unknown[] = [];
    const adapter = createMockBrokerAdapter({
      doRefresh: [new BrokerApiError({ broker: 'mock', statusCode: 500, message: 'upstream failed' }), () => { throw new Error(`bad token ${canaries[1]} rejected`); }],
    });
    const manager = createTokenManager({ store, clock, logger, alerts: [sink], random: () => 0.5 });
    manager.on('change', (e) => outputs.push(e));
    manager.on('state', (e) => outputs.push(e));
    await manager.addAccount({ id: 's', adapter });
    await clock.advance(25 * MIN);
    outputs.push(manager.statusAll(), sink.alerts, await manager.getTokenSet('s'));
    outputs.push(await manager.withToken('s', () => Promise.reject(Object.assign(new Error('no'), { status: 500 }))).catch((e) => e));
    const text = [...logger.lines, ...outputs.map((o) => `${JSON.stringify(o)}\n${inspect(o, { depth: 10 })}\n${String(o)}`)].join('\n');
    for (const c of canaries) expect(text).not.toContain(c);
    expect(logger.lines.length).toBeGreaterThan(3);
    await manager.stop();
  });
});

describe('imports and daemon notifications', () => {
  it('importTokenSet stores, publishes and clears login_required; a malformed import is rejected', async () => {
    const clock = createFakeClock();
    const store = createMemoryTokenStore({ clock });
    const sink = createMemoryAlertSink();
    const manager = createTokenManager({ store, clock, alerts: [sink] });
    await manager.addAccount({ id: 'k', adapter: createMockBrokerAdapter({ capabilities: { renewal: 'none' } }) });
    expect(manager.status('k').state).toBe('login_required');
    const pasted = tokenSet(clock.now(), 8 * HOUR, { refreshToken: undefined });
    const changes: string[] = [];
    manager.on('change', (e) => changes.push(`${e.version}:${e.source}`));
    expect(await manager.importTokenSet('k', pasted)).toMatchObject({ state: 'valid', version: 1 });
    expect(changes).toEqual(['1:login']);
    expect((await store.get('k'))?.tokenSet.accessToken.reveal()).toBe(pasted.accessToken.reveal());
    await expect(manager.importTokenSet('k', { ...pasted, expiresAt: clock.now() - 1 })).rejects.toMatchObject({ code: 'INVALID_TOKEN_SET' });
    manager.notify({ severity: 'warning', kind: 'sink_failed', accountId: 'k', title: 'sink failed', message: '.env not writable', dedupKey: 'k:sink' });
    manager.notify({ severity: 'warning', kind: 'sink_failed', accountId: 'k', title: 'sink failed', message: '.env not writable', dedupKey: 'k:sink' });
    await clock.flush();
    expect(sink.alerts.filter((a) => a.kind === 'sink_failed')).toHaveLength(1);
    await manager.stop();
  });
});

describe('refresh-token end', () => {
  it('tries renewal once at the refresh token’s end; a rejection makes the account login_required at that moment', async () => {
    const clock = createFakeClock();
    const store = createMemoryTokenStore({ clock });
    const end = clock.now() + 2 * HOUR + 7 * MIN;
    const mk = () => tokenSet(clock.now(), 30 * MIN, { refreshExpiresAt: end });
    await store.put('s', { broker: 'mock', tokenSet: mk() }, { expectedVersion: 0 });
    const adapter = createMockBrokerAdapter({ doRefresh: (input) => (input.now >= end ? Promise.reject(new LoginRequiredErrorForTest()) : mk()) });
    const sink = createMemoryAlertSink();
    const manager = createTokenManager({ store, clock, random: () => 0.5, alerts: [sink] });
    const sources: string[] = [];
    manager.on('change', (e) => sources.push(e.source));
    await manager.addAccount({ id: 's', adapter });
    await clock.advanceTo(end - 1);
    expect(manager.status('s').state).toBe('valid');
    // Loaded from the store at start, then our own renewals.
    expect(sources[0]).toBe('store');
    expect(new Set(sources.slice(1))).toEqual(new Set(['refresh']));
    const before = adapter.doRefreshCalls.length;
    await clock.advanceTo(end);
    expect(adapter.doRefreshCalls.length).toBe(before + 1);
    expect(manager.status('s').state).toBe('login_required');
    await clock.advance(24 * HOUR);
    expect(adapter.doRefreshCalls.length).toBe(before + 1);
    expect(sink.alerts.filter((a) => a.kind === 'login_required')).toHaveLength(1);
    await manager.stop();
  });
});

class LoginRequiredErrorForTest extends LoginRequiredError {
  constructor() {
    super({ message: 'refresh token expired', broker: 'mock' });
  }
}

describe('quiet failures are not allowed', () => {
  it('an account with no session that only a human can start alerts at once; notifyOnRefresh reports each renewal', async () => {
    const clock = createFakeClock();
    const sink = createMemoryAlertSink();
    const manager = createTokenManager({ store: createMemoryTokenStore({ clock }), clock, alerts: [sink], notifyOnRefresh: true, loginLink: (id) => `https://x.test/login/${id}` });
    await manager.addAccount({ id: 'fresh', adapter: createMockBrokerAdapter({ doExchange: () => tokenSet(clock.now()), doRefresh: () => tokenSet(clock.now()) }) });
    await clock.flush();
    expect(sink.alerts.map((a) => [a.kind, a.severity, a.action?.url])).toEqual([['login_required', 'critical', 'https://x.test/login/fresh']]);
    await manager.completeLogin('fresh', { callbackParams: { code: 'x' } });
    await clock.advance(25 * MIN);
    expect(sink.alerts.filter((a) => a.kind === 'refresh_succeeded').map((a) => a.severity)).toEqual(['info']);
    await manager.stop();
  });
});
