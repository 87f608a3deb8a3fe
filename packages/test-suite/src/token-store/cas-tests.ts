import { StoreConflictError, type TokenStoreV1 } from '@tokens/core';
import type { TestFunction } from '../types';
import { makeTokenSet, randomAccountId } from '../helpers';
import { errorName } from '../internal';
import {
  declares,
  suiteNow,
  expectConflict,
  put,
  rawSnapshot,
  withStore,
  type TokenStoreFactory,
  type TokenStoreSuiteOptions,
} from './options';

/** Compare-and-set on `version`: every rejected write leaves the record exactly as it was. */
export function tokenStoreCasTests(test: TestFunction, factory: TokenStoreFactory, options: TokenStoreSuiteOptions = {}): void {
  test('store.cas: put() with a stale expectedVersion throws StoreConflictError and writes nothing', ({ expect }) =>
    withStore(factory, options, async (store) => {
      const id = randomAccountId();
      await put(store, id, makeTokenSet(suiteNow()), 0);
      const current = makeTokenSet(suiteNow());
      await put(store, id, current, 1);
      const before = await rawSnapshot(options, store, id);
      const error = await expectConflict(expect, put(store, id, makeTokenSet(suiteNow()), 1), 'put() with a stale version');
      expect((error as StoreConflictError).accountId).toBe(id);
      const read = await store.get(id);
      expect(read?.version).toBe(2);
      expect(read?.tokenSet.accessToken.reveal()).toBe(current.accessToken.reveal());
      expect(await rawSnapshot(options, store, id), 'the raw record is unchanged').toBe(before);
    }));

  test('store.cas: put() with an expectedVersion ahead of the stored one throws StoreConflictError and writes nothing', ({ expect }) =>
    withStore(factory, options, async (store) => {
      const id = randomAccountId();
      const current = makeTokenSet(suiteNow());
      await put(store, id, current, 0);
      const before = await rawSnapshot(options, store, id);
      await expectConflict(expect, put(store, id, makeTokenSet(suiteNow()), 5), 'put() with a version from the future');
      const read = await store.get(id);
      expect(read?.version).toBe(1);
      expect(read?.tokenSet.accessToken.reveal()).toBe(current.accessToken.reveal());
      expect(await rawSnapshot(options, store, id)).toBe(before);
    }));

  test('store.cas: put() with expectedVersion 0 on an existing account throws StoreConflictError (creating twice)', ({ expect }) =>
    withStore(factory, options, async (store) => {
      const id = randomAccountId();
      const first = makeTokenSet(suiteNow());
      await put(store, id, first, 0);
      const before = await rawSnapshot(options, store, id);
      await expectConflict(expect, put(store, id, makeTokenSet(suiteNow()), 0), 'a second create');
      const read = await store.get(id);
      expect(read?.version).toBe(1);
      expect(read?.tokenSet.accessToken.reveal()).toBe(first.accessToken.reveal());
      expect(await rawSnapshot(options, store, id)).toBe(before);
    }));

  test('store.cas: put() with expectedVersion 1 on a missing account throws StoreConflictError and creates nothing', ({ expect }) =>
    withStore(factory, options, async (store) => {
      const id = randomAccountId();
      await expectConflict(expect, put(store, id, makeTokenSet(suiteNow()), 1), 'an update of a missing account');
      expect(await store.get(id)).toBeUndefined();
      expect(await store.list()).not.toContain(id);
      if (options.raw) expect(await rawSnapshot(options, store, id)).toBe('absent');
    }));

  test('store.cas: of five concurrent creates of the same account exactly one wins and the store holds the winner', ({ expect }) =>
    withStore(factory, options, async (store) => {
      const id = randomAccountId();
      const sets = Array.from({ length: 5 }, () => makeTokenSet(suiteNow()));
      const results = await Promise.allSettled(sets.map((s) => put(store, id, s, 0)));
      const won = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []));
      expect(won, 'exactly one create succeeds').toHaveLength(1);
      for (const r of results) {
        if (r.status === 'rejected') expect(StoreConflictError.isInstance(r.reason), 'the losers get StoreConflictError').toBe(true);
      }
      const read = await store.get(id);
      expect(read?.version).toBe(1);
      expect(read?.tokenSet.accessToken.reveal()).toBe(sets[won[0] ?? 0]?.accessToken.reveal());
    }));

  test('store.cas: of concurrent updates from the same version exactly one wins', ({ expect }) =>
    withStore(factory, options, async (store) => {
      const id = randomAccountId();
      await put(store, id, makeTokenSet(suiteNow()), 0);
      const sets = Array.from({ length: 5 }, () => makeTokenSet(suiteNow()));
      const results = await Promise.allSettled(sets.map((s) => put(store, id, s, 1)));
      const won = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []));
      expect(won).toHaveLength(1);
      const read = await store.get(id);
      expect(read?.version).toBe(2);
      expect(read?.tokenSet.accessToken.reveal()).toBe(sets[won[0] ?? 0]?.accessToken.reveal());
    }));

  test('store.cas: StoreConflictError is retryable and carries code STORE_CONFLICT', ({ expect }) =>
    withStore(factory, options, async (store) => {
      const id = randomAccountId();
      await put(store, id, makeTokenSet(suiteNow()), 0);
      const error = await expectConflict(expect, put(store, id, makeTokenSet(suiteNow()), 0), 'a second create');
      expect((error as StoreConflictError).isRetryable).toBe(true);
    }));
}

/**
 * Fencing tokens on `put`. With `capabilities.fencing` on (the default): a lower token is refused.
 * With `capabilities: { fencing: false }`: the store must declare `fencing: false` and accept any
 * token, since the engine passes one on every write.
 */
export function tokenStoreFencingTests(test: TestFunction, factory: TokenStoreFactory, options: TokenStoreSuiteOptions = {}): void {
  const fenced = <T>(fn: (store: TokenStoreV1) => Promise<T>) => withStore(factory, options, fn, ['fencing']);

  if (!declares(options, 'fencing')) {
    test('store.fencing: declares capabilities.fencing: false, as the suite was told', ({ expect }) =>
      // The declaration check fails first, with the full explanation; the assertion documents it.
      withStore(factory, options, async (store) => expect(store.capabilities.fencing).toBe(false), ['fencing']));

    test('store.fencing: without fencing, put() accepts a lower fencing token and still enforces expectedVersion', ({ expect }) =>
      fenced(async (store) => {
        const id = randomAccountId();
        await put(store, id, makeTokenSet(suiteNow()), 0, 5);
        const lower = makeTokenSet(suiteNow());
        const outcome = await put(store, id, lower, 1, 4).then(
          (record) => ({ record, error: undefined }),
          (error: unknown) => ({ record: undefined, error }),
        );
        expect(
          outcome.error,
          `put() with a lower fencing token was refused (${errorName(outcome.error)}): the store enforces fencing, ` +
            'so it should declare capabilities.fencing: true, and the suite should not be told `capabilities: { fencing: false }`',
        ).toBeUndefined();
        expect(outcome.record?.version).toBe(2);
        expect((await store.get(id))?.tokenSet.accessToken.reveal()).toBe(lower.accessToken.reveal());
        await expectConflict(expect, put(store, id, makeTokenSet(suiteNow()), 1, 99), 'put() with a stale version and a high fencing token');
        expect((await store.get(id))?.version).toBe(2);
      }));
    return;
  }

  test('store.fencing: put() with a fencing token lower than the highest accepted throws StoreConflictError and writes nothing', ({ expect }) =>
    fenced(async (store) => {
      const id = randomAccountId();
      const current = makeTokenSet(suiteNow());
      await put(store, id, current, 0, 5);
      const before = await rawSnapshot(options, store, id);
      await expectConflict(expect, put(store, id, makeTokenSet(suiteNow()), 1, 4), 'put() with a stale fencing token');
      const read = await store.get(id);
      expect(read?.version).toBe(1);
      expect(read?.fencingToken).toBe(5);
      expect(read?.tokenSet.accessToken.reveal()).toBe(current.accessToken.reveal());
      expect(await rawSnapshot(options, store, id)).toBe(before);
    }));

  test('store.fencing: put() with an equal or higher fencing token is accepted and recorded', ({ expect }) =>
    fenced(async (store) => {
      const id = randomAccountId();
      expect((await put(store, id, makeTokenSet(suiteNow()), 0, 5)).fencingToken).toBe(5);
      expect((await put(store, id, makeTokenSet(suiteNow()), 1, 5)).version, 'an equal token is the same holder').toBe(2);
      const written = await put(store, id, makeTokenSet(suiteNow()), 2, 9);
      expect(written.version).toBe(3);
      expect(written.fencingToken).toBe(9);
      expect((await store.get(id))?.fencingToken).toBe(9);
    }));

  test('store.fencing: a put() without a fencing token does not lower the highest accepted one', ({ expect }) =>
    fenced(async (store) => {
      const id = randomAccountId();
      await put(store, id, makeTokenSet(suiteNow()), 0, 7);
      await put(store, id, makeTokenSet(suiteNow()), 1);
      expect((await store.get(id))?.fencingToken).toBe(7);
      await expectConflict(expect, put(store, id, makeTokenSet(suiteNow()), 2, 6), 'put() with a fencing token below the recorded one');
    }));

  test('store.fencing: fencing tokens are tracked per account', ({ expect }) =>
    fenced(async (store) => {
      const a = randomAccountId();
      const b = randomAccountId();
      await put(store, a, makeTokenSet(suiteNow()), 0, 50);
      const written = await put(store, b, makeTokenSet(suiteNow()), 0, 3);
      expect(written.fencingToken).toBe(3);
    }));
}
