// A real redis-server for the daemon's high-availability test: its own free port and a temp
// directory with AOF on, so it can be stopped and started again on the same port and data.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './daemon-process';

const INSTALL_HINT =
  'redis-server is not on PATH. The daemon HA test needs a real Redis server: install it with ' +
  '`apt-get install -y redis-server` (Debian/Ubuntu; the repo\'s .ci/run does this) or `brew install redis`, then run the tests again.';

/** Fails (never skips) with how to install Redis when the binary is missing. */
export function assertRedisServerInstalled(): void {
  const probe = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) throw new Error(INSTALL_HINT);
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = createConnection({ port, host: '127.0.0.1' });
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('error', () => resolve(false));
  });
}

export interface HaRedis {
  readonly port: number;
  readonly url: string;
  readonly dir: string;
  /** (Re)starts the server on the same port and AOF directory; resolves once it accepts connections. */
  start(): Promise<void>;
  /** SIGTERM and wait for the exit (Redis fsyncs the AOF before it exits). */
  stop(): Promise<void>;
  /** The server's last output lines, for failure messages. */
  log(): string;
  destroy(): Promise<void>;
}

export async function startHaRedis(): Promise<HaRedis> {
  assertRedisServerInstalled();
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'tokens-ha-redis-'));
  let proc: ChildProcess | undefined;
  let output = '';

  const start = async () => {
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'yes', '--daemonize', 'no'];
    const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    proc = child;
    child.stdout!.on('data', (d) => (output = (output + d).slice(-4000)));
    child.stderr!.on('data', (d) => (output = (output + d).slice(-4000)));
    const deadline = Date.now() + 15_000;
    while (!(await canConnect(port))) {
      if (child.exitCode !== null) throw new Error(`redis-server exited with code ${child.exitCode}:\n${output}`);
      if (Date.now() > deadline) throw new Error(`redis-server did not listen on ${port} within 15 s:\n${output}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };

  const stop = async () => {
    const child = proc;
    proc = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };

  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    dir,
    start,
    stop,
    log: () => output,
    async destroy() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
