import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { createFileLock, createFileTokenStore, Secret, StoreCorruptionError } from '../src';
import { assertBuilt, kill, runFixture, tempDir } from './fixtures/child';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((c) => c()));
});

async function lockDir(): Promise<string> {
  const tmp = await tempDir('fence');
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

const SLOT = 4096;
/** Tokens a process reserves per durable write (fence-file.ts). */
const RESERVE = 1000;

/** Writes a valid slot, as another process reserving up to `ceiling` would. */
async function writeSlot(dir: string, id: string, index: 0 | 1, ceiling: number): Promise<void> {
  const path = join(dir, `${id}.fence`);
  const bytes = await readFile(path);
  const line = `tokens.fence/v2 ${id} ${ceiling} ${crc32(`tokens.fence/v2 ${id} ${ceiling}`).toString(16).padStart(8, '0')}`;
  bytes.fill(0x20, index * SLOT, (index + 1) * SLOT - 1);
  bytes.write(line, index * SLOT, 'latin1');
  await writeFile(path, bytes);
}

/** The two slot lines of a fence file, as [token, line] (token undefined when the line is not a slot). */
async function slots(dir: string, id: string): Promise<Array<{ token: number | undefined; line: string }>> {
  const bytes = await readFile(join(dir, `${id}.fence`));
  return [0, SLOT].map((at) => {
    const line = bytes.toString('latin1', at, at + SLOT).trimEnd();
    const m = /^tokens\.fence\/v2 (\S+) (\d+) [0-9a-f]{8}$/.exec(line);
    return { token: m && m[1] === id ? Number(m[2]) : undefined, line };
  });
}

async function takeOne(dir: string, id: string): Promise<number> {
  const lease = await createFileLock({ dir }).acquire(id, { ttlMs: 5000 });
  await lease.release();
  return lease.fencingToken;
}

describe('file lock fencing counter', () => {
  it('reserves a block of tokens with one durable write, then hands them out without writing', async () => {
    const dir = await lockDir();
    expect(await takeOne(dir, 'acct')).toBe(1);
    expect((await stat(join(dir, 'acct.fence'))).size).toBe(2 * SLOT);
    expect((await slots(dir, 'acct')).map((s) => s.token)).toEqual([RESERVE, RESERVE]);
    const written = await readFile(join(dir, 'acct.fence'));
    // New lock instances in the same process share the reservation.
    for (const expected of [2, 3, 4]) expect(await takeOne(dir, 'acct')).toBe(expected);
    expect(await readFile(join(dir, 'acct.fence'))).toEqual(written);
  });

  it('after another process reserved, reserves again above its ceiling, over the older slot', async () => {
    const dir = await lockDir();
    expect(await takeOne(dir, 'acct')).toBe(1);
    // Another process took the lock and reserved up to 2000 (over slot 0: the slots were equal).
    await writeSlot(dir, 'acct', 0, 2 * RESERVE);
    expect(await takeOne(dir, 'acct')).toBe(2 * RESERVE + 1);
    expect((await slots(dir, 'acct')).map((s) => s.token)).toEqual([2 * RESERVE, 3 * RESERVE]);
    expect(await takeOne(dir, 'acct')).toBe(2 * RESERVE + 2);
    // And again: the other process's next ceiling goes over the older slot (2000).
    await writeSlot(dir, 'acct', 0, 4 * RESERVE);
    expect(await takeOne(dir, 'acct')).toBe(4 * RESERVE + 1);
    expect((await slots(dir, 'acct')).map((s) => s.token)).toEqual([4 * RESERVE, 5 * RESERVE]);
  });

  it('uses up a reservation, then reserves the next block', async () => {
    const dir = await lockDir();
    const lock = createFileLock({ dir });
    const tokens: number[] = [];
    for (let i = 0; i < RESERVE + 2; i++) {
      const lease = await lock.acquire('acct', { ttlMs: 5000 });
      tokens.push(lease.fencingToken);
      await lease.release();
    }
    expect(tokens).toEqual(Array.from({ length: RESERVE + 2 }, (_, i) => i + 1));
    expect((await slots(dir, 'acct')).map((s) => s.token)).toEqual([2 * RESERVE, RESERVE]);
  });

  it('continues from a counter written by earlier versions (one JSON object) and converts it', async () => {
    const dir = await lockDir();
    expect(await takeOne(dir, 'other')).toBe(1); // creates the directory
    await writeFile(join(dir, 'acct.fence'), `${JSON.stringify({ accountId: 'acct', fencingToken: 41 })}\n`);
    expect(await takeOne(dir, 'acct')).toBe(42);
    expect((await slots(dir, 'acct')).map((s) => s.token)).toEqual([41 + RESERVE, 41 + RESERVE]);
    expect(await takeOne(dir, 'acct')).toBe(43);
  });

  it('a torn write of a new ceiling loses nothing: a restarted process goes on above the intact one', async () => {
    assertBuilt();
    const dir = await lockDir();
    expect(await takeOne(dir, 'acct')).toBe(1);
    await writeSlot(dir, 'acct', 0, 2 * RESERVE);
    expect(await takeOne(dir, 'acct')).toBe(2 * RESERVE + 1); // slots [2000, 3000]
    // As if the machine died while writing 4000 over the 2000: half a line, wrong checksum.
    const path = join(dir, 'acct.fence');
    const bytes = await readFile(path);
    bytes.write('tokens.fence/v2 acct 4000 0000', 0, 'latin1');
    await writeFile(path, bytes);
    // A new process knows only the file.
    const holder = runFixture('file-lock-holder.mjs', [dir, 'acct', '600000']);
    try {
      const { fencingToken } = JSON.parse(await holder.nextLine()) as { fencingToken: number };
      expect(fencingToken).toBe(3 * RESERVE + 1);
    } finally {
      await kill(holder);
    }
    expect((await slots(dir, 'acct')).map((s) => s.token)).toEqual([4 * RESERVE, 3 * RESERVE]);
  });

  it('refuses to guess when no slot is readable, and hands out nothing', async () => {
    const dir = await lockDir();
    expect(await takeOne(dir, 'acct')).toBe(1);
    await writeFile(join(dir, 'acct.fence'), Buffer.alloc(2 * SLOT, 0x41));
    const lock = createFileLock({ dir });
    const error = await rejection(lock.acquire('acct', { ttlMs: 5000 }));
    expect(StoreCorruptionError.isInstance(error)).toBe(true);
    expect(error.message).toContain('acct.fence is unreadable');
    expect(await readdir(dir)).toEqual(['acct.fence']); // the lock was given back
    // Same for an old-format counter without a number.
    await writeFile(join(dir, 'acct.fence'), '{"accountId":"acct","fencingToken":"7"}\n');
    expect(StoreCorruptionError.isInstance(await rejection(lock.acquire('acct', { ttlMs: 5000 })))).toBe(true);
    // Slots naming another account do not count either.
    expect(await takeOne(dir, 'acct2')).toBe(1);
    await writeFile(join(dir, 'other.fence'), await readFile(join(dir, 'acct2.fence')));
    expect(StoreCorruptionError.isInstance(await rejection(lock.acquire('other', { ttlMs: 5000 })))).toBe(true);
  });

  it('concurrent refresh cycles over many accounts: every account gets 1..n, every write lands', async () => {
    const tmp = await tempDir('fence-many');
    cleanups.push(tmp.cleanup);
    const lock = createFileLock({ dir: join(tmp.path, 'locks') });
    const store = createFileTokenStore({ dir: join(tmp.path, 'store') });
    cleanups.push(() => store.close());
    const accounts = Array.from({ length: 40 }, (_, i) => `acct-${i}`);
    const tokens = new Map<string, number[]>(accounts.map((id) => [id, []]));
    const rounds = 4;
    // All accounts at once, so fsyncs go to the thread pool and directory fsyncs are shared.
    await Promise.all(
      accounts.flatMap((id) =>
        Array.from({ length: rounds }, async () => {
          const lease = await lock.acquire(id, { ttlMs: 10_000, waitMs: 10_000 });
          try {
            tokens.get(id)!.push(lease.fencingToken);
            const stored = await store.get(id);
            const now = Date.now();
            await store.put(
              id,
              { broker: 'b', tokenSet: { accessToken: new Secret(`t-${lease.fencingToken}`), issuedAt: now, expiresAt: now + 60_000 } },
              { expectedVersion: stored?.version ?? 0, fencingToken: lease.fencingToken },
            );
          } finally {
            await lease.release();
          }
        }),
      ),
    );
    for (const id of accounts) {
      expect(tokens.get(id), id).toEqual([1, 2, 3, 4]);
      const record = await store.get(id);
      expect(record).toMatchObject({ version: rounds, fencingToken: rounds });
      expect(record!.tokenSet.accessToken.reveal()).toBe(`t-${rounds}`);
    }
    expect((await readdir(join(tmp.path, 'locks'))).filter((n) => !n.endsWith('.fence'))).toEqual([]);
  });
});
