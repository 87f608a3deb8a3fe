import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ACCOUNT, startDaemonHarness, waitFor, type DaemonHarness } from './daemon-harness';

// examples/python/tokens_socket_consumer.py (standard library only) against the REAL daemon.
const script = join(__dirname, '..', '..', '..', 'examples', 'python', 'tokens_socket_consumer.py');
const python = spawnSync('python3', ['--version'], { encoding: 'utf8' }).status === 0 ? 'python3' : undefined;

/** Never skipped: without python3 each test fails saying what to install. */
function requirePython(): string {
  if (!python) throw new Error('python3 not found: install it (apt-get install -y python3); bash .ci/run installs it on CI.');
  return python;
}

let daemon: DaemonHarness;
beforeAll(async () => {
  if (python) daemon = await startDaemonHarness();
});
afterAll(async () => {
  await daemon?.close();
});

function run(args: string[], apiToken: string) {
  const child = spawn(python!, [script, '--socket', daemon.socketPath, ...args], {
    env: { ...process.env, TOKENS_API_TOKEN: apiToken, PYTHONUNBUFFERED: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out = { stdout: '', stderr: '' };
  child.stdout.on('data', (d: Buffer) => (out.stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out.stderr += d.toString()));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, out, exit, lines: () => out.stdout.split('\n').filter(Boolean) };
}

it('prints each new token\'s expiry (never the token), across a daemon restart', async () => {
  requirePython();
  const seenTokens: string[] = [];
  const token = async () => {
    const t = await daemon.api<{ accessToken: string; version: number }>('GET', `/v1/accounts/${ACCOUNT}/token`);
    seenTokens.push(t.accessToken);
    return t;
  };
  const first = await token();
  const p = run(['--account', ACCOUNT, '--count', '3', '--timeout', '2'], daemon.apiToken);
  try {
    await waitFor(() => p.lines().length >= 1, 10_000, 'the snapshot line');
    expect(p.lines()[0]).toMatch(new RegExp(`^${ACCOUNT} version ${first.version} expires \\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\+00:00 \\(in \\d+s\\) source=snapshot$`));

    const v2 = await daemon.refresh();
    await token();
    await waitFor(() => p.lines().length >= 2, 10_000, 'the pushed line');
    expect(p.lines()[1]).toMatch(new RegExp(`^${ACCOUNT} version ${v2} expires .* source=refresh latency=\\d+\\.\\dms$`));
    expect(Number(/latency=([\d.]+)ms/.exec(p.lines()[1]!)![1])).toBeLessThan(5_000);

    // Restart: the consumer reconnects by itself; the repeated snapshot is not printed twice.
    await daemon.stop();
    await waitFor(() => p.out.stderr.includes('disconnected'), 10_000, 'the consumer to notice');
    await daemon.start();
    await new Promise((r) => setTimeout(r, 600));
    expect(p.lines()).toHaveLength(2);
    const v3 = await daemon.refresh();
    await token();
    expect(await p.exit).toBe(0);
    expect(p.lines()).toHaveLength(3);
    expect(p.lines()[2]).toMatch(new RegExp(`^${ACCOUNT} version ${v3} expires `));
    for (const t of seenTokens) {
      expect(p.out.stdout).not.toContain(t);
      expect(p.out.stderr).not.toContain(t);
    }
    expect(p.out.stdout + p.out.stderr).not.toContain(daemon.apiToken);
  } finally {
    p.child.kill();
  }
});

it('exits 2 on a wrong API token', async () => {
  requirePython();
  const p = run(['--count', '1'], 'not-the-api-token-000000');
  expect(await p.exit).toBe(2);
  expect(p.out.stderr).toMatch(/refused the API token/);
});

it('exits 2 when subscribing to an account the daemon does not know (no retry loop)', async () => {
  requirePython();
  const p = run(['--account', ACCOUNT, '--account', 'nope', '--count', '1'], daemon.apiToken);
  expect(await p.exit).toBe(2);
  expect(p.out.stderr).toMatch(/refused the subscription: UNKNOWN_ACCOUNT: unknown account\(s\): nope/);
  expect(p.out.stdout).toBe('');
});

it('--invalidate: the socket op replaces the token, as after a 401', async () => {
  requirePython();
  const before = await daemon.api<{ accessToken: string; version: number }>('GET', `/v1/accounts/${ACCOUNT}/token`);
  const p = run(['--account', ACCOUNT, '--invalidate'], daemon.apiToken);
  expect(await p.exit).toBe(0);
  const after = await daemon.api<{ accessToken: string; version: number }>('GET', `/v1/accounts/${ACCOUNT}/token`);
  expect(after.version).toBeGreaterThan(before.version);
  expect(daemon.dhan.isTokenValid(after.accessToken)).toBe(true);
  expect(p.out.stdout.trim()).toMatch(new RegExp(`^${ACCOUNT} version ${before.version} rejected; version ${after.version} expires \\S+ \\(in \\d+s\\)$`));
  expect(p.out.stdout + p.out.stderr).not.toContain(before.accessToken);
  expect(p.out.stdout + p.out.stderr).not.toContain(after.accessToken);

  const unknown = run(['--account', 'nope', '--invalidate'], daemon.apiToken);
  expect(await unknown.exit).toBe(2);
  expect(unknown.out.stderr).toMatch(/could not replace the token: UNKNOWN_ACCOUNT/);
});
