import { afterEach, describe, expect, it } from 'vitest';
import { Secret } from '@tokens/core';
import { ACCOUNT, callsTo, engineHarness, type EngineHarness } from './engine-harness';
import { HOUR, START } from './helpers';

// Mode renew can only renew a token that is still alive. When Dhan is unreachable for longer
// than the token's remaining life, the chain breaks: the engine must end in login_required with
// one critical alert, stop calling Dhan, and keep serving the old token until it dies.

let h: EngineHarness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

let firstWebToken = '';
async function renewHarness(): Promise<EngineHarness> {
  return engineHarness({
    start: START,
    settings: { mode: 'renew' },
    beforeAdd: ({ fake }) => {
      firstWebToken = fake.issueToken({ source: 'web' }).accessToken;
      return { accessToken: new Secret(firstWebToken) };
    },
  });
}

const TOKEN_DIES = START + 24 * HOUR;

async function expectBrokenChain(x: EngineHarness, outageEnd: number): Promise<void> {
  const renewals = callsTo(x.calls, '/v2/RenewToken');
  expect(renewals.length).toBeGreaterThan(3);
  // Backoff, not a storm: a few per hour at most, and none once the token is dead.
  expect(renewals.length).toBeLessThan(200);
  expect(renewals.every((r) => r.at >= START + 18 * HOUR && r.at < TOKEN_DIES)).toBe(true);
  for (let hour = 18; hour < 24; hour++) {
    expect(renewals.filter((r) => r.at >= START + hour * HOUR && r.at < START + (hour + 1) * HOUR).length).toBeLessThanOrEqual(40);
  }
  expect(x.calls.filter((c) => c.at > TOKEN_DIES && c.path === '/v2/RenewToken')).toEqual([]);
  const status = x.manager.status(ACCOUNT);
  expect(status.state).toBe('login_required');
  expect(status.lastError).toMatchObject({ code: 'LOGIN_REQUIRED', needsHuman: true, isRetryable: false });
  const kinds = x.alerts.alerts.map((a) => `${a.kind}:${a.severity}`);
  // One warning while the old token still works; a critical as soon as only a human can help,
  // repeated no more often than the 6 h alert dedup window while nobody acts.
  expect(kinds.filter((k) => k === 'refresh_failed:warning')).toHaveLength(1);
  const human = x.alerts.alerts.filter((a) => a.kind === 'login_required');
  expect(human[0]!.createdAt).toBeGreaterThanOrEqual(TOKEN_DIES);
  expect(human[0]!.createdAt).toBeLessThan(TOKEN_DIES + 60_000);
  expect(human.every((a, i) => i === 0 || a.createdAt - human[i - 1]!.createdAt >= 6 * HOUR)).toBe(true);
  expect(human[0]!.severity).toBe('critical');
  expect(human[0]!.message).toContain('web.dhan.co');
  const allowed = ['refresh_failed:warning', 'refresh_failed:critical', 'retries_exhausted:critical', 'login_required:critical', 'expired:critical'];
  expect(kinds.filter((k) => !allowed.includes(k))).toEqual([]);
  expect(outageEnd).toBeGreaterThan(TOKEN_DIES);
}

describe('mode renew: a missed renewal ends in login_required with an alert, not a retry storm', () => {
  it('RenewToken answers 5xx from 17 h to 30 h (probes still work): the old token is served until it dies, then login_required', async () => {
    h = await renewHarness();
    await h.add();
    const x = h;
    await x.runUntil(START + 17 * HOUR);
    x.fake.fault('server-error', { endpoint: 'RenewToken', times: Number.POSITIVE_INFINITY });
    await x.runUntil(START + 30 * HOUR, async () => {
      // Keeps serving the current token while it is valid (minus the engine's 10 s skew).
      if (x.clock.now() < TOKEN_DIES - 10_000) expect(await x.manager.getAccessToken(ACCOUNT)).toBe(firstWebToken);
    });
    x.fake.clearFaults();
    await x.runUntil(START + 48 * HOUR);
    expect(x.fake.isTokenValid(firstWebToken)).toBe(false);
    await expectBrokenChain(x, START + 30 * HOUR);
    expect(callsTo(x.calls, '/v2/RenewToken').every((r) => r.headers['access-token'] === firstWebToken)).toBe(true);

    // The human generates a new token on Dhan Web and updates the setting: the chain resumes.
    const fresh = x.fake.issueToken({ source: 'web' }).accessToken;
    await x.add({}, { accessToken: new Secret(fresh) });
    await x.runUntil(START + 49 * HOUR);
    expect(x.manager.status(ACCOUNT).state).toBe('valid');
    expect(await x.manager.getAccessToken(ACCOUNT)).toBe(fresh);
    const before = callsTo(x.calls, '/v2/RenewToken').length;
    await x.runUntil(START + 48 * HOUR + 18 * HOUR + 1);
    expect(callsTo(x.calls, '/v2/RenewToken').length).toBe(before + 1);
    expect(x.fake.isTokenValid(await x.manager.getAccessToken(ACCOUNT))).toBe(true);
  });

  it('Dhan unreachable (every connection reset) from 17 h to 30 h: same outcome', async () => {
    h = await renewHarness();
    // With the default hourly probes: they fail on the network too, and must not stall the renewal.
    await h.add();
    const x = h;
    await x.runUntil(START + 17 * HOUR);
    x.fake.fault('reset', { times: Number.POSITIVE_INFINITY });
    await x.runUntil(START + 30 * HOUR, async () => {
      if (x.clock.now() < TOKEN_DIES - 10_000) expect(await x.manager.getAccessToken(ACCOUNT)).toBe(firstWebToken);
    });
    x.fake.clearFaults();
    await x.runUntil(START + 48 * HOUR);
    await expectBrokenChain(x, START + 30 * HOUR);
    // The hourly probes kept running (and failing) through the outage without stalling the retries.
    expect(callsTo(x.calls, '/v2/profile').filter((c) => c.at > START + 17 * HOUR && c.at < TOKEN_DIES).length).toBeGreaterThanOrEqual(6);
    const failed = x.alerts.alerts.find((a) => a.kind === 'refresh_failed')!;
    expect(failed.message).toContain('NETWORK_ERROR');
  });
});
