import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createWriteStream, promises as fs } from 'node:fs';
import type { WriteStream } from 'node:fs';
import path from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import type { RunStatus, StepRecord } from '../../shared/api';
import type { BundleManifest } from '../../shared/compiler';
import { ENV } from '../../shared/compiler';

export interface LocalExecutionOptions {
  manifest: BundleManifest;
  bundleDir: string;
  runDir: string;
  /** Interpreter chosen by choosePython; passed to every step as FLUXO_PYTHON. */
  python: string | null;
  /** CPU slots shared by running steps (default: the number of cores). */
  slots: number;
  onStepChanged(step: StepRecord): void;
  onLog(stepId: string, text: string): void;
  /** Grace period between SIGTERM and SIGKILL when cancelling. */
  killGraceMs?: number;
}

/**
 * Runs a compiled bundle on this computer: steps in dependency order, independent ones in
 * parallel while CPU slots last. Each step runs in its own process group so cancelling ends
 * every process the step started (Python workers included), not only bash.
 * Like Slurm's afterok, a failed step skips what depends on it while independent branches finish.
 */
export class LocalExecution {
  readonly steps: StepRecord[];
  private readonly children = new Map<string, ChildProcess>();
  private cancelled = false;
  private finished: Promise<RunStatus> | null = null;
  private wake: (() => void) | null = null;

  constructor(private readonly options: LocalExecutionOptions) {
    this.steps = options.manifest.steps.map((s) => ({
      id: s.id,
      label: s.label,
      blockId: s.block.id,
      state: 'waiting',
      exitCode: null,
      startedAt: null,
      endedAt: null,
      seconds: null,
      log: `logs/${s.id}.log`,
      outputs: s.outputs.map((o) => ({ stepId: s.id, port: o.port, format: o.format, path: o.path, exists: false, size: 0 })),
    }));
  }

  start(): Promise<RunStatus> {
    this.finished ??= this.loop();
    return this.finished;
  }

  /** Stops every running step and waits until their processes are gone. */
  async cancel(): Promise<RunStatus> {
    this.cancelled = true;
    const grace = this.options.killGraceMs ?? 5000;
    const exits = [...this.children.values()].map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('close', () => resolve());
          killGroup(child, 'SIGTERM');
          const timer = setTimeout(() => killGroup(child, 'SIGKILL'), grace);
          child.once('close', () => clearTimeout(timer));
        }),
    );
    await Promise.all(exits);
    this.wake?.();
    return this.start();
  }

  private update(step: StepRecord, patch: Partial<StepRecord>): void {
    Object.assign(step, patch);
    this.options.onStepChanged({ ...step, outputs: step.outputs.map((o) => ({ ...o })) });
  }

  private async loop(): Promise<RunStatus> {
    const { manifest } = this.options;
    const deps = new Map(manifest.steps.map((s) => [s.id, s.dependsOn]));
    const cpus = new Map(manifest.steps.map((s) => [s.id, Math.min(Math.max(1, s.resources.cpus), this.options.slots)]));
    const byId = new Map(this.steps.map((s) => [s.id, s]));
    let free = this.options.slots;
    const running = new Set<Promise<void>>();

    for (;;) {
      if (this.cancelled) break;
      // Skip whatever depends on a step that did not complete.
      for (const s of this.steps) {
        if (s.state !== 'waiting') continue;
        const blocked = deps.get(s.id)!.some((d) => ['failed', 'skipped', 'cancelled'].includes(byId.get(d)!.state));
        if (blocked) this.update(s, { state: 'skipped' });
      }
      const ready = manifest.order
        .map((id) => byId.get(id)!)
        .filter((s) => s.state === 'waiting' && deps.get(s.id)!.every((d) => byId.get(d)!.state === 'completed'));
      let started = false;
      for (const s of ready) {
        const need = cpus.get(s.id)!;
        // A step never waits for more slots than exist; it waits for enough of them to be free.
        if (need > free && running.size > 0) continue;
        free -= need;
        started = true;
        const p: Promise<void> = this.runStep(s).finally(() => {
          free += need;
          running.delete(p);
          this.wake?.();
        });
        running.add(p);
      }
      if (running.size === 0 && !started) break;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
      this.wake = null;
    }
    await Promise.all(running);
    for (const s of this.steps) if (s.state === 'waiting') this.update(s, { state: this.cancelled ? 'cancelled' : 'skipped' });
    if (this.cancelled) return 'cancelled';
    return this.steps.every((s) => s.state === 'completed') ? 'completed' : 'failed';
  }

  private async runStep(step: StepRecord): Promise<void> {
    const { runDir, bundleDir, python, manifest } = this.options;
    const spec = manifest.steps.find((s) => s.id === step.id)!;
    const logFile = path.join(runDir, step.log);
    await fs.mkdir(path.dirname(logFile), { recursive: true });
    if (this.cancelled) {
      this.update(step, { state: 'cancelled' });
      return;
    }
    const log = createWriteStream(logFile, { flags: 'w' });
    const started = Date.now();
    this.update(step, { state: 'running', startedAt: new Date(started).toISOString() });

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
      OMP_NUM_THREADS: String(Math.min(spec.resources.cpus, this.options.slots)),
    };
    if (python) env[ENV.python] = python;

    const code = await new Promise<number>((resolve) => {
      const child = spawn('bash', [path.join(bundleDir, spec.script)], {
        cwd: runDir,
        env,
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
        windowsHide: true,
      });
      this.children.set(step.id, child);
      pipeLog(child.stdout, log, (t) => this.options.onLog(step.id, t));
      pipeLog(child.stderr, log, (t) => this.options.onLog(step.id, t));
      child.once('error', (e) => {
        const text = `Fluxo could not start this step: ${e.message}\n`;
        log.write(text);
        this.options.onLog(step.id, text);
      });
      child.once('close', (exit, signal) => {
        this.children.delete(step.id);
        resolve(exit ?? (signal ? 128 + signalNumber(signal) : 1));
      });
    });
    await closeStream(log);
    const ended = Date.now();
    const outputs = await Promise.all(
      step.outputs.map(async (o) => {
        const st = await fs.stat(path.join(runDir, o.path)).catch(() => null);
        return { ...o, exists: st !== null, size: st?.size ?? 0 };
      }),
    );
    const state = this.cancelled ? 'cancelled' : code === 0 ? 'completed' : 'failed';
    this.update(step, {
      state,
      exitCode: code,
      endedAt: new Date(ended).toISOString(),
      seconds: Math.round((ended - started) / 100) / 10,
      outputs,
    });
  }
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

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      // Already gone.
    }
  }
}

function signalNumber(signal: NodeJS.Signals): number {
  const numbers: Partial<Record<NodeJS.Signals, number>> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };
  return numbers[signal] ?? 0;
}
