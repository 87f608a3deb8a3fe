import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (p: string) => fileURLToPath(new URL(`./src/${p}`, import.meta.url));

export default defineConfig({
  resolve: {
    // Lets README examples import the package by name while testing the source.
    alias: [
      { find: /^@tokens\/core\/testing$/, replacement: src('testing/index.ts') },
      { find: /^@tokens\/core$/, replacement: src('index.ts') },
    ],
  },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
  },
});
