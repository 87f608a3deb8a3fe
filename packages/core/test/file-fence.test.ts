import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createFileLock, createFileTokenStore, Secret, StoreCorruptionError } from '../src';
import { tempDir } from './fixtures/child';

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
  it('keeps two checksummed slots in separate blocks and overwrites the older one', async () => {
    const dir = await lockDir();
    expect(await takeOne(dir, 'acct')).toBe(1);
    expect((await stat(join(dir, 'acct.fence'))).size).toBe(2 * SLOT);
    expect((await slots(dir, 'acct')).map((s) => s.token)).toEqual([1, 1]);
    expect(await takeOne(dir, 'acct')).toBe(2);
    expect((await slots(dir, 'acct')).map((s) => s.token)).toEqual([2, 1]);
    expect(await takeOne(dir, 'acct')).toBe(3);
    expect((await slots(dir, 'acct')).map((s) => s.token)).toEqual([2, 3]);
    expect(await takeOne(dir, 'acct')).toBe(4);
    expect((await slots(dir, 'acct')).map((s) => s.token)).toEqual([4, 3]);
  });

  it('continues from a counter written by earlier versions (one JSON object) and converts it', async () => {
    const dir = await lockDir();
    expect(await takeOne(dir, 'other')).toBe(1); // creates the directory
    await writeFile(join(dir, 'acct.fence'), `${JSON.stringify({ accountId: 'acct', fencingToken: 41 })}\n`);
    expect(await takeOne(dir, 'acct')).toBe(42);
    expect((await slots(dir, 'acct')).map((s) => s.token)).toEqual([42, 42]);
    expect(await takeOne(dir, 'acct')).toBe(43);
  });

  it('a torn write of the next value (the older slot) costs nothing: the current value survives in the other block', async () => {
    const dir = await lockDir();
    for (let i = 1; i <= 3; i++) expect(await takeOne(dir, 'acct')).toBe(i);
    const path = join(dir, 'acct.fence');
    const bytes = await readFile(path);
    const older = (await slots(dir, 'acct')).findIndex((s) => s.token === 2);
    // As if the machine died while writing 4 over the 2: half a line, wrong checksum.
    bytes.write('tokens.fence/v2 acct 4 0000', older * SLOT, 'latin1');
    await writeFile(path, bytes);
    expect(await takeOne(dir, 'acct')).toBe(4);
    expect((await slots(dir, 'acct')).map((s) => s.token).sort()).toEqual([3, 4]);
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
