import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BundleManifest, ManifestDependency, ManifestStep } from '../../shared/compiler';

/**
 * Hand-built bundles of tiny bash steps for the executor and marker tests. Each script starts the
 * way compiled step scripts do: the task index from SLURM_ARRAY_TASK_ID or FLUXO_TASK, an EXIT
 * trap that writes the script's own status to its marker, and a folder of its own
 * (steps/<id>/ or steps/<id>/task-<i>/) as the working directory.
 */
export interface TestStep {
  id: string;
  /** Step ids (mode "all"), or explicit dependencies. */
  deps?: Array<string | ManifestDependency>;
  /** Bash run inside the step's (or task's) folder; $task holds the task index. */
  body: string;
  cpus?: number;
  /** Run as an array of this many tasks. */
  tasks?: number;
  maxParallel?: number | null;
  /** false: no EXIT trap, as in a script that predates markers. */
  marker?: boolean;
}

export interface TestBundle {
  dir: string;
  bundleDir: string;
  manifest: BundleManifest;
}

export function makeBundle(root: string, steps: TestStep[]): TestBundle {
  const dir = mkdtempSync(path.join(root, 'run-'));
  const bundleDir = path.join(dir, 'bundle');
  mkdirSync(path.join(bundleDir, 'steps'), { recursive: true });
  const manifestSteps: ManifestStep[] = steps.map((s, n) => {
    const script = `steps/${String(n + 1).padStart(2, '0')}-${s.id}.sh`;
    const array = s.tasks !== undefined;
    const marker = array ? `logs/${s.id}_{task}.exit` : `logs/${s.id}.exit`;
    const folder = array ? `steps/${s.id}/task-\${task}` : `steps/${s.id}`;
    const lines = [
      '#!/usr/bin/env bash',
      'set -euo pipefail',
      'task="${SLURM_ARRAY_TASK_ID:-${FLUXO_TASK:-}}"',
      ...(s.marker === false ? [] : [`marker="$FLUXO_RUN/${marker.replace('{task}', '${task}')}"`, `trap 'echo "$?" > "$marker"' EXIT`]),
      `mkdir -p "$FLUXO_RUN/${folder}"`,
      `cd "$FLUXO_RUN/${folder}"`,
      s.body,
      '',
    ];
    writeFileSync(path.join(bundleDir, script), lines.join('\n'));
    const dependencies: ManifestDependency[] = (s.deps ?? []).map((d) => (typeof d === 'string' ? { step: d, mode: 'all' } : d));
    const count = s.tasks ?? 0;
    return {
      id: s.id,
      label: `Step ${s.id}`,
      block: { id: 'shell', version: 1, title: 'Shell' },
      script,
      dependsOn: dependencies.map((d) => d.step),
      dependencies,
      outputs: array
        ? Array.from({ length: count }, (_, i) => ({ port: 'out', format: 'text', path: `steps/${s.id}/task-${i}/out.txt`, task: i }))
        : [{ port: 'out', format: 'text', path: `steps/${s.id}/out.txt`, task: null }],
      resources: { cpus: s.cpus ?? 1, memoryMb: 100, timeMinutes: 1, gpus: 0, partition: null, qos: null, cpusRaisedFrom: null },
      tasks: array ? { count, maxParallel: s.maxParallel ?? null, points: Array.from({ length: count }, (_, i) => ({ rate: i / 10 })), sweepOf: s.id } : null,
      environment: { kind: 'system', description: 'software on PATH', modules: [], image: null, conda: null, tools: [], runtime: null, gpuFlag: null, pulledImage: null },
      params: {},
      marker,
      logs: array ? { out: `logs/${s.id}_{task}.log`, err: `logs/${s.id}_{task}.log` } : { out: `logs/${s.id}.log`, err: `logs/${s.id}.log` },
      jobName: null,
    };
  });
  const manifest: BundleManifest = {
    format: 'fluxo-bundle',
    version: 2,
    pipeline: { name: 'test' },
    target: 'local',
    targetKind: 'local',
    account: null,
    qos: null,
    reservation: null,
    estimate: { coreHours: 0, gpuHours: 0, jobs: steps.length, tasks: 0 },
    entry: { run: 'run.sh', submit: null, cancel: null },
    slurm: null,
    order: steps.map((s) => s.id),
    steps: manifestSteps,
    python: null,
  };
  return { dir, bundleDir, manifest };
}

export function newRoot(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'fluxo-local-'));
}

/**
 * Whether a process still runs. A zombie counts as gone: where PID 1 does not reap orphans (some
 * containers) a killed process stays a zombie forever, though it runs nothing and holds nothing.
 */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
    return state !== 'Z' && state !== 'X';
  } catch {
    return process.platform !== 'linux';
  }
}
