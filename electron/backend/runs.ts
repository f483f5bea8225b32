import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FluxoEvent, OutputFile, RunFile, RunRecord, StartRunRequest } from '../../shared/api';
import { ErrorCode, fail, FluxoFailure } from '../../shared/api';
import type { Catalog } from '../../shared/catalog';
import { compile } from '../../shared/compiler';
import { serializeDocument } from '../../shared/document';
import type { TargetProfile } from '../../shared/targets';
import { choosePython } from '../targets/python';
import { LocalExecution } from '../targets/local';
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

/**
 * INVARIANT: writes of one run's record happen one after another, so an older state can never
 * land after a newer one, and a failed write (a full disk) never becomes an unhandled rejection.
 */
class RecordWriter {
  private queue: Promise<void> = Promise.resolve();
  lastError: unknown = null;

  write(file: string, record: RunRecord): Promise<void> {
    const text = `${JSON.stringify(record, null, 2)}\n`;
    this.queue = this.queue.then(() =>
      writeFileAtomic(file, text).then(
        () => {
          this.lastError = null;
        },
        (e: unknown) => {
          this.lastError = e;
        },
      ),
    );
    return this.queue;
  }
}

const RUN_RECORD = 'run.json';
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

  constructor(private readonly options: RunManagerOptions) {}

  async start(request: StartRunRequest): Promise<RunRecord> {
    const catalog = await this.options.catalog();
    const target = (await this.options.targets()).find((t) => t.id === request.targetId);
    if (!target) fail(ErrorCode.UnknownTarget, `there is no target "${request.targetId}"`, 'Run "fluxo targets" to list them.');
    if (target.kind !== 'local') fail(ErrorCode.Unsupported, `target "${target.id}" cannot run pipelines yet`);

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
        this.options.emit({ type: 'run.stepChanged', runId: id, step });
      },
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
      steps: execution.steps.map((s) => ({ ...s })),
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
    const done = this.finish(record, execution);
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

  private async finish(record: RunRecord, execution: LocalExecution): Promise<RunRecord> {
    let status: RunRecord['status'];
    try {
      status = await execution.start();
    } catch (e) {
      status = 'failed';
      record.error = { code: ErrorCode.Internal, message: `the run stopped unexpectedly: ${e instanceof Error ? e.message : String(e)}` };
    }
    record.steps = execution.steps.map((s) => ({ ...s, outputs: s.outputs.map((o) => ({ ...o })) }));
    record.status = status;
    record.endedAt = new Date().toISOString();
    if (status === 'failed' && !record.error) {
      const failed = record.steps.find((s) => s.state === 'failed');
      if (failed) {
        record.error = {
          code: ErrorCode.Internal,
          message: `step "${failed.label}" failed with exit code ${failed.exitCode}`,
          hint: `Read its log: ${path.join(record.runDir, failed.log)}`,
        };
      }
    }
    if (status === 'completed') {
      await this.collectResults(record).catch((e: unknown) => {
        record.error = { code: ErrorCode.RunStorage, message: `the results could not be copied to the top of the run folder: ${describeIoError(e)}`, hint: 'They are still in each step\'s folder under steps/.' };
      });
    }
    await this.persist(record);
    const storageError = this.writers.get(record.id)?.lastError;
    if (storageError && !record.error) {
      record.error = { code: ErrorCode.RunStorage, message: `the run record could not be saved: ${describeIoError(storageError)}`, hint: 'Free some disk space; the outputs already written are kept.' };
    }
    this.writers.delete(record.id);
    this.active.delete(record.id);
    this.options.emit({ type: 'run.finished', run: structuredClone(record) });
    return record;
  }

  /** Copies metrics, figures and reports to the top of the run folder (step-prefixed on a clash). */
  private async collectResults(record: RunRecord): Promise<void> {
    const results = record.steps.flatMap((s) => s.outputs).filter((o) => o.exists && RESULT_FORMAT.test(o.format));
    const counts = new Map<string, number>();
    for (const o of results) counts.set(path.posix.basename(o.path), (counts.get(path.posix.basename(o.path)) ?? 0) + 1);
    for (const o of results) {
      const base = path.posix.basename(o.path);
      const name = counts.get(base) === 1 ? base : `${o.stepId}-${base}`;
      await fs.copyFile(path.join(record.runDir, o.path), path.join(record.runDir, name));
    }
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

async function readRecord(dir: string): Promise<RunRecord | null> {
  try {
    const record = JSON.parse(await fs.readFile(path.join(dir, RUN_RECORD), 'utf8')) as RunRecord;
    if (record.status === 'running') {
      // Read from disk while no process of ours runs it: Fluxo stopped during the run.
      record.status = 'failed';
      record.error = { code: ErrorCode.Internal, message: 'Fluxo was closed while this run was going on; it did not finish' };
    }
    return record;
  } catch {
    return null;
  }
}

export type { OutputFile };
