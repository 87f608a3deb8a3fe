import { join, resolve } from 'node:path';
import type { ClockV1 } from '../contracts/clock';
import type { AcquireOptionsV1, LeaseV1, LockV1 } from '../contracts/lock';
import { assertAccountId } from '../account-id';
import { createSystemClock } from '../clock/system-clock';
import { InvalidInputError, LockTimeoutError, TokensError } from '../errors';
import { advanceFence } from '../stores/file/fence-file';
import { acquireLockFile, removeOwnLock, replaceOwnLock, type LockRecord } from '../stores/file/lockfile';
import { ensurePrivateDir } from '../stores/file/private-dir';

export interface FileLockOptions {
  /** Directory for the `<accountId>.lock` files and the fencing counter; created 0700. */
  dir: string;
  /** Lease expiry is judged on this clock. Polling for the lock always uses real time. */
  clock?: ClockV1;
  /** How often a waiter looks at the lock file, in ms. Default 25. */
  pollMs?: number;
}

export interface FileLock extends LockV1 {
  readonly scope: 'host';
  readonly dir: string;
  /** Releases every lease this instance still holds. */
  close(): Promise<void>;
}

/*
 * Fencing tokens come from the directory's `fencing-counter` (see fence-file.ts): a durable
 * ceiling, raised before anyone receives a token above the old one. Tokens are strictly
 * increasing per account across every process on the host and across restarts, not
 * consecutive: a process reserves a block of them at a time, for all accounts, and a crash
 * skips the rest.
 */

/**
 * A lock for the processes of one host, with leases and fencing tokens: `<dir>/<accountId>.lock`
 * holds `{ pid, hostname, nonce, expiresAt }` and is created exclusively. A
 * waiter takes over when the holder's pid is dead or its lease expired (see lockfile.ts for
 * why a takeover never removes a lock someone else just created). Only the holder (same
 * nonce) can release or extend.
 *
 * Waiters poll with unref'd timers, so a waiting lock never keeps an otherwise finished
 * process alive; a short script that only waits for the lock must keep itself alive.
 */
export function createFileLock(options: FileLockOptions): FileLock {
  const dir = resolve(options.dir);
  const clock = options.clock ?? createSystemClock();
  const realClock = createSystemClock();
  const realNow = () => realClock.now();
  const pollMs = options.pollMs ?? 25;
  ensurePrivateDir(dir, 'lock directory');
  const held = new Set<LeaseV1>();
  // A lease on real time is released or extended without a removal ticket while it is
  // comfortably live (see lockfile.ts); with a custom clock we cannot tell, so always ticketed.
  const leaseEnd = (r: LockRecord) => (options.clock === undefined ? r.expiresAt : undefined);

  const lockPath = (id: string) => join(dir, `${id}.lock`);

  async function acquire(accountId: string, { ttlMs, waitMs, signal }: AcquireOptionsV1): Promise<LeaseV1> {
    assertAccountId(accountId);
    if (!(typeof ttlMs === 'number' && ttlMs > 0 && Number.isFinite(ttlMs))) {
      throw new InvalidInputError({ field: 'ttlMs', message: 'Lock ttlMs must be a positive number of milliseconds.' });
    }
    const wait = Math.max(0, waitMs ?? ttlMs);
    const path = lockPath(accountId);
    const record = await acquireLockFile(path, { ttlMs, waitMs: wait, pollMs, now: () => clock.now(), realNow, ref: false, signal });
    if (!record) throw new LockTimeoutError({ accountId, waitedMs: wait });
    let fencingToken: number;
    try {
      // The next fencing token, durable before anyone sees it.
      fencingToken = await advanceFence(dir, accountId, realNow);
    } catch (error) {
      await removeOwnLock(path, record.nonce, realNow, leaseEnd(record)).catch(() => {});
      if (TokensError.isInstance(error)) throw error;
      const code = (error as NodeJS.ErrnoException).code ?? 'unknown error';
      throw new TokensError({ message: `File lock could not update the fencing counter in ${dir} (${code}).`, code: 'STORE_ERROR', isRetryable: true, cause: error });
    }
    return lease(accountId, path, record, fencingToken);
  }

  function lease(accountId: string, path: string, first: LockRecord, fencingToken: number): LeaseV1 {
    let current = first;
    let released = false;
    const lease: LeaseV1 = {
      accountId,
      fencingToken,
      get expiresAt() {
        return current.expiresAt;
      },
      async extend(ms) {
        if (released || current.expiresAt <= clock.now()) return false;
        const next = { ...current, expiresAt: clock.now() + ms };
        if (!(await replaceOwnLock(path, next, realNow, leaseEnd(current)))) return false;
        current = next;
        return true;
      },
      async release() {
        if (released) return;
        released = true;
        held.delete(lease);
        await removeOwnLock(path, current.nonce, realNow, leaseEnd(current));
      },
    };
    held.add(lease);
    return lease;
  }

  return {
    specificationVersion: 'v1',
    scope: 'host',
    dir,
    acquire,
    async close() {
      await Promise.all([...held].map((l) => l.release().catch(() => {})));
    },
  };
}
