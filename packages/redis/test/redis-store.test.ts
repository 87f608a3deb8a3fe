import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import {
  createFileTokenStore,
  decryptTokenSet,
  loadEncryptionKey,
  StoreConflictError,
  StoreCorruptionError,
  TokensError,
} from '@tokens/core';
import { canaryCheck, makeTokenSet, randomAccountId } from '@tokens/test-suite';
import { createRedisLock, createRedisTokenStore, type RedisTokenStore } from '../src/index';
import { closeAll, connect, uniquePrefix } from './helpers/clients';

const url = inject('redisUrl');
const admin = connect(url);
afterAll(closeAll);

const keyA = loadEncryptionKey({ key: 'a1'.repeat(32) });
const keyB = loadEncryptionKey({ key: 'b2'.repeat(32) });
const put = (store: RedisTokenStore, id: string, expectedVersion: number, fencingToken?: number) =>
  store.put(id, { broker: 'test', tokenSet: makeTokenSet(Date.now()) }, fencingToken === undefined ? { expectedVersion } : { expectedVersion, fencingToken });
const sortedHash = async (key: string) => {
  const h = await admin.hgetall(key);
  return JSON.stringify(Object.fromEntries(Object.keys(h).sort().map((k) => [k, h[k]])));
};
async function caught(run: Promise<unknown>): Promise<TokensError> {
  try {
    await run;
  } catch (error) {
    return error as TokensError;
  }
  throw new Error('expected a rejection');
}

describe('key layout and record format', () => {
  it('keeps every key of an account under one hash tag and writes the record as a hash of clear metadata', async () => {
    const prefix = uniquePrefix('layout');
    const store = createRedisTokenStore({ client: admin, keyPrefix: prefix });
    const lock = createRedisLock({ client: admin, keyPrefix: prefix });
    const id = randomAccountId();
    const lease = await lock.acquire(id, { ttlMs: 5_000 });
    await put(store, id, 0, lease.fencingToken);
    expect((await admin.keys(`${prefix}:*`)).sort()).toEqual([`${prefix}:{${id}}:fence`, `${prefix}:{${id}}:lock`, `${prefix}:{${id}}:record`]);
    const h = await admin.hgetall(`${prefix}:{${id}}:record`);
    expect(Object.keys(h).sort()).toEqual(['accountId', 'broker', 'fencingToken', 'format', 'tokenSet', 'updatedAt', 'version']);
    expect(h).toMatchObject({ format: 'tokens.stored/v1', accountId: id, broker: 'test', version: '1', fencingToken: String(lease.fencingToken) });
    expect(await admin.type(`${prefix}:{${id}}:record`)).toBe('hash');
    await lease.release();
    await store.close();
  });

  it('encrypts with the file store\'s envelope: records move between the file store and Redis unchanged', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tokens-redis-file-'));
    try {
      const file = createFileTokenStore({ dir, encryptionKey: keyA, useFsWatch: false });
      const tokenSet = makeTokenSet(Date.now());
      await file.put('moved', { broker: 'schwab', tokenSet }, { expectedVersion: 0 });
      await file.close();
      // A file record flattened into the hash (what a migration script would do).
      const record = JSON.parse(readFileSync(join(dir, 'moved.json'), 'utf8')) as Record<string, unknown>;
      const prefix = uniquePrefix('migrate');
      const fields = Object.entries(record).flatMap(([k, v]) => [k, typeof v === 'object' ? JSON.stringify(v) : String(v)]);
      await admin.hset(`${prefix}:{moved}:record`, ...fields);
      const store = createRedisTokenStore({ client: admin, keyPrefix: prefix, encryptionKey: keyA });
      const read = await store.get('moved');
      expect(read?.tokenSet.accessToken.reveal()).toBe(tokenSet.accessToken.reveal());
      expect(read?.version).toBe(1);
      // …and a Redis-written envelope opens with core's decryptTokenSet.
      const written = await store.put('moved', { broker: 'schwab', tokenSet }, { expectedVersion: 1 });
      const envelope = JSON.parse((await admin.hget(`${prefix}:{moved}:record`, 'encrypted'))!);
      expect(decryptTokenSet(keyA, 'moved', envelope).accessToken).toBe(tokenSet.accessToken.reveal());
      expect(written.version).toBe(2);
      await store.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rejects a bad keyPrefix and a non-client with INVALID_CONFIG', () => {
    for (const keyPrefix of ['', 'a{b}', 'a*', 'has space', 'x'.repeat(65)]) {
      expect(() => createRedisTokenStore({ client: admin, keyPrefix }), keyPrefix).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }));
      expect(() => createRedisLock({ client: admin, keyPrefix }), keyPrefix).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }));
    }
    expect(() => createRedisTokenStore({ client: {} as never })).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }));
  });

  it('honours the client\'s own ioredis keyPrefix, including in list()', async () => {
    const outer = uniquePrefix('app');
    const prefixed = connect(url, { keyPrefix: `${outer}:` });
    const store = createRedisTokenStore({ client: prefixed, keyPrefix: 'tokens' });
    await put(store, 'one', 0);
    await put(store, 'two', 0);
    expect(await store.list()).toEqual(['one', 'two']);
    expect(await admin.exists(`${outer}:tokens:{one}:record`)).toBe(1);
    expect((await store.get('two'))?.version).toBe(1);
    await store.close();
  });
});

describe('compare-and-set and fencing', () => {
  it('of 20 writers on 20 connections updating from the same version, exactly one wins', async () => {
    const prefix = uniquePrefix('cas');
    const id = randomAccountId();
    await put(createRedisTokenStore({ client: admin, keyPrefix: prefix }), id, 0);
    const writers = Array.from({ length: 20 }, () => createRedisTokenStore({ client: connect(url), keyPrefix: prefix }));
    const sets = writers.map(() => makeTokenSet(Date.now()));
    const results = await Promise.allSettled(writers.map((w, i) => w.put(id, { broker: 'test', tokenSet: sets[i]! }, { expectedVersion: 1 })));
    const won = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []));
    expect(won).toHaveLength(1);
    expect(results.filter((r) => r.status === 'rejected' && StoreConflictError.isInstance(r.reason))).toHaveLength(19);
    const read = await writers[0]!.get(id);
    expect(read?.version).toBe(2);
    expect(read?.tokenSet.accessToken.reveal()).toBe(sets[won[0]!]!.accessToken.reveal());
  });

  it('refuses the write of a holder whose lease lapsed and was taken over (stale fencing token), writing nothing', async () => {
    const prefix = uniquePrefix('fence');
    const store = createRedisTokenStore({ client: admin, keyPrefix: prefix });
    const lock = createRedisLock({ client: connect(url), keyPrefix: prefix });
    const id = randomAccountId();
    await put(store, id, 0);
    const stale = await lock.acquire(id, { ttlMs: 150 });
    const staleRead = await store.get(id); // read under the lease, then stall past its TTL
    await new Promise((r) => setTimeout(r, 250));
    const fresh = await lock.acquire(id, { ttlMs: 5_000, waitMs: 0 });
    expect(fresh.fencingToken).toBeGreaterThan(stale.fencingToken);
    await put(store, id, 1, fresh.fencingToken);
    const before = await sortedHash(store.keyspace.record(id));
    // Even with the right version the stale holder is refused.
    const current = await store.get(id);
    const error = await caught(put(store, id, current!.version, stale.fencingToken));
    expect(StoreConflictError.isInstance(error)).toBe(true);
    expect(error.message).toContain(`stale fencing token ${stale.fencingToken}`);
    expect(await sortedHash(store.keyspace.record(id))).toBe(before);
    expect(staleRead?.version).toBe(1);
    // The stale holder cannot extend or release the new lease either.
    expect(await stale.extend(5_000)).toBe(false);
    await stale.release();
    expect(await admin.exists(`${prefix}:{${id}}:lock`)).toBe(1);
    await fresh.release();
    expect(await admin.exists(`${prefix}:{${id}}:lock`)).toBe(0);
  });

  it('never hands out a fencing token the store would refuse, even when the counter key was lost', async () => {
    const prefix = uniquePrefix('counter');
    const store = createRedisTokenStore({ client: admin, keyPrefix: prefix });
    const lock = createRedisLock({ client: admin, keyPrefix: prefix });
    const id = randomAccountId();
    await put(store, id, 0, 41);
    await admin.del(`${prefix}:{${id}}:fence`); // e.g. restored from an older snapshot
    const lease = await lock.acquire(id, { ttlMs: 5_000 });
    expect(lease.fencingToken).toBe(42);
    expect((await put(store, id, 1, lease.fencingToken)).fencingToken).toBe(42);
    await lease.release();
  });
});

describe('corruption and keys', () => {
  const cases: Array<[string, (key: string, id: string) => Promise<unknown>]> = [
    ['a string instead of a hash', (key) => admin.set(key, 'not a record')],
    ['a hash with a broken tokenSet', (key, id) => admin.hset(key, 'format', 'tokens.stored/v1', 'accountId', id, 'broker', 'b', 'version', '3', 'updatedAt', '1', 'tokenSet', '{oops')],
    ['a hash with a non-numeric version', (key, id) => admin.hset(key, 'format', 'tokens.stored/v1', 'accountId', id, 'broker', 'b', 'version', 'x', 'updatedAt', '1', 'tokenSet', '{}')],
    ['a record copied from another account', (key) => admin.hset(key, 'format', 'tokens.stored/v1', 'accountId', 'someone-else', 'broker', 'b', 'version', '1', 'updatedAt', '1', 'tokenSet', '{}')],
  ];
  for (const [name, plant] of cases) {
    it(`quarantines ${name}: renamed to <key>:corrupt:<ms>, content kept, account reads as missing`, async () => {
      const prefix = uniquePrefix('corrupt');
      const seen: StoreCorruptionError[] = [];
      const store = createRedisTokenStore({ client: admin, keyPrefix: prefix, onCorrupt: (e) => seen.push(e) });
      const id = randomAccountId();
      const key = store.keyspace.record(id);
      await plant(key, id);
      const dump = await admin.dump(key);
      const error = await caught(store.get(id));
      expect(StoreCorruptionError.isInstance(error)).toBe(true);
      expect(error.code).toBe('STORE_CORRUPT');
      const movedTo = (error as StoreCorruptionError).quarantinedTo!;
      expect(movedTo).toMatch(new RegExp(`^${prefix.replace(/[.:]/g, '\\$&')}:\\{${id}\\}:record:corrupt:\\d+$`));
      expect(await admin.dump(movedTo)).toEqual(dump);
      expect(await admin.exists(key)).toBe(0);
      expect(seen).toHaveLength(1);
      expect(await store.get(id)).toBeUndefined();
      expect(await store.list()).toEqual([]);
      expect((await put(store, id, 0)).version).toBe(1);
    });
  }

  it('a put() onto a corrupt record quarantines it and throws instead of overwriting it', async () => {
    const store = createRedisTokenStore({ client: admin, keyPrefix: uniquePrefix('corrupt-put') });
    const id = randomAccountId();
    await admin.set(store.keyspace.record(id), 'garbage');
    const error = await caught(put(store, id, 1));
    expect(error.code).toBe('STORE_CORRUPT');
    expect(await admin.get((error as StoreCorruptionError).quarantinedTo!)).toBe('garbage');
  });

  it('a tampered ciphertext is quarantined, not handed out', async () => {
    const store = createRedisTokenStore({ client: admin, keyPrefix: uniquePrefix('tamper'), encryptionKey: keyA });
    const id = randomAccountId();
    await put(store, id, 0);
    const key = store.keyspace.record(id);
    const env = JSON.parse((await admin.hget(key, 'encrypted'))!);
    env.data = (env.data.startsWith('A') ? 'B' : 'A') + env.data.slice(1);
    await admin.hset(key, 'encrypted', JSON.stringify(env));
    const error = await caught(store.get(id));
    expect(error.code).toBe('STORE_CORRUPT');
    expect(error.message).toContain('failed authentication');
  });

  it('with the wrong key, get/put/delete throw STORE_KEY and leave the record exactly as it was', async () => {
    const prefix = uniquePrefix('wrongkey');
    const writer = createRedisTokenStore({ client: admin, keyPrefix: prefix, encryptionKey: keyA });
    const id = randomAccountId();
    const original = makeTokenSet(Date.now());
    await writer.put(id, { broker: 'test', tokenSet: original }, { expectedVersion: 0 });
    const key = writer.keyspace.record(id);
    const before = await sortedHash(key);
    for (const reader of [
      createRedisTokenStore({ client: admin, keyPrefix: prefix, encryptionKey: keyB }),
      createRedisTokenStore({ client: admin, keyPrefix: prefix }),
    ]) {
      for (const run of [() => reader.get(id), () => put(reader, id, 1), () => reader.delete(id), () => reader.delete(id, { expectedVersion: 1 })]) {
        const error = await caught(run());
        expect(error.code).toBe('STORE_KEY');
        expect(error.isRetryable).toBe(false);
        expect(canaryCheck([original.accessToken.reveal(), original.refreshToken!.reveal()], error)).toEqual([]);
      }
      expect(await sortedHash(key)).toBe(before);
      expect(await admin.keys(`${prefix}:*:corrupt:*`)).toEqual([]);
    }
    // A keyed store refuses a plain record the same way.
    const plainPrefix = uniquePrefix('plain');
    await put(createRedisTokenStore({ client: admin, keyPrefix: plainPrefix }), id, 0);
    const keyed = createRedisTokenStore({ client: admin, keyPrefix: plainPrefix, encryptionKey: keyA });
    expect((await caught(keyed.get(id))).code).toBe('STORE_KEY');
    expect((await caught(put(keyed, id, 1))).code).toBe('STORE_KEY');
    expect((await writer.get(id))?.tokenSet.accessToken.reveal()).toBe(original.accessToken.reveal());
  });
});

describe('connections and failures', () => {
  it('close() disconnects the subscriber it created and never the caller\'s client', async () => {
    const client = connect(url);
    const store = createRedisTokenStore({ client, keyPrefix: uniquePrefix('close') });
    store.watch(() => undefined);
    await store.watchReady();
    const numsub = async () => Number(((await admin.pubsub('NUMSUB', store.keyspace.channel)) as [string, number])[1]);
    expect(await numsub()).toBe(1);
    await store.close();
    await new Promise((r) => setTimeout(r, 50));
    expect(await numsub()).toBe(0);
    expect(await client.ping()).toBe('PONG');
    await expect(store.get('x')).rejects.toMatchObject({ code: 'STORE_ERROR' });
  });

  it('with a subscriber the caller owns, close() unsubscribes but leaves the connection open', async () => {
    const subscriber = connect(url);
    const store = createRedisTokenStore({ client: admin, subscriber, keyPrefix: uniquePrefix('own-sub') });
    const seen: string[] = [];
    store.watch((c) => seen.push(c.accountId));
    await store.watchReady();
    await put(store, 'a', 0);
    await store.close();
    expect(subscriber.status).toBe('ready');
    expect(seen).toEqual(['a']);
  });

  it('a Redis failure is a retryable STORE_ERROR that carries no token value and no ioredis command', async () => {
    const client = connect(url);
    await client.ping();
    const store = createRedisTokenStore({ client, keyPrefix: uniquePrefix('down') });
    client.disconnect();
    const tokenSet = makeTokenSet(Date.now());
    const error = await caught(store.put('acct', { broker: 'test', tokenSet }, { expectedVersion: 0 }));
    expect(error.code).toBe('STORE_ERROR');
    expect(error.isRetryable).toBe(true);
    expect(error.cause).toBeUndefined();
    expect(canaryCheck([tokenSet.accessToken.reveal(), tokenSet.refreshToken!.reveal(), tokenSet.secretExtras!.idToken!.reveal()], error)).toEqual([]);
  });
});
