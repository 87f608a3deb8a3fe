import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (p: string) => fileURLToPath(new URL(`./src/${p}`, import.meta.url));

export default defineConfig({
  resolve: {
    // Lets the README example import the package by name while testing the source.
    alias: [
      { find: /^@tokens\/schwab\/fake$/, replacement: src('fake/index.ts') },
      { find: /^@tokens\/schwab$/, replacement: src('index.ts') },
    ],
  },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
  },
});
