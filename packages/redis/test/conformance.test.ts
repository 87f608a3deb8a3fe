import { afterAll, inject, it } from 'vitest';
import { loadEncryptionKey, type EncryptionKey, type TokenSetV1, type TokenStoreV1 } from '@tokens/core';
import { lockConformance, tokenStoreConformance } from '@tokens/test-suite';
import { createRedisLock, createRedisTokenStore, type RedisTokenStore } from '../src/index';
import { closeAll, connect, uniquePrefix } from './helpers/clients';

// The store and lock conformance suites against the real redis-server from global-setup.ts.
const url = inject('redisUrl');
const client = connect(url);
afterAll(closeAll);

/**
 * Back door: the record hash as Redis holds it (fields sorted: a Redis hash has no order, and
 * rehashing reorders HGETALL), or undefined when there is none.
 */
const raw = async (store: TokenStoreV1, accountId: string) => {
  const fields = await client.hgetall((store as RedisTokenStore).keyspace.record(accountId));
  const names = Object.keys(fields).sort();
  return names.length === 0 ? undefined : Object.fromEntries(names.map((n) => [n, fields[n]]));
};

/** Writes through a second store on its own connection, as another process would. */
const externalWrite = (encryptionKey?: EncryptionKey) => async (accountId: string, tokenSet: TokenSetV1, store: TokenStoreV1) => {
  const other = connect(url);
  const second = createRedisTokenStore({ client: other, keyPrefix: (store as RedisTokenStore).keyspace.prefix, encryptionKey });
  try {
    const current = await second.get(accountId);
    await second.put(accountId, { broker: 'other-process', tokenSet }, { expectedVersion: current?.version ?? 0 });
  } finally {
    await second.close();
    await other.quit();
  }
};

tokenStoreConformance(it, () => createRedisTokenStore({ client, keyPrefix: uniquePrefix('plain') }), {
  capabilities: { watch: true, fencing: true },
  raw,
  externalWrite: externalWrite(),
});

const key = loadEncryptionKey({ key: 'cd'.repeat(32) });
tokenStoreConformance(
  (name, fn) => it(`[encrypted] ${name}`, fn),
  () => createRedisTokenStore({ client, keyPrefix: uniquePrefix('enc'), encryptionKey: key }),
  { capabilities: { watch: true, fencing: true }, raw, rawMustNotContainPlaintext: true, externalWrite: externalWrite(key) },
);

// Leases lapse on the Redis server's clock, so expiry is real time (no fake clock).
lockConformance(it, () => createRedisLock({ client, keyPrefix: uniquePrefix('lock') }), { shortTtlMs: 300 });
