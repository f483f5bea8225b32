// Bundles the Node side (Electron main and preload, browser host, CLI, tools) with esbuild.
// The renderer is built by Vite (vite.config.ts). Bundling keeps the packaged app free of
// node_modules lookups and makes the CLI start fast.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';

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
  // ssh2 (and its cpu-features) try to require() native addons and fall back to pure JS when
  // they fail to load. "copy" puts each .node file beside the bundle and keeps a real require()
  // of it, so the CLI gets the native crypto (~35% faster SFTP) from any output folder; an
  // Electron build whose addons were compiled for Node gets the fallback.
  loader: { '.node': 'copy' },
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

// Every file is written beside its place and renamed over it: a fluxo process started from an
// earlier build keeps reading its own (the native addons are mapped into memory; rewriting one in
// place crashes the processes using it), and tests building concurrently never see half a file.
const results = await Promise.all(entries.map(([entry, outfile]) => build({ ...common, entryPoints: [entry], outfile: path.join(outdir, outfile), write: false })));
for (const file of results.flatMap((r) => r.outputFiles)) {
  mkdirSync(path.dirname(file.path), { recursive: true });
  const tmp = `${file.path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  writeFileSync(tmp, file.contents);
  renameSync(tmp, file.path);
}
