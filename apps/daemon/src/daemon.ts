import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { serve, type ServerType } from '@hono/node-server';
import {
  createMarketCalendar,
  createSystemClock,
  createTokenManager,
  InvalidConfigError,
  Secret,
  type ClockV1,
  type TokenManager,
} from '@tokens/core';
import type { Logger } from 'pino';
import { buildAccounts, type BuiltAccount, escalationLevels } from './accounts';
import { createAlertChannel } from './alert-channels';
import { createApi } from './api/app';
import { createLoginRoutes } from './api/login-routes';
import { createMetrics } from './api/metrics';
import { createSessions } from './api/sessions';
import type { LoadedConfig } from './config/load';
import type { DaemonConfig } from './config/schema';
import { createEnvWatchers, type EnvWatchers } from './env-watch';
import { createEventHub } from './events';
import { createSocketServer, type SocketServer } from './socket-server';
import { createStoreBundle } from './store';
import { createSinkRunner } from './token-sinks';
import { VERSION } from './version';

export interface DaemonOptions {
  loaded: LoadedConfig;
  logger: Logger;
  clock?: ClockV1;
  /** Used by every broker adapter and alert channel (tests and the sandbox point it at fakes). */
  fetch?: typeof fetch;
  /** Serves the dashboard's static files, when built. */
  staticDir?: string;
}

export interface Daemon {
  readonly url: string;
  readonly apiToken: Secret;
  readonly stateDir: string;
  readonly socketPath?: string;
  manager(): TokenManager;
  /** Applies a new config without a restart; an invalid one is rejected and the old one kept. */
  reload(next: LoadedConfig): Promise<{ added: string[]; removed: string[]; changed: string[]; rebuilt: boolean }>;
  stop(): Promise<void>;
}

/** Reads a secret kept in the state dir, creating it (0600) on first start. */
function persistentSecret(stateDir: string, name: string): Secret {
  const file = join(stateDir, name);
  try {
    const value = readFileSync(file, 'utf8').trim();
    if (value.length >= 32) return new Secret(value);
  } catch {
    // first start
  }
  const value = randomBytes(32).toString('hex');
  writeFileSync(file, `${value}\n`, { mode: 0o600 });
  return new Secret(value);
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

export async function startDaemon(options: DaemonOptions): Promise<Daemon> {
  let config: DaemonConfig = options.loaded.config;
  const { logger } = options;
  const clock = options.clock ?? createSystemClock();
  const startedAt = clock.now();
  const bundle = await createStoreBundle(config.store, options.loaded.baseDir, { logger });
  mkdirSync(bundle.stateDir, { recursive: true, mode: 0o700 });
  const apiToken = config.http.apiToken ? new Secret(config.http.apiToken) : persistentSecret(bundle.stateDir, 'api-token');
  const loginSecret = persistentSecret(bundle.stateDir, 'login-secret');
  const [host, port] = [config.http.listen.slice(0, config.http.listen.lastIndexOf(':')).replace(/^\[|\]$/g, ''), Number(config.http.listen.slice(config.http.listen.lastIndexOf(':') + 1))];

  const events = createEventHub({ now: () => clock.now() });
  const calendar = createMarketCalendar();
  let manager: TokenManager | undefined;
  let built = new Map<string, BuiltAccount>();
  const metrics = createMetrics(() => manager);
  const sinks = createSinkRunner({
    logger,
    now: () => clock.now(),
    onResult: (r) => {
      metrics.sink(r);
      events.publish({ type: 'sink', accountId: r.accountId, sink: r.sink, ok: r.ok, ...(r.error ? { error: r.error } : {}) });
      if (!r.ok) {
        manager?.notify({
          severity: 'warning',
          kind: 'sink_failed',
          accountId: r.accountId,
          title: `${r.accountId}: could not hand the token to ${r.sink}`,
          message: `${r.error ?? 'unknown error'}. The token is stored; the next refresh tries this sink again.`,
          dedupKey: `${r.accountId}:sink_failed:${r.sink}`,
        });
      }
    },
  });
  const sessions = createSessions({ now: () => clock.now() });
  let publicUrl = config.http.publicUrl ?? `http://${config.http.listen}`;
  const login = createLoginRoutes({ manager: () => manager!, secret: loginSecret, publicUrl, clock, sessions });
  let envWatchers: EnvWatchers | undefined;

  const deliverCurrent = async (accountId: string) => {
    const m = manager!;
    if (!m.status(accountId).tokenValid) return;
    const tokenSet = await m.getTokenSet(accountId).catch(() => undefined);
    const status = m.status(accountId);
    if (tokenSet) sinks.deliver({ accountId, broker: status.broker, version: status.version ?? 0, tokenSet });
  };

  /** A manager for the current global settings; accounts are added by `applyAccounts`. */
  const buildManager = (cfg: DaemonConfig): TokenManager => {
    const m = createTokenManager({
      store: bundle.store,
      lock: bundle.lock,
      clock,
      logger,
      calendar,
      alerts: cfg.alerts.map((a) => createAlertChannel(a, clock, options.fetch)),
      ...(cfg.escalation ? { escalation: escalationLevels(cfg.escalation) } : {}),
      notifyOnRefresh: cfg.notifyOnRefresh,
      ...(cfg.engine?.refreshTimeout !== undefined ? { refreshTimeoutMs: cfg.engine.refreshTimeout } : {}),
      ...(cfg.engine?.lockTtl !== undefined ? { lockTtlMs: cfg.engine.lockTtl } : {}),
      ...(cfg.engine?.expirySkew !== undefined ? { expirySkewMs: cfg.engine.expirySkew } : {}),
      ...(cfg.engine?.maxConcurrentRefreshes !== undefined ? { maxConcurrentRefreshes: cfg.engine.maxConcurrentRefreshes } : {}),
      loginLink: (id) => login.linkFor(id),
    });
    m.on('change', (e) => {
      events.publish({ type: 'token', accountId: e.accountId, broker: e.broker, version: e.version, expiresAt: e.expiresAt, source: e.source });
      // A refresh that finishes while the daemon stops (SIGTERM drains them) must not crash it.
      deliverCurrent(e.accountId).catch(() => undefined);
    });
    m.on('state', (e) => events.publish({ type: 'state', accountId: e.accountId, from: e.from, to: e.to, ...(e.error ? { error: e.error } : {}) }));
    m.on('refresh', (e) => metrics.refresh(e));
    m.on('alert', (e) => {
      const broker = e.accountId ? built.get(e.accountId)?.config.broker : undefined;
      metrics.alert({ ...e, ...(broker ? { broker } : {}) });
      events.publish({ type: 'alert', alertId: e.alertId, kind: e.kind, severity: e.severity, delivered: e.delivered, sink: e.sink, ...(e.accountId ? { accountId: e.accountId } : {}) });
    });
    return m;
  };

  const applyAccounts = async (m: TokenManager, next: Map<string, BuiltAccount>, only?: Set<string>) => {
    for (const [id, account] of next) {
      if (only && !only.has(id)) continue;
      await m.addAccount(account.manager);
      await sinks.set(id, account.sinks);
      await deliverCurrent(id);
    }
  };

  built = buildAccounts(config, clock, options.fetch);
  manager = buildManager(config);
  await applyAccounts(manager, built);
  envWatchers = createEnvWatchers({ manager: () => manager!, accounts: () => built, logger, clock });

  const app = createApi({
    manager: () => manager!,
    events,
    metrics,
    apiToken,
    now: () => clock.now(),
    login,
    sessions,
    ...(options.staticDir ? { staticDir: options.staticDir } : {}),
    ...(config.http.dashboardPassword ? { dashboardPassword: new Secret(config.http.dashboardPassword) } : {}),
    accountExtras: (id) => ({ sinks: sinks.status(id), label: built.get(id)?.config.label }),
    health: async () => {
      // Answers within about a second, also while Redis is away (see StoreBundle.health).
      const store = await bundle.health();
      return { store: store.ok ? { ok: true } : { ok: false, error: store.error ?? 'unreachable' }, startedAt, version: VERSION };
    },
  });

  const server: ServerType = await new Promise((resolve, reject) => {
    const s = serve({ fetch: app.fetch, hostname: host, port }, () => resolve(s));
    s.once('error', reject);
  });
  const address = server.address() as AddressInfo;
  const url = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
  if (!config.http.publicUrl) publicUrl = url;

  let socket: SocketServer | undefined;
  if (config.socket) {
    socket = await createSocketServer({ path: config.socket.path, apiToken, manager: () => manager!, events, logger });
  }
  const daemonFile = join(bundle.stateDir, 'daemon.json');
  // Written atomically: the CLI and clients read it to find us.
  writeFileSync(`${daemonFile}.tmp`, JSON.stringify({ pid: process.pid, url, socket: config.socket?.path, startedAt }), { mode: 0o600 });
  renameSync(`${daemonFile}.tmp`, daemonFile);
  logger.info({ url, store: bundle.describe, accounts: [...built.keys()], socket: config.socket?.path }, 'tokens daemon ready');

  let stopping: Promise<void> | undefined;
  return {
    url,
    apiToken,
    stateDir: bundle.stateDir,
    ...(config.socket ? { socketPath: config.socket.path } : {}),
    manager: () => manager!,
    async reload(next) {
      const cfg = next.config;
      if (!same(cfg.store, config.store)) {
        throw new InvalidConfigError({ issues: [{ path: 'store', message: 'changing the store needs a restart; the running daemon keeps the old store.' }] });
      }
      const nextBuilt = buildAccounts(cfg, clock, options.fetch); // throws on invalid settings: old config stays
      if (!same(cfg.http, config.http) || !same(cfg.socket, config.socket)) logger.warn({}, 'http and socket changes apply after a restart');
      const removed = [...built.keys()].filter((id) => !nextBuilt.has(id));
      const added = [...nextBuilt.keys()].filter((id) => !built.has(id));
      const changed = [...nextBuilt.keys()].filter((id) => built.has(id) && !same(built.get(id)!.config, nextBuilt.get(id)!.config));
      const rebuild = !same(cfg.alerts, config.alerts) || !same(cfg.escalation, config.escalation) || cfg.notifyOnRefresh !== config.notifyOnRefresh || !same(cfg.engine, config.engine);
      const old = manager!;
      if (rebuild) {
        // Alert channels and escalation are manager-wide: build a new manager from the store.
        const fresh = buildManager(cfg);
        built = nextBuilt;
        await applyAccounts(fresh, nextBuilt);
        manager = fresh;
        await old.stop({ drainMs: 5_000 });
      } else {
        for (const id of removed) {
          await old.removeAccount(id);
          await sinks.set(id, []);
        }
        built = nextBuilt;
        await applyAccounts(old, nextBuilt, new Set([...added, ...changed]));
      }
      for (const id of removed) if (rebuild) await sinks.set(id, []);
      config = cfg;
      envWatchers?.refresh();
      logger.info({ added, removed, changed, rebuilt: rebuild }, 'configuration reloaded');
      return { added, removed, changed, rebuilt: rebuild };
    },
    stop() {
      stopping ??= (async () => {
        logger.info({}, 'stopping');
        envWatchers?.close();
        await socket?.close();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
        });
        await manager?.stop({ drainMs: 8_000 });
        await sinks.idle(5_000);
        await sinks.close();
        await bundle.close();
        rmSync(daemonFile, { force: true });
        logger.info({}, 'stopped');
      })();
      return stopping;
    },
  };
}
