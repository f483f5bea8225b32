/**
 * A Fluxo home for tests that run pipelines on the lab over SSH: the user's own copy of the `lab`
 * profile (login as the lab's test user with its key, runs under a work root of its own so no
 * cache entry of another test is found), and a known_hosts with the lab's host keys.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import type { Lab, LabGate } from './lab';
import { labRequired, openLab, REPO } from './lab';
import { DOCUMENT_VERSION } from '../../shared/document';

export interface LabHome {
  home: string;
  /** Folder name under the test user's home where this home's runs go. */
  workRootName: string;
  /** Absolute path of that folder on the (local) lab. */
  workRoot: string;
  env: NodeJS.ProcessEnv;
}

export function makeLabHome(lab: Lab, options: { login?: Record<string, unknown>; port?: number } = {}): LabHome {
  const home = mkdtempSync(path.join(os.tmpdir(), 'fluxo-labhome-'));
  const workRootName = `fluxo-test-${path.basename(home).replace(/[^A-Za-z0-9]/g, '')}`;
  const profile = YAML.parse(readFileSync(path.join(REPO, 'resources/targets/lab.yaml'), 'utf8')) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  profile.login = {
    ...profile.login,
    port: options.port ?? Number(lab.env.LAB_SSH_PORT),
    user: lab.user,
    identityFiles: [lab.env.LAB_SSH_KEY],
    auth: ['key'],
    ...options.login,
  };
  profile.storage.workRoot = `$HOME/${workRootName}`;
  mkdirSync(path.join(home, 'targets'), { recursive: true });
  writeFileSync(path.join(home, 'targets', 'lab.yaml'), YAML.stringify(profile));
  const knownHosts = path.join(home, 'known_hosts');
  copyFileSync(lab.env.LAB_KNOWN_HOSTS!, knownHosts);
  return {
    home,
    workRootName,
    workRoot: path.join(lab.userHome, workRootName),
    env: { FLUXO_HOME: home, FLUXO_KNOWN_HOSTS: knownHosts, FLUXO_SSH_CONFIG: path.join(home, 'no-ssh-config'), SSH_AUTH_SOCK: '', FLUXO_POLL_MS: '1000' },
  };
}

export interface Fluxo {
  child: ReturnType<typeof spawn>;
  done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
}

/** Runs bin/fluxo.cjs (built by the test's beforeAll) without blocking, so a test can kill it mid-way. */
export function fluxoAsync(args: string[], env: NodeJS.ProcessEnv, options: { timeoutMs?: number } = {}): Fluxo {
  const child = spawn(process.execPath, [path.join(REPO, 'bin/fluxo.cjs'), ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 300_000);
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) => {
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
  return { child, done };
}

/**
 * The lab for a test file, or why it is skipped (printed once). Under FLUXO_LAB=required (CI
 * brought the lab up) a lab that does not answer fails the file instead.
 */
export function labFor(testFile: string): LabGate {
  const gate = openLab();
  if (gate.reason !== undefined) console.log(`${testFile}: skipped, ${gate.reason}`);
  if (gate.reason !== undefined && labRequired()) throw new Error(`the cluster lab is required (FLUXO_LAB=required) but ${gate.reason}`);
  return gate;
}

export interface TestStep {
  id: string;
  /** Block type; default shell-command. */
  type?: string;
  /** The shell-command's command (shorthand for params.command). */
  command?: string;
  params?: Record<string, unknown>;
  /** The step whose output feeds this one's "input" port. */
  after?: string;
  /** That step's output port; default "results" (shell-command's). */
  port?: string;
}

/** Writes a small pipeline of (mostly) shell-command steps into `dir` and returns its path. */
export function testPipeline(dir: string, name: string, steps: TestStep[]): string {
  const doc = {
    format: 'fluxo-pipeline',
    version: DOCUMENT_VERSION,
    metadata: { name, description: '', author: 'test', created: '2026-11-24T00:00:00.000Z', updated: '2026-11-24T00:00:00.000Z' },
    steps: steps.map((s, i) => ({
      id: s.id,
      type: s.type ?? 'shell-command',
      version: 1,
      label: `Step ${s.id}`,
      params: s.params ?? { command: s.command ?? 'true' },
      position: { x: i * 200, y: 0 },
    })),
    connections: steps.filter((s) => s.after).map((s) => ({ from: { step: s.after, port: s.port ?? 'results' }, to: { step: s.id, port: 'input' } })),
    notes: [],
  };
  const file = path.join(dir, `${name.replace(/\W+/g, '-')}-${Math.random().toString(36).slice(2, 8)}.fluxo`);
  writeFileSync(file, JSON.stringify(doc));
  return file;
}
