import { afterEach, describe, expect, it } from 'vitest';
import { Secret } from '@tokens/core';
import { ACCOUNT, callsTo, consentSettings, engineHarness, totpSettings, type EngineHarness } from './engine-harness';
import { DAY, HOUR, START } from './helpers';

// A simulated week per mode: the real engine (createTokenManager) with a memory store, the fake
// clock and a memory alert sink, against the fake over loopback, with Dhan's default policy.

const WEEK = 7 * DAY;
let h: EngineHarness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

/** The token the engine hands out is the one the fake accepts, at this very instant. */
async function expectServing(x: EngineHarness): Promise<string> {
  const status = x.manager.status(ACCOUNT);
  expect(status.tokenValid, `token valid at ${new Date(x.clock.now()).toISOString()}`).toBe(true);
  const token = await x.manager.getAccessToken(ACCOUNT);
  expect(x.fake.isTokenValid(token), `the fake accepts the served token at ${new Date(x.clock.now()).toISOString()}`).toBe(true);
  return token;
}

describe('a simulated week', () => {
  it('mode totp: re-mints every 18 h (6 h before the 24 h lapse), probes hourly, never serves an invalid token, sends no alert', async () => {
    h = await engineHarness({ start: START, settings: totpSettings });
    await h.add();
    expect(h.manager.status(ACCOUNT).state).toBe('valid');
    let checks = 0;
    await h.runUntil(START + WEEK, async () => {
      await expectServing(h!);
      checks++;
    });

    const mints = callsTo(h.calls, '/auth/app/generateAccessToken');
    // Startup, then every 18 h: 0, 18, …, 162 h.
    expect(mints.map((c) => (c.at - START) / HOUR)).toEqual([0, 18, 36, 54, 72, 90, 108, 126, 144, 162]);
    for (const m of mints) {
      expect(m.method).toBe('POST');
      expect(Object.keys(m.query).sort()).toEqual(['dhanClientId', 'pin', 'totp']);
      expect(m.rawBody).toBe('');
    }
    const probes = callsTo(h.calls, '/v2/profile');
    expect(probes.length).toBe(168);
    expect(probes.every((p, i) => p.at === START + (i + 1) * HOUR)).toBe(true);
    expect(h.calls.length).toBe(mints.length + probes.length);
    expect(checks).toBeGreaterThan(300);
    expect(h.alerts.alerts).toEqual([]);
    expect(h.manager.status(ACCOUNT)).toMatchObject({ state: 'valid', version: 10, counters: { refreshes: 10, failures: 0, validations: 168 } });
  });

  it('mode renew: adopts the Dhan Web token, renews it every 18 h with RenewToken (the old one dies), no gap, no alert', async () => {
    let webToken = '';
    h = await engineHarness({
      start: START - 2 * HOUR,
      settings: { mode: 'renew' },
      // A human generated the token on Dhan Web two hours before the service starts.
      beforeAdd: async ({ clock, fake }) => {
        webToken = fake.issueToken({ source: 'web' }).accessToken;
        await clock.advance(2 * HOUR);
        return { accessToken: new Secret(webToken) };
      },
    });
    await h.add();
    // Adopted as is (profile probe), not renewed at startup.
    expect(h.calls.map((c) => `${c.method} ${c.path}`)).toEqual(['GET /v2/profile']);
    expect(await expectServing(h)).toBe(webToken);

    const served: string[] = [webToken];
    await h.runUntil(START + WEEK, async () => {
      const token = await expectServing(h!);
      if (token !== served.at(-1)) served.push(token);
    });

    const renewals = callsTo(h.calls, '/v2/RenewToken');
    // The web token was issued at START - 2 h, so the chain renews at 16, 34, …, 160 h.
    expect(renewals.map((c) => (c.at - START) / HOUR)).toEqual([16, 34, 52, 70, 88, 106, 124, 142, 160]);
    renewals.forEach((r, i) => {
      expect(r.method).toBe('GET');
      // Each renewal presents the token in use at that moment; afterwards Dhan rejects it.
      expect(r.headers['access-token']).toBe(served[i]);
      expect(r.headers.dhanclientid).toBe('1000000401');
      expect(h!.fake.isTokenValid(served[i]!)).toBe(false);
    });
    expect(served.length).toBe(10);
    expect(callsTo(h.calls, '/auth/app/generateAccessToken')).toEqual([]);
    expect(h.alerts.alerts).toEqual([]);
    expect(h.manager.status(ACCOUNT)).toMatchObject({ state: 'valid', counters: { refreshes: 10, failures: 0 } });
  });

  it('mode consent: a human logs in when warned; deadline alerts every day; the day nobody logs in ends in login_required', async () => {
    h = await engineHarness({ start: START, settings: consentSettings });
    await h.add();
    expect(h.manager.status(ACCOUNT).state).toBe('login_required');

    const x = h;
    const logins: number[] = [];
    const login = async () => {
      const url = await x.manager.authorizeUrl(ACCOUNT, { state: `s-${logins.length}` });
      const redirected = await x.fake.browserLogin(url);
      await x.manager.completeLogin(ACCOUNT, { pasted: redirected });
      await x.idle();
      logins.push(x.clock.now());
    };
    await login();
    const lastDay = START + 5 * DAY;
    let handled = 0;
    let gaps = 0;
    await h.runUntil(START + WEEK, async () => {
      const fresh = x.alerts.alerts.slice(handled);
      handled = x.alerts.alerts.length;
      // The human answers every 2-hour warning, except in the last days of the week.
      if (fresh.some((a) => a.kind === 'deadline' && a.severity === 'warning') && x.clock.now() < lastDay) await login();
      if (x.clock.now() < lastDay) await expectServing(x);
      else if (!x.manager.status(ACCOUNT).tokenValid) gaps++;
    });

    // Logged in at 0 h, then 2 h before each expiry: 22, 44, 66, 88, 110 h.
    expect(logins.map((t) => (t - START) / HOUR)).toEqual([0, 22, 44, 66, 88, 110]);
    const deadline = x.alerts.alerts.filter((a) => a.kind === 'deadline');
    // Per login: info right away (24 h before), warning 2 h before; the unanswered last day adds the 15-minute critical.
    expect(deadline.map((a) => [a.severity, (a.createdAt - START) / HOUR, (a.deadline! - START) / HOUR])).toEqual([
      ...logins.flatMap((t) => [
        ['info', (t - START) / HOUR, (t - START) / HOUR + 24],
        ['warning', (t - START) / HOUR + 22, (t - START) / HOUR + 24],
      ]),
      ['critical', 133.75, 134],
    ]);
    expect(deadline.every((a) => a.action?.url === `http://127.0.0.1:7800/login/${ACCOUNT}`)).toBe(true);
    const expired = x.alerts.alerts.filter((a) => a.kind === 'expired');
    expect(expired).toHaveLength(1);
    expect(expired[0]!.createdAt).toBe(START + 134 * HOUR);
    expect(gaps).toBeGreaterThan(0);
    expect(x.manager.status(ACCOUNT).state).toBe('login_required');
    // Every login is the full consent flow; no unattended renewal was ever tried.
    expect(callsTo(x.calls, '/auth/app/generate-consent')).toHaveLength(6);
    expect(callsTo(x.calls, '/auth/app/consumeApp-consent')).toHaveLength(6);
    expect(callsTo(x.calls, '/v2/RenewToken')).toEqual([]);
  });
});
