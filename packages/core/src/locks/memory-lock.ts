import type { AcquireOptionsV1, LeaseV1, LockV1 } from '../contracts/lock';
import type { ClockV1, TimerHandle } from '../contracts/clock';
import { assertAccountId } from '../account-id';
import { LockTimeoutError } from '../errors';
import { createSystemClock } from '../clock/system-clock';

interface Holder {
  fencingToken: number;
  expiresAt: number;
}

interface Waiter {
  grant: () => void;
  timer?: TimerHandle;
}

/**
 * Mutual exclusion inside one process, with leases and fencing tokens. Waiters are served in
 * arrival order; an expired lease is taken over by the next waiter.
 */
export function createMemoryLock(options: { clock?: ClockV1 } = {}): LockV1 {
  const clock = options.clock ?? createSystemClock();
  const holders = new Map<string, Holder>();
  const queues = new Map<string, Waiter[]>();
  const fencing = new Map<string, number>();
  const expiryTimers = new Map<string, TimerHandle>();

  const isFree = (id: string) => {
    const h = holders.get(id);
    return !h || h.expiresAt <= clock.now();
  };

  const wake = (id: string) => {
    const queue = queues.get(id);
    if (!queue?.length) return;
    if (isFree(id)) return queue.shift()!.grant();
    // Timers may fire a millisecond before the wall clock reaches the expiry: try again then.
    const h = holders.get(id);
    if (h) armExpiry(id, h.expiresAt);
  };

  const armExpiry = (id: string, at: number) => {
    const old = expiryTimers.get(id);
    if (old) clock.clearTimeout(old);
    expiryTimers.set(id, clock.setTimeout(() => wake(id), Math.max(1, at - clock.now())));
  };

  const take = (accountId: string, ttlMs: number): LeaseV1 => {
    const token = (fencing.get(accountId) ?? 0) + 1;
    fencing.set(accountId, token);
    const holder: Holder = { fencingToken: token, expiresAt: clock.now() + ttlMs };
    holders.set(accountId, holder);
    armExpiry(accountId, holder.expiresAt);
    const owns = () => holders.get(accountId) === holder && holder.expiresAt > clock.now();
    return {
      accountId,
      fencingToken: token,
      get expiresAt() {
        return holder.expiresAt;
      },
      async extend(ms) {
        if (!owns()) return false;
        holder.expiresAt = clock.now() + ms;
        armExpiry(accountId, holder.expiresAt);
        return true;
      },
      async release() {
        if (holders.get(accountId) !== holder) return;
        holders.delete(accountId);
        const t = expiryTimers.get(accountId);
        if (t) clock.clearTimeout(t);
        expiryTimers.delete(accountId);
        wake(accountId);
      },
    };
  };

  return {
    specificationVersion: 'v1',
    scope: 'process',
    acquire(accountId, { ttlMs, waitMs, signal }: AcquireOptionsV1) {
      assertAccountId(accountId);
      const queue = queues.get(accountId) ?? [];
      queues.set(accountId, queue);
      if (isFree(accountId) && queue.length === 0) return Promise.resolve(take(accountId, ttlMs));
      const wait = waitMs ?? ttlMs;
      if (signal?.aborted) return Promise.reject(signal.reason);
      return new Promise<LeaseV1>((resolve, reject) => {
        const waiter: Waiter = {
          grant: () => {
            if (waiter.timer) clock.clearTimeout(waiter.timer);
            signal?.removeEventListener('abort', onAbort);
            resolve(take(accountId, ttlMs));
          },
        };
        const leave = () => {
          const i = queue.indexOf(waiter);
          if (i >= 0) queue.splice(i, 1);
        };
        const onAbort = () => {
          leave();
          if (waiter.timer) clock.clearTimeout(waiter.timer);
          reject(signal?.reason);
        };
        waiter.timer = clock.setTimeout(() => {
          leave();
          signal?.removeEventListener('abort', onAbort);
          reject(new LockTimeoutError({ accountId, waitedMs: wait }));
        }, wait);
        signal?.addEventListener('abort', onAbort, { once: true });
        queue.push(waiter);
      });
    },
    async close() {
      for (const t of expiryTimers.values()) clock.clearTimeout(t);
      expiryTimers.clear();
    },
  };
}
