import { expect, it } from 'vitest';
import { createMarketCalendar, type AlertV1, type TokenChangeEvent } from '@tokens/core';
import { startEngineRig, LOGIN_LINK } from './engine-helpers';
import { DAY, HOUR, ist, MIN } from './helpers';

const calendar = createMarketCalendar();
const isoDay = (at: number) => new Date(at + 5.5 * HOUR).toISOString().slice(0, 10);

it('two simulated weeks: one reminder sequence per trading day, none on weekends or the NSE holiday; 08:55 logins last until 06:00 the next day; an early logout is caught by the probe', async () => {
  // Friday 16 Jan 2026 to Sunday 1 Feb 2026 (Monday 26 Jan is Republic Day, an NSE holiday).
  // The engine probes the session (GET /user/profile) every hour while it lives, never once it died.
  const rig = await startEngineRig({ start: ist(2026, 1, 16, 8, 50), validateEveryMs: HOUR });
  const changes: TokenChangeEvent[] = [];
  rig.manager.on('change', (e) => changes.push(e));
  const ways = ['url', 'token', 'callback'] as const;
  let logins = 0;

  async function humanLogsIn(): Promise<string> {
    const redirected = await rig.browserLogin();
    const way = ways[logins++ % ways.length]!;
    const before = changes.length;
    if (way === 'url') await rig.manager.completeLogin('kite-main', { pasted: redirected });
    else if (way === 'token') await rig.manager.completeLogin('kite-main', { pasted: new URL(redirected).searchParams.get('request_token')! });
    else await rig.manager.completeLogin('kite-main', { callbackParams: Object.fromEntries(new URL(redirected).searchParams) });
    // Published to consumers at once, with the session the fake minted.
    expect(changes.length).toBe(before + 1);
    const token = await rig.manager.getAccessToken('kite-main');
    expect(token).toBe(rig.fake.sessions().at(-1)!.accessToken);
    return token;
  }

  try {
    // Added without a session 10 minutes before Friday's pre-open: one critical reminder at once.
    expect(rig.sink.alerts.map((a) => [a.kind, a.severity, a.createdAt, a.deadline])).toEqual([['deadline', 'critical', ist(2026, 1, 16, 8, 50), ist(2026, 1, 16, 9, 0)]]);
    await rig.runTo(ist(2026, 1, 16, 8, 55));
    await humanLogsIn();
    expect(rig.status()).toMatchObject({ state: 'valid', expiresAt: ist(2026, 1, 17, 6, 0) });

    const tradingDays: string[] = [];
    const quietDays: string[] = [];
    for (let day = ist(2026, 1, 17); day <= ist(2026, 2, 1); day += DAY) {
      const name = isoDay(day);
      const alertsBefore = rig.sink.alerts.length;
      await rig.runTo(day + 6 * HOUR - MIN);
      if (rig.status().expiresAt === day + 6 * HOUR) expect(rig.status().state, `${name} 05:59`).toBe('valid');
      await rig.runTo(day + 6 * HOUR);
      expect(rig.status()).toMatchObject({ state: 'login_required', tokenValid: false });
      const probesAtDeath = rig.probes.length;

      if (!calendar.isTradingDay('NSE', day)) {
        await rig.runTo(day + DAY - MIN);
        expect(rig.sink.alerts.slice(alertsBefore), `no alerts on ${name}`).toEqual([]);
        expect(rig.probes.length, `no probe of a dead session on ${name}`).toBe(probesAtDeath);
        quietDays.push(name);
        continue;
      }
      tradingDays.push(name);
      await rig.runTo(day + 8 * HOUR + 55 * MIN);
      expect(rig.probes.length, `no probe of a dead session on ${name} before the login`).toBe(probesAtDeath);
      const preOpen = day + 9 * HOUR;
      const sent = rig.sink.alerts.slice(alertsBefore).map((a: AlertV1) => [a.kind, a.severity, (a.createdAt - day) / MIN, a.action?.url, a.deadline]);
      expect(sent, `reminders on ${name}`).toEqual([
        ['deadline', 'info', 8 * 60, LOGIN_LINK, preOpen],
        ['deadline', 'warning', 8 * 60 + 30, LOGIN_LINK, preOpen],
        ['deadline', 'critical', 8 * 60 + 45, LOGIN_LINK, preOpen],
      ]);
      const token = await humanLogsIn();
      expect(rig.status(), name).toMatchObject({ state: 'valid', expiresAt: day + DAY + 6 * HOUR, humanDeadline: { reason: 'daily-login' } });

      if (name === '2026-01-21') {
        // Wednesday 13:10: the user logs out of Kite web; the next hourly probe (13:55) notices.
        await rig.runTo(day + 13 * HOUR + 10 * MIN);
        rig.fake.masterLogout();
        await rig.runTo(day + 13 * HOUR + 55 * MIN);
        expect(rig.status()).toMatchObject({ state: 'login_required', lastValidation: { at: day + 13 * HOUR + 55 * MIN, valid: false } });
        expect(rig.sink.alerts.at(-1)).toMatchObject({ kind: 'login_required', severity: 'critical', createdAt: day + 13 * HOUR + 55 * MIN, action: { url: LOGIN_LINK } });
        await rig.runTo(day + 14 * HOUR + 5 * MIN);
        expect(await humanLogsIn()).not.toBe(token);
        expect(rig.status()).toMatchObject({ state: 'valid', expiresAt: day + DAY + 6 * HOUR });
        // The login after the logout is a recovery.
        expect(rig.sink.alerts.at(-1)).toMatchObject({ kind: 'refresh_recovered', severity: 'info', createdAt: day + 14 * HOUR + 5 * MIN });
      }
      await rig.runTo(day + DAY - MIN);
      expect(rig.status().state, `${name} evening`).toBe('valid');
    }

    expect(tradingDays).toEqual(['2026-01-19', '2026-01-20', '2026-01-21', '2026-01-22', '2026-01-23', '2026-01-27', '2026-01-28', '2026-01-29', '2026-01-30']);
    expect(quietDays).toEqual(['2026-01-17', '2026-01-18', '2026-01-24', '2026-01-25', '2026-01-26', '2026-01-31', '2026-02-01']);
    // 3 reminders on each of the 9 trading days, plus Friday the 16th's one before the first login.
    const kinds = rig.sink.alerts.map((a) => a.kind);
    expect(kinds.filter((k) => k === 'deadline')).toHaveLength(1 + 27);
    expect(kinds.filter((k) => k === 'login_required')).toHaveLength(1);
    // The one recovery is the login after Wednesday's logout; the first login was none.
    expect(kinds.filter((k) => k !== 'deadline' && k !== 'login_required')).toEqual(['refresh_recovered']);
    // From each trading day's pre-open to the next 06:00 rollover: one probe an hour (xx:55, from
    // the 08:55 logins), the last at 05:55.
    for (const name of tradingDays) {
      const day = ist(2026, Number(name.slice(5, 7)), Number(name.slice(8, 10)));
      const probes = rig.probes.filter((t) => t >= day + 9 * HOUR && t < day + DAY + 6 * HOUR);
      expect(probes, `probes from ${name} 09:00`).toEqual(Array.from({ length: 21 }, (_, i) => day + 9 * HOUR + 55 * MIN + i * HOUR));
    }
    expect(changes).toHaveLength(11);
    expect(rig.fake.calls.filter((c) => c.path === '/session/token' && c.method === 'POST')).toHaveLength(11);
    expect(rig.fake.calls.filter((c) => c.path === '/session/refresh_token')).toEqual([]);
  } finally {
    await rig.close();
  }
});
