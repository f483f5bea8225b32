/**
 * A run on a Slurm cluster over SSH, from the bundle on this computer to the results back here:
 *
 *   staging    -> inputs and the bundle go to <work root>/<run id> by SFTP; cached steps are linked
 *   submitting -> submit.sh runs on the login node, detached, and the job ids are recorded
 *   watching   -> one squeue (and sacct) per cycle, exit markers, logs tailed
 *   fetching   -> logs and results come back
 *   ended
 *
 * INVARIANT: each phase can be run again from its start after a crash, a lost connection or the
 * process being killed: uploads skip what is there and resume what is half there; submit.sh is
 * started at most once per run folder (.fluxo-submit-started, checked and created in one remote
 * command) and itself refuses to submit twice (.fluxo-submitted); watching and fetching only read.
 * The caller persists the record (durably) at every phase change before the next phase starts.
 *
 * INVARIANT: a cluster that does not answer never makes a step "failed": states stay as they were
 * and the run shows "unknown, still watching" until it answers again.
 */
import { createHash } from 'node:crypto';
import { create as createTar } from 'tar';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { FailureExplanation, RemoteRun, RunRecord, RunStatus, StepRecord, TaskRecord, TransferView } from '../../../shared/api';
import type { BundleManifest, ManifestStep } from '../../../shared/compiler';
import { ErrorCode } from '../../../shared/api';
import { SLURM_RUN_FILES } from '../../../shared/compiler';
import type { SlurmProfile } from '../../../shared/targets';
import type { SshConnection } from '../../ssh/transport';
import { SshError } from '../../ssh/transport';
import { aggregateTasks, isFinal, runStatusOf, summarizeTasks, waitingStep } from '../markers';
import { explainFailure } from './explain';
import { LogTail } from './logs';
import type { JobUpdate, TrackedJob } from './monitor';
import type { ClusterMonitor } from './sharedMonitor';
import { afterBegin, isSafeWorkRoot, loginShell, q } from './remoteShell';
import type { StageItem } from './staging';
import { download, listRemoteTree, remoteChecksum, upload } from './staging';

export interface RemoteExecutionOptions {
  /** The run's record: this class changes its steps and `remote`; the caller persists it on `changed`. */
  record: RunRecord;
  manifest: BundleManifest;
  profile: SlurmProfile;
  /** Local run folder (holds bundle/ already). */
  runDir: string;
  /** The live connection to this cluster (reconnects when lost); rejects with SshError. */
  connection: () => Promise<SshConnection>;
  /** Local files a step reads (path params), already rewritten in the bundle to these remote paths. */
  inputs: StageItem[];
  /** Step id -> cache key (sha256 hex); null: no cache (every step runs). */
  cacheKeys: Record<string, string> | null;
  /** Steps that must run even when their key is in the cache ("rerun this step and what follows"). */
  forceRun: Set<string>;
  /** Confirm unchanged files by sha256 too (one remote sha256sum for all of them). */
  checksum?: boolean;
  /**
   * Called after every change of the record. `durable`: the change must be on disk before the run
   * goes on (phase changes, job ids); the returned promise says when it is.
   */
  changed: (durable: boolean, stepIds?: string[]) => Promise<void>;
  onLog: (stepId: string, text: string) => void;
  onTransfer: (view: TransferView) => void;
  /** Called when the cluster stops or starts answering (record.remote already updated). */
  onContact: () => void;
  /** The monitor of this cluster, shared with the other runs there that this process watches. */
  monitor: ClusterMonitor;
}

const CACHE_DIR = '.fluxo-cache';
const DATA_DIR = '.fluxo-data';
/** The file on the cluster that says submit.sh was started for this run folder. */
const SUBMIT_STARTED = '.fluxo-submit-started';
const SUBMIT_LOG = 'submit.log';
/** submit.sh's exit status, written when it ends. */
const SUBMIT_RC = '.fluxo-submit.rc';
/** How long a lost connection is retried before a phase gives up for now (the run stays "running"). */
/** How often the logs of running steps are read (each read is one SFTP request per log). */
const TAIL_EVERY_MS = 2000;
const RETRY_DELAYS_MS = [1000, 2000, 5000, 10_000, 20_000, 30_000, 60_000];

/** Where a local input goes on the cluster: one folder per local path, so a rerun finds it there. */
export function remoteInputPath(workRoot: string, localPath: string): string {
  const id = createHash('sha256').update(path.resolve(localPath)).digest('hex').slice(0, 16);
  return path.posix.join(workRoot, DATA_DIR, id, path.basename(localPath));
}

/** Resolves the profile's work root ("$HOME/fluxo-runs") on the cluster, in the user's login shell. */
export async function resolveWorkRoot(connection: SshConnection, profile: SlurmProfile): Promise<string> {
  const expr = profile.storage.workRoot.replace(/\/+$/, '');
  if (!isSafeWorkRoot(expr)) {
    throw new SshError('remote', `the work root "${profile.storage.workRoot}" of profile ${profile.id} is not a plain path`, 'Use a path made of letters, digits, / . _ - and site variables such as $LUSTRE.');
  }
  const r = await connection.exec(loginShell(`printf '%s\\n' "${expr}"`));
  const value = afterBegin(r.stdout).trim();
  if (r.code !== 0 || !value.startsWith('/')) {
    throw new SshError('remote', `the work root "${expr}" does not name a folder on ${profile.title} (it expands to "${value}")`, 'Check the storage section of the target profile: a variable it uses may not exist on this cluster.');
  }
  return value;
}

function isTransient(e: unknown): boolean {
  return e instanceof SshError && (e.kind === 'closed' || e.kind === 'unreachable');
}

/** Thrown out of run() when Fluxo stops watching (closing): the run goes on without it. */
export class Detached extends Error {
  constructor() {
    super('Fluxo stopped watching this run');
    this.name = 'Detached';
  }
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    });
  });

export class RemoteExecution {
  private readonly record: RunRecord;
  private readonly stepsById: Map<string, ManifestStep>;
  /** Aborted by cancel and by detach: nothing more goes up. */
  private readonly stopUploads = new AbortController();
  /** Aborted by detach only: a cancelled run still brings its logs back. */
  private readonly stopAll = new AbortController();
  private cancelRequested = false;
  private detached = false;
  private tails = new Map<string, LogTail>();
  /** Logs of units that ended and were read to their end. */
  private tailsDone = new Set<string>();
  private lastTail = 0;
  private wakeWatch: (() => void) | null = null;

  constructor(private readonly options: RemoteExecutionOptions) {
    this.record = options.record;
    this.stepsById = new Map(options.manifest.steps.map((s) => [s.id, s]));
  }

  private checksum(conn: SshConnection) {
    return this.options.checksum ? remoteChecksum((command, options) => conn.exec(command, options)) : undefined;
  }

  private get remote() {
    return this.record.remote!;
  }

  /** Runs the remaining phases; resolves with the run's status. Rejects with Detached after cancelWatchOnly(). */
  async run(): Promise<RunStatus> {
    for (;;) {
      const phase = this.remote.phase;
      if (phase === 'ended') return runStatusOf(this.record.steps.map((s) => s.state), this.cancelRequested && this.record.steps.some((s) => s.state === 'cancelled'));
      try {
        if (this.detached) throw new Detached();
        if (phase === 'staging') await this.stage();
        else if (phase === 'submitting') await this.submit();
        else if (phase === 'watching') await this.watch();
        else if (phase === 'fetching') await this.fetch();
      } catch (e) {
        if (this.detached) throw new Detached();
        if (this.cancelRequested && phase === 'staging') {
          await this.endCancelledBeforeSubmit();
          continue;
        }
        if (!isTransient(e)) throw e;
        // A phase starts again from its beginning once the cluster answers; nothing it did is lost.
        await this.waitForContact(e as SshError);
      }
    }
  }

  /** Cancels the run: nothing more is sent; submitted jobs are cancelled and their end confirmed. */
  async cancel(): Promise<void> {
    this.cancelRequested = true;
    this.stopUploads.abort();
    this.wakeWatch?.();
  }

  /** Stops watching and leaves the jobs alone (Fluxo closes; the run is picked up again later). */
  async cancelWatchOnly(): Promise<void> {
    this.detached = true;
    this.stopUploads.abort();
    this.stopAll.abort();
    this.wakeWatch?.();
  }

  private async waitForContact(error: SshError): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      this.setContact(false, error.message);
      const delay = RETRY_DELAYS_MS[Math.min(attempt, RETRY_DELAYS_MS.length - 1)]!;
      await sleep(delay, this.stopAll.signal);
      if (this.detached) return;
      try {
        const c = await this.options.connection();
        const r = await c.exec('true');
        if (r.code === 0) {
          this.setContact(true, null);
          return;
        }
      } catch (e) {
        if (!isTransient(e)) throw e;
        error = e as SshError;
      }
    }
  }

  private setContact(ok: boolean, reason: string | null): void {
    const was = this.remote.unreachable;
    if (ok) {
      this.remote.lastContactAt = new Date().toISOString();
      this.remote.unreachable = null;
    } else {
      this.remote.unreachable = reason ?? 'the cluster does not answer';
    }
    if (was !== this.remote.unreachable) {
      void this.options.changed(false);
      this.options.onContact();
    }
  }

  private async setPhase(phase: RemoteRun['phase']): Promise<void> {
    this.remote.phase = phase;
    await this.options.changed(true);
  }

  // ------------------------------------------------------------------ staging

  private async stage(): Promise<void> {
    const conn = await this.options.connection();
    const files = await conn.files();
    this.setContact(true, null);
    const work = this.remote.workDir;
    const root = path.posix.dirname(work);
    if (this.cancelRequested) return this.endCancelledBeforeSubmit();

    // Inputs first: a pipeline whose data cannot go up should fail before anything else is sent.
    if (this.options.inputs.length > 0) {
      const r = await upload(files, this.options.inputs, { signal: this.stopUploads.signal, onProgress: (v) => this.options.onTransfer(v), checksum: this.checksum(conn) });
      this.remote.bytesUploaded += r.bytes;
    }
    if (this.cancelRequested) return this.endCancelledBeforeSubmit();

    const cached = await this.linkCachedSteps(conn, root, work);
    const toRun = this.options.manifest.steps.filter((s) => !cached.has(s.id));
    if (this.cancelRequested) return this.endCancelledBeforeSubmit();
    // The scripts go up with the submission itself (one command): see submit().
    await this.setPhase(toRun.length > 0 ? 'submitting' : 'fetching');
  }

  /**
   * Steps whose cache key an earlier finished run on this cluster recorded (and whose outputs are
   * still there) are linked into this run folder, with their exit markers, and listed in
   * .fluxo-cached so submit.sh leaves them out. One remote command decides and links them all.
   */
  private async linkCachedSteps(conn: SshConnection, root: string, work: string): Promise<Set<string>> {
    const keys = this.options.cacheKeys;
    const cached = new Set<string>();
    const cachedFile = SLURM_RUN_FILES.cached;
    if (!keys) {
      await conn.exec(`mkdir -p ${q(`${work}/logs`)} ${q(`${work}/steps`)} && rm -f ${q(`${work}/${cachedFile}`)}`);
      return cached;
    }
    // A step can come from the cache only when everything it depends on does too.
    const candidates: ManifestStep[] = [];
    for (const id of this.options.manifest.order) {
      const s = this.stepsById.get(id)!;
      if (this.options.forceRun.has(id) || !keys[id]) continue;
      if (s.dependsOn.every((d) => candidates.some((c) => c.id === d))) candidates.push(s);
    }
    // For each candidate: the earlier run folder from the cache entry, checked to still hold the
    // step's outputs and a 0 exit marker, then hard-linked (copied where links cannot cross filesystems).
    // Builtins only (read, [ ], an associative array) except for the copies of real hits: one
    // fork per candidate step would cost seconds for pipelines of hundreds of steps.
    const lines = [
      'set -u',
      'declare -A HIT=()',
      `mkdir -p ${q(`${work}/logs`)} ${q(`${work}/steps`)}`,
      `: > ${q(`${work}/${cachedFile}.tmp`)}`,
      'first_line() { REPLY=""; if [ -r "$1" ]; then IFS= read -r REPLY < "$1" || true; fi; }',
      'ok_marker() { first_line "$1"; [ "${REPLY}" = 0 ]; }',
      'link() { cp -al "$1" "$2" 2>/dev/null || cp -a "$1" "$2"; }',
    ];
    for (const s of candidates) {
      const entry = `${root}/${CACHE_DIR}/${keys[s.id]}`;
      const markers = s.tasks ? Array.from({ length: s.tasks.count }, (_, i) => s.marker.split('{task}').join(String(i))) : [s.marker];
      const deps = s.dependsOn.map((d) => `[ -n "\${HIT[${q(d)}]:-}" ]`);
      lines.push(
        `first_line ${q(entry)}; old="\${REPLY}"`,
        `if [ -n "$old" ] && [ "$old" != ${q(work)} ] && [ -d "$old/steps/"${q(s.id)} ]${markers.map((m) => ` && ok_marker "$old/"${q(m)}`).join('')}${deps.map((d) => ` && ${d}`).join('')}; then`,
        `  rm -rf ${q(`${work}/steps/${s.id}`)} && link "$old/steps/"${q(s.id)} ${q(`${work}/steps/${s.id}`)}${markers.map((m) => ` && cp -p "$old/"${q(m)} ${q(`${work}/${m}`)}`).join('')} && HIT[${q(s.id)}]=1 && printf '%s\\n' ${q(s.id)} >> ${q(`${work}/${cachedFile}.tmp`)} && printf 'cached %s %s\\n' ${q(s.id)} "$old"`,
        'fi',
      );
    }
    lines.push(`mv -f ${q(`${work}/${cachedFile}.tmp`)} ${q(`${work}/${cachedFile}`)}`);
    const r = await conn.exec(`bash -c ${q(lines.join('\n'))}`);
    if (r.code !== 0) throw new SshError('remote', `could not prepare the run folder ${work} on the cluster: ${r.stderr.trim()}`, 'Check that the work root is writable and has space.');
    for (const line of r.stdout.split('\n')) {
      const m = /^cached (\S+) (.+)$/.exec(line);
      if (!m) continue;
      cached.add(m[1]!);
      const step = this.record.steps.find((s) => s.id === m[1])!;
      const from = path.posix.basename(m[2]!);
      Object.assign(step, { state: 'completed', exitCode: 0, cached: true, cachedFrom: from, detail: `cached: outputs of run ${from}`, marker: 'found' });
      for (const t of step.tasks ?? []) Object.assign(t, { state: 'completed', exitCode: 0, marker: 'found', detail: null });
    }
    this.remote.stepsCached = cached.size;
    return cached;
  }

  private async endCancelledBeforeSubmit(): Promise<void> {
    for (const s of this.record.steps) {
      if (isFinal(s.state)) continue;
      Object.assign(s, { state: 'cancelled', detail: 'not submitted: the run was cancelled first' });
      for (const t of s.tasks ?? []) if (!isFinal(t.state)) Object.assign(t, { state: 'cancelled', detail: 'not submitted' });
    }
    await this.setPhase('ended');
  }

  // ------------------------------------------------------------------ submitting

  /**
   * Starts submit.sh detached from this connection (setsid, output to submit.log), so a dropped
   * connection or a killed Fluxo cannot stop it halfway; then waits for it and reads jobs.tsv.
   * Started at most once per run folder: the check and the marker are one `mkdir`.
   */
  private async submit(): Promise<void> {
    const conn = await this.options.connection();
    const work = this.remote.workDir;
    const env = [
      `FLUXO_RUN=${q(work)}`,
      `FLUXO_BUNDLE=${q(`${work}/bundle`)}`,
      ...(this.record.python ? [`FLUXO_PYTHON=${q(this.record.python)}`] : []),
    ].join(' ');
    // The bundle is many small files, new in every run folder: one tar stream into `tar -x`, in
    // the same command that starts submit.sh and waits for it, is one round trip where SFTP would
    // take several per file. The exit status goes to a file, so whoever waits (this command, or
    // the next one after a crash or a dropped connection) learns how submit.sh ended without
    // having been its parent; jobs.tsv comes back in the same answer.
    const archive = await tarOf(path.join(this.options.runDir, 'bundle'));
    const detached = `${env} bash bundle/submit.sh > ${SUBMIT_LOG} 2>&1; echo $? > ${SUBMIT_RC}.tmp; mv -f ${SUBMIT_RC}.tmp ${SUBMIT_RC}`;
    const unpackFailed = `echo ${q(`error: the pipeline's scripts could not be unpacked into ${work}/bundle (is the disk full?)`)} > ${SUBMIT_LOG}; echo 1 > ${SUBMIT_RC}`;
    const startAndWait = [
      `cd ${q(work)}`,
      // setsid does not fork here (a background job of a non-interactive shell leads no process
      // group), so `wait` follows the detached submit.sh; a later attempt polls for its status.
      `if mkdir ${SUBMIT_STARTED} 2>/dev/null; then if mkdir -p bundle && tar -xf - -C bundle; then setsid nohup bash -c ${q(detached)} < /dev/null > /dev/null 2>&1 & wait $!; else ${unpackFailed}; fi; else cat > /dev/null; fi`,
      `while [ ! -e ${SUBMIT_RC} ]; do sleep 0.05; done`,
      `cat ${SUBMIT_RC}`,
      'echo ---',
      `cat ${SLURM_RUN_FILES.jobs} 2>/dev/null || true`,
    ].join('; ');
    const r = await conn.exec(loginShell(startAndWait), { stdin: archive });
    this.remote.bytesUploaded += archive.length;
    const [answer = '', jobsText = ''] = afterBegin(r.stdout).split('---\n');
    if (r.code !== 0 || !/^\d+$/.test(answer.trim())) {
      if (r.code === null) throw new SshError('closed', 'the connection was lost while submitting');
      throw new SshError('remote', `could not start the submission in ${work}: ${(r.stderr || answer).trim()}`);
    }
    const rc = Number(answer.trim());
    if (rc !== 0) {
      // submit.sh refused (an sbatch error, or the scripts could not be unpacked) and cancelled whatever it had submitted.
      const log = (await conn.exec(`tail -n 20 ${q(`${work}/${SUBMIT_LOG}`)}`)).stdout;
      for (const s of this.record.steps) {
        if (isFinal(s.state)) continue;
        Object.assign(s, { state: 'failed', detail: 'not submitted' });
      }
      const why = log.trim().split('\n').filter((l) => /error/i.test(l)).join(' ') || log.trim();
      this.record.error = { code: ErrorCode.SubmitRefused, message: `the pipeline could not be submitted: ${why}`, hint: `Check the account, QoS and partition (fluxo targets test ${this.options.profile.id}), then run again.` };
      await this.setPhase('ended');
      return;
    }
    const jobs = this.parseJobs(jobsText);
    for (const s of this.record.steps) {
      const job = jobs.get(s.id);
      if (job) s.job = job;
    }
    this.remote.stepsExecuted = jobs.size;
    await this.setPhase('watching');
  }

  /** jobs.tsv as submit.sh writes it: a header, then "step<TAB>job id<TAB>UTC time" per job. */
  private parseJobs(text: string): Map<string, { id: string; submittedAt: string }> {
    const jobs = new Map<string, { id: string; submittedAt: string }>();
    for (const line of text.split('\n').slice(1)) {
      const [step, id, at] = line.split('\t');
      if (step && id && /^\d+$/.test(id) && at && this.stepsById.has(step)) jobs.set(step, { id, submittedAt: at.trim() });
    }
    return jobs;
  }

  // ------------------------------------------------------------------ watching

  private async watch(): Promise<void> {
    const work = this.remote.workDir;
    const readFile = async (p: string, o?: { start?: number; maxBytes?: number }) => {
      const c = await this.options.connection();
      const f = await c.files();
      try {
        return await f.readFile(p, o);
      } catch (e) {
        // Not written yet is null; a lost connection is an error, and the tail tries again later.
        if (isMissing(e)) return null;
        throw e;
      }
    };
    const monitor = this.options.monitor;
    const unsubscribe = monitor.subscribe(
      this.record.id,
      (updates) => this.applyUpdates(updates),
      (ok, reason) => this.setContact(ok, reason),
    );
    const keys: string[] = [];
    for (const step of this.record.steps) {
      if (!step.job && !isFinal(step.state)) {
        // submit.sh recorded no job for it: nothing will ever run it, so waiting would never end.
        Object.assign(step, { state: 'failed', detail: `not submitted: ${SLURM_RUN_FILES.jobs} has no job for this step (see submit.log)` });
      }
      if (!step.job || isFinal(step.state)) continue;
      const spec = this.stepsById.get(step.id)!;
      const markers = spec.tasks ? Array.from({ length: spec.tasks.count }, (_, i) => `${work}/${spec.marker.split('{task}').join(String(i))}`) : [`${work}/${spec.marker}`];
      const job: TrackedJob = {
        key: `${step.job.id}@${step.job.submittedAt}`,
        id: step.job.id,
        submittedAt: step.job.submittedAt,
        runId: this.record.id,
        stepId: step.id,
        tasks: spec.tasks?.count ?? null,
        markers,
        gpus: spec.resources.gpus,
      };
      keys.push(job.key);
      monitor.track(job);
    }
    try {
      let cancelSent = false;
      while (!this.record.steps.every((s) => isFinal(s.state)) && !this.detached) {
        if (this.cancelRequested && !cancelSent) {
          cancelSent = true;
          await monitor.cancel(keys);
        }
        await new Promise<void>((resolve) => {
          this.wakeWatch = resolve;
          setTimeout(resolve, 1000);
        });
        await this.tailLogs(readFile);
        // A step Slurm never ran because one before it failed (kill-on-invalid-dep) was "cancelled" by
        // Slurm, not by the user: it is shown as skipped, naming the step that failed.
        this.markSkipped();
      }
    } finally {
      for (const key of keys) monitor.untrack(key);
      unsubscribe();
    }
    if (this.detached) throw new Detached();
    await this.tailLogs(readFile, true);
    await this.setPhase('fetching');
  }

  private applyUpdates(updates: JobUpdate[]): void {
    const touched = new Set<string>();
    for (const u of updates) {
      const step = this.record.steps.find((s) => s.id === u.stepId);
      if (!step) continue;
      touched.add(step.id);
      const now = new Date().toISOString();
      if (u.task === null || !step.tasks) {
        if (step.state === 'waiting' && u.stepState === 'running') step.startedAt ??= now;
        step.scheduler = u.view;
        step.state = u.stepState;
        if (u.stuck && !u.final) step.detail = `will not start by itself: ${u.view.reasonText ?? u.view.reason ?? 'Slurm holds it'}`;
        if (u.final) {
          step.exitCode = u.exitCode;
          step.marker = u.marker;
          step.detail = u.detail ?? step.detail;
          step.endedAt ??= now;
          if (step.startedAt) step.seconds = Math.round((Date.parse(step.endedAt) - Date.parse(step.startedAt)) / 1000);
        }
      } else {
        const t = step.tasks.find((x) => x.index === u.task);
        if (!t) continue;
        if (t.state === 'waiting' && u.stepState === 'running') t.startedAt ??= now;
        t.scheduler = u.view;
        t.state = u.stepState;
        if (u.final) {
          t.exitCode = u.exitCode;
          t.marker = u.marker;
          t.detail = u.detail ?? t.detail;
          t.endedAt ??= now;
          if (t.startedAt) t.seconds = Math.round((Date.parse(t.endedAt) - Date.parse(t.startedAt)) / 1000);
        }
        step.scheduler = u.view;
        step.state = aggregateTasks(step.tasks.map((x) => x.state), true);
        if (step.state === 'running') step.startedAt ??= now;
        if (isFinal(step.state)) {
          step.endedAt ??= now;
          step.exitCode = step.state === 'completed' ? 0 : (step.tasks.find((x) => x.state === 'failed')?.exitCode ?? null);
          step.detail = summarizeTasks(step.tasks);
        }
      }
    }
    void this.options.changed(false, [...touched]);
  }

  private markSkipped(): void {
    for (const step of this.record.steps) {
      if (step.state !== 'cancelled' || this.cancelRequested) continue;
      const spec = this.stepsById.get(step.id)!;
      const failed = spec.dependsOn.map((d) => this.record.steps.find((s) => s.id === d)!).find((s) => s.state === 'failed' || s.state === 'skipped');
      if (!failed) continue;
      step.state = 'skipped';
      step.detail = `did not run because "${failed.label}" ${failed.state === 'failed' ? 'failed' : 'did not run'}`;
      for (const t of step.tasks ?? []) if (t.state === 'cancelled') Object.assign(t, { state: 'skipped', detail: step.detail });
    }
  }

  /**
   * Streams what running steps print: only new bytes of each log, at most every TAIL_EVERY_MS.
   * A unit that ended is read once more, then never again (the whole log comes back when fetching).
   */
  private async tailLogs(readFile: (p: string, o?: { start?: number; maxBytes?: number }) => Promise<Buffer | null>, force = false): Promise<void> {
    if (!force && Date.now() - this.lastTail < TAIL_EVERY_MS) return;
    this.lastTail = Date.now();
    for (const step of this.record.steps) {
      if (step.cached) continue;
      const spec = this.stepsById.get(step.id)!;
      const units = step.tasks ? step.tasks.map((t) => ({ index: t.index as number | null, state: t.state })) : [{ index: null, state: step.state }];
      for (const { index, state } of units) {
        if (state === 'waiting') continue;
        for (const which of ['out', 'err'] as const) {
          const rel = index === null ? spec.logs[which] : spec.logs[which].split('{task}').join(String(index));
          if (this.tailsDone.has(rel)) continue;
          let tail = this.tails.get(rel);
          if (!tail) {
            const prefix = index === null ? '' : `[task ${index}] `;
            tail = new LogTail({ path: `${this.remote.workDir}/${rel}`, readFile, onText: (text) => this.options.onLog(step.id, prefixLines(prefix, text)) });
            this.tails.set(rel, tail);
          }
          if (isFinal(state)) {
            // A last line without its newline is shown too, now that nothing more will be written.
            await tail.finish().catch(() => undefined);
            this.tailsDone.add(rel);
          } else await tail.poll().catch(() => undefined);
        }
      }
    }
  }

  // ------------------------------------------------------------------ fetching

  /** Brings back the logs and every output, writes the cache entries, explains failures. */
  private async fetch(): Promise<void> {
    const conn = await this.options.connection();
    const files = await conn.files();
    const work = this.remote.workDir;
    const local = this.options.runDir;
    const items: StageItem[] = [];
    for (const dir of ['logs', 'steps']) {
      const found = await listRemoteTree(files, `${work}/${dir}`, path.join(local, dir)).catch((e: unknown) => {
        if (e instanceof SshError && e.kind === 'remote') return [] as StageItem[];
        throw e;
      });
      items.push(...found);
    }
    for (const extra of [SLURM_RUN_FILES.jobs, SUBMIT_LOG]) {
      const st = await files.stat(`${work}/${extra}`);
      if (st?.isFile) items.push({ remote: `${work}/${extra}`, local: path.join(local, extra), size: st.size });
    }
    const r = await download(files, items, { signal: this.stopAll.signal, onProgress: (v) => this.options.onTransfer(v), checksum: this.checksum(conn) });
    this.remote.bytesDownloaded += r.bytes;

    for (const step of this.record.steps) {
      for (const o of step.outputs) {
        const st = await fs.stat(path.join(local, o.path)).catch(() => null);
        o.exists = st !== null;
        o.size = st?.size ?? 0;
      }
      if (step.state === 'failed') step.explanation = await this.explain(step);
      for (const t of step.tasks ?? []) if (t.state === 'failed') t.explanation = await this.explain(step, t);
    }
    await this.writeCacheEntries(conn);
    await this.setPhase('ended');
  }

  private async explain(step: StepRecord, task?: TaskRecord): Promise<FailureExplanation> {
    const spec = this.stepsById.get(step.id)!;
    const lines: string[] = [];
    for (const which of ['err', 'out'] as const) {
      const rel = task ? spec.logs[which].split('{task}').join(String(task.index)) : spec.logs[which];
      const text = await fs.readFile(path.join(this.options.runDir, rel), 'utf8').catch(() => '');
      lines.push(...text.split('\n').slice(-200));
    }
    const partition = this.options.profile.partitions.find((p) => p.name === spec.resources.partition);
    const view = (task ?? step).scheduler ?? null;
    return explainFailure({
      stepLabel: task ? `${step.label} (task ${task.index})` : step.label,
      state: view?.state ?? 'FAILED',
      exitCode: (task ?? step).exitCode,
      signal: null,
      reason: view?.reason ?? null,
      logTail: lines,
      resources: {
        cpus: spec.resources.cpus,
        memoryMb: spec.resources.memoryMb,
        timeMinutes: spec.resources.timeMinutes,
        gpus: spec.resources.gpus,
        partition: spec.resources.partition ?? null,
      },
      partitionLimits: partition ? { maxMemoryMb: partition.maxMemoryMb, maxTimeMinutes: partition.maxTimeMinutes } : undefined,
      upstreamLabel: spec.dependsOn.map((d) => this.record.steps.find((x) => x.id === d)).find((x) => x && x.state !== 'completed')?.label ?? null,
    });
  }

  /** Completed steps that ran here become cache entries: key -> this run folder. */
  private async writeCacheEntries(conn: SshConnection): Promise<void> {
    const keys = this.options.cacheKeys;
    if (!keys) return;
    const root = path.posix.dirname(this.remote.workDir);
    const done = this.record.steps.filter((s) => s.state === 'completed' && !s.cached && keys[s.id]);
    if (done.length === 0) return;
    const lines = [`mkdir -p ${q(`${root}/${CACHE_DIR}`)}`];
    for (const s of done) {
      const entry = `${root}/${CACHE_DIR}/${keys[s.id]}`;
      lines.push(`printf '%s\\n' ${q(this.remote.workDir)} > ${q(`${entry}.tmp`)} && mv -f ${q(`${entry}.tmp`)} ${q(entry)}`);
    }
    const r = await conn.exec(`bash -c ${q(lines.join('\n'))}`);
    if (r.code !== 0) this.record.error ??= { code: ErrorCode.RemoteStorage, message: `the cache of finished steps could not be written on the cluster: ${r.stderr.trim()}`, hint: 'The results are fine; a rerun will run every step again.' };
  }
}

/** SFTP "no such file" (not written yet), as opposed to a connection that failed. */
export function isMissing(e: unknown): boolean {
  return e instanceof SshError && e.kind === 'remote' && (e.code === 2 || e.code === 'ENOENT');
}

function prefixLines(prefix: string, text: string): string {
  if (!prefix) return text;
  return text.replace(/^(?=.)/gm, prefix);
}

/** The steps of a cluster run before anything happened: logs are Slurm's .out files. */
export function initialRemoteSteps(manifest: BundleManifest): StepRecord[] {
  return manifest.steps.map((s) => ({
    ...waitingStep(s, s.logs.out),
    tasks: s.tasks
      ? s.tasks.points.map((params, index) => ({
          index,
          params,
          state: 'waiting' as const,
          exitCode: null,
          startedAt: null,
          endedAt: null,
          seconds: null,
          log: s.logs.out.split('{task}').join(String(index)),
          marker: null,
          detail: null,
          scheduler: null,
          explanation: null,
        }))
      : null,
    job: null,
    scheduler: null,
    cached: false,
    cachedFrom: null,
    explanation: null,
  }));
}

/** Every step that reads, directly or not, from `stepId`. */
export function descendantsOf(manifest: BundleManifest, stepId: string): string[] {
  const out = new Set<string>();
  let grew = true;
  while (grew) {
    grew = false;
    for (const s of manifest.steps) {
      if (out.has(s.id)) continue;
      if (s.dependsOn.some((d) => d === stepId || out.has(d))) {
        out.add(s.id);
        grew = true;
      }
    }
  }
  return [...out];
}

/** A folder as an uncompressed tar archive in memory (bundles are small: scripts and block files). */
async function tarOf(dir: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const stream = createTar({ cwd: dir, portable: true }, ['.']);
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
