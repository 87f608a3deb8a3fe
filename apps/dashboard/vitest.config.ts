import { defineConfig } from 'vitest/config';

// Unit tests of the pure logic only. The browser tests drive a real daemon and live with it:
// apps/daemon/test/dashboard.e2e.test.ts.
export default defineConfig({
  test: { include: ['test/**/*.test.ts'], environment: 'node' },
});
