import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFileTokenStore, Secret } from '@tokens/core';
import { startFakeKite, type FakeKiteServer } from '@tokens/kite/fake';
import { startFakeSchwab, type FakeSchwabServer } from '@tokens/schwab/fake';
import { dump } from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, eventually, freePort, startDaemonProcess, type DaemonProcess } from './helpers/daemon-process';

// The CLI as users run it: `tokens status|refresh|validate|login` as real processes, first
// working on the store directly (no daemon), then through a running daemon's API, with the
// documented exit codes (0 ok, 1 failed, 2 usage/config, 4 a human must log in).

const dir = mkdtempSync(join(tmpdir(), 'tokens-cli-'));
const config = join(dir, 'tokens.yaml');
const API_TOKEN = 'cli-test-api-token-0123456789abcdef';
let schwab: FakeSchwabServer;
let kite: FakeKiteServer;
let url: string;
let daemon: DaemonProcess | undefined;

// Asynchronous: the fake brokers answer from this process.
const tokens = (args: string[], input?: string) =>
  new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args, '--config', config], { env: { ...process.env, CLI_TEST_API_TOKEN: API_TOKEN } });
    let out = '';
    let err = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (err += c));
    child.once('close', (code) => resolve({ code, out, err }));
    child.stdin.end(input);
  });
const statusJson = async () => JSON.parse((await tokens(['status', '--json'])).out) as { source: string; accounts: Array<{ accountId: string; state: string; version?: number }> };
const versionOf = async (id: string) => (await statusJson()).accounts.find((a) => a.accountId === id)?.version;

beforeAll(async () => {
  schwab = await startFakeSchwab({ appKey: 'cli-app-key-00000000000000000000', appSecret: 'cli-app-secret', accessTokenLifetimeSeconds: 1800 });
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  kite = await startFakeKite({ apiKey: 'clikite001', apiSecret: 'cli-kite-secret', redirectUrl: `${url}/oauth/callback` });
  writeFileSync(
    config,
    dump({
      store: { type: 'file', dir: './store' },
      http: { listen: `127.0.0.1:${port}`, apiToken: '${env:CLI_TEST_API_TOKEN}', publicUrl: url },
      log: { level: 'warn' },
      accounts: {
        schwab: { broker: 'schwab', appKey: 'cli-app-key-00000000000000000000', appSecret: 'cli-app-secret', callbackUrl: 'https://127.0.0.1/cb', baseUrl: schwab.url },
        kite: { broker: 'kite', apiKey: 'clikite001', apiSecret: 'cli-kite-secret', baseUrl: kite.url, loginUrl: kite.loginUrl },
      },
    }),
  );
  // A Schwab session logged in earlier.
  const s = schwab.issueSession();
  const store = createFileTokenStore({ dir: join(dir, 'store') });
  await store.put('schwab', { broker: 'schwab', tokenSet: { accessToken: new Secret(s.accessToken), refreshToken: new Secret(s.refreshToken), issuedAt: s.issuedAt, expiresAt: s.expiresAt, refreshExpiresAt: s.refreshExpiresAt } }, { expectedVersion: 0 });
  await store.close();
}, 30_000);

afterAll(async () => {
  await daemon?.stop();
  await Promise.all([schwab?.close(), kite?.close()]);
  rmSync(dir, { recursive: true, force: true });
});

describe('without a daemon: straight on the store', () => {
  it('status reads the store and refreshes nothing', async () => {
    const before = schwab.tokenRequests('refresh_token').length;
    const s = (await statusJson());
    expect(s.source).toBe('store');
    expect(s.accounts).toEqual([expect.objectContaining({ accountId: 'schwab', state: 'valid', version: 1 }), expect.objectContaining({ accountId: 'kite', state: 'missing' })]);
    const human = await tokens(['status']);
    expect(human.code).toBe(0);
    expect(human.out).toContain('store (no daemon running)');
    expect(human.out).toMatch(/schwab/);
    expect(schwab.tokenRequests('refresh_token').length).toBe(before);
  });

  it('refresh and validate call the broker and store the result', async () => {
    const refreshed = await tokens(['refresh', 'schwab']);
    expect(refreshed.code, refreshed.err).toBe(0);
    expect(refreshed.out).toMatch(/^schwab: valid, expires \d{4}-/);
    expect(await versionOf('schwab')).toBe(2);
    const validated = await tokens(['validate', 'schwab']);
    expect(validated.code, validated.err).toBe(0);
    expect(validated.out.trim()).toBe('schwab: valid');
  });

  it('login prints the broker URL and finishes with a pasted request token', async () => {
    const r = await tokens(['login', 'kite'], `${kite.issueRequestToken('clikite001')}\n`);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain(`${kite.loginUrl}?`);
    expect(r.out).toMatch(/kite: valid\n$/);
    expect((await statusJson()).accounts.find((a) => a.accountId === 'kite')?.state).toBe('valid');
  });

  it('usage errors exit 2 and say what to do', async () => {
    const unknown = await tokens(['refresh', 'nope']);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain('Unknown account "nope". Accounts in this config: schwab, kite.');
    expect((await tokens(['refresh'])).code).toBe(2);
    expect((await tokens(['frobnicate'])).code).toBe(2);
  });
});

describe('with a running daemon: through its API', () => {
  beforeAll(async () => {
    daemon = await startDaemonProcess(['start', '--config', config], url, { CLI_TEST_API_TOKEN: API_TOKEN });
  }, 30_000);

  it('status, refresh and validate go to the daemon', async () => {
    expect((await statusJson()).source).toBe('daemon');
    const before = (await versionOf('schwab'))!;
    const refreshed = await tokens(['refresh', 'schwab']);
    expect(refreshed.code, refreshed.err).toBe(0);
    expect(await versionOf('schwab')).toBe(before + 1);
    expect((await tokens(['validate', 'schwab'])).code).toBe(0);
    expect((await tokens(['status'])).out).toContain(`daemon at ${url}`);
  });

  it('a wrong API token is refused with exit 2', async () => {
    const r = await tokens(['status', '--token', 'wrong-token-0000000000000000']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/401|UNAUTHORIZED/);
  });

  it('login finishes when the broker redirects back to the daemon (the callback path)', async () => {
    const before = (await versionOf('kite'))!;
    const child = spawn(process.execPath, [CLI, 'login', 'kite', '--config', config], { env: { ...process.env, CLI_TEST_API_TOKEN: API_TOKEN }, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    const exited = new Promise<number | null>((r) => child.once('exit', r));
    const link = await eventually(() => /^ {2}(http\S+)$/m.exec(out)?.[1], 10_000, 'the login URL');
    // The human logs in at the broker; the broker sends the browser to the daemon's callback.
    const redirected = await kite.browserLogin(link);
    expect(redirected.startsWith(`${url}/oauth/callback?`)).toBe(true);
    await fetch(redirected);
    expect(await exited, out).toBe(0);
    expect(out).toMatch(/kite: valid\n$/);
    expect(await versionOf('kite')).toBe(before + 1);
  });

  it('login also takes a pasted redirect URL through the daemon', async () => {
    const before = (await versionOf('kite'))!;
    const start = await tokens(['login', 'kite', '--paste', `${url}/oauth/callback?status=success&request_token=${kite.issueRequestToken('clikite001')}`]);
    expect(start.code, start.err).toBe(0);
    expect(start.out.trim()).toBe('kite: valid');
    expect(await versionOf('kite')).toBe(before + 1);
  });
});
