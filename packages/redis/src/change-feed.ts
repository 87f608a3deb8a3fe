import type { StoreChangeV1 } from '@tokens/core';
import { isValidAccountId } from '@tokens/core';
import { isCluster, type RedisClient } from './redis-client';

export interface ChangeFeedOptions {
  client: RedisClient;
  /** A connection the caller owns for SUBSCRIBE; default: `client.duplicate()`, created on first `watch`. */
  subscriber?: RedisClient;
  channel: string;
  /** Current version of every account (absent ones left out); see RedisTokenStore. */
  readVersions: () => Promise<Map<string, number>>;
  /** Full re-read period (ms) on top of the re-read after every reconnect; 0 turns it off. */
  resyncIntervalMs: number;
  onError?: (error: unknown) => void;
}

export interface ChangeFeed {
  subscribe(listener: (change: StoreChangeV1) => void): () => void;
  /** A change this instance made: reported at once, and its pub/sub echo is dropped. */
  noteLocal(change: StoreChangeV1): void;
  /** A version this instance read (0 = absent): the baseline for the first re-read. */
  noteSeen(accountId: string, version: number): void;
  /** Resolves once the subscription is active and the first re-read is done (for tests). */
  ready(): Promise<void>;
  close(): Promise<void>;
}

/** Decodes a pub/sub message; undefined for anything that is not ours. */
export function parseChange(text: string): StoreChangeV1 | undefined {
  let m: unknown;
  try {
    m = JSON.parse(text);
  } catch {
    return undefined;
  }
  const c = m as Partial<{ kind: string; accountId: string; version: number }>;
  if (!c || !isValidAccountId(c.accountId)) return undefined;
  if (c.kind === 'delete') return { kind: 'delete', accountId: c.accountId };
  if (c.kind === 'put' && Number.isSafeInteger(c.version) && c.version! > 0) return { kind: 'put', accountId: c.accountId, version: c.version! };
  return undefined;
}

/**
 * Pub/sub is at-most-once: a message published while the subscriber is reconnecting is gone.
 * So after every (re)subscription — and every `resyncIntervalMs` — the feed re-reads the
 * version of every account and reports whatever differs from what it last reported. Nothing is
 * lost; at worst a change arrives late by one reconnect.
 *
 * `reported` holds the last version told to listeners per account (0 = absent); it drops
 * duplicates (our own echo, a message racing a re-read) and stale reorderings. Until the first
 * re-read completes, what changed is judged against what this instance read or wrote itself
 * (`seen`), else against a snapshot taken the moment `watch()` was first called — so a write
 * that lands while the subscriber is still connecting is reported, not taken as the baseline.
 */
export function createChangeFeed(options: ChangeFeedOptions): ChangeFeed {
  const { client, channel } = options;
  const listeners = new Set<(change: StoreChangeV1) => void>();
  const reported = new Map<string, number>();
  const seen = new Map<string, number>();
  // Accounts a message or local write touched while a re-read was in flight: the re-read's
  // older view of them must not override what was just reported.
  let touched: Set<string> | undefined;
  let baseline = false;
  let sub: RedisClient | undefined;
  let created = false;
  let closed = false;
  let syncing: Promise<void> | undefined;
  let again = false;
  let retryTimer: NodeJS.Timeout | undefined;
  let retryDelay = 100;
  let resyncTimer: NodeJS.Timeout | undefined;
  let firstSync: Promise<void> | undefined;
  // Versions read the moment watch() is first called, on the already-connected client: the
  // baseline while the subscriber is still connecting (a Cluster needs its topology first).
  let snapshot: Promise<Map<string, number> | undefined> | undefined;
  let resolveFirst!: () => void;

  const emit = (change: StoreChangeV1) => {
    for (const l of listeners)
      queueMicrotask(() => {
        try {
          l(change);
        } catch {
          // a throwing listener must not break the feed or other listeners
        }
      });
  };

  const offer = (change: StoreChangeV1) => {
    touched?.add(change.accountId);
    const prev = reported.get(change.accountId);
    if (change.kind === 'put') {
      if (prev !== undefined && prev >= change.version) return;
      reported.set(change.accountId, change.version);
    } else {
      if (prev === 0) return;
      reported.set(change.accountId, 0);
    }
    emit(change);
  };

  const reread = async () => {
    touched = new Set();
    try {
      const versions = await options.readVersions();
      const s0 = baseline ? undefined : await snapshot;
      // What this instance knew before: what it reported; before the first re-read, what it read
      // or wrote itself, else the snapshot taken when watch() was first called (absent = 0).
      const before = (id: string): number | undefined => {
        if (reported.has(id) || baseline) return reported.get(id);
        if (seen.has(id)) return seen.get(id);
        return s0 ? (s0.get(id) ?? 0) : undefined;
      };
      for (const [id, version] of versions) {
        if (touched.has(id)) continue;
        const prev = before(id);
        reported.set(id, version);
        // Unknown before the first full read (no snapshot): the baseline, not news.
        if (prev === version || (prev === undefined && !baseline)) continue;
        emit({ kind: 'put', accountId: id, version });
      }
      for (const id of new Set([...reported.keys(), ...(baseline ? [] : [...seen.keys(), ...(s0?.keys() ?? [])])])) {
        const prev = before(id);
        if (prev !== undefined && prev !== 0 && !versions.has(id) && !touched.has(id)) {
          reported.set(id, 0);
          emit({ kind: 'delete', accountId: id });
        }
      }
      baseline = true;
      seen.clear();
    } finally {
      touched = undefined;
    }
  };

  // SUBSCRIBE first and wait for its reply (commands on one connection run in order, so the
  // subscription is live), then re-read: a write lands either before the read or in a message.
  const syncOnce = async () => {
    await sub!.subscribe(channel);
    await reread();
  };

  const requestSync = (): Promise<void> => {
    if (closed) return Promise.resolve();
    if (syncing) {
      again = true;
      return syncing;
    }
    syncing = (async () => {
      do {
        again = false;
        try {
          await syncOnce();
          retryDelay = 100;
          resolveFirst();
        } catch (error) {
          if (closed) return;
          options.onError?.(error);
          // Redis is unreachable: try again with capped backoff (unref'd: never keeps a process alive).
          clearTimeout(retryTimer);
          retryTimer = setTimeout(() => void requestSync(), retryDelay);
          retryTimer.unref();
          retryDelay = Math.min(retryDelay * 2, 5_000);
          return;
        }
      } while (again && !closed);
    })().finally(() => {
      syncing = undefined;
    });
    return syncing;
  };

  const onMessage = (ch: string | Buffer, message: string | Buffer) => {
    if (closed || ch.toString() !== channel) return;
    const change = parseChange(message.toString());
    if (change) offer(change);
  };
  const onError = (error: unknown) => options.onError?.(error);
  let readyBefore = false;
  const onReady = () => {
    // The first 'ready' of a fresh connection is the initial sync already queued by start().
    if (readyBefore) void requestSync();
    readyBefore = true;
  };

  const start = () => {
    if (sub || closed) return;
    snapshot = options.readVersions().catch(() => undefined);
    created = options.subscriber === undefined;
    const s: RedisClient = options.subscriber ?? (isCluster(client) ? client.duplicate() : client.duplicate());
    sub = s;
    readyBefore = s.status === 'ready';
    s.on('message', onMessage);
    s.on('ready', onReady);
    // A Cluster re-picks its subscriber node on topology changes without a 'ready'.
    if (isCluster(s)) s.on('+node', onReady).on('-node', onReady);
    if (created) s.on('error', onError);
    firstSync = new Promise<void>((r) => (resolveFirst = r));
    void requestSync();
    if (options.resyncIntervalMs > 0) {
      resyncTimer = setInterval(() => void requestSync(), options.resyncIntervalMs);
      resyncTimer.unref();
    }
  };

  return {
    subscribe(listener) {
      listeners.add(listener);
      start();
      return () => void listeners.delete(listener);
    },
    noteLocal(change) {
      if (!baseline) seen.set(change.accountId, change.kind === 'put' ? change.version : 0);
      offer(change);
    },
    noteSeen(accountId, version) {
      if (!baseline) seen.set(accountId, version);
    },
    ready: () => firstSync ?? Promise.resolve(),
    async close() {
      if (closed) return;
      closed = true;
      listeners.clear();
      clearTimeout(retryTimer);
      clearInterval(resyncTimer);
      const s = sub;
      sub = undefined;
      if (!s) return;
      s.off('message', onMessage);
      s.off('ready', onReady);
      if (isCluster(s)) s.off('+node', onReady).off('-node', onReady);
      if (created) {
        s.disconnect();
        // keep swallowing errors of the closing connection
        setImmediate(() => s.off('error', onError));
      } else {
        await s.unsubscribe(channel).catch(() => undefined);
      }
    },
  };
}
