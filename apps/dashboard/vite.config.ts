import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// Builds into ./dist; the daemon serves that folder (see README "Serving"). Everything the page
// needs is bundled: no CDN, no web fonts, no external requests.
export default defineConfig({
  plugins: [react()],
  base: '/',
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false, target: 'es2022', assetsInlineLimit: 0 },
  server: {
    // `pnpm dev` against a daemon on the default port: API, SSE and OAuth callbacks go through.
    proxy: Object.fromEntries(['/v1', '/auth', '/api', '/oauth', '/login/'].map((p) => [p, { target: 'http://127.0.0.1:7420', changeOrigin: false }])),
  },
});
