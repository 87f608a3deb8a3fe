import { describe, expect, it } from 'vitest';
import { createTokenManager } from '../src/engine';
import { createMemoryTokenStore } from '../src/stores/memory-store';
import { createMemoryLock } from '../src/locks/memory-lock';
import { BrokerApiError, TokensError } from '../src/errors';
import { createFakeClock, createMockBrokerAdapter } from '../src/testing';
import { deferred, MIN, tokenSet } from './helpers/engine';

describe('single flight', () => {
  it('10,000 concurrent getAccessToken calls on an expired token cause exactly one doRefresh', async () => {
    const clock = createFakeClock();
    const store = createMemoryTokenStore({ clock });
    const expired = tokenSet(clock.now() - 60 * MIN, 30 * MIN);
    await store.put('acct', { broker: 'mock', tokenSet: expired }, { expectedVersion: 0 });
    const gate = deferred<void>();
    const fresh = tokenSet(clock.now());
    const adapter = createMockBrokerAdapter({
      doRefresh: async () => {
        await gate.promise;
        return fresh;
      },
    });
    const manager = createTokenManager({ store, clock, random: () => 0.5 });
    await manager.addAccount({ id: 'acct', adapter });
    const calls = Array.from({ length: 10_000 }, () => manager.getAccessToken('acct'));
    gate.resolve();
    const tokens = await Promise.all(calls);
    expect(adapter.doRefreshCalls).toHaveLength(1);
    expect(new Set(tokens)).toEqual(new Set([fresh.accessToken.reveal()]));
    expect((await store.get('acct'))?.version).toBe(2);
    await manager.stop();
  });

  it('does not cache a failure: after the backoff the next caller tries again', async () => {
    const clock = createFakeClock();
    const store = createMemoryTokenStore({ clock });
    const fresh = tokenSet(clock.now() + 10 * MIN);
    const adapter = createMockBrokerAdapter({
      capabilities: { renewal: 'relogin' },
      doRefresh: [new BrokerApiError({ broker: 'mock', message: 'boom', statusCode: 503 }), fresh],
    });
    const manager = createTokenManager({ store, clock, random: () => 0.5, backoff: { initialMs: 10_000 } });
    const failures: unknown[] = [];
    await manager.addAccount({ id: 'acct', adapter });
    await clock.flush();
    // The startup mint failed; callers inside the backoff get a retryable error, not a broker call.
    const err = await manager.getAccessToken('acct').catch((e) => e);
    failures.push(err);
    expect(TokensError.isInstance(err)).toBe(true);
    expect((err as TokensError).isRetryable).toBe(true);
    expect(adapter.doRefreshCalls).toHaveLength(1);
    expect(manager.status('acct').state).toBe('missing');
    await clock.advance(10 * MIN);
    expect(adapter.doRefreshCalls).toHaveLength(2);
    expect(await manager.getAccessToken('acct')).toBe(fresh.accessToken.reveal());
    expect(manager.status('acct').state).toBe('valid');
    await manager.stop();
  });

  it('two managers sharing a store and a lock make one broker call and end with the same token', async () => {
    const clock = createFakeClock();
    const store = createMemoryTokenStore({ clock });
    const lock = createMemoryLock({ clock });
    await store.put('acct', { broker: 'mock', tokenSet: tokenSet(clock.now() - 2 * 60 * MIN) }, { expectedVersion: 0 });
    let calls = 0;
    const make = () =>
      createMockBrokerAdapter({
        doRefresh: async () => {
          calls++;
          return tokenSet(clock.now());
        },
      });
    const a = createTokenManager({ store, lock, clock });
    const b = createTokenManager({ store, lock, clock });
    await a.addAccount({ id: 'acct', adapter: make() });
    await b.addAccount({ id: 'acct', adapter: make() });
    const [ta, tb] = await Promise.all([a.getAccessToken('acct'), b.getAccessToken('acct')]);
    expect(calls).toBe(1);
    expect(ta).toBe(tb);
    expect(b.status('acct').counters.adoptions + a.status('acct').counters.adoptions).toBe(1);
    await a.stop();
    await b.stop();
  });

  it('rejects a malformed token set from the adapter and stores nothing', async () => {
    const clock = createFakeClock();
    const store = createMemoryTokenStore({ clock });
    const bad = [
      { ...tokenSet(clock.now()), accessToken: '' },
      { ...tokenSet(clock.now()), expiresAt: clock.now() - 1 },
      { ...tokenSet(clock.now()), expiresAt: Number.NaN },
      { ...tokenSet(clock.now()), expiresAt: '2026-01-01' },
    ];
    for (const value of bad) {
      const adapter = createMockBrokerAdapter({ capabilities: { renewal: 'relogin' }, doRefresh: value as never });
      const manager = createTokenManager({ store, clock });
      await manager.addAccount({ id: 'acct', adapter });
      await clock.flush();
      const status = manager.status('acct');
      expect(status.lastError?.code).toBe('INVALID_TOKEN_SET');
      expect(await store.get('acct')).toBeUndefined();
      await manager.stop();
    }
  });

  it('rejects invalid account ids with a clear error', async () => {
    const manager = createTokenManager({ store: createMemoryTokenStore(), clock: createFakeClock() });
    const adapter = createMockBrokerAdapter();
    for (const id of ['', '../x', 'a/b', 'x'.repeat(129), 'has space']) {
      const err = await manager.addAccount({ id, adapter }).catch((e) => e);
      expect(err.code).toBe('INVALID_ACCOUNT_ID');
      expect(err.message).toMatch(/Account id/);
    }
    await expect(manager.getAccessToken('nope')).rejects.toMatchObject({ code: 'UNKNOWN_ACCOUNT' });
    await manager.stop();
  });
});

describe('leases', () => {
  it('keeps the lease alive while a slow broker call runs, so another process never refreshes at the same time', async () => {
    const clock = createFakeClock();
    const store = createMemoryTokenStore({ clock });
    const lock = createMemoryLock({ clock });
    await store.put('acct', { broker: 'mock', tokenSet: tokenSet(clock.now() - 2 * 60 * MIN) }, { expectedVersion: 0 });
    let calls = 0;
    const slow = createMockBrokerAdapter({
      doRefresh: () => {
        calls++;
        return new Promise((resolve) => clock.setTimeout(() => resolve(tokenSet(clock.now())), 5_000));
      },
    });
    const options = { store, lock, clock, lockTtlMs: 2_000, refreshTimeoutMs: 60_000 };
    const a = createTokenManager(options);
    const b = createTokenManager(options);
    await a.addAccount({ id: 'acct', adapter: slow });
    await b.addAccount({ id: 'acct', adapter: slow });
    const both = Promise.all([a.getAccessToken('acct'), b.getAccessToken('acct')]);
    await clock.advance(6_000);
    const [ta, tb] = await both;
    expect(calls).toBe(1);
    expect(ta).toBe(tb);
    await a.stop();
    await b.stop();
  });
});
