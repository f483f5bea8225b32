// @vitest-environment node
/**
 * The Slurm monitor against the real Slurm 22.05 of the cluster lab, as the lab's ordinary user
 * (no SSH here: the monitor needs only "run a command" and "read a file", which the lab gives
 * directly). Jobs are tiny batch scripts with the same EXIT/TERM trap the compiled steps have.
 * Proves: a 3-job afterok chain and a 4-task array go waiting -> running -> completed with one
 * squeue (and at most one sacct) per cycle; an exit code of 3 comes from the marker; a cancelled
 * job is "cancelled"; with slurmctld stopped mid-watch, nothing is marked failed and every job
 * completes once it is back.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobUpdate, MonitorExecResult, TrackedJob } from '../../electron/targets/slurm/monitor';
import { SlurmMonitor } from '../../electron/targets/slurm/monitor';
import type { Lab } from '../cluster/lab';
import { asUser, asUserAsync, labRequired, openLab, REPO, sh, sleep } from '../cluster/lab';

const gate = openLab();
if (gate.reason !== undefined) console.log(`monitor.test.ts: skipped, ${gate.reason}`);

const group = `monitor-${Date.now().toString(36)}-${process.pid}`;

/**
 * A step script like the compiled ones: its exit code goes to logs/<name>[_<task>].exit from an
 * EXIT trap (TERM -> 143), written whole then renamed. Arguments: seconds to sleep, exit code.
 */
const SCRIPT = `#!/bin/bash
set -euo pipefail
NAME="$1"
MARKER="$PWD/logs/\${NAME}\${SLURM_ARRAY_TASK_ID:+_\${SLURM_ARRAY_TASK_ID}}.exit"
rm -f "$MARKER"
write_marker() {
  local code=$?
  printf '%s\\n' "$code" >"$MARKER.tmp.$$"
  mv -f "$MARKER.tmp.$$" "$MARKER"
  exit "$code"
}
trap write_marker EXIT
trap 'exit 143' TERM
echo "step $NAME task \${SLURM_ARRAY_TASK_ID:-none} starts"
sleep "$2" &
wait $!
exit "$3"
`;

/** Counts what the monitor runs, cycle by cycle: a cycle begins with its squeue. */
class CountingExec {
  cycles: Array<{ squeue: string; sacct: number; other: number }> = [];
  constructor(private lab: Lab) {}
  exec = async (command: string): Promise<MonitorExecResult> => {
    if (/\bsqueue\b/.test(command)) this.cycles.push({ squeue: command, sacct: 0, other: 0 });
    else if (/\bsacct\b/.test(command)) this.cycles.at(-1)!.sacct++;
    else if (this.cycles.length > 0) this.cycles.at(-1)!.other++;
    return asUserAsync(this.lab, command, { timeoutMs: 60_000 });
  };
}

/** Reads the user's file as root, as SFTP would as the user. */
async function readFile(file: string, o: { start: number; maxBytes: number }): Promise<Buffer | null> {
  let fd: fs.promises.FileHandle;
  try {
    fd = await fs.promises.open(file, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  try {
    const buf = Buffer.alloc(o.maxBytes);
    const { bytesRead } = await fd.read(buf, 0, o.maxBytes, o.start);
    return buf.subarray(0, bytesRead);
  } finally {
    await fd.close();
  }
}

const describeLab = gate.lab === undefined ? describe.skip : describe;

describeLab('SlurmMonitor on the cluster lab', () => {
  // describe.skip still runs this body to collect its tests: without the lab there is nothing to set up.
  if (gate.lab === undefined) return;
  const lab = gate.lab;
  const dir = path.join(lab.userHome, 'fluxo-runs', group);
  const submitted: string[] = [];

  /** sbatch --parsable as the user, in the test folder; returns the tracked job. */
  function submit(name: string, seconds: number, code: number, extra = ''): TrackedJob {
    const r = asUser(lab, `cd ${sh(dir)} && sbatch --parsable --job-name=${sh(`fluxo-${name}`)} -o ${sh(`logs/${name}_%a.out`)} ${extra} step.sh ${sh(name)} ${seconds} ${code}`);
    if (r.code !== 0) throw new Error(`sbatch failed: ${r.stderr}`);
    const id = r.stdout.trim().split(';')[0]!;
    submitted.push(id);
    const tasks = /--array=0-(\d+)/.exec(extra);
    const count = tasks ? Number(tasks[1]) + 1 : null;
    const submittedAt = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    return {
      key: `${id}@${submittedAt}`,
      id,
      submittedAt,
      runId: group,
      stepId: name,
      tasks: count,
      markers: count === null ? [path.join(dir, 'logs', `${name}.exit`)] : Array.from({ length: count }, (_, i) => path.join(dir, 'logs', `${name}_${i}.exit`)),
      gpus: 0,
    };
  }

  beforeAll(() => {
    const r = asUser(lab, `mkdir -p ${sh(path.join(dir, 'logs'))}`);
    expect(r.code, r.stderr).toBe(0);
    // Written by the user (asUser takes no stdin), so the files are theirs.
    const w = spawnSync('runuser', ['-u', lab.user, '--', 'tee', path.join(dir, 'step.sh')], { input: SCRIPT, encoding: 'utf8' });
    expect(w.status, w.stderr).toBe(0);
  });

  afterAll(() => {
    if (submitted.length > 0) asUser(lab, `scancel ${submitted.join(' ')}`);
    if (process.env.KEEP_LAB_RUNS !== '1') fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Watches until every job is final (or the time runs out); returns every update and the counts. */
  function watcher(options: { minIntervalMs?: number; maxIntervalMs?: number; execTimeoutMs?: number } = {}) {
    const counting = new CountingExec(lab);
    const updates: JobUpdate[] = [];
    const contact: Array<{ ok: boolean; reason: string | null; at: number }> = [];
    const finals = new Map<string, JobUpdate>();
    const monitor = new SlurmMonitor({
      exec: counting.exec,
      readFile,
      accounting: 'auto',
      minIntervalMs: options.minIntervalMs ?? 1000,
      maxIntervalMs: options.maxIntervalMs ?? 4000,
      execTimeoutMs: options.execTimeoutMs ?? 60_000,
      onUpdate: (us) => {
        for (const u of us) {
          updates.push(u);
          if (u.final) finals.set(`${u.key}#${u.task ?? ''}`, u);
        }
      },
      onContact: (ok, reason) => contact.push({ ok, reason, at: Date.now() }),
    });
    const until = async (done: () => boolean, ms: number) => {
      const end = Date.now() + ms;
      while (!done() && Date.now() < end) await sleep(250);
    };
    const statesOf = (key: string, task: number | null = null) =>
      updates.filter((u) => u.key === key && u.task === task).map((u) => u.stepState).filter((s, i, all) => i === 0 || all[i - 1] !== s);
    return { monitor, counting, updates, contact, finals, until, statesOf };
  }

  it('a 3-job afterok chain, a 4-task array, a failing job and a cancelled one: each ends as it should, one squeue per cycle', async () => {
    const w = watcher();
    const a = submit('chain-a', 3, 0);
    // Long enough that a cycle (every 1-4 s) sees each one running.
    const b = submit('chain-b', 5, 0, `--dependency=afterok:${a.id}`);
    const c = submit('chain-c', 5, 0, `--dependency=afterok:${b.id}`);
    const arr = submit('array', 2, 0, '--array=0-3');
    const bad = submit('exit3', 1, 3);
    const long = submit('long', 120, 0);
    const all = [a, b, c, arr, bad, long];
    for (const j of all) w.monitor.track(j);
    const units = all.reduce((n, j) => n + (j.tasks ?? 1), 0);

    // Cancel the long job once it runs.
    await w.until(() => w.statesOf(long.key).includes('running'), 30_000);
    const cancelled = await w.monitor.cancel([long.key], { timeoutMs: 30_000 });
    expect(cancelled).toEqual({ confirmed: [long.key], unconfirmed: [] });

    await w.until(() => w.finals.size === units, 90_000);
    w.monitor.stop();
    expect(w.finals.size, JSON.stringify(w.updates.slice(-5))).toBe(units);

    // The chain: the two that wait for another were seen waiting (for "the steps before it"), then running, then completed.
    for (const j of [b, c]) expect(w.statesOf(j.key)).toEqual(['waiting', 'running', 'completed']);
    expect(w.updates.some((u) => u.key === c.key && u.view.reasonText === 'waiting for the steps before it')).toBe(true);
    expect(w.statesOf(a.key).at(-1)).toBe('completed');
    for (let i = 0; i < 4; i++) {
      expect(w.statesOf(arr.key, i).at(-1)).toBe('completed');
      expect(w.finals.get(`${arr.key}#${i}`)).toMatchObject({ exitCode: 0, marker: 'found', view: { state: 'COMPLETED' } });
    }
    for (const j of [a, b, c]) expect(w.finals.get(`${j.key}#`)).toMatchObject({ stepState: 'completed', exitCode: 0, marker: 'found' });
    expect(w.finals.get(`${bad.key}#`)).toMatchObject({ stepState: 'failed', exitCode: 3, marker: 'found', view: { state: 'FAILED' } });
    // scancel sends TERM: the trap wrote 143, and Slurm's CANCELLED decides the kind.
    expect(w.finals.get(`${long.key}#`)).toMatchObject({ stepState: 'cancelled', exitCode: 143, marker: 'found', view: { state: 'CANCELLED' } });
    // Nothing went backwards or failed on the way.
    for (const j of [a, b, c, arr, long]) expect(w.updates.filter((u) => u.key === j.key && u.stepState === 'failed')).toEqual([]);

    // One squeue per cycle, naming every job still unfinished at that moment; at most one sacct per cycle.
    expect(w.counting.cycles.length).toBeGreaterThan(3);
    for (const cycle of w.counting.cycles) {
      expect(cycle.sacct).toBeLessThanOrEqual(1);
      expect(cycle.squeue).toMatch(/-j '[\d,]+'/);
    }
    expect(w.counting.cycles[0]!.squeue).toContain(`-j '${all.map((j) => j.id).join(',')}'`);
    console.log(
      `monitor.test.ts: ${units} jobs/tasks in ${w.counting.cycles.length} cycles: ${w.counting.cycles.length} squeue, ${w.counting.cycles.reduce((n, x) => n + x.sacct, 0)} sacct (accounting ${w.monitor.accountingMode})`,
    );
  }, 150_000);

  it('slurmctld stopped mid-watch: contact lost, nothing marked failed, everything completes once it is back', async () => {
    const w = watcher({ execTimeoutMs: 30_000 });
    const first = submit('fault-a', 15, 0);
    const second = submit('fault-b', 2, 0, `--dependency=afterok:${first.id}`);
    const arr = submit('fault-array', 12, 0, '--array=0-1');
    for (const j of [first, second, arr]) w.monitor.track(j);
    await w.until(() => w.statesOf(first.key).includes('running'), 30_000);
    expect(w.statesOf(first.key)).toContain('running');

    const labSh = path.join(REPO, 'test', 'cluster', 'lab.sh');
    let t = Date.now();
    const stop = spawnSync('bash', [labSh, 'stop', 'slurmctld', lab.dir], { encoding: 'utf8', timeout: 60_000 });
    expect(stop.status, stop.stderr).toBe(0);
    const stopSeconds = (Date.now() - t) / 1000;
    try {
      await w.until(() => w.contact.some((c) => !c.ok), 60_000);
      expect(w.contact.find((c) => !c.ok)?.reason).toMatch(/did not answer|no answer/);
      // Down for a while (jobs end meanwhile: slurmd keeps their news until the controller is back),
      // with the monitor still asking, backing off, and deciding nothing.
      const cyclesBefore = w.counting.cycles.length;
      await sleep(15_000);
      expect(w.counting.cycles.length - cyclesBefore).toBeGreaterThanOrEqual(1);
      expect(w.updates.filter((u) => u.final)).toEqual([]);
    } finally {
      t = Date.now();
      const up = spawnSync('bash', [labSh, 'up', lab.dir], { encoding: 'utf8', timeout: 180_000 });
      expect(up.status, up.stderr.slice(-2000)).toBe(0);
    }
    const upSeconds = (Date.now() - t) / 1000;
    const downFor = (Date.now() - w.contact.find((c) => !c.ok)!.at) / 1000;

    await w.until(() => w.finals.size === 4, 90_000);
    w.monitor.stop();
    expect(w.contact.at(-1)).toMatchObject({ ok: true, reason: null });
    expect(w.updates.filter((u) => u.stepState === 'failed')).toEqual([]);
    for (const key of [`${first.key}#`, `${second.key}#`, `${arr.key}#0`, `${arr.key}#1`]) expect(w.finals.get(key)).toMatchObject({ stepState: 'completed', exitCode: 0 });
    console.log(`monitor.test.ts: lab.sh stop slurmctld took ${stopSeconds.toFixed(1)} s, lab.sh up ${upSeconds.toFixed(1)} s; the monitor saw no controller for ~${downFor.toFixed(0)} s`);
  }, 240_000);
});

describe.runIf(gate.lab === undefined && labRequired())('SlurmMonitor: the cluster lab', () => {
  it('is up (FLUXO_LAB=required)', () => {
    expect.fail(gate.reason);
  });
});
