import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import type { ProxyOptions } from 'vite';
import react from '@vitejs/plugin-react';

/**
 * Development against a running browser host: start `node dist/electron/web.cjs`, then
 * `FLUXO_DEV_HOST=http://127.0.0.1:PORT npx vite` and open the dev server with the host's
 * `?token=...`. The WebSocket is proxied with the host's own Origin, which the host requires.
 */
function devProxy(): Record<string, ProxyOptions> | undefined {
  const target = process.env.FLUXO_DEV_HOST;
  if (!target) return undefined;
  return {
    // Only the socket itself: renderer modules such as /api/client.ts share the prefix.
    '^/api(\\?|$)': {
      target,
      ws: true,
      changeOrigin: true,
      rewriteWsOrigin: true,
    },
  };
}

// The renderer is served from app://fluxo/ in Electron and from the browser host's own origin,
// so every URL in the built page is relative (base './').
export default defineConfig({
  root: fileURLToPath(new URL('./renderer', import.meta.url)),
  base: './',
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL('./dist/renderer', import.meta.url)),
    emptyOutDir: true,
    sourcemap: true,
    // Strict CSP (script-src 'self'): no inlined module-preload polyfill.
    modulePreload: { polyfill: false },
    // Loaded from disk or loopback, never over a network: one bundle is fine.
    chunkSizeWarningLimit: 1500,
  },
  server: {
    host: '127.0.0.1',
    strictPort: false,
    proxy: devProxy(),
    // The renderer imports shared/ (and tests resources/) from outside its root.
    fs: { allow: [fileURLToPath(new URL('.', import.meta.url))] },
  },
});
