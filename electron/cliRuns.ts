/**
 * The fluxo commands about runs: run (on this computer or a cluster), runs, status, logs, cancel,
 * fetch, rerun, and "targets test". A run on a cluster goes on when this process ends (Ctrl+C
 * on a cluster run asks whether to cancel its jobs or leave them); any later command picks it up.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { FluxoEvent, RunRecord, StartRunRequest, StepRecord, TransferView } from '../shared/api';
import { ErrorCode, FluxoFailure } from '../shared/api';
import type { Problem } from '../shared/validate';
import { LOCAL_TARGET_ID } from '../shared/targets';
import type { Backend } from './backend';
import { createBackend, defaultHomeDir, defaultResourcesDir, readDocumentFile } from './backend';
import { createClusterConnections } from './backend/clusters';
import type { Io } from './cliCommon';
import { Exit, formatError, formatProblem, InputError, unwrap, UsageError } from './cliCommon';
import { CliPrompter } from './ssh/prompts';

/** The backend of one command, with SSH prompts on this terminal (or FLUXO_ASKPASS). */
function backendFor(options: { acceptHostKeys?: string[] }): Backend {
  const prompter = new CliPrompter({ acceptHostKeys: options.acceptHostKeys ?? [] });
  const poll = Number(process.env.FLUXO_POLL_MS) || undefined;
  return createBackend({
    hostKind: 'cli',
    resourcesDir: defaultResourcesDir(),
    homeDir: defaultHomeDir(),
    clusters: createClusterConnections({ prompter, homeDir: defaultHomeDir() }),
    pollMinMs: poll,
    pollMaxMs: poll ? poll * 5 : undefined,
  });
}

/** Runs `work` with a backend that prints run progress on `io`, then lets the backend go (cluster runs go on). */
async function withBackend<T>(acceptHostKeys: string[] | undefined, io: Io, work: (backend: Backend) => Promise<T>): Promise<T> {
  const backend = backendFor({ acceptHostKeys });
  const printer = stepPrinter(io);
  const unsubscribe = backend.subscribe((batch) => batch.forEach(printer));
  try {
    return await work(backend);
  } finally {
    await backend.dispose();
    unsubscribe();
  }
}

const seconds = (s: number | null) => (s === null ? '' : s < 120 ? `${s} s` : `${Math.round(s / 60)} min`);

/** Prints each step's changes once: started (with its job), waiting and why, done, failed and why. */
function stepPrinter(io: Io): (e: FluxoEvent) => void {
  const last = new Map<string, string>();
  let lastTransfer = 0;
  return (e) => {
    if (e.type === 'run.transfer') {
      const now = Date.now();
      const t = e.transfer;
      if (now - lastTransfer < 2000 && t.bytes.done < t.bytes.total) return;
      lastTransfer = now;
      io.err(`  ${describeTransfer(t)}\n`);
      return;
    }
    if (e.type === 'run.remoteChanged') {
      io.err(e.remote.unreachable ? `! the cluster does not answer (${e.remote.unreachable}); states are unknown, still watching\n` : '  the cluster answers again\n');
      return;
    }
    if (e.type !== 'run.stepChanged') return;
    const s = e.step;
    const reason = s.scheduler?.reasonText ?? '';
    const key = `${s.state}|${s.state === 'waiting' ? reason : ''}|${s.job?.id ?? ''}`;
    if (last.get(s.id) === key) return;
    last.set(s.id, key);
    const job = s.job ? ` [job ${s.job.id}]` : '';
    if (s.state === 'waiting' && s.job) io.err(`  ${s.label}${job}: ${reason || 'queued'}\n`);
    else if (s.state === 'running') io.err(`> ${s.label} (${s.id}) started${job}\n`);
    else if (s.state === 'completed') io.err(s.cached ? `  ${s.label}: cached (${s.detail ?? 'outputs of an earlier run'})\n` : `  ${s.label} completed${s.seconds !== null ? ` in ${seconds(s.seconds)}` : ''}\n`);
    else if (s.state === 'failed') {
      io.err(`x ${s.label} failed${s.exitCode !== null ? ` with exit code ${s.exitCode}` : ''}${s.detail ? ` (${s.detail})` : ''}\n`);
    } else if (s.state === 'skipped') io.err(`- ${s.label} skipped (${s.detail ?? 'a step it needs did not complete'})\n`);
    else if (s.state === 'cancelled') io.err(`- ${s.label} cancelled\n`);
  };
}

function describeTransfer(t: TransferView): string {
  const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;
  const rate = t.rate ? `, ${mb(t.rate)}/s` : '';
  const left = t.secondsLeft !== null && t.bytes.done < t.bytes.total ? `, ${seconds(Math.round(t.secondsLeft))} left` : '';
  return `${t.direction === 'upload' ? 'uploading' : 'downloading'} ${mb(t.bytes.done)} of ${mb(t.bytes.total)} (${t.files.done}/${t.files.total} files, ${t.files.skipped} unchanged${rate}${left})`;
}

/** The --json summary of a run: status, steps with their jobs and Slurm states, bytes moved, outputs. */
export function runSummary(run: RunRecord) {
  return {
    status: run.status,
    runId: run.id,
    runDir: run.runDir,
    pipeline: run.pipelineName,
    target: run.targetId,
    python: run.python,
    bytesUploaded: run.remote?.bytesUploaded ?? 0,
    bytesDownloaded: run.remote?.bytesDownloaded ?? 0,
    stepsExecuted: run.remote ? run.remote.stepsExecuted : run.steps.filter((s) => s.state !== 'skipped' && s.state !== 'cancelled' && !s.cached).length,
    stepsCached: run.remote?.stepsCached ?? 0,
    remote: run.remote ?? null,
    steps: run.steps.map((s) => ({
      id: s.id,
      label: s.label,
      state: s.state,
      exitCode: s.exitCode,
      seconds: s.seconds,
      jobId: s.job?.id ?? null,
      submittedAt: s.job?.submittedAt ?? null,
      slurmState: s.scheduler?.state ?? null,
      cached: s.cached ?? false,
      explanation: s.explanation ?? s.tasks?.find((t) => t.explanation)?.explanation ?? null,
    })),
    outputs: run.steps.flatMap((s) => s.outputs.filter((o) => o.exists).map((o) => ({ step: s.id, port: o.port, format: o.format, path: path.join(run.runDir, o.path) }))),
    error: run.error,
  };
}

async function tailLines(file: string, lines: number): Promise<string[]> {
  const text = await fs.readFile(file, 'utf8').catch(() => '');
  return text.trimEnd().split('\n').slice(-lines);
}

/** Waits for a run, cancelling it on Ctrl+C; prints how it ended. */
async function follow(backend: Backend, started: RunRecord, io: Io, json: boolean): Promise<number> {
  let interrupted = 0;
  const onSignal = () => {
    interrupted++;
    if (started.remote && interrupted === 1) io.err('Cancelling: cancelling the jobs on the cluster and confirming they stopped (Ctrl+C again to leave them running)...\n');
    else if (!started.remote) io.err('Cancelling: stopping every step...\n');
    if (interrupted === 1) void backend.services.runs.cancel(started.id);
    else if (started.remote) void backend.runManager.dispose();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const run = await backend.waitForRun(started.id);
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  return report(run, io, json);
}

async function report(run: RunRecord, io: Io, json: boolean): Promise<number> {
  if (run.status === 'completed') io.err(`Completed. Results are in ${run.runDir}\n`);
  else if (run.status === 'cancelled') io.err(`Cancelled. Partial outputs are in ${run.runDir}\n`);
  else if (run.status === 'running') io.err(`${run.error ? `${formatError(run.error)}\n` : ''}The run goes on on the cluster. Follow it with: fluxo status ${run.id} --wait\n`);
  else {
    const failed = run.steps.find((s) => s.state === 'failed');
    io.err(`Failed${failed ? ` at "${failed.label}"` : ''}. Run folder: ${run.runDir}\n`);
    if (failed) printFailure(failed, run, io);
    else if (run.error) io.err(`${formatError(run.error)}\n`);
  }
  if (json) io.out(`${JSON.stringify(runSummary(run), null, 2)}\n`);
  return run.status === 'completed' ? Exit.Completed : run.status === 'cancelled' ? Exit.Cancelled : Exit.Failed;
}

function printFailure(step: StepRecord, run: RunRecord, io: Io): void {
  const task = step.tasks?.find((t) => t.state === 'failed');
  const ex = task?.explanation ?? step.explanation;
  if (ex) {
    io.err(`${ex.title}\n  ${ex.message}\n`);
    for (const line of ex.evidence) io.err(`  | ${line}\n`);
    if (ex.action) {
      const r = ex.action.resources;
      const flags = r ? [r.memoryMb ? `--memory ${r.memoryMb}` : '', r.timeMinutes ? `--time ${r.timeMinutes}` : '', r.gpus !== undefined ? `--gpus ${r.gpus}` : '', r.cpus ? `--cpus ${r.cpus}` : ''].filter(Boolean).join(' ') : '';
      const command = ex.action.kind === 'retry-with-resources' || ex.action.kind === 'retry' || ex.action.kind === 'rerun-from-step' ? `: fluxo rerun ${run.id} --from ${step.id}${flags ? ` ${flags}` : ''}` : '';
      io.err(`Suggested: ${ex.action.label}${command}\n`);
    }
    return;
  }
  void tailLines(path.join(run.runDir, task ? task.log : step.log), 10).then((lines) => {
    for (const line of lines) io.err(`  | ${line}\n`);
  });
}

function startError(e: unknown, io: Io, json: boolean): number {
  if (!(e instanceof FluxoFailure)) throw e;
  const invalid = e.error.code === ErrorCode.PipelineInvalid;
  if (invalid && Array.isArray(e.error.details)) {
    for (const p of e.error.details as Problem[]) io.err(`${formatProblem(p)}\n`);
  } else io.err(`${formatError(e.error)}\n`);
  if (json) io.out(`${JSON.stringify({ status: 'failed', runDir: null, steps: [], outputs: [], error: { ...e.error, details: undefined } }, null, 2)}\n`);
  // A wrong pipeline, target or output folder is the user's input; a missing Python or a cluster that refuses is not.
  const badInput = invalid || e.error.code === ErrorCode.UnknownTarget || e.error.code === ErrorCode.RunStorage || e.error.code === ErrorCode.BadRequest;
  return badInput ? Exit.InvalidInput : Exit.Failed;
}

const RUN_OPTIONS = {
  target: { type: 'string' },
  out: { type: 'string' },
  json: { type: 'boolean' },
  account: { type: 'string' },
  qos: { type: 'string' },
  reservation: { type: 'string' },
  'no-cache': { type: 'boolean' },
  checksum: { type: 'boolean' },
  'accept-host-key': { type: 'string', multiple: true },
} as const;

export async function cmdRun(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: RUN_OPTIONS, allowPositionals: true });
  if (!positionals[0]) throw new UsageError('missing FILE: the .fluxo pipeline to run');
  const opened = await readDocumentFile(path.resolve(positionals[0]));
  return withBackend(values['accept-host-key'], io, async (backend) => {
    return await startAndFollow(
      backend,
      {
        document: opened.document,
        targetId: values.target ?? LOCAL_TARGET_ID,
        pipelinePath: opened.path,
        runDir: values.out ? path.resolve(values.out) : null,
        account: values.account ?? null,
        qos: values.qos ?? null,
        reservation: values.reservation ?? null,
        useCache: !values['no-cache'],
        checksum: values.checksum ?? false,
      },
      io,
      values.json ?? false,
    );
  });
}

async function startAndFollow(backend: Backend, request: StartRunRequest, io: Io, json: boolean): Promise<number> {
  let started: RunRecord;
  try {
    started = unwrap(await backend.services.runs.start(request));
  } catch (e) {
    return startError(e, io, json);
  }
  io.err(started.remote ? `Running "${started.pipelineName}" on ${started.targetId} (${started.remote.user}@${started.remote.host}:${started.remote.workDir}); run ${started.id}, local folder ${started.runDir}\n` : `Running "${started.pipelineName}" on ${started.targetId} in ${started.runDir}\n`);
  return follow(backend, started, io, json);
}

/** `fluxo rerun RUN [--from STEP | --failed] [--memory MB] [--time MIN] [--gpus N] [--cpus N]`. */
export async function cmdRerun(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { ...RUN_OPTIONS, from: { type: 'string' }, failed: { type: 'boolean' }, memory: { type: 'string' }, time: { type: 'string' }, gpus: { type: 'string' }, cpus: { type: 'string' } },
    allowPositionals: true,
  });
  const runId = positionals[0];
  if (!runId) throw new UsageError('missing RUN: the id of the run to rerun (see "fluxo runs")');
  return withBackend(values['accept-host-key'], io, async (backend) => {
    const old = unwrap(await backend.services.runs.get(runId));
    const opened = await readDocumentFile(path.join(old.runDir, 'pipeline.fluxo'));
    const document = opened.document;
    const from = values.from ?? (values.failed || !values.from ? old.steps.find((s) => s.state === 'failed')?.id : undefined);
    const numbers = { memoryMb: values.memory, timeMinutes: values.time, gpus: values.gpus, cpus: values.cpus };
    const changes = Object.entries(numbers).filter(([, v]) => v !== undefined);
    if (changes.length > 0) {
      if (!from) throw new UsageError('--memory, --time, --gpus and --cpus change one step: give --from STEP');
      const step = document.steps.find((s) => s.id === from);
      if (!step) throw new InputError(`the pipeline has no step "${from}"`);
      step.resources ??= {};
      for (const [k, v] of changes) {
        const n = Number(v);
        if (!Number.isInteger(n) || n < 0) throw new InputError(`--${k === 'memoryMb' ? 'memory' : k === 'timeMinutes' ? 'time' : k} must be a whole number (got "${v}")`);
        (step.resources as Record<string, number>)[k] = n;
      }
    }
    return await startAndFollow(
      backend,
      {
        document,
        targetId: values.target ?? old.targetId,
        pipelinePath: old.pipelinePath,
        runDir: values.out ? path.resolve(values.out) : null,
        account: values.account ?? old.remote?.account ?? null,
        qos: values.qos ?? old.remote?.qos ?? null,
        reservation: values.reservation ?? old.remote?.reservation ?? null,
        rerun: { runId: old.id, from: from ? { step: from } : 'failed' },
        useCache: !values['no-cache'],
        checksum: values.checksum ?? false,
      },
      io,
      values.json ?? false,
    );
  });
}

export async function cmdRuns(args: string[], io: Io): Promise<number> {
  const { values } = parseArgs({ args, options: { json: { type: 'boolean' } } });
  const backend = backendFor({});
  try {
    const runs = unwrap(await backend.services.runs.list());
    if (values.json) io.out(`${JSON.stringify(runs.map(runSummary), null, 2)}\n`);
    else {
      if (runs.length === 0) io.err('No runs yet.\n');
      for (const r of runs) {
        const took = r.endedAt ? seconds(Math.round((Date.parse(r.endedAt) - Date.parse(r.createdAt)) / 1000)) : '';
        const where = r.remote ? `${r.remote.user}@${r.remote.host}` : 'this computer';
        io.out(`${r.id}  ${r.status.padEnd(9)} ${r.targetId.padEnd(12)} ${r.createdAt.slice(0, 19).replace('T', ' ')}  ${took.padEnd(7)} ${where.padEnd(22)} ${r.pipelineName}\n`);
      }
    }
    return Exit.Completed;
  } finally {
    await backend.dispose();
  }
}

export async function cmdStatus(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: { json: { type: 'boolean' }, wait: { type: 'boolean' }, 'accept-host-key': { type: 'string', multiple: true } }, allowPositionals: true });
  const runId = positionals[0];
  if (!runId) throw new UsageError('missing RUN: the id of a run (see "fluxo runs")');
  return withBackend(values['accept-host-key'], io, async (backend) => {
    let run = unwrap(await backend.services.runs.get(runId));
    if (run.status === 'running' && run.remote && values.wait) {
      const attached = await backend.runManager.reattach(run.id);
      if (attached.length === 0) io.err('Another Fluxo process is watching this run; showing its last saved state.\n');
      else return await follow(backend, run, io, values.json ?? false);
    }
    run = unwrap(await backend.services.runs.get(runId));
    if (values.json) io.out(`${JSON.stringify(runSummary(run), null, 2)}\n`);
    else {
      io.out(`${run.id}: ${run.status} on ${run.targetId}${run.remote ? ` (${run.remote.user}@${run.remote.host}:${run.remote.workDir}, ${run.remote.phase})` : ''}\n`);
      for (const s of run.steps) {
        const extra = [s.job ? `job ${s.job.id}` : '', s.scheduler ? s.scheduler.state : '', s.state === 'waiting' && s.scheduler?.reasonText ? s.scheduler.reasonText : '', s.cached ? 'cached' : '', s.seconds !== null ? seconds(s.seconds) : ''].filter(Boolean).join(', ');
        io.out(`  ${s.state.padEnd(9)} ${s.label}${extra ? ` (${extra})` : ''}\n`);
      }
      if (run.remote?.unreachable) io.out(`  the cluster did not answer: ${run.remote.unreachable}\n`);
      if (run.error) io.err(`${formatError(run.error)}\n`);
    }
    return run.status === 'failed' ? Exit.Failed : run.status === 'cancelled' ? Exit.Cancelled : Exit.Completed;
  });
}

export async function cmdLogs(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: { follow: { type: 'boolean', short: 'f' }, task: { type: 'string' }, 'accept-host-key': { type: 'string', multiple: true } }, allowPositionals: true });
  const [runId, stepId] = positionals;
  if (!runId || !stepId) throw new UsageError('usage: fluxo logs RUN STEP [--task N] [--follow]');
  const task = values.task === undefined ? null : Number(values.task);
  if (task !== null && (!Number.isInteger(task) || task < 0)) throw new InputError(`--task must be a task number (got "${values.task}")`);
  const backend = backendFor({ acceptHostKeys: values['accept-host-key'] });
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.on('SIGINT', onSignal);
  try {
    await backend.runManager.readLog(runId, stepId, { task, follow: values.follow ?? false, onText: (t) => io.out(t), signal: stop.signal });
    return Exit.Completed;
  } catch (e) {
    if (e instanceof FluxoFailure) {
      io.err(`${formatError(e.error)}\n`);
      return e.error.code === ErrorCode.UnknownRun || e.error.code === ErrorCode.BadRequest ? Exit.InvalidInput : Exit.Failed;
    }
    throw e;
  } finally {
    process.off('SIGINT', onSignal);
    await backend.dispose();
  }
}

export async function cmdCancel(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: { json: { type: 'boolean' }, 'accept-host-key': { type: 'string', multiple: true } }, allowPositionals: true });
  const runId = positionals[0];
  if (!runId) throw new UsageError('missing RUN: the id of the run to cancel');
  return withBackend(values['accept-host-key'], io, async (backend) => {
    const run = unwrap(await backend.services.runs.cancel(runId));
    if (run.status === 'running') io.err('The run is still going: it could not be cancelled from here.\n');
    else io.err(`Run ${run.id}: ${run.status}.\n`);
    if (values.json) io.out(`${JSON.stringify(runSummary(run), null, 2)}\n`);
    return run.status === 'cancelled' ? Exit.Completed : run.status === 'running' ? Exit.Failed : Exit.Completed;
  });
}

export async function cmdFetch(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: { json: { type: 'boolean' }, 'accept-host-key': { type: 'string', multiple: true } }, allowPositionals: true });
  const runId = positionals[0];
  if (!runId) throw new UsageError('missing RUN: the id of the run whose files to download');
  const backend = backendFor({ acceptHostKeys: values['accept-host-key'] });
  try {
    let last = 0;
    const r = await backend.runManager.fetch(runId, (t) => {
      if (Date.now() - last > 2000 || t.bytes.done === t.bytes.total) {
        last = Date.now();
        io.err(`  ${describeTransfer(t)}\n`);
      }
    });
    const run = unwrap(await backend.services.runs.get(runId));
    io.err(`Downloaded ${r.files} files (${(r.bytes / 1e6).toFixed(1)} MB), ${r.skipped} already here, into ${run.runDir}\n`);
    if (values.json) io.out(`${JSON.stringify({ ...r, runDir: run.runDir }, null, 2)}\n`);
    return Exit.Completed;
  } catch (e) {
    if (e instanceof FluxoFailure) {
      io.err(`${formatError(e.error)}\n`);
      return Exit.Failed;
    }
    throw e;
  } finally {
    await backend.dispose();
  }
}
