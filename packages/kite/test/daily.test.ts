import { describe, expect, it } from 'vitest';
import { DEFAULT_ESCALATION, type AlertV1, type TokenChangeEvent } from '@tokens/core';
import { startEngineRig, LOGIN_LINK, type EngineRig } from './engine-helpers';
import { DAY, HOUR, ist, MIN } from './helpers';

const seen = (alerts: AlertV1[]) => alerts.map((a) => ({ kind: a.kind, severity: a.severity, at: a.createdAt, url: a.action?.url, deadline: a.deadline }));
/** The kiteReminders() ladder against the pre-open of `day` (08:00 info, 08:30 warning, 08:45 critical IST). */
const ladder = (day: number) => [
  { kind: 'deadline', severity: 'info', at: day + 8 * HOUR, url: LOGIN_LINK, deadline: day + 9 * HOUR },
  { kind: 'deadline', severity: 'warning', at: day + 8 * HOUR + 30 * MIN, url: LOGIN_LINK, deadline: day + 9 * HOUR },
  { kind: 'deadline', severity: 'critical', at: day + 8 * HOUR + 45 * MIN, url: LOGIN_LINK, deadline: day + 9 * HOUR },
];
/** Every 15 minutes from `first` to `last`, both included. */
const every15 = (first: number, last: number) => Array.from({ length: (last - first) / (15 * MIN) + 1 }, (_, i) => first + i * 15 * MIN);
const login = async (rig: EngineRig) => rig.manager.completeLogin('kite-main', { pasted: await rig.browserLogin() });

describe('the daily Kite cycle with the real engine', () => {
  it('a new account (no session yet) is not paged at night: the ladder runs against the next pre-open, never before the 06:00 IST rollover; the first login is no "recovery"', async () => {
    // Added on Sunday evening with the engine's default ladder (24 h / 2 h / 15 min before).
    const rig = await startEngineRig({ start: ist(2026, 1, 4, 20, 0), escalation: DEFAULT_ESCALATION });
    try {
      expect(rig.status()).toMatchObject({ state: 'login_required', tokenValid: false, humanDeadline: { at: ist(2026, 1, 5, 9, 0), reason: 'daily-login' } });
      await expect(rig.manager.getAccessToken('kite-main')).rejects.toMatchObject({ code: 'LOGIN_REQUIRED', needsHuman: true });
      // T−24 h (Sunday 09:00) is long past, yet nothing is sent at night: a login before the
      // 06:00 rollover would die at once.
      await rig.runTo(ist(2026, 1, 5, 5, 59));
      expect(rig.sink.alerts).toEqual([]);

      await rig.runTo(ist(2026, 1, 5, 8, 50));
      const monday = ist(2026, 1, 5);
      expect(seen(rig.sink.alerts)).toEqual([
        { kind: 'deadline', severity: 'info', at: monday + 6 * HOUR, url: LOGIN_LINK, deadline: monday + 9 * HOUR },
        { kind: 'deadline', severity: 'warning', at: monday + 7 * HOUR, url: LOGIN_LINK, deadline: monday + 9 * HOUR },
        { kind: 'deadline', severity: 'critical', at: monday + 8 * HOUR + 45 * MIN, url: LOGIN_LINK, deadline: monday + 9 * HOUR },
      ]);
      expect(rig.sink.alerts.map((a) => a.title)).toEqual(Array(3).fill('kite-main (kite): log in before Mon 09:00 IST'));

      await login(rig);
      expect(rig.status()).toMatchObject({ state: 'valid', tokenValid: true, expiresAt: ist(2026, 1, 6, 6, 0), humanDeadline: { at: ist(2026, 1, 6, 9, 0), reason: 'daily-login' } });
      // No 'refresh_recovered' (nor anything else) for the first session.
      await rig.runTo(ist(2026, 1, 5, 15, 30));
      expect(rig.sink.alerts).toHaveLength(3);
    } finally {
      await rig.close();
    }
  });

  it('valid until 06:00 IST, then login_required with reminders against the 09:00 IST pre-open while the probe rests; a pasted login restores valid without a restart', async () => {
    // The adapter's default probe: GET /user/profile every 15 minutes, while the session lives.
    const rig = await startEngineRig({ start: ist(2026, 1, 5, 8, 50) });
    const changes: TokenChangeEvent[] = [];
    rig.manager.on('change', (e) => changes.push(e));
    try {
      expect(rig.status()).toMatchObject({ state: 'login_required', tokenValid: false, capabilities: { renewal: 'none' }, humanDeadline: { at: ist(2026, 1, 5, 9, 0), reason: 'daily-login' } });
      // No session 10 minutes before the pre-open: the ladder is at its last step, one critical reminder.
      const monday = seen(rig.sink.alerts);
      expect(monday).toEqual([{ kind: 'deadline', severity: 'critical', at: ist(2026, 1, 5, 8, 50), url: LOGIN_LINK, deadline: ist(2026, 1, 5, 9, 0) }]);

      // Monday 08:55: the human logs in and pastes the redirected URL (headless).
      await rig.runTo(ist(2026, 1, 5, 8, 55));
      const pasted = await rig.browserLogin();
      const status = await rig.manager.completeLogin('kite-main', { pasted });
      expect(status).toMatchObject({ state: 'valid', tokenValid: true, expiresAt: ist(2026, 1, 6, 6, 0), humanDeadline: { at: ist(2026, 1, 6, 9, 0), reason: 'daily-login' } });
      // Published at once. (The memory store's own watch may announce the write first, as 'store'.)
      expect(changes).toMatchObject([{ accountId: 'kite-main', broker: 'kite', version: 1, expiresAt: ist(2026, 1, 6, 6, 0) }]);
      expect(['login', 'store']).toContain(changes[0]!.source);
      const first = await rig.manager.getAccessToken('kite-main');
      expect(rig.fake.isActive(first)).toBe(true);

      // Probed every 15 minutes from the login to the last slot before the 06:00 death.
      await rig.runTo(ist(2026, 1, 6, 5, 59));
      expect(rig.status()).toMatchObject({ state: 'valid', tokenValid: true, counters: { validations: 84 }, lastValidation: { at: ist(2026, 1, 6, 5, 55), valid: true } });
      expect(rig.probes).toEqual(every15(ist(2026, 1, 5, 9, 10), ist(2026, 1, 6, 5, 55)));
      // A first session is no recovery: still only Monday's reminder.
      expect(seen(rig.sink.alerts)).toEqual(monday);

      await rig.runTo(ist(2026, 1, 6, 6, 0));
      expect(rig.status()).toMatchObject({ state: 'login_required', tokenValid: false, humanDeadline: { at: ist(2026, 1, 6, 9, 0), reason: 'daily-login' } });
      await expect(rig.manager.getAccessToken('kite-main')).rejects.toMatchObject({ code: 'LOGIN_REQUIRED', needsHuman: true });

      // A dead session is not probed: the reminders do their job instead of one 'login_required'.
      await rig.runTo(ist(2026, 1, 6, 8, 50));
      expect(rig.probes).toHaveLength(84);
      expect(seen(rig.sink.alerts).slice(1)).toEqual(ladder(ist(2026, 1, 6)));
      expect(rig.sink.alerts[1]!.title).toBe('kite-main (kite): log in before Tue 09:00 IST');

      // Tuesday 08:50: this time the bare request token is pasted.
      const token = new URL(await rig.browserLogin()).searchParams.get('request_token')!;
      await rig.manager.completeLogin('kite-main', { pasted: token });
      expect(rig.status()).toMatchObject({ state: 'valid', version: 2, expiresAt: ist(2026, 1, 7, 6, 0) });
      expect(changes.map((c) => c.version)).toEqual([1, 2]);
      const second = await rig.manager.getAccessToken('kite-main');
      expect(second).not.toBe(first);
      expect(rig.fake.isActive(second)).toBe(true);
      await rig.runTo(ist(2026, 1, 6, 15, 30));
      expect(rig.sink.alerts.filter((a) => a.createdAt > ist(2026, 1, 6, 8, 50))).toEqual([]);
      // Probing resumes with the new session: the slot missed at 06:10 is taken at the login, then every 15 min.
      expect(rig.probes.slice(84)).toEqual(every15(ist(2026, 1, 6, 8, 50), ist(2026, 1, 6, 15, 20)));
      expect(rig.status()).toMatchObject({ lastValidation: { at: ist(2026, 1, 6, 15, 20), valid: true } });
    } finally {
      await rig.close();
    }
  });

  it("the engine's scheduled probe (adapter default: every 15 min) catches a master logout on Kite web during the day", async () => {
    const rig = await startEngineRig({ start: ist(2026, 1, 7, 8, 55) });
    try {
      expect(rig.kite.defaults).toEqual({ validateEveryMs: 15 * MIN });
      // Added 5 minutes before the pre-open without a session: one critical reminder at once.
      expect(seen(rig.sink.alerts)).toEqual([{ kind: 'deadline', severity: 'critical', at: ist(2026, 1, 7, 8, 55), url: LOGIN_LINK, deadline: ist(2026, 1, 7, 9, 0) }]);
      await login(rig);
      await rig.runTo(ist(2026, 1, 7, 11, 0));
      expect(rig.status()).toMatchObject({ state: 'valid', counters: { validations: 8 }, lastValidation: { at: ist(2026, 1, 7, 10, 55), valid: true } });
      const probes = rig.fake.calls.filter((c) => c.path === '/user/profile');
      expect(probes).toHaveLength(8);
      expect(rig.probes).toEqual(every15(ist(2026, 1, 7, 9, 10), ist(2026, 1, 7, 10, 55)));
      const token = await rig.manager.getAccessToken('kite-main');
      expect(probes.every((c) => c.method === 'GET' && c.headers.authorization === `token ${rig.kite.apiKey}:${token}`)).toBe(true);

      // 11:02: the user logs out of Kite web, which kills every API session too.
      await rig.runTo(ist(2026, 1, 7, 11, 2));
      expect(rig.fake.masterLogout()).toBe(1);
      await rig.runTo(ist(2026, 1, 7, 11, 10));
      expect(rig.status()).toMatchObject({ state: 'login_required', tokenValid: false, lastValidation: { at: ist(2026, 1, 7, 11, 10), valid: false } });
      expect(seen(rig.sink.alerts).slice(1)).toEqual([{ kind: 'login_required', severity: 'critical', at: ist(2026, 1, 7, 11, 10), url: LOGIN_LINK, deadline: undefined }]);
      expect(rig.sink.alerts[1]!.message).toContain('master logout on Kite web');
      await expect(rig.manager.getAccessToken('kite-main')).rejects.toMatchObject({ code: 'LOGIN_REQUIRED' });

      // The one-tap link leads to a fresh login; consumers get the new token at once.
      await rig.runTo(ist(2026, 1, 7, 11, 20));
      await login(rig);
      const fresh = await rig.manager.getAccessToken('kite-main');
      expect(fresh).not.toBe(token);
      await rig.runTo(ist(2026, 1, 7, 11, 40));
      expect(rig.status()).toMatchObject({ state: 'valid', expiresAt: ist(2026, 1, 8, 6, 0), lastValidation: { at: ist(2026, 1, 7, 11, 40), valid: true } });
      // The login after the logout is a recovery (the first one, at 08:55, was not).
      expect(rig.sink.alerts.map((a) => [a.kind, a.createdAt])).toEqual([
        ['deadline', ist(2026, 1, 7, 8, 55)],
        ['login_required', ist(2026, 1, 7, 11, 10)],
        ['refresh_recovered', ist(2026, 1, 7, 11, 20)],
      ]);
    } finally {
      await rig.close();
    }
  });

  it("a probe that fails (5xx, connection reset, 429) keeps the account's timers: probing goes on every 15 min and the next morning's reminders still come", async () => {
    // Added at 10:00, after the pre-open: the next deadline is tomorrow's, so nobody is paged now.
    const rig = await startEngineRig({ start: ist(2026, 1, 7, 10, 0) });
    try {
      expect(rig.status()).toMatchObject({ state: 'login_required', humanDeadline: { at: ist(2026, 1, 8, 9, 0), reason: 'daily-login' } });
      expect(rig.sink.alerts).toEqual([]);
      await login(rig);
      rig.fake.fault('server-error');
      rig.fake.fault('reset');
      rig.fake.fault('rate-limit', { retryAfterSeconds: 60 });
      await rig.runTo(ist(2026, 1, 7, 11, 0));
      // 10:15 got a 500, 10:30 a reset and 10:45 a 429; all three threw, and the schedule went on regardless.
      expect(rig.probes).toEqual(every15(ist(2026, 1, 7, 10, 15), ist(2026, 1, 7, 11, 0)));
      expect(rig.status()).toMatchObject({ state: 'valid', tokenValid: true, counters: { validations: 1 }, lastValidation: { at: ist(2026, 1, 7, 11, 0), valid: true } });
      // A probe that could not tell is no verdict on the session: no alert.
      expect(rig.sink.alerts).toEqual([]);

      await rig.runTo(ist(2026, 1, 8, 8, 50));
      expect(rig.probes).toEqual(every15(ist(2026, 1, 7, 10, 15), ist(2026, 1, 8, 5, 45)));
      expect(rig.status()).toMatchObject({ state: 'login_required', counters: { validations: 76 } });
      expect(seen(rig.sink.alerts)).toEqual(ladder(ist(2026, 1, 8)));
    } finally {
      await rig.close();
    }
  });

  it('nobody logs in: the deadline moves on to the next pre-open, so every trading day gets its reminders (weekend and NSE holiday silent)', async () => {
    // Thursday 22 Jan 2026 10:00 login. Friday nobody logs in; Monday 26 Jan is Republic Day (NSE closed).
    const rig = await startEngineRig({ start: ist(2026, 1, 22, 10, 0) });
    try {
      await login(rig);
      expect(rig.status()).toMatchObject({ state: 'valid', expiresAt: ist(2026, 1, 23, 6, 0), humanDeadline: { at: ist(2026, 1, 23, 9, 0) } });
      await rig.runTo(ist(2026, 1, 23, 8, 59));
      expect(seen(rig.sink.alerts)).toEqual(ladder(ist(2026, 1, 23)));

      // Friday's pre-open passes without a login: bots fail now, so one critical "expired" page at
      // 09:00; the next session to catch is Tuesday's.
      await rig.runTo(ist(2026, 1, 23, 9, 0));
      expect(rig.status()).toMatchObject({ state: 'login_required', tokenValid: false, humanDeadline: { at: ist(2026, 1, 27, 9, 0), reason: 'daily-login' } });
      const expired = { kind: 'expired', severity: 'critical', at: ist(2026, 1, 23, 9, 0), url: LOGIN_LINK, deadline: undefined };
      expect(seen(rig.sink.alerts)).toEqual([...ladder(ist(2026, 1, 23)), expired]);
      await rig.runTo(ist(2026, 1, 27, 7, 59));
      expect(rig.sink.alerts).toHaveLength(4);

      await rig.runTo(ist(2026, 1, 27, 8, 50));
      expect(seen(rig.sink.alerts)).toEqual([...ladder(ist(2026, 1, 23)), expired, ...ladder(ist(2026, 1, 27))]);
      expect(rig.sink.alerts.at(-1)!.title).toBe('kite-main (kite): log in before Tue 09:00 IST');
      await login(rig);
      expect(rig.status()).toMatchObject({ state: 'valid', expiresAt: ist(2026, 1, 28, 6, 0), humanDeadline: { at: ist(2026, 1, 28, 9, 0) } });
      await rig.runTo(ist(2026, 1, 27, 15, 30));
      expect(rig.sink.alerts).toHaveLength(7);
      // The probe rested from Friday 05:45 to Tuesday's login.
      expect(rig.probes.filter((t) => t > ist(2026, 1, 23, 5, 45) && t < ist(2026, 1, 27, 8, 50))).toEqual([]);
      expect(rig.probes.filter((t) => t >= ist(2026, 1, 27, 8, 50))).toEqual(every15(ist(2026, 1, 27, 8, 50), ist(2026, 1, 27, 15, 20)));
    } finally {
      await rig.close();
    }
  });

  it('without a market (so no pre-open deadline), a new account asks at once: one critical "log in to start" with the login link', async () => {
    const rig = await startEngineRig({ start: ist(2026, 1, 4, 20, 0), noMarket: true });
    try {
      expect(rig.status()).toMatchObject({ state: 'login_required', tokenValid: false, humanDeadline: { at: ist(2026, 1, 4, 20, 0), reason: 'login-required' } });
      expect(seen(rig.sink.alerts)).toEqual([{ kind: 'login_required', severity: 'critical', at: ist(2026, 1, 4, 20, 0), url: LOGIN_LINK, deadline: undefined }]);
      expect(rig.sink.alerts[0]!.title).toBe('kite-main (kite): log in to start');
      // Once: no repeats and no reminders while nobody logs in.
      await rig.runTo(ist(2026, 1, 5, 8, 50));
      expect(rig.sink.alerts).toHaveLength(1);
      await login(rig);
      expect(rig.status()).toMatchObject({ state: 'valid', expiresAt: ist(2026, 1, 6, 6, 0) });
      await rig.runTo(ist(2026, 1, 5, 15, 30));
      expect(rig.sink.alerts).toHaveLength(1);
    } finally {
      await rig.close();
    }
  });

  it('an app approved for refresh tokens asks once for its first login ("log in to start"), then renews unattended right after 06:00 IST, with no reminders', async () => {
    const rig = await startEngineRig({ start: ist(2026, 1, 5, 8, 55), approvedApp: true });
    try {
      expect(rig.kite.capabilities.renewal).toBe('refresh-token');
      // No session yet and no refresh token to start one with: a human is needed now.
      expect(rig.status()).toMatchObject({ state: 'login_required', tokenValid: false, humanDeadline: { at: ist(2026, 1, 5, 8, 55), reason: 'login-required' } });
      expect(seen(rig.sink.alerts)).toEqual([{ kind: 'login_required', severity: 'critical', at: ist(2026, 1, 5, 8, 55), url: LOGIN_LINK, deadline: undefined }]);
      expect(rig.sink.alerts[0]!.title).toBe('kite-main (kite): log in to start');
      await login(rig);
      const first = await rig.manager.getAccessToken('kite-main');
      expect(rig.status()).toMatchObject({ state: 'valid', expiresAt: ist(2026, 1, 6, 6, 0) });
      await rig.runTo(ist(2026, 1, 6, 6, 15));
      const renewals = rig.fake.calls.filter((c) => c.path === '/session/refresh_token');
      expect(renewals).toHaveLength(1);
      expect(rig.status()).toMatchObject({ state: 'valid', version: 2, expiresAt: ist(2026, 1, 7, 6, 0), lastRefresh: { ok: true } });
      // Renewed inside the 06:05–08:45 IST window (random 0.5 → 2.5 min after its start).
      expect(rig.status().lastRefresh!.at).toBe(ist(2026, 1, 6, 6, 7) + 30_000);
      expect(await rig.manager.getAccessToken('kite-main')).not.toBe(first);
      // The dead session was not probed between 06:00 and the renewal; the new one is.
      expect(rig.probes.filter((t) => t >= ist(2026, 1, 6, 5, 55))).toEqual([ist(2026, 1, 6, 5, 55), ist(2026, 1, 6, 6, 10)]);
      await rig.runTo(ist(2026, 1, 6, 9, 30));
      // Nothing after the first login: it was no recovery, and renewals are silent.
      expect(rig.sink.alerts).toHaveLength(1);
    } finally {
      await rig.close();
    }
  });
});
