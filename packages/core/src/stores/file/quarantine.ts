import { readFile, rename, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fsyncDir } from './private-dir';

/** Quarantined files are named `<account>.json.corrupt-<epoch ms>`; `list()` never shows them. */
export const QUARANTINE_INFIX = '.corrupt-';

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}

/**
 * Moves an unreadable record aside, never deleting or overwriting it. Call it holding the
 * account's write mutex: it re-reads the file first and moves it only if it still has the
 * bytes the caller judged corrupt — a writer may have replaced it with a good record since.
 * Resolves the new path, or undefined when the file changed or vanished (read it again).
 */
export async function quarantineFile(path: string, judgedBytes: Buffer, now: number): Promise<string | undefined> {
  let current: Buffer;
  try {
    current = await readFile(path);
  } catch {
    return undefined;
  }
  if (!current.equals(judgedBytes)) return undefined;
  let target = `${path}${QUARANTINE_INFIX}${now}`;
  // Two quarantines in the same millisecond (or a fake clock) must not overwrite each other.
  for (let i = 1; await exists(target); i++) target = `${path}${QUARANTINE_INFIX}${now}-${i}`;
  await rename(path, target);
  await fsyncDir(dirname(path));
  return target;
}
