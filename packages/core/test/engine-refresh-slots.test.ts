import { describe, expect, it } from 'vitest';
import { createTokenManager } from '../src/engine';
import { createMemoryTokenStore } from '../src/stores/memory-store';
import { InvalidConfigError } from '../src/errors';
import { createFakeClock, createMockBrokerAdapter } from '../src/testing';
import { deferred, MIN, tokenSet } from './helpers/engine';
import type { TokenSetV1 } from '../src/contracts/token-set';

/** Six accounts whose tokens all expired while the process was down, one shared gated broker. */
async function rollover(maxConcurrentRefreshes: number) {
  const clock = createFakeClock();
  const store = createMemoryTokenStore({ clock });
  const calls: { accountId: string; done: ReturnType<typeof deferred<TokenSetV1>> }[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const adapter = createMockBrokerAdapter({
    doRefresh: async ({ accountId }) => {
      const done = deferred<TokenSetV1>();
      calls.push({ accountId, done });
      maxInFlight = Math.max(maxInFlight, ++inFlight);
      try {
        return await done.promise;
      } finally {
        inFlight--;
      }
    },
  });
  const manager = createTokenManager({ store, clock, random: () => 0.5, maxConcurrentRefreshes });
  const ids = Array.from({ length: 6 }, (_, i) => `acct-${i}`);
  for (const id of ids) {
    await store.put(id, { broker: 'mock', tokenSet: tokenSet(clock.now() - 2 * 60 * MIN) }, { expectedVersion: 0 });
    await manager.addAccount({ id, adapter });
  }
  await clock.flush();
  const answer = async (i: number) => {
    calls[i]!.done.resolve(tokenSet(clock.now()));
    await clock.flush();
  };
  return { clock, manager, calls, ids, answer, maxInFlight: () => maxInFlight };
}

describe('refresh slots (maxConcurrentRefreshes)', () => {
  it('never has more broker calls in flight than the limit, and every account still gets refreshed', async () => {
    const { manager, calls, ids, answer, maxInFlight } = await rollover(2);
    expect(calls.map((c) => c.accountId)).toEqual(['acct-0', 'acct-1']);
    expect(manager.refreshQueue()).toEqual({ active: 2, queued: 4, limit: 2 });
    for (let i = 0; i < ids.length; i++) await answer(i);
    expect(maxInFlight()).toBe(2);
    expect(calls.map((c) => c.accountId).sort()).toEqual(ids);
    expect(manager.statusAll().map((s) => s.state)).toEqual(ids.map(() => 'valid'));
    expect(manager.refreshQueue()).toEqual({ active: 0, queued: 0, limit: 2 });
    await manager.stop();
  });

  it('a bot waiting on a queued account goes ahead of scheduled refreshes', async () => {
    const { manager, calls, answer } = await rollover(2);
    // acct-5's startup refresh is queued behind acct-2..4; a caller now needs its token.
    const wanted = manager.getAccessToken('acct-5');
    await answer(0);
    expect(calls.map((c) => c.accountId)).toEqual(['acct-0', 'acct-1', 'acct-5']);
    await answer(2);
    expect(await wanted).toMatch(/^access-/);
    expect(manager.status('acct-5').state).toBe('valid');
    await answer(1);
    expect(calls.map((c) => c.accountId).slice(3)).toEqual(['acct-2', 'acct-3']);
    await manager.stop();
  });

  it('stopping the manager drops queued refreshes without calling the broker', async () => {
    const { manager, calls, answer } = await rollover(1);
    expect(calls).toHaveLength(1);
    await manager.stop();
    await answer(0);
    expect(calls).toHaveLength(1);
  });

  it('rejects a limit that is not a whole number of at least 1, naming the option', () => {
    for (const bad of [0, -1, 1.5, Number.NaN]) {
      const error = (() => {
        try {
          createTokenManager({ store: createMemoryTokenStore(), maxConcurrentRefreshes: bad });
        } catch (e) {
          return e;
        }
      })();
      expect(InvalidConfigError.isInstance(error)).toBe(true);
      expect((error as Error).message).toContain('maxConcurrentRefreshes');
    }
  });
});
