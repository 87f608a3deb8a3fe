import { afterEach, describe, expect, it } from 'vitest';
import { createMarketCalendar, createMemoryTokenStore, createTokenManager, type TokenManager } from '@tokens/core';
import { createFakeClock, createMemoryAlertSink, type FakeClock, type MemoryAlertSink } from '@tokens/core/testing';
import { createKotak, isKotakAuthError, kotakSession, type KotakSettings } from '../src';
import { startFakeKotak, type FakeKotak } from '../src/fake';
import { DAY, HOUR, idle, ist, istText, MIN } from './helpers';

const ID = 'kotak';
// The schedule the README recommends: 08:30 IST on NSE trading days, before the 09:00 pre-open.
const SCHEDULE = { cron: '30 8 * * 1-5', timeZone: 'Asia/Kolkata', skipHolidaysOf: 'NSE' } as const;
const calendar = createMarketCalendar();

interface World {
  clock: FakeClock;
  fake: FakeKotak;
  manager: TokenManager;
  sink: MemoryAlertSink;
}

let world: World | undefined;
afterEach(async () => {
  await world?.manager.stop();
  await world?.fake.close();
  world = undefined;
});

async function start(at: number, settings: Partial<KotakSettings> = {}): Promise<World> {
  const clock = createFakeClock(at);
  const fake = await startFakeKotak({ clock });
  const sink = createMemoryAlertSink();
  const manager = createTokenManager({ store: createMemoryTokenStore({ clock }), clock, calendar, alerts: [sink], random: () => 0.5 });
  const adapter = createKotak({ ...fake.credentials, loginBaseUrl: fake.url, timeoutMs: 2_000, environment: {}, ...settings });
  await manager.addAccount({ id: ID, adapter, schedule: SCHEDULE, market: 'NSE' });
  await idle(manager, ID);
  world = { clock, fake, manager, sink };
  return world;
}

class LimitsError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super(`limits answered HTTP ${status}`);
  }
}

/** What a bot does: read its limits from the trading host with the current session. */
async function readLimits(w: World, token: string): Promise<unknown> {
  const tokenSet = await w.manager.getTokenSet(ID);
  const { baseUrl, headers } = kotakSession(tokenSet);
  expect(headers.Auth).toBe(token);
  const res = await fetch(`${baseUrl}/quick/user/limits`, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ jData: JSON.stringify({ seg: 'ALL', exch: 'ALL', prod: 'ALL' }) }),
  });
  const body = (await res.json()) as { stCode?: number };
  if (res.status !== 200 || body.stCode !== 200) throw new LimitsError(res.status, body);
  return body;
}

const loginCalls = (f: FakeKotak) => f.calls.filter((c) => c.path === '/login/1.0/tradeApiLogin');
const limitsCalls = (f: FakeKotak) => f.calls.filter((c) => c.path === '/quick/user/limits');

describe('the Kotak setup’s promise: one login a day instead of 100+, recovering from dead sessions', () => {
  it('a trading week with a consumer every minute 09:15–15:30 IST: one login per trading day (+1 per forced invalidation), never concurrent, no failed call', async () => {
    // Sunday 25 Jan 2026, 22:00 IST. Monday 26 Jan is Republic Day (NSE holiday).
    const w = await start(ist(2026, 1, 25, 22, 0));
    const { clock, fake, manager } = w;
    const forcedAt = ist(2026, 1, 29, 11, 0); // Thursday: Kotak ends the session mid-morning
    let calls = 0;
    let forced = 0;

    const end = ist(2026, 2, 1, 23, 59);
    for (let t = clock.now(); t < end; ) {
      // Minute by minute from 08:00 to 16:00 IST on trading days; otherwise jump ahead, but never
      // past a scheduled refresh (a refresh in flight must finish before time moves on).
      const busy = calendar.isTradingDay('NSE', t) && minuteOfDay(t) >= 8 * 60 && minuteOfDay(t) < 16 * 60;
      const next0800 = t - minuteOfDay(t) * MIN + 8 * HOUR + (minuteOfDay(t) >= 8 * 60 ? DAY : 0);
      t = busy ? t + MIN : Math.max(t + MIN, Math.min(next0800, manager.status(ID).nextRefreshAt ?? end, end));
      await clock.advanceTo(t);
      if (manager.status(ID).state === 'refreshing') await idle(manager, ID);
      const minute = minuteOfDay(t);
      if (!calendar.isTradingDay('NSE', t) || minute < 9 * 60 + 15 || minute > 15 * 60 + 30) continue;
      if (minute === 9 * 60 + 15) {
        // Before the first bot call of the day the session is already fresh, until midnight IST.
        expect(manager.status(ID)).toMatchObject({ state: 'valid', tokenValid: true, expiresAt: ist(...dayOf(t), 24, 0) });
      }
      if (t === forcedAt) {
        forced += fake.expireSessions();
        // Three bots hit the dead session at once: they share one re-login.
        const results = await Promise.all([1, 2, 3].map(() => manager.withToken(ID, (token) => readLimits(w, token), { isAuthError: isKotakAuthError })));
        expect(results).toHaveLength(3);
        calls += 3;
        continue;
      }
      await manager.withToken(ID, (token) => readLimits(w, token), { isAuthError: isKotakAuthError });
      calls++;
    }

    expect(forced).toBe(1);
    // 4 trading days (Tue–Fri) × 376 minutes, plus 2 extra bots at the forced minute.
    expect(calls).toBe(4 * 376 + 2);
    const logins = loginCalls(fake).map((c) => istText(c.at));
    expect(logins).toEqual([
      '2026-01-25 22:00', // startup: no token stored yet
      '2026-01-27 08:30',
      '2026-01-28 08:30',
      '2026-01-29 08:30',
      '2026-01-29 11:00', // the forced invalidation
      '2026-01-30 08:30',
    ]);
    expect(fake.stats).toMatchObject({ logins: 6, loginAttempts: 6, maxConcurrentLogins: 1 });
    // Every consumer call succeeded; only the three at the forced minute saw the dead session first.
    const rejected = limitsCalls(fake).filter((c) => c.at === forcedAt).length;
    expect(limitsCalls(fake)).toHaveLength(calls + 3);
    expect(rejected).toBe(6);
    expect(manager.status(ID).counters).toMatchObject({ refreshes: 6, failures: 0 });
    expect(w.sink.alerts).toEqual([]);
  });

  it('daily re-login happens at 08:30 IST on trading days only, also with nobody asking', async () => {
    const w = await start(ist(2026, 1, 23, 16, 0)); // Friday afternoon
    await w.clock.advanceTo(ist(2026, 1, 27, 8, 29)); // over the weekend and the Monday holiday
    expect(loginCalls(w.fake)).toHaveLength(1);
    expect(w.manager.status(ID)).toMatchObject({ state: 'expired', tokenValid: false, nextRefreshAt: ist(2026, 1, 27, 8, 30) });
    await w.clock.advanceTo(ist(2026, 1, 27, 8, 30));
    await idle(w.manager, ID);
    expect(loginCalls(w.fake).map((c) => istText(c.at))).toEqual(['2026-01-23 16:00', '2026-01-27 08:30']);
    expect(w.manager.status(ID)).toMatchObject({ state: 'valid', expiresAt: ist(2026, 1, 28, 0, 0), nextRefreshAt: ist(2026, 1, 28, 8, 30) });
  });

  it('a restarted service adopts the stored session instead of logging in again', async () => {
    const clock = createFakeClock(ist(2026, 1, 27, 9, 0));
    const fake = await startFakeKotak({ clock });
    const store = createMemoryTokenStore({ clock });
    const adapter = createKotak({ ...fake.credentials, loginBaseUrl: fake.url, environment: {} });
    try {
      const first = createTokenManager({ store, clock, calendar });
      await first.addAccount({ id: ID, adapter, schedule: SCHEDULE });
      await idle(first, ID);
      const token = await first.getAccessToken(ID);
      await first.stop();
      const second = createTokenManager({ store, clock, calendar });
      await second.addAccount({ id: ID, adapter, schedule: SCHEDULE });
      expect(second.status(ID).state).toBe('valid');
      expect(await second.getAccessToken(ID)).toBe(token);
      await second.stop();
      expect(loginCalls(fake)).toHaveLength(1);
    } finally {
      await fake.close();
    }
  });

  it('outside the schedule a caller still gets a session on demand (e.g. after midnight)', async () => {
    const w = await start(ist(2026, 1, 27, 23, 0));
    await w.clock.advanceTo(ist(2026, 1, 28, 0, 30));
    expect(w.manager.status(ID).state).toBe('expired');
    const token = await w.manager.getAccessToken(ID);
    expect(token).toBe((await w.manager.getTokenSet(ID)).accessToken.reveal());
    expect(loginCalls(w.fake).map((c) => istText(c.at))).toEqual(['2026-01-27 23:00', '2026-01-28 00:30']);
  });
});

/** Minutes since 00:00 IST. */
function minuteOfDay(t: number): number {
  return ((t + 5.5 * HOUR) % DAY) / MIN;
}

function dayOf(t: number): [number, number, number] {
  const d = new Date(t + 5.5 * HOUR);
  return [d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate()];
}

describe('recovering from a session Kotak ended (JWT expiry, 403, stCode 100022)', () => {
  it('withToken: a 403 stCode 100022 forces exactly one re-login and retries once', async () => {
    const w = await start(ist(2026, 1, 27, 10, 0));
    const before = w.manager.status(ID).version;
    w.fake.expireSessions();
    const body = await w.manager.withToken(ID, (token) => readLimits(w, token), { isAuthError: isKotakAuthError });
    expect(body).toMatchObject({ stat: 'Ok' });
    expect(loginCalls(w.fake)).toHaveLength(2);
    expect(limitsCalls(w.fake).map((c) => c.headers.auth)).toHaveLength(2);
    expect(w.manager.status(ID)).toMatchObject({ state: 'valid', version: before! + 1, lastRefresh: { source: 'on-demand', ok: true } });
  });

  it('withToken: a dead session reported inside HTTP 200 (stCode 100022) needs isKotakAuthError', async () => {
    const w = await start(ist(2026, 1, 27, 10, 0));
    const dead = { stCode: 100022, errMsg: 'invalid session token', stat: 'Not_Ok' };
    w.fake.respondOnce('/quick/user/limits', { status: 200, body: dead });
    // The engine's default only knows 401/403: the error reaches the caller and nothing re-logs in.
    await expect(w.manager.withToken(ID, (token) => readLimits(w, token))).rejects.toMatchObject({ status: 200, body: dead });
    expect(loginCalls(w.fake)).toHaveLength(1);
    w.fake.respondOnce('/quick/user/limits', { status: 200, body: dead });
    await expect(w.manager.withToken(ID, (token) => readLimits(w, token), { isAuthError: isKotakAuthError })).resolves.toMatchObject({ stat: 'Ok' });
    expect(loginCalls(w.fake)).toHaveLength(2);
  });

  it('withToken retries once only: a session that dies again right after the re-login surfaces the error', async () => {
    const w = await start(ist(2026, 1, 27, 10, 0));
    w.fake.expireSessions();
    let attempts = 0;
    const error = await w.manager
      .withToken(
        ID,
        async (token) => {
          attempts++;
          if (attempts === 2) w.fake.expireSessions();
          return readLimits(w, token);
        },
        { isAuthError: isKotakAuthError },
      )
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LimitsError);
    expect(attempts).toBe(2);
    expect(loginCalls(w.fake)).toHaveLength(2);
  });

  it('validate(): the get-client-ip probe notices the dead session and re-logs in once', async () => {
    const w = await start(ist(2026, 1, 27, 10, 0));
    w.fake.expireSessions();
    const result = await w.manager.validate(ID);
    expect(result.valid).toBe(false);
    await idle(w.manager, ID);
    expect(w.fake.calls.map((c) => c.path)).toEqual([
      '/login/1.0/tradeApiLogin',
      '/login/1.0/tradeApiValidate',
      '/login/1.0/get-client-ip',
      '/login/1.0/tradeApiLogin',
      '/login/1.0/tradeApiValidate',
    ]);
    expect(w.manager.status(ID)).toMatchObject({ state: 'valid', lastValidation: { valid: false } });
  });
});

describe('wrong credentials stop at once: login_required, one alert, no retry storm', () => {
  it.each([
    ['MPIN', { mpin: '000000' }, ['/login/1.0/tradeApiLogin', '/login/1.0/tradeApiValidate'], 'Invalid MPIN'],
    ['TOTP secret', { totpSecret: 'JBSWY3DPEHPK3PXP' }, ['/login/1.0/tradeApiLogin'], 'Invalid TOTP'],
  ] as const)('a wrong %s', async (_what, settings, paths, said) => {
    const w = await start(ist(2026, 1, 27, 8, 30), settings);
    const { manager, fake, sink, clock } = w;
    expect(manager.status(ID)).toMatchObject({ state: 'login_required', lastError: { code: 'INVALID_CREDENTIALS', needsHuman: true } });
    expect(fake.calls.map((c) => c.path)).toEqual(paths);
    expect(sink.alerts).toHaveLength(1);
    expect(sink.alerts[0]).toMatchObject({ kind: 'invalid_credentials', severity: 'critical', accountId: ID, broker: 'kotak' });
    expect(sink.alerts[0]!.message).toContain(said);

    // Bots keep asking, days pass, the schedule comes round: Kotak sees nothing more.
    for (let i = 0; i < 5; i++) {
      await expect(manager.getAccessToken(ID)).rejects.toMatchObject({ code: 'LOGIN_REQUIRED', needsHuman: true });
    }
    let ran = false;
    await expect(manager.withToken(ID, () => (ran = true))).rejects.toMatchObject({ code: 'LOGIN_REQUIRED' });
    expect(ran).toBe(false);
    for (let h = 0; h < 72; h++) await clock.advance(HOUR);
    expect(fake.calls).toHaveLength(paths.length);
    expect(sink.alerts).toHaveLength(1);
    expect(manager.status(ID).state).toBe('login_required');

    // Fixing the settings (re-adding the account) logs in again at once.
    await manager.addAccount({ id: ID, adapter: createKotak({ ...fake.credentials, loginBaseUrl: fake.url, environment: {} }), schedule: SCHEDULE, market: 'NSE' });
    await idle(manager, ID);
    expect(manager.status(ID)).toMatchObject({ state: 'valid', tokenValid: true });
    expect(fake.stats.logins).toBe(1);
  });
});
