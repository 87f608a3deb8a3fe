import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // These tests run real daemons, Redis and Chromium with leases of a few seconds: one file
    // at a time, so they never starve each other of the machine's two cores.
    fileParallelism: false,
  },
});
