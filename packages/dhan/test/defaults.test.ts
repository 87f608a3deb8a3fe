import { afterEach, describe, expect, it } from 'vitest';
import { DHAN_DEFAULTS, isDhanAuthError } from '../src';
import { ACCOUNT, callsTo, engineHarness, totpSettings, type EngineHarness } from './engine-harness';
import { HOUR, START } from './helpers';

// Issue item 4: the hand-made setup's policy (hourly check, renew when < 6 h of 24 remain, alert
// on failure, keep the current token while valid) is the adapter's default, applied by the engine.

let h: EngineHarness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

describe("Dhan's default policy, applied by the engine", () => {
  it('declares ratio 0.75 without jitter and an hourly probe', async () => {
    h = await engineHarness({ start: START, settings: totpSettings });
    await h.add();
    expect(h.adapter.defaults).toEqual({ refreshAhead: { ratio: 0.75, jitter: 0 }, validateEveryMs: 3_600_000 });
    expect(DHAN_DEFAULTS).toBe(h.adapter.defaults);
  });

  it('without account overrides: next renewal when 6 h remain, probes every hour', async () => {
    h = await engineHarness({ start: START, settings: totpSettings });
    await h.add();
    expect(h.manager.status(ACCOUNT)).toMatchObject({ state: 'valid', expiresAt: START + 24 * HOUR, nextRefreshAt: START + 18 * HOUR });
    await h.runUntil(START + 5 * HOUR);
    expect(callsTo(h.calls, '/v2/profile').map((c) => (c.at - START) / HOUR)).toEqual([1, 2, 3, 4, 5]);
    expect(h.manager.status(ACCOUNT).lastValidation).toEqual({ at: START + 5 * HOUR, valid: true });
  });

  it("an account's own refreshAhead and validateEveryMs override the defaults", async () => {
    h = await engineHarness({ start: START, settings: totpSettings });
    await h.add({ refreshAhead: { ratio: 0.5 }, validateEveryMs: 30 * 60_000 });
    // ratio from the account, jitter still Dhan's 0.
    expect(h.manager.status(ACCOUNT).nextRefreshAt).toBe(START + 12 * HOUR);
    await h.runUntil(START + 2 * HOUR);
    expect(callsTo(h.calls, '/v2/profile').map((c) => (c.at - START) / HOUR)).toEqual([0.5, 1, 1.5, 2]);
    await h.runUntil(START + 12 * HOUR);
    expect(callsTo(h.calls, '/auth/app/generateAccessToken').map((c) => (c.at - START) / HOUR)).toEqual([0, 12]);
  });

  it('the hourly probe notices a token killed elsewhere (a login on another device) and re-mints at once', async () => {
    h = await engineHarness({ start: START, settings: totpSettings });
    await h.add();
    await h.runUntil(START + 3 * HOUR + 10 * 60_000);
    const killed = await h.manager.getAccessToken(ACCOUNT);
    h.fake.issueToken({ source: 'web' }); // one active token per client: ours dies
    expect(h.fake.isTokenValid(killed)).toBe(false);
    await h.runUntil(START + 4 * HOUR);
    const fresh = await h.manager.getAccessToken(ACCOUNT);
    expect(fresh).not.toBe(killed);
    expect(h.fake.isTokenValid(fresh)).toBe(true);
    expect(callsTo(h.calls, '/auth/app/generateAccessToken').map((c) => (c.at - START) / HOUR)).toEqual([0, 4]);
    expect(h.manager.status(ACCOUNT)).toMatchObject({ state: 'valid', nextRefreshAt: START + 22 * HOUR });
  });

  it('withToken + isDhanAuthError: a bot call answered DH-901 re-mints once and retries once', async () => {
    h = await engineHarness({ start: START, settings: totpSettings });
    await h.add();
    const first = await h.manager.getAccessToken(ACCOUNT);
    h.fake.issueToken({ source: 'web' });
    const seen: string[] = [];
    const x = h;
    const result = await x.manager.withToken(
      ACCOUNT,
      async (token) => {
        seen.push(token);
        // What a bot's own Dhan call gets back with a dead token.
        if (!x.fake.isTokenValid(token)) throw { status: 'failed', data: { '807': 'Access token is expired' } };
        return 'order placed';
      },
      { isAuthError: isDhanAuthError },
    );
    expect(result).toBe('order placed');
    expect(seen[0]).toBe(first);
    expect(seen).toHaveLength(2);
    expect(x.fake.isTokenValid(seen[1]!)).toBe(true);
  });
});
