// Bundles the Node side (Electron main and preload, browser host, CLI, tools) with esbuild.
// The renderer is built by Vite (vite.config.ts). Bundling keeps the packaged app free of
// node_modules lookups and makes the CLI start fast.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const schemaOnly = process.argv.includes('--schema-only');
// Tests build into a temporary folder with exactly the settings that ship (--outdir DIR).
const outdirFlag = process.argv.indexOf('--outdir');
const outdir = outdirFlag === -1 ? 'dist' : path.resolve(process.argv[outdirFlag + 1]);

const common = {
  absWorkingDir: root,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  logLevel: 'warning',
  // ws probes for these optional native speed-ups; bundling must not require them.
  external: ['electron', 'bufferutil', 'utf-8-validate'],
};

const entries = schemaOnly
  ? [['scripts/write-schema.ts', 'tools/write-schema.cjs']]
  : [
      ['electron/main.ts', 'electron/main.cjs'],
      ['electron/preload.ts', 'electron/preload.cjs'],
      ['electron/web.ts', 'electron/web.cjs'],
      ['electron/cli.ts', 'electron/cli.cjs'],
      ['scripts/write-schema.ts', 'tools/write-schema.cjs'],
    ];

await Promise.all(entries.map(([entry, outfile]) => build({ ...common, entryPoints: [entry], outfile: path.join(outdir, outfile) })));
