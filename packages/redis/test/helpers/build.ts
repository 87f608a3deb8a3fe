// The HA test's child processes import the BUILT packages, like users do.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const fixture = (name: string) => join(root, 'test', 'fixtures', name);

const newest = (dir: string): number =>
  readdirSync(dir, { withFileTypes: true }).reduce((m, e) => Math.max(m, e.isDirectory() ? newest(join(dir, e.name)) : statSync(join(dir, e.name)).mtimeMs), 0);

/** Builds this package once when dist is missing or older than src; fails clearly when core is not built. */
export function ensureBuilt(): void {
  const core = join(root, 'node_modules', '@tokens', 'core', 'dist', 'index.js');
  if (!existsSync(core)) throw new Error(`${core} is missing: run \`pnpm --filter @tokens/core build\` first.`);
  const dist = join(root, 'dist', 'index.js');
  if (existsSync(dist) && statSync(dist).mtimeMs >= newest(join(root, 'src'))) return;
  execFileSync(join(root, 'node_modules', '.bin', 'tsup'), [], { cwd: root, stdio: 'pipe' });
}
