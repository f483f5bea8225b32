import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// Builds the plain React Flow baseline page of the editor benchmark (bench/editor/plain).
export default defineConfig({
  root: fileURLToPath(new URL('./plain', import.meta.url)),
  base: './',
  plugins: [react()],
  logLevel: 'warn',
  build: { emptyOutDir: true, chunkSizeWarningLimit: 5000 },
});
