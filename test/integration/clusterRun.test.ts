// @vitest-environment node
/**
 * `fluxo run --target lab`: the real CLI, over real SSH, on the real Slurm of the lab. Uploads,
 * submission, watching, results downloaded, rerun from the cache, a failure explained, cancel.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildNodeBundles } from '../fixtures/buildNode';
import { fluxoAsync, labFor, makeLabHome, testPipeline } from '../cluster/fluxoHome';
import type { LabHome } from '../cluster/fluxoHome';
import { asUser, REPO, sleep, userJobs } from '../cluster/lab';

const gate = labFor('clusterRun.test.ts');
const describeLab = gate.lab === undefined ? describe.skip : describe;

const tmp = mkdtempSync(path.join(os.tmpdir(), 'fluxo-clusterrun-'));
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

type Summary = {
  status: string;
  runId: string;
  runDir: string;
  bytesUploaded: number;
  bytesDownloaded: number;
  stepsExecuted: number;
  stepsCached: number;
  steps: Array<{ id: string; state: string; jobId: string | null; slurmState: string | null; cached: boolean; explanation: { kind: string; title: string; action: { label: string } | null } | null }>;
  outputs: Array<{ step: string; format: string; path: string }>;
};

async function run(args: string[], env: NodeJS.ProcessEnv = {}) {
  const r = await fluxoAsync(args, { ...home.env, ...env }).done;
  return { ...r, summary: r.stdout.trim().startsWith('{') ? (JSON.parse(r.stdout) as Summary) : null };
}


describeLab('fluxo run --target lab (SSH + Slurm)', () => {
  const lab = gate.lab!;

  it.each(['breast-cancer-classifier', 'dicom-segmentation', 'variant-calling'])(
    '%s runs on the lab over SSH: every step a Slurm job, COMPLETED, results downloaded',
    async (example) => {
      const r = await run(['run', path.join(REPO, 'resources/examples', `${example}.fluxo`), '--target', 'lab', '--json']);
      expect(r.code, `${r.signal} ${r.stderr}`).toBe(0);
      const s = r.summary!;
      expect(s.status).toBe('completed');
      expect(s.bytesUploaded).toBeGreaterThan(0);
      expect(s.bytesDownloaded).toBeGreaterThan(0);
      expect(s.stepsExecuted).toBe(s.steps.length);
      for (const step of s.steps) {
        expect(step.jobId, step.id).toMatch(/^\d+$/);
        expect(step.slurmState, step.id).toBe('COMPLETED');
      }
      // The results are on this computer, not only on the cluster.
      expect(s.outputs.length).toBeGreaterThan(0);
      for (const o of s.outputs) expect(existsSync(o.path), o.path).toBe(true);
      expect(s.outputs.some((o) => o.format === 'metrics.json' || o.format === 'report.html')).toBe(true);
      // stderr told the user what happened, job by job.
      expect(r.stderr).toMatch(/\[job \d+\]/);
    },
    300_000,
  );

  it('the sweep example runs as a real job array: every task watched to COMPLETED, the comparison of all points downloaded', async () => {
    // --no-cache: earlier tests in this file ran the same dataset and split, which would be reused.
    const r = await run(['run', path.join(REPO, 'resources/examples/breast-cancer-sweep.fluxo'), '--target', 'lab', '--json', '--no-cache']);
    expect(r.code, r.stderr).toBe(0);
    const s = r.summary!;
    expect(s.status).toBe('completed');
    const record = JSON.parse(readFileSync(path.join(s.runDir, 'run.json'), 'utf8')) as { steps: Array<{ id: string; tasks: Array<{ state: string; scheduler: { state: string } | null }> | null }> };
    const train = record.steps.find((x) => x.id === 'train')!;
    expect(train.tasks!.length).toBeGreaterThan(1);
    expect(train.tasks!.every((t) => t.state === 'completed' && t.scheduler?.state === 'COMPLETED')).toBe(true);
    // One job for the whole array, as Slurm sees it.
    expect(new Set(s.steps.map((x) => x.jobId)).size).toBe(s.steps.length);
    expect(s.outputs.some((o) => o.step === 'compare')).toBe(true);
  }, 300_000);

  it('a rerun of the unchanged pipeline uploads 0 bytes and runs 0 steps; changing one param reruns that step and what follows', async () => {
    const file = path.join(REPO, 'resources/examples/breast-cancer-classifier.fluxo');
    const first = await run(['run', file, '--target', 'lab', '--json']);
    expect(first.code, first.stderr).toBe(0);
    const again = await run(['run', file, '--target', 'lab', '--json']);
    expect(again.code, again.stderr).toBe(0);
    const s = again.summary!;
    expect(s.status).toBe('completed');
    expect(s.bytesUploaded).toBe(0);
    expect(s.stepsExecuted).toBe(0);
    expect(s.stepsCached).toBe(s.steps.length);
    expect(s.steps.every((x) => x.cached && x.jobId === null)).toBe(true);
    // The results of the cached run are there too.
    expect(JSON.parse(readFileSync(s.outputs.find((o) => o.format === 'metrics.json')!.path, 'utf8')).roc_auc).toBeGreaterThan(0.9);

    const doc = JSON.parse(readFileSync(file, 'utf8'));
    doc.steps.find((x: { id: string }) => x.id === 'train').params.c = 0.5;
    const changed = path.join(tmp, 'changed-c.fluxo');
    writeFileSync(changed, JSON.stringify(doc));
    const third = (await run(['run', changed, '--target', 'lab', '--json'])).summary!;
    expect(third.status).toBe('completed');
    expect(third.steps.filter((x) => x.cached).map((x) => x.id)).toEqual(['dataset', 'split']);
    expect(third.steps.filter((x) => !x.cached).map((x) => x.id)).toEqual(['train', 'evaluate', 'report']);
  }, 400_000);

  it('inputs go up once: a rerun sends 0 bytes; with --checksum a file changed behind the same size and time is sent again', async () => {
    const input = path.join(tmp, 'measurements.csv');
    writeFileSync(input, 'id,value\n1,aaaa\n');
    const when = new Date('2026-01-02T03:04:05Z');
    utimesSync(input, when, when);
    const file = testPipeline(tmp, 'reads a file', [
      { id: 'data', type: 'upload-data', params: { kind: 'file', file: input } },
      { id: 'show', command: 'cat "$1"/* > seen.txt', after: 'data', port: 'data' },
    ]);
    const first = (await run(['run', file, '--target', 'lab', '--json', '--checksum'])).summary!;
    expect(first.status).toBe('completed');
    expect(first.bytesUploaded).toBeGreaterThan(0);
    const again = (await run(['run', file, '--target', 'lab', '--json', '--checksum'])).summary!;
    expect(again.bytesUploaded).toBe(0);
    expect(again.stepsExecuted).toBe(0);

    // Same size, same modification time, other bytes: only a checksum can tell.
    writeFileSync(input, 'id,value\n1,bbbb\n');
    utimesSync(input, when, when);
    const changed = (await run(['run', file, '--target', 'lab', '--json', '--checksum'])).summary!;
    expect(changed.status).toBe('completed');
    expect(changed.bytesUploaded).toBeGreaterThan(0);
    expect(changed.stepsExecuted).toBe(2);
    expect(readFileSync(path.join(changed.runDir, 'steps', 'show', 'results', 'seen.txt'), 'utf8')).toContain('bbbb');
  }, 300_000);

  it('a failing step: the run fails, later steps are skipped, the failure is explained with its evidence; rerun --from after the fix runs only from there', async () => {
    const marker = `/tmp/fluxo-fix-${Math.random().toString(36).slice(2)}`;
    const file = testPipeline(tmp, 'fails once', [
      { id: 'prepare', command: 'echo prepared > data.txt' },
      { id: 'analyse', command: `test -e ${marker} || { echo "ValueError: column age is missing" >&2; exit 3; }; cat "$1"/data.txt > out.txt`, after: 'prepare' },
      { id: 'summarise', command: 'cat "$1"/out.txt > summary.txt', after: 'analyse' },
    ]);
    const r = await run(['run', file, '--target', 'lab', '--json']);
    expect(r.code).toBe(1);
    const s = r.summary!;
    expect(s.status).toBe('failed');
    expect(s.steps.map((x) => [x.id, x.state])).toEqual([
      ['prepare', 'completed'],
      ['analyse', 'failed'],
      ['summarise', 'skipped'],
    ]);
    const analyse = s.steps.find((x) => x.id === 'analyse')!;
    expect(analyse.explanation?.kind).toBe('program-error');
    expect(r.stderr).toContain('column age is missing');
    expect(r.stderr).toMatch(/fluxo rerun \S+ --from analyse/);

    writeFileSync(marker, '');
    asUser(lab, `touch ${marker}`);
    try {
      const again = await run(['rerun', s.runId, '--json']);
      expect(again.code, again.stderr).toBe(0);
      const t = again.summary!;
      expect(t.steps.map((x) => [x.id, x.state, x.cached])).toEqual([
        ['prepare', 'completed', true],
        ['analyse', 'completed', false],
        ['summarise', 'completed', false],
      ]);
    } finally {
      rmSync(marker, { force: true });
    }
  }, 300_000);

  it('a step that runs out of time: Slurm\'s TIMEOUT explained in words, with "Retry with 2x time" as a rerun command', async () => {
    const file = testPipeline(tmp, 'too slow', [{ id: 'slow', command: 'echo started; sleep 300' }]);
    const doc = JSON.parse(readFileSync(file, 'utf8'));
    doc.steps[0].resources = { timeMinutes: 1 };
    writeFileSync(file, JSON.stringify(doc));
    const r = await run(['run', file, '--target', 'lab', '--json']);
    expect(r.code).toBe(1);
    const step = r.summary!.steps[0]!;
    expect(step.state).toBe('failed');
    expect(step.slurmState).toBe('TIMEOUT');
    expect(step.explanation?.kind).toBe('time-limit');
    expect(step.explanation?.action?.label).toBe('Retry with 2x time');
    expect(r.stderr).toContain('ran out of time');
    expect(r.stderr).toMatch(new RegExp(`fluxo rerun ${r.summary!.runId} --from slow --time 2`));
  }, 300_000);

  it('fluxo logs RUN STEP --follow streams a running step\'s log from the cluster and ends with the step', async () => {
    const file = testPipeline(tmp, 'talks', [{ id: 'talk', command: 'for i in 1 2 3 4 5 6; do echo "line $i"; sleep 1; done' }]);
    const running = fluxoAsync(['run', file, '--target', 'lab', '--json'], home.env);
    let runId: string | null = null;
    for (let i = 0; i < 240 && !runId; i++) {
      await sleep(250);
      if (!userJobs(lab).some((j) => j.name === 'fluxo-talk' && j.state === 'RUNNING' && j.workDir.includes(home.workRootName))) continue;
      const list = JSON.parse((await fluxoAsync(['runs', '--json'], home.env).done).stdout) as Summary[];
      runId = list.find((x) => x.status === 'running')?.runId ?? null;
    }
    expect(runId).not.toBeNull();
    const logs = await fluxoAsync(['logs', runId!, 'talk', '--follow'], home.env).done;
    expect(logs.code, logs.stderr).toBe(0);
    expect(logs.stdout).toContain('line 1\n');
    expect(logs.stdout).toContain('line 6\n');
    expect((await running.done).code).toBe(0);
    // After the run, the log is read from this computer.
    const after = await fluxoAsync(['logs', runId!, 'talk'], home.env).done;
    expect(after.stdout.match(/^line \d$/gm)).toEqual(['line 1', 'line 2', 'line 3', 'line 4', 'line 5', 'line 6']);
  }, 300_000);

  it('fluxo cancel RUN cancels every job of a running run and confirms they stopped', async () => {
    const file = testPipeline(tmp, 'long', [
      { id: 'slow', command: 'sleep 300' },
      { id: 'after', command: 'true', after: 'slow' },
    ]);
    const running = fluxoAsync(['run', file, '--target', 'lab', '--json'], home.env);
    // Wait until the first job runs on the cluster, then cancel from another fluxo process.
    let runId: string | null = null;
    for (let i = 0; i < 240 && !runId; i++) {
      await sleep(500);
      if (!userJobs(lab).some((j) => j.name === 'fluxo-slow' && j.state === 'RUNNING' && j.workDir.includes(home.workRootName))) continue;
      const list = JSON.parse((await fluxoAsync(['runs', '--json'], home.env).done).stdout) as Summary[];
      runId = list.find((x) => x.status === 'running')?.runId ?? null;
    }
    expect(runId).not.toBeNull();
    const cancelled = await run(['cancel', runId!, '--json']);
    expect(cancelled.code, cancelled.stderr).toBe(0);
    const first = await running.done;
    expect(first.code).toBe(130);
    const s = JSON.parse(first.stdout) as Summary;
    expect(s.status).toBe('cancelled');
    const ids = s.steps.map((x) => x.jobId).filter(Boolean);
    for (const j of userJobs(lab).filter((x) => ids.includes(x.arrayJobId))) expect(['CANCELLED', 'COMPLETED']).toContain(j.state);
  }, 300_000);
});
