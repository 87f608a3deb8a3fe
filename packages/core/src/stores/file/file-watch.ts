import { readdirSync, readFileSync, statSync, watch, type FSWatcher } from 'node:fs';
import { readdir } from 'node:fs/promises';
import type { StoreChangeV1 } from '../../contracts/token-store';
import type { FileStamp } from './atomic-write';
import type { RecordMeta } from './record';

/*
 * Change feed for a store directory. Two sources, because neither is enough alone: fs.watch
 * (inotify/FSEvents) reports within milliseconds but is unreliable on network filesystems and
 * can drop events; polling stat() every `intervalMs` catches everything else. Both feed one
 * serial queue together with this process's own writes, so events come out in the order the
 * files were observed, and each record (version + updatedAt) is reported once.
 *
 * A scan stats every record synchronously (a few µs each, where a thread-pool round trip per
 * file cost far more and competed with the writers' fsyncs), in slices with a turn of the event
 * loop in between. One scan runs at a time, and the next starts `intervalMs` after it ended —
 * or later for a large directory, so that polling stays a small share of the time.
 */

export interface ChangeFeedOptions {
  dir: string;
  intervalMs: number;
  useFsWatch: boolean;
  /** Record path of an account. */
  pathOf(accountId: string): string;
  /** Account id of a directory entry, or undefined for files that are not records. */
  accountOf(fileName: string): string | undefined;
  /** Clear metadata of a record file's text, or undefined when it is not a valid record. */
  metaOf(accountId: string, text: string): RecordMeta | undefined;
}

export interface ChangeFeed {
  subscribe(listener: (change: StoreChangeV1) => void): () => void;
  /**
   * This process is about to rename the file `stamp` identifies into place: a change event
   * for it must not read it back (notePut reports it once durable).
   */
  noteOwnFile(accountId: string, stamp: FileStamp): void;
  /** This process wrote `accountId`; `stamp` identifies the file it wrote. */
  notePut(accountId: string, meta: RecordMeta, stamp: FileStamp): void;
  noteDelete(accountId: string): void;
  close(): void;
}

const MISSING = 'missing';
/** Records stat'ed per turn of the event loop. */
const SLICE = 256;
/**
 * Pause after a scan, in multiples of its duration, when that is longer than intervalMs: ≤ 10%
 * duty when polling is all we have, ≤ 2% while fs.watch runs and polling is only the backstop
 * for events it dropped (a store of 10,000 records is then scanned every few seconds, where
 * every ~0.6 s cost 3-4% of a busy daemon's event loop in stat calls).
 */
const POLL_PAUSE_FACTOR = 9;
const BACKSTOP_PAUSE_FACTOR = 49;
const turn = () => new Promise<void>((r) => setImmediate(r));
const sameStamp = (a: FileStamp | undefined, b: FileStamp) => !!a && a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs;
const identityOf = (m: RecordMeta) => `${m.version}:${m.updatedAt}`;

export function createChangeFeed(o: ChangeFeedOptions): ChangeFeed {
  const listeners = new Set<(change: StoreChangeV1) => void>();
  /** Last reported identity per account, or MISSING. Absent = never seen. */
  const known = new Map<string, string>();
  const stamps = new Map<string, FileStamp>();
  let queue: Promise<void> = Promise.resolve();
  let watcher: FSWatcher | undefined;
  let poller: NodeJS.Timeout | undefined;
  /** Bumped by start/stop, so a scan that ends after a stop does not re-arm the poller. */
  let generation = 0;
  let pending: Set<string> | 'all' | undefined;
  let closed = false;

  const active = () => listeners.size > 0 && !closed;

  const emit = (change: StoreChangeV1) => {
    for (const l of [...listeners]) {
      try {
        l(change);
      } catch {
        // A failing listener must not stop the feed or the other listeners.
      }
    }
  };

  const reportPut = (accountId: string, meta: RecordMeta) => {
    const id = identityOf(meta);
    if (known.get(accountId) === id) return;
    known.set(accountId, id);
    emit({ kind: 'put', accountId, version: meta.version });
  };

  const reportMissing = (accountId: string) => {
    stamps.delete(accountId);
    const before = known.get(accountId);
    known.set(accountId, MISSING);
    if (before !== undefined && before !== MISSING) emit({ kind: 'delete', accountId });
  };

  const enqueue = (task: () => Promise<void> | void): Promise<void> =>
    (queue = queue.then(async () => {
      if (!active()) return;
      try {
        await task();
      } catch {
        // The next poll retries; a vanished directory must not crash the host process.
      }
    }));

  const check = (accountId: string) => {
    const path = o.pathOf(accountId);
    let st;
    let text: string;
    try {
      st = statSync(path);
      if (sameStamp(stamps.get(accountId), st)) return;
      text = readFileSync(path, 'utf8');
    } catch {
      return reportMissing(accountId);
    }
    stamps.set(accountId, { ino: st.ino, size: st.size, mtimeMs: st.mtimeMs });
    const meta = o.metaOf(accountId, text);
    // An unreadable file is reported by get() (quarantine), not here.
    if (meta) reportPut(accountId, meta);
  };

  const scanAll = async () => {
    const ids = new Set<string>();
    for (const name of await readdir(o.dir)) {
      const id = o.accountOf(name);
      if (id) ids.add(id);
    }
    for (const [id, v] of known) if (v !== MISSING) ids.add(id); // vanished ones: reported missing
    let n = 0;
    for (const id of ids) {
      if (++n % SLICE === 0) {
        await turn();
        if (!active()) return;
      }
      check(id);
    }
  };

  const arm = (delayMs: number) => {
    const mine = generation;
    poller = setTimeout(() => {
      const started = Date.now();
      void enqueue(scanAll).then(() => {
        if (mine === generation) arm(Math.max(o.intervalMs, (watcher ? BACKSTOP_PAUSE_FACTOR : POLL_PAUSE_FACTOR) * (Date.now() - started)));
      });
    }, delayMs);
    poller.unref();
  };

  const flushPending = () => {
    const p = pending;
    pending = undefined;
    if (p === 'all') void enqueue(scanAll);
    else if (p) void enqueue(() => p.forEach(check));
  };

  const onFsEvent = (_event: string, fileName: string | Buffer | null) => {
    const name = fileName == null ? undefined : fileName.toString();
    const id = name === undefined ? undefined : o.accountOf(name);
    if (name !== undefined && id === undefined) return; // temp files, locks, quarantine
    const first = pending === undefined;
    if (id === undefined) pending = 'all';
    else if (pending !== 'all') {
      pending ??= new Set<string>();
      pending.add(id);
    }
    // Coalesce the burst of events one atomic write produces (create tmp, write, rename).
    if (first) setTimeout(flushPending, 5).unref();
  };

  /**
   * Synchronous baseline at subscribe time: everything written after `watch()` returns is
   * reported, nothing written before it is.
   */
  const baseline = () => {
    known.clear();
    stamps.clear();
    let names: string[] = [];
    try {
      names = readdirSync(o.dir);
    } catch {
      return;
    }
    for (const name of names) {
      const id = o.accountOf(name);
      if (!id) continue;
      try {
        const st = statSync(o.pathOf(id));
        const meta = o.metaOf(id, readFileSync(o.pathOf(id), 'utf8'));
        stamps.set(id, { ino: st.ino, size: st.size, mtimeMs: st.mtimeMs });
        if (meta) known.set(id, identityOf(meta));
      } catch {
        // Vanished between readdir and stat: the first scan sorts it out.
      }
    }
  };

  const start = () => {
    baseline();
    if (o.useFsWatch) {
      try {
        watcher = watch(o.dir, { persistent: false }, onFsEvent);
        // e.g. the directory was removed: keep polling, which reports the deletions.
        watcher.on('error', () => stopFsWatch());
      } catch {
        watcher = undefined; // unsupported here: polling alone
      }
    }
    generation++;
    arm(o.intervalMs);
  };

  const stopFsWatch = () => {
    watcher?.close();
    watcher = undefined;
  };

  const stop = () => {
    stopFsWatch();
    generation++;
    if (poller) clearTimeout(poller);
    poller = undefined;
    pending = undefined;
  };

  return {
    subscribe(listener) {
      if (closed) return () => {};
      const wrapped = (c: StoreChangeV1) => listener(c);
      listeners.add(wrapped);
      if (listeners.size === 1) start();
      return () => {
        if (!listeners.delete(wrapped)) return;
        if (listeners.size === 0) stop();
      };
    },
    noteOwnFile(accountId, stamp) {
      // Not queued: a check that runs before notePut would otherwise read our own file back.
      // A queued external change it then skips was already superseded by ours.
      if (active()) stamps.set(accountId, stamp);
    },
    notePut(accountId, meta, stamp) {
      void enqueue(() => {
        stamps.set(accountId, stamp);
        reportPut(accountId, meta);
      });
    },
    noteDelete(accountId) {
      void enqueue(() => {
        stamps.delete(accountId);
        if (known.get(accountId) !== MISSING) {
          known.set(accountId, MISSING);
          emit({ kind: 'delete', accountId });
        }
      });
    },
    close() {
      closed = true;
      listeners.clear();
      stop();
    },
  };
}
