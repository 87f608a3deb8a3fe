import { closeSync, openSync, writeSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import { StoreCorruptionError } from '../../errors';
import { writeFileAtomic } from './atomic-write';
import { fdatasyncFile, readAll } from './durable';

/*
 * The fencing counter `<accountId>.fence` of the file lock: two slots, each a whole 4 KiB
 * block holding one checksummed line
 *
 *   tokens.fence/v2 <accountId> <ceiling> <check>   (padded with spaces to the block end)
 *
 * The value is the larger valid slot: a CEILING, no token handed out so far is above it.
 * Tokens are handed out from reservations (hi/lo): a holder that finds the ceiling it wrote
 * itself still in the file knows nobody else handed out a token since (anyone else would
 * have written a higher ceiling first), and continues from its reservation in memory, with
 * no write. Otherwise it reserves the next RESERVE tokens: writes ceiling + RESERVE over the
 * SMALLER slot in place and fdatasyncs it, before the first token of it is handed out. So one
 * process that keeps the lease of an account makes one durable write per RESERVE leases,
 * instead of one per lease (it was one of the two disk flushes of every refresh).
 *
 * Tokens stay strictly increasing across every process on the host, restarts and crashes: a
 * crashed holder's unused reservation is skipped, never reused. The other slot (the current
 * ceiling) lives in another block and is never written meanwhile, so a write torn by a crash
 * or power loss loses at most the new ceiling, of which nobody received a token yet.
 * Compared with temp file + rename: no inode allocated or freed, no rename, no directory
 * fsync.
 *
 * Files written by earlier versions (one JSON object, or slots holding the last token) are
 * read the same way, and the JSON one is replaced atomically by this layout on the next
 * write. Earlier versions reading this layout hand out ceiling + 1, which is still above
 * every token handed out.
 */

/** Tokens reserved per durable write. */
const RESERVE = 1000;

const SLOT = 4096;
/** Longest possible line: magic, a 128-character account id, 16 digits, 8 hex digits. */
const LINE_MAX = 256;
const MAGIC = 'tokens.fence/v2';
const LINE = /^tokens\.fence\/v2 (\S+) (\d{1,16}) ([0-9a-f]{8}) *$/;

// Detects a torn slot. Even a torn slot that passed would only be taken if LARGER than the
// intact one, which keeps tokens increasing.
const check = (accountId: string, token: number) => crc32(`${MAGIC} ${accountId} ${token}`).toString(16).padStart(8, '0');

function slotBytes(accountId: string, token: number): Buffer {
  const line = `${MAGIC} ${accountId} ${token} ${check(accountId, token)}`;
  const buf = Buffer.alloc(SLOT, 0x20);
  buf.write(line, 0, 'utf8');
  buf[SLOT - 1] = 0x0a;
  return buf;
}

function parseSlot(buf: Buffer, offset: number, accountId: string): number | undefined {
  if (buf.length < offset + LINE_MAX) return undefined;
  const m = LINE.exec(buf.toString('latin1', offset, offset + LINE_MAX));
  if (!m || m[1] !== accountId) return undefined;
  const value = Number(m[2]);
  return Number.isSafeInteger(value) && m[3] === check(accountId, value) ? value : undefined;
}

type Parsed = { kind: 'v2'; slots: [number | undefined, number | undefined]; value: number } | { kind: 'v1'; value: number };

function corrupt(path: string, accountId: string): StoreCorruptionError {
  // Guessing a value could hand out a token twice; a human must look.
  return new StoreCorruptionError({
    accountId,
    message: `Fencing counter ${path} is unreadable. Restore it, or delete it only if no store has accepted tokens for account "${accountId}" (stores refuse lower tokens).`,
  });
}

function parse(buf: Buffer, path: string, accountId: string): Parsed {
  if (buf[0] === 0x7b /* { */) {
    let value: unknown;
    try {
      value = (JSON.parse(buf.toString('utf8')) as { fencingToken?: unknown }).fencingToken;
    } catch {
      value = undefined;
    }
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw corrupt(path, accountId);
    return { kind: 'v1', value };
  }
  const slots: [number | undefined, number | undefined] = [parseSlot(buf, 0, accountId), parseSlot(buf, SLOT, accountId)];
  const valid = slots.filter((v): v is number => v !== undefined);
  if (valid.length === 0) throw corrupt(path, accountId);
  return { kind: 'v2', slots, value: Math.max(...valid) };
}

/** The ceiling of the tokens handed out for the account (0 when none). Throws StoreCorruptionError when unreadable. */
export function readFence(path: string, accountId: string): number {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw error;
  }
  try {
    return parse(readAll(fd), path, accountId).value;
  } finally {
    closeSync(fd);
  }
}

interface Reservation {
  /** The ceiling this process wrote. */
  ceiling: number;
  /** The next token to hand out; at most `ceiling`. */
  next: number;
}

/** Reservations of this process, by fence file path (every lock instance shares them). */
const reservations = new Map<string, Reservation>();

/** Our reservation, when it has tokens left and (given the file's ceiling) nobody reserved since. */
function usableReservation(path: string, fileCeiling?: number): Reservation | undefined {
  const mine = reservations.get(path);
  if (!mine || mine.next > mine.ceiling) return undefined;
  return fileCeiling === undefined || fileCeiling === mine.ceiling ? mine : undefined;
}

/**
 * Takes the next token, durable when it resolves. The caller must hold the lock: it is the
 * only writer.
 */
export async function advanceFence(path: string, accountId: string): Promise<number> {
  let fd: number;
  try {
    fd = openSync(path, 'r+');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    reservations.delete(path);
    await writeFileAtomic(path, Buffer.concat([slotBytes(accountId, RESERVE), slotBytes(accountId, RESERVE)]));
    reservations.set(path, { ceiling: RESERVE, next: 2 });
    return 1;
  }
  let parsed: Parsed;
  try {
    parsed = parse(readAll(fd), path, accountId);
  } catch (error) {
    closeSync(fd);
    throw error;
  }
  const mine = parsed.kind === 'v2' ? usableReservation(path, parsed.value) : undefined;
  if (mine) {
    closeSync(fd);
    return mine.next++;
  }
  // Nothing reserved, used up, or someone else reserved since: the next RESERVE tokens.
  reservations.delete(path);
  const first = parsed.value + 1;
  const ceiling = parsed.value + RESERVE;
  if (parsed.kind === 'v1') {
    closeSync(fd);
    await writeFileAtomic(path, Buffer.concat([slotBytes(accountId, ceiling), slotBytes(accountId, ceiling)]));
  } else {
    try {
      const [a, b] = parsed.slots;
      // Overwrite the older (or unreadable) slot; the current ceiling stays intact in the other.
      const slot = a === undefined || (b !== undefined && a <= b) ? 0 : 1;
      const bytes = slotBytes(accountId, ceiling);
      for (let off = 0; off < SLOT; ) off += writeSync(fd, bytes, off, SLOT - off, slot * SLOT + off);
      await fdatasyncFile(fd);
    } finally {
      closeSync(fd);
    }
  }
  reservations.set(path, { ceiling, next: first + 1 });
  return first;
}

/** The token this process would hand out next if nobody else took the lock meanwhile (no file read). */
export function reservedNext(path: string): number | undefined {
  return usableReservation(path)?.next;
}

/** The token `advanceFence` would hand out now. Throws like `readFence`. */
export function peekFence(path: string, accountId: string): number {
  const value = readFence(path, accountId);
  return usableReservation(path, value)?.next ?? value + 1;
}
