import type { StoreChangeV1, TokenStoreV1 } from '@tokens/core';
import type { TestFunction } from '../types';
import { makeTokenSet, randomAccountId } from '../helpers';
import { settle, sleep } from '../internal';
import {
  declares,
  suiteNow,
  put,
  withStore,
  type TokenStoreFactory,
  type TokenStoreSuiteOptions,
} from './options';

/** Collects the changes a listener receives and waits (in real time) for a matching one. */
function recorder(store: TokenStoreV1) {
  const changes: StoreChangeV1[] = [];
  const unsubscribe = store.watch!((change) => changes.push(change));
  return {
    changes,
    unsubscribe,
    async waitFor(match: (c: StoreChangeV1) => boolean, withinMs: number): Promise<StoreChangeV1 | undefined> {
      const deadline = Date.now() + withinMs;
      for (;;) {
        const found = changes.find(match);
        if (found || Date.now() >= deadline) return found;
        await sleep(Math.min(10, Math.max(1, deadline - Date.now())));
      }
    },
  };
}

/**
 * `watch()`. With `capabilities.watch` on (the default) the watch tests run; the cross-instance
 * test is registered when `externalWrite` is given. With `capabilities: { watch: false }` the
 * suite checks that the store declares `watch: false`.
 */
export function tokenStoreWatchTests(test: TestFunction, factory: TokenStoreFactory, options: TokenStoreSuiteOptions = {}): void {
  const within = options.watchWithinMs ?? 1000;
  const watching = <T>(fn: (store: TokenStoreV1) => Promise<T>) => withStore(factory, options, fn, ['watch']);

  if (!declares(options, 'watch')) {
    test('store.watch: declares capabilities.watch: false, as the suite was told', ({ expect }) =>
      // The declaration check fails first, with the full explanation; the assertion documents it.
      withStore(factory, options, async (store) => expect(store.capabilities.watch).toBe(false), ['watch']));
    return;
  }

  test(`store.watch: watch() reports this instance's put() with the new version within ${within} ms`, ({ expect }) =>
    watching(async (store) => {
      const rec = recorder(store);
      try {
        const id = randomAccountId();
        await put(store, id, makeTokenSet(suiteNow()), 0);
        const change = await rec.waitFor((c) => c.accountId === id && c.kind === 'put', within);
        expect(change, 'a put change for the account').toEqual({ kind: 'put', accountId: id, version: 1 });
        await put(store, id, makeTokenSet(suiteNow()), 1);
        const second = await rec.waitFor((c) => c.accountId === id && c.kind === 'put' && c.version === 2, within);
        expect(second, 'a second put change with version 2').toBeDefined();
      } finally {
        rec.unsubscribe();
      }
    }));

  test(`store.watch: watch() reports a delete() within ${within} ms`, ({ expect }) =>
    watching(async (store) => {
      const id = randomAccountId();
      await put(store, id, makeTokenSet(suiteNow()), 0);
      const rec = recorder(store);
      try {
        await store.delete(id);
        const change = await rec.waitFor((c) => c.accountId === id && c.kind === 'delete', within);
        expect(change).toEqual({ kind: 'delete', accountId: id });
      } finally {
        rec.unsubscribe();
      }
    }));

  const externalWrite = options.externalWrite;
  if (externalWrite) {
    test(`store.watch: watch() reports a put() made through another instance within ${within} ms, and get() then returns it`, ({ expect }) =>
      watching(async (store) => {
        const rec = recorder(store);
        try {
          const id = randomAccountId();
          const external = makeTokenSet(suiteNow());
          await externalWrite(id, external, store);
          const change = await rec.waitFor((c) => c.accountId === id && c.kind === 'put', within);
          expect(change, `a put change for ${id} from the other instance`).toBeDefined();
          const read = await store.get(id);
          expect(read?.tokenSet.accessToken.reveal()).toBe(external.accessToken.reveal());
        } finally {
          rec.unsubscribe();
        }
      }));
  }

  test('store.watch: after unsubscribing, a listener receives nothing while other listeners still do', ({ expect }) =>
    watching(async (store) => {
      const gone = recorder(store);
      const stays = recorder(store);
      try {
        gone.unsubscribe();
        const id = randomAccountId();
        await put(store, id, makeTokenSet(suiteNow()), 0);
        expect(await stays.waitFor((c) => c.accountId === id, within), 'the remaining listener is notified').toBeDefined();
        await settle();
        expect(gone.changes.filter((c) => c.accountId === id)).toEqual([]);
      } finally {
        stays.unsubscribe();
      }
    }));
}
