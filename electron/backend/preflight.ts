import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { PreflightReport, PreflightStep, PreflightUpload, StartRunRequest } from '../../shared/api';
import { ErrorCode, fail } from '../../shared/api';
import type { Catalog } from '../../shared/catalog';
import { checkTarget, orderSteps } from '../../shared/compiler';
import { planSteps } from '../../shared/compiler/plan';
import type { TargetProfile } from '../../shared/targets';
import { findPartition } from '../../shared/targets';
import { hasErrors, validatePipeline } from '../../shared/validate';
import { listLocalTree } from '../targets/slurm/staging';

export interface PreflightDeps {
  catalog: () => Promise<Catalog>;
  targets: () => Promise<TargetProfile[]>;
  /** Where earlier runs live: their remote-plan.json says what was sent to which cluster. */
  runsDir: string;
  /** This computer's cores and memory, the limits of a local run. */
  cores: number;
  memoryMb: number;
}

/** Earlier runs looked at to tell whether an input was sent already; the newest first. */
const MAX_RUNS_SCANNED = 200;
const hundredths = (x: number) => Math.round(x * 100) / 100;

/**
 * What pressing Run would do, without starting anything or connecting anywhere: the problems on
 * this target, each step's resources against the target's limits, the upper bound of core- and
 * GPU-hours, and, for a cluster, the local files that go up first.
 */
export async function preflightRun(request: StartRunRequest, deps: PreflightDeps): Promise<PreflightReport> {
  const catalog = await deps.catalog();
  const target = (await deps.targets()).find((t) => t.id === request.targetId);
  if (!target) fail(ErrorCode.UnknownTarget, `there is no target "${request.targetId}"`, 'Run "fluxo targets" to list them.');
  const doc = request.document;
  const norm = (v: string | null | undefined) => (v ? v : null);
  const options = { account: norm(request.account), qos: norm(request.qos), reservation: norm(request.reservation) };

  const problems = validatePipeline(doc, catalog);
  // The target's checks assume a pipeline that validates; they would only repeat its errors.
  if (!hasErrors(problems)) problems.push(...checkTarget(doc, catalog, target, options));

  const slurm = target.kind === 'slurm';
  const planned = planSteps(doc, catalog, target, options, orderSteps(doc));
  const steps: PreflightStep[] = planned.map((p) => {
    const r = p.resources;
    const tasks = p.tasks?.count ?? 1;
    const part = slurm && r.partition ? findPartition(target, r.partition) : undefined;
    const limits = slurm
      ? { cpus: part?.maxCpus ?? null, memoryMb: part?.maxMemoryMb ?? null, timeMinutes: part?.maxTimeMinutes ?? null, gpus: part?.maxGpus ?? null }
      : { cpus: deps.cores, memoryMb: deps.memoryMb, timeMinutes: null, gpus: null };
    const over: PreflightStep['over'] = [];
    if (limits.cpus !== null && r.cpus > limits.cpus) over.push('cpus');
    if (limits.memoryMb !== null && r.memoryMb > limits.memoryMb) over.push('memoryMb');
    if (limits.timeMinutes !== null && r.timeMinutes > limits.timeMinutes) over.push('timeMinutes');
    if (limits.gpus !== null && r.gpus > limits.gpus) over.push('gpus');
    // On this computer a step never holds more cores than there are.
    const cpus = slurm ? r.cpus : Math.min(r.cpus, deps.cores);
    return {
      id: p.step.id,
      label: p.step.label || p.block.title,
      blockId: p.block.id,
      cpus: r.cpus,
      memoryMb: r.memoryMb,
      timeMinutes: r.timeMinutes,
      gpus: r.gpus,
      partition: r.partition,
      tasks,
      limits,
      over,
      coreHours: hundredths((tasks * cpus * r.timeMinutes) / 60),
      gpuHours: hundredths((tasks * r.gpus * r.timeMinutes) / 60),
    };
  });

  return {
    targetId: target.id,
    targetKind: target.kind,
    targetTitle: target.title,
    problems,
    canRun: !hasErrors(problems),
    steps,
    coreHours: hundredths(steps.reduce((n, s) => n + s.coreHours, 0)),
    gpuHours: hundredths(steps.reduce((n, s) => n + s.gpuHours, 0)),
    jobs: steps.length,
    tasks: steps.reduce((n, s) => n + s.tasks, 0),
    localCores: slurm ? null : deps.cores,
    upload: slurm ? await uploadOf(request, catalog, target.id, deps.runsDir) : null,
    ...options,
  };
}

/**
 * The files on this computer that steps read (absolute path params that exist here), as the run
 * would send them. Paths that do not exist here are taken to be on the cluster already, as
 * RunManager.startRemote does.
 */
async function uploadOf(request: StartRunRequest, catalog: Catalog, targetId: string, runsDir: string): Promise<NonNullable<PreflightReport['upload']>> {
  const seen = new Set<string>();
  const items: PreflightUpload[] = [];
  const sent = await sentBefore(runsDir, targetId);
  for (const step of request.document.steps) {
    const block = catalog.blocks.find((b) => b.id === step.type);
    for (const def of block?.params ?? []) {
      if (def.type !== 'path') continue;
      const value = step.params[def.id];
      if (typeof value !== 'string' || value === '' || !path.isAbsolute(value) || seen.has(value)) continue;
      seen.add(value);
      const st = await fs.stat(value).catch(() => null);
      if (!st) continue;
      let files = 1;
      let bytes = st.size;
      let known = sent.get(value) === st.size;
      if (st.isDirectory()) {
        const tree = await listLocalTree(value, '/');
        files = tree.length;
        bytes = tree.reduce((n, f) => n + (f.size ?? 0), 0);
        known = tree.length > 0 && tree.every((f) => sent.get(f.local) === f.size);
      }
      items.push({ local: value, files, bytes, sentBefore: known });
    }
  }
  return { files: items.reduce((n, i) => n + i.files, 0), bytes: items.reduce((n, i) => n + i.bytes, 0), items };
}

/** Local path -> size of what earlier runs on this target sent (their remote-plan.json). */
async function sentBefore(runsDir: string, targetId: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  const names = (await fs.readdir(runsDir).catch(() => [] as string[])).sort().reverse().slice(0, MAX_RUNS_SCANNED);
  for (const name of names) {
    try {
      const record = JSON.parse(await fs.readFile(path.join(runsDir, name, 'run.json'), 'utf8')) as { targetId?: string; status?: string };
      if (record.targetId !== targetId || record.status !== 'completed') continue;
      const plan = JSON.parse(await fs.readFile(path.join(runsDir, name, 'remote-plan.json'), 'utf8')) as { inputs?: Array<{ local: string; size?: number }> };
      for (const i of plan.inputs ?? []) if (typeof i.size === 'number' && !out.has(i.local)) out.set(i.local, i.size);
    } catch {
      // A run folder without a record or plan (local, or being written) says nothing about uploads.
    }
  }
  return out;
}
