import { afterAll, expect, inject, it, onTestFinished } from 'vitest';
import type { Redis } from 'ioredis';
import type { StoreChangeV1 } from '@tokens/core';
import { makeTokenSet } from '@tokens/test-suite';
import { createRedisTokenStore, type RedisTokenStore } from '../src/index';
import { closeAll, connect, eventually, uniquePrefix } from './helpers/clients';
import { startRedisServer } from './helpers/redis-server';

// watch(): pub/sub plus a re-read after every reconnect, so changes made while the subscriber
// was down are still reported.
const url = inject('redisUrl');
const admin = connect(url);
afterAll(closeAll);

const write = (store: RedisTokenStore, id: string, expectedVersion: number) =>
  store.put(id, { broker: 'test', tokenSet: makeTokenSet(Date.now()) }, { expectedVersion });
const subscribers = async (admin: Redis, store: RedisTokenStore) => Number(((await admin.pubsub('NUMSUB', store.keyspace.channel)) as [string, number])[1]);

it('reports changes made while its subscriber connection was killed, once each, after it reconnects', async () => {
  // A server of its own: CLIENT KILL TYPE pubsub would also hit other test files' subscribers.
  const server = await startRedisServer();
  onTestFinished(() => server.destroy());
  const url = server.url;
  const admin = connect(url);
  const prefix = uniquePrefix('reconnect');
  // Reconnects after 700 ms, so the writes below surely happen while the subscriber is down.
  const watched = createRedisTokenStore({ client: connect(url, { retryStrategy: () => 700 }), keyPrefix: prefix, resyncIntervalMs: 0 });
  const other = createRedisTokenStore({ client: connect(url), keyPrefix: prefix });
  await write(other, 'kept', 0);
  await write(other, 'removed', 0);
  const changes: StoreChangeV1[] = [];
  watched.watch((c) => changes.push(c));
  await watched.watchReady();
  await write(other, 'kept', 1);
  await eventually(() => changes.some((c) => c.accountId === 'kept' && c.kind === 'put' && c.version === 2), 2_000, 'live change');

  await admin.call('CLIENT', 'KILL', 'TYPE', 'pubsub');
  await eventually(async () => (await subscribers(admin, watched)) === 0, 2_000, 'subscriber gone');
  await write(other, 'kept', 2);
  await write(other, 'created', 0);
  await other.delete('removed');
  expect(await subscribers(admin, watched), 'the writes happened while nobody was subscribed').toBe(0);

  await eventually(() => changes.some((c) => c.accountId === 'removed' && c.kind === 'delete'), 5_000, 'missed changes');
  await eventually(() => changes.some((c) => c.accountId === 'kept' && c.kind === 'put' && c.version === 3), 1_000, 'missed put');
  await eventually(() => changes.some((c) => c.accountId === 'created' && c.kind === 'put' && c.version === 1), 1_000, 'missed create');
  // Live again, and nothing reported twice.
  await write(other, 'kept', 3);
  await eventually(() => changes.some((c) => c.accountId === 'kept' && c.kind === 'put' && c.version === 4), 2_000, 'live after reconnect');
  await new Promise((r) => setTimeout(r, 100));
  const keys = changes.map((c) => (c.kind === 'put' ? `put:${c.accountId}:${c.version}` : `delete:${c.accountId}:`));
  expect([...keys].sort()).toEqual(['delete:removed:', 'put:created:1', 'put:kept:2', 'put:kept:3', 'put:kept:4']);
  expect(keys.at(-1)).toBe('put:kept:4');
  await watched.close();
  await other.close();
});

it('reports its own writes exactly once (the local report and the pub/sub echo are merged)', async () => {
  const store = createRedisTokenStore({ client: connect(url), keyPrefix: uniquePrefix('own') });
  const changes: StoreChangeV1[] = [];
  store.watch((c) => changes.push(c));
  await store.watchReady();
  await write(store, 'a', 0);
  await write(store, 'a', 1);
  await store.delete('a');
  await new Promise((r) => setTimeout(r, 150));
  expect(changes).toEqual([
    { kind: 'put', accountId: 'a', version: 1 },
    { kind: 'put', accountId: 'a', version: 2 },
    { kind: 'delete', accountId: 'a' },
  ]);
  await store.close();
});

it('the periodic re-read catches a change that was never published (a writer bypassing the store)', async () => {
  const store = createRedisTokenStore({ client: connect(url), keyPrefix: uniquePrefix('resync'), resyncIntervalMs: 100 });
  await write(store, 'quiet', 0);
  const changes: StoreChangeV1[] = [];
  store.watch((c) => changes.push(c));
  await store.watchReady();
  await admin.hset(store.keyspace.record('quiet'), 'version', '7'); // no PUBLISH
  await eventually(() => changes.some((c) => c.kind === 'put' && c.version === 7), 2_000, 'resync');
  await store.close();
});

it('a listener that throws does not stop the others', async () => {
  const store = createRedisTokenStore({ client: connect(url), keyPrefix: uniquePrefix('throw') });
  const seen: string[] = [];
  store.watch(() => {
    throw new Error('listener bug');
  });
  store.watch((c) => seen.push(c.accountId));
  await store.watchReady();
  await write(store, 'x', 0);
  await eventually(() => seen.includes('x'), 1_000, 'second listener');
  await store.close();
});
