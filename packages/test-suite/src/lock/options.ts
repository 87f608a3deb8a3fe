import { LockTimeoutError, type LeaseV1, type LockV1 } from '@tokens/core';
import { errorName, prop, sleep } from '../internal';
import type { DisableGroups, ExpectLike, Factory } from '../types';

export type LockGroup = 'basic' | 'exclusion' | 'fencing' | 'timeout' | 'expiry' | 'ownership' | 'abort';

export type LockFactory = Factory<LockV1>;

export interface LockSuiteOptions {
  /** Turns groups off, e.g. `{ expiry: true }`. */
  disable?: DisableGroups<LockGroup>;
  /**
   * Moves the lock's clock forward (a fake clock). When given, the timeout, expiry and ownership
   * tests advance time instead of sleeping, and use long TTLs. `lock` is the instance under test,
   * so one clock per lock can be kept in a WeakMap.
   */
  expire?: { advance: (ms: number, lock: LockV1) => Promise<void> };
  /** Without `expire`: the real TTL used by expiry tests. Default 200 ms; raise it for slow backends. */
  shortTtlMs?: number;
  /** Concurrent contenders in the mutual-exclusion test. Default 8. */
  contenders?: number;
  /** How long (real time) an acquire that should succeed at once may take. Default 2000 ms. */
  promptMs?: number;
  /** Runs after each test, before `lock.close()`. */
  cleanup?: (lock: LockV1) => Promise<void>;
}

/** Builds a fresh lock, runs `fn`, then cleans up and closes it even when `fn` throws. */
export async function withLock<T>(factory: LockFactory, options: LockSuiteOptions, fn: (lock: LockV1) => Promise<T>): Promise<T> {
  const lock = await factory();
  try {
    return await fn(lock);
  } finally {
    try {
      await options.cleanup?.(lock);
    } finally {
      await lock.close?.();
    }
  }
}

/** Time per test: the fake clock's `advance` when given, real sleeps otherwise. */
export function timeFor(lock: LockV1, options: LockSuiteOptions) {
  const fake = options.expire;
  return {
    fake: fake !== undefined,
    /** A TTL that tests wait out. */
    ttl: fake ? 10_000 : (options.shortTtlMs ?? 200),
    /**
     * A `waitMs` that tests let run out while the lock is held. Small under a fake clock too,
     * because some locks wait in real time even when lease expiry follows the injected clock.
     */
    shortWait: fake ? 50 : Math.max(20, Math.floor((options.shortTtlMs ?? 200) / 4)),
    /** A TTL no test outlives. */
    long: 120_000,
    prompt: options.promptMs ?? 5_000,
    pass: (ms: number): Promise<void> => (fake ? fake.advance(ms, lock) : sleep(ms)),
    /**
     * Runs `work` while nudging a fake clock forward in small steps, for locks that poll through
     * the clock. A no-op pump for real time.
     */
    async pumping<T>(work: Promise<T>): Promise<T> {
      if (!fake) return work;
      let done = false;
      const finished = work.finally(() => {
        done = true;
      });
      finished.catch(() => {}); // handled by the caller; keeps the pump loop from flagging it unhandled
      for (let i = 0; !done && i < 5000; i++) await fake.advance(5, lock);
      return finished;
    },
  };
}

/** How an acquire that should fail turned out: never rejects, so time can pass before it is checked. */
export interface AcquireOutcome {
  error?: unknown;
  /** Set when the acquire wrongly succeeded. */
  lease?: LeaseV1;
}

/** Starts an acquire that should fail, capturing its outcome at once (no unhandled rejection while time passes). */
export function acquireExpectingFailure(lock: LockV1, accountId: string, ttlMs: number, waitMs: number, signal?: AbortSignal): Promise<AcquireOutcome> {
  return lock.acquire(accountId, signal ? { ttlMs, waitMs, signal } : { ttlMs, waitMs }).then(
    (lease) => ({ lease }),
    (error: unknown) => ({ error }),
  );
}

/** Asserts the outcome is a LockTimeoutError; a wrongly granted lease is released first. */
export async function expectLockTimeout(expect: ExpectLike, pending: Promise<AcquireOutcome>, accountId: string): Promise<void> {
  const { error, lease } = await pending;
  if (lease) await lease.release();
  expect(lease === undefined, `acquire(${accountId}) should time out while the lock is held, but it was granted`).toBe(true);
  expect(LockTimeoutError.isInstance(error), `acquire() should throw LockTimeoutError, got ${errorName(error)}`).toBe(true);
  expect(prop(error, 'code')).toBe('LOCK_TIMEOUT');
  expect(prop(error, 'isRetryable')).toBe(true);
  expect(prop(error, 'accountId')).toBe(accountId);
}

/** Tracks whether a promise has settled, for "still waiting" assertions. */
export function track<T>(promise: Promise<T>): { promise: Promise<T>; readonly settled: boolean } {
  let settled = false;
  const p = promise.finally(() => {
    settled = true;
  });
  p.catch(() => {});
  return {
    promise: p,
    get settled() {
      return settled;
    },
  };
}

export type { LeaseV1 };
