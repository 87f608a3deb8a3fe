// Real child processes against the BUILT package: run `pnpm --filter @tokens/core build` first.
import { readdir, readFile, readlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createFileLock } from '../src';
import { assertBuilt, kill, runFixture, tempDir, type Child } from './fixtures/child';

const cleanups: Array<() => Promise<void>> = [];
const children: Child[] = [];
beforeAll(() => assertBuilt());
afterEach(async () => {
  await Promise.all(children.splice(0).map(kill));
  await Promise.all(cleanups.splice(0).map((c) => c()));
});

async function setup(): Promise<{ dir: string; log: string }> {
  const tmp = await tempDir('lock-proc');
  cleanups.push(tmp.cleanup);
  const log = join(tmp.path, 'log.txt');
  await writeFile(log, '');
  return { dir: join(tmp.path, 'locks'), log };
}

function spawnWorkers(dir: string, log: string, count: number, iterations: number, accountId = 'acct'): Child[] {
  const started = Array.from({ length: count }, () => runFixture('file-lock-worker.mjs', [dir, accountId, log, String(iterations), '4']));
  children.push(...started);
  return started;
}

/** The pid and nonce of a compact lock record, `tl1:<pid>:<host>:<nonce>:<expiresAt in base 36>`. */
function lockRecord(text: string): { pid: number; nonce: string } {
  const m = /^tl1:(\d+):[0-9a-f]{8}:([0-9a-z]+):[0-9a-z]+$/.exec(text);
  if (!m) throw new Error(`not a compact lock record: ${text}`);
  return { pid: Number(m[1]), nonce: m[2]! };
}

/** Every "enter" is followed by the matching "leave" before anyone else enters; tokens strictly increase. */
async function checkLog(log: string, expectedPairs: number, minToken = 0): Promise<number[]> {
  const lines = (await readFile(log, 'utf8')).trim().split('\n');
  expect(lines).toHaveLength(expectedPairs * 2);
  const tokens: number[] = [];
  for (let i = 0; i < lines.length; i += 2) {
    const [e, ePid, eTok] = lines[i]!.split(' ');
    const [l, lPid, lTok] = lines[i + 1]!.split(' ');
    expect([e, l], `line ${i}`).toEqual(['enter', 'leave']);
    expect(lPid).toBe(ePid);
    expect(lTok).toBe(eTok);
    tokens.push(Number(eTok));
  }
  for (let i = 1; i < tokens.length; i++) expect(tokens[i]!).toBeGreaterThan(tokens[i - 1]!);
  expect(tokens[0]!).toBeGreaterThan(minToken);
  return tokens;
}

describe('file lock across processes', () => {
  it('gives mutual exclusion and strictly increasing fencing tokens to contending processes', async () => {
    const { dir, log } = await setup();
    const workers = spawnWorkers(dir, log, 4, 8);
    const exits = await Promise.all(workers.map((w) => w.exited));
    expect(exits.map((e) => e.code), workers.map((w) => w.stderr()).join('\n')).toEqual([0, 0, 0, 0]);
    // Strictly increasing (checkLog), not consecutive: each process reserves its own block
    // whenever another one held the lock in between, so there are gaps.
    const tokens = await checkLog(log, 32);
    expect(new Set(tokens).size).toBe(32);
    // Every lock, reservation mutex and removal ticket is gone.
    expect(await readdir(dir)).toEqual(['fencing-counter']);
  });

  it('processes leasing different accounts at once share the counter without handing out a token twice', async () => {
    const { dir, log } = await setup();
    // One process per account: the account locks never make them wait for each other, so
    // they reserve blocks all the time, and only the reservation mutex keeps two of them from
    // reserving the same block.
    const accounts = ['a', 'b', 'c', 'd'];
    const logs = accounts.map((id) => `${log}.${id}`);
    await Promise.all(logs.map((l) => writeFile(l, '')));
    const workers = accounts.flatMap((id, i) => spawnWorkers(dir, logs[i]!, 1, 25, id));
    const exits = await Promise.all(workers.map((w) => w.exited));
    expect(exits.map((e) => e.code), workers.map((w) => w.stderr()).join('\n')).toEqual([0, 0, 0, 0]);
    const tokens: number[] = [];
    for (const l of logs) tokens.push(...(await checkLog(l, 25)));
    expect(new Set(tokens).size).toBe(100);
    expect(await readdir(dir)).toEqual(['fencing-counter']);
  });

  it('takes over from a holder killed with SIGKILL by detecting its dead pid', async () => {
    const { dir } = await setup();
    const holder = runFixture('file-lock-holder.mjs', [dir, 'acct', '600000']);
    children.push(holder);
    const { fencingToken } = JSON.parse(await holder.nextLine()) as { fencingToken: number };
    await kill(holder);
    const started = Date.now();
    // The lease would last 10 minutes: only the dead pid can explain a quick takeover.
    const lease = await createFileLock({ dir, pollMs: 5 }).acquire('acct', { ttlMs: 5000, waitMs: 3000 });
    expect(Date.now() - started).toBeLessThan(1000);
    expect(lease.fencingToken).toBeGreaterThan(fencingToken);
    await lease.release();
  });

  it('recovers when the dead holder also left a takeover ticket behind', async () => {
    const { dir } = await setup();
    const holder = runFixture('file-lock-holder.mjs', [dir, 'acct', '600000']);
    children.push(holder);
    const { fencingToken } = JSON.parse(await holder.nextLine()) as { fencingToken: number };
    await kill(holder);
    // As if it died during its own release, holding the removal ticket of its lock (here a
    // regular file, as earlier versions and filesystems without symlinks leave them).
    const { pid, nonce } = lockRecord(await readlink(join(dir, 'acct.lock')));
    expect(pid).toBe(holder.proc.pid);
    const ticket = join(dir, `acct.lock.takeover-n-${nonce}`);
    await writeFile(ticket, JSON.stringify({ pid: holder.proc.pid, hostname: hostname(), createdAt: Date.now(), nonce: 'dead' }));
    const lease = await createFileLock({ dir, pollMs: 5 }).acquire('acct', { ttlMs: 5000, waitMs: 3000 });
    expect(lease.fencingToken).toBeGreaterThan(fencingToken);
    await lease.release();
    // The dead ticket is gone too; only the shared counter remains.
    expect(await readdir(dir)).toEqual(['fencing-counter']);
  });

  it('several waiters taking over from a killed holder still never overlap', async () => {
    const { dir, log } = await setup();
    const holder = runFixture('file-lock-holder.mjs', [dir, 'acct', '600000']);
    children.push(holder);
    const { fencingToken } = JSON.parse(await holder.nextLine()) as { fencingToken: number };
    const workers = spawnWorkers(dir, log, 3, 4);
    await Promise.all(workers.map((w) => w.nextLine())); // "ready": about to wait for the lock
    await kill(holder);
    const exits = await Promise.all(workers.map((w) => w.exited));
    expect(exits.map((e) => e.code), workers.map((w) => w.stderr()).join('\n')).toEqual([0, 0, 0]);
    await checkLog(log, 12, fencingToken);
  });
});
