// Real child processes against the BUILT package: run `pnpm --filter @tokens/core build` first.
import { randomBytes } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createFileTokenStore, loadEncryptionKey, Secret, type StoreChangeV1 } from '../src';
import { assertBuilt, kill, runFixture, tempDir, waitFor, type Child } from './fixtures/child';

const cleanups: Array<() => Promise<void>> = [];
const children: Child[] = [];
beforeAll(() => assertBuilt());
afterEach(async () => {
  await Promise.all(children.splice(0).map(kill));
  await Promise.all(cleanups.splice(0).map((c) => c()));
});

async function storeDir(): Promise<string> {
  const tmp = await tempDir('store-proc');
  cleanups.push(tmp.cleanup);
  return join(tmp.path, 'tokens');
}

describe('file store across processes', () => {
  for (const useFsWatch of [true, false]) {
    it(`watch reports a write made by a child process within 1 s (${useFsWatch ? 'fs.watch + polling' : 'polling only'})`, async () => {
      const dir = await storeDir();
      const store = createFileTokenStore({ dir, useFsWatch, watchIntervalMs: 500 });
      cleanups.push(() => store.close());
      let seenAt = 0;
      const seen = waitFor<StoreChangeV1>(
        (cb) =>
          store.watch((c) => {
            seenAt = Date.now();
            cb(c);
          }),
        (c) => c.kind === 'put' && c.accountId === 'acct',
        5000,
      );
      const child = runFixture('file-store-writer.mjs', [dir, 'acct', 'once']);
      children.push(child);
      const change = await seen;
      const { version, at } = JSON.parse(await child.nextLine()) as { version: number; at: number };
      expect(change).toEqual({ kind: 'put', accountId: 'acct', version });
      // `at` is stamped after the child's put returned, so this over-estimates the delay.
      expect(seenAt - at).toBeLessThan(1000);
    });
  }

  it('compare-and-set holds across processes: concurrent writers never win the same version', async () => {
    const dir = await storeDir();
    const writers = Array.from({ length: 4 }, () => runFixture('file-store-writer.mjs', [dir, 'acct', 'count:15']));
    children.push(...writers);
    const results = await Promise.all(writers.map(async (w) => JSON.parse(await w.nextLine(10_000)) as { won: number[]; conflicts: number }));
    const won = results.flatMap((r) => r.won).sort((a, b) => a - b);
    expect(won).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
    const record = await createFileTokenStore({ dir }).get('acct');
    expect(record!.version).toBe(60);
    expect(record!.tokenSet.accessToken.reveal()).toBe('tok-60');
  });

  it('breaks a write mutex left by a dead process', async () => {
    const dir = await storeDir();
    const store = createFileTokenStore({ dir });
    const dead = runFixture('file-store-writer.mjs', [dir, 'other', 'once']);
    await dead.exited;
    const far = Date.now() + 600_000;
    await writeFile(join(dir, 'locks', 'acct.wlock'), JSON.stringify({ pid: dead.proc.pid, hostname: hostname(), nonce: 'dead', expiresAt: far, createdAt: Date.now() }));
    const started = Date.now();
    const tokenSet = { accessToken: new Secret('a'), expiresAt: far, issuedAt: Date.now() };
    expect((await store.put('acct', { broker: 'b', tokenSet }, { expectedVersion: 0 })).version).toBe(1);
    expect(Date.now() - started).toBeLessThan(1000);
    expect((await readdir(dir)).sort()).toEqual(['acct.json', 'locks', 'other.json']);
    expect(await readdir(join(dir, 'locks'))).toEqual([]);
  });

  it('a writer SIGKILLed mid-stream leaves the old or the new record, never a corrupt or missing one', async () => {
    const dir = await storeDir();
    const keyHex = randomBytes(32).toString('hex');
    const store = createFileTokenStore({ dir, encryptionKey: loadEncryptionKey({ key: keyHex }) });
    let lastSeen = 0;
    const kills = 12;
    for (let round = 0; round < kills; round++) {
      const child = runFixture('file-store-writer.mjs', [dir, 'acct', 'loop', keyHex]);
      children.push(child);
      // Let it write a few versions, then kill it at an arbitrary point of the next ones.
      for (let i = 0; i < 3; i++) await child.nextLine();
      await new Promise((r) => setTimeout(r, Math.random() * 15));
      await kill(child);
      const printed = child.lines.filter((l) => l.startsWith('v ')).map((l) => Number(l.slice(2)));
      const record = await store.get('acct');
      expect(record, `round ${round}`).toBeDefined();
      expect(record!.version).toBeGreaterThanOrEqual(Math.max(...printed));
      expect(record!.version).toBeGreaterThan(lastSeen);
      expect(record!.tokenSet.accessToken.reveal()).toBe(`tok-${record!.version}`);
      expect(record!.tokenSet.refreshToken!.reveal()).toBe(`ref-${record!.version}`);
      lastSeen = record!.version;
    }
    // The parent can still write after the last kill, even if the child died holding the write mutex.
    const next = await store.put('acct', { broker: 'fixture', tokenSet: (await store.get('acct'))!.tokenSet }, { expectedVersion: lastSeen });
    expect(next.version).toBe(lastSeen + 1);
    expect(await store.list()).toEqual(['acct']);
    const leftovers = [...(await readdir(dir)).filter((n) => n !== 'acct.json' && n !== 'locks'), ...(await readdir(join(dir, 'locks')))];
    // Only temp files and write locks of killed writers may remain; never a quarantined record.
    expect(leftovers.filter((n) => !/\.tmp$|\.wlock$|\.takeover-/.test(n))).toEqual([]);
    expect(await readFile(join(dir, 'acct.json'), 'utf8')).not.toContain('tok-');
  });
});
