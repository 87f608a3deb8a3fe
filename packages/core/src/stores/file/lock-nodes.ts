import { closeSync, fstatSync, lstatSync, openSync, readlinkSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tempPathFor } from './atomic-write';
import { linkFile, readAll, unlinkFile, writeNewFile } from './durable';

/*
 * The files behind lock files and removal tickets (lockfile.ts): "nodes" that appear with
 * their whole content at once and are read in one go.
 *
 * A node is a symbolic link whose target is the content (JSON, never a path to follow).
 * symlink(2) fails with EEXIST like O_EXCL and creates the name with its content in one
 * syscall; readlink(2) reads it in one. Taking a lock is one syscall and releasing it two,
 * where a regular file took five and four; a refresh takes two locks, and on a busy host every
 * journaled call waits its turn. Where symlinks are not available (Windows, FAT or some
 * network filesystems) the content goes to a temp file that is hard-linked into place.
 * Regular-file nodes, also those left by earlier versions, are read everywhere.
 */

const SYMLINKS = process.platform !== 'win32';
/** symlink(2) or link(2) errors that mean "not on this filesystem": fall back to something simpler. */
const UNSUPPORTED = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS']);

export const codeOf = (error: unknown): string => (error as NodeJS.ErrnoException).code ?? '';

export interface LockNode {
  text: string;
  symlink: boolean;
  /** Inode and mtime, for judging content that does not parse. Throws ENOENT when gone. */
  identity(): { ino: number; mtimeMs: number };
}

/** Reads a node; undefined when there is none. */
export function readLockNode(path: string): LockNode | undefined {
  try {
    const text = readlinkSync(path, 'utf8');
    // Replaced between the two calls: the newer node's identity. Callers re-check identity
    // under a removal ticket, and a newer mtime only makes an age test more careful.
    return { text, symlink: true, identity: () => lstatSync(path) };
  } catch (error) {
    if (codeOf(error) === 'ENOENT') return undefined;
    // EINVAL: a regular file.
  }
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    if (codeOf(error) === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const text = readAll(fd).toString('utf8');
    // From the same open file: the identity of exactly this content.
    const { ino, mtimeMs } = fstatSync(fd);
    return { text, symlink: false, identity: () => ({ ino, mtimeMs }) };
  } finally {
    closeSync(fd);
  }
}

/**
 * Creates `path` holding `text` unless it exists (false on EEXIST), whole or not at all.
 *
 * Lock files live in directories nobody fsyncs (a store's `locks/`), so symlink(2) there does
 * not queue behind a directory fsync and takes a few microseconds: it runs on the event loop,
 * where a thread-pool round trip cost more than the call (waking a pool thread, measured at
 * ~25 µs on a 2-vCPU VM).
 */
export async function createNode(path: string, text: string): Promise<boolean> {
  if (SYMLINKS) {
    try {
      symlinkSync(text, path);
      return true;
    } catch (error) {
      if (codeOf(error) === 'EEXIST') return false;
      if (!UNSUPPORTED.has(codeOf(error))) throw error;
    }
  }
  return createFileNode(path, text);
}

/** createNode for a fresh temp name, synchronously; throws EEXIST. */
export function createNodeSync(path: string, text: string): void {
  if (SYMLINKS) {
    try {
      return symlinkSync(text, path);
    } catch (error) {
      if (!UNSUPPORTED.has(codeOf(error))) throw error;
    }
  }
  writeFileSync(path, text, { mode: 0o600, flag: 'wx' });
}

/**
 * createNode without symlinks: written to a temp file and hard-linked into place, so the file
 * never exists half-written — a process killed at any point leaves either nothing or a
 * complete file (plus perhaps a swept `.tmp`).
 */
async function createFileNode(path: string, text: string): Promise<boolean> {
  const tmp = tempPathFor(path);
  closeSync(await writeNewFile(tmp, text));
  try {
    await linkFile(tmp, path);
    return true;
  } catch (error) {
    const code = codeOf(error);
    if (code === 'EEXIST') return false;
    if (!UNSUPPORTED.has(code)) throw error;
    // Filesystem without hard links: plain O_EXCL create (a reader may briefly see it empty).
    try {
      writeFileSync(path, text, { mode: 0o600, flag: 'wx' });
      return true;
    } catch (e) {
      if (codeOf(e) === 'EEXIST') return false;
      throw e;
    }
  } finally {
    await unlinkFile(tmp).catch(() => undefined); // already gone
  }
}

export function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}
