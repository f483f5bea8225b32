// `npm start` (after `npm run build`): the Electron app when its binary is installed, otherwise the
// browser host, which serves the same app to the default browser (docs/adr/0001-browser-host.md).
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));

/**
 * The Electron executable, or null when it is not installed. This reads what the `electron`
 * package's index.js reads (path.txt, ELECTRON_OVERRIDE_DIST_PATH) instead of require('electron'):
 * requiring it tries to download the binary when missing, and that must never happen here.
 */
export function findElectron(env = process.env, fromDir = root) {
  let pkgDir;
  try {
    pkgDir = path.dirname(createRequire(path.join(fromDir, 'package.json')).resolve('electron/package.json'));
  } catch {
    return null;
  }
  const pathFile = path.join(pkgDir, 'path.txt');
  const relative = existsSync(pathFile) ? readFileSync(pathFile, 'utf8').trim() : null;
  let binary = null;
  if (env.ELECTRON_OVERRIDE_DIST_PATH) binary = path.join(env.ELECTRON_OVERRIDE_DIST_PATH, relative || 'electron');
  else if (relative) binary = path.join(pkgDir, 'dist', relative);
  return binary && existsSync(binary) ? binary : null;
}

/** Runs a child with our stdio and relays SIGINT/SIGTERM/SIGHUP to it once; resolves with its exit code. */
function run(command, args, env) {
  return new Promise((resolve) => {
    // Its own process group on POSIX, so a Ctrl+C reaches the child once (forwarded by us), not
    // twice (a second SIGINT means "stop now, skip the clean shutdown" to the browser host).
    const child = spawn(command, args, { cwd: root, env, stdio: 'inherit', detached: process.platform !== 'win32' });
    const forward = (signal) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    };
    const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'];
    for (const s of signals) process.on(s, forward);
    child.on('error', (e) => {
      process.stderr.write(`fluxo: could not start ${command}: ${e.message}\n`);
      resolve(1);
    });
    child.on('exit', (code, signal) => {
      for (const s of signals) process.off(s, forward);
      resolve(code ?? (signal ? 128 + (os.constants.signals[signal] ?? 0) : 1));
    });
  });
}

export async function main() {
  const electron = findElectron();
  if (electron) {
    const env = { ...process.env };
    // Set by some tools; it would make Electron behave as plain Node.
    delete env.ELECTRON_RUN_AS_NODE;
    return run(electron, ['.'], env);
  }
  // stderr: stdout stays the browser host's single "Fluxo is running at ..." line.
  process.stderr.write(
    'The Electron binary is not installed (a locked-down machine or a blocked download), so Fluxo starts in your web browser instead.\n',
  );
  return run(process.execPath, [path.join(root, 'dist', 'electron', 'web.cjs'), '--open'], process.env);
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  process.exitCode = await main();
}
