/**
 * What integration tests need from the cluster lab (test/cluster/lab.sh): its env file, a gate
 * that says why a test cannot use it, and commands run as the lab's ordinary test user with the
 * clean environment an ssh login gives (Debian's python3 first on PATH, SLURM_CONF set).
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The checkout; bench/run.mjs bundles this file elsewhere and says where the checkout is (FLUXO_REPO). */
export const REPO = process.env.FLUXO_REPO ?? fileURLToPath(new URL('../..', import.meta.url));

export interface Lab {
  dir: string;
  slurmConf: string;
  node: string;
  /** The ordinary user jobs run as, its home and the PATH its login shell gets. */
  user: string;
  userHome: string;
  userPath: string;
  withDbd: boolean;
  /** Every variable of lab.env, for what has no field here (ports, keys, fingerprints, TOTP). */
  env: Record<string, string>;
}

/** Where lab.sh keeps the lab when it is given no folder: $LAB_DIR, else <repo>/.lab. */
export function labDir(): string {
  return process.env.LAB_DIR || path.join(REPO, '.lab');
}

/**
 * Reads lab.env as lab.sh writes it: `export NAME='value'` lines, quotes as bash single quotes
 * (`'\''` for a quote). Anything else is an error, so a changed format cannot be misread.
 */
export function parseLabEnv(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [i, line] of text.split('\n').entries()) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const m = /^export ([A-Z_][A-Z0-9_]*)=((?:'[^']*'|\\')+)$/.exec(line);
    if (!m || m[1] === undefined || m[2] === undefined) throw new Error(`lab.env line ${i + 1} is not "export NAME='value'": ${line}`);
    env[m[1]] = m[2].replace(/'([^']*)'|\\'/g, (_all, quoted: string | undefined) => quoted ?? "'");
  }
  return env;
}

function required(env: Record<string, string>, name: string): string {
  const value = env[name];
  if (value === undefined || value === '') throw new Error(`lab.env has no ${name}: bring the lab up again with "npm run lab:up"`);
  return value;
}

export type LabGate = { lab: Lab; reason?: undefined } | { lab?: undefined; reason: string };

/**
 * The lab, or the reason a test cannot use it. Not root, no Slurm, or no lab.env is a reason to
 * skip; a lab.env whose controller does not answer is too, since the lab was stopped without
 * "lab.sh down" (a reboot). CI sets FLUXO_LAB=required once lab.sh up succeeded: then a test
 * must fail instead of skipping (see labRequired).
 */
export function openLab(): LabGate {
  if (process.platform !== 'linux' || !fs.existsSync('/etc/debian_version')) return { reason: 'the cluster lab needs Debian Linux' };
  if (process.getuid?.() !== 0) return { reason: 'the cluster lab needs root (tests run commands as its test user)' };
  const dir = labDir();
  const file = path.join(dir, 'lab.env');
  if (!fs.existsSync(file)) return { reason: `the cluster lab is not up (no ${file}): run "npm run lab:up" as root` };
  const env = parseLabEnv(fs.readFileSync(file, 'utf8'));
  const lab: Lab = {
    dir: required(env, 'LAB_DIR'),
    slurmConf: required(env, 'SLURM_CONF'),
    node: required(env, 'LAB_NODE'),
    user: required(env, 'LAB_USER'),
    userHome: required(env, 'LAB_USER_HOME'),
    userPath: required(env, 'LAB_USER_PATH'),
    withDbd: env.LAB_WITH_DBD === '1',
    env,
  };
  const ping = spawnSync('scontrol', ['ping'], { env: { ...process.env, SLURM_CONF: lab.slurmConf }, encoding: 'utf8', timeout: 30_000 });
  if (ping.error) return { reason: `Slurm's scontrol cannot run (${ping.error.message}): run "npm run lab:up"` };
  if (!/is UP/.test(ping.stdout)) return { reason: `${file} exists but slurmctld does not answer (${(ping.stdout + ping.stderr).trim()}): run "npm run lab:up"` };
  return { lab };
}

/** True when the run says the lab was brought up for it (.ci/run), so a missing lab is a failure. */
export function labRequired(): boolean {
  return process.env.FLUXO_LAB === 'required';
}

export interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The environment of a login of the test user: nothing of ours (no pyenv, no FLUXO_*), as over ssh. */
export function userEnv(lab: Lab): Record<string, string> {
  return {
    HOME: lab.userHome,
    USER: lab.user,
    LOGNAME: lab.user,
    SHELL: '/bin/bash',
    PATH: lab.userPath,
    LANG: 'C.UTF-8',
    SLURM_CONF: lab.slurmConf,
  };
}

function userArgv(lab: Lab, script: string): string[] {
  const env = Object.entries(userEnv(lab)).map(([k, v]) => `${k}=${v}`);
  return ['-u', lab.user, '--', 'env', '-i', ...env, 'bash', '-c', script];
}

/** Runs a bash script as the lab's test user (runuser, clean environment), in `cwd` (default: its home). */
export function asUser(lab: Lab, script: string, options: { cwd?: string; timeoutMs?: number } = {}): Ran {
  const r = spawnSync('runuser', userArgv(lab, script), {
    cwd: options.cwd ?? lab.userHome,
    encoding: 'utf8',
    timeout: options.timeoutMs ?? 120_000,
  });
  if (r.error) throw r.error;
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** As asUser, without blocking the test process while it runs (for long commands). */
export function asUserAsync(lab: Lab, script: string, options: { cwd?: string; timeoutMs?: number } = {}): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn('runuser', userArgv(lab, script), { cwd: options.cwd ?? lab.userHome, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Quotes one word for bash (single quotes), for scripts run with asUser. */
export function sh(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** A Slurm client command as root, against the lab (squeue, scontrol, sacct). */
export function slurmAsRoot(lab: Lab, command: string, args: string[]): Ran {
  const r = spawnSync(command, args, { env: { ...process.env, SLURM_CONF: lab.slurmConf }, encoding: 'utf8', timeout: 60_000 });
  if (r.error) throw r.error;
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

export interface JobState {
  /** "123" for a job, "123_4" for task 4 of array 123. */
  id: string;
  arrayJobId: string;
  arrayTaskId: string | null;
  name: string;
  state: string;
  reason: string;
  /** The batch script (absolute path) and the folder the job runs in. */
  command: string;
  workDir: string;
}

/**
 * Every job of the test user that Slurm still remembers (finished ones for MinJobAge), with
 * array tasks one by one. `squeue -t all` because a plain squeue hides finished jobs.
 */
export function userJobs(lab: Lab): JobState[] {
  const r = slurmAsRoot(lab, 'squeue', ['-h', '-r', '-t', 'all', '-u', lab.user, '-o', '%i|%F|%K|%j|%T|%r|%o|%Z']);
  if (r.code !== 0) throw new Error(`squeue failed: ${r.stderr.trim()}`);
  return r.stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const [id = '', arrayJobId = '', task = '', name = '', state = '', reason = '', command = '', workDir = ''] = l.split('|');
      return { id, arrayJobId, arrayTaskId: task === 'N/A' ? null : task, name, state, reason, command, workDir };
    });
}

/** States after which a job does nothing more. */
export const FINAL_STATES = new Set(['COMPLETED', 'FAILED', 'CANCELLED', 'TIMEOUT', 'OUT_OF_MEMORY', 'NODE_FAIL', 'PREEMPTED', 'BOOT_FAIL', 'DEADLINE', 'SPECIAL_EXIT', 'REVOKED']);

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
