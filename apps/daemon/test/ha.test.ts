import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Secret } from '@tokens/core';
import { createRedisTokenStore, type RedisTokenStore } from '@tokens/redis';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startHaBroker, type Grant, type HaBroker } from './helpers/ha-broker';
import { startHaDaemon, type HaDaemon } from './helpers/ha-daemons';
import { startHaRedis, type HaRedis } from './helpers/ha-redis';
import { CLI } from './helpers/daemon-process';
import { parseConfig } from '../src/config/load';

/*
 * High availability with real processes (issue 11, item 6): three `tokens start` daemons on one
 * real redis-server share 200 Schwab accounts whose access tokens live 10 s, against the Schwab
 * fake with rotating refresh tokens (a reused refresh token is refused: a duplicate refresh
 * would kill the session). Mid-run the daemon doing most refreshes is SIGKILLed while it holds
 * leases; later Redis is stopped and started again on the same port and AOF directory.
 *
 * TOKENS_HA_SECONDS=120 runs it for the issue's two minutes (default 45 s, < 90 s wall time).
 */
const SECONDS = Number(process.env.TOKENS_HA_SECONDS ?? 45);
const ACCOUNTS = 200;
const DAEMONS = 3;
const LIFETIME_S = 10;
const LIFETIME_MS = LIFETIME_S * 1000;
const LOCK_TTL_MS = 3_000;
// The daemon's engine knobs. Renewal at 50 % ± 5 % of the life (5 s ± 0.5 s): 40 refreshes/s
// for 200 accounts, which three daemons and this harness sustain on a loaded 2-core machine
// (at 4 s lifetimes, 125/s starved them into multi-second stalls). A dead refresher's lease
// lapses after at most 3 s, so a renewal that has to wait for it still lands before the
// expiry (5.5 + 3 + a poll < 9.5). The lease is extended every second while a broker call runs
// and a call is abandoned after 2.5 s: only a daemon stalled for seconds could refresh
// twice or drop a rotated refresh token the broker already issued.
const ENGINE = { refreshTimeout: '2500ms', lockTtl: `${LOCK_TTL_MS}ms`, expirySkew: '500ms' };
const REFRESH_AHEAD = { ratio: 0.5, jitter: 0.05, minMargin: '2s' };
const BROKER_LATENCY_MS = 25;
// Redis stays down this long (plus its stop and start): shorter than the 2 s a lease has left
// at least, so a refresh in flight still holds its lease when its queued write lands.
// Also long enough for /readyz (whose Redis probe waits up to ~1 s) to answer inside the outage.
const REDIS_DOWN_MS = 1_800;
const APP_KEY = 'ha-test-app-key-000000000000000000';
const APP_SECRET = 'ha-test-app-secret-0000';
const API_TOKEN = 'ha-test-api-token-0123456789abcdef';
const PREFIX = `tokens-ha-${process.pid}`;
const LOG_DIR = process.env.TOKENS_HA_LOG_DIR;

const ids = Array.from({ length: ACCOUNTS }, (_, i) => `acct-${String(i).padStart(3, '0')}`);
const dir = mkdtempSync(join(tmpdir(), 'tokens-daemon-ha-'));
let redis: HaRedis;
let broker: HaBroker;
let client: Redis;
let store: RedisTokenStore;
const daemons: HaDaemon[] = [];
// Cleared by afterAll, so the background samplers of a failed run stop too.
let live = true;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const until = (t: number) => sleep(Math.max(0, t - Date.now()));
const pct = (values: number[], p: number) => {
  const s = [...values].sort((a, b) => a - b);
  return s.length === 0 ? Number.NaN : s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};

beforeAll(async () => {
  // The engine knobs above must reach the daemons: an ignored key would leave the 30 s / 60 s /
  // 10 s defaults, under which 10 s tokens can never be renewed in time.
  const probe = parseConfig({ engine: ENGINE }, { baseDir: dir });
  const engine = (probe.config as { engine?: Record<string, number> }).engine;
  if (engine?.lockTtl !== LOCK_TTL_MS || engine.refreshTimeout !== 2_500 || engine.expirySkew !== 500) {
    throw new Error(`the daemon config does not accept engine: { refreshTimeout, lockTtl, expirySkew } (parsed: ${JSON.stringify(engine)}); this test needs those knobs`);
  }
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build the daemon first (cd apps/daemon && pnpm build).`);
  redis = await startHaRedis();
  broker = await startHaBroker({ appKey: APP_KEY, appSecret: APP_SECRET, lifetimeSeconds: LIFETIME_S, latencyMs: BROKER_LATENCY_MS });
  client = new Redis(redis.url, { maxRetriesPerRequest: 50 });
  client.on('error', () => undefined); // the Redis restart below
  store = createRedisTokenStore({ client, keyPrefix: PREFIX });
  const fronts = await Promise.all(Array.from({ length: DAEMONS }, (_, i) => broker.front(`d${i}`)));
  const started = await Promise.all(
    fronts.map((brokerUrl, i) =>
      startHaDaemon({ name: `d${i}`, dir, redisUrl: redis.url, keyPrefix: PREFIX, apiToken: API_TOKEN, brokerUrl, appKey: APP_KEY, appSecret: APP_SECRET, accounts: ids, engine: ENGINE, refreshAhead: REFRESH_AHEAD, ...(LOG_DIR ? { logLevel: 'info' } : {}) }),
    ),
  );
  daemons.push(...started);
}, 60_000);

afterAll(async () => {
  live = false;
  // TOKENS_HA_LOG_DIR=/some/dir keeps every daemon's log (at info level) for a post-mortem.
  if (LOG_DIR) for (const d of daemons) writeFileSync(join(LOG_DIR, `${d.name}.log`), `${d.process.output.join('\n')}\n`);
  for (const d of daemons) {
    d.closeFeed();
    await d.process.stop('SIGKILL');
  }
  await store?.close();
  client?.disconnect();
  await broker?.close();
  await redis?.destroy();
  rmSync(dir, { recursive: true, force: true });
});

interface Sample {
  daemon: string;
  account: string;
  sentAt: number;
  status: number;
  grant?: Grant;
  /** The token was one the fake minted at the seeded login. */
  seeded: boolean;
  accepted?: boolean;
}

it(`${DAEMONS} daemons on one Redis, ${ACCOUNTS} accounts with ${LIFETIME_S} s tokens for ${SECONDS} s; the busiest daemon SIGKILLed, Redis restarted: one broker refresh per renewal, no token expired or lost, every daemon serves each new token within a second`, async () => {
  // A human logged every account in (the daemons start with none), spread over one renewal
  // period as tokens minted at different times would be (a burst would only measure a cold
  // start). The daemons pick each one up from Redis. The run's clock starts here.
  const started = Date.now();
  for (const [i, id] of ids.entries()) {
    const s = broker.seed(id);
    const tokenSet = { accessToken: new Secret(s.accessToken), refreshToken: new Secret(s.refreshToken), issuedAt: s.issuedAt, expiresAt: s.expiresAt, refreshExpiresAt: s.refreshExpiresAt };
    await store.put(id, { broker: 'schwab', tokenSet }, { expectedVersion: 0 });
    await until(started + Math.floor(((i + 1) / ACCOUNTS) * REFRESH_AHEAD.ratio * LIFETIME_MS));
  }
  for (const d of daemons) {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const { json } = await d.get('/v1/accounts');
      const states = (json as { accounts: Array<{ state: string; tokenValid: boolean }> }).accounts;
      if (states.length === ACCOUNTS && states.every((s) => s.tokenValid)) break;
      if (Date.now() > deadline) throw new Error(`${d.name} did not pick up the ${ACCOUNTS} seeded sessions within 10 s: ${JSON.stringify(states.filter((s) => !s.tokenValid).slice(0, 3))}`);
      await sleep(50);
    }
  }
  const alive = new Set(daemons.map((d) => d.name));
  // This process runs the fake, the fronts, the feeds and the samplers: its own lag is reported.
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();

  // Sampler: bots asking random daemons for random accounts' tokens, each checked at the fake.
  const samples: Sample[] = [];
  let sampling = true;
  const sampler = (async () => {
    while (sampling && live) {
      const batch = daemons
        .filter((d) => alive.has(d.name))
        .map(async (d) => {
          const account = ids[Math.floor(Math.random() * ids.length)]!;
          const sentAt = Date.now();
          const { status, json } = await d.get(`/v1/accounts/${account}/token`).catch(() => ({ status: 0, json: {} }));
          const token = (json as { accessToken?: string }).accessToken;
          const sample: Sample = { daemon: d.name, account, sentAt, status, seeded: false };
          if (status === 200 && token) {
            const grant = broker.grantOfAccessToken(token);
            if (grant) sample.grant = grant;
            else sample.seeded = true;
            sample.accepted = await broker.accepts(token);
          }
          if (alive.has(d.name)) samples.push(sample);
        });
      await Promise.all(batch);
      await sleep(200);
    }
  })();

  // 1. SIGKILL the daemon doing most refreshes, while it holds leases. Its requests are held
  // at its broker front first (never forwarded: it dies before the broker sees them), and the
  // kill waits until every token the broker already gave it is in Redis: a rotated refresh
  // token lost with a killed process would need a human login, which no lock can prevent.
  await until(started + SECONDS * 350);
  const byDaemonAtKill = broker.grantsByDaemon();
  const victim = Object.entries(byDaemonAtKill).sort((a, b) => b[1] - a[1])[0]![0];
  const victimDaemon = daemons.find((d) => d.name === victim)!;
  broker.isolate(victim);
  const isolatedAt = Date.now();
  let killedAt = 0;
  let heldAtKill: Array<{ account: string; since: number }> = [];
  let checked = 0; // the victim's grants before this index are known to be stored
  const unstored = async () => {
    const mine = broker.grantsTo(victim);
    while (checked < mine.length && ((await store.get(mine[checked]!.account))?.version ?? 0) >= mine[checked]!.n + 1) checked++;
    return mine.slice(checked);
  };
  while (!killedAt) {
    if (Date.now() - isolatedAt > 5_000) {
      const left = await unstored();
      throw new Error(
        `${victim} never had a refresh held at its front with every grant it got stored: held ${broker.waiting(victim).length}, forwarded ${broker.forwarded(victim)}, ` +
          `not stored: ${left.map((g) => `${g.account}#${g.n} (requested ${g.receivedAt - isolatedAt} ms, granted ${g.grantedAt - isolatedAt} ms after the isolation)`).join(', ')}\n${victimDaemon.process.output.slice(-10).join('\n')}`,
      );
    }
    if (broker.waiting(victim).length > 0 && broker.forwarded(victim) === 0 && (await unstored()).length === 0) {
      heldAtKill = broker.waiting(victim);
      victimDaemon.process.child.kill('SIGKILL');
      killedAt = Date.now();
      alive.delete(victim);
    } else await sleep(5);
  }
  await victimDaemon.process.exit;
  broker.dropHeld(victim);
  victimDaemon.closeFeed();
  const survivors = daemons.filter((d) => d.name !== victim);

  // 2. Restart Redis on the same port and AOF directory; watch /readyz meanwhile.
  await until(started + SECONDS * 650);
  const readyz: Record<string, Array<{ sentAt: number; at: number; status: number; storeOk?: boolean }>> = Object.fromEntries(survivors.map((d) => [d.name, []]));
  let watchingReady = true;
  const readyWatcher = Promise.all(
    survivors.map(async (d) => {
      while (watchingReady && live) {
        const sentAt = Date.now();
        const r = await d.get('/readyz').catch(() => ({ status: 0, json: {} }));
        readyz[d.name]!.push({ sentAt, at: Date.now(), status: r.status, storeOk: (r.json as { store?: { ok: boolean } }).store?.ok });
        await sleep(25);
      }
    }),
  );
  await sleep(300);
  const redisStopAt = Date.now();
  await redis.stop();
  const redisDownAt = Date.now();
  await sleep(REDIS_DOWN_MS);
  await redis.start();
  const redisUpAt = Date.now();
  let recoveredAt = 0;
  const recoverDeadline = redisUpAt + 15_000;
  while (!recoveredAt && Date.now() < recoverDeadline) {
    const lastReady = survivors.every((d) => readyz[d.name]!.at(-1)?.status === 200 && readyz[d.name]!.at(-1)!.at > redisUpAt);
    if (lastReady) recoveredAt = Date.now();
    else await sleep(50);
  }
  watchingReady = false;
  await readyWatcher;

  await until(started + SECONDS * 1000);
  const endedAt = Date.now();
  sampling = false;
  await sampler;

  // 3. Stop the survivors (SIGTERM drains refreshes in flight), then judge.
  for (const d of survivors) d.closeFeed();
  const exitCodes = await Promise.all(survivors.map((d) => d.process.stop('SIGTERM')));
  const stopped = new Map(await Promise.all(ids.map(async (id) => [id, await store.get(id)] as const)));
  const grants = broker.allGrants();

  // — Duplicates, counted at the fake itself: a refresh token presented twice.
  const presented = new Map<string, number>();
  for (const call of broker.fake.tokenRequests('refresh_token')) presented.set(call.form!.refresh_token!, (presented.get(call.form!.refresh_token!) ?? 0) + 1);
  const reused = [...presented.values()].filter((n) => n > 1).length;

  // — Every renewal on time and single: the next grant came before the previous token died,
  //   and never twice for one due point: the schedule puts renewals (45–55 % of the life) at
  //   least 4.5 s apart, counted from the request, so two requests within a sixth of the life
  //   would be a second renewal of the same token.
  const late: string[] = [];
  const doubled: string[] = [];
  const takeover: number[] = [];
  let minGap = Number.POSITIVE_INFINITY;
  for (const id of ids) {
    let prevGrantedAt = broker.seededAt(id)!;
    let prevRequestedAt = prevGrantedAt;
    for (const g of broker.grantsOf(id)) {
      const gap = g.receivedAt - prevRequestedAt;
      minGap = Math.min(minGap, gap);
      if (g.forwardedAt > prevGrantedAt + LIFETIME_MS) late.push(`${id}#${g.n} by ${g.daemon}: requested ${g.forwardedAt - prevGrantedAt - LIFETIME_MS} ms after the previous token died`);
      if (gap < LIFETIME_MS / 6) doubled.push(`${id}#${g.n} by ${g.daemon}: requested ${gap} ms after the previous renewal`);
      prevGrantedAt = g.grantedAt;
      prevRequestedAt = g.receivedAt;
    }
  }
  for (const h of heldAtKill) {
    const next = broker.grantsOf(h.account).find((g) => g.forwardedAt > killedAt);
    takeover.push(next ? next.forwardedAt - killedAt : Number.POSITIVE_INFINITY);
  }

  // — Propagation: from the broker's grant to each live daemon announcing that version (or a
  //   newer one) on its SSE feed. Grants around the Redis outage are judged separately.
  const inOutage = (t: number) => t >= redisStopAt - 200 && t <= redisUpAt + 2_000;
  const lags: number[] = [];
  const outageLags: number[] = [];
  const missing: string[] = [];
  const lagLog: string[] = [];
  for (const g of grants) {
    if (g.grantedAt > endedAt - 1_500) continue;
    for (const d of daemons) {
      if (d.name === victim && g.grantedAt > killedAt - 1_000) continue;
      const seen = (d.versions.get(g.account) ?? []).find((v) => v.version >= g.n + 1);
      if (!seen) {
        missing.push(`${d.name} never announced ${g.account}@${g.n + 1}`);
        continue;
      }
      (inOutage(g.grantedAt) ? outageLags : lags).push(seen.at - g.grantedAt);
      if (LOG_DIR) lagLog.push(`${g.grantedAt - started}\t${d.name}\t${g.daemon}\t${g.account}\t${seen.at - g.grantedAt}\t${seen.version - g.n - 1}`);
    }
  }

  // — Served tokens: accepted by the fake, and never older than the grant of a second ago.
  const rejected = samples.filter((s) => s.status === 200 && s.accepted === false);
  const failedRequests = samples.filter((s) => s.status !== 200);
  const stale = samples.filter((s) => {
    if (s.status !== 200 || inOutage(s.sentAt)) return false;
    const due = broker.grantsOf(s.account).filter((g) => g.grantedAt <= s.sentAt - 1_000).at(-1);
    return due !== undefined && (s.seeded || (s.grant?.n ?? 0) < due.n);
  });

  if (LOG_DIR) writeFileSync(join(LOG_DIR, 'lags.tsv'), `${['grantedAfterStartMs\tdaemon\twriter\taccount\tlagMs\tnewerBy', ...lagLog].join('\n')}\n`);
  loopDelay.disable();
  const s = (n: number) => `${(n / 1000).toFixed(1)} s`;
  const front = grants.map((g) => g.forwardedAt - g.receivedAt);
  const fake = grants.map((g) => g.grantedAt - g.forwardedAt);
  const byDaemon = broker.grantsByDaemon();
  console.log(
    `[daemon ha] ${SECONDS} s, ${ACCOUNTS} accounts: ${grants.length} refreshes (${(grants.length / SECONDS).toFixed(1)}/s), by daemon ${JSON.stringify(byDaemon)}; ` +
      `reused refresh tokens ${reused}, refused ${broker.refusals.length}, late ${late.length}, closest renewals ${minGap} ms apart; ` +
      `killed ${victim} at +${s(killedAt - started)} holding ${heldAtKill.length} lease(s), takeover max ${Math.max(...takeover)} ms; ` +
      `Redis down ${redisUpAt - redisStopAt} ms at +${s(redisStopAt - started)}, all ready again ${recoveredAt ? `${recoveredAt - redisUpAt} ms` : 'never'} after restart; ` +
      `propagation p50 ${pct(lags, 50)} ms p99 ${pct(lags, 99)} ms max ${Math.max(...lags)} ms over ${lags.length} (around the outage: max ${outageLags.length ? Math.max(...outageLags) : '-'} ms over ${outageLags.length}); ` +
      `${samples.length} served tokens checked at the fake; ` +
      `broker round trip p99 ${pct(fake, 99)} ms max ${Math.max(...fake)} ms, front hold p99 ${pct(front, 99)} ms, test-process event-loop delay p99 ${(loopDelay.percentile(99) / 1e6).toFixed(0)} ms max ${(loopDelay.max / 1e6).toFixed(0)} ms`,
  );
  const diagnostics = daemons.flatMap((d) => d.process.output.slice(-5).map((l) => `${d.name}: ${l}`)).join('\n');

  expect(reused, `no refresh token was presented to the broker twice (a duplicate refresh); refused: ${JSON.stringify(broker.refusals.slice(0, 5))}`).toBe(0);
  expect(broker.refusals, `the broker refused no refresh\n${diagnostics}`).toEqual([]);
  expect(late, 'no access token expired before its renewal, kill and Redis restart included').toEqual([]);
  expect(doubled, 'exactly one refresh per renewal (no two renewal requests of an account within a sixth of its life)').toEqual([]);
  expect(heldAtKill.length, 'the SIGKILLed daemon held at least one lease with a refresh in flight').toBeGreaterThanOrEqual(1);
  expect(Math.max(...takeover), `the survivors took over the dead daemon's accounts within the lease TTL (${LOCK_TTL_MS} ms) plus 1 s of polling and scheduling`).toBeLessThanOrEqual(LOCK_TTL_MS + 1_000);
  expect(exitCodes, 'survivors exit 0 on SIGTERM').toEqual(survivors.map(() => 0));

  // Redis restart: every survivor reported it on /readyz, then recovered by itself.
  for (const d of survivors) {
    const around = readyz[d.name]!.filter((r) => r.at > redisStopAt - 200 && r.sentAt < redisUpAt + 500).map((r) => `${r.sentAt - redisDownAt}..${r.at - redisDownAt} ms: ${r.status}`);
    // Answers that arrived while Redis was down (a probe started just before may take ~1 s).
    const during = readyz[d.name]!.filter((r) => r.at > redisDownAt + 50 && r.at < redisUpAt);
    expect(during.length, `${d.name}: /readyz answered while Redis was down (${redisUpAt - redisDownAt} ms; samples relative to its exit: ${around.join(', ')})`).toBeGreaterThan(0);
    expect(during.every((r) => r.status === 503 && r.storeOk === false), `${d.name}: /readyz said 503 (store not ok) while Redis was down: ${around.join(', ')}`).toBe(true);
  }
  expect(recoveredAt, 'both survivors were ready again within 15 s of the restart').toBeGreaterThan(0);

  // No token lost: the store holds each account's latest grant, once per grant, and the broker
  // still accepts its refresh token (presented once here, after the daemons stopped).
  const lost: string[] = [];
  for (const id of ids) {
    const record = stopped.get(id);
    const mine = broker.grantsOf(id);
    const last = mine.at(-1);
    if (!record || !last) {
      lost.push(`${id}: ${record ? 'never renewed' : 'no record'}`);
      continue;
    }
    if (record.version !== mine.length + 1) lost.push(`${id}: version ${record.version} after ${mine.length} grants`);
    if (record.tokenSet.accessToken.reveal() !== last.accessToken) lost.push(`${id}: stored access token is not grant #${last.n}`);
    if (record.tokenSet.refreshToken?.reveal() !== last.refreshToken) lost.push(`${id}: stored refresh token is not grant #${last.n}'s`);
    if (mine.filter((g) => g.forwardedAt > redisUpAt + 2_000).length === 0) lost.push(`${id}: not renewed after the Redis restart`);
    if (mine.length < Math.floor(SECONDS / LIFETIME_S)) lost.push(`${id}: only ${mine.length} renewals in ${SECONDS} s`);
  }
  expect(lost, 'every grant is stored (version = grants + 1), the latest one last, renewals continued after the kill and the restart').toEqual([]);
  const heads = await Promise.all(ids.map(async (id) => [id, await broker.refreshDirect(stopped.get(id)!.tokenSet.refreshToken!.reveal())] as const));
  expect(heads.filter(([, r]) => !r.ok).map(([id, r]) => `${id}: ${r.status}`), 'the stored refresh token of every account is still the live one at the broker').toEqual([]);

  // Served tokens.
  expect(samples.length, 'tokens were sampled from the daemons throughout').toBeGreaterThan(SECONDS * 4);
  expect(failedRequests.filter((x) => !inOutage(x.sentAt)).map((x) => `${x.daemon} ${x.account} ${x.status}`), 'GET /v1/accounts/:id/token answered 200 outside the Redis outage').toEqual([]);
  expect(rejected.map((x) => `${x.daemon} ${x.account} #${x.grant?.n ?? 'seed'}`), 'every token a daemon served was accepted by the fake').toEqual([]);
  expect(stale.map((x) => `${x.daemon} served ${x.account} #${x.grant?.n ?? 'seed'}`), 'no daemon served a token older than the grant of one second before').toEqual([]);

  // Propagation through Redis: every live daemon announced every new token within a second.
  expect(missing, 'every live daemon announced every renewal (or a newer one) on its SSE feed').toEqual([]);
  expect(lags.length, 'propagation samples').toBeGreaterThan(grants.length);
  expect(pct(lags, 99), `p99 from the broker's grant to every daemon serving the new token is under one second (p50 ${pct(lags, 50)} ms, max ${Math.max(...lags)} ms over ${lags.length} samples)`).toBeLessThan(1_000);
}, (SECONDS + 75) * 1000);
