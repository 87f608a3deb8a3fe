import { afterAll, beforeAll, expect, it } from 'vitest';
import type { StoreChangeV1 } from '@tokens/core';
import { makeTokenSet } from '@tokens/test-suite';
import { createRedisLock, createRedisTokenStore } from '../src/index';
import { closeAll, connect, eventually, uniquePrefix } from './helpers/clients';
import { startRedisServer, type RedisServer } from './helpers/redis-server';

// A Redis restart in the middle: with persistence on (AOF), nothing is lost, and stores,
// locks and watchers recover through ioredis' reconnect without any help.
let server: RedisServer;
beforeAll(async () => {
  server = await startRedisServer({ appendonly: true });
});
afterAll(async () => {
  await closeAll();
  await server.destroy();
});

it('survives a Redis restart: data and fencing counter kept, a write issued during the outage completes, watch reports it', async () => {
  const prefix = uniquePrefix('restart');
  const a = createRedisTokenStore({ client: connect(server.url), keyPrefix: prefix, resyncIntervalMs: 0 });
  const bClient = connect(server.url);
  const b = createRedisTokenStore({ client: bClient, keyPrefix: prefix });
  const lock = createRedisLock({ client: bClient, keyPrefix: prefix });

  const lease = await lock.acquire('acct', { ttlMs: 5_000 });
  const first = makeTokenSet(Date.now());
  await b.put('acct', { broker: 'test', tokenSet: first }, { expectedVersion: 0, fencingToken: lease.fencingToken });
  await lease.release();
  const changes: StoreChangeV1[] = [];
  a.watch((c) => changes.push(c));
  await a.watchReady();

  await server.stop();
  // Issued while Redis is down: ioredis queues it and sends it after reconnecting.
  const second = makeTokenSet(Date.now());
  const pending = b.put('acct', { broker: 'test', tokenSet: second }, { expectedVersion: 1 });
  await new Promise((r) => setTimeout(r, 300));
  await server.start();

  expect((await pending).version).toBe(2);
  const read = await a.get('acct');
  expect(read?.version).toBe(2);
  expect(read?.tokenSet.refreshToken?.reveal()).toBe(second.refreshToken!.reveal());
  await eventually(() => changes.find((c) => c.kind === 'put' && c.version === 2), 5_000, 'watch after restart');
  const next = await lock.acquire('acct', { ttlMs: 5_000 });
  expect(next.fencingToken).toBeGreaterThan(lease.fencingToken);
  await next.release();
  await a.close();
  await b.close();
});
