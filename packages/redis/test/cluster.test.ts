import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoreChangeV1, TokenSetV1, TokenStoreV1 } from '@tokens/core';
import { lockConformance, makeTokenSet, tokenStoreConformance } from '@tokens/test-suite';
import { createRedisLock, createRedisTokenStore, type RedisTokenStore } from '../src/index';
import { eventually, uniquePrefix } from './helpers/clients';
import { startRedisCluster, type RedisCluster } from './helpers/redis-server';

// The same suites on a real three-master Redis Cluster: scripts on hash-tagged keys, per-node
// SCAN for list(), cluster-wide pub/sub for watch().
let cluster: RedisCluster;
const clients: Cluster[] = [];
const connect = () => {
  const c = new Cluster(cluster.nodes);
  c.on('error', () => undefined);
  clients.push(c);
  return c;
};
let client: Cluster;
beforeAll(async () => {
  cluster = await startRedisCluster(3);
  client = connect();
}, 60_000);
afterAll(async () => {
  await Promise.all(clients.map((c) => c.quit().catch(() => c.disconnect())));
  await cluster?.destroy();
});

const raw = async (store: TokenStoreV1, accountId: string) => {
  const fields = await client.hgetall((store as RedisTokenStore).keyspace.record(accountId));
  const names = Object.keys(fields).sort();
  return names.length === 0 ? undefined : Object.fromEntries(names.map((n) => [n, fields[n]]));
};
const externalWrite = async (accountId: string, tokenSet: TokenSetV1, store: TokenStoreV1) => {
  const other = connect();
  const second = createRedisTokenStore({ client: other, keyPrefix: (store as RedisTokenStore).keyspace.prefix });
  const current = await second.get(accountId);
  await second.put(accountId, { broker: 'other-process', tokenSet }, { expectedVersion: current?.version ?? 0 });
  await second.close();
};

describe('on a Redis Cluster', () => {
  tokenStoreConformance(it, () => createRedisTokenStore({ client, keyPrefix: uniquePrefix('cl') }), {
    capabilities: { watch: true, fencing: true },
    raw,
    externalWrite,
  });
  lockConformance(it, () => createRedisLock({ client, keyPrefix: uniquePrefix('cl-lock') }), { shortTtlMs: 300 });

  it('list() finds accounts spread over every master, and watch() sees writes to all of them', async () => {
    const store = createRedisTokenStore({ client, keyPrefix: uniquePrefix('spread') });
    const changes: StoreChangeV1[] = [];
    store.watch((c) => changes.push(c));
    await store.watchReady();
    const ids = Array.from({ length: 30 }, (_, i) => `spread-${i}`);
    const writer = createRedisTokenStore({ client: connect(), keyPrefix: store.keyspace.prefix });
    for (const id of ids) await writer.put(id, { broker: 'b', tokenSet: makeTokenSet(Date.now()) }, { expectedVersion: 0 });
    const perNode = await Promise.all(client.nodes('master').map((n) => n.keys(`${store.keyspace.prefix}:*`)));
    expect(perNode.filter((keys) => keys.length > 0).length, 'records land on every master').toBe(3);
    expect(await store.list()).toEqual([...ids].sort());
    await eventually(() => ids.every((id) => changes.some((c) => c.accountId === id)), 3_000, 'changes from every node');
    await writer.close();
    await store.close();
  });
});
