import { chmodSync, lstatSync, mkdirSync, readdirSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidConfigError } from '../../errors';
import { syncDir } from './durable';

const POSIX = process.platform !== 'win32';

/**
 * Makes sure `dir` exists and only its owner can enter it (0700).
 *
 * Policy for an existing directory with looser bits: if this user owns it and it is not a
 * shared directory (world-writable or sticky, like /tmp), tighten it to 0700 — a freshly
 * `mkdir`-ed 0755 directory is the common case and refusing it would only annoy. Otherwise
 * refuse with an InvalidConfigError that says what to do: never chmod somebody else's or a
 * shared directory.
 */
export function ensurePrivateDir(dir: string, what = 'store directory'): void {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw new InvalidConfigError({
      issues: [{ path: 'dir', message: `cannot create ${what} ${dir} (${(error as NodeJS.ErrnoException).code ?? 'error'}).` }],
      cause: error,
    });
  }
  const st = statSync(dir);
  if (!st.isDirectory()) throw new InvalidConfigError({ issues: [{ path: 'dir', message: `${what} ${dir} exists and is not a directory.` }] });
  if (!POSIX || (st.mode & 0o077) === 0) return;
  const mode = (st.mode & 0o7777).toString(8).padStart(4, '0');
  const shared = (st.mode & 0o002) !== 0 || (st.mode & 0o1000) !== 0;
  const mine = typeof process.getuid !== 'function' || st.uid === process.getuid();
  if (shared || !mine) {
    throw new InvalidConfigError({
      issues: [
        {
          path: 'dir',
          message: `${what} ${dir} has mode ${mode}${shared ? ' and is shared' : ' and belongs to another user'}; tokens need a private directory. Use a dedicated subdirectory, or run: chmod 700 ${dir}`,
        },
      ],
    });
  }
  chmodSync(dir, 0o700);
}

/** Makes a rename or unlink inside `dir` durable (group-committed, see durable.ts). */
export function fsyncDir(dir: string): Promise<void> {
  return syncDir(dir);
}

/**
 * Removes leftovers older than `maxAgeMs` of processes killed mid-operation: temp files
 * (`*.tmp`) and lock takeover tickets (`*.takeover-*`, stale after 30 s anyway).
 */
export function sweepTempFiles(dir: string, now: number, maxAgeMs = 60_000): number {
  let removed = 0;
  let names: string[] = [];
  try {
    names = readdirSync(dir);
  } catch {
    return 0;
  }
  for (const name of names) {
    if (!name.endsWith('.tmp') && !name.includes('.takeover-')) continue;
    const p = join(dir, name);
    try {
      // lstat: lock temp files and tickets are symlinks (lockfile.ts), whose target is no path.
      const st = lstatSync(p);
      if (now - st.mtimeMs > maxAgeMs) {
        unlinkSync(p);
        removed++;
      }
    } catch {
      // Gone already, or not ours to remove.
    }
  }
  return removed;
}
