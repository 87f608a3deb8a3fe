import { randomBytes } from 'node:crypto';
import { closeSync, fstatSync, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import { fsyncFile, renameFile, syncDir, writeNewFile } from './durable';

/** Identity of a written file, so a watcher can recognise its own writes. */
export interface FileStamp {
  ino: number;
  size: number;
  mtimeMs: number;
}

// process.pid is a getpid() syscall on every read.
const PID = process.pid;
// Random per process, counted per call: randomBytes per name cost ~3 µs.
let prefix = randomBytes(8).toString('hex');
let seq = 0;

/** 24 hex digits, unique across processes (64 random bits) and calls (a counter). */
export function uniqueId(): string {
  if (seq > 0xffffffff) {
    prefix = randomBytes(8).toString('hex');
    seq = 0;
  }
  return prefix + (seq++).toString(16).padStart(8, '0');
}

/** A unique temp name next to `target`: same directory, so the rename is atomic. Ends in `.tmp`. */
export function tempPathFor(target: string): string {
  return `${target}.${PID}-${uniqueId()}.tmp`;
}

/**
 * Replaces `target` so readers see either the old or the new content, never a mix, even if
 * this process is killed at any instruction or the machine loses power after we return:
 * exclusive-create a temp file (0600) in the same directory, write, fsync, rename over the
 * target, fsync the directory (group-committed with concurrent writers, see durable.ts).
 * `beforeRename` learns the new file's identity before it can appear at `target`.
 */
export async function writeFileAtomic(target: string, data: string | Uint8Array, mode = 0o600, beforeRename?: (stamp: FileStamp) => void): Promise<FileStamp> {
  // fsync and rename run on the thread pool; the create too while our fsyncs run (durable.ts).
  const tmp = tempPathFor(target);
  const fd = await writeNewFile(tmp, data, mode);
  let stamp: FileStamp;
  try {
    await fsyncFile(fd);
    const st = fstatSync(fd);
    stamp = { ino: st.ino, size: st.size, mtimeMs: st.mtimeMs };
  } catch (error) {
    closeSync(fd);
    removeQuietly(tmp);
    throw error;
  }
  closeSync(fd);
  beforeRename?.(stamp);
  try {
    await renameFile(tmp, target);
  } catch (error) {
    removeQuietly(tmp);
    throw error;
  }
  await syncDir(dirname(target));
  return stamp;
}

function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}
