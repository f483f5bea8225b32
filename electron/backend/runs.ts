import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FluxoEvent, OutputFile, RunFile, RunRecord, StartRunRequest, StepRecord } from '../../shared/api';
import { ErrorCode, fail, FluxoFailure } from '../../shared/api';
import type { Catalog } from '../../shared/catalog';
import type { BundleManifest } from '../../shared/compiler';
import { BUNDLE_VERSION, compile } from '../../shared/compiler';
import { renderRoCrate } from '../../shared/compiler/rocrate';
import type { PipelineDocument } from '../../shared/document';
import { serializeDocument } from '../../shared/document';
import type { TargetProfile } from '../../shared/targets';
import { choosePython } from '../targets/python';
import { LocalExecution } from '../targets/local';
import type { FinalStepState } from '../targets/markers';
import { aggregateTasks, isFinal, readFinalStates, summarizeTasks } from '../targets/markers';
import { describeMissingTools, findMissingTools } from '../targets/tools';
import { writeBundle } from './bundleWriter';
import { describeIoError, writeFileAtomic } from './fsutil';

export interface RunManagerOptions {
  runsDir: string;
  /** Where block scripts and the Python runtime are copied from. */
  resourcesDir: string;
  catalog: () => Promise<Catalog>;
  targets: () => Promise<TargetProfile[]>;
  emit: (event: FluxoEvent) => void;
  /** CPU slots for local runs; default: every core. */
  slots?: number;
  pythonCandidates?: string[];
}

interface ActiveRun {
  record: RunRecord;
  execution: LocalExecution;
  done: Promise<RunRecord>;
}

/** What finish() needs beyond the record: the pipeline and plan, for the RO-Crate. */
interface RunPlan {
  document: PipelineDocument;
  manifest: BundleManifest;
}

/**
 * INVARIANT: writes of one run's record happen one after another, so an older state can never
 * land after a newer one, and a failed write (a full disk) never becomes an unhandled rejection.
 * A write asked for while another is in flight is folded into the next one, which serialises the
 * record as it is then: a sweep of a thousand tasks changes state thousands of times, and only
 * the latest state matters on disk.
 */
class RecordWriter {
  private latest: { file: string; record: RunRecord } | null = null;
  private draining: Promise<void> | null = null;
  lastError: unknown = null;

  write(file: string, record: RunRecord): Promise<void> {
    this.latest = { file, record };
    this.draining ??= this.drain();
    return this.draining;
  }

  private async drain(): Promise<void> {
    // Let the changes of this tick land in one write.
    await new Promise<void>((resolve) => setImmediate(resolve));
    while (this.latest) {
      const { file, record } = this.latest;
      this.latest = null;
      try {
        await writeFileAtomic(file, `${JSON.stringify(record, null, 2)}\n`);
        this.lastError = null;
      } catch (e) {
        this.lastError = e;
      }
    }
    this.draining = null;
  }
}

const RUN_RECORD = 'run.json';
const RO_CRATE = 'ro-crate-metadata.json';
/** Result formats copied to the top of the run folder, so a person finds them without digging. */
const RESULT_FORMAT = /^(metrics|figure|report)(\.|$)/;
const MAX_READ_BYTES = 50 * 1024 * 1024;
const MIME: Record<string, string> = {
  '.json': 'application/json',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.svg': 'image/svg+xml',
  '.html': 'text/html',
  '.csv': 'text/csv',
  '.tsv': 'text/tab-separated-values',
  '.txt': 'text/plain',
  '.log': 'text/plain',
};

function newRunId(now: Date): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}

/** Owns every run of this backend: starts them, cancels them, persists their records. */
export class RunManager {
  private active = new Map<string, ActiveRun>();
  private writers = new Map<string, RecordWriter>();
  /** Runs that live outside runsDir (the CLI's --out), so get() still finds them. */
  private elsewhere = new Map<string, string>();
  private stepEvents = new Map<string, Map<string, StepRecord>>();

  constructor(private readonly options: RunManagerOptions) {}

  async start(request: StartRunRequest): Promise<RunRecord> {
    const catalog = await this.options.catalog();
    const target = (await this.options.targets()).find((t) => t.id === request.targetId);
    if (!target) fail(ErrorCode.UnknownTarget, `there is no target "${request.targetId}"`, 'Run "fluxo targets" to list them.');
    if (target.kind !== 'local') {
      // Submitting over SSH is the runner's job (issue 4); until then the bundle runs without Fluxo.
      fail(
        ErrorCode.Unsupported,
        `Fluxo cannot submit to ${target.title} from here yet`,
        `Export the pipeline for it ("fluxo export FILE --target ${target.id} --out DIR"), copy DIR to the cluster and run "bash submit.sh" there.`,
      );
    }

    const compiled = compile(request.document, catalog, target);
    if (!compiled.ok) {
      const errors = compiled.problems.filter((p) => p.severity === 'error');
      fail(
        ErrorCode.PipelineInvalid,
        `the pipeline has ${errors.length} problem${errors.length === 1 ? '' : 's'}: ${errors[0]?.message ?? ''}`,
        errors[0]?.fix,
        errors,
      );
    }
    const { bundle } = compiled;
    const labels = new Map(bundle.manifest.steps.map((s) => [s.id, s.label]));

    let python: string | null = null;
    if (bundle.manifest.python) {
      const choice = await choosePython(bundle.manifest.python, (id) => labels.get(id) ?? id, this.options.pythonCandidates);
      if (!choice.ok) {
        fail(choice.kind === 'missing-python' ? ErrorCode.PythonMissing : ErrorCode.PythonPackagesMissing, choice.message, choice.hint);
      }
      python = choice.python;
    }
    // Like the Python check: a missing program fails the run before anything starts, not mid-way.
    const missingTools = await findMissingTools(bundle.manifest, process.env, new Set(python ? ['python3', 'python'] : []));
    if (missingTools.length > 0) {
      const { message, hint } = describeMissingTools(missingTools, (id) => labels.get(id) ?? id);
      fail(ErrorCode.ToolsMissing, message, hint, missingTools);
    }

    const now = new Date();
    const id = newRunId(now);
    const runDir = path.resolve(request.runDir ?? path.join(this.options.runsDir, id));
    await this.prepareRunDir(runDir, request.runDir != null);
    const bundleDir = path.join(runDir, 'bundle');
    try {
      await writeBundle(bundle, bundleDir, this.options.resourcesDir);
    } catch (e) {
      fail(ErrorCode.RunStorage, `could not write the run folder ${runDir}: ${describeIoError(e)}`, 'Free some disk space or choose another folder.');
    }
    if (request.runDir != null) this.elsewhere.set(id, runDir);

    const execution = new LocalExecution({
      manifest: bundle.manifest,
      bundleDir,
      runDir,
      python,
      slots: this.options.slots ?? os.availableParallelism(),
      onStepChanged: (step) => {
        const active = this.active.get(id);
        if (active) {
          active.record.steps = active.record.steps.map((s) => (s.id === step.id ? step : s));
          void this.persist(active.record);
        }
        this.queueStepEvent(id, step);
      },
      // Task lines arrive already prefixed "[task i] ", so one step's view stays readable.
      onLog: (stepId, text) => this.options.emit({ type: 'run.logAppended', runId: id, stepId, text }),
    });
    const record: RunRecord = {
      id,
      pipelineName: request.document.metadata.name,
      pipelinePath: request.pipelinePath ?? null,
      targetId: target.id,
      status: 'running',
      runDir,
      createdAt: now.toISOString(),
      endedAt: null,
      python,
      steps: structuredClone(execution.steps),
      error: null,
    };
    // The exact pipeline that ran, so a past run can be reopened as it was.
    try {
      await writeFileAtomic(path.join(runDir, 'pipeline.fluxo'), serializeDocument(request.document));
    } catch (e) {
      fail(ErrorCode.RunStorage, `could not write the run folder ${runDir}: ${describeIoError(e)}`, 'Free some disk space or choose another folder.');
    }
    await this.persist(record);
    const unsaved = this.writers.get(id)?.lastError;
    if (unsaved) {
      this.writers.delete(id);
      fail(ErrorCode.RunStorage, `could not write the run record in ${runDir}: ${describeIoError(unsaved)}`, 'Free some disk space or choose another folder.');
    }
    const done = this.finish(record, execution, { document: request.document, manifest: bundle.manifest });
    this.active.set(id, { record, execution, done });
    this.options.emit({ type: 'run.started', run: structuredClone(record) });
    return structuredClone(record);
  }

  private async prepareRunDir(runDir: string, chosenByUser: boolean): Promise<void> {
    try {
      const existing = await fs.readdir(runDir).catch((e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? null : Promise.reject(e)));
      if (existing && existing.length > 0) {
        fail(
          ErrorCode.RunStorage,
          `the folder ${runDir} is not empty; Fluxo keeps every run in its own folder and never overwrites one`,
          chosenByUser ? 'Choose a new or empty folder for --out.' : 'Try again.',
        );
      }
      await fs.mkdir(runDir, { recursive: true });
    } catch (e) {
      if (e instanceof FluxoFailure) throw e;
      fail(ErrorCode.RunStorage, `could not create the run folder ${runDir}: ${describeIoError(e)}`, 'Choose a folder you can write to, with free space.');
    }
  }

  private async finish(record: RunRecord, execution: LocalExecution, plan: RunPlan): Promise<RunRecord> {
    let status: RunRecord['status'];
    try {
      status = await execution.start();
    } catch (e) {
      status = 'failed';
      record.error = { code: ErrorCode.Internal, message: `the run stopped unexpectedly: ${e instanceof Error ? e.message : String(e)}` };
    }
    record.steps = structuredClone(execution.steps);
    record.status = status;
    record.endedAt = new Date().toISOString();
    if (status === 'failed' && !record.error) {
      const failed = record.steps.find((s) => s.state === 'failed');
      if (failed) record.error = failureOf(record.runDir, failed);
    }
    if (status === 'completed') {
      await this.collectResults(record).catch((e: unknown) => {
        record.error = { code: ErrorCode.RunStorage, message: `the results could not be copied to the top of the run folder: ${describeIoError(e)}`, hint: 'They are still in each step\'s folder under steps/.' };
      });
    }
    // The Workflow Run RO-Crate: the pipeline, each step's block, params and environment, and how it ran.
    const crate = renderRoCrate(plan.document, plan.manifest, {
      id: record.id,
      status,
      startedAt: record.createdAt,
      endedAt: record.endedAt,
      steps: record.steps.map((s) => ({
        id: s.id,
        state: s.state,
        // No scheduler on this computer, so no job ids.
        jobIds: [],
        exitCode: s.exitCode,
        startedAt: s.startedAt,
        endedAt: s.endedAt,
        outputs: s.outputs.filter((o) => o.exists).map((o) => o.path),
      })),
    });
    await writeFileAtomic(path.join(record.runDir, RO_CRATE), crate).catch((e: unknown) => {
      record.error ??= { code: ErrorCode.RunStorage, message: `the run's RO-Crate could not be written: ${describeIoError(e)}`, hint: 'Free some disk space; the outputs already written are kept.' };
    });
    await this.persist(record);
    const storageError = this.writers.get(record.id)?.lastError;
    if (storageError && !record.error) {
      record.error = { code: ErrorCode.RunStorage, message: `the run record could not be saved: ${describeIoError(storageError)}`, hint: 'Free some disk space; the outputs already written are kept.' };
    }
    this.writers.delete(record.id);
    this.active.delete(record.id);
    this.flushStepEvents(record.id);
    this.options.emit({ type: 'run.finished', run: structuredClone(record) });
    return record;
  }

  /**
   * Copies metrics, figures and reports of steps that run once to the top of the run folder
   * (step-prefixed on a clash). An array's results stay in their task folders: N copies of
   * "metrics.json" at the top would say nothing about which sweep point each one is.
   */
  private async collectResults(record: RunRecord): Promise<void> {
    const results = record.steps.flatMap((s) => s.outputs).filter((o) => o.task === null && o.exists && RESULT_FORMAT.test(o.format));
    const counts = new Map<string, number>();
    for (const o of results) counts.set(path.posix.basename(o.path), (counts.get(path.posix.basename(o.path)) ?? 0) + 1);
    for (const o of results) {
      const base = path.posix.basename(o.path);
      const name = counts.get(base) === 1 ? base : `${o.stepId}-${base}`;
      await fs.copyFile(path.join(record.runDir, o.path), path.join(record.runDir, name));
    }
  }

  /**
   * Every task of an array changes its step's record, so a step may change many times in one tick;
   * the UI needs only its latest state, once per tick (in the order the steps first changed).
   */
  private queueStepEvent(runId: string, step: StepRecord): void {
    let queued = this.stepEvents.get(runId);
    if (!queued) {
      this.stepEvents.set(runId, (queued = new Map()));
      setImmediate(() => this.flushStepEvents(runId));
    }
    queued.set(step.id, step);
  }

  private flushStepEvents(runId: string): void {
    const queued = this.stepEvents.get(runId);
    this.stepEvents.delete(runId);
    for (const step of queued?.values() ?? []) this.options.emit({ type: 'run.stepChanged', runId, step });
  }

  private persist(record: RunRecord): Promise<void> {
    let writer = this.writers.get(record.id);
    if (!writer) this.writers.set(record.id, (writer = new RecordWriter()));
    return writer.write(path.join(record.runDir, RUN_RECORD), record);
  }

  async cancel(runId: string): Promise<RunRecord> {
    const active = this.active.get(runId);
    if (!active) return this.get(runId);
    await active.execution.cancel();
    return structuredClone(await active.done);
  }

  /** Resolves when the run ends; used by the CLI. */
  async wait(runId: string): Promise<RunRecord> {
    const active = this.active.get(runId);
    return active ? structuredClone(await active.done) : this.get(runId);
  }

  async get(runId: string): Promise<RunRecord> {
    const active = this.active.get(runId);
    if (active) return structuredClone(active.record);
    const dir = this.elsewhere.get(runId) ?? path.join(this.options.runsDir, runId);
    const record = await readRecord(dir);
    if (!record) fail(ErrorCode.UnknownRun, `there is no run "${runId}"`);
    return record;
  }

  async list(): Promise<RunRecord[]> {
    const names = await fs.readdir(this.options.runsDir).catch(() => [] as string[]);
    const records = new Map<string, RunRecord>();
    for (const name of names) {
      const r = await readRecord(path.join(this.options.runsDir, name));
      if (r) records.set(r.id, r);
    }
    for (const [id, a] of this.active) records.set(id, structuredClone(a.record));
    return [...records.values()].sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0));
  }

  async readFile(runId: string, rel: string): Promise<RunFile> {
    const record = await this.get(runId);
    const root = await fs.realpath(record.runDir);
    const full = path.resolve(root, rel);
    const real = await fs.realpath(full).catch(() => null);
    // INVARIANT: only files inside the run folder are readable through the contract.
    if (!real || (real !== root && !real.startsWith(root + path.sep))) {
      fail(ErrorCode.RunFileMissing, `the run has no file "${rel}"`);
    }
    const st = await fs.stat(real);
    if (!st.isFile()) fail(ErrorCode.RunFileMissing, `"${rel}" is not a file`);
    if (st.size > MAX_READ_BYTES) fail(ErrorCode.RunFileMissing, `"${rel}" is too large to show (${Math.round(st.size / 1e6)} MB)`, 'Open the run folder instead.');
    const data = await fs.readFile(real);
    return { path: rel, mime: MIME[path.extname(real).toLowerCase()] ?? 'application/octet-stream', size: st.size, base64: data.toString('base64') };
  }

  async dispose(): Promise<void> {
    await Promise.all([...this.active.values()].map((a) => a.execution.cancel()));
    await Promise.all([...this.active.values()].map((a) => a.done));
  }
}

/** The error of a failed run, naming the step (and task) that failed and the log to read. */
function failureOf(runDir: string, step: StepRecord): RunRecord['error'] {
  const task = step.tasks?.find((t) => t.state === 'failed');
  const log = task ? task.log : step.log;
  const why = task ? `task ${task.index} failed${task.exitCode !== null ? ` with exit code ${task.exitCode}` : ''}${task.detail ? ` (${task.detail})` : ''}` : `failed with exit code ${step.exitCode}${step.detail ? ` (${step.detail})` : ''}`;
  return { code: ErrorCode.Internal, message: `step "${step.label}" ${why}`, hint: `Read its log: ${path.join(runDir, log)}` };
}

/** Records written before arrays and exit markers read as steps that ran once. */
function upgradeRecord(record: RunRecord): RunRecord {
  for (const s of record.steps) {
    s.tasks ??= null;
    s.marker ??= null;
    s.detail ??= null;
    for (const o of s.outputs) o.task ??= null;
  }
  return record;
}

/**
 * A run Fluxo stopped watching (closed or crashed mid-run): the exit markers still say how each
 * step and task that ended did end, even those that ended after Fluxo was gone. Whatever has no
 * marker is shown as stopped; the file on disk is left as it is, so a later read sees later markers.
 */
async function recoverFromMarkers(dir: string, record: RunRecord): Promise<void> {
  let found: FinalStepState[] = [];
  try {
    const manifest = JSON.parse(await fs.readFile(path.join(dir, 'bundle', 'manifest.json'), 'utf8')) as BundleManifest;
    // Bundles before version 2 wrote no markers: nothing to recover.
    if (manifest.version === BUNDLE_VERSION) found = await readFinalStates(manifest, dir);
  } catch {
    // No readable manifest: show what the record says.
  }
  const lost = { state: 'cancelled' as const, detail: 'stopped: Fluxo was closed while it ran, and it left no exit marker' };
  for (const step of record.steps) {
    const f = found.find((x) => x.id === step.id);
    if (step.tasks) {
      for (const t of step.tasks) {
        const ft = f?.tasks?.find((x) => x.index === t.index);
        if (isFinal(t.state)) continue;
        if (ft && isFinal(ft.state)) Object.assign(t, { state: ft.state, exitCode: ft.exitCode, marker: ft.marker, detail: ft.detail });
        else Object.assign(t, t.state === 'running' ? lost : { state: 'cancelled', detail: 'not run: Fluxo was closed first' });
      }
      step.state = aggregateTasks(
        step.tasks.map((t) => t.state),
        false,
      );
      step.exitCode = step.state === 'completed' ? 0 : (step.tasks.find((t) => t.state === 'failed')?.exitCode ?? null);
      step.detail = summarizeTasks(step.tasks);
    } else if (!isFinal(step.state)) {
      if (f && isFinal(f.state)) Object.assign(step, { state: f.state, exitCode: f.exitCode, marker: f.marker, detail: f.detail });
      else Object.assign(step, step.state === 'running' ? lost : { state: 'cancelled', detail: 'not run: Fluxo was closed first' });
    }
  }
}

async function readRecord(dir: string): Promise<RunRecord | null> {
  try {
    const record = upgradeRecord(JSON.parse(await fs.readFile(path.join(dir, RUN_RECORD), 'utf8')) as RunRecord);
    if (record.status === 'running') {
      // Read from disk while no process of ours runs it: Fluxo stopped during the run.
      record.status = 'failed';
      record.error = { code: ErrorCode.Internal, message: 'Fluxo was closed while this run was going on; it did not finish' };
      await recoverFromMarkers(dir, record);
    }
    return record;
  } catch {
    return null;
  }
}

export type { OutputFile };
