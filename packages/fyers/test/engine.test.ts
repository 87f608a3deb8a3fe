import { afterEach, describe, expect, it } from 'vitest';
import { createMarketCalendar, createMemoryTokenStore, createTokenManager, type TokenManager } from '@tokens/core';
import { formatIst } from '@tokens/broker-utils';
import { createFakeClock, createMemoryAlertSink, type FakeClock, type MemoryAlertSink } from '@tokens/core/testing';
import { createFyers, FYERS_SEED_SCHEDULE, type FyersAdapter } from '../src';
import { startFakeFyers, type FakeFyersServer } from '../src/fake';
import { APP_ID, APP_SECRET, PIN, REDIRECT_URI, ist } from './helpers';

const ID = 'fyers-main';
const MARKET_HOURS = Array.from({ length: 27 }, (_, i) => {
  const minutes = 9 * 60 + 15 * i;
  return `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
});
const istText = (at: number) => formatIst(at).slice(0, 16);

interface World {
  clock: FakeClock;
  fake: FakeFyersServer;
  adapter: FyersAdapter;
  manager: TokenManager;
  alerts: MemoryAlertSink;
  /** When a new token reached consumers. */
  changes: string[];
  /** When FYERS saw a refresh / an auth-code exchange. */
  wire(path: 'validate-refresh-token' | 'validate-authcode'): string[];
  states: { at: string; to: string }[];
  /** Fires every timer up to `target` one at a time, letting real loopback HTTP finish in between. */
  runTo(target: number): Promise<void>;
  login(): Promise<void>;
}

let world: World | undefined;
afterEach(async () => {
  await world?.manager.stop();
  await world?.fake.close();
  world = undefined;
});

async function createWorld(start: number, schedule?: typeof FYERS_SEED_SCHEDULE): Promise<World> {
  const clock = createFakeClock(start);
  const fake = await startFakeFyers({ clock, appId: APP_ID, appSecret: APP_SECRET, pin: PIN, redirectUri: REDIRECT_URI });
  const adapter = createFyers({ appId: APP_ID, appSecret: APP_SECRET, pin: PIN, redirectUri: REDIRECT_URI, baseUrl: fake.url, environment: {} });
  const alerts = createMemoryAlertSink();
  const manager = createTokenManager({
    store: createMemoryTokenStore({ clock }),
    clock,
    alerts: [alerts],
    calendar: createMarketCalendar(),
    random: () => 0,
    loginLink: (id) => `https://tokens.example/login/${id}`,
  });
  const changes: World['changes'] = [];
  const states: World['states'] = [];
  manager.on('change', () => changes.push(istText(clock.now())));
  manager.on('state', (e) => states.push({ at: istText(clock.now()), to: e.to }));
  await manager.addAccount({ id: ID, adapter, market: 'NSE', ...(schedule ? { schedule } : {}) });

  const idle = async () => {
    for (let i = 0; i < 1000 && manager.status(ID).state === 'refreshing'; i++) await new Promise((r) => setTimeout(r, 2));
    expect(manager.status(ID).state).not.toBe('refreshing');
  };
  const runTo = async (target: number) => {
    for (;;) {
      const next = clock.nextTimerAt();
      if (next === undefined || next > target) break;
      await clock.advanceTo(Math.max(next, clock.now()));
      await idle();
    }
    await clock.advanceTo(target);
    await idle();
  };
  // The human: open the login link, sign in at FYERS, paste the redirected URL (headless).
  const login = async () => {
    const url = await manager.authorizeUrl(ID, { state: `signed-${clock.now()}` });
    await manager.completeLogin(ID, { pasted: await fake.browserLogin(url) });
  };
  const wire = (path: string) => fake.calls.filter((c) => c.path === `/api/v3/${path}`).map((c) => istText(c.receivedAt));
  return { clock, fake, adapter, manager, alerts, changes, wire, states, runTo, login };
}

/** Every calendar day from `from` to `to` (inclusive), as "YYYY-MM-DD". */
function days(from: string, to: string): string[] {
  const out: string[] = [];
  for (let at = ist(`${from}T12:00`); at <= ist(`${to}T12:00`); at += 24 * 3_600_000) out.push(istText(at).slice(0, 10));
  return out;
}

describe('with the engine (fake clock, real loopback HTTP)', () => {
  it('16 simulated days on the seed schedule (08:45 IST Mon–Fri, NSE holidays skipped): one renewal per trading day, no gap in market hours, escalation before the day-15 refresh-token death, login_required after it, restored by a login', async () => {
    // Sunday 1 March 2026; Tuesday 3 March is Holi (NSE closed).
    const w = (world = await createWorld(ist('2026-03-01T20:00'), FYERS_SEED_SCHEDULE));
    const calendar = createMarketCalendar();
    expect(w.manager.status(ID).state).toBe('login_required');

    // Day 0: the first browser login, Monday 08:00 IST. The refresh token dies 15 days later.
    await w.runTo(ist('2026-03-02T08:00'));
    await w.login();
    expect(w.manager.status(ID)).toMatchObject({ state: 'valid', refreshExpiresAt: ist('2026-03-17T08:00'), nextRefreshAt: ist('2026-03-02T08:45') });

    const tradingDays: string[] = [];
    for (const day of days('2026-03-02', '2026-03-17')) {
      const trading = calendar.isTradingDay('NSE', ist(`${day}T12:00`));
      if (trading) tradingDays.push(day);
      if (day === '2026-03-17') {
        // The refresh token died at 08:00: the 08:45 run cannot renew and asks for a human.
        await w.runTo(ist(`${day}T08:45`));
        expect(w.manager.status(ID)).toMatchObject({ state: 'login_required', tokenValid: false, lastError: { code: 'LOGIN_REQUIRED' } });
        // The human reacts to the alert before the 09:00 pre-open.
        await w.runTo(ist(`${day}T08:50`));
        await w.login();
      }
      // Pre-open (09:00) to close (15:30), every 15 minutes.
      for (const time of MARKET_HOURS) {
        await w.runTo(ist(`${day}T${time}`));
        const status = w.manager.status(ID);
        expect(status.tokenValid, `${day} ${time} token valid`).toBe(trading);
        if (trading) {
          // The broker itself accepts the token bots get.
          expect(w.fake.accessTokenStatus(await w.manager.getAccessToken(ID)), `${day} ${time}`).toBe('valid');
          expect(status.state).toBe('valid');
        }
      }
    }
    // Day 16: the new refresh token renews on schedule again.
    await w.runTo(ist('2026-03-18T09:00'));
    expect(w.manager.status(ID)).toMatchObject({ state: 'valid', tokenValid: true, refreshExpiresAt: ist('2026-03-17T08:50') + 15 * 24 * 3_600_000 });

    // One renewal per trading day, at 08:45 IST (inside the 06:05–08:55 window); none on Holi or weekends.
    expect(tradingDays).toEqual(['2026-03-02', '2026-03-04', '2026-03-05', '2026-03-06', '2026-03-09', '2026-03-10', '2026-03-11', '2026-03-12', '2026-03-13', '2026-03-16', '2026-03-17']);
    // None is wasted on the dead refresh token on the 17th.
    const renewals = [...tradingDays.filter((d) => d !== '2026-03-17'), '2026-03-18'].map((d) => `${d} 08:45`);
    expect(w.wire('validate-refresh-token')).toEqual(renewals);
    expect(w.wire('validate-authcode')).toEqual(['2026-03-02 08:00', '2026-03-17 08:50']);
    expect(w.changes).toEqual([...w.wire('validate-refresh-token'), ...w.wire('validate-authcode')].sort());

    // Escalation before the death (T−24 h info, T−2 h warning, T−15 min critical) with the login link, then login_required.
    const human = w.alerts.alerts
      .filter((a) => a.kind === 'deadline' || a.kind === 'login_required')
      .map((a) => ({ at: istText(a.createdAt), kind: a.kind, severity: a.severity, action: a.action?.url, deadline: a.deadline && istText(a.deadline) }));
    expect(human).toEqual([
      // Before the very first login: no session and FYERS needs a human to create one.
      { at: '2026-03-01 20:00', kind: 'login_required', severity: 'critical', action: `https://tokens.example/login/${ID}`, deadline: undefined },
      { at: '2026-03-16 08:00', kind: 'deadline', severity: 'info', action: `https://tokens.example/login/${ID}`, deadline: '2026-03-17 08:00' },
      { at: '2026-03-17 06:00', kind: 'deadline', severity: 'warning', action: `https://tokens.example/login/${ID}`, deadline: '2026-03-17 08:00' },
      { at: '2026-03-17 07:45', kind: 'deadline', severity: 'critical', action: `https://tokens.example/login/${ID}`, deadline: '2026-03-17 08:00' },
      // The engine tries once at the refresh token's end (the adapter refuses locally): login_required at 08:00.
      { at: '2026-03-17 08:00', kind: 'login_required', severity: 'critical', action: `https://tokens.example/login/${ID}`, deadline: undefined },
    ]);
    // Everything else: the dead token at the refresh token's end, and the recovery by the login on
    // the 17th. The first login (2 March) is no recovery, and no refresh ever failed.
    expect(w.alerts.alerts.filter((a) => a.kind !== 'deadline' && a.kind !== 'login_required').map((a) => [istText(a.createdAt), a.kind, a.severity])).toEqual([
      ['2026-03-17 08:00', 'expired', 'critical'],
      ['2026-03-17 08:50', 'refresh_recovered', 'info'],
    ]);
    // Before the first login, and after the refresh token died.
    expect(w.states.filter((s) => s.to === 'login_required').map((s) => s.at)).toEqual(['2026-03-01 20:00', '2026-03-17 08:00']);
  });

  it('without a schedule, renews once a day inside the 06:05–08:55 IST window, right after the 06:00 rollover', async () => {
    const w = (world = await createWorld(ist('2026-01-05T09:30')));
    await w.login();
    expect(w.manager.status(ID).nextRefreshAt).toBe(ist('2026-01-06T06:05'));
    await w.runTo(ist('2026-01-08T09:00'));
    expect(w.wire('validate-refresh-token')).toEqual(['2026-01-06 06:05', '2026-01-07 06:05', '2026-01-08 06:05']);
    expect(w.changes).toEqual(['2026-01-05 09:30', '2026-01-06 06:05', '2026-01-07 06:05', '2026-01-08 06:05']);
    expect(w.manager.status(ID)).toMatchObject({ state: 'valid', expiresAt: ist('2026-01-09T06:00'), nextRefreshAt: ist('2026-01-09T06:05') });
  });

  it('a failed morning refresh (5xx) is retried with backoff and recovers; a wrong PIN stops renewal and asks a human', async () => {
    const w = (world = await createWorld(ist('2026-01-05T09:30'), FYERS_SEED_SCHEDULE));
    await w.login();
    w.fake.fault('server-error', { times: 2 });
    await w.runTo(ist('2026-01-06T08:50'));
    expect(w.manager.status(ID)).toMatchObject({ state: 'valid', counters: { failures: 2, refreshes: 1 } });
    expect(w.wire('validate-refresh-token')).toEqual(['2026-01-06 08:45', '2026-01-06 08:45', '2026-01-06 08:45']);
    const link = `https://tokens.example/login/${ID}`;
    const seen = () => w.alerts.alerts.map((a) => [istText(a.createdAt), a.kind, a.severity, a.action?.url]);
    expect(seen()).toEqual([
      // Before the first login (no session; FYERS needs a human to start one).
      ['2026-01-05 09:30', 'login_required', 'critical', link],
      // The 08:45 refresh failed while the 06:00-dead token was all there was: "retries exhausted"
      // (critical, not the warning 'refresh_failed'), once for both failures.
      ['2026-01-06 08:45', 'retries_exhausted', 'critical', undefined],
      ['2026-01-06 08:45', 'expired', 'critical', undefined],
      // The third attempt renews: a recovery (the first login, the day before, was none).
      ['2026-01-06 08:45', 'refresh_recovered', 'info', undefined],
    ]);
    expect(w.alerts.alerts[0]!.title).toBe('fyers-main (fyers): log in to start');
    expect(w.alerts.alerts[1]!.message).toContain('No valid token is left.');

    w.fake.fault('wrong-pin');
    await w.runTo(ist('2026-01-07T08:50'));
    expect(w.manager.status(ID)).toMatchObject({ state: 'login_required', lastError: { code: 'LOGIN_REQUIRED', needsHuman: true } });
    expect(seen().slice(4)).toEqual([
      ['2026-01-07 08:45', 'login_required', 'critical', link],
      ['2026-01-07 08:45', 'expired', 'critical', link],
    ]);
    expect(w.alerts.alerts[4]!.message).toContain('the PIN may be wrong');
    // No retry loop against FYERS while a human is needed.
    const refreshes = w.fake.calls.filter((c) => c.path.endsWith('/validate-refresh-token')).length;
    await w.runTo(ist('2026-01-08T09:00'));
    expect(w.fake.calls.filter((c) => c.path.endsWith('/validate-refresh-token'))).toHaveLength(refreshes);
  });

  it('withToken: a 401 from FYERS (session killed elsewhere) refreshes once and retries the call', async () => {
    const w = (world = await createWorld(ist('2026-01-05T10:00')));
    await w.login();
    const first = await w.manager.getAccessToken(ID);
    w.fake.revokeAccessToken(first); // e.g. a logout from another app
    const seen: string[] = [];
    const profile = await w.manager.withToken(ID, async (token) => {
      seen.push(token);
      const response = await fetch(`${w.fake.url}/profile`, { headers: { authorization: `${APP_ID}:${token}` } });
      if (response.status === 401) throw Object.assign(new Error('FYERS 401'), { status: 401 });
      return (await response.json()) as { s: string };
    });
    expect(profile.s).toBe('ok');
    expect(seen).toHaveLength(2);
    expect(seen[0]).toBe(first);
    expect(seen[1]).not.toBe(first);
    expect(w.wire('validate-refresh-token')).toEqual(['2026-01-05 10:00']);
    expect(w.changes).toHaveLength(2);
  });
});
