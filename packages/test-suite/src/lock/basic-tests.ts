import type { TestFunction } from '../types';
import { randomAccountId } from '../helpers';
import { captureError, prop, settle, withDeadline } from '../internal';
import { timeFor, track, withLock, type LeaseV1, type LockFactory, type LockSuiteOptions } from './options';

/** Shape, acquire, release. */
export function lockBasicTests(test: TestFunction, factory: LockFactory, options: LockSuiteOptions = {}): void {
  test("lock.basic: declares specificationVersion 'v1' and a scope of process, host or cluster", ({ expect }) =>
    withLock(factory, options, async (lock) => {
      expect(lock.specificationVersion).toBe('v1');
      expect(['process', 'host', 'cluster']).toContain(lock.scope);
    }));

  test('lock.basic: acquire() resolves a lease for the account with an integer fencing token and an expiry', ({ expect }) =>
    withLock(factory, options, async (lock) => {
      const t = timeFor(lock, options);
      const id = randomAccountId();
      const lease = await withDeadline(lock.acquire(id, { ttlMs: t.long }), t.prompt, 'acquire() of a free lock');
      expect(lease.accountId).toBe(id);
      expect(Number.isSafeInteger(lease.fencingToken), 'fencingToken is an integer').toBe(true);
      expect(Number.isFinite(lease.expiresAt), 'expiresAt is epoch ms').toBe(true);
      expect(lease.expiresAt).toBeGreaterThan(0);
      await lease.release();
    }));

  test('lock.basic: release() frees the lock: the next acquire() succeeds without waiting', ({ expect }) =>
    withLock(factory, options, async (lock) => {
      const t = timeFor(lock, options);
      const id = randomAccountId();
      const first = await lock.acquire(id, { ttlMs: t.long });
      await first.release();
      const second = await withDeadline(lock.acquire(id, { ttlMs: t.long, waitMs: t.long }), t.prompt, 'acquire() after release()');
      expect(second.fencingToken).toBeGreaterThan(first.fencingToken);
      await second.release();
    }));

  test('lock.basic: release() is idempotent', ({ expect }) =>
    withLock(factory, options, async (lock) => {
      const t = timeFor(lock, options);
      const id = randomAccountId();
      const lease = await lock.acquire(id, { ttlMs: t.long });
      await lease.release();
      await lease.release();
      const next = await withDeadline(lock.acquire(id, { ttlMs: t.long, waitMs: t.long }), t.prompt, 'acquire() after a double release()');
      expect(next.accountId).toBe(id);
      await next.release();
    }));

  test('lock.basic: acquire() rejects invalid account ids with code INVALID_ACCOUNT_ID', ({ expect }) =>
    withLock(factory, options, async (lock) => {
      for (const id of ['', '../x', 'a/b', 'x'.repeat(129)]) {
        const error = await captureError(() => lock.acquire(id, { ttlMs: 1000, waitMs: 0 }), `acquire(${JSON.stringify(id.slice(0, 10))})`);
        expect(prop(error, 'code')).toBe('INVALID_ACCOUNT_ID');
      }
    }));
}

/** Mutual exclusion. */
export function lockExclusionTests(test: TestFunction, factory: LockFactory, options: LockSuiteOptions = {}): void {
  test('lock.exclusion: a second acquire() waits until the holder releases, then gets a higher fencing token', ({ expect }) =>
    withLock(factory, options, async (lock) => {
      const t = timeFor(lock, options);
      const id = randomAccountId();
      const holder = await lock.acquire(id, { ttlMs: t.long });
      const waiter = track(lock.acquire(id, { ttlMs: t.long, waitMs: t.long }));
      await settle();
      await t.pass(50);
      expect(waiter.settled, 'the second acquire() is still waiting').toBe(false);
      await holder.release();
      const next = await withDeadline(t.pumping(waiter.promise), t.prompt, 'the waiting acquire() after release()');
      expect(next.fencingToken).toBeGreaterThan(holder.fencingToken);
      await next.release();
    }));

  const n = options.contenders ?? 8;
  test(`lock.exclusion: ${n} concurrent read-modify-write contenders never overlap and lose no update`, ({ expect }) =>
    withLock(factory, options, async (lock) => {
      const t = timeFor(lock, options);
      const id = randomAccountId();
      let counter = 0;
      let inside = 0;
      let maxInside = 0;
      const tokens: number[] = [];
      const contender = async () => {
        const lease: LeaseV1 = await lock.acquire(id, { ttlMs: t.long, waitMs: t.long });
        try {
          inside++;
          maxInside = Math.max(maxInside, inside);
          tokens.push(lease.fencingToken);
          const read = counter;
          await settle(3); // let the others run: a broken lock lets them read the same value
          counter = read + 1;
        } finally {
          inside--;
          await lease.release();
        }
      };
      await withDeadline(t.pumping(Promise.all(Array.from({ length: n }, contender))), Math.max(t.prompt, 1000 * n), `${n} contenders`);
      expect(maxInside, 'at most one holder at a time').toBe(1);
      expect(counter, 'no lost update').toBe(n);
      expect(tokens.every((x, i) => i === 0 || x > (tokens[i - 1] ?? -Infinity)), `fencing tokens increase in grant order: ${tokens.join(', ')}`).toBe(true);
    }));

  test('lock.exclusion: leases on different accounts do not block each other', ({ expect }) =>
    withLock(factory, options, async (lock) => {
      const t = timeFor(lock, options);
      const a = await lock.acquire(randomAccountId(), { ttlMs: t.long });
      const id = randomAccountId();
      const b = await withDeadline(lock.acquire(id, { ttlMs: t.long, waitMs: t.long }), t.prompt, 'acquire() of another account');
      expect(b.accountId).toBe(id);
      await Promise.all([a.release(), b.release()]);
    }));
}

/** Fencing tokens. */
export function lockFencingTests(test: TestFunction, factory: LockFactory, options: LockSuiteOptions = {}): void {
  test('lock.fencing: fencing tokens strictly increase across successive leases of one account', ({ expect }) =>
    withLock(factory, options, async (lock) => {
      const t = timeFor(lock, options);
      const id = randomAccountId();
      const tokens: number[] = [];
      for (let i = 0; i < 5; i++) {
        const lease = await withDeadline(lock.acquire(id, { ttlMs: t.long, waitMs: t.long }), t.prompt, `acquire #${i + 1}`);
        tokens.push(lease.fencingToken);
        await lease.release();
      }
      for (let i = 1; i < tokens.length; i++) expect(tokens[i], `token ${i + 1} > token ${i} (${tokens.join(', ')})`).toBeGreaterThan(tokens[i - 1]!);
    }));

  test("lock.fencing: one account's tokens keep increasing while other accounts are locked in between", ({ expect }) =>
    withLock(factory, options, async (lock) => {
      const t = timeFor(lock, options);
      const a = randomAccountId();
      const b = randomAccountId();
      const seen: Record<string, number[]> = { [a]: [], [b]: [] };
      for (const id of [a, b, b, a, b, a, a]) {
        const lease = await withDeadline(lock.acquire(id, { ttlMs: t.long, waitMs: t.long }), t.prompt, `acquire(${id})`);
        seen[id]!.push(lease.fencingToken);
        await lease.release();
      }
      for (const id of [a, b]) {
        const list = seen[id]!;
        for (let i = 1; i < list.length; i++) expect(list[i], `${id}: ${list.join(', ')}`).toBeGreaterThan(list[i - 1]!);
      }
    }));
}
