import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFileTokenStore, Secret } from '@tokens/core';
import { startFakeKite, type FakeKiteServer } from '@tokens/kite/fake';
import { startFakeSchwab, type FakeSchwabServer } from '@tokens/schwab/fake';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dump as stringify } from 'js-yaml';
import { eventually, freePort, startDaemonProcess, type DaemonProcess } from './helpers/daemon-process';

const CANARY = {
  apiToken: 'CANARY-API-TOKEN-7f3a9c2e1b4d6f8a',
  schwabSecret: 'CANARY-SCHWAB-SECRET-5e7c9a1b3d',
  kiteSecret: 'CANARY-KITE-SECRET-2b4d6f8a0c',
};

const dir = mkdtempSync(join(tmpdir(), 'tokens-daemon-'));
let schwab: FakeSchwabServer;
let kite: FakeKiteServer;
let daemon: DaemonProcess;
let url: string;
let botServer: Server;
const botLines: string[] = [];
const configPath = join(dir, 'tokens.yaml');
const auth = { authorization: `Bearer ${CANARY.apiToken}` };
const issuedTokens: string[] = [];
const responses: string[] = [];

const config = (extraAccounts: Record<string, unknown> = {}) => ({
  store: { type: 'file', dir: './store' },
  http: { listen: `127.0.0.1:${new URL(url).port}`, apiToken: '${env:TEST_API_TOKEN}' },
  socket: { path: './tokens.sock' },
  log: { level: 'debug', pretty: false },
  accounts: {
    schwab: {
      broker: 'schwab',
      appKey: 'test-app-key-0000000000000000000',
      appSecret: '${file:schwab-secret.txt}',
      callbackUrl: `${url}/oauth/callback`,
      baseUrl: schwab.url,
      sinks: [
        { type: 'json-file', path: './out/schwab.json' },
        { type: 'schwab-py', path: './out/schwab_tokens.json' },
        { type: 'env', path: './out/bot.env', key: 'SCHWAB_ACCESS_TOKEN' },
        { type: 'raw', path: './out/schwab.token' },
        { type: 'unix-socket', path: './bot.sock', tries: 3, interval: '50ms', timeout: '1s' },
        { type: 'exec', command: [process.execPath, '-e', `require('fs').writeFileSync(${JSON.stringify(join(dir, 'out', 'hook.txt'))}, process.env.TOKENS_ACCESS_TOKEN)`] },
      ],
    },
    kite: {
      broker: 'kite',
      apiKey: 'testkite01',
      apiSecret: CANARY.kiteSecret,
      redirectUrl: `${url}/oauth/callback`,
      baseUrl: kite.url,
      loginUrl: kite.loginUrl,
      watchEnv: { path: './kite.env', key: 'KITE_ACCESS_TOKEN' },
    },
    ...extraAccounts,
  },
});

const get = async (path: string, headers: Record<string, string> = auth) => {
  const res = await fetch(`${url}${path}`, { headers });
  const text = await res.text();
  if (!path.endsWith('/token')) responses.push(text);
  return { status: res.status, text, json: () => JSON.parse(text) as Record<string, any> };
};
const post = async (path: string, body?: unknown) => {
  const res = await fetch(`${url}${path}`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) });
  const text = await res.text();
  responses.push(text);
  return { status: res.status, json: () => JSON.parse(text) as Record<string, any> };
};
const account = async (id: string) => (await get(`/v1/accounts/${id}`)).json();

/** A JSON-lines client of the daemon's Unix socket. */
function socketClient(path: string) {
  const socket: Socket = connect(path);
  const lines: Array<Record<string, any>> = [];
  let buf = '';
  socket.on('data', (c) => {
    buf += c.toString();
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      lines.push(JSON.parse(buf.slice(0, i)));
      buf = buf.slice(i + 1);
    }
  });
  // The daemon closes connections that send garbage; our late writes then fail with EPIPE.
  socket.on('error', () => undefined);
  const closed = new Promise<void>((r) => socket.once('close', () => r()));
  return { socket, lines, closed, send: (o: unknown) => socket.write(`${JSON.stringify(o)}\n`) };
}

beforeAll(async () => {
  schwab = await startFakeSchwab({ appKey: 'test-app-key-0000000000000000000', appSecret: CANARY.schwabSecret, accessTokenLifetimeSeconds: 1800 });
  kite = await startFakeKite({ apiKey: 'testkite01', apiSecret: CANARY.kiteSecret });
  url = `http://127.0.0.1:${await freePort()}`;
  writeFileSync(join(dir, 'schwab-secret.txt'), `${CANARY.schwabSecret}\n`, { mode: 0o600 });
  // The C++ bot of the Schwab setup: reads one JSON line, answers OK.
  botServer = createServer((s) => s.on('data', (c) => (botLines.push(c.toString().trim()), s.write('OK\n'))));
  await new Promise<void>((r) => botServer.listen(join(dir, 'bot.sock'), r));
  // A Schwab session as if a human had logged in earlier.
  const session = schwab.issueSession();
  issuedTokens.push(session.accessToken, session.refreshToken);
  const store = createFileTokenStore({ dir: join(dir, 'store') });
  await store.put('schwab', { broker: 'schwab', tokenSet: { accessToken: new Secret(session.accessToken), refreshToken: new Secret(session.refreshToken), issuedAt: session.issuedAt, expiresAt: session.expiresAt, refreshExpiresAt: session.refreshExpiresAt } }, { expectedVersion: 0 });
  await store.close();
  writeFileSync(configPath, stringify(config()));
  daemon = await startDaemonProcess(['start', '--config', configPath], url, { TEST_API_TOKEN: CANARY.apiToken });
});

afterAll(async () => {
  await daemon?.stop('SIGKILL');
  await Promise.allSettled([schwab?.close(), kite?.close(), new Promise((r) => botServer?.close(r))]);
  rmSync(dir, { recursive: true, force: true });
});

describe('the daemon as a real process', () => {
  it('refuses requests without the API token and serves the token with it', async () => {
    expect((await get('/v1/accounts', {})).status).toBe(401);
    expect((await get('/v1/accounts/schwab/token', { authorization: 'Bearer wrong-token-000000000000' })).status).toBe(401);
    const res = await get('/v1/accounts/schwab/token');
    expect(res.status).toBe(200);
    expect(res.json().accessToken).toBe(issuedTokens[0]);
    expect((await get('/healthz', {})).status).toBe(200);
  });

  it('a refresh writes every sink after the store, pushes to the socket consumer and to SSE subscribers', async () => {
    const sse = await fetch(`${url}/v1/events`, { headers: auth });
    const reader = sse.body!.getReader();
    let sseText = '';
    const sseToken = (async () => {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return false;
        sseText += new TextDecoder().decode(value);
        if (/event: token\n/.test(sseText) && sseText.includes('"accountId":"schwab"')) return true;
      }
    })();
    const before = await account('schwab');
    const refreshed = await post('/v1/accounts/schwab/refresh');
    expect(refreshed.status).toBe(200);
    expect(refreshed.json().version).toBe(before.version + 1);
    const token = (await get('/v1/accounts/schwab/token')).json().accessToken as string;
    issuedTokens.push(token);
    expect(token).not.toBe(issuedTokens[0]);
    expect(await sseToken).toBe(true);
    await reader.cancel();
    const out = (p: string) => join(dir, 'out', p);
    await eventually(() => botLines.some((l) => l.includes(token)) && readFileSync(out('hook.txt'), 'utf8') === token, 5_000, 'socket push and hook');
    expect(JSON.parse(readFileSync(out('schwab.json'), 'utf8'))).toMatchObject({ account: 'schwab', access_token: token, version: before.version + 1 });
    expect(JSON.parse(readFileSync(out('schwab_tokens.json'), 'utf8')).token.access_token).toBe(token);
    expect(readFileSync(out('bot.env'), 'utf8')).toBe(`SCHWAB_ACCESS_TOKEN=${token}\n`);
    expect(readFileSync(out('schwab.token'), 'utf8')).toBe(token);
    for (const f of ['schwab.json', 'schwab_tokens.json', 'bot.env', 'schwab.token']) expect(statSync(out(f)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(botLines.find((l) => l.includes(token))!)).toEqual({ access_token: token, refresh_token: expect.any(String), expires_at: expect.any(Number) });
    const sinks = (await account('schwab')).sinks as Array<{ type: string; lastDelivery?: { ok: boolean } }>;
    expect(sinks.map((s) => [s.type, s.lastDelivery?.ok])).toEqual([
      ['json-file', true],
      ['schwab-py', true],
      ['env', true],
      ['raw', true],
      ['unix-socket', true],
      ['exec', true],
    ]);
  });

  it('serves the Unix-socket API (0600); garbage closes only that connection', async () => {
    const path = join(dir, 'tokens.sock');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const good = socketClient(path);
    good.send({ id: 1, op: 'auth', token: CANARY.apiToken });
    good.send({ id: 2, op: 'get', account: 'schwab' });
    await eventually(() => good.lines.length >= 2, 3_000, 'socket replies');
    expect(good.lines[0]).toEqual({ id: 1, ok: true });
    expect(good.lines[1]).toMatchObject({ id: 2, ok: true, account: 'schwab', access_token: expect.any(String) });
    const bad = socketClient(path);
    bad.send('not json at all' as unknown as object);
    bad.socket.write('{{{ garbage\n');
    await bad.closed;
    const noAuth = socketClient(path);
    noAuth.send({ id: 9, op: 'get', account: 'schwab' });
    await noAuth.closed;
    expect(noAuth.lines[0]).toMatchObject({ id: 9, ok: false, error: { code: 'UNAUTHORIZED' } });
    good.send({ id: 3, op: 'ping' });
    await eventually(() => good.lines.find((l) => l.id === 3), 3_000, 'ping after garbage');
    good.socket.destroy();
  });

  it('an over-long line or a client that does not read closes only that connection', async () => {
    const path = join(dir, 'tokens.sock');
    const good = socketClient(path);
    good.send({ id: 1, op: 'auth', token: CANARY.apiToken });
    await eventually(() => good.lines.find((l) => l.id === 1), 3_000, 'auth');

    const long = socketClient(path);
    long.send({ id: 1, op: 'auth', token: CANARY.apiToken });
    long.socket.write(`{"id":2,"op":"ping","pad":"${'x'.repeat(70 * 1024)}`);
    await long.closed;
    expect(long.lines.at(-1)).toMatchObject({ ok: false, error: { code: 'LINE_TOO_LONG' } });
    // A whole over-long line in one piece, newline included, is refused the same way.
    const whole = socketClient(path);
    whole.send({ id: 1, op: 'auth', token: CANARY.apiToken });
    whole.socket.write(`{"id":2,"op":"ping","pad":"${'x'.repeat(70 * 1024)}"}\n`);
    await whole.closed;
    expect(whole.lines.find((l) => l.id === 2)).toBeUndefined();
    expect(whole.lines.at(-1)).toMatchObject({ ok: false, error: { code: 'LINE_TOO_LONG' } });

    // Thousands of answers nobody reads: the daemon drops the client instead of buffering them
    // (our own unsent requests may then fail with EPIPE, so the answers are not counted here).
    const slow = socketClient(path);
    slow.socket.pause();
    slow.socket.write(
      `${JSON.stringify({ id: 0, op: 'auth', token: CANARY.apiToken })}\n` + Array.from({ length: 6_000 }, (_, i) => `${JSON.stringify({ id: i + 1, op: 'get', account: 'schwab' })}\n`).join(''),
    );
    await daemon.waitForLine(/dropping a socket client that does not read/, 10_000);
    good.send({ id: 2, op: 'ping' });
    await eventually(() => good.lines.find((l) => l.id === 2), 5_000, 'ping after a client that does not read');
    slow.socket.resume();
    await slow.closed;
    good.send({ id: 3, op: 'ping' });
    await eventually(() => good.lines.find((l) => l.id === 3), 3_000, 'ping after the slow reader');
    good.socket.destroy();
  });

  it('hot reload: adopts a token another process wrote into the store, within a second', async () => {
    const store = createFileTokenStore({ dir: join(dir, 'store') });
    const current = (await store.get('schwab'))!;
    const session = schwab.issueSession();
    issuedTokens.push(session.accessToken, session.refreshToken);
    await store.put('schwab', { broker: 'schwab', tokenSet: { accessToken: new Secret(session.accessToken), refreshToken: new Secret(session.refreshToken), issuedAt: session.issuedAt, expiresAt: session.expiresAt, refreshExpiresAt: session.refreshExpiresAt } }, { expectedVersion: current.version });
    await store.close();
    const started = performance.now();
    await eventually(async () => (await get('/v1/accounts/schwab/token')).json().accessToken === session.accessToken, 1_000, 'store change adopted');
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it('hot reload: a token pasted into a watched .env is adopted, checked with the broker and served', async () => {
    const session = kite.mintSession('testkite01');
    issuedTokens.push(session.accessToken);
    writeFileSync(join(dir, 'kite.env'), `# pasted by hand\nKITE_ACCESS_TOKEN=${session.accessToken}\n`);
    await eventually(async () => (await account('kite')).state === 'valid', 2_000, 'kite adopted from .env');
    expect((await get('/v1/accounts/kite/token')).json().accessToken).toBe(session.accessToken);
  });

  it('SIGHUP reloads: a new account appears; an invalid config is rejected and the old one kept', async () => {
    writeFileSync(configPath, stringify(config({ 'kite-2': { broker: 'kite', apiKey: 'testkite01', apiSecret: CANARY.kiteSecret, baseUrl: kite.url, loginUrl: kite.loginUrl } })));
    daemon.child.kill('SIGHUP');
    await eventually(async () => (await get('/v1/accounts')).json().accounts.some((a: { accountId: string }) => a.accountId === 'kite-2'), 3_000, 'kite-2 added');
    writeFileSync(configPath, stringify(config({ 'kite-3': { broker: 'kite' } })));
    daemon.child.kill('SIGHUP');
    const line = await daemon.waitForLine(/reload rejected/);
    expect(line).toContain('accounts.kite-3.apiKey');
    const ids = (await get('/v1/accounts')).json().accounts.map((a: { accountId: string }) => a.accountId);
    expect(ids).toEqual(['schwab', 'kite', 'kite-2']);
  });

  it('metrics are labelled by account and broker', async () => {
    const metrics = (await get('/metrics', {})).text;
    expect(metrics).toMatch(/tokens_token_expiry_timestamp_seconds\{account="schwab",broker="schwab"\} \d+/);
    expect(metrics).toMatch(/tokens_refresh_total\{account="schwab",broker="schwab",result="success"\} 1/);
    expect(metrics).toMatch(/tokens_login_required\{account="kite-2",broker="kite"\} 1/);
    expect(metrics).toMatch(/tokens_refreshes\{status="limit"\} 16/);
    expect(metrics).toMatch(/tokens_refreshes\{status="queued"\} 0/);
    expect(metrics).toMatch(/tokens_refresh_token_expiry_timestamp_seconds\{account="schwab",broker="schwab"\} \d+/);
    expect(metrics).toMatch(/tokens_refresh_duration_seconds_count\{account="schwab",broker="schwab"\} [1-9]/);
    expect(metrics).toMatch(/# TYPE tokens_alerts_total counter/);
  });

  it("/api/token-status answers with the Kite watcher's fields, /readyz counts a waiting login as ready, and validate asks the broker", async () => {
    const status = (await get('/api/token-status', {})).json() as Record<string, any>;
    expect(status.timestamp).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(typeof status.ist_time).toBe('string');
    for (const ex of ['NSE', 'NYSE']) expect(status.market[ex]).toMatchObject({ status: expect.any(String), live: expect.any(Boolean) });
    const schwabRow = status.accounts.find((a: { account: string }) => a.account === 'schwab');
    expect(schwabRow).toMatchObject({ broker: 'schwab', credentials_present: true, state: 'valid', expires_at: expect.any(String), hours_until_expiry: expect.any(Number) });
    expect(status.accounts.find((a: { account: string }) => a.account === 'kite-2')).toMatchObject({ state: 'login_required', credentials_present: false });
    expect(status.next_action).toMatch(/^kite-2: /);
    const ready = await fetch(`${url}/readyz`);
    expect(ready.status, 'an account waiting for a human does not make the daemon unready').toBe(200);
    const validated = await fetch(`${url}/v1/accounts/schwab/validate`, { method: 'POST', headers: auth });
    expect(validated.status).toBe(200);
    expect((await validated.json()).result).toMatchObject({ valid: true });
    expect((await fetch(`${url}/v1/accounts/schwab/validate`, { method: 'POST' })).status).toBe(401);
  });

  it('SIGHUP reloads: a removed account goes, a changed one takes its new settings', async () => {
    const next = config() as { accounts: { schwab: { sinks: unknown[] } } };
    next.accounts.schwab.sinks = next.accounts.schwab.sinks.slice(0, 1); // json-file only
    writeFileSync(configPath, stringify(next)); // kite-2 left out
    daemon.child.kill('SIGHUP');
    await eventually(async () => !(await get('/v1/accounts')).json().accounts.some((a: { accountId: string }) => a.accountId === 'kite-2'), 3_000, 'kite-2 removed');
    expect((await get('/v1/accounts')).json().accounts.map((a: { accountId: string }) => a.accountId)).toEqual(['schwab', 'kite']);
    await eventually(async () => {
      const detailed = (await get('/api/health/detailed', {})).json() as { accounts: Array<{ accountId: string; sinks: Array<{ type: string }> }> };
      return detailed.accounts.find((a) => a.accountId === 'schwab')?.sinks.map((k) => k.type).join() === 'json-file';
    }, 3_000, 'schwab reloaded with one sink');
  });

  it('SIGTERM stops gracefully with exit code 0, and no canary secret was ever printed or served', async () => {
    const status = await get('/api/health/detailed', {});
    expect(status.status).toBe(200);
    expect(await daemon.stop('SIGTERM')).toBe(0);
    const everything = [...daemon.output, ...responses].join('\n');
    for (const secret of [...Object.values(CANARY), ...issuedTokens]) expect(everything).not.toContain(secret);
    expect(daemon.output.some((l) => l.includes('"msg":"stopped"'))).toBe(true);
  });
});

describe('bad configuration', () => {
  it('exits 2 and names the field', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, stringify({ accounts: { 'fyers-main': { broker: 'fyers', appId: 'ABCDEFGH12-100', appSecret: 'x', redirectUri: 'https://127.0.0.1/cb' } } }));
    const proc = await import('node:child_process');
    const run = (args: string[]) => proc.spawnSync(process.execPath, [join(__dirname, '..', 'dist', 'cli.js'), ...args], { encoding: 'utf8', env: { ...process.env, FYERS_PIN: '' } });
    const check = run(['config', 'check', bad]);
    expect(check.status).toBe(2);
    expect(check.stderr).toContain('accounts.fyers-main.pin');
    const start = run(['start', '--config', bad]);
    expect(start.status).toBe(2);
    expect(start.stderr).toContain('accounts.fyers-main.pin');
    expect(run(['frobnicate']).status).toBe(2);
    expect(run(['--version']).stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    expect(run(['status', '--help']).stdout).toContain('tokens status [--json]');
  });
});
