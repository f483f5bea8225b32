#!/usr/bin/env node
'use strict';
// The `fluxo` command. The CLI itself is bundled by `npm run build:node` (run by `npm install`).
const path = require('node:path');
const fs = require('node:fs');
const cli = path.join(__dirname, '..', 'dist', 'electron', 'cli.cjs');
if (!fs.existsSync(cli)) {
  process.stderr.write('fluxo: the command-line tool is not built yet; run "npm run build:node" in the Fluxo folder.\n');
  process.exit(2);
}
require(cli).main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (e) => { process.stderr.write(`fluxo: ${e && e.stack ? e.stack : e}\n`); process.exitCode = 1; },
);
