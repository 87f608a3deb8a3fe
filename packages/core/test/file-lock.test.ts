import { lstat, lutimes, readdir, readFile, readlink, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { createFileLock, InvalidInputError, LockTimeoutError, type LeaseV1 } from '../src';
import { createFakeClock } from '../src/testing';
import { tempDir } from './fixtures/child';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((c) => c()));
});

async function lockDir(): Promise<string> {
  const tmp = await tempDir('lock');
  cleanups.push(tmp.cleanup);
  return join(tmp.path, 'locks');
}

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

// A lock is a symlink whose target is its record (Windows: a regular file).
const lockText = async (dir: string, id: string) => {
  const path = join(dir, `${id}.lock`);
  return process.platform === 'win32' ? await readFile(path, 'utf8') : await readlink(path);
};

/** Parses a record `tl1:<pid>:<crc32 of the hostname>:<nonce>:<expiresAt in base 36>`. */
function parseCompact(text: string): { pid: number; hostTag: string; nonce: string; expiresAt: number } {
  const m = /^tl1:(\d+):([0-9a-f]{8}):([0-9a-z]+):([0-9a-z]+)$/.exec(text);
  if (!m) throw new Error(`not a compact lock record: ${text}`);
  return { pid: Number(m[1]), hostTag: m[2]!, nonce: m[3]!, expiresAt: parseInt(m[4]!, 36) };
}

const lockFile = async (dir: string, id: string) => parseCompact(await lockText(dir, id));
const HOST_TAG = crc32(hostname()).toString(16).padStart(8, '0');
/** 8 hex digits per process, then a base-36 count. */
const NONCE = /^[0-9a-f]{8}[0-9a-z]+$/;
/** ext4 keeps a symlink target shorter than 60 bytes in the inode. */
const FAST_SYMLINK_MAX = 59;

describe('file lock in one process', () => {
  it('writes a compact record { pid, host, nonce, expiresAt } and removes it on release', async () => {
    const dir = await lockDir();
    const clock = createFakeClock();
    const lock = createFileLock({ dir, clock });
    expect(lock.scope).toBe('host');
    const lease = await lock.acquire('acct', { ttlMs: 30_000 });
    expect(lease.fencingToken).toBe(1);
    expect(lease.expiresAt).toBe(clock.now() + 30_000);
    const content = await lockFile(dir, 'acct');
    expect(content).toMatchObject({ pid: process.pid, hostTag: HOST_TAG, expiresAt: lease.expiresAt });
    expect(content.nonce).toMatch(NONCE);
    if (process.platform !== 'win32') {
      // Only the owner can enter the directory; a symlink has no mode of its own.
      expect((await stat(dir)).mode & 0o777).toBe(0o700);
      expect((await lstat(join(dir, 'acct.lock'))).isSymbolicLink()).toBe(true);
    }
    await lease.release();
    await lease.release(); // idempotent
    expect(await readdir(dir)).toEqual(['fencing-counter']);
  });

  it.runIf(process.platform !== 'win32')('keeps the record short enough for a fast symlink, also when extended', async () => {
    const dir = await lockDir();
    const lock = createFileLock({ dir });
    const path = join(dir, 'acct.lock');
    const YEAR = 365 * 24 * 3600_000;
    const nonces = new Set<string>();
    const check = async (lease: LeaseV1) => {
      const text = await readlink(path);
      expect(Buffer.byteLength(text), text).toBeLessThanOrEqual(FAST_SYMLINK_MAX);
      expect((await lstat(path)).size).toBe(Buffer.byteLength(text));
      const record = parseCompact(text);
      expect(record).toMatchObject({ pid: process.pid, hostTag: HOST_TAG, expiresAt: lease.expiresAt });
      return record;
    };
    // A long real-time expiry, and enough leases for the nonce count to grow.
    for (let i = 0; i < 50; i++) {
      const lease = await lock.acquire('acct', { ttlMs: YEAR });
      nonces.add((await check(lease)).nonce);
      await lease.release();
    }
    expect(nonces.size).toBe(50);
    const lease = await lock.acquire('acct', { ttlMs: YEAR });
    const first = await check(lease);
    expect(await lease.extend(10 * YEAR)).toBe(true);
    expect(await check(lease)).toEqual({ ...first, expiresAt: lease.expiresAt });
    expect(lease.expiresAt).toBeGreaterThan(first.expiresAt);
    await lease.release();
  });

  it('hands out strictly increasing fencing tokens, also across instances', async () => {
    const dir = await lockDir();
    const tokens: number[] = [];
    for (let i = 0; i < 3; i++) {
      const lock = createFileLock({ dir });
      for (let j = 0; j < 3; j++) {
        const lease = await lock.acquire('acct', { ttlMs: 5000 });
        tokens.push(lease.fencingToken);
        await lease.release();
      }
    }
    expect(tokens).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // One counter for every account of the directory: increasing, not consecutive per account.
    const other = await createFileLock({ dir }).acquire('other', { ttlMs: 5000 });
    expect(other.fencingToken).toBe(10);
    const again = await createFileLock({ dir }).acquire('acct', { ttlMs: 5000 });
    expect(again.fencingToken).toBe(11);
    await Promise.all([other.release(), again.release()]);
    expect(await readdir(dir)).toEqual(['fencing-counter']);
  });

  it('a waiter gets the lock when the holder releases', async () => {
    const dir = await lockDir();
    const a = createFileLock({ dir, pollMs: 5 });
    const b = createFileLock({ dir, pollMs: 5 });
    const first = await a.acquire('acct', { ttlMs: 10_000 });
    const order: string[] = [];
    const waiting = b.acquire('acct', { ttlMs: 10_000, waitMs: 5000 }).then((l) => {
      order.push('b');
      return l;
    });
    await new Promise((r) => setImmediate(r));
    order.push('a-release');
    await first.release();
    const second = await waiting;
    expect(order).toEqual(['a-release', 'b']);
    expect(second.fencingToken).toBe(first.fencingToken + 1);
    await second.release();
  });

  it('times out with LockTimeoutError while a live holder keeps it', async () => {
    const dir = await lockDir();
    const holder = await createFileLock({ dir }).acquire('acct', { ttlMs: 60_000 });
    const held = await lockText(dir, 'acct');
    const started = Date.now();
    const error = await rejection(createFileLock({ dir, pollMs: 10 }).acquire('acct', { ttlMs: 1000, waitMs: 120 }));
    expect(LockTimeoutError.isInstance(error)).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(110);
    // The waiter left the holder's record alone.
    expect(await lockText(dir, 'acct')).toBe(held);
    expect(parseCompact(held)).toMatchObject({ pid: process.pid, expiresAt: holder.expiresAt });
    const aborted = new AbortController();
    const pending = rejection(createFileLock({ dir, pollMs: 10 }).acquire('acct', { ttlMs: 1000, waitMs: 10_000, signal: aborted.signal }));
    aborted.abort(new Error('stop'));
    expect((await pending).message).toBe('stop');
    await holder.release();
  });

  it('takes over an expired lease; the old holder can no longer release or extend', async () => {
    const dir = await lockDir();
    const clock = createFakeClock();
    const a = createFileLock({ dir, clock });
    const b = createFileLock({ dir, clock });
    const old = await a.acquire('acct', { ttlMs: 1000 });
    const before = await lockFile(dir, 'acct');
    expect(await old.extend(2000)).toBe(true);
    expect(old.expiresAt).toBe(clock.now() + 2000);
    // Same instance (nonce), new expiry.
    expect(await lockFile(dir, 'acct')).toEqual({ ...before, expiresAt: old.expiresAt });
    await clock.advance(2001);
    const fresh = await b.acquire('acct', { ttlMs: 1000, waitMs: 0 });
    expect(fresh.fencingToken).toBeGreaterThan(old.fencingToken);
    await old.release(); // not the owner any more: a no-op
    expect(await old.extend(1000)).toBe(false);
    const content = await lockFile(dir, 'acct');
    expect(content.nonce).not.toBe(before.nonce);
    expect(content.expiresAt).toBe(fresh.expiresAt);
    expect(LockTimeoutError.isInstance(await rejection(a.acquire('acct', { ttlMs: 1000, waitMs: 50 })))).toBe(true);
    await fresh.release();
    const third = await a.acquire('acct', { ttlMs: 1000, waitMs: 0 });
    expect(third.fencingToken).toBe(fresh.fencingToken + 1);
    await a.close();
    expect(await readdir(dir)).toEqual(['fencing-counter']);
  });

  it('takes over a regular-file lock (an earlier version, or a filesystem without symlinks) once its lease ran out', async () => {
    const dir = await lockDir();
    const clock = createFakeClock();
    const record = { pid: process.pid, hostname: hostname(), nonce: 'fffffffffffffffffffffff1', expiresAt: clock.now() + 1000, createdAt: clock.now(), fencingToken: 7 };
    const lock = createFileLock({ dir, clock, pollMs: 5 });
    await writeFile(join(dir, 'acct.lock'), JSON.stringify(record), { mode: 0o600 });
    expect(LockTimeoutError.isInstance(await rejection(lock.acquire('acct', { ttlMs: 1000, waitMs: 30 })))).toBe(true);
    await clock.advance(1001);
    const lease = await lock.acquire('acct', { ttlMs: 1000, waitMs: 0 });
    expect(await lockFile(dir, 'acct')).toMatchObject({ pid: process.pid, expiresAt: lease.expiresAt });
    expect((await lockFile(dir, 'acct')).nonce).not.toBe(record.nonce);
    await lease.release();
    expect(await readdir(dir)).toEqual(['fencing-counter']);
  });

  it.runIf(process.platform !== 'win32')('leaves a foreign, unparseable lock alone for 10 s of its age, then breaks it', async () => {
    const dir = await lockDir();
    const lock = createFileLock({ dir, pollMs: 5 });
    for (const [name, make, age] of [
      ['a', (p: string) => symlink('not a lock record', p), (p: string, t: number) => lutimes(p, t, t)],
      ['b', (p: string) => writeFile(p, '{"half": '), (p: string, t: number) => utimes(p, t, t)],
    ] as const) {
      const path = join(dir, `${name}.lock`);
      await make(path);
      expect(LockTimeoutError.isInstance(await rejection(lock.acquire(name, { ttlMs: 1000, waitMs: 30 }))), name).toBe(true);
      await age(path, (Date.now() - 11_000) / 1000);
      const lease = await lock.acquire(name, { ttlMs: 1000, waitMs: 100 });
      expect((await lockFile(dir, name)).nonce).toMatch(NONCE);
      await lease.release();
    }
    expect(await readdir(dir)).toEqual(['fencing-counter']);
  });

  it('rejects invalid account ids', async () => {
    const lock = createFileLock({ dir: await lockDir() });
    for (const id of ['../x', '', 'a'.repeat(129)]) {
      expect(InvalidInputError.isInstance(await rejection(lock.acquire(id, { ttlMs: 1000 })))).toBe(true);
    }
  });

  it('serialises many concurrent acquirers in one process', async () => {
    const dir = await lockDir();
    const locks = Array.from({ length: 4 }, () => createFileLock({ dir, pollMs: 2 }));
    let inside = 0;
    let maxInside = 0;
    const tokens: number[] = [];
    await Promise.all(
      locks.map(async (lock) => {
        for (let i = 0; i < 5; i++) {
          const lease: LeaseV1 = await lock.acquire('acct', { ttlMs: 10_000, waitMs: 10_000 });
          inside++;
          maxInside = Math.max(maxInside, inside);
          tokens.push(lease.fencingToken);
          await new Promise((r) => setTimeout(r, 1));
          inside--;
          await lease.release();
        }
      }),
    );
    expect(maxInside).toBe(1);
    expect(tokens).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
  });
});
