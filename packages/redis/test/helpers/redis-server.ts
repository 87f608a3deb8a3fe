// Real redis-server processes for the tests, each on its own free port and temp directory.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const INSTALL_HINT =
  'redis-server is not on PATH. These tests need a real Redis server: install it with `apt-get install -y redis-server` ' +
  '(Debian/Ubuntu; the repo\'s .ci/run does this) or `brew install redis`, then run the tests again.';

/** The redis-server binary, or a clear error saying how to install it. Never a skip. */
export function redisServerBinary(): string {
  const probe = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) throw new Error(INSTALL_HINT);
  return 'redis-server';
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
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

export interface RedisServer {
  readonly port: number;
  readonly url: string;
  readonly dir: string;
  /** Starts the server (again) on the same port and directory. */
  start(): Promise<void>;
  /** SIGTERM and wait for exit (with AOF on, Redis fsyncs before it exits). */
  stop(): Promise<void>;
  /** Stops the server and removes its directory. */
  destroy(): Promise<void>;
}

export interface RedisServerOptions {
  /** AOF persistence (`--appendonly yes --appendfsync always`), for restart tests. Default off. */
  appendonly?: boolean;
  /** Start as a Cluster node (`--cluster-enabled yes`); see startRedisCluster. */
  cluster?: boolean;
  /** TLS only (no plain port), with these PEM files; clients must present a certificate signed by `ca`. */
  tls?: { cert: string; key: string; ca: string };
  /** Start as a Sentinel monitoring the master on 127.0.0.1:`port` under `name` (quorum 1). */
  sentinelOf?: { port: number; name: string };
}

export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  const bin = redisServerBinary();
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'tokens-redis-'));
  let proc: ChildProcess | undefined;
  let log = '';

  const start = async () => {
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--daemonize', 'no', '--protected-mode', 'yes'];
    args.push(...(options.appendonly ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no']));
    if (options.cluster) args.push('--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`, '--cluster-node-timeout', '2000');
    if (options.tls) {
      const { cert, key, ca } = options.tls;
      args.splice(0, 2, '--port', '0', '--tls-port', String(port));
      args.push('--tls-cert-file', cert, '--tls-key-file', key, '--tls-ca-cert-file', ca, '--tls-auth-clients', 'yes');
    }
    if (options.sentinelOf) {
      // A sentinel rewrites its config file, so it gets its own.
      const { name, port: master } = options.sentinelOf;
      const conf = join(dir, 'sentinel.conf');
      writeFileSync(conf, `port ${port}\nbind 127.0.0.1\ndir ${dir}\nsentinel monitor ${name} 127.0.0.1 ${master} 1\nsentinel down-after-milliseconds ${name} 2000\n`);
      args.splice(0, args.length, conf, '--sentinel');
    }
    const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    proc = child;
    child.stdout!.on('data', (d) => (log = (log + d).slice(-4000)));
    child.stderr!.on('data', (d) => (log = (log + d).slice(-4000)));
    const deadline = Date.now() + 10_000;
    while (!(await canConnect(port))) {
      if (child.exitCode !== null) throw new Error(`redis-server exited with code ${child.exitCode}:\n${log}`);
      if (Date.now() > deadline) throw new Error(`redis-server did not listen on ${port} within 10 s:\n${log}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };

  const stop = async () => {
    const child = proc;
    proc = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  };

  await start();
  return {
    port,
    url: `${options.tls ? 'rediss' : 'redis'}://127.0.0.1:${port}`,
    dir,
    start,
    stop,
    async destroy() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface RedisCluster {
  readonly nodes: Array<{ host: string; port: number }>;
  destroy(): Promise<void>;
}

/** `count` master nodes joined with `redis-cli --cluster create`, waiting until the cluster is ok. */
export async function startRedisCluster(count = 3): Promise<RedisCluster> {
  const servers = await Promise.all(Array.from({ length: count }, () => startRedisServer({ cluster: true })));
  const destroy = async () => {
    await Promise.all(servers.map((s) => s.destroy()));
  };
  try {
    const addresses = servers.map((s) => `127.0.0.1:${s.port}`);
    const created = spawnSync('redis-cli', ['--cluster', 'create', ...addresses, '--cluster-replicas', '0', '--cluster-yes'], { encoding: 'utf8' });
    if (created.status !== 0) throw new Error(`redis-cli --cluster create failed: ${created.stdout}${created.stderr}`);
    const deadline = Date.now() + 15_000;
    for (;;) {
      const states = servers.map((s) => spawnSync('redis-cli', ['-p', String(s.port), 'cluster', 'info'], { encoding: 'utf8' }).stdout);
      if (states.every((info) => info.includes('cluster_state:ok'))) break;
      if (Date.now() > deadline) throw new Error(`cluster not ok within 15 s: ${states.join('\n')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } catch (error) {
    await destroy();
    throw error;
  }
  return { nodes: servers.map((s) => ({ host: '127.0.0.1', port: s.port })), destroy };
}

export interface TestCertificates {
  dir: string;
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
}

/** A throwaway CA with a server certificate for 127.0.0.1 and a client certificate (openssl). */
export function makeTestCertificates(): TestCertificates {
  const dir = mkdtempSync(join(tmpdir(), 'tokens-tls-'));
  const run = (args: string[]) => {
    const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
    if (r.error || r.status !== 0) throw new Error(`openssl ${args[0]} failed (is openssl installed?): ${r.error?.message ?? r.stderr}`);
  };
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  run(['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=tokens test CA']);
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  for (const who of ['server', 'client']) {
    run(['req', ...ec, '-keyout', `${who}.key`, '-out', `${who}.csr`, '-subj', `/CN=tokens test ${who}`]);
    run(['x509', '-req', '-in', `${who}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${who}.crt`, '-days', '2', ...(who === 'server' ? ['-extfile', 'server.ext'] : [])]);
  }
  const at = (f: string) => join(dir, f);
  return { dir, ca: at('ca.crt'), serverCert: at('server.crt'), serverKey: at('server.key'), clientCert: at('client.crt'), clientKey: at('client.key') };
}
