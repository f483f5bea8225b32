/**
 * Watches the Slurm jobs of one cluster, as Nextflow does: one batched `squeue` per cycle for
 * every tracked job, `sacct` (where the cluster keeps accounting) only for jobs squeue no longer
 * knows or that ended, and the exit marker each step script writes from its EXIT trap as the most
 * robust word on how it ended. A cluster or connection that does not answer means "unknown, still
 * watching": nothing is ever marked failed because a query failed.
 *
 * It talks to the cluster only through two injected functions, so the same code runs over SSH
 * (SshConnection.exec, RemoteFiles.readFile) and, in tests, directly on the lab.
 */
import type { SchedulerView, StepState } from '../../../shared/api';
import { quoteValue } from '../../../shared/compiler/quote';
import type { SacctRow, SqueueRow } from './states';
import {
  exitCodeNumber,
  isAccountingDisabled,
  isInvalidJobId,
  parseMarkerText,
  parseSacct,
  parseSqueue,
  reasonMeaning,
  SACCT_FIELDS,
  sameSubmission,
  slurmState,
  SQUEUE_FORMAT,
} from './states';

export interface MonitorExecResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** SshConnection.exec fits this; so does a local runner in tests. */
export type MonitorExec = (command: string, options?: { signal?: AbortSignal }) => Promise<MonitorExecResult>;
/** null: the file does not exist. Throws when it cannot be read now (connection lost). */
export type MonitorReadFile = (path: string, options: { start: number; maxBytes: number }) => Promise<Buffer | null>;
/** Runs fn after ms; returns a function that cancels it. */
export type SetTimer = (fn: () => void, ms: number) => () => void;

export interface TrackedJob {
  /** `${id}@${submittedAt}`: Slurm can reuse an id after a controller crash. */
  key: string;
  /** What sbatch printed (the array job id for an array). */
  id: string;
  /** UTC ISO time submit.sh recorded. */
  submittedAt: string;
  runId: string;
  stepId: string;
  /** Array size, or null for a step that runs once. */
  tasks: number | null;
  /** Absolute remote marker path per task (a single step: one path). */
  markers: string[];
  /** GPUs per task: turns "Resources" into "waiting for a free GPU". */
  gpus: number;
}

export interface JobUpdate {
  key: string;
  stepId: string;
  runId: string;
  /** The array task, or null for a step that runs once. */
  task: number | null;
  view: SchedulerView;
  stepState: StepState;
  final: boolean;
  exitCode: number | null;
  marker: 'found' | 'missing' | 'unreadable' | null;
  /** Why it ended the way it did, when the state alone does not say. */
  detail: string | null;
  /** Pending and will not start unless something changes (invalid account, hold, hours used up). */
  stuck: boolean;
  /** "CANCELLED by 1234": who cancelled it (a uid), when Slurm says. */
  cancelledBy: string | null;
}

export interface SlurmMonitorOptions {
  exec: MonitorExec;
  readFile: MonitorReadFile;
  /** 'auto': try sacct once and stop when the cluster keeps no accounting. */
  accounting?: 'auto' | 'on' | 'off';
  minIntervalMs?: number;
  maxIntervalMs?: number;
  /** Cycles a vanished job without marker stays "unknown" before it counts as failed. */
  graceCycles?: number;
  /** A query that takes longer than this counts as "the cluster does not answer". */
  execTimeoutMs?: number;
  now?: () => number;
  setTimer?: SetTimer;
  onUpdate: (updates: JobUpdate[]) => void;
  onContact?: (ok: boolean, reason: string | null) => void;
}

export interface CancelResult {
  /** Keys whose every unit reached a final state. */
  confirmed: string[];
  /** Keys still not final when the time ran out (the cluster did not answer, or a job ignores the signal). */
  unconfirmed: string[];
}

type MarkerState = JobUpdate['marker'];

interface Unit {
  job: TrackedJob;
  task: number | null;
  markerPath: string;
  slurmState: string;
  reason: string | null;
  reasonText: string | null;
  slurmExitCode: string | null;
  stepState: StepState;
  final: boolean;
  exitCode: number | null;
  marker: MarkerState;
  detail: string | null;
  stuck: boolean;
  cancelledBy: string | null;
  seenAt: string;
  /** Cycles in a row in which neither squeue nor sacct knew this unit and no marker decided it. */
  vanished: number;
  /** Cycles Slurm has said FAILED while the marker did not show up yet (shared file systems lag). */
  markerWaits: number;
  cancelRequested: boolean;
  /** What was last reported, to send only changes. */
  reported: string | null;
}

/** A Slurm answer on one unit, from squeue or sacct. */
interface Seen {
  state: string;
  reason: string | null;
  exitCode: string | null;
  cancelledBy: string | null;
}

const MARKER_MAX_BYTES = 64;
/** Final states that say more than the exit code does. */
const KIND_STATES: ReadonlySet<string> = new Set(['TIMEOUT', 'OUT_OF_MEMORY', 'NODE_FAIL', 'PREEMPTED', 'BOOT_FAIL', 'DEADLINE', 'SPECIAL_EXIT']);
const MARKER_WAIT_CYCLES = 2;

const defaultSetTimer: SetTimer = (fn, ms) => {
  const t = setTimeout(fn, ms);
  return () => clearTimeout(t);
};

export class ContactError extends Error {}

export class SlurmMonitor {
  private readonly exec: MonitorExec;
  private readonly readFile: MonitorReadFile;
  private accounting: 'auto' | 'on' | 'off';
  private readonly minIntervalMs: number;
  private readonly maxIntervalMs: number;
  private readonly graceCycles: number;
  private readonly execTimeoutMs: number;
  private readonly now: () => number;
  private readonly setTimer: SetTimer;
  private readonly onUpdate: (updates: JobUpdate[]) => void;
  private readonly onContact: (ok: boolean, reason: string | null) => void;

  private readonly jobs = new Map<string, TrackedJob>();
  private readonly units = new Map<string, Unit[]>();
  private intervalMs: number;
  private timer: { cancel: () => void; due: number } | null = null;
  private inFlight: Promise<void> | null = null;
  private followUp: Promise<void> | null = null;
  private contact: boolean | null = null;
  private stopped = false;
  private lastContactAt: number | null = null;

  constructor(options: SlurmMonitorOptions) {
    this.exec = options.exec;
    this.readFile = options.readFile;
    this.accounting = options.accounting ?? 'auto';
    this.minIntervalMs = options.minIntervalMs ?? 3000;
    this.maxIntervalMs = Math.max(options.maxIntervalMs ?? 60_000, this.minIntervalMs);
    this.graceCycles = options.graceCycles ?? 3;
    this.execTimeoutMs = options.execTimeoutMs ?? 90_000;
    this.now = options.now ?? Date.now;
    this.setTimer = options.setTimer ?? defaultSetTimer;
    this.onUpdate = options.onUpdate;
    this.onContact = options.onContact ?? (() => {});
    this.intervalMs = this.minIntervalMs;
  }

  /** Whether accounting (sacct) is used: 'auto' until the first sacct answers. */
  get accountingMode(): 'auto' | 'on' | 'off' {
    return this.accounting;
  }

  /** When the cluster last answered (ms since the epoch), or null. */
  get lastContact(): number | null {
    return this.lastContactAt;
  }

  /** The delay before the next automatic cycle (for tests and the bench). */
  get currentIntervalMs(): number {
    return this.intervalMs;
  }

  track(job: TrackedJob): void {
    if (this.stopped) throw new Error('this monitor was stopped; create a new one');
    // Ids go into shell commands: only plain numbers, as sbatch --parsable prints them.
    if (!/^\d+$/.test(job.id)) throw new Error(`"${job.id}" is not a Slurm job id (a number is expected)`);
    const count = job.tasks ?? 1;
    if (job.markers.length < count) throw new Error(`job ${job.id} has ${count} task(s) but ${job.markers.length} marker path(s)`);
    if (this.jobs.has(job.key)) return;
    this.jobs.set(job.key, job);
    const seenAt = new Date(this.now()).toISOString();
    const units: Unit[] = [];
    for (let i = 0; i < count; i++) {
      units.push({
        job,
        task: job.tasks === null ? null : i,
        markerPath: job.markers[i]!,
        slurmState: 'UNKNOWN',
        reason: null,
        reasonText: null,
        slurmExitCode: null,
        stepState: 'waiting',
        final: false,
        exitCode: null,
        marker: null,
        detail: null,
        stuck: false,
        cancelledBy: null,
        seenAt,
        vanished: 0,
        markerWaits: 0,
        cancelRequested: false,
        reported: null,
      });
    }
    this.units.set(job.key, units);
    // A new job is news: look soon, and keep looking often while it moves.
    this.intervalMs = this.minIntervalMs;
    this.schedule(this.minIntervalMs);
  }

  untrack(key: string): void {
    this.jobs.delete(key);
    this.units.delete(key);
    if (this.activeUnits().length === 0) this.clearTimer();
  }

  stop(): void {
    this.stopped = true;
    this.clearTimer();
  }

  /** What is known now of every tracked unit (for a status screen; not only changes). */
  snapshot(): JobUpdate[] {
    return [...this.units.values()].flat().map((u) => this.updateOf(u));
  }

  /**
   * One cycle now ("refresh"). Calls made while a cycle runs share one cycle that starts after
   * it, so a caller in a loop cannot make the monitor query the cluster back to back.
   */
  pollNow(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.inFlight) {
      this.followUp ??= this.inFlight.then(() => {
        this.followUp = null;
        return this.runCycle();
      });
      return this.followUp;
    }
    return this.runCycle();
  }

  /**
   * Cancels jobs with one `scancel`, then watches until each is final (scancel of an id Slurm
   * does not know exits 0 silently, so only the states afterwards confirm anything). Resolves
   * when all are final, or after timeoutMs with what is known.
   */
  async cancel(keys: string[], options: { timeoutMs?: number } = {}): Promise<CancelResult> {
    const deadline = this.now() + (options.timeoutMs ?? 60_000);
    const known = keys.filter((k) => this.jobs.has(k));
    for (const k of known) for (const u of this.units.get(k) ?? []) u.cancelRequested = true;
    const ids = [...new Set(known.filter((k) => !this.isFinal(k)).map((k) => this.jobs.get(k)!.id))];
    let sent = ids.length === 0;
    while (!this.stopped) {
      if (!sent) {
        try {
          const r = await this.run(`scancel ${ids.map(quoteValue).join(' ')}`);
          // Any answer from Slurm (even "already completed") means the request arrived.
          if (r.code === 0 || !contactProblem(r.stderr)) sent = true;
        } catch {
          // Not sent: try again below until the deadline.
        }
      }
      if (sent) await this.pollNow();
      if (known.every((k) => this.isFinal(k)) || this.now() >= deadline) break;
      await this.sleep(Math.min(this.minIntervalMs, Math.max(0, deadline - this.now())));
    }
    const confirmed = known.filter((k) => this.isFinal(k));
    return { confirmed, unconfirmed: keys.filter((k) => !confirmed.includes(k)) };
  }

  private isFinal(key: string): boolean {
    return (this.units.get(key) ?? []).every((u) => u.final);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.setTimer(resolve, ms);
    });
  }

  private activeUnits(): Unit[] {
    return [...this.units.values()].flat().filter((u) => !u.final);
  }

  private clearTimer(): void {
    this.timer?.cancel();
    this.timer = null;
  }

  /** Makes sure a cycle runs within `delay`; an earlier one already planned stays. */
  private schedule(delay: number): void {
    if (this.stopped || this.activeUnits().length === 0) return;
    const due = this.now() + delay;
    if (this.timer && this.timer.due <= due) return;
    this.clearTimer();
    const cancel = this.setTimer(() => {
      this.timer = null;
      void this.pollNow();
    }, delay);
    this.timer = { cancel, due };
  }

  private runCycle(): Promise<void> {
    this.clearTimer();
    const p = this.cycle()
      .catch(() => {
        // cycle() handles its own failures; this is a last guard so a bug cannot stop the watch.
        this.intervalMs = Math.min(this.intervalMs * 2, this.maxIntervalMs);
      })
      .finally(() => {
        if (this.inFlight === p) this.inFlight = null;
        this.clearTimer();
        this.schedule(this.intervalMs);
      });
    this.inFlight = p;
    return p;
  }

  private async run(command: string): Promise<MonitorExecResult> {
    const controller = new AbortController();
    let cancelTimer: () => void = () => {};
    const timeout = new Promise<never>((_, reject) => {
      cancelTimer = this.setTimer(() => {
        controller.abort();
        reject(new ContactError(`no answer within ${Math.round(this.execTimeoutMs / 1000)} s`));
      }, this.execTimeoutMs);
    });
    try {
      return await Promise.race([this.exec(command, { signal: controller.signal }), timeout]);
    } finally {
      cancelTimer();
    }
  }

  private setContact(ok: boolean, reason: string | null): void {
    if (ok) this.lastContactAt = this.now();
    if (this.contact === ok) return;
    this.contact = ok;
    if (!this.stopped) this.onContact(ok, reason);
  }

  private async cycle(): Promise<void> {
    const active = this.activeUnits();
    if (active.length === 0 || this.stopped) return;
    const seenAt = new Date(this.now()).toISOString();
    const ids = [...new Set(active.map((u) => u.job.id))];

    // 1. One squeue for every job still in progress.
    let rows: SqueueRow[];
    try {
      const r = await this.run(`env TZ=UTC SLURM_TIME_FORMAT=standard squeue -h -r -t all -j ${quoteValue(ids.join(','))} -o ${quoteValue(SQUEUE_FORMAT)}`);
      if (r.code === 0) rows = parseSqueue(r.stdout);
      // Every id finished so long ago that Slurm forgot it: an answer, not a failure.
      else if (isInvalidJobId(r.stderr)) rows = parseSqueue(r.stdout);
      else throw new ContactError(`the cluster's scheduler did not answer (${firstLine(r.stderr) || `squeue exited with ${r.code}`})`);
    } catch (error) {
      this.setContact(false, contactReason(error));
      this.intervalMs = Math.min(this.intervalMs * 2, this.maxIntervalMs);
      return;
    }
    if (this.stopped) return;
    this.setContact(true, null);

    // 2. What squeue says of each unit (when the row is really our job, by its submit time).
    const ended: Array<{ unit: Unit; seen: Seen | null; note: string | null }> = [];
    for (const unit of active) {
      const row = rows.find((r) => r.jobId === unit.job.id && (unit.task === null ? r.tasks === null : (r.tasks?.includes(unit.task) ?? false)));
      if (row && !sameSubmission(row.submittedAt, unit.job.submittedAt)) {
        const note = `Slurm's job ${unit.job.id} is now another job (submitted ${row.submittedAt}); ours is judged by its exit marker`;
        ended.push({ unit, seen: null, note });
        continue;
      }
      if (!row) {
        ended.push({ unit, seen: null, note: null });
        continue;
      }
      const meaning = slurmState(row.state);
      const seen: Seen = { state: meaning.state, reason: row.reason, exitCode: null, cancelledBy: meaning.cancelledBy };
      if (meaning.final) ended.push({ unit, seen, note: null });
      else this.applyProgress(unit, seen, seenAt);
    }

    // 3. Markers of what ended or vanished, then sacct for what they leave open.
    const markers = new Map<Unit, { kind: 'found'; code: number } | { kind: 'missing' } | { kind: 'unreadable' } | { kind: 'error' }>();
    await Promise.all(
      ended.map(async ({ unit }) => {
        try {
          const buf = await this.readFile(unit.markerPath, { start: 0, maxBytes: MARKER_MAX_BYTES });
          if (buf === null) markers.set(unit, { kind: 'missing' });
          else {
            const m = parseMarkerText(buf.toString('utf8'));
            markers.set(unit, m.kind === 'found' ? m : { kind: 'unreadable' });
          }
        } catch {
          markers.set(unit, { kind: 'error' });
        }
      }),
    );
    if (this.stopped) return;

    // sacct for what squeue cannot say: jobs it forgot, exit codes without a marker, and who cancelled.
    const needSacct = ended.filter(({ unit, seen }) => seen === null || markers.get(unit)?.kind !== 'found' || seen.state === 'CANCELLED');
    let sacct: SacctRow[] | null = null;
    if (needSacct.length > 0 && this.accounting !== 'off') sacct = await this.querySacct(needSacct.map((e) => e.unit));
    if (this.stopped) return;

    for (const { unit, seen, note } of ended) {
      let slurm = seen;
      if (sacct) {
        const row = sacct.find(
          (r) =>
            r.jobId === unit.job.id &&
            (unit.task === null ? r.tasks === null : (r.tasks?.includes(unit.task) ?? false)) &&
            sameSubmission(r.submittedAt, unit.job.submittedAt),
        );
        if (row && slurmState(row.state).final) {
          slurm = { state: row.state, reason: row.reason ?? seen?.reason ?? null, exitCode: row.exitCode, cancelledBy: row.cancelledBy ?? seen?.cancelledBy ?? null };
        } else if (row && seen === null) {
          // sacct still says it runs while squeue forgot it: the database lags, or the job was lost.
          this.applyProgress(unit, { state: row.state, reason: row.reason, exitCode: null, cancelledBy: null }, seenAt);
          continue;
        }
      }
      this.decide(unit, slurm, markers.get(unit) ?? { kind: 'error' }, sacct !== null || this.accounting === 'off', seenAt, note);
    }

    // 4. Report changes; adapt the interval.
    const updates: JobUpdate[] = [];
    for (const unit of active) {
      if (!this.units.has(unit.job.key)) continue; // untracked while this cycle ran
      const update = this.updateOf(unit);
      const signature = JSON.stringify({ ...update, view: { ...update.view, seenAt: '' } });
      if (signature === unit.reported) continue;
      unit.reported = signature;
      updates.push(update);
    }
    this.intervalMs = updates.length > 0 ? this.minIntervalMs : Math.min(this.intervalMs * 2, this.maxIntervalMs);
    if (updates.length > 0 && !this.stopped) this.onUpdate(updates);
  }

  /** One sacct for every unit that needs it; null when it cannot answer now (or accounting is off). */
  private async querySacct(units: Unit[]): Promise<SacctRow[] | null> {
    const ids = [...new Set(units.map((u) => u.job.id))];
    // sacct shows only today's jobs unless told where to start; a day before the oldest submission is enough.
    const oldest = Math.min(...units.map((u) => Date.parse(u.job.submittedAt)).filter((t) => !Number.isNaN(t)), this.now());
    const start = new Date(oldest - 86_400_000).toISOString().slice(0, 19);
    try {
      const r = await this.run(
        `env TZ=UTC SLURM_TIME_FORMAT=standard sacct -n -P -X -j ${quoteValue(ids.join(','))} -S ${quoteValue(start)} --format=${quoteValue(SACCT_FIELDS)}`,
      );
      if (isAccountingDisabled(r.stdout + r.stderr)) {
        this.accounting = 'off';
        return null;
      }
      if (r.code !== 0) return null;
      if (this.accounting === 'auto') this.accounting = 'on';
      return parseSacct(r.stdout);
    } catch {
      return null;
    }
  }

  /** A unit Slurm reports as not finished. */
  private applyProgress(unit: Unit, seen: Seen, seenAt: string): void {
    const meaning = slurmState(seen.state);
    const why = meaning.stepState === 'waiting' ? reasonMeaning(seen.reason, { gpus: unit.job.gpus }) : null;
    unit.slurmState = meaning.state;
    unit.reason = meaning.stepState === 'waiting' ? seen.reason : null;
    unit.reasonText = why?.text ?? (meaning.known ? null : `Slurm says ${seen.state}`);
    unit.stepState = meaning.stepState;
    unit.stuck = why?.stuck ?? false;
    unit.seenAt = seenAt;
    unit.vanished = 0;
    unit.detail = null;
  }

  /**
   * The verdict on a unit that ended or that Slurm no longer shows. The marker decides the exit
   * code (written by the script's own trap); Slurm's final state decides the kind where it knows
   * better than an exit code (a time limit, memory, a node, a cancel).
   */
  private decide(
    unit: Unit,
    slurm: Seen | null,
    marker: { kind: 'found'; code: number } | { kind: 'missing' } | { kind: 'unreadable' } | { kind: 'error' },
    slurmAskedEverything: boolean,
    seenAt: string,
    note: string | null,
  ): void {
    if (marker.kind === 'error') return; // could not read it now: decide next cycle
    const meaning = slurm ? slurmState(slurm.state) : null;
    if (slurm && meaning) {
      unit.slurmState = meaning.state;
      unit.reason = finalReason(slurm.reason);
      unit.reasonText = null;
      unit.slurmExitCode = slurm.exitCode ?? unit.slurmExitCode;
      unit.cancelledBy = slurm.cancelledBy;
      unit.seenAt = seenAt;
      unit.vanished = 0;
      unit.stuck = false;
    }
    const neverRan = slurm?.reason === 'DependencyNeverSatisfied' && marker.kind !== 'found';
    if (marker.kind === 'found') {
      const byCode = marker.code === 0 ? 'completed' : 'failed';
      unit.exitCode = marker.code;
      unit.marker = 'found';
      unit.seenAt = seenAt;
      unit.reasonText = null;
      unit.stuck = false;
      unit.final = true;
      // Slurm knows the kind (time limit, memory, node, cancel) better than an exit code of 143 or 137.
      if (meaning?.stepState === 'cancelled') unit.stepState = 'cancelled';
      else if (meaning && KIND_STATES.has(meaning.state)) unit.stepState = 'failed';
      else unit.stepState = byCode;
      if (meaning && KIND_STATES.has(meaning.state)) unit.detail = `Slurm says ${meaning.state}`;
      else if (meaning?.stepState === 'cancelled') unit.detail = unit.cancelRequested ? 'cancelled as asked' : cancelledDetail(slurm?.cancelledBy ?? meaning.cancelledBy);
      else if (meaning && meaning.stepState !== byCode) unit.detail = `Slurm says ${meaning.state} but the exit marker says ${marker.code}; the marker decides`;
      else unit.detail = note;
      return;
    }
    unit.marker = marker.kind;
    if (meaning) {
      const code = exitCodeNumber(slurm?.exitCode ?? null);
      // A FAILED job whose marker is not there yet: shared file systems show new files late.
      if (meaning.state === 'FAILED' && code === null && unit.markerWaits < MARKER_WAIT_CYCLES) {
        unit.markerWaits++;
        return;
      }
      unit.exitCode = meaning.state === 'COMPLETED' ? (code ?? 0) : code;
      if (neverRan) {
        unit.stepState = 'skipped';
        unit.detail = 'not run: a step before it failed';
      } else {
        unit.stepState = meaning.stepState;
        unit.detail =
          meaning.stepState === 'cancelled'
            ? unit.cancelRequested
              ? 'cancelled as asked'
              : cancelledDetail(slurm?.cancelledBy ?? meaning.cancelledBy)
            : meaning.state === 'COMPLETED'
              ? null
              : `no exit marker; Slurm says ${meaning.state}${slurm?.exitCode ? ` (ExitCode ${slurm.exitCode})` : ''}`;
      }
      unit.final = true;
      return;
    }
    // Neither squeue nor sacct knows it and no marker says how it ended.
    if (unit.cancelRequested) {
      unit.stepState = 'cancelled';
      unit.slurmState = 'UNKNOWN';
      unit.detail = 'cancelled as asked; Slurm no longer knows it';
      unit.final = true;
      return;
    }
    if (!slurmAskedEverything) return; // sacct could not answer now: do not count this cycle
    unit.vanished++;
    unit.detail = note;
    unit.slurmState = 'UNKNOWN';
    unit.reason = null;
    unit.reasonText = 'unknown: Slurm no longer shows it and its exit code is not there yet';
    if (unit.vanished >= this.graceCycles) {
      unit.stepState = 'failed';
      unit.exitCode = null;
      unit.detail = 'ended without an exit code; Slurm no longer knows it';
      unit.reasonText = null;
      unit.seenAt = seenAt;
      unit.final = true;
    }
  }

  private updateOf(unit: Unit): JobUpdate {
    return {
      key: unit.job.key,
      stepId: unit.job.stepId,
      runId: unit.job.runId,
      task: unit.task,
      view: { state: unit.slurmState, reason: unit.reason, reasonText: unit.reasonText, exitCode: unit.slurmExitCode, seenAt: unit.seenAt },
      stepState: unit.stepState,
      final: unit.final,
      exitCode: unit.exitCode,
      marker: unit.marker,
      detail: unit.detail,
      stuck: unit.stuck,
      cancelledBy: unit.cancelledBy,
    };
  }
}

/**
 * Slurm keeps the last pending reason on a finished job (sacct shows "Dependency" or
 * "JobHeldUser" on a COMPLETED job): only reasons that say why it ended are worth keeping.
 */
const STALE_REASONS: ReadonlySet<string> = new Set(['None', 'Dependency', 'Priority', 'Resources', 'JobArrayTaskLimit', 'JobHeldUser', 'JobHeldAdmin', 'BeginTime', 'NonZeroExitCode', 'Reservation', 'Prolog']);

function finalReason(reason: string | null): string | null {
  return reason === null || STALE_REASONS.has(reason) ? null : reason;
}

function cancelledDetail(uid: string | null): string {
  if (uid === null) return 'cancelled';
  return uid === '0' ? "cancelled by the cluster's administrators (root)" : `cancelled by user id ${uid}`;
}

function firstLine(text: string): string {
  return (
    text
      .split('\n')
      .map((l) => l.trim())
      .find((l) => l !== '') ?? ''
  );
}

/** Whether a failed Slurm command's error says the controller (not Slurm's answer) is the problem. */
export function contactProblem(stderr: string): boolean {
  return /Unable to contact slurm controller|Socket timed out|Connection refused|Connection timed out|Transport endpoint|Zero Bytes were transmitted|Communication connection failure|slurm_load_jobs error/i.test(
    stderr,
  );
}

function contactReason(error: unknown): string {
  if (error instanceof ContactError) return error.message;
  const message = error instanceof Error ? error.message : String(error);
  return `the connection to the cluster failed (${message})`;
}
