import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { FAKE_DHAN_CLIENT, startFakeDhan, type FakeDhanServer } from '@tokens/dhan/fake';

/** The daemon's CLI from the workspace package `tokens` (apps/daemon), built by turbo before these tests. */
export function daemonCli(): string {
  const require = createRequire(import.meta.url);
  const cli = join(dirname(require.resolve('tokens/package.json')), 'dist', 'cli.js');
  if (!existsSync(cli)) throw new Error(`${cli} is missing: build the daemon first (cd apps/daemon && pnpm build).`);
  return cli;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export const API_TOKEN = 'client-test-api-token-0123456789abcdef';
export const ACCOUNT = 'dhan-main';

export interface DaemonHarness {
  readonly dir: string;
  readonly url: string;
  readonly socketPath: string;
  readonly apiToken: string;
  readonly dhan: FakeDhanServer;
  /** Whether a daemon process runs now. */
  readonly running: boolean;
  start(): Promise<void>;
  /** SIGTERM, then waits for the process to exit. */
  stop(): Promise<void>;
  api<T = Record<string, unknown>>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T>;
  /** Forces a refresh through the daemon's HTTP API and returns the new version. */
  refresh(account?: string): Promise<number>;
  close(): Promise<void>;
}

/**
 * A REAL daemon process (`node apps/daemon/dist/cli.js start --config ...`) with one Dhan
 * account (PIN + TOTP mode) on a fake Dhan running in the test process. Same port, socket and
 * store across restarts.
 */
export async function startDaemonHarness(): Promise<DaemonHarness> {
  const cli = daemonCli();
  const dhan = await startFakeDhan({ tokenLifetimeMs: 3_600_000 });
  const dir = mkdtempSync(join(tmpdir(), 'tokens-client-'));
  const port = await freePort();
  const socketPath = join(dir, 'tokens.sock');
  const url = `http://127.0.0.1:${port}`;
  const config = {
    store: { type: 'file', dir: join(dir, 'store') },
    http: { listen: `127.0.0.1:${port}`, apiToken: API_TOKEN },
    socket: { path: socketPath },
    log: { level: 'warn' },
    accounts: {
      [ACCOUNT]: {
        broker: 'dhan',
        mode: 'totp',
        clientId: FAKE_DHAN_CLIENT.clientId,
        pin: FAKE_DHAN_CLIENT.pin,
        totpSecret: FAKE_DHAN_CLIENT.totpSecret,
        baseUrl: dhan.url,
        authBaseUrl: dhan.authUrl,
      },
    },
  };
  const configFile = join(dir, 'tokens.yaml');
  writeFileSync(configFile, JSON.stringify(config, null, 2)); // JSON is YAML
  let child: ChildProcess | undefined;
  let output = '';

  const daemonFile = () => {
    try {
      return JSON.parse(readFileSync(join(dir, 'store', 'daemon.json'), 'utf8')) as { pid: number; url: string };
    } catch {
      return undefined;
    }
  };

  const api = async <T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${url}${path}`, {
      method,
      headers: { authorization: `Bearer ${API_TOKEN}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const json = (await res.json()) as T;
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  };

  const harness: DaemonHarness = {
    dir,
    url,
    socketPath,
    apiToken: API_TOKEN,
    dhan,
    get running() {
      return child !== undefined;
    },
    async start() {
      if (child) throw new Error('daemon already running');
      output = '';
      const p = spawn(process.execPath, [cli, 'start', '--config', configFile], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
      child = p;
      p.stdout!.on('data', (d: Buffer) => (output += d.toString()));
      p.stderr!.on('data', (d: Buffer) => (output += d.toString()));
      let exited = false;
      p.once('exit', () => {
        exited = true;
        if (child === p) child = undefined;
      });
      const deadline = Date.now() + 15_000;
      for (;;) {
        if (exited) throw new Error(`the daemon exited while starting:\n${output}`);
        if (Date.now() > deadline) throw new Error(`the daemon did not start within 15 s:\n${output}`);
        if (daemonFile()?.pid === p.pid) {
          const ok = await fetch(`${url}/healthz`).then((r) => r.ok).catch(() => false);
          if (ok && existsSync(socketPath)) break;
        }
        await new Promise((r) => setTimeout(r, 25));
      }
      // The account's first token is minted at startup; wait until it is there.
      for (;;) {
        const status = await api<{ tokenValid?: boolean }>('GET', `/v1/accounts/${ACCOUNT}`);
        if (status.tokenValid) break;
        if (Date.now() > deadline) throw new Error(`no token after start:\n${output}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    async stop() {
      const p = child;
      if (!p) return;
      const gone = new Promise<void>((resolve) => p.once('exit', () => resolve()));
      p.kill('SIGTERM');
      await gone;
      child = undefined;
    },
    api,
    async refresh(account = ACCOUNT) {
      const before = (await api<{ version: number }>('GET', `/v1/accounts/${account}`)).version;
      await api('POST', `/v1/accounts/${account}/refresh`);
      const after = (await api<{ version: number }>('GET', `/v1/accounts/${account}`)).version;
      if (!(after > before)) throw new Error(`refresh did not produce a new version (${before} → ${after})`);
      return after;
    },
    async close() {
      await harness.stop();
      await dhan.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await harness.start();
  return harness;
}

/** Polls `check` until it returns a truthy value (or throws after `timeoutMs`). */
export async function waitFor<T>(check: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 5_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
