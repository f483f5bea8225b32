// @vitest-environment node
/**
 * Resume and cache on a real Slurm 22.05 cluster (the lab of test/cluster/lab.sh): a second run
 * of the breast-cancer classifier whose first two steps are taken from the first run submits only
 * the other three, none of them waits for a step that has no job, and it ends with the same
 * metrics. The runner's part (copy the outputs and exit markers, write .fluxo-cached) is done by
 * this test the way the runner does it; submit.sh is the one the compiler writes, run as the user.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeBundle } from '../../electron/backend/bundleWriter';
import { buildCatalog } from '../../shared/catalog';
import { compile, SLURM_RUN_FILES } from '../../shared/compiler';
import { parseDocument } from '../../shared/document';
import { EXAMPLE_FILE, loadSources } from '../blocks/harness';
import type { LabBundle } from '../cluster/bundles';
import { cancelJobsUnder, installForUser, jobsOf, runProblems, stepOfJob, submittedJobs, waitForJobs } from '../cluster/bundles';
import type { Lab } from '../cluster/lab';
import { asUser, labRequired, openLab, REPO, sh, slurmAsRoot } from '../cluster/lab';
import { shippedProfile } from '../fixtures/catalog';

const gate = openLab();
if (gate.reason !== undefined) console.log(`submitCached.test.ts: skipped, ${gate.reason}`);

/** The first two steps of the classifier (dataset, split): what the second run takes from the first. */
const CACHED = ['dataset', 'split'];
const RUN_TIMEOUT_MS = 5 * 60_000;

let tmp = '';
const group = `test-cached-${Date.now().toString(36)}-${process.pid}`;

/** The classifier compiled for the lab and written as `fluxo export` writes it, then put in the test user's work root. */
async function exportForLab(lab: Lab, label: string): Promise<LabBundle> {
  const parsed = parseDocument(fs.readFileSync(EXAMPLE_FILE, 'utf8'));
  if (!parsed.ok) throw new Error(parsed.message);
  const result = compile(parsed.document, buildCatalog(loadSources()), shippedProfile('lab'));
  if (!result.ok) throw new Error(result.problems.map((p) => p.message).join('\n'));
  const out = path.join(tmp, label);
  await writeBundle(result.bundle, out, path.join(REPO, 'resources'));
  return installForUser(lab, out, group, label);
}

/** Slurm's dependency field of a job as it is now ("(null)" once none is left). */
function dependencyOf(lab: Lab, job: string): string {
  const r = slurmAsRoot(lab, 'squeue', ['-h', '-t', 'all', '-j', job, '-o', '%E']);
  return r.stdout.trim();
}

const describeLab = gate.lab === undefined ? describe.skip : describe;

describeLab('Slurm: a run that takes finished steps from an earlier run', () => {
  const lab = gate.lab as Lab;
  let first: LabBundle;
  let second: LabBundle;

  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fluxo-cached-'));
    first = await exportForLab(lab, 'first');
    second = await exportForLab(lab, 'second');
  }, 60_000);

  afterAll(() => {
    cancelJobsUnder(lab, path.join(lab.userHome, 'fluxo-runs', group));
    if (process.env.KEEP_LAB_RUNS !== '1') fs.rmSync(path.join(lab.userHome, 'fluxo-runs', group), { recursive: true, force: true });
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('runs the classifier once to completion (the earlier run)', async () => {
    const r = asUser(lab, 'bash submit.sh', { cwd: first.bundleDir });
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    const jobs = await waitForJobs(lab, first, { timeoutMs: RUN_TIMEOUT_MS, pollMs: 1_000 });
    expect(runProblems(first), runProblems(first).join('\n\n')).toEqual([]);
    expect(jobs.map((j) => `${stepOfJob(first, j)?.id} ${j.state}`).sort()).toEqual(first.manifest.steps.map((s) => `${s.id} COMPLETED`).sort());
  }, RUN_TIMEOUT_MS + 30_000);

  it('submits only the steps not taken from it, none waiting for a cached step, and ends with the same metrics', async () => {
    expect(runProblems(first), 'the earlier run completed').toEqual([]);
    // The runner's part: the cached steps' outputs and exit markers, then the list, as the user.
    const copies = CACHED.flatMap((id) => {
      const step = first.manifest.steps.find((s) => s.id === id)!;
      return [
        `cp -a ${sh(path.join(first.runDir, 'steps', id))} ${sh(path.join(second.runDir, 'steps', id))}`,
        `cp -a ${sh(path.join(first.runDir, step.marker))} ${sh(path.join(second.runDir, step.marker))}`,
      ];
    });
    const list = `printf '%s\\n' ${CACHED.map(sh).join(' ')} >${sh(path.join(second.runDir, SLURM_RUN_FILES.cached))}`;
    const prepared = asUser(lab, ['set -e', `mkdir -p ${sh(path.join(second.runDir, 'steps'))} ${sh(path.join(second.runDir, 'logs'))}`, ...copies, list].join('\n'));
    expect(prepared.code, prepared.stderr).toBe(0);

    const r = asUser(lab, 'bash submit.sh', { cwd: second.bundleDir });
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stderr).toBe('');
    for (const id of CACHED) expect(r.stdout).toContain(`${id}: cached (outputs of an earlier run)\n`);

    // jobs.tsv and Slurm agree: a job for each step not cached, none for the cached ones.
    const recorded = submittedJobs(second);
    const rerun = second.manifest.order.filter((id) => !CACHED.includes(id));
    expect([...recorded.keys()]).toEqual(rerun);
    // Asked at once, while the jobs are young: the first step that runs waits for nothing, and
    // whatever another waits for is a job of this submission (Slurm refuses an unknown id anyway).
    const ids = new Set(recorded.values());
    expect(dependencyOf(lab, recorded.get('train')!)).toBe('(null)');
    for (const id of rerun) {
      const waits = dependencyOf(lab, recorded.get(id)!);
      for (const m of waits.matchAll(/:(\d+)/g)) expect(ids.has(m[1]!), `${id} waits for ${waits}`).toBe(true);
    }

    // waitForJobs waits for a job of every step of the manifest it is given: only those rerun here.
    const rerunOnly = { ...second, manifest: { ...second.manifest, steps: second.manifest.steps.filter((s) => rerun.includes(s.id)) } };
    const jobs = await waitForJobs(lab, rerunOnly, { timeoutMs: RUN_TIMEOUT_MS, pollMs: 1_000 });
    expect(jobs.map((j) => `${stepOfJob(second, j)?.id} ${j.state}`).sort()).toEqual(rerun.map((id) => `${id} COMPLETED`).sort());
    expect(jobsOf(lab, second)).toHaveLength(rerun.length);
    expect(runProblems(second), runProblems(second).join('\n\n')).toEqual([]);
    // The cached steps did not run here: Slurm wrote no log for them.
    for (const id of CACHED) expect(fs.existsSync(path.join(second.runDir, 'logs', `${id}.out`)), `${id}.out`).toBe(false);

    const metrics = (b: LabBundle) => fs.readFileSync(path.join(b.runDir, 'steps', 'evaluate', 'metrics.json'), 'utf8');
    expect(JSON.parse(metrics(second))).toMatchObject({ n_test: expect.any(Number), accuracy: expect.any(Number) });
    expect(metrics(second)).toBe(metrics(first));
  }, RUN_TIMEOUT_MS + 30_000);
});

describe.runIf(gate.lab === undefined && labRequired())('Slurm: the cluster lab for cached runs', () => {
  it('is up, since CI brought it up for this run (FLUXO_LAB=required)', () => {
    expect.fail(gate.reason);
  });
});
