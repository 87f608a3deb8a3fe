import { fork, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Secret } from '@tokens/core';
import { createRedisTokenStore } from '../src/index';
import { ensureBuilt, fixture } from './helpers/build';
import { closeAll, connect, uniquePrefix } from './helpers/clients';
import { accessToken, refreshToken, startHaBroker, type HaBroker } from './helpers/ha-broker';
import { startRedisServer, type RedisServer } from './helpers/redis-server';

/*
 * High availability with real processes: three embedded token managers (built @tokens/core +
 * built @tokens/redis) share 50 accounts whose tokens live LIFETIME_MS, against a broker that
 * rotates refresh tokens and rejects reused ones. The busiest process is SIGKILLed mid-run
 * while it holds a lease with a request in flight. TOKENS_HA_SECONDS=120 runs it longer.
 */
const SECONDS = Number(process.env.TOKENS_HA_SECONDS ?? 20);
const ACCOUNTS = 50;
const WORKERS = 3;
const LIFETIME_MS = 3_000;
const ENGINE = {
  refreshTimeoutMs: 800,
  // Renewal at ~40 % of the lifetime plus a lapsed lease of a dead holder still ends well
  // before the token dies (1.3 s + 1.2 s < 3 s). A live process stalled for longer than the
  // lease would refresh twice: no lock can prevent that, only a shorter stall.
  lockTtlMs: 1_200,
  expirySkewMs: 200,
  refreshAhead: { ratio: 0.4, jitter: 0.05, minMarginMs: 600 },
  backoff: { initialMs: 100, maxMs: 500, factor: 2 },
};

interface Change {
  worker: string;
  at: number;
  accountId: string;
  version: number;
  source: string;
}
interface Report {
  worker: string;
  tokens: Record<string, { version?: number; state: string; token: string }>;
}

let server: RedisServer;
let broker: HaBroker;
const children = new Map<string, ChildProcess>();
beforeAll(async () => {
  ensureBuilt();
  server = await startRedisServer();
  broker = await startHaBroker({ lifetimeMs: LIFETIME_MS, holdMs: 40 });
}, 120_000);
afterAll(async () => {
  for (const child of children.values()) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await closeAll();
  await broker?.close();
  await server?.destroy();
});

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
};

it(`${WORKERS} processes, ${ACCOUNTS} accounts, ${LIFETIME_MS / 1000} s tokens for ${SECONDS} s, busiest process SIGKILLed: one broker call per renewal, no token lost or expired`, async () => {
  const prefix = uniquePrefix('ha');
  const client = connect(server.url);
  const store = createRedisTokenStore({ client, keyPrefix: prefix });
  const ids = Array.from({ length: ACCOUNTS }, (_, i) => `acct-${String(i).padStart(3, '0')}`);
  const changes: Change[] = [];
  const reports = new Map<string, Report>();
  const ready = [];
  for (let w = 0; w < WORKERS; w++) {
    const name = `w${w}`;
    const child = fork(fixture('ha-worker.mjs'), [server.url, prefix, broker.url, name, ids.join(','), JSON.stringify(ENGINE)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    children.set(name, child);
    ready.push(
      new Promise<void>((resolve, reject) => {
        child.once('exit', (code) => reject(new Error(`${name} exited early (${code})`)));
        child.on('message', (m: { type: string }) => {
          if (m.type === 'ready') resolve();
          if (m.type === 'change') changes.push(m as unknown as Change);
          if (m.type === 'report') reports.set(name, m as unknown as Report);
        });
      }),
    );
  }
  await Promise.all(ready);

  // A human "logs in" every account now (the processes start with none): ages spread over the
  // first third of the lifetime, as tokens minted at different times would be.
  const now = Date.now();
  for (const [i, id] of ids.entries()) {
    const issuedAt = now - Math.floor((i / ACCOUNTS) * (LIFETIME_MS / 3));
    broker.seed(id, 0, issuedAt + LIFETIME_MS);
    const tokenSet = { accessToken: new Secret(accessToken(id, 0)), refreshToken: new Secret(refreshToken(id, 0)), issuedAt, expiresAt: issuedAt + LIFETIME_MS };
    await store.put(id, { broker: 'loopback', tokenSet }, { expectedVersion: 0 });
  }
  const started = Date.now();
  const until = (t: number) => new Promise((r) => setTimeout(r, Math.max(0, t - Date.now())));

  // Kill the busiest process while it has a request in flight (so it holds that account's
  // lease) and has not been answered in the last 100 ms (so every grant it got is persisted).
  await until(started + SECONDS * 400);
  const busiest = Object.entries(broker.stats.grantsByWorker).sort((a, b) => b[1] - a[1])[0]![0];
  let killedAt = 0;
  let inFlightAtKill = 0;
  while (!killedAt) {
    const flights = broker.inFlight(busiest).filter((f) => Date.now() - f.startedAt < 20);
    if (flights.length > 0 && Date.now() - broker.lastGrantAt(busiest) > 100) {
      broker.markKilled(busiest);
      children.get(busiest)!.kill('SIGKILL');
      killedAt = Date.now();
      inFlightAtKill = broker.inFlight(busiest).length;
    } else await new Promise((r) => setTimeout(r, 1));
  }
  children.get(busiest)!.removeAllListeners('exit');

  await until(started + SECONDS * 1000);
  // Quiesce: the broker stops rotating, in-flight writes land, then everyone reports.
  broker.maintenance(true);
  const requestsBeforeQuiesce = broker.stats.requests;
  await new Promise((r) => setTimeout(r, 300));
  const survivors = [...children].filter(([name]) => name !== busiest);
  for (const [, child] of survivors) child.send('report');
  const deadline = Date.now() + 5_000;
  while (reports.size < survivors.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  const stored = new Map(await Promise.all(ids.map(async (id) => [id, await store.get(id)] as const)));
  for (const [, child] of survivors) child.send('stop');
  await Promise.all(survivors.map(([, c]) => new Promise((r) => (c.exitCode === null ? c.once('exit', r) : r(null)))));

  // Propagation: from the first process holding a version (the one that wrote it) to each other one.
  const byVersion = new Map<string, number[]>();
  for (const c of changes) byVersion.set(`${c.accountId}@${c.version}`, [...(byVersion.get(`${c.accountId}@${c.version}`) ?? []), c.at]);
  const lags = [...byVersion.values()].flatMap((times) => {
    const [first, ...rest] = [...times].sort((a, b) => a - b);
    return rest.map((t) => t - first!);
  });
  const s = broker.stats;
  console.log(
    `[ha] ${SECONDS}s: ${s.grants} grants (${(s.grants / SECONDS).toFixed(1)}/s), by worker ${JSON.stringify(s.grantsByWorker)}, ` +
      `rejected ${s.rejected}, late ${s.late}, abandoned ${s.abandoned} (killed ${busiest} at +${((killedAt - started) / 1000).toFixed(1)}s with ${inFlightAtKill} in flight), ` +
      `propagation p50 ${percentile(lags, 50)} ms p99 ${percentile(lags, 99)} ms max ${Math.max(...lags)} ms over ${lags.length} samples`,
  );

  expect(reports.size, 'both survivors reported').toBe(survivors.length);
  expect(s.rejections, 'no refresh token was ever presented twice (no duplicate refresh)').toEqual([]);
  expect(s.late, 'no access token expired before it was renewed, kill included').toBe(0);
  expect(s.abandoned, 'the kill caught a request in flight').toBeGreaterThanOrEqual(1);
  expect(requestsBeforeQuiesce, 'every broker request was a grant or died with the killed process').toBe(s.grants + s.abandoned);
  for (const id of ids) {
    const record = stored.get(id)!;
    const grants = s.grantsByAccount[id] ?? 0;
    expect(grants, `${id} kept being renewed`).toBeGreaterThanOrEqual(Math.floor(SECONDS / LIFETIME_MS) * 1);
    expect(record.version, `${id}: one stored version per grant`).toBe(grants + 1);
    expect(record.tokenSet.accessToken.reveal(), `${id}: the store holds the broker's latest token`).toBe(accessToken(id, grants));
    for (const [name, report] of reports) {
      expect(report.tokens[id], `${name} serves ${id}'s latest token`).toEqual({ version: record.version, state: expect.any(String), token: accessToken(id, grants) });
    }
  }
  expect(percentile(lags, 99), 'p99 propagation under a second').toBeLessThan(1_000);
  await store.close();
}, (SECONDS + 60) * 1000);
