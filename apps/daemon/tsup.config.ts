import { cpSync, existsSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { defineConfig } from 'tsup';

// The daemon is an app: one ESM bundle of our own code; dependencies stay in node_modules.
// The dashboard's build is copied in, so `tokens start` serves it with no second server.
export default defineConfig({
  entry: { cli: 'src/cli.ts', index: 'src/index.ts' },
  format: ['esm'],
  target: 'node20',
  sourcemap: true,
  clean: true,
  splitting: true,
  dts: false,
  async onSuccess() {
    const from = resolve('../dashboard/dist');
    if (!existsSync(resolve(from, 'index.html'))) throw new Error('apps/dashboard/dist is missing: build @tokens/dashboard first (turbo does).');
    rmSync(resolve('dist/dashboard'), { recursive: true, force: true });
    cpSync(from, resolve('dist/dashboard'), { recursive: true });
  },
});
