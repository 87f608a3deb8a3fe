import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Secret, type StoreChangeV1 } from '@tokens/core';
import { Cluster, Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  makeTestCertificates,
  startRedisCluster,
  startRedisServer,
  type RedisCluster,
  type RedisServer,
  type TestCertificates,
} from '../../../packages/redis/test/helpers/redis-server';
import { parseConfig } from '../src/config/load';
import { createStoreBundle, type StoreBundle } from '../src/store';
import { eventually, freePort } from './helpers/daemon-process';

// The daemon's Redis topologies end to end: the `store` section as a user writes it (PEM files
// through ${file:}), parsed and validated, then the store bundle the daemon runs on, against
// real redis-server processes: a Sentinel-watched master, a three-master Cluster, and a server
// that speaks only TLS and wants a client certificate.

const dir = mkdtempSync(join(tmpdir(), 'tokens-redis-topologies-'));
const bundles: StoreBundle[] = [];
const cleanups: Array<() => Promise<unknown>> = [];
const logs: string[] = [];
const logger = { info: (_: object, msg: string) => logs.push(`info ${msg}`), warn: (_: object, msg: string) => logs.push(`warn ${msg}`) };

afterAll(async () => {
  await Promise.all(bundles.map((b) => b.close().catch(() => undefined)));
  await Promise.all(cleanups.map((c) => c().catch(() => undefined)));
  rmSync(dir, { recursive: true, force: true });
});

const open = async (store: Record<string, unknown>) => {
  const loaded = parseConfig({ store: { type: 'redis', keyPrefix: `topo-${process.pid}`, ...store } }, { baseDir: dir, environment: {} });
  const bundle = await createStoreBundle(loaded.config.store, dir, { logger });
  bundles.push(bundle);
  return bundle;
};
const tokenSet = (n: number) => ({ accessToken: new Secret(`access-${n}`), refreshToken: new Secret(`refresh-${n}`), issuedAt: Date.now(), expiresAt: Date.now() + 60_000 });

/** What every topology must do for the daemon: health, CAS writes, list, watch and the lease lock. */
async function exercise(bundle: StoreBundle, prefix: string) {
  await eventually(async () => (await bundle.health()).ok, 10_000, `${prefix}: healthy`);
  const changes: StoreChangeV1[] = [];
  bundle.store.watch?.((c) => changes.push(c));
  const ids = Array.from({ length: 6 }, (_, i) => `${prefix}-${i}`);
  for (const [i, id] of ids.entries()) await bundle.store.put(id, { broker: 'schwab', tokenSet: tokenSet(i) }, { expectedVersion: 0 });
  expect((await bundle.store.get(ids[0]!))?.tokenSet.accessToken.reveal()).toBe('access-0');
  await expect(bundle.store.put(ids[0]!, { broker: 'schwab', tokenSet: tokenSet(9) }, { expectedVersion: 0 })).rejects.toMatchObject({ code: 'STORE_CONFLICT' });
  expect((await bundle.store.list()).filter((id) => id.startsWith(`${prefix}-`))).toEqual(ids);
  const lease = await bundle.lock.acquire(ids[1]!, { ttlMs: 5_000 });
  await expect(bundle.lock.acquire(ids[1]!, { ttlMs: 5_000, waitMs: 50 })).rejects.toMatchObject({ code: 'LOCK_TIMEOUT' });
  await lease.release();
  await eventually(async () => changes.filter((c) => c.accountId.startsWith(`${prefix}-`)).length >= ids.length, 5_000, `${prefix}: watch saw every write`);
}

describe('Sentinel', () => {
  let master: RedisServer;
  let sentinel: RedisServer;
  beforeAll(async () => {
    master = await startRedisServer();
    sentinel = await startRedisServer({ sentinelOf: { port: master.port, name: 'tokens-test' } });
    cleanups.push(() => sentinel.destroy(), () => master.destroy());
  }, 30_000);

  it('finds the master through the sentinels and keeps the tokens there', async () => {
    const bundle = await open({ sentinels: [{ host: '127.0.0.1', port: sentinel.port }], name: 'tokens-test' });
    expect(bundle.describe).toBe(`redis:sentinel master "tokens-test"/topo-${process.pid}`);
    await exercise(bundle, 'sent');
    const direct = new Redis(master.port, '127.0.0.1');
    cleanups.push(() => direct.quit());
    expect(await direct.keys(`topo-${process.pid}:*sent-0*`), 'the records live on the master the sentinel named').not.toEqual([]);
  });

  it('reports a master name the sentinels do not know as unhealthy, naming it', async () => {
    const bundle = await open({ sentinels: [{ host: '127.0.0.1', port: sentinel.port }], name: 'no-such-master' });
    const health = await bundle.health();
    expect(health.ok).toBe(false);
    expect(health.error).toContain('sentinel master "no-such-master"');
  });
});

describe('Cluster', () => {
  let cluster: RedisCluster;
  beforeAll(async () => {
    cluster = await startRedisCluster(3);
    cleanups.push(() => cluster.destroy());
  }, 60_000);

  it('spreads the accounts over the masters and serves them like one server', async () => {
    const bundle = await open({ cluster: cluster.nodes });
    await exercise(bundle, 'clu');
    const direct = new Cluster(cluster.nodes);
    cleanups.push(() => direct.quit());
    await eventually(async () => direct.status === 'ready', 5_000, 'direct cluster client');
    const perNode = await Promise.all(direct.nodes('master').map((n) => n.keys(`topo-${process.pid}:*clu-*`)));
    expect(perNode.flat().length).toBeGreaterThan(0);
  });
});

it('a short-lived CLI command gives up quickly when no sentinel or cluster node answers', async () => {
  const nobody = [{ host: '127.0.0.1', port: await freePort() }];
  for (const store of [{ sentinels: nobody, name: 'mymaster' }, { cluster: nobody }]) {
    const loaded = parseConfig({ store: { type: 'redis', ...store } }, { baseDir: dir, environment: {} });
    const bundle = await createStoreBundle(loaded.config.store, dir, { logger, failFast: true });
    bundles.push(bundle);
    const t0 = performance.now();
    const outcome = await bundle.store.get('acct').then(() => 'answered', (e: Error) => e.message);
    expect(outcome, JSON.stringify(store)).not.toBe('answered');
    expect(performance.now() - t0, `${JSON.stringify(store)}: ${outcome}`).toBeLessThan(5_000);
  }
});

describe('TLS with a client certificate', () => {
  let certs: TestCertificates;
  let server: RedisServer;
  beforeAll(async () => {
    certs = makeTestCertificates();
    server = await startRedisServer({ tls: { cert: certs.serverCert, key: certs.serverKey, ca: certs.ca } });
    cleanups.push(() => server.destroy(), async () => rmSync(certs.dir, { recursive: true, force: true }));
  }, 30_000);

  it('connects with the CA, certificate and key read through ${file:}', async () => {
    expect(server.url).toMatch(/^rediss:\/\//);
    const bundle = await open({ url: server.url, tls: { ca: `\${file:${certs.ca}}`, cert: `\${file:${certs.clientCert}}`, key: `\${file:${certs.clientKey}}` } });
    await exercise(bundle, 'tls');
  });

  it('without a client certificate the server refuses, and health says so without leaking the key', async () => {
    const bundle = await open({ url: server.url, tls: { ca: `\${file:${certs.ca}}` } });
    await new Promise((r) => setTimeout(r, 500));
    const health = await bundle.health();
    expect(health.ok).toBe(false);
    expect(health.error).toMatch(/^Redis 127\.0\.0\.1:\d+/);
    expect(logs.join('\n')).not.toContain('PRIVATE KEY');
  });
});
