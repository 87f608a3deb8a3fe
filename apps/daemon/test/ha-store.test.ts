import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Secret } from '@tokens/core';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { createRedisTokenStore, type RedisTokenStore } from '@tokens/redis';
import { startFakeSchwab } from '@tokens/schwab/fake';
import { createStoreBundle, type StoreBundle } from '../src/store';
import { eventually } from './helpers/daemon-process';
import { startHaDaemon } from './helpers/ha-daemons';
import { startHaRedis, type HaRedis } from './helpers/ha-redis';

// The daemon's Redis wiring (src/store.ts) against a real redis-server that is stopped and
// started again: readiness answers at once while Redis is away, writes issued during a restart
// wait for it instead of failing, and shutting down never hangs on an absent Redis — neither the
// store bundle nor a real daemon process stopped with SIGTERM in the middle of an outage.

const dir = mkdtempSync(join(tmpdir(), 'tokens-ha-store-'));
let redis: HaRedis;
let up = false;
const stop = async () => {
  up = false;
  await redis.stop();
};
const start = async () => {
  await redis.start();
  up = true;
};
const bundles: StoreBundle[] = [];
const logs: string[] = [];
const logger = { info: (_: object, msg: string) => logs.push(`info ${msg}`), warn: (_: object, msg: string) => logs.push(`warn ${msg}`) };

beforeAll(async () => {
  redis = await startHaRedis();
  up = true;
});
// A failed test must not leave the next one without Redis.
beforeEach(async () => {
  if (!up) await start();
});
afterAll(async () => {
  await Promise.all(bundles.map((b) => b.close().catch(() => undefined)));
  await redis?.destroy();
  rmSync(dir, { recursive: true, force: true });
});

const open = async () => {
  const bundle = await createStoreBundle({ type: 'redis', url: redis.url, keyPrefix: `ha-store-${process.pid}` }, dir, { logger });
  bundles.push(bundle);
  return bundle;
};
const tokenSet = (n: number) => ({ accessToken: new Secret(`access-${n}`), refreshToken: new Secret(`refresh-${n}`), issuedAt: Date.now(), expiresAt: Date.now() + 60_000 });
const timed = async <T>(p: Promise<T>) => {
  const t0 = performance.now();
  const value = await p;
  return { value, ms: performance.now() - t0 };
};

it('health and list() answer within about a second while Redis is down, and recover by themselves', async () => {
  const bundle = await open();
  await eventually(async () => (await bundle.health()).ok, 5_000, 'healthy after connecting');
  await bundle.store.put('acct-1', { broker: 'schwab', tokenSet: tokenSet(1) }, { expectedVersion: 0 });
  expect(await bundle.store.list()).toContain('acct-1');

  await stop();
  const down = await timed(bundle.health());
  expect(down.value.ok).toBe(false);
  expect(down.value.error).toMatch(/Redis 127\.0\.0\.1:\d+/);
  expect(down.ms, 'health answers at once, not after the reconnect attempts').toBeLessThan(1_500);
  const listed = await timed(bundle.store.list().then(() => 'listed', (e: Error) => e.message));
  expect(listed.value).toMatch(/Redis/);
  expect(listed.ms).toBeLessThan(1_500);
  await eventually(async () => logs.some((l) => l.startsWith('warn')), 2_000, 'a warning about the outage');
  await new Promise((r) => setTimeout(r, 600)); // several reconnect attempts
  expect(logs.filter((l) => l.startsWith('warn')), 'one warning per outage, not one per reconnect attempt').toHaveLength(1);

  await start();
  await eventually(async () => (await bundle.health()).ok, 10_000, 'healthy after the restart');
  expect(logs.at(-1)).toMatch(/reachable again/);
  expect(await bundle.store.list(), 'the AOF kept the record').toContain('acct-1');
}, 30_000);

it('a write issued while Redis restarts waits for it and lands, and watchers see it', async () => {
  const writer = await open();
  const reader = await open();
  const seen: number[] = [];
  reader.store.watch!((c) => c.kind === 'put' && c.accountId === 'acct-2' && seen.push(c.version));
  // watch() reports what lands after its subscription is live; both bundles are still connecting.
  await (reader.store as RedisTokenStore).watchReady();
  await writer.store.put('acct-2', { broker: 'schwab', tokenSet: tokenSet(1) }, { expectedVersion: 0 });
  await eventually(async () => seen.includes(1), 5_000, 'the first version announced');

  await stop();
  const write = writer.store.put('acct-2', { broker: 'schwab', tokenSet: tokenSet(2) }, { expectedVersion: 1 });
  await new Promise((r) => setTimeout(r, 700));
  await start();
  const stored = await write;
  expect(stored.version).toBe(2);
  expect((await reader.store.get('acct-2'))?.tokenSet.accessToken.reveal()).toBe('access-2');
  await eventually(async () => seen.includes(2), 10_000, 'the reader announced the write made during the restart');
}, 30_000);

it('close() returns promptly while Redis is down', async () => {
  const bundle = await open();
  await eventually(async () => (await bundle.health()).ok, 5_000, 'healthy');
  const lease = await bundle.lock.acquire('acct-3', { ttlMs: 5_000 });
  expect(lease.fencingToken).toBeGreaterThan(0);
  await stop();
  const closed = await timed(bundle.close());
  expect(closed.ms, 'no wait for the absent Redis beyond the 2 s release budget').toBeLessThan(3_000);
  await start();
}, 30_000);

it('a daemon stopped with SIGTERM while Redis is down exits 0 within its 10 s deadline, and no refresh reached the broker', async () => {
  const appKey = 'ha-store-app-key-00000000000000000';
  const fake = await startFakeSchwab({ appKey, appSecret: 'ha-store-secret', rotateRefreshTokens: true, loginRevokesPrevious: false });
  const keyPrefix = `ha-sigterm-${process.pid}`;
  const seedClient = new Redis(redis.url);
  seedClient.on('error', () => undefined); // Redis is stopped below
  const seeder = createRedisTokenStore({ client: seedClient, keyPrefix });
  const ids = ['s-1', 's-2', 's-3'];
  for (const id of ids) {
    const t = fake.issueSession();
    await seeder.put(id, { broker: 'schwab', tokenSet: { accessToken: new Secret(t.accessToken), refreshToken: new Secret(t.refreshToken), issuedAt: t.issuedAt, expiresAt: t.expiresAt, refreshExpiresAt: t.refreshExpiresAt } }, { expectedVersion: 0 });
  }
  const daemon = await startHaDaemon({
    name: 'sigterm',
    dir,
    redisUrl: redis.url,
    keyPrefix,
    apiToken: 'ha-store-api-token-0123456789',
    brokerUrl: fake.url,
    appKey,
    appSecret: 'ha-store-secret',
    accounts: ids,
    engine: {},
    refreshAhead: {},
  });
  try {
    await stop();
    // Refreshes asked for during the outage wait for the lease, i.e. for Redis.
    const asked = ids.map((id) => fetch(`${daemon.url}/v1/accounts/${id}/refresh`, { method: 'POST', headers: { authorization: 'Bearer ha-store-api-token-0123456789' } }).catch(() => undefined));
    await new Promise((r) => setTimeout(r, 500));
    const stopped = await timed(daemon.process.stop('SIGTERM'));
    await Promise.all(asked);
    expect(stopped.value, `exit code (output:\n${daemon.process.output.slice(-5).join('\n')})`).toBe(0);
    expect(stopped.ms, 'exits before its 10 s hard deadline').toBeLessThan(10_000);
    expect(fake.tokenRequests('refresh_token'), 'without a lease nobody called the broker').toEqual([]);
    await start();
    for (const id of ids) expect((await seeder.get(id))?.version, `${id} untouched`).toBe(1);
  } finally {
    daemon.closeFeed();
    await daemon.process.stop('SIGKILL');
    await seeder.close();
    seedClient.disconnect();
    await fake.close();
  }
}, 60_000);
