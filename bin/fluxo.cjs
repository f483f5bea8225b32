#!/usr/bin/env node
'use strict';
// The `fluxo` command. The CLI is bundled by `npm run build:node`; in a fresh checkout where that
// has not run yet, build it once here so `npx fluxo` works right after `npm install`.
const path = require('node:path');
const fs = require('node:fs');
const { spawnSync } = require('node:child_process');

const root = path.join(__dirname, '..');
const cli = path.join(root, 'dist', 'electron', 'cli.cjs');
if (!fs.existsSync(cli)) {
  const builder = path.join(root, 'scripts', 'build-node.mjs');
  const built = fs.existsSync(builder) && spawnSync(process.execPath, [builder], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  if (!built || built.status !== 0 || !fs.existsSync(cli)) {
    process.stderr.write('fluxo: the command-line tool is not built; run "npm install" then "npm run build:node" in the Fluxo folder.\n');
    process.exit(2);
  }
}
require(cli).main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    process.stderr.write(`fluxo: ${e && e.stack ? e.stack : e}\n`);
    process.exitCode = 1;
  },
);
