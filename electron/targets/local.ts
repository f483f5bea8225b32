import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createWriteStream, promises as fs, readdirSync, readFileSync } from 'node:fs';
import type { WriteStream } from 'node:fs';
import path from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import type { RunStatus, StepRecord, StepState, TaskRecord } from '../../shared/api';
import type { BundleManifest, ManifestStep } from '../../shared/compiler';
import { ENV } from '../../shared/compiler';
import type { ProcessEnd } from './markers';
import { aggregateTasks, dependencyVerdict, isFinal, judgeExit, markerPath, readMarker, runStatusOf, summarizeTasks, unitIndexes, waitingStep } from './markers';

export interface LocalExecutionOptions {
  /**
   * Steps whose outputs an earlier run already made and that are copied into this run folder
   * (a rerun from a later step): they are completed at once, marked cached, and never run.
   */
  reused?: ReadonlyMap<string, { runId: string }>;
  manifest: BundleManifest;
  bundleDir: string;
  runDir: string;
  /** Interpreter chosen by choosePython; passed to every step as FLUXO_PYTHON. */
  python: string | null;
  /** CPU slots shared by running steps and tasks (default: the number of cores). */
  slots: number;
  onStepChanged(step: StepRecord): void;
  /** Output as it is printed. For a task of an array every line starts with "[task i] ". */
  onLog(stepId: string, text: string, task: number | null): void;
  /** Grace period between SIGTERM and SIGKILL when cancelling. */
  killGraceMs?: number;
}

/** One process to run: a step that runs once, or one task of an array. */
interface Unit {
  step: ManifestStep;
  /** null for a step that runs once. */
  index: number | null;
  /** The task's record; for a step that runs once, the fields the step record mirrors. */
  rec: TaskRecord;
  cpus: number;
}

interface Running {
  child: ChildProcess;
  pgid: number;
  /** Set when cancel() stopped it: its state is "cancelled" whatever it printed or exited with. */
  cancelled: boolean;
  stopping: Promise<void> | null;
}

/**
 * Runs a compiled bundle on this computer with Slurm's semantics: steps in dependency order,
 * each task of an array as its own process (FLUXO_TASK=i), at most `tasks.maxParallel` of an
 * array at once (Slurm's %K) and never more than the CPU slots. A dependency "all" waits for every
 * task upstream (afterok); "each" lets task i start once upstream task i completed (aftercorr), so
 * a failed task skips only its counterpart. Independent branches and sibling tasks always finish.
 * Every process runs in its own process group, so cancel ends every process a step started.
 */
export class LocalExecution {
  readonly steps: StepRecord[];
  private readonly units: Unit[];
  private readonly byStep = new Map<string, Unit[]>();
  private readonly stepsById: Map<string, ManifestStep>;
  private readonly running = new Map<Unit, Running>();
  private cancelled = false;
  private finished: Promise<RunStatus> | null = null;
  private wake: (() => void) | null = null;

  constructor(private readonly options: LocalExecutionOptions) {
    const { manifest, slots } = options;
    this.stepsById = new Map(manifest.steps.map((s) => [s.id, s]));
    this.steps = manifest.steps.map((s) => waitingStep(s, logPath(manifest, s, s.tasks ? '{task}' : null)));
    for (const s of manifest.steps) {
      // The compiler never makes an empty array; a hand-made manifest that does would hang the run.
      if (s.tasks && s.tasks.count < 1) throw new Error(`step "${s.id}" is an array of ${s.tasks.count} tasks`);
    }
    const ordered = [...manifest.order.map((id) => this.stepsById.get(id)!).filter(Boolean), ...manifest.steps.filter((s) => !manifest.order.includes(s.id))];
    this.units = ordered.flatMap((step) =>
      unitIndexes(step).map((index) => ({
        step,
        index,
        cpus: Math.min(Math.max(1, step.resources.cpus), Math.max(1, slots)),
        rec: {
          index: index ?? 0,
          params: index === null ? {} : (step.tasks?.points[index] ?? {}),
          state: 'waiting' as StepState,
          exitCode: null,
          startedAt: null,
          endedAt: null,
          seconds: null,
          log: logPath(manifest, step, index),
          marker: null,
          detail: null,
        },
      })),
    );
    for (const u of this.units) this.byStep.set(u.step.id, [...(this.byStep.get(u.step.id) ?? []), u]);
    for (const s of this.steps) if (this.stepsById.get(s.id)!.tasks) s.tasks = this.byStep.get(s.id)!.map((u) => ({ ...u.rec }));
  }

  start(): Promise<RunStatus> {
    this.finished ??= this.loop();
    return this.finished;
  }

  /** Stops every running step and task, waits until their processes are gone, and marks the rest cancelled. */
  async cancel(): Promise<RunStatus> {
    this.cancelled = true;
    const grace = this.options.killGraceMs ?? 5000;
    await Promise.all(
      [...this.running.values()].map((r) => {
        r.cancelled = true;
        return this.stop(r, grace);
      }),
    );
    this.wake?.();
    return this.start();
  }

  /** SIGTERM to the whole group, SIGKILL after the grace period, resolved when no process of it is left. */
  private stop(r: Running, grace: number): Promise<void> {
    r.stopping ??= (async () => {
      signalGroup(r.pgid, 'SIGTERM');
      if (!(await groupGone(r.pgid, grace))) {
        signalGroup(r.pgid, 'SIGKILL');
        await groupGone(r.pgid, 5000);
      }
    })();
    return r.stopping;
  }

  private emitStep(stepId: string): void {
    const spec = this.stepsById.get(stepId)!;
    const step = this.steps.find((s) => s.id === stepId)!;
    const units = this.byStep.get(stepId)!;
    if (!spec.tasks) {
      const { state, exitCode, startedAt, endedAt, seconds, marker, detail } = units[0]!.rec;
      Object.assign(step, { state, exitCode, startedAt, endedAt, seconds, marker, detail });
    } else {
      const tasks = units.map((u) => ({ ...u.rec, params: { ...u.rec.params } }));
      const state = aggregateTasks(
        tasks.map((t) => t.state),
        true,
      );
      const starts = tasks.map((t) => t.startedAt).filter((t): t is string => t !== null);
      const ends = tasks.map((t) => t.endedAt).filter((t): t is string => t !== null);
      const startedAt = starts.length ? starts.reduce((a, b) => (a < b ? a : b)) : null;
      const endedAt = isFinal(state) && ends.length ? ends.reduce((a, b) => (a > b ? a : b)) : null;
      Object.assign(step, {
        tasks,
        state,
        startedAt,
        endedAt,
        seconds: startedAt && endedAt ? Math.round((Date.parse(endedAt) - Date.parse(startedAt)) / 100) / 10 : null,
        exitCode: state === 'completed' ? 0 : (tasks.find((t) => t.state === 'failed')?.exitCode ?? null),
        detail: isFinal(state) ? summarizeTasks(tasks) : null,
      });
    }
    this.options.onStepChanged(copyStep(step));
  }

  private update(u: Unit, patch: Partial<TaskRecord>): void {
    Object.assign(u.rec, patch);
    this.emitStep(u.step.id);
  }

  // A step's units are in task order, so task i is at index i.
  private stateOf = (stepId: string, index: number | null): StepState => this.byStep.get(stepId)?.[index ?? 0]?.rec.state ?? 'waiting';

  /** A step an earlier run completed: its copied outputs stand for it. */
  private async reuse(u: Unit, from: { runId: string }): Promise<void> {
    const step = this.steps.find((s) => s.id === u.step.id)!;
    for (const o of step.outputs) {
      if (o.task !== u.index) continue;
      const st = await fs.stat(path.join(this.options.runDir, o.path)).catch(() => null);
      o.exists = st !== null;
      o.size = st?.size ?? 0;
    }
    step.cached = true;
    step.cachedFrom = from.runId;
    const now = new Date().toISOString();
    this.update(u, { state: 'completed', exitCode: 0, startedAt: now, endedAt: now, seconds: 0, marker: 'found', detail: `reused from run ${from.runId}` });
  }

  private async loop(): Promise<RunStatus> {
    for (const u of this.units) {
      const from = this.options.reused?.get(u.step.id);
      if (from) await this.reuse(u, from);
    }
    let free = this.options.slots;
    const perStep = new Map<string, number>();
    const inFlight = new Set<Promise<void>>();

    for (;;) {
      if (this.cancelled) break;
      // Units are in dependency order, so one pass carries a skip down a whole chain.
      for (const u of this.units) {
        if (u.rec.state !== 'waiting') continue;
        const v = dependencyVerdict(this.stepsById, u.step, u.index, this.stateOf);
        if (v.kind === 'blocked') this.update(u, { state: 'skipped', detail: `not run: ${v.because}` });
      }
      let started = false;
      for (const u of this.units) {
        if (u.rec.state !== 'waiting' || this.cancelled) continue;
        if (dependencyVerdict(this.stepsById, u.step, u.index, this.stateOf).kind !== 'ready') continue;
        const limit = u.step.tasks?.maxParallel ?? Infinity;
        if ((perStep.get(u.step.id) ?? 0) >= limit) continue;
        // A unit never waits for more slots than exist; it waits for enough of them to be free.
        if (u.cpus > free && inFlight.size > 0) continue;
        free -= u.cpus;
        perStep.set(u.step.id, (perStep.get(u.step.id) ?? 0) + 1);
        started = true;
        // Marked running before the next unit is considered, so the loop never starts it twice.
        u.rec.state = 'running';
        const p: Promise<void> = this.runUnit(u)
          .catch((e: unknown) => {
            this.update(u, { state: 'failed', detail: `Fluxo could not run it: ${e instanceof Error ? e.message : String(e)}` });
          })
          .finally(() => {
            free += u.cpus;
            perStep.set(u.step.id, perStep.get(u.step.id)! - 1);
            inFlight.delete(p);
            this.wake?.();
          });
        inFlight.add(p);
      }
      if (inFlight.size === 0 && !started) break;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
      this.wake = null;
    }
    await Promise.all(inFlight);
    for (const u of this.units) {
      if (u.rec.state !== 'waiting') continue;
      if (this.cancelled) this.update(u, { state: 'cancelled', detail: 'not run: the run was cancelled' });
      else this.update(u, { state: 'skipped', detail: 'not run: what it needs never completed' });
    }
    return runStatusOf(
      this.steps.map((s) => s.state),
      this.cancelled,
    );
  }

  private async runUnit(u: Unit): Promise<void> {
    const { runDir, bundleDir, python } = this.options;
    const spec = u.step;
    const logFile = path.join(runDir, u.rec.log);
    const marker = path.join(runDir, markerPath(spec, u.index));
    await fs.mkdir(path.dirname(logFile), { recursive: true });
    await fs.mkdir(path.dirname(marker), { recursive: true });
    // A marker left by an earlier attempt must not speak for this one.
    await fs.rm(marker, { force: true });
    if (this.cancelled) {
      this.update(u, { state: 'cancelled', detail: 'not run: the run was cancelled' });
      return;
    }
    const log = createWriteStream(logFile, { flags: 'w' });
    const started = Date.now();
    this.update(u, { state: 'running', startedAt: new Date(started).toISOString() });

    const env: NodeJS.ProcessEnv = {
      ...process.env,
      [ENV.run]: runDir,
      [ENV.bundle]: bundleDir,
      // Unbuffered so the log streams while the step runs, not when it ends.
      PYTHONUNBUFFERED: '1',
      PYTHONDONTWRITEBYTECODE: '1',
      MPLBACKEND: 'Agg',
      MPLCONFIGDIR: path.join(runDir, '.cache', 'matplotlib'),
      // Parallel steps must not each spawn one thread per core.
      OMP_NUM_THREADS: String(u.cpus),
    };
    // Step scripts let SLURM_ARRAY_TASK_ID win over FLUXO_TASK; Fluxo itself may run inside a
    // Slurm job (an interactive session), whose array variables must not pick the task here.
    for (const k of Object.keys(env)) if (k.startsWith('SLURM_ARRAY_')) delete env[k];
    delete env[ENV.task];
    if (u.index !== null) env[ENV.task] = String(u.index);
    if (python) env[ENV.python] = python;

    const emit = linePrefixer(u.index === null ? '' : `[task ${u.index}] `, (t) => this.options.onLog(spec.id, t, u.index));
    const child = spawn('bash', [path.join(bundleDir, spec.script)], {
      cwd: runDir,
      env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      windowsHide: true,
    });
    this.track(u, child);
    const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
    const end = await new Promise<ProcessEnd>((resolve) => {
      child.once('exit', (code, signal) => resolve({ code, signal }));
      child.once('error', (e) => {
        const text = `Fluxo could not start this step: ${e.message}\n`;
        log.write(text);
        emit(text);
        if (child.pid === undefined) resolve({ code: 127, signal: null });
      });
      pipeLog(child.stdout, log, emit);
      pipeLog(child.stderr, log, emit);
    });
    const ended = Date.now();
    const r = this.running.get(u);
    if (r) {
      // Like Slurm at the end of a job: whatever the script left behind in its group ends with it.
      if (groupAlive(r.pgid)) await this.stop(r, this.options.killGraceMs ?? 5000);
      // A process that left the group may still hold the pipes; the log must not wait for it forever.
      await settleWithin(closed, 2000);
    }
    const wasCancelled = r?.cancelled ?? false;
    this.running.delete(u);
    await closeStream(log);
    emit.flush();
    const verdict = judgeExit(await readMarker(marker), end);
    const outputs = this.steps.find((s) => s.id === spec.id)!.outputs;
    for (const o of outputs) {
      if (o.task !== u.index) continue;
      const st = await fs.stat(path.join(runDir, o.path)).catch(() => null);
      o.exists = st !== null;
      o.size = st?.size ?? 0;
    }
    this.update(u, {
      state: wasCancelled ? 'cancelled' : verdict.state,
      exitCode: verdict.exitCode,
      marker: verdict.marker,
      detail: wasCancelled ? 'cancelled while running' : verdict.detail,
      endedAt: new Date(ended).toISOString(),
      seconds: Math.round((ended - started) / 100) / 10,
    });
  }

  /** Registers the process before anything can cancel it. */
  private track(u: Unit, child: ChildProcess): void {
    if (child.pid !== undefined) this.running.set(u, { child, pgid: child.pid, cancelled: false, stopping: null });
  }
}

/** Local logs hold stdout and stderr together: the manifest's (one file for both), else logs/<id>[_<task>].log. */
function logPath(manifest: BundleManifest, step: ManifestStep, index: number | string | null): string {
  const own = manifest.targetKind === 'local' && step.logs.out === step.logs.err ? step.logs.out : null;
  if (own !== null) return index === null ? own : own.split('{task}').join(String(index));
  return index === null ? `logs/${step.id}.log` : `logs/${step.id}_${index}.log`;
}

function copyStep(step: StepRecord): StepRecord {
  return {
    ...step,
    outputs: step.outputs.map((o) => ({ ...o })),
    tasks: step.tasks ? step.tasks.map((t) => ({ ...t, params: { ...t.params } })) : null,
  };
}

type LinePrefixer = ((text: string) => void) & { flush(): void };

/**
 * Prefixes each whole line so interleaved tasks stay readable in one step's log view; a partial
 * line waits for its end (or the flush when the task ends). With no prefix, text passes as it comes.
 */
function linePrefixer(prefix: string, emit: (text: string) => void): LinePrefixer {
  let pending = '';
  const write = ((text: string) => {
    if (!prefix) return emit(text);
    pending += text;
    const cut = pending.lastIndexOf('\n');
    if (cut < 0) return;
    const whole = pending.slice(0, cut);
    pending = pending.slice(cut + 1);
    emit(`${whole.split('\n').map((line) => prefix + line).join('\n')}\n`);
  }) as LinePrefixer;
  write.flush = () => {
    if (pending) emit(`${prefix}${pending}\n`);
    pending = '';
  };
  return write;
}

function pipeLog(stream: NodeJS.ReadableStream | null, log: WriteStream, emit: (text: string) => void): void {
  if (!stream) return;
  // One decoder per stream so a UTF-8 character split across chunks is never mangled.
  const decoder = new StringDecoder('utf8');
  stream.on('data', (chunk: Buffer) => {
    log.write(chunk);
    const text = decoder.write(chunk);
    if (text) emit(text);
  });
  stream.on('end', () => {
    const rest = decoder.end();
    if (rest) emit(rest);
  });
}

function closeStream(stream: WriteStream): Promise<void> {
  return new Promise((resolve) => stream.end(() => resolve()));
}

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Waits for a promise, at most `ms`, without leaving a timer behind that keeps the process alive. */
async function settleWithin(p: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([p, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // Already gone.
  }
}

/**
 * Whether a process group still has a live member. Zombies do not count: where PID 1 does not
 * reap orphans (some containers), a killed process stays a zombie forever yet holds nothing.
 */
function groupAlive(pgid: number): boolean {
  if (process.platform === 'linux') {
    try {
      for (const name of readdirSync('/proc')) {
        if (!/^\d+$/.test(name)) continue;
        let stat: string;
        try {
          stat = readFileSync(`/proc/${name}/stat`, 'utf8');
        } catch {
          continue;
        }
        // Fields after the command name (which may hold spaces and parentheses): state ppid pgrp ...
        const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        if (Number(rest[2]) === pgid && rest[0] !== 'Z' && rest[0] !== 'X') return true;
      }
      return false;
    } catch {
      // No /proc: fall back to asking the kernel.
    }
  }
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Polls until the group has no live member; false when the time ran out first. */
async function groupGone(pgid: number, withinMs: number): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    if (!groupAlive(pgid)) return true;
    if (Date.now() >= deadline) return false;
    await delay(50);
  }
}
