import type { TestFunction } from '../types';
import { makeTokenSet, randomAccountId } from '../helpers';
import {
  BROKER,
  suiteNow,
  expectConflict,
  put,
  rawSnapshot,
  withStore,
  type TokenStoreFactory,
  type TokenStoreSuiteOptions,
} from './options';

/** Shape, create, read, replace, and copy semantics. */
export function tokenStoreBasicTests(test: TestFunction, factory: TokenStoreFactory, options: TokenStoreSuiteOptions = {}): void {
  test("store.basic: declares specificationVersion 'v1' and boolean capabilities watch, fencing and durable", ({ expect }) =>
    withStore(factory, options, async (store) => {
      expect(store.specificationVersion).toBe('v1');
      for (const key of ['watch', 'fencing', 'durable'] as const) expect(typeof store.capabilities[key], `capabilities.${key}`).toBe('boolean');
      if (store.capabilities.watch) expect(typeof store.watch, 'capabilities.watch is true, so watch() must exist').toBe('function');
    }));

  test('store.basic: get() of an account that was never written resolves undefined', ({ expect }) =>
    withStore(factory, options, async (store) => {
      const id = randomAccountId();
      expect(await store.get(id)).toBeUndefined();
      if (options.raw) expect(await rawSnapshot(options, store, id)).toBe('absent');
    }));

  test('store.basic: put() with expectedVersion 0 creates version 1 and returns the stored record', ({ expect }) =>
    withStore(factory, options, async (store) => {
      const id = randomAccountId();
      const tokenSet = makeTokenSet(suiteNow());
      const written = await put(store, id, tokenSet, 0);
      expect(written.accountId).toBe(id);
      expect(written.broker).toBe(BROKER);
      expect(written.version).toBe(1);
      expect(Number.isFinite(written.updatedAt)).toBe(true);
      expect(written.tokenSet.accessToken.reveal()).toBe(tokenSet.accessToken.reveal());

      const read = await store.get(id);
      expect(read?.version).toBe(1);
      expect(read?.broker).toBe(BROKER);
      expect(read?.accountId).toBe(id);
      expect(read?.tokenSet.accessToken.reveal()).toBe(tokenSet.accessToken.reveal());
      if (options.raw) expect(await rawSnapshot(options, store, id), 'the back door sees the record').not.toBe('absent');
    }));

  test('store.basic: put() with the current version replaces the token set and increments the version', ({ expect }) =>
    withStore(factory, options, async (store) => {
      const id = randomAccountId();
      await put(store, id, makeTokenSet(suiteNow()), 0);
      const before = await rawSnapshot(options, store, id);
      const next = makeTokenSet(suiteNow() + 1000);
      const written = await put(store, id, next, 1);
      expect(written.version).toBe(2);
      const read = await store.get(id);
      expect(read?.version).toBe(2);
      expect(read?.tokenSet.accessToken.reveal()).toBe(next.accessToken.reveal());
      expect(read?.tokenSet.expiresAt).toBe(next.expiresAt);
      if (options.raw) expect(await rawSnapshot(options, store, id), 'the raw record changed').not.toBe(before);
      expect((await put(store, id, makeTokenSet(suiteNow()), 2)).version).toBe(3);
    }));

  test('store.basic: mutating a returned record does not change what the store holds', ({ expect }) =>
    withStore(factory, options, async (store) => {
      const id = randomAccountId();
      const tokenSet = makeTokenSet(suiteNow());
      const written = await put(store, id, tokenSet, 0);
      const read = await store.get(id);
      for (const record of [written, read]) {
        if (!record) continue;
        record.version = 99;
        record.broker = 'tampered';
        record.tokenSet.expiresAt = 1;
        if (record.tokenSet.extras) record.tokenSet.extras.baseUrl = 'https://tampered.example';
        delete record.tokenSet.refreshToken;
      }
      const again = await store.get(id);
      expect(again?.version).toBe(1);
      expect(again?.broker).toBe(BROKER);
      expect(again?.tokenSet.expiresAt).toBe(tokenSet.expiresAt);
      expect(again?.tokenSet.extras?.baseUrl).toBe(tokenSet.extras?.baseUrl);
      expect(again?.tokenSet.refreshToken?.reveal()).toBe(tokenSet.refreshToken?.reveal());
    }));

  test("store.basic: mutating the caller's token set after put() does not change what the store holds", ({ expect }) =>
    withStore(factory, options, async (store) => {
      const id = randomAccountId();
      const tokenSet = makeTokenSet(suiteNow());
      const original = { expiresAt: tokenSet.expiresAt, baseUrl: tokenSet.extras?.baseUrl };
      await put(store, id, tokenSet, 0);
      tokenSet.expiresAt = 2;
      if (tokenSet.extras) tokenSet.extras.baseUrl = 'https://tampered.example';
      const read = await store.get(id);
      expect(read?.tokenSet.expiresAt).toBe(original.expiresAt);
      expect(read?.tokenSet.extras?.baseUrl).toBe(original.baseUrl);
    }));

  test('store.basic: accounts are independent: writing one leaves another untouched', ({ expect }) =>
    withStore(factory, options, async (store) => {
      const a = randomAccountId();
      const b = randomAccountId();
      const ta = makeTokenSet(suiteNow());
      await put(store, a, ta, 0);
      await put(store, b, makeTokenSet(suiteNow()), 0);
      await put(store, b, makeTokenSet(suiteNow()), 1);
      const read = await store.get(a);
      expect(read?.version).toBe(1);
      expect(read?.tokenSet.accessToken.reveal()).toBe(ta.accessToken.reveal());
    }));
}

/** `list()`. Assertions use containment, so a shared backend with other keys still passes. */
export function tokenStoreListTests(test: TestFunction, factory: TokenStoreFactory, options: TokenStoreSuiteOptions = {}): void {
  test('store.list: list() returns the ids of stored accounts', ({ expect }) =>
    withStore(factory, options, async (store) => {
      const a = randomAccountId();
      const b = randomAccountId();
      await put(store, a, makeTokenSet(suiteNow()), 0);
      await put(store, b, makeTokenSet(suiteNow()), 0);
      const ids = await store.list();
      expect(Array.isArray(ids)).toBe(true);
      expect(ids).toContain(a);
      expect(ids).toContain(b);
      expect(ids.filter((x) => x === a), 'each id is listed once').toHaveLength(1);
    }));

  test('store.list: list() does not include accounts that were never written or were deleted', ({ expect }) =>
    withStore(factory, options, async (store) => {
      const kept = randomAccountId();
      const deleted = randomAccountId();
      await put(store, kept, makeTokenSet(suiteNow()), 0);
      await put(store, deleted, makeTokenSet(suiteNow()), 0);
      await store.delete(deleted);
      const ids = await store.list();
      expect(ids).toContain(kept);
      expect(ids).not.toContain(deleted);
      expect(ids).not.toContain(randomAccountId());
    }));
}

/** `delete()`, with and without compare-and-set. */
export function tokenStoreDeleteTests(test: TestFunction, factory: TokenStoreFactory, options: TokenStoreSuiteOptions = {}): void {
  test('store.delete: delete() of a stored account resolves true and get() then resolves undefined', ({ expect }) =>
    withStore(factory, options, async (store) => {
      const id = randomAccountId();
      await put(store, id, makeTokenSet(suiteNow()), 0);
      expect(await store.delete(id)).toBe(true);
      expect(await store.get(id)).toBeUndefined();
      if (options.raw) expect(await rawSnapshot(options, store, id), 'the back door sees nothing').toBe('absent');
    }));

  test('store.delete: delete() of a missing account resolves false', ({ expect }) =>
    withStore(factory, options, async (store) => {
      expect(await store.delete(randomAccountId())).toBe(false);
    }));

  test('store.delete: delete() with a stale expectedVersion throws StoreConflictError and keeps the record', ({ expect }) =>
    withStore(factory, options, async (store) => {
      const id = randomAccountId();
      await put(store, id, makeTokenSet(suiteNow()), 0);
      await put(store, id, makeTokenSet(suiteNow()), 1);
      const before = await rawSnapshot(options, store, id);
      await expectConflict(expect, store.delete(id, { expectedVersion: 1 }), 'delete() with a stale version');
      expect((await store.get(id))?.version).toBe(2);
      expect(await rawSnapshot(options, store, id)).toBe(before);
    }));

  test('store.delete: delete() with the current expectedVersion deletes', ({ expect }) =>
    withStore(factory, options, async (store) => {
      const id = randomAccountId();
      await put(store, id, makeTokenSet(suiteNow()), 0);
      expect(await store.delete(id, { expectedVersion: 1 })).toBe(true);
      expect(await store.get(id)).toBeUndefined();
    }));

  test('store.delete: after delete(), put() with expectedVersion 0 creates the account again at version 1', ({ expect }) =>
    withStore(factory, options, async (store) => {
      const id = randomAccountId();
      await put(store, id, makeTokenSet(suiteNow()), 0);
      await put(store, id, makeTokenSet(suiteNow()), 1);
      await store.delete(id);
      const fresh = makeTokenSet(suiteNow());
      expect((await put(store, id, fresh, 0)).version).toBe(1);
      expect((await store.get(id))?.tokenSet.accessToken.reveal()).toBe(fresh.accessToken.reveal());
    }));
}
