/**
 * What Slurm's answers mean, without talking to Slurm: job states to Fluxo's step states, pending
 * reasons to plain words, and parsers for the two commands the monitor runs (squeue and sacct).
 * Pure: the monitor feeds it the text; the unit tests feed it text copied from Slurm 22.05.
 */
import type { StepState } from '../../../shared/api';

/** A Slurm job state as Fluxo reads it. */
export interface SlurmStateMeaning {
  /** The state word without decorations: "CANCELLED by 0" -> "CANCELLED", "CANCELLED+" -> "CANCELLED". */
  state: string;
  stepState: Exclude<StepState, 'skipped'>;
  /** Nothing more happens to the job (it will not run again by itself). */
  final: boolean;
  /** "CANCELLED by 1234": the uid that cancelled it, as Slurm prints it. */
  cancelledBy: string | null;
  /** False for a word this table does not know (a newer Slurm): then it is treated as still in progress. */
  known: boolean;
}

type Entry = { stepState: Exclude<StepState, 'skipped'>; final: boolean };

/**
 * Every state of Slurm 22.05 (job_state_string in slurm_protocol_defs.c) and its two-letter
 * short form (squeue %t). Requeue and hold states count as waiting: the job will (or may) run
 * again, so it must not look finished. FAILED-like final states are 'failed'; REVOKED means a
 * federation sibling started the job elsewhere, so this copy was withdrawn rather than failed.
 */
const STATES: Record<string, Entry> = {
  PENDING: { stepState: 'waiting', final: false },
  // Resources are allocated but the nodes are still booting: the script has not started.
  CONFIGURING: { stepState: 'waiting', final: false },
  REQUEUED: { stepState: 'waiting', final: false },
  REQUEUE_HOLD: { stepState: 'waiting', final: false },
  REQUEUE_FED: { stepState: 'waiting', final: false },
  RESV_DEL_HOLD: { stepState: 'waiting', final: false },
  RUNNING: { stepState: 'running', final: false },
  // The script ended; Slurm is cleaning up. The final word (COMPLETED, FAILED...) comes next.
  COMPLETING: { stepState: 'running', final: false },
  SUSPENDED: { stepState: 'running', final: false },
  STOPPED: { stepState: 'running', final: false },
  RESIZING: { stepState: 'running', final: false },
  SIGNALING: { stepState: 'running', final: false },
  STAGE_OUT: { stepState: 'running', final: false },
  COMPLETED: { stepState: 'completed', final: true },
  FAILED: { stepState: 'failed', final: true },
  TIMEOUT: { stepState: 'failed', final: true },
  OUT_OF_MEMORY: { stepState: 'failed', final: true },
  NODE_FAIL: { stepState: 'failed', final: true },
  PREEMPTED: { stepState: 'failed', final: true },
  BOOT_FAIL: { stepState: 'failed', final: true },
  DEADLINE: { stepState: 'failed', final: true },
  SPECIAL_EXIT: { stepState: 'failed', final: true },
  CANCELLED: { stepState: 'cancelled', final: true },
  REVOKED: { stepState: 'cancelled', final: true },
};

const SHORT: Record<string, string> = {
  PD: 'PENDING',
  CF: 'CONFIGURING',
  RQ: 'REQUEUED',
  RH: 'REQUEUE_HOLD',
  RF: 'REQUEUE_FED',
  RD: 'RESV_DEL_HOLD',
  R: 'RUNNING',
  CG: 'COMPLETING',
  S: 'SUSPENDED',
  ST: 'STOPPED',
  RS: 'RESIZING',
  SI: 'SIGNALING',
  SO: 'STAGE_OUT',
  CD: 'COMPLETED',
  F: 'FAILED',
  TO: 'TIMEOUT',
  OOM: 'OUT_OF_MEMORY',
  NF: 'NODE_FAIL',
  PR: 'PREEMPTED',
  BF: 'BOOT_FAIL',
  DL: 'DEADLINE',
  SE: 'SPECIAL_EXIT',
  CA: 'CANCELLED',
  RV: 'REVOKED',
};

/** Every state word this table knows (long form). */
export const SLURM_STATES: readonly string[] = Object.keys(STATES);

export function slurmState(raw: string): SlurmStateMeaning {
  const text = raw.trim();
  // sacct without -P truncates with "+"; "CANCELLED by 1234" names the uid that cancelled.
  const m = /^([A-Za-z_]+)\+?(?:\s+by\s+(\S+))?/i.exec(text);
  const word = (m?.[1] ?? text).toUpperCase();
  const state = SHORT[word] ?? word;
  const entry = STATES[state];
  const cancelledBy = m?.[2] ?? null;
  if (!entry) return { state, stepState: 'waiting', final: false, cancelledBy, known: false };
  return { state, ...entry, cancelledBy, known: true };
}

/** What a pending reason means for the person waiting. */
export interface ReasonMeaning {
  /** Plain words: "waiting for a free GPU". */
  text: string;
  /**
   * The job will not start unless someone changes something (an invalid account, a per-job
   * limit it exceeds, a dependency that failed, a hold, hours used up): worth telling the user
   * now rather than letting them wait for nothing.
   */
  stuck: boolean;
  /** The reason is about the account or QoS the job was submitted with (FailureKind qos-or-account-limit). */
  accountOrQos: boolean;
}

const AT_ONCE = 'waiting: you already use as much as your QoS/account allows at once';
const HOURS_USED_UP = 'will not start: your allocation of hours is used up (ask your project leader or the support team for more)';

/**
 * Exact reason codes. Patterns for the families of limits (Assoc*, QOS*) follow in reasonMeaning.
 * Words are for a biologist: what it waits for, or what must change.
 */
const REASONS: Record<string, (o: { gpus: number }) => Omit<ReasonMeaning, 'accountOrQos'> & { accountOrQos?: boolean }> = {
  None: () => ({ text: 'waiting to be scheduled', stuck: false }),
  Resources: ({ gpus }) => ({ text: gpus > 0 ? 'waiting for a free GPU' : 'waiting for free CPUs or memory', stuck: false }),
  Priority: () => ({ text: 'waiting for its turn: other jobs are ahead', stuck: false }),
  Dependency: () => ({ text: 'waiting for the steps before it', stuck: false }),
  DependencyNeverSatisfied: () => ({ text: 'will not run: a step before it failed', stuck: true }),
  BeginTime: () => ({ text: 'waiting for the start time it was given', stuck: false }),
  JobArrayTaskLimit: () => ({ text: 'waiting: only a few tasks of this step run at once, as the pipeline asks', stuck: false }),
  JobHeldUser: () => ({ text: 'on hold: it was put on hold and starts only when released (scontrol release)', stuck: true }),
  JobHeldAdmin: () => ({ text: "on hold by the cluster's administrators: it starts only when they release it", stuck: true }),
  'launch failed requeued held': () => ({ text: 'on hold: Slurm could not start it on a node and put it back on hold; ask the support team', stuck: true }),
  JobHoldMaxRequeue: () => ({ text: 'on hold: it was restarted too many times; ask the support team', stuck: true }),
  Reservation: () => ({ text: 'waiting for its reservation to begin', stuck: false }),
  ReservationDeleted: () => ({ text: 'will not start: its reservation was deleted; submit without it', stuck: true }),
  ReqNodeNotAvail: () => ({ text: 'waiting: the nodes it needs are unavailable (maintenance or down)', stuck: false }),
  NodeDown: () => ({ text: 'waiting: a node it needs is down', stuck: false }),
  PartitionDown: () => ({ text: 'waiting: its partition is closed for now (often maintenance)', stuck: false }),
  PartitionInactive: () => ({ text: 'waiting: its partition is not starting jobs for now (often maintenance)', stuck: false }),
  PartitionNodeLimit: () => ({ text: 'will not start: it asks for more nodes than its partition allows', stuck: true }),
  PartitionTimeLimit: () => ({ text: 'will not start: it asks for more time than its partition allows', stuck: true }),
  PartitionConfig: () => ({ text: 'will not start: its partition cannot give what it asks for', stuck: true }),
  BadConstraints: () => ({ text: 'will not start: no node has the features it asks for', stuck: true }),
  InvalidAccount: () => ({ text: 'will not start: the account it was submitted with is not valid for you', stuck: true, accountOrQos: true }),
  InvalidQOS: () => ({ text: 'will not start: the QoS it was submitted with is not valid for you', stuck: true, accountOrQos: true }),
  AccountNotAllowed: () => ({ text: 'will not start: its account may not use this partition', stuck: true, accountOrQos: true }),
  QOSNotAllowed: () => ({ text: 'will not start: its QoS may not use this partition', stuck: true, accountOrQos: true }),
  Licenses: () => ({ text: 'waiting for a software licence', stuck: false }),
  Prolog: () => ({ text: 'starting: the cluster is preparing the node', stuck: false }),
  Cleaning: () => ({ text: 'waiting: Slurm is cleaning up after an earlier attempt', stuck: false }),
  BurstBufferResources: () => ({ text: 'waiting for fast storage to become free', stuck: false }),
  BurstBufferStageIn: () => ({ text: 'waiting: its data are being copied to fast storage', stuck: false }),
  FrontEndDown: () => ({ text: 'waiting: the nodes that launch jobs are down', stuck: false }),
  PowerUpNode: () => ({ text: 'waiting: a node is being powered up for it', stuck: false }),
  SchedDefer: () => ({ text: 'waiting to be scheduled', stuck: false }),
  InactiveLimit: () => ({ text: 'ended: it was inactive for too long', stuck: false }),
  SystemFailure: () => ({ text: 'waiting: Slurm reports a system failure', stuck: false }),
  JobLaunchFailure: () => ({ text: 'Slurm could not start it on a node (file system or program problem)', stuck: false }),
  DeadLine: () => ({ text: 'will not start: its deadline passed', stuck: true }),
  FedJobLock: () => ({ text: 'waiting for the clusters of the federation to agree', stuck: false }),
  OutOfMemory: () => ({ text: 'ran out of memory', stuck: false }),
  TimeLimit: () => ({ text: 'reached its time limit', stuck: false }),
  NonZeroExitCode: () => ({ text: 'ended with an error', stuck: false }),
};

/**
 * A pending (or ending) reason in plain words. `gpus` > 0 turns "Resources" into "waiting for a
 * free GPU". An unknown code is shown as Slurm says it, never guessed.
 */
export function reasonMeaning(raw: string | null, options: { gpus?: number } = {}): ReasonMeaning | null {
  if (raw === null) return null;
  const reason = raw.trim();
  if (reason === '' || reason === '(null)' || reason === 'N/A') return null;
  const gpus = options.gpus ?? 0;
  // "ReqNodeNotAvail, UnavailableNodes:node[1-3]" and "(launch failed requeued held)" carry extra words.
  const code = reason.replace(/^\(|\)$/g, '').split(/[,\s(]/)[0] ?? '';
  const exact = REASONS[reason.replace(/^\(|\)$/g, '')] ?? REASONS[code];
  if (exact) {
    const r = exact({ gpus });
    return { text: r.text, stuck: r.stuck, accountOrQos: r.accountOrQos ?? false };
  }
  const limit = /^(Assoc|QOS)(Grp|Max|Min)(\w*)$/.exec(code);
  if (limit) {
    const [, , scope, rest = ''] = limit;
    // Minutes limits (not RunMinutes) are totals over time: the allocation of hours is spent.
    if (scope === 'Grp' && /Minutes/.test(rest) && !/RunMinutes/.test(rest)) return { text: HOURS_USED_UP, stuck: true, accountOrQos: true };
    // "...PerJob..." / MaxWallDurationPerJob: this job alone asks for more than allowed; waiting does not help.
    if (/PerJob|MaxWallDuration|^CpuMinutesPerJob/.test(rest) || scope === 'Min')
      return { text: 'will not start: it asks for more than your QoS/account allows for one job', stuck: true, accountOrQos: true };
    if (/Submit/.test(rest)) return { text: 'waiting: you have as many jobs queued as your QoS/account allows', stuck: false, accountOrQos: true };
    return { text: AT_ONCE, stuck: false, accountOrQos: true };
  }
  // Old-style names (AssociationJobLimit, QOSJobLimit, QOSResourceLimit, QOSUsageThreshold ...).
  if (/^(Association|QOS)\w*(Limit|Threshold)$/.test(code)) return { text: AT_ONCE, stuck: false, accountOrQos: true };
  if (/^Max\w*PerAccount$/.test(code)) return { text: AT_ONCE, stuck: false, accountOrQos: true };
  return { text: `waiting (Slurm says: ${reason})`, stuck: false, accountOrQos: false };
}

/** The monitor's squeue command fields: job id, array job id, task id, state, reason, submit, start, end. */
export const SQUEUE_FORMAT = '%i|%F|%K|%T|%r|%V|%S|%e';

/** One line of squeue: a job, one array task, or a range of array tasks not started yet. */
export interface SqueueRow {
  /** The array job id for an array (what sbatch printed), else the job id. */
  jobId: string;
  /** null for a job that is not an array. */
  tasks: number[] | null;
  state: string;
  reason: string | null;
  /** ISO UTC (the command runs with TZ=UTC), or null when Slurm prints none. */
  submittedAt: string | null;
  startedAt: string | null;
  endedAt: string | null;
}

/**
 * Task ids as Slurm prints them: "4", "[0-3]", "0-3%2", "[1,3,5-7%2]". A throttle ("%2") is
 * not a task. Returns null for text that is not a task list.
 */
export function parseTaskList(text: string): number[] | null {
  const inner = text.trim().replace(/^\[/, '').replace(/\]$/, '').replace(/%\d+$/, '');
  if (inner === '') return null;
  const out: number[] = [];
  for (const part of inner.split(',')) {
    const m = /^(\d+)(?:-(\d+))?(?::(\d+))?$/.exec(part);
    if (!m) return null;
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    const step = m[3] === undefined ? 1 : Number(m[3]);
    // A runaway range would allocate without bound; no Fluxo array is anywhere near this size.
    if (to < from || step < 1 || to - from > 1_000_000) return null;
    for (let i = from; i <= to; i += step) out.push(i);
  }
  return out;
}

/** Slurm's time words ("2024-05-01T10:02:03", "Unknown", "N/A", "None") as ISO UTC or null. */
export function slurmTime(text: string | undefined): string | null {
  const t = (text ?? '').trim();
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})$/.exec(t);
  return m ? `${m[1]}T${m[2]}Z` : null;
}

/** Parses `squeue -h -r -t all -o SQUEUE_FORMAT` output (run with TZ=UTC). Lines that do not fit are skipped. */
export function parseSqueue(stdout: string): SqueueRow[] {
  const rows: SqueueRow[] = [];
  for (const line of stdout.split('\n')) {
    if (line.trim() === '') continue;
    const f = line.split('|');
    if (f.length < 8) continue;
    const [id = '', arrayJob = '', task = '', state = '', reason = '', submit, start, end] = f.map((x) => x.trim());
    let jobId: string;
    let tasks: number[] | null = null;
    const idMatch = /^(\d+)(?:_(.+))?$/.exec(id);
    if (!idMatch) continue;
    if (idMatch[2] !== undefined) {
      jobId = idMatch[1]!;
      tasks = parseTaskList(idMatch[2]);
      if (tasks === null) continue;
    } else if (/^\d+$/.test(arrayJob) && arrayJob !== id && task !== 'N/A' && task !== '') {
      // Some versions print the task in %K only.
      jobId = arrayJob;
      tasks = parseTaskList(task);
      if (tasks === null) continue;
    } else jobId = idMatch[1]!;
    rows.push({
      jobId,
      tasks,
      state: slurmState(state).state,
      reason: reason === '' || reason === 'None' || reason === '(null)' ? null : reason,
      submittedAt: slurmTime(submit),
      startedAt: slurmTime(start),
      endedAt: slurmTime(end),
    });
  }
  return rows;
}

/** The fields the monitor asks sacct for, in this order. */
export const SACCT_FIELDS = 'JobID,JobIDRaw,State,ExitCode,Reason,Submit,Start,End,Elapsed';

export interface SacctRow {
  jobId: string;
  tasks: number[] | null;
  /** The state word ("CANCELLED" of "CANCELLED by 0"). */
  state: string;
  cancelledBy: string | null;
  /** ExitCode as Slurm prints it: "code:signal". */
  exitCode: string | null;
  reason: string | null;
  submittedAt: string | null;
  startedAt: string | null;
  endedAt: string | null;
  elapsed: string | null;
}

/** Parses `sacct -n -P -X --format=SACCT_FIELDS` output (run with TZ=UTC); job steps (123.batch) are skipped. */
export function parseSacct(stdout: string): SacctRow[] {
  const rows: SacctRow[] = [];
  for (const line of stdout.split('\n')) {
    if (line.trim() === '') continue;
    const f = line.split('|').map((x) => x.trim());
    if (f.length < 9) continue;
    const [id = '', , state = '', exitCode = '', reason = '', submit, start, end, elapsed = ''] = f;
    const m = /^(\d+)(?:_(.+))?$/.exec(id);
    if (!m) continue;
    const tasks = m[2] === undefined ? null : parseTaskList(m[2]);
    if (m[2] !== undefined && tasks === null) continue;
    const meaning = slurmState(state);
    rows.push({
      jobId: m[1]!,
      tasks,
      state: meaning.state,
      cancelledBy: meaning.cancelledBy,
      exitCode: /^\d+:\d+$/.test(exitCode) ? exitCode : null,
      reason: reason === '' || reason === 'None' ? null : reason,
      submittedAt: slurmTime(submit),
      startedAt: slurmTime(start),
      endedAt: slurmTime(end),
      elapsed: elapsed === '' ? null : elapsed,
    });
  }
  return rows;
}

/** "code:signal" as one number in bash's convention (128 + signal when a signal ended it). */
export function exitCodeNumber(exitCode: string | null): number | null {
  if (exitCode === null) return null;
  const m = /^(\d+):(\d+)$/.exec(exitCode);
  if (!m) return null;
  const code = Number(m[1]);
  const signal = Number(m[2]);
  // Above 64 is not a signal but Slurm's own note (0:125 on an OUT_OF_MEMORY job): no code then.
  if (signal > 64) return null;
  return signal > 0 ? 128 + signal : code;
}

/**
 * Whether a submit time Slurm reports belongs to the job Fluxo submitted at `ours`: Slurm reuses
 * ids after a controller crash, so a job with the same id submitted at another time is someone
 * else's. The login node's clock (where submit.sh wrote `ours`) and the controller's may differ
 * by a little, hence the skew. Unknown times are given the benefit of the doubt.
 */
export function sameSubmission(reported: string | null, ours: string, skewMs = 120_000): boolean {
  if (reported === null) return true;
  const a = Date.parse(reported);
  const b = Date.parse(ours);
  if (Number.isNaN(a) || Number.isNaN(b)) return true;
  return Math.abs(a - b) <= skewMs;
}

/** The contents of an exit marker file: the exit code on one line (as markers.ts reads them locally). */
export type MarkerText = { kind: 'found'; code: number } | { kind: 'unreadable'; text: string };

export function parseMarkerText(text: string): MarkerText {
  const m = /^\s*(\d{1,3})\s*$/.exec(text);
  if (m && Number(m[1]) <= 255) return { kind: 'found', code: Number(m[1]) };
  return { kind: 'unreadable', text: text.slice(0, 40) };
}

/**
 * Whether a failed squeue/sacct/scancel means the controller (or the connection) did not answer,
 * as opposed to Slurm answering "no". Only "Invalid job id specified" is an answer here.
 */
export function isInvalidJobId(stderr: string): boolean {
  return /Invalid job id specified/i.test(stderr);
}

export function isAccountingDisabled(text: string): boolean {
  return /accounting storage is disabled/i.test(text);
}
