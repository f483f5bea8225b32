import { defineConfig } from 'vitest/config';
import react from '@vitejs/plugin-react';

// Node is the default environment; renderer tests get a DOM (jsdom). vitest 4 has no
// environmentMatchGlobs, so the two environments are two projects.
const shared = ['shared/**/*.test.ts', 'electron/**/*.test.ts', 'test/**/*.test.ts'];

export default defineConfig({
  plugins: [react()],
  test: {
    projects: [
      {
        extends: true,
        // Integration tests start the CLI and real Python steps: seconds each, more on a busy machine.
        test: { name: 'node', include: shared, exclude: ['test/e2e/**', 'node_modules/**', 'dist/**'], environment: 'node', testTimeout: 60_000 },
      },
      {
        extends: true,
        test: { name: 'renderer', include: ['renderer/**/*.test.{ts,tsx}'], environment: 'jsdom', setupFiles: ['renderer/testing/setup.ts'] },
      },
    ],
  },
});
