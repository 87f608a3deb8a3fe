import { mkdtempSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, it } from 'vitest';
import {
  createFileLock,
  createFileTokenStore,
  loadEncryptionKey,
  type FileTokenStore,
  type LockV1,
  type TokenStoreV1,
} from '@tokens/core';
import { createFakeClock, lockConformance, tokenStoreConformance, type FakeClock } from '../src/index';

// Core's file store and file lock, on real files in temp directories.
const roots: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'tokens-suite-'));
  roots.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of roots) rmSync(dir, { recursive: true, force: true });
});

/** Back door: the record file's bytes, or undefined when there is none. */
const rawFile = async (store: TokenStoreV1, accountId: string) => {
  try {
    return await readFile((store as FileTokenStore).pathOf(accountId), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
};

const cleanup = async (store: TokenStoreV1) => {
  rmSync((store as FileTokenStore).dir, { recursive: true, force: true });
};

/** Writes through a second store instance on the same directory (another process, as far as files go). */
const externalWrite = async (accountId: string, tokenSet: Parameters<TokenStoreV1['put']>[1]['tokenSet'], store: TokenStoreV1) => {
  const other = createFileTokenStore({ dir: (store as FileTokenStore).dir, useFsWatch: false });
  try {
    const current = await other.get(accountId);
    await other.put(accountId, { broker: 'other-process', tokenSet }, { expectedVersion: current?.version ?? 0 });
  } finally {
    await other.close();
  }
};

tokenStoreConformance(it, () => createFileTokenStore({ dir: tempDir(), watchIntervalMs: 50 }), {
  raw: rawFile,
  externalWrite,
  cleanup,
});

const key = loadEncryptionKey({ key: 'ab'.repeat(32) });
tokenStoreConformance(
  (name, fn) => it(`[encrypted] ${name}`, fn),
  () => createFileTokenStore({ dir: tempDir(), encryptionKey: key, watchIntervalMs: 50 }),
  { raw: rawFile, rawMustNotContainPlaintext: true, externalWrite: undefined, cleanup },
);

const clocks = new WeakMap<LockV1, FakeClock>();
lockConformance(
  it,
  () => {
    const clock = createFakeClock();
    const lock = createFileLock({ dir: tempDir(), clock, pollMs: 5 });
    clocks.set(lock, clock);
    return lock;
  },
  { expire: { advance: (ms, lock) => clocks.get(lock)!.advance(ms) } },
);

lockConformance(
  (name, fn) => it(`[real time] ${name}`, fn),
  () => createFileLock({ dir: tempDir(), pollMs: 5 }),
  { shortTtlMs: 300, disable: { basic: true, fencing: true } },
);
