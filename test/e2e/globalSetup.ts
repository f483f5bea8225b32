import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FullConfig } from '@playwright/test';

const READY = /Fluxo is running at (http:\/\/127\.0\.0\.1:\d+\/\S*)/;
const START_TIMEOUT_MS = 60_000;

/** Where the running host is described for tests (also exported as FLUXO_E2E_URL / FLUXO_E2E_HOME). */
export const HOST_FILE = path.join('test-results', 'e2e-host.json');

/**
 * Starts the browser host once for the whole run: the built renderer and the real backend, with a
 * fresh FLUXO_HOME so every run starts from an empty pipelines/ and runs/ folder. Returns the
 * teardown that stops it.
 */
export default async function globalSetup(config: FullConfig): Promise<() => Promise<void>> {
  const root = config.configFile ? path.dirname(config.configFile) : process.cwd();
  const web = path.join(root, 'dist', 'electron', 'web.cjs');
  if (!existsSync(web)) throw new Error(`${web} is missing: run "node scripts/build-node.mjs" (and "npx vite build") first`);
  if (!existsSync(path.join(root, 'dist', 'renderer', 'index.html'))) throw new Error('dist/renderer is missing: run "npx vite build" first');

  const home = mkdtempSync(path.join(os.tmpdir(), 'fluxo-e2e-'));
  const env: NodeJS.ProcessEnv = { ...process.env, FLUXO_HOME: home };
  delete env.FLUXO_PORT;
  // Cluster logins never read or write the user's own ~/.ssh: a fixture config, and known_hosts in the temp home.
  env.FLUXO_SSH_CONFIG ??= path.join(root, 'test', 'e2e', 'data', 'ssh_config');
  env.FLUXO_KNOWN_HOSTS ??= path.join(home, 'known_hosts');
  // FLUXO_PYTHON passes through from the caller's environment when set.

  const child = spawn(process.execPath, [web], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
    if (process.env.FLUXO_E2E_VERBOSE) process.stderr.write(`[fluxo] ${d}`);
  });

  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`the browser host did not print its address within ${START_TIMEOUT_MS / 1000} s; stderr:\n${stderr}`)), START_TIMEOUT_MS);
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const m = READY.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the browser host exited with code ${code} before it was ready; stderr:\n${stderr}`));
    });
  });

  process.env.FLUXO_E2E_URL = url;
  process.env.FLUXO_E2E_HOME = home;
  mkdirSync(path.dirname(HOST_FILE), { recursive: true });
  writeFileSync(HOST_FILE, `${JSON.stringify({ url, home, pid: child.pid }, null, 2)}\n`);
  console.log(`[e2e] Fluxo browser host at ${url.replace(/token=[^&]+/, 'token=…')} (FLUXO_HOME=${home})`);

  return async () => {
    if (child.exitCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timeout = new Promise<void>((resolve) => setTimeout(resolve, 15_000).unref());
      await Promise.race([exited, timeout]);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    if (!process.env.FLUXO_E2E_KEEP_HOME) rmSync(home, { recursive: true, force: true });
  };
}
