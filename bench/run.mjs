// Runs a benchmark written in TypeScript: bundles it with esbuild (as the app's own build does)
// into a temporary folder, then runs it with Node. Usage: node bench/run.mjs [bench/NAME.bench.ts]
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const entry = path.resolve(root, process.argv[2] ?? 'bench/compile.bench.ts');
// Inside the project (node_modules/.cache) so the few packages left out of the bundle (the
// browser driver of the editor benchmark) resolve from node_modules.
const cache = path.join(root, 'node_modules', '.cache');
mkdirSync(cache, { recursive: true });
const out = mkdtempSync(path.join(cache, 'fluxo-bench-'));
try {
  const outfile = path.join(out, 'bench.mjs');
  await build({
    absWorkingDir: root,
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    logLevel: 'warning',
    // ssh2's optional native addons: copied beside the bundle and required from there (see
    // scripts/build-node.mjs); a missing one makes ssh2 fall back to pure JS, never fail.
    loader: { '.node': 'copy' },
    // Playwright drives a browser from its own package files: it is never bundled.
    external: ['@playwright/test', 'playwright', 'playwright-core'],
    // CommonJS dependencies (yaml, ssh2) call require() and read __dirname; an ES module bundle
    // has to provide them.
    banner: {
      js:
        "import { createRequire as __fluxoCreateRequire } from 'node:module'; import { fileURLToPath as __fluxoFileURLToPath } from 'node:url'; " +
        'const require = __fluxoCreateRequire(import.meta.url); const __filename = __fluxoFileURLToPath(import.meta.url); const __dirname = __fluxoFileURLToPath(new URL(".", import.meta.url));',
    },
  });
  const r = spawnSync(process.execPath, [outfile], { stdio: 'inherit', env: { ...process.env, FLUXO_REPO: root } });
  process.exitCode = r.status ?? 1;
} finally {
  rmSync(out, { recursive: true, force: true });
}
