#!/usr/bin/env node
// High-availability benchmark: three daemons on one real redis-server share the same Schwab
// accounts (the fake, with rotating refresh tokens). Prints refreshes/s and how fast a token
// one daemon stored reaches the other two through Redis; writes its section of
// docs/benchmarks.md. Figures only: it never fails (exit 0 even when it cannot run).
//
//   node bench/ha.mjs                       # after `pnpm build`; needs redis-server on PATH
//   TOKENS_BENCH_HA_ACCOUNTS=3000 node bench/ha.mjs
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { createConnection, createServer } from 'node:net';
import { cpus, release, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const CLI = join(here, '..', 'dist', 'cli.js');
const ACCOUNTS = Number(process.env.TOKENS_BENCH_HA_ACCOUNTS ?? 1_500);
const DAEMONS = 3;
const LIFETIME_S = 60;
const STEADY_MS = 20_000;
const APP_KEY = 'bench-ha-app-key-0000000000000000';
const APP_SECRET = 'bench-ha-secret';
const API_TOKEN = 'bench-ha-api-token-0123456789abcdef';
const PREFIX = 'tokens-bench-ha';

const rows = [];
const report = (name, result, target) => {
  rows.push({ name, result, target });
  console.log(`${name.padEnd(58)} ${result.padEnd(44)} target ${target}`);
};
const pct = (arr, p) => {
  const s = [...arr].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] : Number.NaN;
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const rssOf = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) * 1024;
const fmt = (n) => n.toLocaleString('en-US');

const freePort = () =>
  new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
const canConnect = (port) =>
  new Promise((resolve) => {
    const sock = createConnection({ port, host: '127.0.0.1' });
    sock.once('connect', () => (sock.destroy(), resolve(true)));
    sock.once('error', () => resolve(false));
  });

async function startRedis(dir) {
  const probe = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) throw new Error('redis-server is not on PATH (apt-get install -y redis-server)');
  const port = await freePort();
  // Persistence as recommended for production (AOF, fsync every second).
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'yes', '--appendfsync', 'everysec'], { stdio: 'ignore' });
  for (let i = 0; !(await canConnect(port)); i++) {
    if (child.exitCode !== null || i > 500) throw new Error('redis-server did not start');
    await sleep(10);
  }
  return { url: `redis://127.0.0.1:${port}`, child };
}

async function startDaemon(dir, name, redisUrl, brokerUrl, ids) {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const home = join(dir, name);
  mkdirSync(home, { recursive: true });
  const accounts = Object.fromEntries(
    ids.map((id) => [id, { broker: 'schwab', appKey: APP_KEY, appSecret: APP_SECRET, callbackUrl: 'https://127.0.0.1:8182', baseUrl: brokerUrl, refreshAhead: { ratio: 0.5, jitter: 0.05 } }]),
  );
  const config = { store: { type: 'redis', url: redisUrl, keyPrefix: PREFIX }, http: { listen: `127.0.0.1:${port}`, apiToken: API_TOKEN }, log: { level: 'warn' }, accounts };
  writeFileSync(join(home, 'tokens.json'), JSON.stringify(config));
  const child = spawn(process.execPath, [CLI, 'start', '--config', join(home, 'tokens.json')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (c) => (out = (out + c).slice(-4000)));
  child.stderr.on('data', (c) => (out = (out + c).slice(-4000)));
  for (;;) {
    if (child.exitCode !== null) throw new Error(`daemon ${name} exited:\n${out}`);
    try {
      if ((await fetch(`${url}/healthz`)).ok) break;
    } catch {}
    await sleep(20);
  }
  return { name, url, child };
}

/** Every `token` event of a daemon's SSE feed: { accountId, version, at (daemon clock), source }. */
function follow(url, events) {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/v1/events`, { headers: { authorization: `Bearer ${API_TOKEN}` } }, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`SSE answered ${res.statusCode}`));
      res.setEncoding('utf8');
      let buf = '';
      res.on('data', (c) => {
        buf += c;
        for (let i; (i = buf.indexOf('\n\n')) >= 0; ) {
          const frame = buf.slice(0, i);
          buf = buf.slice(i + 2);
          if (!frame.startsWith('id: ') || !frame.includes('\nevent: token\n')) continue;
          events.push(JSON.parse(frame.slice(frame.indexOf('data: ') + 6)));
        }
      });
      res.on('error', () => undefined);
      resolve(req);
    });
    req.on('error', reject);
    req.end();
  });
}

/** From the event of the daemon that stored a version (source "refresh") to each other daemon's event for it. */
function propagation(feeds, from, to) {
  const indexed = feeds.map((events) => new Map(events.map((e) => [`${e.accountId}@${e.version}`, e])));
  const lags = [];
  let missing = 0;
  for (const events of feeds) {
    for (const e of events) {
      if (e.source !== 'refresh' || e.at < from || e.at > to) continue;
      for (const other of indexed) {
        const seen = other.get(`${e.accountId}@${e.version}`);
        if (!seen) missing++;
        else if (seen !== e) lags.push(seen.at - e.at);
      }
    }
  }
  return { lags, missing };
}

async function main() {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run pnpm build first`);
  const [{ Secret }, { createRedisTokenStore }, { startFakeSchwab }, { Redis }] = await Promise.all([
    import('@tokens/core'),
    import('@tokens/redis'),
    import('@tokens/schwab/fake'),
    import('ioredis'),
  ]);
  const dir = mkdtempSync(join(tmpdir(), 'tokens-bench-ha-'));
  const cleanups = [() => rmSync(dir, { recursive: true, force: true })];
  try {
    const redis = await startRedis(dir);
    cleanups.unshift(() => redis.child.kill('SIGKILL'));
    const fake = await startFakeSchwab({ appKey: APP_KEY, appSecret: APP_SECRET, accessTokenLifetimeSeconds: LIFETIME_S, rotateRefreshTokens: true, loginRevokesPrevious: false });
    cleanups.unshift(() => fake.close());
    const client = new Redis(redis.url);
    const store = createRedisTokenStore({ client, keyPrefix: PREFIX });
    cleanups.unshift(async () => (await store.close(), client.disconnect()));

    // Sessions whose ages are spread over a whole lifetime, so renewals run at a steady
    // ACCOUNTS / 30 s from the start (each is renewed at half its life).
    const ids = Array.from({ length: ACCOUNTS }, (_, i) => `acct-${i}`);
    const now = Date.now();
    for (const [i, id] of ids.entries()) {
      const s = fake.issueSession();
      const issuedAt = now - Math.floor((i / ACCOUNTS) * LIFETIME_S * 1000);
      const tokenSet = { accessToken: new Secret(s.accessToken), refreshToken: new Secret(s.refreshToken), issuedAt, expiresAt: s.expiresAt, refreshExpiresAt: s.refreshExpiresAt };
      await store.put(id, { broker: 'schwab', tokenSet }, { expectedVersion: 0 });
    }

    const daemons = await Promise.all(Array.from({ length: DAEMONS }, (_, i) => startDaemon(dir, `d${i}`, redis.url, fake.url, ids)));
    for (const d of daemons) cleanups.unshift(() => d.child.kill('SIGKILL'));
    const feeds = daemons.map(() => []);
    const streams = await Promise.all(daemons.map((d, i) => follow(d.url, feeds[i])));
    cleanups.unshift(() => streams.forEach((s) => s.destroy()));

    // 1. Steady renewals: each due token renewed once, by whichever daemon gets the lease.
    await sleep(3_000);
    const granted = () => fake.tokenRequests('refresh_token').length;
    let t0 = Date.now();
    let before = granted();
    await sleep(STEADY_MS);
    let t1 = Date.now();
    const steady = (granted() - before) / ((t1 - t0) / 1000);
    await sleep(1_000);
    const p1 = propagation(feeds, t0, t1);
    report(`${DAEMONS} daemons, one Redis, ${fmt(ACCOUNTS)} accounts: steady renewals`, `${steady.toFixed(1)} refreshes/s (each due token once)`, `${(ACCOUNTS / (LIFETIME_S / 2)).toFixed(0)}/s scheduled`);
    report('propagation, stored → other daemons (steady)', `p50 ${pct(p1.lags, 50)} ms, p99 ${pct(p1.lags, 99)} ms, max ${Math.max(...p1.lags)} ms (${fmt(p1.lags.length)})`, 'p99 ≤ 1,000 ms');

    // 2. Every account refreshed at once (a forced refresh each, spread over the daemons), as
    // after a broker-wide rollover: throughput of lease + broker call + store + change feed.
    const agent = new Agent({ keepAlive: true, maxSockets: 64 });
    let next = 0;
    t0 = Date.now();
    before = granted();
    const s0 = performance.now();
    await Promise.all(
      Array.from({ length: 48 }, async () => {
        while (next < ids.length) {
          const i = next++;
          const d = daemons[i % DAEMONS];
          await new Promise((resolve) => {
            const req = request(`${d.url}/v1/accounts/${ids[i]}/refresh`, { method: 'POST', agent, headers: { authorization: `Bearer ${API_TOKEN}` } }, (res) => {
              res.resume();
              res.on('end', resolve);
            });
            req.on('error', resolve);
            req.end();
          });
        }
      }),
    );
    const secs = (performance.now() - s0) / 1000;
    const burst = granted() - before;
    t1 = Date.now();
    await sleep(2_000);
    const p2 = propagation(feeds, t0, t1);
    report(`${fmt(ACCOUNTS)} forced refreshes through ${DAEMONS} daemons at once`, `${(burst / secs).toFixed(0)} refreshes/s (${fmt(burst)} broker calls in ${secs.toFixed(1)} s)`, '—');
    report('propagation, stored → other daemons (under that load)', `p50 ${pct(p2.lags, 50)} ms, p99 ${pct(p2.lags, 99)} ms, max ${Math.max(...p2.lags)} ms (${fmt(p2.lags.length)})`, 'p99 ≤ 1,000 ms');

    const presented = new Map();
    for (const c of fake.tokenRequests('refresh_token')) presented.set(c.form.refresh_token, (presented.get(c.form.refresh_token) ?? 0) + 1);
    const duplicates = [...presented.values()].filter((n) => n > 1).length;
    const rss = daemons.map((d) => rssOf(d.child.pid) / 2 ** 20);
    report('duplicate refreshes at the broker; daemons RSS', `${duplicates} of ${fmt(presented.size)}; ${rss.map((r) => r.toFixed(0)).join(' / ')} MB`, `0; —`);
    if (p1.missing + p2.missing > 0) console.log(`(${p1.missing + p2.missing} daemon/version pairs never announced: a newer version overtook them)`);
  } finally {
    for (const c of cleanups) await Promise.resolve(c()).catch(() => undefined);
  }
}

try {
  await main();
  if (!process.env.TOKENS_BENCH_ONLY) {
    const docs = join(here, '..', '..', '..', 'docs');
    if (!existsSync(docs)) mkdirSync(docs);
    const machine = `${cpus().length} × ${cpus()[0]?.model.trim()}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM, Linux ${release()}, Node ${process.version}`;
    const table = rows.map((r) => `| ${r.name} | ${r.result} | ${r.target} |`).join('\n');
    const title = '## High availability (apps/daemon, three daemons on Redis)';
    const section = `${title}\n\nMachine: ${machine}. Run: ${new Date().toISOString().slice(0, 10)}. \`node apps/daemon/bench/ha.mjs\`.\n\n| benchmark | result | target |\n| --- | --- | --- |\n${table}\n`;
    const file = join(docs, 'benchmarks.md');
    const existing = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n\nProduced by `pnpm bench`; figures, never pass/fail.\n\n';
    const re = /## High availability \(apps\/daemon[^\n]*\n[\s\S]*?(?=\n## |$)/;
    const updated = re.test(existing) ? existing.replace(re, section) : `${existing.trimEnd()}\n\n${section}`;
    writeFileSync(file, updated);
    console.log('\nwritten to docs/benchmarks.md');
  }
} catch (error) {
  console.log(`HA benchmark did not run: ${error instanceof Error ? error.message : error}`);
}
process.exit(0);
