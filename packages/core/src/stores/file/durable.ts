import { closeSync, fdatasync, fsync, link, linkSync, open, openSync, readSync, rename, unlink, unlinkSync, writeSync } from 'node:fs';

/*
 * fsync scheduling shared by the file store and the file lock.
 *
 * Every fsync (and every rename that frees a file) runs on the libuv thread pool, never on
 * the event loop: a daemon serving refreshes, pushes and API calls must not stall for the
 * disk, and measured on ext4 the pool round trip is no slower even for one sequential write
 * (see bench/run.mjs). Up to UV_THREADPOOL_SIZE of them overlap. Directory fsyncs are
 * group-committed: one fsync(dir) that STARTS after a rename returned makes that rename
 * durable, so callers that arrive while one runs wait for the next one, and that single call
 * covers them all. Nobody resolves before an fsync that covers its write.
 */

const POSIX = process.platform !== 'win32';

/** Our syscalls running on the pool now: while any runs, the journal may be committing. */
let onPoolNow = 0;

const onPool = (run: (cb: (error: Error | null) => void) => void): Promise<void> =>
  new Promise((resolve, reject) => {
    onPoolNow++;
    run((error) => {
      onPoolNow--;
      if (error) reject(error);
      else resolve();
    });
  });

/**
 * A journaled metadata call: synchronous while none of our syscalls is on the pool (a few
 * microseconds, and a pool round trip would only add latency, e.g. at startup), on the pool
 * while our fsyncs may keep the journal busy (then it can wait a millisecond or more).
 */
function metadataCall(sync: () => void, async: (cb: (error: Error | null) => void) => void): Promise<void> {
  if (onPoolNow > 0) return onPool(async);
  try {
    sync();
    return Promise.resolve();
  } catch (error) {
    return Promise.reject(error);
  }
}

/** Flushes an open file (data and metadata) to stable storage. */
export function fsyncFile(fd: number): Promise<void> {
  return onPool((cb) => fsync(fd, cb));
}

/** Flushes an open file's data, and the metadata needed to read it back (e.g. its size). */
export function fdatasyncFile(fd: number): Promise<void> {
  return onPool((cb) => fdatasync(fd, cb));
}

/**
 * rename(2). Replacing a file frees the old one's blocks, which can wait for the disk (a
 * discard): that wait happens on the thread pool, not on the event loop.
 */
export function renameFile(from: string, to: string): Promise<void> {
  return onPool((cb) => rename(from, to, cb));
}

/*
 * Creating, linking and unlinking files are journaled metadata operations. Alone they take a
 * few microseconds, but while other writes' fsyncs commit the journal each can wait a
 * millisecond or more for it: on the event loop that stalled every refresh, push and API call
 * behind the disk. So the hot paths (lock files, temp files) move them to the pool while our
 * fsyncs run there (measured: GET /healthz p50 23 → 8 ms while 2,000 accounts renew).
 */

/** Creates `path` exclusively (EEXIST if it exists) with `data`; see metadataCall. */
export async function writeNewFile(path: string, data: string | Uint8Array, mode = 0o600): Promise<number> {
  let fd = -1;
  await metadataCall(
    () => void (fd = openSync(path, 'wx', mode)),
    (cb) => open(path, 'wx', mode, (error, opened) => cb(error ?? ((fd = opened), null))),
  );
  try {
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    // Into the page cache: no journal wait.
    for (let off = 0; off < bytes.length; ) off += writeSync(fd, bytes, off, bytes.length - off);
  } catch (error) {
    closeSync(fd);
    throw error;
  }
  return fd;
}

/** link(2); see metadataCall. */
export function linkFile(existing: string, path: string): Promise<void> {
  return metadataCall(
    () => linkSync(existing, path),
    (cb) => link(existing, path, cb),
  );
}

/** unlink(2); see metadataCall. */
export function unlinkFile(path: string): Promise<void> {
  return metadataCall(
    () => unlinkSync(path),
    (cb) => unlink(path, cb),
  );
}

interface DirGroup {
  /** The directory, open while fsyncs follow each other (a burst of writes); -1 when it would not open. */
  fd: number;
  /** Callers of the fsync running now; undefined when none runs. */
  running?: Array<() => void>;
  /** Callers that came after it started: served by the next fsync. */
  next: Array<() => void>;
}

const groups = new Map<string, DirGroup>();

function openDir(dir: string): number {
  try {
    return openSync(dir, 'r');
  } catch {
    return -1;
  }
}

function closeDir(fd: number): void {
  try {
    if (fd >= 0) closeSync(fd);
  } catch {
    // nothing left to do with it
  }
}

function launch(dir: string, group: DirGroup): void {
  const finish = () => {
    const served = group.running ?? [];
    if (group.next.length > 0) {
      group.running = group.next;
      group.next = [];
      launch(dir, group);
    } else {
      group.running = undefined;
      groups.delete(dir);
      closeDir(group.fd);
    }
    for (const resolve of served) resolve();
  };
  // Best effort when it would not open: the renames already happened; only their durability
  // across power loss is at stake.
  if (group.fd < 0) return void setImmediate(finish);
  onPoolNow++;
  fsync(group.fd, () => {
    onPoolNow--;
    finish();
  });
}

/**
 * Makes every rename, link or unlink that returned inside `dir` before this call durable.
 * Some platforms cannot fsync a directory: ignored there.
 */
export function syncDir(dir: string): Promise<void> {
  if (!POSIX) return Promise.resolve();
  let group = groups.get(dir);
  return new Promise((resolve) => {
    if (!group) {
      group = { fd: openDir(dir), running: [resolve], next: [] };
      groups.set(dir, group);
      launch(dir, group);
    } else {
      // The running fsync may have started before our rename: it does not count for us.
      group.next.push(resolve);
    }
  });
}

// Fits a fence file (8 KiB) and any record in one read.
const scratch = Buffer.allocUnsafe(16_384);

/** Reads a small file with open + read + close (readFileSync adds an fstat and a read). Throws like readFileSync. */
export function readSmallFile(path: string): Buffer {
  const fd = openSync(path, 'r');
  try {
    return readAll(fd);
  } finally {
    closeSync(fd);
  }
}

/** Reads an open file from offset 0 to its end. */
export function readAll(fd: number): Buffer {
  let buf = scratch;
  let len = 0;
  for (;;) {
    const want = buf.length - len;
    const n = readSync(fd, buf, len, want, len);
    len += n;
    // A regular file reads short only at its end: no extra read to see 0.
    if (n < want) break;
    const bigger = Buffer.allocUnsafe(buf.length * 2);
    buf.copy(bigger, 0, 0, len);
    buf = bigger;
  }
  return Buffer.from(buf.subarray(0, len));
}
