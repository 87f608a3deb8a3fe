#!/usr/bin/env node
// @tokens/client benchmarks against a REAL daemon process (one Dhan account on the fake Dhan).
// Prints figures; never fails on a timing. Needs `pnpm build` here and in apps/daemon.
//   - getAccessToken ops/s from the client's cache (the hot path of a bot)
//   - push latency p50/p99 from a refresh to the client's onChange callback, SSE and socket, end
//     to end and from the daemon's publish time (the events' `at`); a bare socket reader for scale
//   - invalidate() until the newer token is in hand, with url (HTTP) and with socketPath only
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { connect, createServer } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { FAKE_DHAN_CLIENT, startFakeDhan } from '@tokens/dhan/fake';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const CLI = join(dirname(require.resolve('tokens/package.json')), 'dist', 'cli.js');
const DIST = join(here, '..', 'dist', 'index.js');
for (const f of [CLI, DIST]) if (!existsSync(f)) throw new Error(`${f} is missing: run pnpm build (apps/daemon and packages/client).`);
const { createTokensClient } = await import(DIST);

const REFRESHES = Number(process.env.BENCH_REFRESHES ?? 200);
const INVALIDATIONS = Number(process.env.BENCH_INVALIDATIONS ?? 50);
const API_TOKEN = 'bench-api-token-0123456789abcdef';
const ACCOUNT = 'dhan-bench';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const pct = (arr, p) => {
  const s = [...arr].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const ms = (v) => `${v.toFixed(2)} ms`;
// Wall clock with sub-millisecond resolution, comparable with the daemon's `at` (Date.now() there,
// whole milliseconds: figures measured from `at` carry up to 1 ms of that rounding).
const wall = () => performance.timeOrigin + performance.now();
const line = (name, value) => console.log(`${name.padEnd(68)} ${value}`);

const port = await new Promise((resolve) => {
  const s = createServer().listen(0, '127.0.0.1', () => {
    const p = s.address().port;
    s.close(() => resolve(p));
  });
});
const dhan = await startFakeDhan({ tokenLifetimeMs: 3_600_000 });
const dir = mkdtempSync(join(tmpdir(), 'tokens-client-bench-'));
const url = `http://127.0.0.1:${port}`;
const socketPath = join(dir, 'tokens.sock');
writeFileSync(
  join(dir, 'tokens.yaml'),
  JSON.stringify({
    store: { type: 'file', dir: join(dir, 'store') },
    http: { listen: `127.0.0.1:${port}`, apiToken: API_TOKEN },
    socket: { path: socketPath },
    log: { level: 'warn' },
    accounts: {
      [ACCOUNT]: { broker: 'dhan', mode: 'totp', clientId: FAKE_DHAN_CLIENT.clientId, pin: FAKE_DHAN_CLIENT.pin, totpSecret: FAKE_DHAN_CLIENT.totpSecret, baseUrl: dhan.url, authBaseUrl: dhan.authUrl },
    },
  }),
);
const child = spawn(process.execPath, [CLI, 'start', '--config', join(dir, 'tokens.yaml')], { stdio: ['ignore', 'pipe', 'pipe'] });
let output = '';
child.stdout.on('data', (c) => (output += c));
child.stderr.on('data', (c) => (output += c));
const headers = { authorization: `Bearer ${API_TOKEN}` };

/** A bare JSON-lines consumer of the socket, subscribed to the account; `onPush` gets each pushed token line. */
async function rawSubscriber(onPush) {
  const s = connect(socketPath);
  s.setEncoding('utf8');
  let buf = '';
  let subscribed;
  const ready = new Promise((r) => (subscribed = r));
  s.on('data', (chunk) => {
    buf += chunk;
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const m = JSON.parse(buf.slice(0, nl));
      buf = buf.slice(nl + 1);
      if (m.event === undefined && m.id === 'sub') subscribed();
      else if (m.event === 'token' && m.source !== 'snapshot') onPush(m);
    }
  });
  await new Promise((r) => s.once('connect', r));
  s.write(`${JSON.stringify({ id: 'auth', op: 'auth', token: API_TOKEN })}\n${JSON.stringify({ id: 'sub', op: 'subscribe', accounts: [ACCOUNT] })}\n`);
  await ready;
  return s;
}

try {
  for (const deadline = Date.now() + 15_000; ; ) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`the daemon did not start:\n${output}`);
    const ok = await fetch(`${url}/v1/accounts/${ACCOUNT}`, { headers })
      .then((r) => (r.ok ? r.json() : undefined))
      .then((s) => s?.tokenValid === true && existsSync(socketPath))
      .catch(() => false);
    if (ok) break;
    await sleep(20);
  }
  console.log(`@tokens/client bench — node ${process.version}, ${cpus().length} CPUs, ${REFRESHES} refreshes per transport\n`);

  // 1. The hot path: a cached token.
  {
    const client = createTokensClient({ url, apiToken: API_TOKEN, accounts: [ACCOUNT] });
    await client.ready();
    await client.getAccessToken(ACCOUNT);
    const N = 2_000_000;
    for (let i = 0; i < 100_000; i++) await client.getAccessToken(ACCOUNT); // warm-up
    let t0 = performance.now();
    for (let i = 0; i < N; i++) await client.getAccessToken(ACCOUNT);
    let s = (performance.now() - t0) / 1000;
    line('getAccessToken (cached, awaited one by one)', `${Math.round(N / s).toLocaleString('en-US')} ops/s`);
    t0 = performance.now();
    const batch = [];
    for (let i = 0; i < N; i++) batch.push(client.getAccessToken(ACCOUNT));
    await Promise.all(batch);
    s = (performance.now() - t0) / 1000;
    line('getAccessToken (cached, 2M concurrent)', `${Math.round(N / s).toLocaleString('en-US')} ops/s`);
    await client.close();
  }

  // 2. Push latency: refresh → onChange, end to end and from the daemon's publish time (`at`).
  for (const [name, options] of [
    ['SSE', { url }],
    ['Unix socket', { socketPath }],
  ]) {
    const client = createTokensClient({ ...options, apiToken: API_TOKEN, accounts: [ACCOUNT] });
    await client.ready();
    // Per version: when onChange saw it (wall clock, sub-ms) and when the daemon published it.
    const changedAt = new Map();
    const publishedAt = new Map();
    let waiting;
    client.onChange(ACCOUNT, (t) => {
      changedAt.set(t.version, wall());
      waiting?.(t);
    });
    client.onEvent((e) => {
      if (e.type === 'token' && typeof e.at === 'number') publishedAt.set(e.version, e.at);
    });
    // A bare socket consumer (what a C++ or Python program sees) next to the client.
    const rawArrivals = [];
    const raw = name === 'Unix socket' ? await rawSubscriber((m) => typeof m.at === 'number' && rawArrivals.push(wall() - m.at)) : undefined;
    const total = [];
    const afterAnswer = [];
    const fromPublish = [];
    for (let i = 0; i < REFRESHES; i++) {
      const before = client.peek(ACCOUNT)?.version ?? 0;
      const got = new Promise((resolve) => (waiting = (t) => t.version > before && resolve(t)));
      const t0 = performance.now();
      const res = await fetch(`${url}/v1/accounts/${ACCOUNT}/refresh`, { method: 'POST', headers });
      const answered = performance.now();
      await res.arrayBuffer();
      const t = await got;
      const t1 = changedAt.get(t.version) - performance.timeOrigin;
      total.push(t1 - t0);
      afterAnswer.push(Math.max(0, t1 - answered));
      if (publishedAt.has(t.version)) fromPublish.push(changedAt.get(t.version) - publishedAt.get(t.version));
    }
    line(`${name}: refresh request → onChange p50 / p99 (end to end)`, `${ms(pct(total, 50))} / ${ms(pct(total, 99))}`);
    line(`${name}: refresh answered → onChange p50 / p99 (0: pushed first)`, `${ms(pct(afterAnswer, 50))} / ${ms(pct(afterAnswer, 99))}`);
    line(`${name}: daemon publish (at) → onChange p50 / p99`, `${ms(pct(fromPublish, 50))} / ${ms(pct(fromPublish, 99))} (${fromPublish.length}/${REFRESHES})`);
    if (raw) {
      await sleep(50);
      line(`${name}: daemon publish (at) → bare socket reader p50 / p99`, `${ms(pct(rawArrivals, 50))} / ${ms(pct(rawArrivals, 99))} (${rawArrivals.length}/${REFRESHES})`);
      raw.destroy();
    }
    await client.close();
  }

  // 3. invalidate() after a 401: until the newer token is in hand (includes the broker refresh).
  for (const [name, options] of [
    ['url (HTTP)', { url }],
    ['socketPath only (socket op)', { socketPath }],
  ]) {
    const client = createTokensClient({ ...options, apiToken: API_TOKEN, accounts: [ACCOUNT] });
    await client.ready();
    const took = [];
    for (let i = 0; i < INVALIDATIONS; i++) {
      const rejected = await client.getToken(ACCOUNT);
      const t0 = performance.now();
      const fresh = await client.invalidate(ACCOUNT, { accessToken: rejected.accessToken });
      took.push(performance.now() - t0);
      if (!(fresh.version > rejected.version)) throw new Error('invalidate() did not give a newer token');
    }
    line(`invalidate() → newer token, ${name}, p50 / p99`, `${ms(pct(took, 50))} / ${ms(pct(took, 99))}`);
    await client.close();
  }
  console.log(
    '\nThe refresh and invalidate() include the broker call (fake Dhan on loopback); SSE adds one HTTP read per push, the socket carries the token itself.' +
      '\n"publish (at)" figures start at the daemon\'s event stamp (whole ms, same host clock), so they leave out the broker call.',
  );
} finally {
  child.kill('SIGTERM');
  await new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
  await dhan.close();
  rmSync(dir, { recursive: true, force: true });
}
