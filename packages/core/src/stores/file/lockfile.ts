// Every call here is synchronous: a few microseconds in a lock directory, which nobody fsyncs.
import { linkSync, readFileSync, renameSync, symlinkSync, unlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import { crc32 } from 'node:zlib';
import { tempPathFor, uniqueId } from './atomic-write';
import { codeOf, createNode, createNodeSync, readLockNode, unlinkQuietly } from './lock-nodes';

/*
 * Host-wide lock files, shared by the file store's per-account write mutex and the file lock.
 *
 * Acquire: create the lock with the record as its content, exclusively and whole (a symlink
 * whose target is the record, or a hard-linked temp file: lock-nodes.ts), so nobody ever
 * reads a half-written lock.
 *
 * Stale takeover must not remove a lock that a third process created after we judged the old
 * one stale (the classic read-judge-unlink race). So every removal of lock instance N (release
 * by its owner, or takeover by anyone) first wins an O_EXCL ticket `<lock>.takeover-<N>` and
 * re-reads the lock under it. Only a ticket holder may remove instance N, so once the ticket
 * holder sees N at the path, N is still there when it unlinks. Tickets are held for a few
 * syscalls; a ticket left by a dead process is broken by pid, or after TICKET_STALE_MS.
 *
 * Residual risk, accepted: without kernel locks (flock is not in Node's API) no file protocol
 * survives every crash. Ours can fail only if a process dies inside its few-syscall ticket
 * window AND several others break that dead ticket at the same instant, or a process stalls
 * for over 30 s while holding a ticket. Fencing tokens in the store catch the rest.
 */

export interface LockRecord {
  pid: number;
  hostname: string;
  nonce: string;
  /** Lease end, on the clock of whoever judges staleness. */
  expiresAt: number;
  /** Written by earlier versions only (informational). */
  createdAt?: number;
  fencingToken?: number;
}

export type LockState =
  | { kind: 'free' }
  | { kind: 'held'; record: LockRecord }
  /** Exists but does not parse (foreign file, or a crash on a filesystem without hard links). */
  | { kind: 'unreadable'; ino: number; mtimeMs: number };

const HOST = hostname();
// process.pid is a getpid() syscall on every read.
const PID = process.pid;
const TICKET_STALE_MS = 30_000;
/** Lease time that must remain for an owner to release without a ticket. */
const FAST_RELEASE_MARGIN_MS = 2_000;
/** How long an unreadable lock file is left alone before it counts as stale. */
export const UNREADABLE_GRACE_MS = 10_000;

/*
 * A record is written as one short line, `tl1:<pid>:<host>:<nonce>:<expiresAt>` (host: crc32
 * of the hostname; numbers after the pid in base 36), so that it fits in the inode of a symlink:
 * ext4 keeps a target under 60 bytes in the inode itself, where a longer one (our earlier JSON
 * records) needs a disk block allocated on every lock and freed (and, mounted with `discard`,
 * trimmed) on every release. JSON records of earlier versions are still read.
 */
const COMPACT = /^tl1:(\d{1,10}):([0-9a-f]{8}):([0-9a-z]{1,24}):([0-9a-z]{1,11})$/;
const FAST_SYMLINK_MAX = 59;
const HOST_TAG = crc32(HOST).toString(16).padStart(8, '0');
// Unique per process (32 random bits; the pid and host are in the record too), counted per lock.
const NONCE_PREFIX = uniqueId().slice(0, 8);
let nonceSeq = 0;

export function newNonce(): string {
  return NONCE_PREFIX + (nonceSeq++).toString(36);
}

export function newLockRecord(expiresAt: number): LockRecord {
  return { pid: PID, hostname: HOST, nonce: newNonce(), expiresAt };
}

/** The text of one of our lock files (records come from newLockRecord). */
function encodeLockRecord(r: LockRecord): string {
  // A custom clock may give a fractional or huge lease end: JSON then, as earlier versions wrote.
  if (Number.isSafeInteger(r.expiresAt) && r.expiresAt >= 0) {
    const text = `tl1:${r.pid}:${HOST_TAG}:${r.nonce}:${r.expiresAt.toString(36)}`;
    if (text.length <= FAST_SYMLINK_MAX) return text;
  }
  return JSON.stringify(r);
}

/** False only when `pid` surely no longer runs on this host (zombies count as dead). */
export function isPidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (pid === PID) return true;
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  if (process.platform === 'linux') {
    try {
      // A killed child not yet reaped by its parent still answers kill(0).
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
      if (state === 'Z' || state === 'X') return false;
    } catch {
      // /proc unavailable: trust kill(0).
    }
  }
  return true;
}

/** The holder is gone: dead pid on this host, or the lease ran out on `now`'s clock. */
export function holderIsGone(record: LockRecord, now: number): boolean {
  if (record.expiresAt <= now) return true;
  return record.hostname === HOST && !isPidAlive(record.pid);
}

function isLockRecord(v: unknown): v is LockRecord {
  if (v == null || typeof v !== 'object') return false;
  const r = v as Record<string, unknown>;
  return (
    typeof r.pid === 'number' &&
    typeof r.hostname === 'string' &&
    typeof r.nonce === 'string' &&
    r.nonce.length > 0 &&
    typeof r.expiresAt === 'number' &&
    (r.fencingToken === undefined || typeof r.fencingToken === 'number')
  );
}

function parseRecord(text: string): LockRecord | undefined {
  const m = COMPACT.exec(text);
  if (m) return { pid: Number(m[1]), hostname: m[2] === HOST_TAG ? HOST : `crc32:${m[2]}`, nonce: m[3]!, expiresAt: parseInt(m[4]!, 36) };
  try {
    const parsed: unknown = JSON.parse(text);
    return isLockRecord(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** Reads the lock, and for an unreadable one its inode. */
export async function readLock(path: string): Promise<LockState> {
  return readLockSync(path);
}

function readLockSync(path: string): LockState {
  const node = readLockNode(path);
  if (!node) return { kind: 'free' };
  // A held lock is known by its nonce: no stat needed.
  const record = parseRecord(node.text);
  if (record) return { kind: 'held', record };
  try {
    const { ino, mtimeMs } = node.identity();
    return { kind: 'unreadable', ino, mtimeMs };
  } catch (error) {
    if (codeOf(error) === 'ENOENT') return { kind: 'free' };
    throw error;
  }
}

/** Creates the lock if nobody holds it. Resolves false on EEXIST. */
export function tryCreateLock(path: string, record: LockRecord): Promise<boolean> {
  return createNode(path, encodeLockRecord(record));
}

function identity(state: LockState): string | undefined {
  if (state.kind === 'held') return `n-${state.record.nonce.replace(/[^A-Za-z0-9]/g, '')}`;
  if (state.kind === 'unreadable') return `i-${state.ino}`;
  return undefined;
}

async function tryTicket(ticket: string, realNow: () => number): Promise<boolean> {
  const body = JSON.stringify({ pid: PID, hostname: HOST, createdAt: realNow(), nonce: newNonce() });
  for (let attempt = 0; attempt < 2; attempt++) {
    if (await createNode(ticket, body)) return true;
    const stale = attempt === 0 ? await staleTicketText(ticket, realNow) : undefined;
    if (stale === undefined) return false;
    await breakTicket(ticket, stale);
  }
  return false;
}

/** The content of a ticket whose holder died (or that is very old), or undefined. */
async function staleTicketText(ticket: string, realNow: () => number): Promise<string | undefined> {
  try {
    const node = readLockNode(ticket);
    if (!node) return undefined;
    const { text } = node;
    if (realNow() - node.identity().mtimeMs > TICKET_STALE_MS) return text;
    const t = JSON.parse(text) as { pid?: unknown; hostname?: unknown };
    return t.hostname === HOST && typeof t.pid === 'number' && !isPidAlive(t.pid) ? text : undefined;
  } catch {
    return undefined; // vanished (its holder finished), or foreign content: only age breaks it
  }
}

/**
 * Moves a dead ticket away atomically and checks we moved the one we judged: if another
 * breaker replaced it with a live ticket in between, that one is put back.
 */
async function breakTicket(ticket: string, judged: string): Promise<void> {
  const moved = tempPathFor(ticket);
  try {
    renameSync(ticket, moved);
  } catch {
    return;
  }
  let node: ReturnType<typeof readLockNode>;
  try {
    node = readLockNode(moved);
  } catch {
    node = undefined;
  }
  try {
    // A symlink is put back as a new one with the same text (link(2) follows symlinks on some systems).
    if (node?.text !== judged) {
      if (node?.symlink) symlinkSync(node.text, ticket);
      else linkSync(moved, ticket);
    }
  } catch {
    // a newer ticket took the name
  }
  unlinkQuietly(moved);
}

/**
 * Runs `fn` while holding the removal ticket for the lock instance `state`, after re-reading
 * the lock: `fn` gets the fresh state only when it is still the same instance. Resolves
 * 'busy' when another process holds the ticket right now.
 */
async function underTicket<T>(
  path: string,
  state: LockState,
  realNow: () => number,
  fn: (fresh: LockState) => Promise<T>,
): Promise<T | 'busy' | 'changed'> {
  const id = identity(state);
  if (!id) return 'changed';
  const ticket = `${path}.takeover-${id}`;
  if (!(await tryTicket(ticket, realNow))) return 'busy';
  try {
    const fresh = await readLock(path);
    if (identity(fresh) !== id) return 'changed';
    return await fn(fresh);
  } finally {
    unlinkQuietly(ticket);
  }
}

/**
 * Removes the lock at `path` if `isStale` still holds for it under the removal ticket.
 * Resolves true when the caller should try to create the lock again right away.
 */
export async function breakStaleLock(path: string, state: LockState, isStale: (s: LockState) => boolean, realNow: () => number): Promise<boolean> {
  if (state.kind === 'free') return true;
  if (!isStale(state)) return false;
  const out = await underTicket(path, state, realNow, async (fresh) => {
    if (!isStale(fresh)) return false;
    unlinkSync(path);
    return true;
  });
  return out === 'changed' || out === true;
}

const sleepBriefly = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs `fn` on our own lock instance; retries briefly while someone else holds its ticket. */
async function onOwnLock(path: string, nonce: string, realNow: () => number, fn: (fresh: LockState & { kind: 'held' }) => Promise<boolean>): Promise<boolean> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const state = await readLock(path);
    if (state.kind !== 'held' || state.record.nonce !== nonce) return false;
    const out = await underTicket(path, state, realNow, (fresh) => fn(fresh as LockState & { kind: 'held' }));
    if (out === 'changed') return false;
    if (out !== 'busy') return out;
    await sleepBriefly(2);
  }
  return false;
}

/**
 * Runs `fn` on our own lock. `realLeaseEnd` (the real-time end of the lease the lock file
 * shows now) allows a fast path: while that lease is comfortably live and we are alive, nobody
 * judges the lock stale, so nobody else takes its removal ticket or touches it; checking the
 * nonce is enough. `fn` runs synchronously right after the check, so the margin only has to
 * cover clock differences between processes and a stall of this process in those few syscalls.
 */
async function onOwnLockFast(path: string, nonce: string, realNow: () => number, realLeaseEnd: number | undefined, fn: () => boolean | Promise<boolean>): Promise<boolean> {
  if (realLeaseEnd !== undefined && realNow() < realLeaseEnd - FAST_RELEASE_MARGIN_MS) {
    const state = readLockSync(path);
    return state.kind === 'held' && state.record.nonce === nonce && fn();
  }
  return onOwnLock(path, nonce, realNow, async () => fn());
}

/** Removes the lock only if it is still ours (same nonce). */
export function removeOwnLock(path: string, nonce: string, realNow: () => number, realLeaseEnd?: number): Promise<boolean> {
  // On the event loop, like createNode: lock directories are never fsynced.
  return onOwnLockFast(path, nonce, realNow, realLeaseEnd, () => {
    unlinkSync(path);
    return true;
  });
}

/** Rewrites our own lock (new expiry or fencing token), keeping the nonce, atomically. */
export function replaceOwnLock(path: string, record: LockRecord, realNow: () => number, realLeaseEnd?: number): Promise<boolean> {
  return onOwnLockFast(path, record.nonce, realNow, realLeaseEnd, () => {
    const tmp = tempPathFor(path);
    createNodeSync(tmp, encodeLockRecord(record));
    try {
      renameSync(tmp, path);
    } catch (error) {
      unlinkQuietly(tmp);
      throw error;
    }
    return true;
  });
}

export interface AcquireLockFileOptions {
  /** Lease length; judged on `now`. */
  ttlMs: number;
  /** Give up after this long (real time). */
  waitMs: number;
  pollMs: number;
  /** The lease clock (may be a fake clock). */
  now: () => number;
  /** Real time, for polling and ticket ages: other processes cannot see a fake clock. */
  realNow: () => number;
  /** Keep the process alive while waiting. Background callers pass false. */
  ref: boolean;
  signal?: AbortSignal;
}

function wait(ms: number, ref: boolean, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    if (!ref) timer.unref();
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Polls until the lock is ours. Resolves our record, or undefined after `waitMs`. */
export async function acquireLockFile(path: string, o: AcquireLockFileOptions): Promise<LockRecord | undefined> {
  const deadline = o.realNow() + o.waitMs;
  let immediateRetries = 0;
  const isStale = (s: LockState) =>
    s.kind === 'free' || (s.kind === 'held' ? holderIsGone(s.record, o.now()) : o.realNow() - s.mtimeMs > UNREADABLE_GRACE_MS);
  for (;;) {
    if (o.signal?.aborted) throw o.signal.reason;
    const record = newLockRecord(o.now() + o.ttlMs);
    if (await tryCreateLock(path, record)) return record;
    const state = await readLock(path);
    // Removed a stale lock: try again at once, even at the deadline (a few times, in case
    // other processes keep winning the race for it).
    if ((await breakStaleLock(path, state, isStale, o.realNow)) && immediateRetries++ < 5) continue;
    immediateRetries = 0;
    const left = deadline - o.realNow();
    if (left <= 0) return undefined;
    await wait(Math.min(o.pollMs, left), o.ref, o.signal);
  }
}
