import { unlinkSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { ClockV1 } from '../../contracts/clock';
import type { StoredTokenV1 } from '../../contracts/token-set';
import type { StoreChangeV1, TokenStoreV1 } from '../../contracts/token-store';
import { assertAccountId, isValidAccountId } from '../../account-id';
import { createSystemClock } from '../../clock/system-clock';
import { InvalidInputError, LockTimeoutError, StoreConflictError, StoreCorruptionError, TokensError } from '../../errors';
import { deserializeTokenSet, serializeTokenSet } from '../../token-set';
import type { EncryptionKey } from '../encryption';
import { writeFileAtomic } from './atomic-write';
import { readSmallFile } from './durable';
import { createChangeFeed } from './file-watch';
import { acquireLockFile, removeOwnLock } from './lockfile';
import { ensurePrivateDir, fsyncDir, sweepTempFiles } from './private-dir';
import { quarantineFile } from './quarantine';
import { nextRecord } from '../next-record';
import { decodeMeta, decodeRecord, encodeRecord } from './record';

export interface FileTokenStoreOptions {
  /** Directory of the store: created 0700; one `<accountId>.json` (0600) per account. */
  dir: string;
  /** Encrypts token sets at rest (see `loadEncryptionKey`). Metadata (version, times) stays clear. */
  encryptionKey?: EncryptionKey;
  /** Stamps `updatedAt` and quarantine names. Cross-process waits always use real time. */
  clock?: ClockV1;
  /**
   * Pause between two polls of `watch`, in ms. Default 500. A large directory is polled less
   * often, so that polling takes at most ~10% of the time (10,000 records: every ~0.6 s).
   */
  watchIntervalMs?: number;
  /** Use `fs.watch` besides polling. Default true; turn off on filesystems where it misbehaves. */
  useFsWatch?: boolean;
  /** Called when an unreadable record was moved aside (the same error is also thrown). */
  onCorrupt?: (error: StoreCorruptionError) => void;
}

export interface FileTokenStore extends TokenStoreV1 {
  /** Absolute path of the store directory. */
  readonly dir: string;
  /** Path of an account's record file. */
  pathOf(accountId: string): string;
  watch(listener: (change: StoreChangeV1) => void): () => void;
  close(): Promise<void>;
}

const RECORD_SUFFIX = '.json';
// The write mutex guards a read-compare-write of a few ms; a holder silent this long is hung.
const MUTEX_TTL_MS = 10_000;
const MUTEX_WAIT_MS = 10_000;
const MUTEX_POLL_MS = 3;

function storeError(op: string, accountId: string, error: unknown): TokensError {
  if (TokensError.isInstance(error)) return error;
  const code = (error as NodeJS.ErrnoException | undefined)?.code ?? 'unknown error';
  return new TokensError({ message: `File store could not ${op} account "${accountId}" (${code}).`, code: 'STORE_ERROR', isRetryable: true, cause: error });
}

/**
 * A durable token store for one host: one JSON file per account, written atomically.
 *
 * Compare-and-set across processes: every read-compare-write (put, delete, quarantine) runs
 * under a short per-account write mutex, the lock file `locks/<accountId>.wlock` (exclusive
 * create, stale recovery by dead pid or a 10 s lease; see lockfile.ts). Earlier versions kept
 * it at `<accountId>.json.wlock`: processes sharing a store must run the same version. Plain reads take no
 * lock: an atomic rename means they see the old or the new file, never a mix.
 */
export function createFileTokenStore(options: FileTokenStoreOptions): FileTokenStore {
  const dir = resolve(options.dir);
  const key = options.encryptionKey;
  const clock = options.clock ?? createSystemClock();
  const realClock = createSystemClock();
  const realNow = () => realClock.now();
  ensurePrivateDir(dir);
  // Write mutexes live apart from the records: the records' directory is fsynced after every
  // write, and creating or removing a name in it waits for that fsync to finish.
  const lockDir = join(dir, 'locks');
  ensurePrivateDir(lockDir, 'lock directory');
  // Temp files of writers killed mid-write; young ones may belong to a live writer.
  sweepTempFiles(dir, realNow());
  sweepTempFiles(lockDir, realNow());

  const pathOf = (accountId: string) => join(dir, `${accountId}${RECORD_SUFFIX}`);
  const accountOf = (name: string) => {
    if (!name.endsWith(RECORD_SUFFIX)) return undefined;
    const id = name.slice(0, -RECORD_SUFFIX.length);
    return isValidAccountId(id) ? id : undefined;
  };

  const feed = createChangeFeed({
    dir,
    intervalMs: options.watchIntervalMs ?? 500,
    useFsWatch: options.useFsWatch ?? true,
    pathOf,
    accountOf,
    metaOf: decodeMeta,
  });

  // In-process queue per account in front of the file mutex, so our own callers do not poll.
  const chains = new Map<string, Promise<void>>();

  async function withMutex<T>(accountId: string, fn: () => Promise<T>): Promise<T> {
    const prev = chains.get(accountId) ?? Promise.resolve();
    let done!: () => void;
    const tail = prev.then(() => new Promise<void>((r) => (done = r)));
    chains.set(accountId, tail);
    await prev;
    try {
      const lockPath = join(lockDir, `${accountId}.wlock`);
      // ref'd waits: a pending write is in-flight I/O and must keep a short script alive.
      const held = await acquireLockFile(lockPath, {
        ttlMs: MUTEX_TTL_MS,
        waitMs: MUTEX_WAIT_MS,
        pollMs: MUTEX_POLL_MS,
        now: realNow,
        realNow,
        ref: true,
      });
      if (!held) throw new LockTimeoutError({ accountId, waitedMs: MUTEX_WAIT_MS });
      try {
        return await fn();
      } finally {
        await removeOwnLock(lockPath, held.nonce, realNow, held.expiresAt).catch(() => {});
      }
    } finally {
      done();
      if (chains.get(accountId) === tail) chains.delete(accountId);
    }
  }

  /**
   * Reads and decodes a record. Unreadable → moved aside, reported, thrown; wrong key or
   * encrypted/plain mismatch → thrown, file untouched.
   */
  async function load(accountId: string, mutexHeld: boolean): Promise<StoredTokenV1 | undefined> {
    const path = pathOf(accountId);
    for (;;) {
      let bytes: Buffer;
      try {
        bytes = readSmallFile(path);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw error;
      }
      const decoded = decodeRecord(accountId, bytes.toString('utf8'), key, path);
      if (decoded.kind === 'ok') return decoded.record;
      if (decoded.kind === 'key') throw decoded.error;
      const move = () => quarantineFile(path, bytes, clock.now());
      const movedTo = mutexHeld ? await move() : await withMutex(accountId, move);
      if (movedTo === undefined) continue; // replaced while we looked: judge the new content
      const error = new StoreCorruptionError({
        accountId,
        quarantinedTo: movedTo,
        message: `Stored token set of account "${accountId}" was unreadable (${decoded.reason}) and was moved to ${movedTo}. The account now reads as missing: log in again or restore the file by hand.`,
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

  return {
    specificationVersion: 'v1',
    capabilities: { watch: true, fencing: true, durable: true },
    dir,
    pathOf(accountId) {
      assertAccountId(accountId);
      return pathOf(accountId);
    },

    async get(accountId) {
      assertAccountId(accountId);
      try {
        return await load(accountId, false);
      } catch (error) {
        throw storeError('read', accountId, error);
      }
    },

    async put(accountId, input, { expectedVersion, fencingToken }) {
      assertAccountId(accountId);
      if (typeof input?.broker !== 'string' || input.broker.length === 0) {
        throw new InvalidInputError({ field: 'broker', message: 'put() needs a non-empty broker name.' });
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
      try {
        return await withMutex(accountId, async () => {
          const current = await load(accountId, true);
          const record = nextRecord(accountId, current, { broker: input.broker, tokenSet }, { expectedVersion, fencingToken }, clock.now());
          const stamp = await writeFileAtomic(pathOf(accountId), encodeRecord(record, key), 0o600, (s) => feed.noteOwnFile(accountId, s));
          feed.notePut(accountId, { version: record.version, updatedAt: record.updatedAt }, stamp);
          return copyOf(record);
        });
      } catch (error) {
        throw storeError('write', accountId, error);
      }
    },

    async list() {
      let names: string[];
      try {
        names = await readdir(dir);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
        throw storeError('list', '*', error);
      }
      return names
        .map(accountOf)
        .filter((id): id is string => id !== undefined)
        .sort();
    },

    async delete(accountId, opts) {
      assertAccountId(accountId);
      try {
        return await withMutex(accountId, async () => {
          // Decoding first: we refuse to delete what we cannot read (wrong key), like put.
          const current = await load(accountId, true);
          if (!current) return false;
          if (opts?.expectedVersion !== undefined && opts.expectedVersion !== current.version) {
            throw new StoreConflictError({ accountId, expectedVersion: opts.expectedVersion, actualVersion: current.version });
          }
          unlinkSync(pathOf(accountId));
          await fsyncDir(dir);
          feed.noteDelete(accountId);
          return true;
        });
      } catch (error) {
        throw storeError('delete', accountId, error);
      }
    },

    watch(listener) {
      return feed.subscribe(listener);
    },

    async close() {
      feed.close();
    },
  };
}
