import { randomBytes } from 'node:crypto';
import {
  assertAccountId,
  createSystemClock,
  InvalidInputError,
  LockTimeoutError,
  type AcquireOptionsV1,
  type ClockV1,
  type LeaseV1,
  type LockV1,
} from '@tokens/core';
import { createKeyspace, DEFAULT_KEY_PREFIX, type Keyspace } from './keys';
import { assertClient, redisError, type RedisClient } from './redis-client';
import { ACQUIRE, EXTEND, RELEASE, runScript } from './scripts';

export interface RedisLockOptions {
  /** Your ioredis client (standalone, Sentinel or Cluster). The lock never closes it. */
  client: RedisClient;
  /** Same prefix as the store's, so a lost fencing counter restarts above the store's last token. Default "tokens". */
  keyPrefix?: string;
  /** Stamps `expiresAt` of leases. The lease itself lapses on the Redis server's clock. */
  clock?: ClockV1;
  /** First wait between attempts of a waiter, in ms (doubles up to `maxPollMs`, full jitter). Default 10. */
  minPollMs?: number;
  /** Longest wait between attempts, in ms. Default 250. */
  maxPollMs?: number;
}

export interface RedisLock extends LockV1 {
  readonly scope: 'cluster';
  readonly keyspace: Keyspace;
  /** Releases every lease this instance still holds. Never closes `client`. */
  close(): Promise<void>;
}

type AcquireReply = [number, number | string];

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('The operation was aborted.', 'AbortError');
}

/**
 * A lease lock on Redis for processes on many hosts. `SET lock <nonce> NX PX ttl` and
 * `INCR fence` run in one script, so every granted lease carries a fencing token that is
 * strictly higher than any before it for that account. Only the holder's nonce can extend or
 * release. Waiters poll with jittered, growing pauses on unref'd timers, never longer than the
 * holder's remaining lease.
 */
export function createRedisLock(options: RedisLockOptions): RedisLock {
  assertClient(options?.client);
  const { client } = options;
  const keys = createKeyspace(options.keyPrefix ?? DEFAULT_KEY_PREFIX);
  const clock = options.clock ?? createSystemClock();
  const minPoll = options.minPollMs ?? 10;
  const maxPoll = options.maxPollMs ?? 250;
  const held = new Set<LeaseV1>();
  // Waiting is measured in real time whatever `clock` is: the server's lease clock cannot be faked.
  const realClock = createSystemClock();

  const tryOnce = async (accountId: string, nonce: string, ttlMs: number): Promise<AcquireReply> => {
    try {
      return (await runScript(client, ACQUIRE, [keys.lock(accountId), keys.fence(accountId), keys.record(accountId)], [nonce, ttlMs])) as AcquireReply;
    } catch (error) {
      throw redisError('lock', accountId, error);
    }
  };

  const makeLease = (accountId: string, nonce: string, fencingToken: number, expiresAt: number): LeaseV1 => {
    let released = false;
    let until = expiresAt;
    const lease: LeaseV1 = {
      accountId,
      fencingToken,
      get expiresAt() {
        return until;
      },
      async extend(ms) {
        if (released) return false;
        if (!(typeof ms === 'number' && ms > 0 && Number.isFinite(ms))) throw new InvalidInputError({ field: 'ttlMs', message: 'extend() needs a positive number of milliseconds.' });
        try {
          const ok = (await runScript(client, EXTEND, [keys.lock(accountId)], [nonce, Math.ceil(ms)])) === 1;
          if (ok) until = clock.now() + ms;
          return ok;
        } catch (error) {
          throw redisError('extend the lock of', accountId, error);
        }
      },
      async release() {
        if (released) return;
        released = true;
        held.delete(lease);
        try {
          await runScript(client, RELEASE, [keys.lock(accountId)], [nonce]);
        } catch (error) {
          // The lease lapses by itself after its TTL; report, but the lease is ours no more.
          throw redisError('release the lock of', accountId, error);
        }
      },
    };
    held.add(lease);
    return lease;
  };

  // An abort that overtook a granted attempt must not leave the lock taken until its TTL.
  const freeIfGranted = (accountId: string, nonce: string, attempt: Promise<AcquireReply>) => {
    attempt.then(
      ([ok]) => (ok === 1 ? runScript(client, RELEASE, [keys.lock(accountId)], [nonce]).catch(() => undefined) : undefined),
      () => undefined,
    );
  };

  async function acquire(accountId: string, { ttlMs, waitMs, signal }: AcquireOptionsV1): Promise<LeaseV1> {
    assertAccountId(accountId);
    if (!(typeof ttlMs === 'number' && ttlMs > 0 && Number.isFinite(ttlMs))) {
      throw new InvalidInputError({ field: 'ttlMs', message: 'Lock ttlMs must be a positive number of milliseconds.' });
    }
    if (signal?.aborted) throw abortReason(signal);
    const ttl = Math.ceil(ttlMs);
    const wait = Math.max(0, waitMs ?? ttlMs);
    const nonce = randomBytes(16).toString('hex');
    const deadline = realClock.now() + wait;
    let pause = minPoll;
    for (;;) {
      const started = clock.now();
      const attempt = tryOnce(accountId, nonce, ttl);
      const [ok, value] = signal ? await untilAborted(attempt, signal, () => freeIfGranted(accountId, nonce, attempt)) : await attempt;
      if (ok === 1) return makeLease(accountId, nonce, Number(value), started + ttl);
      const left = deadline - realClock.now();
      if (left <= 0) throw new LockTimeoutError({ accountId, waitedMs: wait });
      // Full jitter; never sleep past the caller's deadline or the moment the holder's lease lapses.
      const holderLeft = Number(value) > 0 ? Number(value) + 1 : pause;
      const delay = Math.max(1, Math.min(left, holderLeft, Math.floor(Math.random() * pause) + 1));
      pause = Math.min(maxPoll, pause * 2);
      await pauseFor(delay, signal);
    }
  }

  return {
    specificationVersion: 'v1',
    scope: 'cluster',
    keyspace: keys,
    acquire,
    async close() {
      await Promise.all([...held].map((l) => l.release().catch(() => undefined)));
    },
  };
}

/** Settles like `promise`, or rejects at once when `signal` aborts (then `onAbandon` runs). */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal, onAbandon: () => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      onAbandon();
      reject(abortReason(signal));
    };
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        if (signal.aborted) return; // onAbort already rejected
        resolve(v);
      },
      (e) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

/** An unref'd sleep that rejects with the signal's reason as soon as it aborts. */
function pauseFor(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortReason(signal));
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortReason(signal!));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    timer.unref();
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
