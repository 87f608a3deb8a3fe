import { createMemoryTokenStore, createTokenManager, type AccountState, type LoggerV1 } from '@tokens/core';
import { createFakeClock, createMemoryAlertSink } from '@tokens/core/testing';
import { canaryCheck } from '@tokens/test-suite';
import { expect, it } from 'vitest';
import { APP_SECRET, rejected, START, startRig } from './support/harness';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const ID = 'schwab-main';

/** Deterministic jitter. */
function seeded(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

it('a simulated week: renewals every 20–25 min with no gap, escalation before the 7-day cliff, login_required without a retry storm, and a login restores valid', async () => {
  const clock = createFakeClock(START);
  const rig = await startRig({ clock });
  const { fake } = rig;
  const alerts = createMemoryAlertSink();
  const logs: string[] = [];
  const log = (level: string) => (obj: object, msg?: string) => void logs.push(JSON.stringify({ level, msg, ...obj }));
  const logger: LoggerV1 = { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
  const manager = createTokenManager({
    store: createMemoryTokenStore({ clock }),
    clock,
    alerts: [alerts],
    logger,
    random: seeded(42),
    loginLink: (id) => `https://tokens.example/login/${id}`,
  });
  const renewals: number[] = [];
  const states: Array<{ at: number; to: AccountState }> = [];
  const logins = new Set<number>();
  // Every new token that no login minted is a renewal. (The event's source label depends on a race
  // between the store's watch and the engine's own publish, so it is not used here.)
  manager.on('change', () => {
    const issuedAt = manager.status(ID).issuedAt!;
    if (!logins.has(issuedAt)) renewals.push(issuedAt);
  });
  manager.on('state', (e) => states.push({ at: clock.now(), to: e.to }));

  // Real loopback HTTP needs real I/O time: wait for a refresh in flight to settle.
  const settled = async () => {
    for (let i = 0; i < 1000 && manager.status(ID).state === 'refreshing'; i++) await new Promise((r) => setTimeout(r, 2));
    expect(manager.status(ID).state).not.toBe('refreshing');
  };
  const login = async () => {
    logins.add(clock.now());
    const redirected = await fake.browserLogin(await manager.authorizeUrl(ID, { state: `st-${clock.now()}` }));
    return manager.completeLogin(ID, { callbackParams: Object.fromEntries(new URL(redirected).searchParams) });
  };

  try {
    // Day 0: the first browser login.
    expect((await manager.addAccount({ id: ID, adapter: rig.adapter })).state).toBe('login_required');
    const first = await login();
    expect(first.state).toBe('valid');
    const cliff = first.refreshExpiresAt!;
    expect(cliff).toBe(START + 7 * DAY);

    // Seven days in one-minute steps: the token is valid at every step.
    const gaps: number[] = [];
    while (clock.now() < cliff - MINUTE) {
      await clock.advance(MINUTE);
      await settled();
      const status = manager.status(ID);
      if (!status.tokenValid || status.state !== 'valid' || status.expiresAt! <= clock.now()) gaps.push(clock.now());
    }
    expect(gaps).toEqual([]);
    expect(await manager.getAccessToken(ID)).toMatch(/^I0\./);

    // Renewed every 20–25 minutes (22.5 ± 2.5), never later.
    const intervals = [START, ...renewals].slice(1).map((at, i) => at - [START, ...renewals][i]!);
    expect(renewals.length).toBeGreaterThan(7 * DAY / (25 * MINUTE));
    expect(Math.min(...intervals)).toBeGreaterThanOrEqual(20 * MINUTE);
    expect(Math.max(...intervals)).toBeLessThanOrEqual(25 * MINUTE);
    expect(fake.tokenRequests('refresh_token')).toHaveLength(renewals.length);

    // The human was warned at T−24 h (info), T−2 h (warning) and T−15 min (critical), each once, with the login link.
    const deadline = alerts.alerts.filter((a) => a.kind === 'deadline');
    expect(deadline.map((a) => [a.severity, cliff - a.createdAt, a.deadline, a.action?.url])).toEqual([
      ['info', 24 * HOUR, cliff, 'https://tokens.example/login/schwab-main'],
      ['warning', 2 * HOUR, cliff, 'https://tokens.example/login/schwab-main'],
      ['critical', 15 * MINUTE, cliff, 'https://tokens.example/login/schwab-main'],
    ]);
    // Before the first login the engine asked for one ("log in to start"); nothing else but the deadline ladder.
    expect(alerts.alerts.filter((a) => a.kind !== 'deadline').map((a) => [a.kind, a.severity, a.title])).toEqual([['login_required', 'critical', 'schwab-main (schwab): log in to start']]);

    // Past the cliff: one refused refresh, then login_required and silence towards Schwab.
    const refreshesBefore = fake.tokenRequests('refresh_token').length;
    const end = cliff + DAY;
    while (clock.now() < end) {
      await clock.advance(MINUTE);
      await settled();
      if (clock.now() > cliff + HOUR) {
        const error = await rejected(manager.getAccessToken(ID));
        expect(error.code).toBe('LOGIN_REQUIRED');
      }
    }
    const afterCliff = fake.tokenRequests('refresh_token').slice(refreshesBefore);
    expect(afterCliff).toHaveLength(1);
    const status = manager.status(ID);
    expect(status.state).toBe('login_required');
    expect(status.tokenValid).toBe(false);
    expect(status.lastError).toMatchObject({ code: 'LOGIN_REQUIRED', needsHuman: true, isRetryable: false });
    // The engine tries renewal once at the cliff itself: login_required at that moment.
    const refused = states.find((s) => s.to === 'login_required' && s.at >= cliff)!;
    expect(refused.at - cliff).toBe(0);
    // Two login requests in all: "log in to start" before the first login, and the one at the cliff.
    const critical = alerts.alerts.filter((a) => a.kind === 'login_required');
    expect(critical.map((a) => [a.createdAt, a.severity, a.title, a.action?.url])).toEqual([
      [START, 'critical', 'schwab-main (schwab): log in to start', 'https://tokens.example/login/schwab-main'],
      [cliff, 'critical', 'schwab-main (schwab): human login needed', 'https://tokens.example/login/schwab-main'],
    ]);
    expect(critical[1]!.message).toMatch(/7 days from the browser login/);

    // A completed login restores valid, with a new 7-day deadline, and renewals resume.
    const reloginAt = clock.now();
    const again = await login();
    expect(again.state).toBe('valid');
    expect(again.refreshExpiresAt).toBe(clock.now() + 7 * DAY);
    expect(again.humanDeadline).toEqual({ at: clock.now() + 7 * DAY, reason: 'refresh-token-expiry' });
    const renewalsBefore = renewals.length;
    for (let i = 0; i < 60; i++) {
      await clock.advance(MINUTE);
      await settled();
      expect(manager.status(ID).state).toBe('valid');
    }
    expect(renewals.length - renewalsBefore).toBeGreaterThanOrEqual(2);
    // The login after the cliff is a recovery; the very first login was not.
    expect(alerts.alerts.filter((a) => a.kind === 'refresh_recovered').map((a) => [a.createdAt, a.severity])).toEqual([[reloginAt, 'info']]);

    // Nothing secret reached a log line, an alert or a status.
    const outputs = [logs.join('\n'), alerts.alerts, manager.statusAll()];
    expect(canaryCheck([APP_SECRET, ...fake.issuedSecrets()], ...outputs)).toEqual([]);
  } finally {
    await manager.stop();
    await rig.close();
  }
}, 60_000);
