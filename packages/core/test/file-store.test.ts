import { randomBytes } from 'node:crypto';
import { chmod, lutimes, mkdir, readdir, readFile, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createFileTokenStore,
  InvalidConfigError,
  InvalidInputError,
  loadEncryptionKey,
  Secret,
  StoreConflictError,
  StoreCorruptionError,
  type FileTokenStore,
  type FileTokenStoreOptions,
  type StoreChangeV1,
  type TokenSetV1,
} from '../src';
import { createFakeClock } from '../src/testing';
import { tempDir, waitFor } from './fixtures/child';

const POSIX = process.platform !== 'win32';
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((c) => c()));
});

async function setup(opts: Partial<FileTokenStoreOptions> = {}): Promise<{ store: FileTokenStore; dir: string }> {
  const tmp = await tempDir('store');
  cleanups.push(tmp.cleanup);
  const dir = join(tmp.path, 'tokens');
  const store = createFileTokenStore({ dir, clock: createFakeClock(), ...opts });
  cleanups.push(() => store.close());
  return { store, dir };
}

const tokens = (n: number | string): TokenSetV1 => ({
  accessToken: new Secret(`access-canary-${n}`),
  refreshToken: new Secret(`refresh-canary-${n}`),
  expiresAt: Date.UTC(2030, 0, 1),
  issuedAt: Date.UTC(2026, 0, 1),
  extras: { userId: 'u1' },
  secretExtras: { sid: new Secret(`sid-canary-${n}`) },
});

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a rejection');
}

describe('file store: compare-and-set and fencing', () => {
  it('starts at version 1, grows by one, and refuses a stale expectedVersion without writing', async () => {
    const { store } = await setup();
    expect(await store.get('acct')).toBeUndefined();
    const v1 = await store.put('acct', { broker: 'schwab', tokenSet: tokens(1) }, { expectedVersion: 0 });
    expect(v1.version).toBe(1);
    expect(v1.tokenSet.accessToken.reveal()).toBe('access-canary-1');
    const again = await rejection(store.put('acct', { broker: 'schwab', tokenSet: tokens('x') }, { expectedVersion: 0 }));
    expect(StoreConflictError.isInstance(again)).toBe(true);
    expect(again).toMatchObject({ expectedVersion: 0, actualVersion: 1 });
    const before = await readFile(store.pathOf('acct'));
    expect(StoreConflictError.isInstance(await rejection(store.put('acct', { broker: 'schwab', tokenSet: tokens('y') }, { expectedVersion: 7 })))).toBe(true);
    expect((await readFile(store.pathOf('acct'))).equals(before)).toBe(true);
    const v2 = await store.put('acct', { broker: 'schwab', tokenSet: tokens(2) }, { expectedVersion: 1 });
    expect(v2.version).toBe(2);
    const got = await store.get('acct');
    expect(got).toMatchObject({ accountId: 'acct', broker: 'schwab', version: 2 });
    expect(got!.tokenSet.refreshToken!.reveal()).toBe('refresh-canary-2');
    expect(got!.tokenSet.secretExtras!.sid!.reveal()).toBe('sid-canary-2');
    expect(got!.tokenSet.extras).toEqual({ userId: 'u1' });
  });

  it('serialises concurrent puts in one process: exactly one wins each version', async () => {
    const { store } = await setup();
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, (_, i) => store.put('acct', { broker: 'b', tokenSet: tokens(i) }, { expectedVersion: 0 })),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect((await store.get('acct'))!.version).toBe(1);
  });

  it('keeps the highest fencing token and refuses a lower one', async () => {
    const { store } = await setup();
    await store.put('acct', { broker: 'b', tokenSet: tokens(1) }, { expectedVersion: 0, fencingToken: 5 });
    const stale = await rejection(store.put('acct', { broker: 'b', tokenSet: tokens(2) }, { expectedVersion: 1, fencingToken: 4 }));
    expect(StoreConflictError.isInstance(stale)).toBe(true);
    expect(stale.message).toContain('stale fencing token 4');
    expect((await store.put('acct', { broker: 'b', tokenSet: tokens(2) }, { expectedVersion: 1, fencingToken: 5 })).fencingToken).toBe(5);
    expect((await store.put('acct', { broker: 'b', tokenSet: tokens(3) }, { expectedVersion: 2 })).fencingToken).toBe(5);
    expect((await store.get('acct'))!.fencingToken).toBe(5);
  });

  it('deletes with optional compare-and-set', async () => {
    const { store } = await setup();
    expect(await store.delete('acct')).toBe(false);
    await store.put('acct', { broker: 'b', tokenSet: tokens(1) }, { expectedVersion: 0 });
    expect(StoreConflictError.isInstance(await rejection(store.delete('acct', { expectedVersion: 2 })))).toBe(true);
    expect(await store.delete('acct', { expectedVersion: 1 })).toBe(true);
    expect(await store.get('acct')).toBeUndefined();
    expect((await store.put('acct', { broker: 'b', tokenSet: tokens(2) }, { expectedVersion: 0 })).version).toBe(1);
  });

  it('rejects invalid account ids and malformed input', async () => {
    const { store } = await setup();
    for (const id of ['../x', '', 'a'.repeat(129), 'a/b', '..']) {
      expect(InvalidInputError.isInstance(await rejection(store.get(id)))).toBe(true);
      expect(InvalidInputError.isInstance(await rejection(store.put(id, { broker: 'b', tokenSet: tokens(1) }, { expectedVersion: 0 })))).toBe(true);
      expect(InvalidInputError.isInstance(await rejection(store.delete(id)))).toBe(true);
    }
    expect(InvalidInputError.isInstance(await rejection(store.put('acct', { broker: '', tokenSet: tokens(1) }, { expectedVersion: 0 })))).toBe(true);
    const noIssued = { ...tokens(1), issuedAt: undefined } as unknown as TokenSetV1;
    expect(InvalidInputError.isInstance(await rejection(store.put('acct', { broker: 'b', tokenSet: noIssued }, { expectedVersion: 0 })))).toBe(true);
    expect(await store.list()).toEqual([]);
  });

  it('declares its capabilities', async () => {
    const { store } = await setup();
    expect(store.specificationVersion).toBe('v1');
    expect(store.capabilities).toEqual({ watch: true, fencing: true, durable: true });
  });
});

describe('file store: files on disk', () => {
  it.runIf(POSIX)('creates the directory 0700 and files 0600', async () => {
    const { store, dir } = await setup();
    await store.put('acct', { broker: 'b', tokenSet: tokens(1) }, { expectedVersion: 0 });
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    expect((await stat(store.pathOf('acct'))).mode & 0o777).toBe(0o600);
  });

  it.runIf(POSIX)('tightens an existing 0755 directory it owns, refuses a shared one', async () => {
    const tmp = await tempDir('mode');
    cleanups.push(tmp.cleanup);
    const loose = join(tmp.path, 'loose');
    await mkdir(loose, { mode: 0o755 });
    await chmod(loose, 0o755);
    createFileTokenStore({ dir: loose });
    expect((await stat(loose)).mode & 0o777).toBe(0o700);
    const shared = join(tmp.path, 'shared');
    await mkdir(shared);
    await chmod(shared, 0o1777);
    let error: unknown;
    try {
      createFileTokenStore({ dir: shared });
    } catch (e) {
      error = e;
    }
    expect(InvalidConfigError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain('shared');
    expect((await stat(shared)).mode & 0o7777).toBe(0o1777);
  });

  it('leaves no temp or lock files behind after many writes', async () => {
    const { store, dir } = await setup();
    let version = 0;
    for (let i = 0; i < 25; i++) version = (await store.put('acct', { broker: 'b', tokenSet: tokens(i) }, { expectedVersion: version })).version;
    await store.put('other', { broker: 'b', tokenSet: tokens(0) }, { expectedVersion: 0 });
    await store.delete('other');
    expect(await readdir(dir)).toEqual(['acct.json', 'locks']);
    expect(version).toBe(25);
  });

  it('writes a readable JSON record with clear metadata', async () => {
    const { store } = await setup();
    await store.put('acct', { broker: 'kite', tokenSet: tokens(1) }, { expectedVersion: 0, fencingToken: 3 });
    const json = JSON.parse(await readFile(store.pathOf('acct'), 'utf8'));
    expect(json).toMatchObject({ format: 'tokens.stored/v1', accountId: 'acct', broker: 'kite', version: 1, fencingToken: 3 });
    expect(json.tokenSet.accessToken).toBe('access-canary-1');
    expect(json.encrypted).toBeUndefined();
  });

  it('lists accounts only, ignoring temp, lock, takeover and quarantined files', async () => {
    const { store, dir } = await setup();
    await store.put('b-acct', { broker: 'b', tokenSet: tokens(1) }, { expectedVersion: 0 });
    await store.put('a.acct', { broker: 'b', tokenSet: tokens(1) }, { expectedVersion: 0 });
    // Also what earlier versions left: write mutexes next to the records.
    for (const name of ['x.json.123-abc.tmp', 'x.json.wlock', 'x.json.wlock.takeover-n-1', 'y.json.corrupt-1700000000000', 'notes.txt', '.json', 'bad name.json']) {
      await writeFile(join(dir, name), '{}');
    }
    expect(await store.list()).toEqual(['a.acct', 'b-acct']);
  });
});

describe('file store: leftovers of killed writers', () => {
  it.runIf(POSIX)('sweeps temp files and tickets older than a minute on open, symlinks too, and keeps young ones', async () => {
    const tmp = await tempDir('sweep');
    cleanups.push(tmp.cleanup);
    const dir = join(tmp.path, 'tokens');
    await mkdir(dir, { mode: 0o700 });
    const old = (Date.now() - 120_000) / 1000;
    await writeFile(join(dir, 'a.json.1-aa.tmp'), '{');
    await utimes(join(dir, 'a.json.1-aa.tmp'), old, old);
    // Lock temp files and tickets are symlinks whose target is a record, not a path; the write
    // mutexes live in locks/ (earlier versions: next to the records).
    await mkdir(join(dir, 'locks'), { mode: 0o700 });
    for (const name of ['a.json.wlock.1-bb.tmp', 'a.json.wlock.takeover-n-1', 'locks/a.wlock.1-dd.tmp', 'locks/a.wlock.takeover-n-2']) {
      await symlink('{"pid":1}', join(dir, name));
      await lutimes(join(dir, name), old, old);
    }
    await symlink('{"pid":2}', join(dir, 'b.json.wlock.2-cc.tmp')); // young: may be a live writer's
    await symlink('{"pid":2}', join(dir, 'locks/b.wlock.2-ee.tmp'));
    const store = createFileTokenStore({ dir });
    cleanups.push(() => store.close());
    expect(await readdir(dir)).toEqual(['b.json.wlock.2-cc.tmp', 'locks']);
    expect(await readdir(join(dir, 'locks'))).toEqual(['b.wlock.2-ee.tmp']);
  });
});

describe('file store: corruption', () => {
  it('quarantines an unparseable file, reports it, then reads as missing so the next put works', async () => {
    const reported: StoreCorruptionError[] = [];
    const { store, dir } = await setup({ onCorrupt: (e) => reported.push(e) });
    const garbage = Buffer.from('{"format":"tokens.stored/v1", truncated');
    await writeFile(store.pathOf('acct'), garbage, { mode: 0o600 });
    const error = await rejection(store.get('acct'));
    expect(StoreCorruptionError.isInstance(error)).toBe(true);
    const q = (error as StoreCorruptionError).quarantinedTo!;
    expect(q).toMatch(/acct\.json\.corrupt-\d+$/);
    expect(error.message).toContain(q);
    expect(reported).toHaveLength(1);
    expect(reported[0]!.quarantinedTo).toBe(q);
    expect((await readFile(q)).equals(garbage)).toBe(true);
    expect(await store.get('acct')).toBeUndefined();
    expect(await store.list()).toEqual([]);
    expect((await store.put('acct', { broker: 'b', tokenSet: tokens(1) }, { expectedVersion: 0 })).version).toBe(1);
    expect((await readdir(dir)).sort()).toEqual(['acct.json', 'locks', q.slice(dir.length + 1)].sort());
  });

  it('quarantines a well-formed JSON file with the wrong shape, also when found by put', async () => {
    const { store } = await setup();
    await writeFile(store.pathOf('acct'), JSON.stringify({ format: 'tokens.stored/v1', accountId: 'acct', broker: 'b', version: 'two' }));
    const error = await rejection(store.put('acct', { broker: 'b', tokenSet: tokens(1) }, { expectedVersion: 1 }));
    expect(StoreCorruptionError.isInstance(error)).toBe(true);
    expect(error.message).toContain('version');
    expect((await store.put('acct', { broker: 'b', tokenSet: tokens(1) }, { expectedVersion: 0 })).version).toBe(1);
  });

  it('never quotes file content in the error', async () => {
    const { store } = await setup();
    await writeFile(store.pathOf('acct'), 'secret-canary-in-a-broken-file');
    const error = await rejection(store.get('acct'));
    expect(error.message).not.toContain('canary');
  });
});

describe('file store: encryption at rest', () => {
  const keyA = loadEncryptionKey({ key: randomBytes(32).toString('hex') });
  const keyB = loadEncryptionKey({ key: randomBytes(32).toString('hex') });

  it('round-trips and keeps no plaintext token in the file', async () => {
    const { store } = await setup({ encryptionKey: keyA });
    await store.put('acct', { broker: 'b', tokenSet: tokens(1) }, { expectedVersion: 0 });
    const text = await readFile(store.pathOf('acct'), 'utf8');
    expect(text).not.toContain('canary');
    expect(JSON.parse(text)).toMatchObject({ version: 1, encrypted: { alg: 'aes-256-gcm', kid: keyA.kid } });
    const got = await store.get('acct');
    expect(got!.tokenSet.accessToken.reveal()).toBe('access-canary-1');
    expect(got!.tokenSet.secretExtras!.sid!.reveal()).toBe('sid-canary-1');
  });

  it('a wrong key is a clear error: no quarantine, no overwrite, no delete', async () => {
    const { store, dir } = await setup({ encryptionKey: keyA });
    await store.put('acct', { broker: 'b', tokenSet: tokens(1) }, { expectedVersion: 0 });
    const before = await readFile(store.pathOf('acct'));
    const reported: unknown[] = [];
    const wrong = createFileTokenStore({ dir, encryptionKey: keyB, onCorrupt: (e) => reported.push(e) });
    for (const attempt of [
      wrong.get('acct'),
      wrong.put('acct', { broker: 'b', tokenSet: tokens(2) }, { expectedVersion: 1 }),
      wrong.delete('acct'),
    ]) {
      const error = (await rejection(attempt)) as StoreCorruptionError;
      expect(StoreCorruptionError.isInstance(error)).toBe(true);
      expect(error.code).toBe('STORE_KEY');
      expect(error.message).toMatch(/wrong encryption key/i);
      expect(error.quarantinedTo).toBeUndefined();
    }
    expect(reported).toEqual([]);
    expect((await readFile(store.pathOf('acct'))).equals(before)).toBe(true);
    expect(await readdir(dir)).toEqual(['acct.json', 'locks']);
    expect((await store.get('acct'))!.version).toBe(1);
  });

  it('plain text read with a key, and encrypted read without one, say so', async () => {
    const { store: plain, dir } = await setup();
    await plain.put('plain', { broker: 'b', tokenSet: tokens(1) }, { expectedVersion: 0 });
    const keyed = createFileTokenStore({ dir, encryptionKey: keyA });
    await keyed.put('secret', { broker: 'b', tokenSet: tokens(1) }, { expectedVersion: 0 });
    const e1 = (await rejection(keyed.get('plain'))) as StoreCorruptionError;
    expect(e1.code).toBe('STORE_KEY');
    expect(e1.message).toContain('plain text');
    const e2 = (await rejection(plain.get('secret'))) as StoreCorruptionError;
    expect(e2.code).toBe('STORE_KEY');
    expect(e2.message).toContain('no encryption key');
    expect(StoreCorruptionError.isInstance(await rejection(keyed.put('plain', { broker: 'b', tokenSet: tokens(2) }, { expectedVersion: 1 })))).toBe(true);
    expect((await readdir(dir)).sort()).toEqual(['locks', 'plain.json', 'secret.json']);
  });

  it('a tampered ciphertext, or a record copied into another account, is quarantined', async () => {
    const { store, dir } = await setup({ encryptionKey: keyA });
    await store.put('acct', { broker: 'b', tokenSet: tokens(1) }, { expectedVersion: 0 });
    const record = JSON.parse(await readFile(store.pathOf('acct'), 'utf8'));
    await writeFile(join(dir, 'copy.json'), JSON.stringify({ ...record, accountId: 'copy' }));
    const swapped = (await rejection(store.get('copy'))) as StoreCorruptionError;
    expect(swapped.code).toBe('STORE_CORRUPT');
    expect(swapped.quarantinedTo).toMatch(/copy\.json\.corrupt-\d+$/);
    const data = Buffer.from(record.encrypted.data, 'base64');
    data[0] = data[0]! ^ 0xff;
    record.encrypted.data = data.toString('base64');
    await writeFile(store.pathOf('acct'), JSON.stringify(record));
    expect(((await rejection(store.get('acct'))) as StoreCorruptionError).quarantinedTo).toMatch(/acct\.json\.corrupt-\d+$/);
  });
});

describe('file store: watch in this process', () => {
  it('reports own puts and deletes once each, in order, and stops after unsubscribe', async () => {
    const { store } = await setup({ watchIntervalMs: 20 });
    const seen: StoreChangeV1[] = [];
    const off = store.watch((c) => seen.push(c));
    const next = (pred: (c: StoreChangeV1) => boolean) => waitFor<StoreChangeV1>((cb) => store.watch(cb), pred, 2000);
    let p = next((c) => c.kind === 'put' && c.version === 1);
    await store.put('acct', { broker: 'b', tokenSet: tokens(1) }, { expectedVersion: 0 });
    await p;
    p = next((c) => c.kind === 'put' && c.version === 2);
    await store.put('acct', { broker: 'b', tokenSet: tokens(2) }, { expectedVersion: 1 });
    await p;
    p = next((c) => c.kind === 'delete');
    await store.delete('acct');
    await p;
    // The feed is one ordered queue: a duplicate of an earlier event would have arrived by now.
    expect(seen).toEqual([
      { kind: 'put', accountId: 'acct', version: 1 },
      { kind: 'put', accountId: 'acct', version: 2 },
      { kind: 'delete', accountId: 'acct' },
    ]);
    off();
    p = next((c) => c.kind === 'put');
    await store.put('acct', { broker: 'b', tokenSet: tokens(3) }, { expectedVersion: 0 });
    await p;
    expect(seen).toHaveLength(3);
  });

  it('reports writes by another store instance on the same directory (polling only)', async () => {
    const { store, dir } = await setup({ watchIntervalMs: 25, useFsWatch: false });
    const other = createFileTokenStore({ dir });
    await other.put('pre', { broker: 'b', tokenSet: tokens(0) }, { expectedVersion: 0 });
    const seen: StoreChangeV1[] = [];
    const off = store.watch((c) => seen.push(c));
    const p = waitFor<StoreChangeV1>((cb) => store.watch(cb), (c) => c.kind === 'put' && c.accountId === 'acct', 2000);
    await other.put('acct', { broker: 'b', tokenSet: tokens(1) }, { expectedVersion: 0 });
    await p;
    const d = waitFor<StoreChangeV1>((cb) => store.watch(cb), (c) => c.kind === 'delete', 2000);
    await other.delete('pre');
    await d;
    off();
    expect(seen).toEqual([
      { kind: 'put', accountId: 'acct', version: 1 },
      { kind: 'delete', accountId: 'pre' },
    ]);
  });
});
