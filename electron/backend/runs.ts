import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FluxoEvent, OutputFile, RunFile, RunRecord, StartRunRequest, StepRecord, TransferView } from '../../shared/api';
import { ErrorCode, fail, FluxoFailure } from '../../shared/api';
import type { Catalog } from '../../shared/catalog';
import type { BundleManifest, CompileOptions } from '../../shared/compiler';
import { BUNDLE_VERSION, compile } from '../../shared/compiler';
import { renderRoCrate } from '../../shared/compiler/rocrate';
import type { PipelineDocument, Step } from '../../shared/document';
import { parseDocument, serializeDocument } from '../../shared/document';
import type { SlurmProfile, TargetProfile } from '../../shared/targets';
import { stepCacheKeys } from '../../shared/compiler';
import type { SshConnection } from '../ssh/transport';
import { SshError } from '../ssh/transport';
import { descendantsOf, initialRemoteSteps, isMissing, RemoteExecution, remoteInputPath, resolveWorkRoot } from '../targets/slurm/remote';
import type { StageItem } from '../targets/slurm/staging';
import { download, listLocalTree, listRemoteTree, StagingError } from '../targets/slurm/staging';
import { LogTail } from '../targets/slurm/logs';
import { SharedMonitor } from '../targets/slurm/sharedMonitor';
import { choosePython } from '../targets/python';
import { LocalExecution } from '../targets/local';
import type { FinalStepState } from '../targets/markers';
import { aggregateTasks, isFinal, readFinalStates, summarizeTasks } from '../targets/markers';
import { describeMissingTools, findMissingTools } from '../targets/tools';
import { writeBundle } from './bundleWriter';
import { SSH_ERROR_CODES } from './sshErrors';
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
  /** Live SSH connections to clusters, one per profile (reused, reconnecting); absent: no cluster runs. */
  clusters?: ClusterConnections;
  /** Monitor intervals for cluster runs (tests shorten them). */
  pollMinMs?: number;
  pollMaxMs?: number;
}

/** What the run manager needs of the SSH side: the connection for a cluster profile. */
export interface ClusterConnections {
  /** Rejects with SshError (host key, login, unreachable). */
  get(profile: SlurmProfile): Promise<SshConnection>;
  /** Closes every connection (the process is about to end). */
  closeAll?(): Promise<void>;
}

interface ActiveRun {
  record: RunRecord;
  execution: { cancel(): Promise<unknown> };
  /** A cluster run: detach() stops watching without touching its jobs. */
  detach?: () => Promise<void>;
  done: Promise<RunRecord>;
}

/** What a cluster run needs to be picked up again by another Fluxo process (remote-plan.json). */
interface RemotePlan {
  inputs: StageItem[];
  cacheKeys: Record<string, string> | null;
  forceRun: string[];
  checksum?: boolean;
}
const REMOTE_PLAN = 'remote-plan.json';
const WATCH_LOCK = '.fluxo-watch.lock';
/** Written by a Fluxo process that wants a run cancelled which another process watches. */
const CANCEL_REQUEST = '.fluxo-cancel-requested';

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

/** Compiles, or fails with E300 naming the first problem and carrying them all. */
function compileOrFail(document: PipelineDocument, catalog: Catalog, target: TargetProfile, options: CompileOptions) {
  const compiled = compile(document, catalog, target, options);
  if (!compiled.ok) {
    const errors = compiled.problems.filter((p) => p.severity === 'error');
    fail(ErrorCode.PipelineInvalid, `the pipeline has ${errors.length} problem${errors.length === 1 ? '' : 's'}: ${errors[0]?.message ?? ''}`, errors[0]?.fix, errors);
  }
  return compiled.bundle;
}

/** What every new run's record starts with. */
function newRecord(id: string, request: StartRunRequest, target: TargetProfile, runDir: string, now: Date) {
  return {
    id,
    pipelineName: request.document.metadata.name,
    pipelinePath: request.pipelinePath ?? null,
    targetId: target.id,
    status: 'running' as const,
    runDir,
    createdAt: now.toISOString(),
    endedAt: null,
    error: null,
  };
}

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
  private monitors = new Map<string, SharedMonitor>();

  constructor(private readonly options: RunManagerOptions) {}

  async start(request: StartRunRequest): Promise<RunRecord> {
    const catalog = await this.options.catalog();
    const target = (await this.options.targets()).find((t) => t.id === request.targetId);
    if (!target) fail(ErrorCode.UnknownTarget, `there is no target "${request.targetId}"`, 'Run "fluxo targets" to list them.');
    if (target.kind === 'slurm') return this.startRemote(request, target, catalog);

    const bundle = compileOrFail(request.document, catalog, target, {});
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
    const reused = request.rerun ? await this.reuseForRerun(request.rerun, bundle.manifest, request.document, target.id, runDir) : undefined;

    const execution = new LocalExecution({
      ...(reused ? { reused } : {}),
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
      ...newRecord(id, request, target, runDir, now),
      python,
      steps: structuredClone(execution.steps),
      rerunOf: request.rerun?.runId ?? null,
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

  /**
   * A rerun on this computer: the steps before the one rerun (or before the failed ones) that the
   * earlier run completed, unchanged since, with every step they need also reused, have their
   * outputs and logs linked into the new run folder instead of running again.
   */
  private async reuseForRerun(
    rerun: NonNullable<StartRunRequest['rerun']>,
    manifest: BundleManifest,
    document: PipelineDocument,
    targetId: string,
    runDir: string,
  ): Promise<Map<string, { runId: string }>> {
    const prev = await this.get(rerun.runId);
    if (prev.targetId !== targetId) fail(ErrorCode.PipelineInvalid, `run ${prev.id} ran on "${prev.targetId}", not on "${targetId}"`, 'Rerun it on the same target, or start a new run.');
    if (typeof rerun.from === 'object' && !manifest.steps.some((s) => s.id === (rerun.from as { step: string }).step)) {
      fail(ErrorCode.PipelineInvalid, `the pipeline has no step "${rerun.from.step}" to rerun from`);
    }
    const parsed = parseDocument(await fs.readFile(path.join(prev.runDir, 'pipeline.fluxo'), 'utf8').catch(() => ''));
    const before = parsed.ok ? new Map(parsed.document.steps.map((s) => [s.id, s])) : new Map<string, Step>();
    const now = new Map(document.steps.map((s) => [s.id, s]));
    const force = new Set<string>();
    const from = rerun.from === 'failed' ? prev.steps.filter((s) => s.state !== 'completed').map((s) => s.id) : [rerun.from.step];
    for (const id of from) if (manifest.steps.some((s) => s.id === id)) for (const d of [id, ...descendantsOf(manifest, id)]) force.add(d);
    const prevSteps = new Map(prev.steps.map((s) => [s.id, s]));
    const reused = new Map<string, { runId: string }>();
    const ordered = [...manifest.order.map((id) => manifest.steps.find((s) => s.id === id)!).filter(Boolean), ...manifest.steps.filter((s) => !manifest.order.includes(s.id))];
    for (const step of ordered) {
      const old = prevSteps.get(step.id);
      if (force.has(step.id) || old?.state !== 'completed' || !sameStep(before.get(step.id), now.get(step.id))) continue;
      if (step.dependsOn.some((d) => !reused.has(d))) continue;
      try {
        await linkTree(path.join(prev.runDir, 'steps', step.id), path.join(runDir, 'steps', step.id));
        const logs = old.tasks ? old.tasks.map((t) => t.log) : [old.log];
        for (const log of logs) await linkTree(path.join(prev.runDir, log), path.join(runDir, log)).catch(() => undefined);
      } catch (e) {
        fail(ErrorCode.RunStorage, `could not reuse the outputs of ${step.label} from run ${prev.id}: ${describeIoError(e)}`, 'Free some disk space, or run the whole pipeline again.');
      }
      reused.set(step.id, { runId: prev.id });
    }
    return reused;
  }

  // ------------------------------------------------------------------ cluster runs

  /** Connects (or reuses the connection), turning SSH failures into errors a person can act on. */
  private async connect(profile: SlurmProfile): Promise<SshConnection> {
    const clusters = this.options.clusters;
    if (!clusters) fail(ErrorCode.Unsupported, `this Fluxo cannot connect to ${profile.title}`, 'Use the desktop app or the fluxo command.');
    try {
      return await clusters.get(profile);
    } catch (e) {
      throw sshFailure(e, profile);
    }
  }

  private async startRemote(request: StartRunRequest, target: SlurmProfile, catalog: Catalog): Promise<RunRecord> {
    const options = { account: request.account ?? null, qos: request.qos ?? null, reservation: request.reservation ?? null };
    // A pipeline that cannot run there is said before any connection (and any password prompt).
    compileOrFail(request.document, catalog, target, options);
    const conn = await this.connect(target);
    let root: string;
    try {
      root = await resolveWorkRoot(conn, target);
    } catch (e) {
      throw sshFailure(e, target);
    }

    // Files on this computer that steps read go to the cluster once (one folder per local path),
    // and the pipeline that is compiled names them there. A path that is not on this computer is
    // taken to be a path on the cluster already.
    const document = structuredClone(request.document);
    const inputs: StageItem[] = [];
    const digests: Record<string, string> = {};
    for (const step of document.steps) {
      const block = catalog.blocks.find((b) => b.id === step.type);
      for (const def of block?.params ?? []) {
        if (def.type !== 'path') continue;
        const value = step.params[def.id];
        if (typeof value !== 'string' || value === '' || !path.isAbsolute(value)) continue;
        const st = await fs.stat(value).catch(() => null);
        if (!st) continue;
        const remote = remoteInputPath(root, value);
        step.params[def.id] = remote;
        if (st.isDirectory()) inputs.push(...(await listLocalTree(value, remote)));
        else inputs.push({ local: value, remote, size: st.size });
        digests[remote] = await digestOf(value, st.isDirectory());
      }
    }

    const bundle = compileOrFail(document, catalog, target, options);
    const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
    let cacheKeys: Record<string, string> | null = null;
    if (request.useCache !== false) {
      // The compiler's key covers the block's id, version and command; the scripts it ships are
      // added here, so a block script changed without a version bump is not served from the cache.
      const assets = await assetDigests(this.options.resourcesDir, bundle.assets.map((a) => a.from));
      const runtime = bundle.assets.filter((a) => !a.from.startsWith('blocks/')).map((a) => assets.get(a.from)).join(',');
      const keys = stepCacheKeys(document, catalog, bundle.manifest, digests, sha256);
      cacheKeys = {};
      for (const [stepId, key] of Object.entries(keys)) {
        const blockId = bundle.manifest.steps.find((s) => s.id === stepId)!.block.id;
        const own = bundle.assets.filter((a) => a.from.startsWith(`blocks/${blockId}/`)).map((a) => `${a.from}=${assets.get(a.from)}`).join(',');
        cacheKeys[stepId] = sha256(`${key}\n${own}\n${runtime}`);
      }
    }
    const forceRun = new Set<string>();
    if (request.rerun && typeof request.rerun.from === 'object') {
      const from = request.rerun.from.step;
      if (!bundle.manifest.steps.some((s) => s.id === from)) fail(ErrorCode.PipelineInvalid, `the pipeline has no step "${from}" to rerun from`);
      for (const id of [from, ...descendantsOf(bundle.manifest, from)]) forceRun.add(id);
    }

    const now = new Date();
    const id = newRunId(now);
    const runDir = path.resolve(request.runDir ?? path.join(this.options.runsDir, id));
    await this.prepareRunDir(runDir, request.runDir != null);
    try {
      await writeBundle(bundle, path.join(runDir, 'bundle'), this.options.resourcesDir);
      await writeFileAtomic(path.join(runDir, 'pipeline.fluxo'), serializeDocument(request.document));
      const plan: RemotePlan = { inputs, cacheKeys, forceRun: [...forceRun], checksum: request.checksum ?? false };
      await writeFileAtomic(path.join(runDir, REMOTE_PLAN), `${JSON.stringify(plan, null, 2)}\n`);
    } catch (e) {
      fail(ErrorCode.RunStorage, `could not write the run folder ${runDir}: ${describeIoError(e)}`, 'Free some disk space or choose another folder.');
    }
    if (request.runDir != null) this.elsewhere.set(id, runDir);

    const record: RunRecord = {
      ...newRecord(id, request, target, runDir, now),
      python: null,
      steps: initialRemoteSteps(bundle.manifest),
      remote: {
        host: conn.endpoint.host,
        port: conn.endpoint.port,
        user: conn.endpoint.user,
        workDir: path.posix.join(root, id),
        account: bundle.manifest.account,
        qos: bundle.manifest.qos,
        reservation: bundle.manifest.reservation,
        phase: 'staging',
        bytesUploaded: 0,
        bytesDownloaded: 0,
        stepsExecuted: 0,
        stepsCached: 0,
        lastContactAt: now.toISOString(),
        unreachable: null,
      },
      rerunOf: request.rerun?.runId ?? null,
    };
    // The record is on disk before anything is sent: a crash from here on is picked up again.
    await this.persistDurably(record);
    await this.takeWatchLock(runDir);
    this.attachRemote(record, bundle.manifest, target, { inputs, cacheKeys, forceRun: [...forceRun], checksum: request.checksum ?? false });
    this.options.emit({ type: 'run.started', run: structuredClone(record) });
    return structuredClone(record);
  }

  /** The connection for code below the contract: the transport's own error, whose kind says whether to retry. */
  private transport(target: SlurmProfile): Promise<SshConnection> {
    return this.connect(target).catch((e: unknown) => {
      throw e instanceof FluxoFailure ? ((e.error.details as { ssh?: SshError } | undefined)?.ssh ?? e) : e;
    });
  }

  /** One monitor per cluster for every run this process watches there (one squeue per cycle). */
  private monitorFor(target: SlurmProfile): SharedMonitor {
    let monitor = this.monitors.get(target.id);
    if (!monitor) {
      monitor = new SharedMonitor({
        exec: async (command, options) => (await this.transport(target)).exec(command, options),
        readFile: async (file, options) => {
          const files = await (await this.transport(target)).files();
          return files.readFile(file, options).catch((e: unknown) => (isMissing(e) ? null : Promise.reject(e)));
        },
        accounting: 'auto',
        minIntervalMs: this.options.pollMinMs,
        maxIntervalMs: this.options.pollMaxMs,
      });
      this.monitors.set(target.id, monitor);
    }
    return monitor;
  }

  /** Starts (or resumes) watching a cluster run in this process. */
  private attachRemote(record: RunRecord, manifest: BundleManifest, target: SlurmProfile, plan: RemotePlan): void {
    const id = record.id;
    const execution = new RemoteExecution({
      record,
      manifest,
      profile: target,
      runDir: record.runDir,
      connection: () => this.transport(target),
      inputs: plan.inputs,
      cacheKeys: plan.cacheKeys,
      forceRun: new Set(plan.forceRun),
      checksum: plan.checksum ?? false,
      changed: async (durable, stepIds) => {
        // Job ids and phase changes are on disk before anyone is told of them.
        if (durable) await this.persistDurably(record);
        else void this.persist(record);
        for (const s of record.steps) if (!stepIds || stepIds.includes(s.id)) this.queueStepEvent(id, structuredClone(s));
      },
      onLog: (stepId, text) => this.options.emit({ type: 'run.logAppended', runId: id, stepId, text }),
      onTransfer: (transfer) => this.options.emit({ type: 'run.transfer', runId: id, transfer }),
      onContact: () => this.options.emit({ type: 'run.remoteChanged', runId: id, remote: structuredClone(record.remote!) }),
      monitor: this.monitorFor(target),
    });
    let detached = false;
    const cancelRequest = path.join(record.runDir, CANCEL_REQUEST);
    const cancelPoll = setInterval(() => {
      void fs.access(cancelRequest).then(
        () => execution.cancel(),
        () => undefined,
      );
    }, 1000);
    const done = (async (): Promise<RunRecord> => {
      let status: RunRecord['status'];
      try {
        status = await execution.run();
      } catch (e) {
        if (detached) status = 'running';
        else {
          // Nothing on the cluster is lost: the run stays "running" unless it surely never reached
          // Slurm (still staging). From "submitting" on, jobs may exist: following again finds out.
          const f = sshFailure(e, target);
          const submitted = record.remote!.phase !== 'staging';
          record.error = { ...f.error, details: undefined, message: submitted ? `Fluxo stopped watching this run: ${f.error.message}` : f.error.message, hint: submitted ? `The jobs go on on the cluster. Follow them again with: fluxo status ${id} --wait` : f.error.hint };
          status = submitted ? 'running' : 'failed';
          if (!submitted) for (const s of record.steps) if (!isFinal(s.state)) Object.assign(s, { state: 'cancelled', detail: 'not submitted' });
        }
      }
      clearInterval(cancelPoll);
      record.status = status;
      if (status !== 'running') {
        await fs.rm(cancelRequest, { force: true }).catch(() => undefined);
        record.endedAt = new Date().toISOString();
        if (status === 'failed' && !record.error) {
          const failed = record.steps.find((s) => s.state === 'failed');
          if (failed) record.error = remoteFailureOf(failed);
        }
        if (status === 'completed') {
          await this.collectResults(record).catch(() => undefined);
        }
        await this.writeCrate(record, manifest).catch(() => undefined);
      }
      // Whatever the reason this process stops watching, another one may pick the run up now.
      await this.releaseWatchLock(record.runDir);
      await this.persist(record);
      this.writers.delete(id);
      this.active.delete(id);
      this.flushStepEvents(id);
      if (status !== 'running' || !detached) this.options.emit({ type: 'run.finished', run: structuredClone(record) });
      return record;
    })();
    this.active.set(id, {
      record,
      execution,
      detach: async () => {
        detached = true;
        await execution.cancelWatchOnly();
        await done;
      },
      done,
    });
  }

  private async writeCrate(record: RunRecord, manifest: BundleManifest): Promise<void> {
    const parsed = parseDocument(await fs.readFile(path.join(record.runDir, 'pipeline.fluxo'), 'utf8'));
    if (!parsed.ok) return;
    const crate = renderRoCrate(parsed.document, manifest, {
      id: record.id,
      status: record.status === 'running' ? 'failed' : record.status,
      startedAt: record.createdAt,
      endedAt: record.endedAt ?? new Date().toISOString(),
      steps: record.steps.map((s) => ({
        id: s.id,
        state: s.state,
        jobIds: s.job ? [s.job.id] : [],
        exitCode: s.exitCode,
        startedAt: s.startedAt,
        endedAt: s.endedAt,
        outputs: s.outputs.filter((o) => o.exists).map((o) => o.path),
      })),
    });
    await writeFileAtomic(path.join(record.runDir, RO_CRATE), crate);
  }


  /** Writes the record and waits until it is on disk; a failed write stops the run's progress. */
  private async persistDurably(record: RunRecord): Promise<void> {
    await this.persist(record);
    const e = this.writers.get(record.id)?.lastError;
    if (e) fail(ErrorCode.RunStorage, `could not save the run record in ${record.runDir}: ${describeIoError(e)}`, 'Free some disk space; then follow the run again with "fluxo status".');
  }

  /**
   * One Fluxo process watches a cluster run at a time (the app, or a CLI). The lock holds the
   * watcher's pid; a lock whose process is gone (killed) is taken over.
   */
  private async takeWatchLock(runDir: string): Promise<boolean> {
    const file = path.join(runDir, WATCH_LOCK);
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const h = await fs.open(file, 'wx');
        await h.writeFile(String(process.pid));
        await h.sync();
        await h.close();
        return true;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        const pid = Number((await fs.readFile(file, 'utf8').catch(() => '')).trim());
        if (pid === process.pid) return true;
        if (Number.isInteger(pid) && pid > 0 && processAlive(pid)) return false;
        await fs.rm(file, { force: true });
      }
    }
    return false;
  }

  private async releaseWatchLock(runDir: string): Promise<void> {
    const file = path.join(runDir, WATCH_LOCK);
    const pid = Number((await fs.readFile(file, 'utf8').catch(() => '')).trim());
    if (pid === process.pid) await fs.rm(file, { force: true });
  }

  /**
   * Picks up cluster runs that no Fluxo process watches any more (closed, crashed, killed) and goes
   * on from the phase their record says. Returns the ids it attached.
   */
  async reattach(onlyRunId?: string): Promise<string[]> {
    const attached: string[] = [];
    const dirs = onlyRunId ? [this.elsewhere.get(onlyRunId) ?? path.join(this.options.runsDir, onlyRunId)] : (await fs.readdir(this.options.runsDir).catch(() => [] as string[])).map((n) => path.join(this.options.runsDir, n));
    for (const dir of dirs) {
      const record = await readRecordRaw(dir);
      if (!record || record.status !== 'running' || !record.remote || this.active.has(record.id)) continue;
      const target = (await this.options.targets()).find((t) => t.id === record.targetId);
      if (!target || target.kind !== 'slurm') continue;
      let manifest: BundleManifest;
      let plan: RemotePlan;
      try {
        manifest = JSON.parse(await fs.readFile(path.join(dir, 'bundle', 'manifest.json'), 'utf8')) as BundleManifest;
        plan = JSON.parse(await fs.readFile(path.join(dir, REMOTE_PLAN), 'utf8')) as RemotePlan;
      } catch {
        continue;
      }
      if (!(await this.takeWatchLock(dir))) continue;
      record.error = null;
      if (dir !== path.join(this.options.runsDir, record.id)) this.elsewhere.set(record.id, dir);
      this.attachRemote(record, manifest, target, plan);
      attached.push(record.id);
    }
    return attached;
  }

  /**
   * The text of a step's log (a task's with `task`). For a cluster run still going, follows the
   * log on the cluster until the step ends when `follow` is set; otherwise reads what this
   * computer has (logs come back when the run ends).
   */
  async readLog(runId: string, stepId: string, options: { task?: number | null; follow?: boolean; onText: (text: string) => void; signal?: AbortSignal }): Promise<void> {
    let record = await this.get(runId);
    const step = record.steps.find((s) => s.id === stepId);
    if (!step) fail(ErrorCode.UnknownRun, `run ${runId} has no step "${stepId}"`, `Its steps: ${record.steps.map((s) => s.id).join(', ')}`);
    const task = options.task ?? null;
    if (step.tasks && task === null) fail(ErrorCode.BadRequest, `step "${stepId}" runs as ${step.tasks.length} tasks: say which one`, 'Add --task N.');
    const rel = task === null ? step.log : step.log.split('{task}').join(String(task));
    const errRel = rel.endsWith('.out') ? rel.replace(/\.out$/, '.err') : null;
    if (record.status !== 'running' || !record.remote) {
      for (const r of [rel, errRel]) {
        if (!r) continue;
        const text = await fs.readFile(path.join(record.runDir, r), 'utf8').catch(() => null);
        if (text) options.onText(text);
      }
      if (!options.follow || record.status !== 'running') return;
    }
    const target = (await this.options.targets()).find((t) => t.id === record.targetId);
    if (!target || target.kind !== 'slurm' || !record.remote) return;
    const conn = await this.connect(target);
    const files = await conn.files();
    const readFile = async (p: string, o?: { start?: number; maxBytes?: number }) => files.readFile(p, o).catch((e: unknown) => (isMissing(e) ? null : Promise.reject(e)));
    const tails = [rel, errRel].filter((r): r is string => r !== null).map((r) => new LogTail({ path: `${record.remote!.workDir}/${r}`, readFile, onText: options.onText }));
    for (;;) {
      for (const t of tails) await t.poll().catch(() => undefined);
      if (!options.follow || options.signal?.aborted) return;
      record = await this.get(runId);
      const s = record.steps.find((x) => x.id === stepId)!;
      const unit = task === null ? s : s.tasks?.find((t) => t.index === task);
      if (record.status !== 'running' || (unit && isFinal(unit.state))) {
        for (const t of tails) await t.poll().catch(() => undefined);
        return;
      }
      await new Promise((r) => setTimeout(r, 2000));
    }
  }

  /** Downloads every file of a finished cluster run (outputs, logs) that this computer lacks. */
  async fetch(runId: string, onTransfer?: (v: TransferView) => void): Promise<{ bytes: number; files: number; skipped: number }> {
    const record = await this.get(runId);
    if (!record.remote) fail(ErrorCode.BadRequest, `run ${runId} ran on this computer: its files are already in ${record.runDir}`);
    const target = (await this.options.targets()).find((t) => t.id === record.targetId);
    if (!target || target.kind !== 'slurm') fail(ErrorCode.UnknownTarget, `there is no cluster target "${record.targetId}" any more`);
    const conn = await this.connect(target);
    const files = await conn.files();
    const items: StageItem[] = [];
    try {
      for (const dir of ['steps', 'logs']) items.push(...(await listRemoteTree(files, `${record.remote.workDir}/${dir}`, path.join(record.runDir, dir)).catch(() => [] as StageItem[])));
      const r = await download(files, items, { onProgress: onTransfer });
      if (!this.active.has(runId)) {
        record.remote.bytesDownloaded += r.bytes;
        for (const s of record.steps) for (const o of s.outputs) {
          const st = await fs.stat(path.join(record.runDir, o.path)).catch(() => null);
          o.exists = st !== null;
          o.size = st?.size ?? 0;
        }
        await this.persistDurably(record);
      }
      return { bytes: r.bytes, files: r.files, skipped: r.skipped };
    } catch (e) {
      throw sshFailure(e, target);
    }
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
    let active = this.active.get(runId);
    if (!active) {
      // A cluster run watched by no one (or by a process that is gone) is picked up to be cancelled.
      const record = await this.get(runId);
      if (record.status !== 'running' || !record.remote) return record;
      await this.reattach(runId);
      active = this.active.get(runId);
      if (!active) return this.cancelWatchedElsewhere(record);
    }
    await active.execution.cancel();
    return structuredClone(await active.done);
  }

  /**
   * Another Fluxo process watches this run: it is asked to cancel (a file in the run folder it
   * checks every second) and this waits until the record says the run ended. If that process
   * dies meanwhile, the run is picked up here and cancelled from here.
   */
  private async cancelWatchedElsewhere(record: RunRecord): Promise<RunRecord> {
    await writeFileAtomic(path.join(record.runDir, CANCEL_REQUEST), `${new Date().toISOString()}\n`);
    for (let i = 0; i < 600; i++) {
      await new Promise((r) => setTimeout(r, 1000));
      const now = await readRecordRaw(record.runDir);
      if (now && now.status !== 'running') return now;
      if (await this.reattach(record.id).then((ids) => ids.length > 0)) {
        const active = this.active.get(record.id)!;
        await active.execution.cancel();
        return structuredClone(await active.done);
      }
    }
    fail(ErrorCode.Internal, `the Fluxo process watching run ${record.id} did not confirm the cancellation within 10 minutes`, 'Check it with "fluxo status".');
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

  /** Cancels the runs on this computer; cluster runs are only left (their jobs go on) and can be re-attached. */
  async dispose(): Promise<void> {
    const runs = [...this.active.values()];
    await Promise.all(runs.map((a) => (a.detach ? a.detach() : a.execution.cancel())));
    await Promise.all(runs.map((a) => a.done));
    for (const m of this.monitors.values()) m.stop();
    this.monitors.clear();
    await this.options.clusters?.closeAll?.();
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
    // A cluster run goes on without Fluxo: it stays "running" until someone watches it again.
    if (record.status === 'running' && !record.remote) {
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

async function readRecordRaw(dir: string): Promise<RunRecord | null> {
  try {
    return upgradeRecord(JSON.parse(await fs.readFile(path.join(dir, RUN_RECORD), 'utf8')) as RunRecord);
  } catch {
    return null;
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** sha256 of each shipped file a bundle copies (block scripts, the Python helpers). */
async function assetDigests(resourcesDir: string, files: string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const f of new Set(files)) out.set(f, await digestOf(path.join(resourcesDir, f), false));
  return out;
}

/** sha256 of a file, or of a folder's relative paths and contents in sorted order. */
async function digestOf(file: string, isDirectory: boolean): Promise<string> {
  const h = createHash('sha256');
  const add = async (p: string) => {
    await new Promise<void>((resolve, reject) => {
      const s = createReadStream(p);
      s.on('data', (d) => h.update(d));
      s.on('end', resolve);
      s.on('error', reject);
    });
  };
  if (!isDirectory) await add(file);
  else {
    const entries = (await fs.readdir(file, { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name)).sort();
    for (const e of entries) {
      h.update(`${path.relative(file, e)}\0`);
      await add(e);
    }
  }
  return h.digest('hex');
}

/** An SSH failure as a FluxoFailure with its own code, keeping the transport error for retry decisions. */
function sshFailure(e: unknown, profile: SlurmProfile): FluxoFailure {
  if (e instanceof FluxoFailure) return e;
  if (e instanceof StagingError) {
    return new FluxoFailure({ code: e.kind === 'local-disk-full' ? ErrorCode.RunStorage : ErrorCode.RemoteStorage, message: `${profile.title}: ${e.message}`, hint: e.hint ?? undefined });
  }
  if (!(e instanceof SshError)) return new FluxoFailure({ code: ErrorCode.Internal, message: e instanceof Error ? e.message : String(e) });
  const code = SSH_ERROR_CODES[e.kind];
  return new FluxoFailure({ code, message: `${profile.title}: ${e.message}`, hint: e.hint ?? undefined, details: { ssh: e } });
}

/** The error of a failed cluster run: the step, and the plain-words explanation when there is one. */
function remoteFailureOf(step: StepRecord): RunRecord['error'] {
  const task = step.tasks?.find((t) => t.state === 'failed');
  const explanation = task?.explanation ?? step.explanation;
  if (explanation) return { code: ErrorCode.Internal, message: explanation.title, hint: explanation.action?.label ?? explanation.message };
  return { code: ErrorCode.Internal, message: `step "${step.label}" failed${step.exitCode !== null ? ` with exit code ${step.exitCode}` : ''}`, hint: `Read its log: ${step.log}` };
}

/** Whether a step would compute the same thing: same block, version, params and sweep. */
function sameStep(a: Step | undefined, b: Step | undefined): boolean {
  if (!a || !b) return false;
  const stable = (v: unknown) => JSON.stringify(v, (_k, x: unknown) => (x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([p], [q]) => (p < q ? -1 : 1))) : x));
  return a.type === b.type && a.version === b.version && stable(a.params) === stable(b.params) && stable(a.sweep ?? null) === stable(b.sweep ?? null);
}

/** Hard-links a file or a folder tree to a new place (copies where links are impossible). */
async function linkTree(from: string, to: string): Promise<void> {
  const st = await fs.stat(from);
  if (st.isDirectory()) {
    await fs.mkdir(to, { recursive: true });
    for (const name of await fs.readdir(from)) await linkTree(path.join(from, name), path.join(to, name));
    return;
  }
  await fs.mkdir(path.dirname(to), { recursive: true });
  await fs.link(from, to).catch(() => fs.copyFile(from, to));
}
