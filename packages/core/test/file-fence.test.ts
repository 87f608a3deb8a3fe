import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { createFileLock, createFileTokenStore, Secret, StoreCorruptionError } from '../src';
import { assertBuilt, kill, runFixture, tempDir } from './fixtures/child';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((c) => c()));
});

/** A fresh lock directory, created (0700) by a first lock instance. */
async function lockDir(): Promise<string> {
  const tmp = await tempDir('fence');
  cleanups.push(tmp.cleanup);
  const dir = join(tmp.path, 'locks');
  createFileLock({ dir });
  return dir;
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
/** The one counter of a lock directory, for all accounts. */
const COUNTER = 'fencing-counter';

/** One checksummed slot line; the shared counter's scope is `*`, a legacy file names its account. */
const slotLine = (scope: string, value: number) => `tokens.fence/v2 ${scope} ${value} ${crc32(`tokens.fence/v2 ${scope} ${value}`).toString(16).padStart(8, '0')}`;

/** A whole two-slot file as fence-file.ts writes it: each slot padded with spaces, ending in a newline. */
function twoSlots(scope: string, a: number, b: number): Buffer {
  const bytes = Buffer.alloc(2 * SLOT, 0x20);
  for (const [index, value] of [a, b].entries()) {
    bytes.write(slotLine(scope, value), index * SLOT, 'latin1');
    bytes[(index + 1) * SLOT - 1] = 0x0a;
  }
  return bytes;
}

/** Writes a valid slot into the counter, as another process reserving up to `ceiling` would. */
async function writeSlot(dir: string, index: 0 | 1, ceiling: number): Promise<void> {
  const path = join(dir, COUNTER);
  const bytes = await readFile(path);
  bytes.fill(0x20, index * SLOT, (index + 1) * SLOT - 1);
  bytes.write(slotLine('*', ceiling), index * SLOT, 'latin1');
  await writeFile(path, bytes);
}

/** The ceilings in the counter's two slots (undefined where a slot is not a valid `*` line). */
async function slots(dir: string): Promise<Array<number | undefined>> {
  const bytes = await readFile(join(dir, COUNTER));
  return [0, SLOT].map((at) => {
    const m = /^tokens\.fence\/v2 (\S+) (\d+) ([0-9a-f]{8})$/.exec(bytes.toString('latin1', at, at + SLOT).trimEnd());
    return m && m[1] === '*' && m[0] === slotLine('*', Number(m[2])) ? Number(m[2]) : undefined;
  });
}

async function takeOne(dir: string, id: string): Promise<number> {
  const lease = await createFileLock({ dir }).acquire(id, { ttlMs: 5000 });
  await lease.release();
  return lease.fencingToken;
}

describe('file lock fencing counter', () => {
  it('reserves a block of tokens for all accounts with one durable write, then hands them out without writing', async () => {
    const dir = await lockDir();
    expect(await takeOne(dir, 'a')).toBe(1);
    // Exactly two 4 KiB slots, both holding the first ceiling.
    expect(await readFile(join(dir, COUNTER))).toEqual(twoSlots('*', RESERVE, RESERVE));
    const written = await readFile(join(dir, COUNTER));
    // Other accounts and new lock instances in the same process share the reservation: tokens
    // go on from it, strictly increasing, and nothing is written.
    const tokens: number[] = [];
    for (const id of ['b', 'a', 'c', 'b']) tokens.push(await takeOne(dir, id));
    expect(tokens).toEqual([2, 3, 4, 5]);
    expect(await readFile(join(dir, COUNTER))).toEqual(written);
    // No per-account counter, and the reservation mutex is gone.
    expect(await readdir(dir)).toEqual([COUNTER]);
  });

  it('after another process reserved, reserves again above its ceiling, over the older slot', async () => {
    const dir = await lockDir();
    expect(await takeOne(dir, 'a')).toBe(1);
    // Another process reserved up to 2000 (over slot 0: the slots were equal).
    await writeSlot(dir, 0, 2 * RESERVE);
    // Our reservation (up to 1000) is dropped, for every account.
    expect(await takeOne(dir, 'b')).toBe(2 * RESERVE + 1);
    expect(await slots(dir)).toEqual([2 * RESERVE, 3 * RESERVE]);
    expect(await takeOne(dir, 'a')).toBe(2 * RESERVE + 2);
    // And again: the other process's next ceiling goes over the older slot (2000).
    await writeSlot(dir, 0, 4 * RESERVE);
    expect(await takeOne(dir, 'c')).toBe(4 * RESERVE + 1);
    expect(await slots(dir)).toEqual([4 * RESERVE, 5 * RESERVE]);
    expect(await readdir(dir)).toEqual([COUNTER]);
  });

  it('uses up a reservation over several accounts, then reserves the next block', async () => {
    const dir = await lockDir();
    const lock = createFileLock({ dir });
    const tokens: number[] = [];
    let afterFirst: Buffer | undefined;
    for (let i = 0; i < RESERVE + 2; i++) {
      const lease = await lock.acquire(`acct-${i % 3}`, { ttlMs: 5000 });
      tokens.push(lease.fencingToken);
      await lease.release();
      if (i === 0) afterFirst = await readFile(join(dir, COUNTER));
      // The whole first block came from that one write.
      if (i === RESERVE - 1) expect(await readFile(join(dir, COUNTER))).toEqual(afterFirst);
    }
    expect(tokens).toEqual(Array.from({ length: RESERVE + 2 }, (_, i) => i + 1));
    expect(await slots(dir)).toEqual([2 * RESERVE, RESERVE]);
  });

  it('starts above the per-account counters of earlier versions, for any account, and leaves them alone', async () => {
    const dir = await lockDir();
    // One JSON object (the first format) and a v2 two-slot file naming its account.
    const legacyA = `${JSON.stringify({ accountId: 'a', fencingToken: 41 })}\n`;
    const legacyB = twoSlots('b', 75, 70);
    await writeFile(join(dir, 'a.fence'), legacyA);
    await writeFile(join(dir, 'b.fence'), legacyB);
    // Above the highest of them (b's 75), also for `a`, whose own counter was at 41.
    expect(await takeOne(dir, 'a')).toBe(76);
    expect(await slots(dir)).toEqual([75 + RESERVE, 75 + RESERVE]);
    expect(await takeOne(dir, 'new')).toBe(77);
    expect(await takeOne(dir, 'b')).toBe(78);
    expect((await readdir(dir)).sort()).toEqual(['a.fence', 'b.fence', COUNTER]);
    expect(await readFile(join(dir, 'a.fence'), 'utf8')).toBe(legacyA);
    expect(await readFile(join(dir, 'b.fence'))).toEqual(legacyB);
    // Once the shared counter exists they are not read again, even when it is time to reserve.
    await writeFile(join(dir, 'a.fence'), 'garbage');
    await writeFile(join(dir, 'b.fence'), twoSlots('b', 90_000, 90_000));
    await writeSlot(dir, 0, 75 + 2 * RESERVE);
    expect(await takeOne(dir, 'b')).toBe(76 + 2 * RESERVE);
    expect(await slots(dir)).toEqual([75 + 2 * RESERVE, 75 + 3 * RESERVE]);
  });

  it('refuses to start the shared counter over a corrupt per-account counter, and hands out nothing', async () => {
    const dir = await lockDir();
    const lock = createFileLock({ dir });
    for (const [name, content] of [
      ['a.fence', '{"accountId":"a","fencingToken":"7"}\n'],
      ['a.fence', '{"accountId":"a","fencingToken":-1}\n'],
      ['a.fence', Buffer.alloc(2 * SLOT, 0x41)],
      // Valid slots, but naming another account than the file's.
      ['other.fence', twoSlots('b', 75, 75)],
    ] as const) {
      await writeFile(join(dir, name), content);
      const error = await rejection(lock.acquire('x', { ttlMs: 5000 }));
      expect(StoreCorruptionError.isInstance(error), name).toBe(true);
      expect(error.message).toContain(`${name} is unreadable`);
      // No counter created, the lock and the mutex given back.
      expect(await readdir(dir)).toEqual([name]);
      await rm(join(dir, name));
    }
    // Nothing was reserved or handed out meanwhile: the counter starts from the legacy value.
    await writeFile(join(dir, 'a.fence'), '{"accountId":"a","fencingToken":9}\n');
    expect(await takeOne(dir, 'x')).toBe(10);
  });

  it('a torn write of a new ceiling loses nothing: a new process goes on above the intact one', async () => {
    assertBuilt();
    const dir = await lockDir();
    expect(await takeOne(dir, 'a')).toBe(1);
    await writeSlot(dir, 0, 2 * RESERVE);
    expect(await takeOne(dir, 'b')).toBe(2 * RESERVE + 1); // slots [2000, 3000]
    // As if the machine died while writing 4000 over the 2000: half a line, wrong checksum.
    const path = join(dir, COUNTER);
    const bytes = await readFile(path);
    bytes.write('tokens.fence/v2 * 4000 0000', 0, 'latin1');
    await writeFile(path, bytes);
    expect(await slots(dir)).toEqual([undefined, 3 * RESERVE]);
    // A new process knows only the file.
    const holder = runFixture('file-lock-holder.mjs', [dir, 'a', '600000']);
    try {
      const { fencingToken } = JSON.parse(await holder.nextLine()) as { fencingToken: number };
      expect(fencingToken).toBe(3 * RESERVE + 1);
      expect(await slots(dir)).toEqual([4 * RESERVE, 3 * RESERVE]);
      // This process sees that the ceiling is no longer its own and reserves above it.
      expect(await takeOne(dir, 'b')).toBe(4 * RESERVE + 1);
      expect(await slots(dir)).toEqual([4 * RESERVE, 5 * RESERVE]);
    } finally {
      await kill(holder);
    }
  });

  it('refuses to guess when no slot of the counter is readable, and gives the lock back', async () => {
    const dir = await lockDir();
    expect(await takeOne(dir, 'a')).toBe(1);
    const lock = createFileLock({ dir });
    for (const content of [
      Buffer.alloc(2 * SLOT, 0x41),
      // Valid slots of a per-account counter do not count for the shared one.
      twoSlots('a', 5000, 5000),
      // Cut short.
      Buffer.from(slotLine('*', 5000)),
    ]) {
      await writeFile(join(dir, COUNTER), content);
      // Even in the middle of this process's reservation, and for any account.
      for (const id of ['a', 'b']) {
        const error = await rejection(lock.acquire(id, { ttlMs: 5000 }));
        expect(StoreCorruptionError.isInstance(error), id).toBe(true);
        expect(error.message).toContain('fencing-counter is unreadable');
        expect(await readdir(dir)).toEqual([COUNTER]); // no `.lock`, no mutex
        expect(await readFile(join(dir, COUNTER))).toEqual(content); // and left as it was
      }
    }
  });

  it('concurrent refresh cycles over many accounts: increasing tokens per account, every write lands', async () => {
    const tmp = await tempDir('fence-many');
    cleanups.push(tmp.cleanup);
    const lock = createFileLock({ dir: join(tmp.path, 'locks') });
    const store = createFileTokenStore({ dir: join(tmp.path, 'store') });
    cleanups.push(() => store.close());
    const accounts = Array.from({ length: 40 }, (_, i) => `acct-${i}`);
    const tokens = new Map<string, number[]>(accounts.map((id) => [id, []]));
    const rounds = 4;
    // All accounts at once, so leases of many accounts wait for the same reservation.
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
      const mine = tokens.get(id)!;
      expect(mine, id).toHaveLength(rounds);
      for (let i = 1; i < rounds; i++) expect(mine[i]!, id).toBeGreaterThan(mine[i - 1]!);
      const last = mine[rounds - 1]!;
      const record = await store.get(id);
      expect(record).toMatchObject({ version: rounds, fencingToken: last });
      expect(record!.tokenSet.accessToken.reveal()).toBe(`t-${last}`);
    }
    // One process, one reservation: every token of it handed out once, to one account.
    expect([...tokens.values()].flat().sort((x, y) => x - y)).toEqual(Array.from({ length: accounts.length * rounds }, (_, i) => i + 1));
    expect(await slots(join(tmp.path, 'locks'))).toEqual([RESERVE, RESERVE]);
    expect(await readdir(join(tmp.path, 'locks'))).toEqual([COUNTER]);
  });
});
