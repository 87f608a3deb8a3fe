import type { TestFunction } from '../types';
import { randomAccountId } from '../helpers';
import { captureError, withDeadline } from '../internal';
import {
  acquireExpectingFailure,
  expectLockTimeout,
  timeFor,
  withLock,
  type LockFactory,
  type LockSuiteOptions,
} from './options';

/** `waitMs`: waiting gives up with a typed, retryable error and leaves nothing behind. */
export function lockTimeoutTests(test: TestFunction, factory: LockFactory, options: LockSuiteOptions = {}): void {
  test('lock.timeout: acquire() throws LockTimeoutError (code LOCK_TIMEOUT, retryable) when waitMs elapses', ({ expect }) =>
    withLock(factory, options, async (lock) => {
      const t = timeFor(lock, options);
      const id = randomAccountId();
      const holder = await lock.acquire(id, { ttlMs: t.long });
      const waitMs = t.shortWait;
      const pending = acquireExpectingFailure(lock, id, t.long, waitMs);
      await t.pass(waitMs + 20);
      await expectLockTimeout(expect, withDeadline(pending, t.prompt + waitMs, 'the timed-out acquire()'), id);
      await holder.release();
    }));

  test('lock.timeout: a waiter that timed out never takes the lock; the holder keeps it and the next acquire() works', ({ expect }) =>
    withLock(factory, options, async (lock) => {
      const t = timeFor(lock, options);
      const id = randomAccountId();
      const holder = await lock.acquire(id, { ttlMs: t.long });
      const waitMs = t.shortWait;
      const pending = acquireExpectingFailure(lock, id, t.long, waitMs);
      await t.pass(waitMs + 20);
      await expectLockTimeout(expect, pending, id);
      expect(await holder.extend(t.long), 'the holder still owns its lease').toBe(true);
      await holder.release();
      const next = await withDeadline(lock.acquire(id, { ttlMs: t.long, waitMs: t.long }), t.prompt, 'acquire() after the timeout');
      expect(next.fencingToken).toBeGreaterThan(holder.fencingToken);
      await next.release();
    }));
}

/** Leases lapse after their TTL unless extended. */
export function lockExpiryTests(test: TestFunction, factory: LockFactory, options: LockSuiteOptions = {}): void {
  test('lock.expiry: an expired lease is taken over by the next acquire() with a higher fencing token', ({ expect }) =>
    withLock(factory, options, async (lock) => {
      const t = timeFor(lock, options);
      const id = randomAccountId();
      const old = await lock.acquire(id, { ttlMs: t.ttl });
      await t.pass(t.ttl + 50);
      const next = await withDeadline(t.pumping(lock.acquire(id, { ttlMs: t.long, waitMs: t.long })), t.prompt, 'acquire() of an expired lease');
      expect(next.fencingToken).toBeGreaterThan(old.fencingToken);
      await next.release();
    }));

  test("lock.expiry: a waiting acquire() gets the lock once the holder's lease expires", ({ expect }) =>
    withLock(factory, options, async (lock) => {
      const t = timeFor(lock, options);
      const id = randomAccountId();
      const old = await lock.acquire(id, { ttlMs: t.ttl });
      const waiting = lock.acquire(id, { ttlMs: t.long, waitMs: t.ttl * 20 });
      waiting.catch(() => {});
      await t.pass(t.ttl + 50);
      const next = await withDeadline(t.pumping(waiting), t.prompt + t.ttl, 'the waiting acquire()');
      expect(next.fencingToken).toBeGreaterThan(old.fencingToken);
      await next.release();
    }));

  test('lock.expiry: extend() by the holder pushes expiresAt and keeps the lock past the original TTL', ({ expect }) =>
    withLock(factory, options, async (lock) => {
      const t = timeFor(lock, options);
      const id = randomAccountId();
      const lease = await lock.acquire(id, { ttlMs: t.ttl });
      const firstExpiry = lease.expiresAt;
      await t.pass(Math.floor(t.ttl / 2));
      expect(await lease.extend(t.ttl * 2)).toBe(true);
      expect(lease.expiresAt, 'expiresAt moved forward').toBeGreaterThan(firstExpiry);
      await t.pass(Math.floor(t.ttl / 2) + 20); // past the original expiry, well inside the extended one
      const waitMs = t.shortWait;
      const pending = acquireExpectingFailure(lock, id, t.long, waitMs);
      await t.pass(waitMs + 20);
      await expectLockTimeout(expect, pending, id);
      await lease.release();
    }));
}

/** Only the current holder can extend or release. */
export function lockOwnershipTests(test: TestFunction, factory: LockFactory, options: LockSuiteOptions = {}): void {
  test("lock.ownership: after a takeover the old holder's extend() resolves false", ({ expect }) =>
    withLock(factory, options, async (lock) => {
      const t = timeFor(lock, options);
      const id = randomAccountId();
      const old = await lock.acquire(id, { ttlMs: t.ttl });
      await t.pass(t.ttl + 50);
      const next = await withDeadline(t.pumping(lock.acquire(id, { ttlMs: t.long, waitMs: t.long })), t.prompt, 'the takeover');
      expect(await old.extend(t.long), 'the old holder lost its lease').toBe(false);
      expect(await next.extend(t.long), 'the new holder still owns it').toBe(true);
      await next.release();
    }));

  test("lock.ownership: after a takeover the old holder's release() does not free the new holder's lease", ({ expect }) =>
    withLock(factory, options, async (lock) => {
      const t = timeFor(lock, options);
      const id = randomAccountId();
      const old = await lock.acquire(id, { ttlMs: t.ttl });
      await t.pass(t.ttl + 50);
      const next = await withDeadline(t.pumping(lock.acquire(id, { ttlMs: t.long, waitMs: t.long })), t.prompt, 'the takeover');
      await old.release();
      const waitMs = t.shortWait;
      const pending = acquireExpectingFailure(lock, id, t.long, waitMs);
      await t.pass(waitMs + 20);
      await expectLockTimeout(expect, pending, id);
      await next.release();
      const after = await withDeadline(lock.acquire(id, { ttlMs: t.long, waitMs: t.long }), t.prompt, 'acquire() after the new holder released');
      expect(after.fencingToken).toBeGreaterThan(next.fencingToken);
      await after.release();
    }));

  test('lock.ownership: extend() after release() resolves false', ({ expect }) =>
    withLock(factory, options, async (lock) => {
      const t = timeFor(lock, options);
      const lease = await lock.acquire(randomAccountId(), { ttlMs: t.long });
      await lease.release();
      expect(await lease.extend(t.long)).toBe(false);
    }));
}

/** `signal` on acquire. */
export function lockAbortTests(test: TestFunction, factory: LockFactory, options: LockSuiteOptions = {}): void {
  test('lock.abort: aborting the signal rejects a waiting acquire() promptly, and the aborted waiter never gets the lock', ({ expect }) =>
    withLock(factory, options, async (lock) => {
      const t = timeFor(lock, options);
      const id = randomAccountId();
      const holder = await lock.acquire(id, { ttlMs: t.long });
      const controller = new AbortController();
      const pending = acquireExpectingFailure(lock, id, t.long, t.long, controller.signal);
      controller.abort();
      const outcome = await withDeadline(pending, t.prompt, 'the aborted acquire()');
      if (outcome.lease) await outcome.lease.release();
      expect(outcome.lease === undefined, 'the aborted acquire() rejects instead of granting a lease').toBe(true);
      await holder.release();
      const next = await withDeadline(lock.acquire(id, { ttlMs: t.long, waitMs: t.long }), t.prompt, 'acquire() after the abort');
      expect(next.fencingToken).toBeGreaterThan(holder.fencingToken);
      await next.release();
    }));

  test('lock.abort: an already-aborted signal rejects acquire() of a held lock promptly', ({ expect }) =>
    withLock(factory, options, async (lock) => {
      const t = timeFor(lock, options);
      const id = randomAccountId();
      const holder = await lock.acquire(id, { ttlMs: t.long });
      const error = await withDeadline(
        captureError(lock.acquire(id, { ttlMs: t.long, waitMs: t.long, signal: AbortSignal.abort() }), 'acquire() with an aborted signal'),
        t.prompt,
        'acquire() with an already-aborted signal',
      );
      expect(error).toBeDefined();
      await holder.release();
    }));
}
