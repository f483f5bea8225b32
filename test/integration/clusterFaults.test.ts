// @vitest-environment node
/**
 * The faults a cluster run must survive, on the real lab with the real CLI: the login node's sshd
 * gone for a minute, slurmctld restarted, and Fluxo itself killed (SIGKILL) while uploading,
 * while submitting and while watching, then started again. Each ends with the run completed,
 * no step wrongly failed, no job submitted twice and the run's record intact.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildNodeBundles } from '../fixtures/buildNode';
import { fluxoAsync, labFor, makeLabHome, testPipeline } from '../cluster/fluxoHome';
import type { LabHome } from '../cluster/fluxoHome';
import type { Lab } from '../cluster/lab';
import { asUser, REPO, sleep, userJobs } from '../cluster/lab';

const gate = labFor('clusterFaults.test.ts');
const describeLab = gate.lab === undefined ? describe.skip : describe;

const tmp = mkdtempSync(path.join(os.tmpdir(), 'fluxo-faults-'));
let home: LabHome;

beforeAll(async () => {
  await buildNodeBundles(path.join(REPO, 'dist'));
  if (gate.lab) home = makeLabHome(gate.lab);
}, 120_000);
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
  if (gate.lab && home) {
    asUser(gate.lab, `rm -rf ~/${home.workRootName}`);
    rmSync(home.home, { recursive: true, force: true });
  }
});

function labCtl(lab: Lab, ...args: string[]): void {
  const r = spawnSync('bash', [path.join(REPO, 'test/cluster/lab.sh'), ...args, lab.dir], { encoding: 'utf8', timeout: 180_000, env: { ...process.env, VERIFY: '0' } });
  if (r.status !== 0) throw new Error(`lab.sh ${args.join(' ')} failed: ${r.stderr}${r.stdout}`);
}

interface Summary {
  status: string;
  runId: string;
  steps: Array<{ id: string; state: string; jobId: string | null }>;
}

function runIds(): string[] {
  const runsDir = path.join(home.home, 'runs');
  return existsSync(runsDir) ? readdirSync(runsDir).sort() : [];
}

/** The newest run of this home not in `before`, from its record on disk. */
function latestRun(before: string[]): { id: string; dir: string; record: { status: string; remote: { phase: string; workDir: string } | null; steps: Array<{ id: string; job?: { id: string } | null }> } } | null {
  const runsDir = path.join(home.home, 'runs');
  const ids = runIds().filter((x) => !before.includes(x));
  const id = ids[ids.length - 1];
  if (!id) return null;
  try {
    return { id, dir: path.join(runsDir, id), record: JSON.parse(readFileSync(path.join(runsDir, id, 'run.json'), 'utf8')) };
  } catch {
    return null;
  }
}

async function until(what: string, check: () => boolean, timeoutMs = 120_000, everyMs = 20): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** Every Slurm job (arrays counted once) whose working folder is this run's folder on the cluster. */
function jobsOfRun(lab: Lab, workDir: string): string[] {
  return [...new Set(userJobs(lab).filter((j) => j.workDir === workDir).map((j) => j.arrayJobId))];
}

async function resume(runId: string) {
  const r = await fluxoAsync(['status', runId, '--wait', '--json'], home.env).done;
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Summary;
}

describeLab('cluster runs survive faults', () => {
  const lab = gate.lab!;

  it('the login node\'s sshd stops for a minute mid-run and comes back: the run completes, no step marked failed', async () => {
    const file = testPipeline(tmp, 'sshd outage', [
      { id: 'long', params: { command: 'sleep 45; echo done > long.txt' } },
      { id: 'after', params: { command: 'cat "$1"/long.txt > after.txt' }, after: 'long' },
    ]);
    const running = fluxoAsync(['run', file, '--target', 'lab', '--json'], home.env, { timeoutMs: 400_000 });
    await until('the first job to run', () => userJobs(lab).some((j) => j.name === 'fluxo-long' && j.state === 'RUNNING' && j.workDir.includes(home.workRootName)));
    labCtl(lab, 'stop', 'sshd');
    await sleep(60_000);
    labCtl(lab, 'up');
    const r = await running.done;
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout) as Summary;
    expect(s.status).toBe('completed');
    expect(s.steps.filter((x) => x.state !== 'completed')).toEqual([]);
    expect(r.stderr).toMatch(/does not answer/);
  }, 420_000);

  it('slurmctld restarts mid-run: the run completes', async () => {
    const file = testPipeline(tmp, 'slurmctld restart', [
      { id: 'first', params: { command: 'sleep 15; echo one > one.txt' } },
      { id: 'second', params: { command: 'sleep 5; cat "$1"/one.txt > two.txt' }, after: 'first' },
    ]);
    const running = fluxoAsync(['run', file, '--target', 'lab', '--json'], home.env, { timeoutMs: 300_000 });
    await until('the first job to run', () => userJobs(lab).some((j) => j.name === 'fluxo-first' && j.state === 'RUNNING' && j.workDir.includes(home.workRootName)));
    labCtl(lab, 'stop', 'slurmctld');
    await sleep(12_000);
    labCtl(lab, 'up');
    const r = await running.done;
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout) as Summary;
    expect(s.status).toBe('completed');
    expect(s.steps.every((x) => x.state === 'completed')).toBe(true);
  }, 300_000);

  it('Fluxo killed while uploading: started again, the upload resumes, the run completes with its input intact', async () => {
    const big = path.join(tmp, 'big.bin');
    spawnSync('bash', ['-c', `head -c ${400 * 1024 * 1024} /dev/urandom > '${big}'`]);
    const localSum = spawnSync('sha256sum', [big], { encoding: 'utf8' }).stdout.split(' ')[0];
    const file = testPipeline(tmp, 'kill during upload', [
      { id: 'data', type: 'upload-data', params: { kind: 'file', file: big } },
      { id: 'check', params: { command: 'sha256sum "$1"/* | cut -d" " -f1 > sum.txt' }, after: 'data', port: 'data' },
    ]);
    const before = runIds();
    const first = fluxoAsync(['run', file, '--target', 'lab', '--json'], home.env);
    const dataDir = path.join(home.workRoot, '.fluxo-data');
    await until('a partial upload on the cluster', () => existsSync(dataDir) && readdirSync(dataDir, { recursive: true }).some((f) => String(f).endsWith('.part')), 120_000, 5);
    first.child.kill('SIGKILL');
    await first.done;
    const run = latestRun(before)!;
    expect(run.record.status).toBe('running');
    expect(run.record.remote!.phase).toBe('staging');
    const s = await resume(run.id);
    expect(s.status).toBe('completed');
    const sum = readFileSync(path.join(run.dir, 'steps', 'check', 'results', 'sum.txt'), 'utf8').trim();
    expect(sum).toBe(localSum);
    expect(jobsOfRun(lab, run.record.remote!.workDir)).toHaveLength(2);
  }, 400_000);

  it('Fluxo killed while submitting: started again, no job is submitted twice and the run completes', async () => {
    const file = testPipeline(tmp, 'kill during submit', [
      { id: 'a', params: { command: 'sleep 3; echo a > a.txt' } },
      { id: 'b', params: { command: 'cat "$1"/a.txt > b.txt' }, after: 'a' },
      { id: 'c', params: { command: 'cat "$1"/b.txt > c.txt' }, after: 'b' },
    ]);
    const before = runIds();
    const first = fluxoAsync(['run', file, '--target', 'lab', '--json'], home.env);
    await until('submission to start', () => {
      const r = latestRun(before);
      return r !== null && r.record.remote !== null && existsSync(path.join(r.record.remote.workDir, '.fluxo-submit-started'));
    }, 120_000, 2);
    first.child.kill('SIGKILL');
    await first.done;
    const run = latestRun(before)!;
    expect(run.record.status).toBe('running');
    const s = await resume(run.id);
    expect(s.status).toBe('completed');
    const jobs = jobsOfRun(lab, run.record.remote!.workDir);
    expect(jobs).toHaveLength(3);
    expect(new Set(s.steps.map((x) => x.jobId))).toEqual(new Set(jobs));
  }, 300_000);

  it('Fluxo killed while watching: started again, it re-attaches and the run completes; the record is whole', async () => {
    const file = testPipeline(tmp, 'kill during watch', [
      { id: 'slow', params: { command: 'sleep 20; echo slow > slow.txt' } },
      { id: 'last', params: { command: 'cat "$1"/slow.txt > last.txt' }, after: 'slow' },
    ]);
    const before = runIds();
    const first = fluxoAsync(['run', file, '--target', 'lab', '--json'], home.env);
    await until('the run to be watched', () => latestRun(before)?.record.remote?.phase === 'watching', 120_000, 50);
    await sleep(3000);
    first.child.kill('SIGKILL');
    await first.done;
    const run = latestRun(before)!;
    expect(run.record.status).toBe('running');
    const ids = run.record.steps.map((x) => x.job?.id);
    expect(ids.every((x) => typeof x === 'string')).toBe(true);
    const s = await resume(run.id);
    expect(s.status).toBe('completed');
    expect(s.steps.map((x) => x.jobId)).toEqual(ids);
    expect(jobsOfRun(lab, run.record.remote!.workDir)).toHaveLength(2);
    const record = JSON.parse(readFileSync(path.join(run.dir, 'run.json'), 'utf8'));
    expect(record.status).toBe('completed');
    expect(existsSync(path.join(run.dir, 'steps', 'last', 'results', 'last.txt'))).toBe(true);
  }, 300_000);
});
