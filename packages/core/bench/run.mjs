#!/usr/bin/env node
// Benchmarks for @tokens/core. Prints figures; never fails on a timing.
// Targets on a 2-core machine: getAccessToken ≥ 3,000,000 ops/s; single flight with 10,000
// callers = exactly 1 broker call in < 50 ms; file-store put with fsync ≥ 1,000 ops/s; refresh
// cycles (file lock + file store) with 10,000 accounts ≥ 1,000 cycles/s.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createFileLock, createFileTokenStore, createMemoryTokenStore, createTokenManager, Secret } from '../dist/index.js';
import { createMockBrokerAdapter } from '../dist/testing.js';

const fmt = (n) => Math.round(n).toLocaleString('en-US');
const rows = [];
const report = (name, figure, target) => {
  rows.push({ benchmark: name, result: figure, target });
  console.log(`${name.padEnd(48)} ${figure.padEnd(34)} target ${target}`);
};
const tokenSet = (now, lifetime = 3_600_000) => ({
  accessToken: new Secret(`access-${now}-${Math.random()}`),
  refreshToken: new Secret(`refresh-${now}`),
  issuedAt: now,
  expiresAt: now + lifetime,
});

async function benchGetAccessToken() {
  const store = createMemoryTokenStore();
  await store.put('hot', { broker: 'mock', tokenSet: tokenSet(Date.now()) }, { expectedVersion: 0 });
  const manager = createTokenManager({ store });
  await manager.addAccount({ id: 'hot', adapter: createMockBrokerAdapter({ doRefresh: () => tokenSet(Date.now()) }) });
  const run = async (n) => {
    let sink = 0;
    for (let i = 0; i < n; i++) sink += (await manager.getAccessToken('hot')).length;
    return sink;
  };
  await run(200_000); // warm up
  const n = 3_000_000;
  const t0 = performance.now();
  await run(n);
  const ms = performance.now() - t0;
  await manager.stop();
  report('getAccessToken, valid token (sequential await)', `${fmt((n / ms) * 1000)} ops/s`, '≥ 3,000,000 ops/s');
}

async function benchSingleFlight() {
  const store = createMemoryTokenStore();
  await store.put('cold', { broker: 'mock', tokenSet: tokenSet(Date.now() - 7_200_000) }, { expectedVersion: 0 });
  const adapter = createMockBrokerAdapter({
    doRefresh: () => new Promise((resolve) => setImmediate(() => resolve(tokenSet(Date.now())))),
  });
  const manager = createTokenManager({ store });
  await manager.addAccount({ id: 'cold', adapter });
  const t0 = performance.now();
  const tokens = await Promise.all(Array.from({ length: 10_000 }, () => manager.getAccessToken('cold')));
  const ms = performance.now() - t0;
  await manager.stop();
  report('single flight, 10,000 concurrent callers', `${adapter.doRefreshCalls.length} broker call, ${ms.toFixed(1)} ms, ${new Set(tokens).size} token`, '1 call, < 50 ms');
}

async function benchFilePut() {
  const dir = mkdtempSync(join(tmpdir(), 'tokens-bench-'));
  const store = createFileTokenStore({ dir: join(dir, 'store') });
  let version = 0;
  const n = 2_000;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const r = await store.put('bench', { broker: 'mock', tokenSet: tokenSet(Date.now()) }, { expectedVersion: version });
    version = r.version;
  }
  const ms = performance.now() - t0;
  await store.close?.();
  rmSync(dir, { recursive: true, force: true });
  report('file store put (temp + fsync + rename + dir fsync)', `${fmt((n / ms) * 1000)} puts/s`, '≥ 1,000 puts/s');
}

async function benchRefreshCycles() {
  const dir = mkdtempSync(join(tmpdir(), 'tokens-bench-'));
  const store = createFileTokenStore({ dir: join(dir, 'store') });
  const lock = createFileLock({ dir: join(dir, 'locks') });
  const accounts = 10_000;
  const concurrency = 64;
  // What the engine does per refresh (engine/refresh-flow.ts), minus the broker call.
  const cycle = async (id) => {
    const lease = await lock.acquire(id, { ttlMs: 30_000, waitMs: 60_000 });
    try {
      const stored = await store.get(id);
      await store.put(id, { broker: 'mock', tokenSet: tokenSet(Date.now()) }, { expectedVersion: stored?.version ?? 0, fencingToken: lease.fencingToken });
    } finally {
      await lease.release();
    }
  };
  const latencies = [];
  const run = async (n) => {
    let next = 0;
    const worker = async () => {
      while (next < n) {
        const t = performance.now();
        await cycle(`acct-${next++ % accounts}`);
        latencies.push(performance.now() - t);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
  };
  await run(accounts); // first refresh of each account creates its files: not measured
  latencies.length = 0;
  const unwatch = store.watch(() => {}); // the daemon's engine always watches its store
  const n = 10_000;
  const t0 = performance.now();
  await run(n);
  const ms = performance.now() - t0;
  unwatch();
  await store.close();
  await lock.close();
  rmSync(dir, { recursive: true, force: true });
  const p99 = latencies.sort((a, b) => a - b)[Math.floor(latencies.length * 0.99)];
  report('file store + file lock, 64 concurrent refresh cycles over 10,000 accounts', `${fmt((n / ms) * 1000)} cycles/s (p99 ${fmt(p99)} ms)`, '≥ 1,000 cycles/s');
}

async function benchMemory() {
  global.gc?.();
  const before = process.memoryUsage().heapUsed;
  const store = createMemoryTokenStore();
  const manager = createTokenManager({ store });
  const n = 1_000;
  for (let i = 0; i < n; i++) {
    const id = `acct-${i}`;
    await store.put(id, { broker: 'mock', tokenSet: tokenSet(Date.now()) }, { expectedVersion: 0 });
    await manager.addAccount({ id, adapter: createMockBrokerAdapter({ doRefresh: () => tokenSet(Date.now()) }) });
  }
  global.gc?.();
  const after = process.memoryUsage().heapUsed;
  await manager.stop();
  report('memory per account (1,000 accounts, engine + store)', `${((after - before) / n / 1024).toFixed(1)} KiB`, 'report only');
}

await benchGetAccessToken();
await benchSingleFlight();
await benchFilePut();
await benchRefreshCycles();
await benchMemory();
