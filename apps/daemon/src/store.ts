import { join } from 'node:path';
import { createFileLock, createFileTokenStore, loadEncryptionKey, scrubText, TokensError, type LockV1, type TokenStoreV1 } from '@tokens/core';
import type { DaemonConfig } from './config/schema';
import { connectRedis } from './redis-client';

export interface StoreHealth {
  ok: boolean;
  error?: string;
}

/** The few logger methods the store bundle uses (pino's Logger fits). */
export interface StoreLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface StoreBundle {
  store: TokenStoreV1;
  lock: LockV1;
  /** Where the daemon keeps its own files (api token, login secret, daemon.json). */
  stateDir: string;
  describe: string;
  /**
   * Can the store be used right now? Answers within about a second, also while Redis is down
   * (for `/readyz`). The Redis store's `list()` checks this first, so callers of `list()` get the
   * same fast answer.
   */
  health(): Promise<StoreHealth>;
  close(): Promise<void>;
}

export interface StoreBundleOptions {
  /** Redis outages and recoveries are logged here (one line each); without it, on stderr. */
  logger?: StoreLogger;
  /**
   * For short-lived commands (the CLI without a daemon): Redis commands fail after one reconnect
   * attempt instead of waiting ~10 s for Redis to come back. Leave it off for the daemon.
   */
  failFast?: boolean;
}

/** How long a Redis health probe (PING) may take before the store counts as unreachable. */
const PING_TIMEOUT_MS = 1_000;

/** File store + file lock on one host; Redis store + lease lock across hosts. */
export async function createStoreBundle(config: DaemonConfig['store'], baseDir: string, options: StoreBundleOptions = {}): Promise<StoreBundle> {
  const { logger } = options;
  const encryptionKey = config.encryptionKey ? loadEncryptionKey({ key: config.encryptionKey }) : undefined;
  if (config.type === 'file') {
    const store = createFileTokenStore({ dir: config.dir, ...(encryptionKey ? { encryptionKey } : {}) });
    const lock = createFileLock({ dir: join(config.dir, 'locks') });
    return {
      store,
      lock,
      stateDir: config.dir,
      describe: `file:${config.dir}`,
      async health() {
        try {
          await store.list();
          return { ok: true };
        } catch (error) {
          return { ok: false, error: error instanceof Error ? error.message : 'unreadable' };
        }
      },
      async close() {
        await store.close();
        await lock.close?.();
      },
    };
  }
  // Loaded only for Redis users: a single-host daemon never pays for the client.
  const { createRedisLock, createRedisTokenStore } = await import('@tokens/redis');
  let closing = false;
  const { client, subscriber, where } = await connectRedis(config, { failFast: options.failFast === true, closing: () => closing });

  // One log line per outage and per recovery, not one per reconnect attempt.
  let lastError: string | undefined;
  let down = false;
  const note = (which: string) => (error: unknown) => {
    lastError = scrubText(error instanceof Error ? error.message : String(error)).slice(0, 200);
    if (down) return;
    down = true;
    const text = `Redis ${where} unreachable (${which}): ${lastError}. Tokens in memory are still served; refreshes wait for Redis.`;
    if (logger) logger.warn({ store: `redis:${where}`, error: lastError }, text);
    else console.warn(text);
  };
  client.on('error', note('commands'));
  subscriber.on('error', note('change feed'));
  const onReady = () => {
    if (!down || client.status !== 'ready' || subscriber.status !== 'ready') return;
    down = false;
    if (logger) logger.info({ store: `redis:${where}` }, `Redis ${where} reachable again`);
    else console.warn(`Redis ${where} reachable again`);
  };
  client.on('ready', onReady);
  subscriber.on('ready', onReady);

  const store = createRedisTokenStore({
    client,
    subscriber,
    keyPrefix: config.keyPrefix,
    ...(encryptionKey ? { encryptionKey } : {}),
    onError: (error) => {
      // Subscriber errors arrive through `note`; here: failed re-reads of the change feed.
      if (client.status === 'ready') lastError = scrubText(error instanceof Error ? error.message : String(error)).slice(0, 200);
    },
  });
  const lock = createRedisLock({ client, keyPrefix: config.keyPrefix });

  const health = async (): Promise<StoreHealth> => {
    const why = lastError ? `: ${lastError}` : '';
    if (client.status !== 'ready') return { ok: false, error: `Redis ${where} is not connected (${client.status})${why}` };
    if (subscriber.status !== 'ready') return { ok: false, error: `the change feed's connection to Redis ${where} is not connected (${subscriber.status})${why}` };
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        client.ping(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer to PING within ${PING_TIMEOUT_MS} ms`)), PING_TIMEOUT_MS);
        }),
      ]);
      return { ok: true };
    } catch (error) {
      return { ok: false, error: `Redis ${where}: ${scrubText(error instanceof Error ? error.message : String(error)).slice(0, 200)}` };
    } finally {
      clearTimeout(timer);
    }
  };
  /**
   * Ends a connection now. While ioredis waits to reconnect, `disconnect()` only cancels the
   * next attempt and leaves queued commands (and their timers) pending, so we also end it the
   * way ioredis does when it gives up: status "end", queue rejected.
   */
  const end = (connection: typeof client) => {
    const waiting = connection.status === 'reconnecting';
    connection.disconnect();
    if (!waiting) return;
    const internal = connection as unknown as { setStatus?: (status: string) => void; flushQueue?: (error: Error) => void };
    internal.setStatus?.('end');
    internal.flushQueue?.(new Error('Connection is closed.'));
  };
  // `list()` is for startup, dashboards and health: it answers at once while Redis is away
  // instead of queueing behind the reconnect.
  const scan = store.list.bind(store);
  store.list = async () => {
    const h = await health();
    if (!h.ok) throw new TokensError({ code: 'STORE_ERROR', isRetryable: true, message: h.error ?? `Redis ${where} is unreachable` });
    return scan();
  };

  return {
    store,
    lock,
    stateDir: join(baseDir, '.tokens'),
    describe: `redis:${where}/${config.keyPrefix}`,
    health,
    async close() {
      closing = true;
      // The feed unsubscribes (or queues that while Redis is away); ending its connection right
      // after settles that either way. Leases still held are released if Redis answers within
      // 2 s, else they lapse by their TTL. Closing never waits longer for an absent Redis.
      const feedClosed = store.close().catch(() => undefined);
      end(subscriber);
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([Promise.all([feedClosed, lock.close().catch(() => undefined)]), new Promise((r) => (timer = setTimeout(r, 2_000)))]);
      clearTimeout(timer);
      end(client);
    },
  };
}
