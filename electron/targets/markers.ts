import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ExitMarker, RunStatus, StepRecord, StepState } from '../../shared/api';
import type { BundleManifest, ManifestStep } from '../../shared/compiler';

/**
 * Exit markers: every step script writes its own exit code to a small file from an EXIT trap
 * (logs/<id>.exit, or logs/<id>_<task>.exit for a task of an array). The marker outlives whatever
 * watched the job (Fluxo closed mid-run, a Slurm cluster without accounting), so the final state
 * of a run can be rebuilt from the run folder alone. This file holds what the local executor and
 * the cluster monitor share: where markers are, how to read them, how states follow from them.
 */

const FINAL: ReadonlySet<StepState> = new Set(['completed', 'failed', 'cancelled', 'skipped']);
const BLOCKING: ReadonlySet<StepState> = new Set(['failed', 'cancelled', 'skipped']);

/** A step's record before anything happened to it; `log` as the executor names it. */
export function waitingStep(step: ManifestStep, log: string): StepRecord {
  return {
    id: step.id,
    label: step.label,
    blockId: step.block.id,
    state: 'waiting',
    exitCode: null,
    startedAt: null,
    endedAt: null,
    seconds: null,
    log,
    outputs: step.outputs.map((o) => ({ stepId: step.id, port: o.port, format: o.format, path: o.path, task: o.task, exists: false, size: 0 })),
    tasks: null,
    marker: null,
    detail: null,
  };
}

export function isFinal(state: StepState): boolean {
  return FINAL.has(state);
}

/** Relative to the run folder. */
export function markerPath(step: ManifestStep, task: number | null): string {
  return task === null ? step.marker : step.marker.split('{task}').join(String(task));
}

/** Task indexes of a step, or [null] for a step that runs once. */
export function unitIndexes(step: ManifestStep): Array<number | null> {
  return step.tasks ? Array.from({ length: step.tasks.count }, (_, i) => i) : [null];
}

export type MarkerReading = { kind: 'found'; code: number } | { kind: 'missing' } | { kind: 'unreadable'; text: string };

export async function readMarker(file: string): Promise<MarkerReading> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch {
    return { kind: 'missing' };
  }
  const m = /^\s*(\d{1,3})\s*$/.exec(text);
  if (m && Number(m[1]) <= 255) return { kind: 'found', code: Number(m[1]) };
  return { kind: 'unreadable', text: text.slice(0, 40) };
}

/** What the state of one step or task is, and why. */
export interface UnitState {
  state: StepState;
  exitCode: number | null;
  marker: ExitMarker;
  detail: string | null;
}

/** How a process ended, as node:child_process reports it. */
export interface ProcessEnd {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export function signalExitCode(signal: NodeJS.Signals): number {
  // Bash's convention for a process ended by a signal; what Slurm reports as well.
  return 128 + (os.constants.signals[signal] ?? 0);
}

/**
 * The verdict on a finished process. The marker is the authority when present: it is written by
 * the script's own trap with the status of the script's last command, so it tells what the
 * block's command did, even when the process status says otherwise (a wrapper that swallows the
 * code, or a runner that died and never saw the process end). Without a marker the process status
 * decides and the record says the marker was missing: no marker with a signal means something
 * killed bash before its trap could run.
 */
export function judgeExit(marker: MarkerReading, end: ProcessEnd | null): UnitState {
  const processCode = end === null ? null : (end.code ?? (end.signal ? signalExitCode(end.signal) : null));
  if (marker.kind === 'found') {
    const disagree = processCode !== null && processCode !== marker.code;
    return {
      state: marker.code === 0 ? 'completed' : 'failed',
      exitCode: marker.code,
      marker: 'found',
      detail: disagree ? `the exit marker says ${marker.code} but the process ended with ${describeEnd(end!)}; the marker decides` : null,
    };
  }
  const note =
    marker.kind === 'unreadable' ? `the exit marker holds ${JSON.stringify(marker.text)}, not an exit code` : 'no exit marker';
  if (end === null) return { state: 'failed', exitCode: null, marker: marker.kind, detail: `${note}: the job ended without recording how` };
  if (end.signal) return { state: 'failed', exitCode: processCode, marker: marker.kind, detail: `killed by ${end.signal} (${note})` };
  return {
    state: processCode === 0 ? 'completed' : 'failed',
    exitCode: processCode,
    marker: marker.kind,
    detail: `exited with ${processCode ?? 'no code'} (${note})`,
  };
}

function describeEnd(end: ProcessEnd): string {
  return end.signal ? `signal ${end.signal}` : `exit code ${end.code}`;
}

/**
 * Whether a step or task may start, given the states of what it needs. Mode "all" waits for
 * every task of the upstream step (or its single job); mode "each" waits only for the upstream
 * task with the same index (Slurm's aftercorr), so a failed task skips only its counterpart.
 */
export type Verdict = { kind: 'ready' } | { kind: 'wait' } | { kind: 'blocked'; because: string };

export function dependencyVerdict(
  byId: ReadonlyMap<string, ManifestStep>,
  step: ManifestStep,
  task: number | null,
  stateOf: (stepId: string, task: number | null) => StepState,
): Verdict {
  const modes = new Map<string, 'all' | 'each'>(step.dependsOn.map((d) => [d, 'all']));
  for (const d of step.dependencies) modes.set(d.step, d.mode);
  let waiting = false;
  for (const [id, mode] of modes) {
    const up = byId.get(id);
    if (!up) continue;
    const upIndexes = unitIndexes(up);
    const corresponding = mode === 'each' && task !== null && up.tasks !== null && task < up.tasks.count;
    const needed = corresponding ? [task] : upIndexes;
    for (const i of needed) {
      const s = stateOf(id, i);
      if (BLOCKING.has(s)) {
        const which = i === null ? `"${up.label}"` : `task ${i} of "${up.label}"`;
        return { kind: 'blocked', because: `${which} ${s === 'failed' ? 'failed' : s === 'cancelled' ? 'was cancelled' : 'was skipped'}` };
      }
      if (s !== 'completed') waiting = true;
    }
  }
  return waiting ? { kind: 'wait' } : { kind: 'ready' };
}

/**
 * The state of an array step from its tasks. Failed when any task failed (the others still run
 * to the end, as on Slurm), completed when all completed; otherwise cancelled, then skipped.
 * While tasks remain, "running" once any has started (live) or "waiting" (rebuilt from markers).
 */
export function aggregateTasks(states: StepState[], live: boolean): StepState {
  if (states.some((s) => s === 'running')) return 'running';
  if (states.every(isFinal)) {
    if (states.some((s) => s === 'failed')) return 'failed';
    if (states.some((s) => s === 'cancelled')) return 'cancelled';
    if (states.some((s) => s === 'skipped')) return 'skipped';
    return 'completed';
  }
  return live && states.some(isFinal) ? 'running' : 'waiting';
}

/** A sentence on an array step that did not complete: which tasks failed or did not run. */
export function summarizeTasks(tasks: Array<{ index: number; state: StepState; exitCode: number | null }>): string | null {
  const parts: string[] = [];
  for (const state of ['failed', 'cancelled', 'skipped'] as const) {
    const hit = tasks.filter((t) => t.state === state);
    if (hit.length === 0) continue;
    const list = hit.map((t) => (state === 'failed' && t.exitCode !== null ? `${t.index} (exit code ${t.exitCode})` : String(t.index)));
    parts.push(`${hit.length} of ${tasks.length} tasks ${state}: ${list.join(', ')}`);
  }
  return parts.length ? parts.join('; ') : null;
}

export interface FinalTaskState extends UnitState {
  index: number;
}

export interface FinalStepState extends UnitState {
  id: string;
  /** null for a step that runs once. */
  tasks: FinalTaskState[] | null;
}

export interface FinalStatesOptions {
  /**
   * True when nothing of the run can still be running or queued (the jobs are gone from the
   * scheduler, the local runner stopped). Then a step or task without a marker whose needs were
   * met did end, without recording how: it is failed, not waiting.
   */
  ended?: boolean;
}

/**
 * Rebuilds every step's (and task's) state from marker files alone. Pure apart from reading the
 * markers: `statesFromMarkers` does the reasoning on readings the caller supplies.
 */
export async function readFinalStates(manifest: BundleManifest, runDir: string, options: FinalStatesOptions = {}): Promise<FinalStepState[]> {
  const readings = new Map<string, MarkerReading>();
  for (const step of manifest.steps) {
    for (const i of unitIndexes(step)) {
      const rel = markerPath(step, i);
      readings.set(rel, await readMarker(path.join(runDir, rel)));
    }
  }
  return statesFromMarkers(manifest, (rel) => readings.get(rel) ?? { kind: 'missing' }, options);
}

export function statesFromMarkers(manifest: BundleManifest, reading: (markerRel: string) => MarkerReading, options: FinalStatesOptions = {}): FinalStepState[] {
  const units = new Map<string, UnitState>();
  const key = (id: string, i: number | null) => `${id}\u0000${i ?? ''}`;
  const stateOf = (id: string, i: number | null) => units.get(key(id, i))?.state ?? 'waiting';
  const byId = new Map(manifest.steps.map((s) => [s.id, s]));
  const ordered = [...manifest.order.map((id) => byId.get(id)!).filter(Boolean), ...manifest.steps.filter((s) => !manifest.order.includes(s.id))];
  const result = new Map<string, FinalStepState>();
  for (const step of ordered) {
    const tasks: FinalTaskState[] = [];
    for (const i of unitIndexes(step)) {
      const r = reading(markerPath(step, i));
      let u: UnitState;
      if (r.kind === 'found') u = judgeExit(r, null);
      else {
        const v = dependencyVerdict(byId, step, i, stateOf);
        if (v.kind === 'blocked') u = { state: 'skipped', exitCode: null, marker: null, detail: `not run: ${v.because}` };
        else if (options.ended && v.kind === 'ready') u = judgeExit(r, null);
        else u = { state: 'waiting', exitCode: null, marker: null, detail: null };
      }
      units.set(key(step.id, i), u);
      if (i !== null) tasks.push({ index: i, ...u });
    }
    if (step.tasks === null) result.set(step.id, { id: step.id, ...units.get(key(step.id, null))!, tasks: null });
    else {
      const state = aggregateTasks(
        tasks.map((t) => t.state),
        false,
      );
      const firstFailed = tasks.find((t) => t.state === 'failed');
      result.set(step.id, {
        id: step.id,
        state,
        exitCode: state === 'completed' ? 0 : (firstFailed?.exitCode ?? null),
        marker: null,
        detail: isFinal(state) ? summarizeTasks(tasks) : null,
        tasks,
      });
    }
  }
  return manifest.steps.map((s) => result.get(s.id)!);
}

/** The run's status once every step is final. */
export function runStatusOf(states: StepState[], cancelled: boolean): RunStatus {
  if (cancelled) return 'cancelled';
  if (!states.every(isFinal)) return 'running';
  return states.every((s) => s === 'completed') ? 'completed' : 'failed';
}
