/**
 * Exported bundles on the cluster lab: put one where the test user runs it, find the jobs it
 * submitted, wait for them, and read its exit markers and outputs.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { BundleManifest, ManifestStep } from '../../shared/compiler';
import type { JobState, Lab } from './lab';
import { FINAL_STATES, slurmAsRoot, sleep, userJobs } from './lab';

export interface LabBundle {
  /** Names the copy in messages (the example, or a variant of it). */
  label: string;
  /** The run folder: marker, log and output paths of the manifest are relative to it. */
  runDir: string;
  /** `runDir`/bundle: submit.sh, cancel.sh, manifest.json, steps/. */
  bundleDir: string;
  manifest: BundleManifest;
}

/**
 * Puts an exported bundle where its README.txt says: in a run folder of its own under the test
 * user's work root (resources/targets/lab.yaml: $HOME/fluxo-runs), as its "bundle" folder, all
 * owned by that user. `exported` is what `fluxo export --out` wrote: the bundle itself, or a
 * run-folder layout with the bundle in `bundle/`.
 */
export function installForUser(lab: Lab, exported: string, group: string, label: string): LabBundle {
  const runDir = path.join(lab.userHome, 'fluxo-runs', group, label);
  const bundleDir = path.join(runDir, 'bundle');
  let source: string;
  if (fs.existsSync(path.join(exported, 'submit.sh'))) source = exported;
  else if (fs.existsSync(path.join(exported, 'bundle', 'submit.sh'))) source = path.join(exported, 'bundle');
  else throw new Error(`no submit.sh in ${exported} or ${exported}/bundle, only: ${fs.readdirSync(exported).join(', ')}`);
  fs.rmSync(runDir, { recursive: true, force: true });
  fs.mkdirSync(runDir, { recursive: true });
  fs.cpSync(source, bundleDir, { recursive: true });
  const chown = spawnSync('chown', ['-R', `${lab.user}:`, path.dirname(runDir)], { encoding: 'utf8' });
  if (chown.status !== 0) throw new Error(`chown ${path.dirname(runDir)} failed: ${chown.stderr}`);
  const manifest = JSON.parse(fs.readFileSync(path.join(bundleDir, 'manifest.json'), 'utf8')) as BundleManifest;
  return { label, runDir, bundleDir, manifest };
}

export const taskIndexes = (step: ManifestStep): Array<number | null> => (step.tasks ? Array.from({ length: step.tasks.count }, (_, i) => i) : [null]);
export const withTask = (p: string, task: number | null): string => (task === null ? p : p.split('{task}').join(String(task)));
const unit = (step: ManifestStep, task: number | null) => `${step.id}${task === null ? '' : `[${task}]`}`;

/** Why the lab cannot run this bundle to the end, or null when it can. */
export function notRunnable(manifest: BundleManifest): string | null {
  for (const s of manifest.steps) {
    if (s.environment.kind === 'container') return `step ${s.id} needs a container (${s.environment.image}); the lab has no Apptainer`;
    if (s.environment.kind === 'modules' || s.environment.kind === 'conda') return `step ${s.id} needs ${s.environment.description}; the lab has neither modules nor conda`;
    if (s.resources.gpus > 0) return `step ${s.id} needs ${s.resources.gpus} GPU(s); the lab's GPUs are device files`;
  }
  return null;
}

/** The jobs the bundle submitted, known by their batch script (Slurm records its path). */
export function jobsOf(lab: Lab, b: LabBundle): JobState[] {
  return userJobs(lab).filter((j) => j.command.startsWith(`${b.bundleDir}/`));
}

/** The step a job runs. */
export function stepOfJob(b: LabBundle, job: JobState): ManifestStep | undefined {
  return b.manifest.steps.find((s) => path.join(b.bundleDir, s.script) === job.command);
}

/**
 * Polls squeue until the bundle has had a job for every step and none is waiting or running, then
 * returns every job with the last state Slurm gave it (a job finished long ago may have left
 * squeue by then: MinJobAge). A timeout names what is still active and why.
 */
export async function waitForJobs(lab: Lab, b: LabBundle, options: { timeoutMs: number; pollMs?: number }): Promise<JobState[]> {
  const deadline = Date.now() + options.timeoutMs;
  const seen = new Map<string, JobState>();
  for (;;) {
    for (const j of jobsOf(lab, b)) seen.set(j.id, j);
    const jobs = [...seen.values()];
    const active = jobs.filter((j) => !FINAL_STATES.has(j.state));
    const steps = new Set(jobs.map((j) => stepOfJob(b, j)?.id));
    if (active.length === 0 && b.manifest.steps.every((s) => steps.has(s.id))) return jobs;
    if (Date.now() > deadline) {
      const listed = active.map((j) => `${j.id} ${stepOfJob(b, j)?.id ?? '?'} ${j.state} (${j.reason})`).join(', ');
      throw new Error(`${b.label}: after ${Math.round(options.timeoutMs / 1000)} s still active: ${listed || 'none'}; steps with a job: ${[...steps].join(', ')}`);
    }
    await sleep(options.pollMs ?? 2_000);
  }
}

/** RUN/jobs.tsv, where submit.sh records each step's job id as Slurm accepts it: step -> job id. */
export function submittedJobs(b: LabBundle): Map<string, string> {
  const file = path.join(b.runDir, 'jobs.tsv');
  const rows = fs.readFileSync(file, 'utf8').trim().split('\n');
  const header = rows.shift()?.split('\t') ?? [];
  const step = header.indexOf('step');
  const job = header.indexOf('job');
  if (step < 0 || job < 0) throw new Error(`${file} has no "step" and "job" columns: ${header.join(', ')}`);
  return new Map(rows.map((r) => r.split('\t')).map((cells) => [cells[step] ?? '', cells[job] ?? '']));
}

/** Cancels the test user's unfinished jobs whose batch script is under `dir`; returns their ids. */
export function cancelJobsUnder(lab: Lab, dir: string): string[] {
  const ids = [...new Set(userJobs(lab).filter((j) => j.command.startsWith(`${dir}/`) && !FINAL_STATES.has(j.state)).map((j) => j.arrayJobId))];
  if (ids.length > 0) slurmAsRoot(lab, 'scancel', ids);
  return ids;
}

export function markerOf(b: LabBundle, step: ManifestStep, task: number | null): string | null {
  const file = path.join(b.runDir, withTask(step.marker, task));
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trim() : null;
}

export function logTail(b: LabBundle, step: ManifestStep, task: number | null, lines = 15): string {
  return [step.logs.out, step.logs.err]
    .map((l) => path.join(b.runDir, withTask(l, task)))
    .map((f) => `--- ${f}\n${fs.existsSync(f) ? fs.readFileSync(f, 'utf8').split('\n').slice(-lines).join('\n') : '(missing)'}`)
    .join('\n');
}

/** Everything wrong with a finished run, one message each (with the log's end): [] when it succeeded. */
export function runProblems(b: LabBundle): string[] {
  const problems: string[] = [];
  for (const step of b.manifest.steps) {
    for (const task of taskIndexes(step)) {
      const code = markerOf(b, step, task);
      if (code !== '0') problems.push(`${b.label}/${unit(step, task)}: exit marker ${code ?? 'missing'}\n${logTail(b, step, task)}`);
    }
    for (const out of step.outputs) {
      if (!fs.existsSync(path.join(b.runDir, out.path))) problems.push(`${b.label}/${step.id}: output ${out.port} (${out.path}) is missing`);
    }
  }
  return problems;
}
