#!/usr/bin/env node
// Root entry for `npm test`, `npm start`, `npm run bench`: brings in the pinned pnpm
// (corepack's signature check fails on registry mirrors without signatures), installs
// with the frozen lockfile, then hands over to turbo.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { packageManager } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const pnpmVersion = packageManager.split('@')[1];
const env = { ...process.env, TURBO_TELEMETRY_DISABLED: '1', DO_NOT_TRACK: '1' };

function run(cmd, args, options = {}) {
  const result = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env, ...options });
  if (result.error) throw result.error;
  return result.status ?? 1;
}

function pnpmCommand() {
  const probe = spawnSync('pnpm', ['--version'], { encoding: 'utf8', env });
  if (probe.status === 0 && probe.stdout.trim() === pnpmVersion) return ['pnpm', []];
  return ['npx', ['--yes', `pnpm@${pnpmVersion}`]];
}

const [pnpm, prefix] = pnpmCommand();
const pn = (...args) => run(pnpm, [...prefix, ...args]);

const tasks = {
  test: [['turbo', 'run', 'build', 'lint:package', 'test', '--concurrency=2']],
  build: [['turbo', 'run', 'build']],
  bench: [['turbo', 'run', 'bench', '--concurrency=1']],
  start: [['turbo', 'run', 'build'], ['--filter', 'tokens', 'run', 'start:sandbox']],
};

const task = process.argv[2];
if (!tasks[task]) {
  console.error(`usage: node scripts/run.mjs <${Object.keys(tasks).join('|')}>`);
  process.exit(2);
}

let status = pn('install', '--frozen-lockfile', '--config.confirmModulesPurge=false');
for (const step of tasks[task]) {
  if (status !== 0) break;
  status = pn(...step);
}
process.exit(status);
