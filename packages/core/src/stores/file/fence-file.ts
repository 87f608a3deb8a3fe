import { closeSync, openSync, readdirSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { LockTimeoutError, StoreCorruptionError } from '../../errors';
import { writeFileAtomic } from './atomic-write';
import { fdatasyncFile, readAll, readSmallFile } from './durable';
import { acquireLockFile, removeOwnLock } from './lockfile';

/*
 * The fencing counter of a file-lock directory: ONE file, `fencing-counter`, for every account
 * (no account's files can have that name: they all end in `.lock`, `.fence` or a ticket
 * suffix). Two slots, each a whole 4 KiB block holding one checksummed line
 *
 *   tokens.fence/v2 * <ceiling> <check>   (padded with spaces to the block end)
 *
 * The value is the larger valid slot: a CEILING, no token handed out so far is above it.
 * Tokens are handed out from reservations (hi/lo): a holder that finds the ceiling it wrote
 * itself still in the file knows nobody else reserved since, so every token anybody handed
 * out for this account is below its next one, and it continues in memory, with no write.
 * Otherwise it reserves the next RESERVE tokens under the short `fencing-counter.mutex` lock:
 * writes ceiling + RESERVE over the SMALLER slot in place and fdatasyncs it before the first
 * token of it is handed out. The caller holds the account's lock throughout, so nobody hands
 * out a token for that account in between.
 *
 * One counter for all accounts, where earlier versions kept `<accountId>.fence` per account:
 * the first lease of an account used to create its own file (an fsync'd atomic write, and a
 * directory fsync that every other lock file in the directory waited behind); now one process
 * makes one durable write per RESERVE leases over all its accounts. Per-account counters left
 * by earlier versions are read once, when the shared counter is created, and it starts above
 * all of them. Processes of earlier versions must not share the directory with this one.
 *
 * Tokens stay strictly increasing per account across every process on the host, restarts and
 * crashes: a crashed holder's unused reservation is skipped, never reused, and a write torn by
 * a crash or power loss loses at most the new ceiling, of which nobody received a token yet
 * (the other slot, in another block, is never written meanwhile).
 */

/** Tokens reserved per durable write. */
const RESERVE = 1000;

const COUNTER_NAME = 'fencing-counter';
const SCOPE = '*';
const SLOT = 4096;
/** Longest possible line: magic, a 128-character account id, 16 digits, 8 hex digits. */
const LINE_MAX = 256;
const MAGIC = 'tokens.fence/v2';
const LINE = /^tokens\.fence\/v2 (\S+) (\d{1,16}) ([0-9a-f]{8}) *$/;
// The reservation mutex guards a read, a 4 KiB write and one fdatasync.
const MUTEX_TTL_MS = 10_000;
const MUTEX_WAIT_MS = 10_000;

// Detects a torn slot. Even a torn slot that passed would only be taken if LARGER than the
// intact one, which keeps tokens increasing.
const check = (scope: string, token: number) => crc32(`${MAGIC} ${scope} ${token}`).toString(16).padStart(8, '0');

function slotBytes(token: number): Buffer {
  const line = `${MAGIC} ${SCOPE} ${token} ${check(SCOPE, token)}`;
  const buf = Buffer.alloc(SLOT, 0x20);
  buf.write(line, 0, 'utf8');
  buf[SLOT - 1] = 0x0a;
  return buf;
}

function parseSlot(buf: Buffer, offset: number, scope: string): number | undefined {
  if (buf.length < offset + LINE_MAX) return undefined;
  const m = LINE.exec(buf.toString('latin1', offset, offset + LINE_MAX));
  if (!m || m[1] !== scope) return undefined;
  const value = Number(m[2]);
  return Number.isSafeInteger(value) && m[3] === check(scope, value) ? value : undefined;
}

type Slots = [number | undefined, number | undefined];

function corrupt(path: string, accountId: string): StoreCorruptionError {
  // Guessing a value could hand out a token twice; a human must look.
  return new StoreCorruptionError({
    accountId,
    message: `Fencing counter ${path} is unreadable. Restore it from a backup; deleted, it starts again from the per-account counters of earlier versions or 0, and stores refuse tokens below the ones they accepted.`,
  });
}

/** Both slots and the ceiling; throws StoreCorruptionError when neither slot is valid. */
function parseSlots(buf: Buffer, path: string, scope: string, accountId: string): { slots: Slots; value: number } {
  const slots: Slots = [parseSlot(buf, 0, scope), parseSlot(buf, SLOT, scope)];
  const valid = slots.filter((v): v is number => v !== undefined);
  if (valid.length === 0) throw corrupt(path, accountId);
  return { slots, value: Math.max(...valid) };
}

/** A per-account counter of an earlier version: one JSON object, or v2 slots naming the account. */
function parseLegacy(buf: Buffer, path: string, accountId: string): number {
  if (buf[0] !== 0x7b /* { */) return parseSlots(buf, path, accountId, accountId).value;
  let value: unknown;
  try {
    value = (JSON.parse(buf.toString('utf8')) as { fencingToken?: unknown }).fencingToken;
  } catch {
    value = undefined;
  }
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw corrupt(path, accountId);
  return value;
}

/** The file's bytes, or undefined when it does not exist. */
function readIfExists(path: string): Buffer | undefined {
  try {
    return readSmallFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** The highest per-account counter earlier versions left in `dir` (0 when none). */
function legacyCeiling(dir: string): number {
  let max = 0;
  for (const name of readdirSync(dir)) {
    if (!name.endsWith('.fence')) continue;
    const path = join(dir, name);
    const bytes = readIfExists(path);
    if (bytes) max = Math.max(max, parseLegacy(bytes, path, name.slice(0, -'.fence'.length)));
  }
  return max;
}

interface Reservation {
  /** The ceiling this process wrote. */
  ceiling: number;
  /** The next token to hand out; at most `ceiling`. */
  next: number;
}

/** Reservations of this process, by counter path (every lock instance on a directory shares one). */
const reservations = new Map<string, Reservation>();
/** Reservations being made now, so concurrent leases of one process wait for one write. */
const reserving = new Map<string, Promise<void>>();

/** Writes a new ceiling RESERVE above the current one; the caller holds the reservation mutex. */
async function reserve(dir: string, path: string, accountId: string): Promise<void> {
  let fd: number;
  try {
    fd = openSync(path, 'r+');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    const ceiling = legacyCeiling(dir) + RESERVE;
    await writeFileAtomic(path, Buffer.concat([slotBytes(ceiling), slotBytes(ceiling)]));
    reservations.set(path, { ceiling, next: ceiling - RESERVE + 1 });
    return;
  }
  try {
    const { slots, value } = parseSlots(readAll(fd), path, SCOPE, accountId);
    const ceiling = value + RESERVE;
    const [a, b] = slots;
    // Overwrite the older (or unreadable) slot; the current ceiling stays intact in the other.
    const slot = a === undefined || (b !== undefined && a <= b) ? 0 : 1;
    const out = slotBytes(ceiling);
    for (let off = 0; off < SLOT; ) off += writeSync(fd, out, off, SLOT - off, slot * SLOT + off);
    await fdatasyncFile(fd);
    reservations.set(path, { ceiling, next: value + 1 });
  } finally {
    closeSync(fd);
  }
}

async function reserveUnderMutex(dir: string, path: string, accountId: string, realNow: () => number): Promise<void> {
  const mutexPath = `${path}.mutex`;
  const held = await acquireLockFile(mutexPath, { ttlMs: MUTEX_TTL_MS, waitMs: MUTEX_WAIT_MS, pollMs: 2, now: realNow, realNow, ref: true });
  if (!held) throw new LockTimeoutError({ accountId, waitedMs: MUTEX_WAIT_MS });
  try {
    await reserve(dir, path, accountId);
  } finally {
    await removeOwnLock(mutexPath, held.nonce, realNow, held.expiresAt).catch(() => {});
  }
}

/**
 * Takes the next fencing token for an account, durable when it resolves. The caller must hold
 * that account's lock in `dir`.
 */
export async function advanceFence(dir: string, accountId: string, realNow: () => number): Promise<number> {
  const path = join(dir, COUNTER_NAME);
  // More than one round only when other processes reserve in between ours, every time.
  for (let round = 0; round < 50; round++) {
    const mine = reservations.get(path);
    if (mine && mine.next <= mine.ceiling) {
      const bytes = readIfExists(path);
      // Our ceiling is still the file's: nobody reserved since, and every token handed out
      // for this account so far is below mine.next.
      if (bytes && parseSlots(bytes, path, SCOPE, accountId).value === mine.ceiling) return mine.next++;
    }
    let running = reserving.get(path);
    if (!running) {
      reservations.delete(path);
      running = reserveUnderMutex(dir, path, accountId, realNow).finally(() => reserving.delete(path));
      reserving.set(path, running);
    }
    await running;
  }
  throw new LockTimeoutError({ accountId, waitedMs: 50 * MUTEX_WAIT_MS });
}
