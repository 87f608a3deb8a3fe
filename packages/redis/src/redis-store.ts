import {
  assertAccountId,
  createSystemClock,
  deserializeTokenSet,
  InvalidInputError,
  serializeTokenSet,
  StoreConflictError,
  StoreCorruptionError,
  TokensError,
  type ClockV1,
  type EncryptionKey,
  type StoreChangeV1,
  type StoredTokenV1,
  type TokenStoreV1,
} from '@tokens/core';
import { createChangeFeed, type ChangeFeed } from './change-feed';
import { createKeyspace, DEFAULT_KEY_PREFIX, type Keyspace } from './keys';
import { decodeRecord, encodeRecord } from './record-codec';
import { assertClient, hgetallBuffers, redisError, scanKeys, type RedisClient } from './redis-client';
import { DELETE, PUT, QUARANTINE, runScript } from './scripts';

export interface RedisTokenStoreOptions {
  /** Your ioredis client (standalone, Sentinel or Cluster). The store never closes it. */
  client: RedisClient;
  /** Namespace of every key and of the change channel. Default "tokens". Give the lock the same one. */
  keyPrefix?: string;
  /** Encrypts token sets at rest, in the file store's format (see `loadEncryptionKey`). Metadata stays clear. */
  encryptionKey?: EncryptionKey;
  /**
   * A connection for SUBSCRIBE that you own (e.g. shared by several stores). Default: the store
   * calls `client.duplicate()` on the first `watch()` and disconnects it on `close()`.
   */
  subscriber?: RedisClient;
  /** Stamps `updatedAt` and quarantine key names. */
  clock?: ClockV1;
  /**
   * `watch()` re-reads every account's version after each reconnect of the subscriber, and
   * also this often (ms) as a safety net. Default 30 000; 0 turns the periodic re-read off.
   */
  resyncIntervalMs?: number;
  /** Called when an unreadable record was moved aside (the same error is also thrown). */
  onCorrupt?: (error: StoreCorruptionError) => void;
  /** Errors of the subscriber connection and of failed re-reads (they are retried). */
  onError?: (error: unknown) => void;
}

export interface RedisTokenStore extends TokenStoreV1 {
  readonly keyspace: Keyspace;
  watch(listener: (change: StoreChangeV1) => void): () => void;
  /** Resolves when `watch()`'s subscription is live (immediately when nobody watches). */
  watchReady(): Promise<void>;
  /** Stops watching and disconnects the connections the store created. Never closes `client`. */
  close(): Promise<void>;
}

type Reply = [string, (string | number)?];

/**
 * A token store on Redis for many processes on many hosts. Every write is one Lua script:
 * compare-and-set on `version`, the fencing check, the write and the PUBLISH of the change.
 */
export function createRedisTokenStore(options: RedisTokenStoreOptions): RedisTokenStore {
  assertClient(options?.client);
  const { client, encryptionKey: key } = options;
  const keys = createKeyspace(options.keyPrefix ?? DEFAULT_KEY_PREFIX);
  const clock = options.clock ?? createSystemClock();
  let closed = false;

  const message = (change: StoreChangeV1) => JSON.stringify(change);

  /** Versions of every account, for the change feed's re-reads. */
  const readVersions = async (): Promise<Map<string, number>> => {
    const ids = await listIds();
    const versions = await Promise.all(ids.map((id) => client.hget(keys.record(id), 'version').catch(() => null)));
    const out = new Map<string, number>();
    ids.forEach((id, i) => {
      const v = Number(versions[i]);
      if (Number.isSafeInteger(v) && v > 0) out.set(id, v);
    });
    return out;
  };

  let feed: ChangeFeed | undefined;
  const changeFeed = () =>
    (feed ??= createChangeFeed({
      client,
      subscriber: options.subscriber,
      channel: keys.channel,
      readVersions,
      resyncIntervalMs: options.resyncIntervalMs ?? 30_000,
      onError: options.onError,
    }));

  async function listIds(): Promise<string[]> {
    const found = await scanKeys(client, keys.recordPattern);
    return found
      .map((k) => keys.accountOfRecordKey(k))
      .filter((id): id is string => id !== undefined)
      .sort();
  }

  /** Moves the judged content aside; undefined when it changed meanwhile (read again). */
  async function quarantine(accountId: string, judged: Record<string, Buffer> | 'other'): Promise<string | undefined> {
    const pairs = judged === 'other' ? [] : Object.entries(judged).flatMap(([f, v]) => [f, v]);
    const at = clock.now();
    for (let attempt = 0; attempt < 100; attempt++) {
      const target = keys.quarantine(accountId, at, attempt);
      const [outcome] = (await runScript(client, QUARANTINE, [keys.record(accountId), target], [judged === 'other' ? 'other' : 'hash', keys.channel, message({ kind: 'delete', accountId }), ...pairs])) as Reply;
      if (outcome === 'moved') {
        changeFeed().noteLocal({ kind: 'delete', accountId });
        return target;
      }
      if (outcome !== 'taken') return undefined;
    }
    throw new TokensError({ code: 'STORE_ERROR', isRetryable: true, message: `Could not find a free quarantine key for account "${accountId}".` });
  }

  /**
   * Reads and decodes a record. Unreadable → moved aside, reported, thrown; wrong key or
   * encrypted/plain mismatch → thrown, data untouched.
   */
  async function load(accountId: string): Promise<StoredTokenV1 | undefined> {
    const where = `key ${keys.record(accountId)}`;
    for (let round = 0; ; round++) {
      let raw: Record<string, Buffer> | 'other';
      try {
        raw = await hgetallBuffers(client, keys.record(accountId));
      } catch (error) {
        if (!(error instanceof Error && error.message.startsWith('WRONGTYPE'))) throw error;
        raw = 'other';
      }
      if (raw !== 'other' && Object.keys(raw).length === 0) return undefined;
      const decoded =
        raw === 'other'
          ? ({ kind: 'corrupt', reason: 'it is not a hash' } as const)
          : decodeRecord(accountId, Object.fromEntries(Object.entries(raw).map(([f, v]) => [f, v.toString('utf8')])), key, where);
      if (decoded.kind === 'ok') return decoded.record;
      if (decoded.kind === 'key') throw decoded.error;
      const movedTo = await quarantine(accountId, raw);
      if (movedTo === undefined && round < 5) continue; // replaced while we looked: judge the new content
      const error = new StoreCorruptionError({
        accountId,
        quarantinedTo: movedTo,
        message: movedTo
          ? `Stored token set of account "${accountId}" was unreadable (${decoded.reason}) and was moved to ${movedTo}. The account now reads as missing: log in again or restore the key by hand (RENAME it back).`
          : `Stored token set of account "${accountId}" is unreadable (${decoded.reason}) and kept changing while being moved aside.`,
      });
      try {
        options.onCorrupt?.(error);
      } catch {
        // A failing observer must not hide the corruption from the caller.
      }
      throw error;
    }
  }

  const copyOf = (r: StoredTokenV1): StoredTokenV1 => ({ ...r, tokenSet: deserializeTokenSet(serializeTokenSet(r.tokenSet)) });
  const guard = () => {
    if (closed) throw new TokensError({ code: 'STORE_ERROR', message: 'This Redis token store was closed.' });
  };

  const store: RedisTokenStore = {
    specificationVersion: 'v1',
    capabilities: { watch: true, fencing: true, durable: true },
    keyspace: keys,

    async get(accountId) {
      assertAccountId(accountId);
      guard();
      try {
        const record = await load(accountId);
        changeFeed().noteSeen(accountId, record?.version ?? 0);
        return record;
      } catch (error) {
        throw redisError('read', accountId, error);
      }
    },

    async put(accountId, input, { expectedVersion, fencingToken }) {
      assertAccountId(accountId);
      guard();
      if (typeof input?.broker !== 'string' || input.broker.length === 0) {
        throw new InvalidInputError({ field: 'broker', message: 'put() needs a non-empty broker name.' });
      }
      if (!Number.isSafeInteger(expectedVersion) || expectedVersion < 0) {
        throw new InvalidInputError({ field: 'expectedVersion', message: 'expectedVersion must be a non-negative integer (0 = must not exist yet).' });
      }
      if (fencingToken !== undefined && !Number.isSafeInteger(fencingToken)) {
        throw new InvalidInputError({ field: 'fencingToken', message: 'Fencing token must be an integer.' });
      }
      // Round-trip first: whatever we write must read back, or it would be quarantined later.
      let tokenSet: StoredTokenV1['tokenSet'];
      try {
        tokenSet = deserializeTokenSet(serializeTokenSet(input.tokenSet));
      } catch (error) {
        if (TokensError.isInstance(error)) throw error;
        throw new InvalidInputError({ field: 'tokenSet', code: 'INVALID_TOKEN_SET', message: 'put() needs a token set whose tokens are Secret values.', cause: error });
      }
      const record: StoredTokenV1 = { accountId, broker: input.broker, version: expectedVersion + 1, tokenSet, updatedAt: Math.trunc(clock.now()) };
      const change: StoreChangeV1 = { kind: 'put', accountId, version: record.version };
      let reply: Reply;
      try {
        reply = (await runScript(client, PUT, [keys.record(accountId)], [
          expectedVersion,
          fencingToken === undefined ? '' : String(fencingToken),
          key?.kid ?? '',
          keys.channel,
          message(change),
          ...encodeRecord(record, key),
        ])) as Reply;
      } catch (error) {
        throw redisError('write', accountId, error);
      }
      const [outcome, detail] = reply;
      if (outcome === 'conflict') throw new StoreConflictError({ accountId, expectedVersion, actualVersion: Number(detail) || undefined });
      if (outcome === 'fenced') {
        throw new StoreConflictError({
          accountId,
          message: `Store refused a write for account "${accountId}" with stale fencing token ${fencingToken} (last accepted ${detail}).`,
        });
      }
      if (outcome === 'corrupt' || outcome === 'key') {
        // Judge it the way get() does: quarantine (corrupt) or STORE_KEY (left untouched).
        const current = await store.get(accountId);
        throw new StoreConflictError({ accountId, expectedVersion, actualVersion: current?.version });
      }
      if (detail !== undefined && detail !== '') record.fencingToken = Number(detail);
      changeFeed().noteLocal(change);
      return copyOf(record);
    },

    async list() {
      guard();
      try {
        return await listIds();
      } catch (error) {
        throw redisError('list', '', error);
      }
    },

    async delete(accountId, opts) {
      assertAccountId(accountId);
      guard();
      try {
        for (let round = 0; round < 10; round++) {
          // Decoding first: we refuse to delete what we cannot read (wrong key), like put.
          const current = await load(accountId);
          if (!current) return false;
          if (opts?.expectedVersion !== undefined && opts.expectedVersion !== current.version) {
            throw new StoreConflictError({ accountId, expectedVersion: opts.expectedVersion, actualVersion: current.version });
          }
          const [outcome] = (await runScript(client, DELETE, [keys.record(accountId)], [String(current.version), keys.channel, message({ kind: 'delete', accountId })])) as Reply;
          if (outcome === 'ok') {
            changeFeed().noteLocal({ kind: 'delete', accountId });
            return true;
          }
          if (outcome === 'missing' && opts?.expectedVersion === undefined) return false;
          // Changed between the read and the script: judge the new content.
        }
        throw new StoreConflictError({ accountId, message: `Account "${accountId}" kept changing while being deleted.` });
      } catch (error) {
        throw redisError('delete', accountId, error);
      }
    },

    watch(listener) {
      guard();
      return changeFeed().subscribe(listener);
    },

    watchReady: () => feed?.ready() ?? Promise.resolve(),

    async close() {
      if (closed) return;
      closed = true;
      await feed?.close();
    },
  };
  return store;
}
