import type { BlockDefinition, CatalogProblem } from '../catalog';
import type { ExampleI18n } from '../catalog/i18n';
import type { ParamValue, PipelineDocument } from '../document';
import type { TargetProfile } from '../targets';
import type { Problem } from '../validate';
import type { FluxoError } from './result';

export type HostKind = 'electron' | 'browser' | 'cli';

export interface HostInfo {
  kind: HostKind;
  /** True when the host can show native open/save dialogs (Electron). */
  nativeDialogs: boolean;
  version: string;
  platform: string;
  cores: number;
  /** Where pipelines are saved by default (e.g. ~/Fluxo/pipelines). */
  pipelinesFolder: string;
}

export interface CatalogSnapshot {
  blocks: BlockDefinition[];
  /** Definitions that failed to load, with file and field; the rest still loaded. */
  problems: CatalogProblem[];
}

export interface ExampleSummary {
  id: string;
  title: string;
  description: string;
  /** Target ids this example is known to run on. */
  targets: string[];
  /** Block ids in order, enough to draw a thumbnail. */
  blocks: string[];
  /** Title and description in other languages (localizeExample picks one). */
  i18n?: ExampleI18n;
}

export interface OpenedDocument {
  /** Absolute path, or null for an example or a new pipeline not saved yet. */
  path: string | null;
  document: PipelineDocument;
  /** Set when the file was written by an older Fluxo and migrated on open. */
  migratedFrom: number | null;
}

export interface FolderListing {
  folder: string;
  parent: string | null;
  entries: Array<{ name: string; path: string; kind: 'file' | 'folder' }>;
}

/** A folder on a cluster, listed over SFTP for the inspector's remote path browser. */
export interface RemoteListing {
  /** Absolute path of the folder listed. */
  folder: string;
  /** Its parent; null at "/". */
  parent: string | null;
  /** Sub-folders first, then files, each by name; hidden entries (".name") left out. */
  entries: Array<{ name: string; path: string; kind: 'file' | 'folder' | 'other'; size: number }>;
}

export type StepState = 'waiting' | 'running' | 'completed' | 'failed' | 'cancelled' | 'skipped';
export type RunStatus = 'running' | 'completed' | 'failed' | 'cancelled';

export interface OutputFile {
  stepId: string;
  port: string;
  format: string;
  /** Relative to the run folder, with forward slashes. */
  path: string;
  /** The array task that writes it (steps/<id>/task-<i>/...); null for a step that runs once. */
  task: number | null;
  exists: boolean;
  size: number;
}

/**
 * How the exit code of a finished step or task was learned. Every step script writes its own exit
 * code to a marker file from an EXIT trap; "found" means that file decided. "missing" means the
 * process ended without writing it (killed before bash could run the trap), so the process's exit
 * status or signal decided. "unreadable": the file held something other than an exit code.
 * null while it has not ended (or never ran).
 */
export type ExitMarker = 'found' | 'missing' | 'unreadable' | null;

/** One task of a step that runs as a job array (a sweep, or a sweep inherited from upstream). */
export interface TaskRecord {
  index: number;
  /** The sweep point of this task: param id (or "<step>.<param>" when inherited) -> value. */
  params: Record<string, ParamValue>;
  state: StepState;
  exitCode: number | null;
  startedAt: string | null;
  endedAt: string | null;
  seconds: number | null;
  /** Relative to the run folder: logs/<step>_<index>.log. */
  log: string;
  marker: ExitMarker;
  /** Why it ended the way it did, when the state alone does not say (killed, skipped because of what). */
  detail: string | null;
  /** On a cluster: what Slurm last said of this task; null elsewhere or before it was seen. */
  scheduler?: SchedulerView | null;
  /** On failure: what went wrong in plain words, with the evidence and what to do. */
  explanation?: FailureExplanation | null;
}

/** What Slurm said of a job or an array task, as last seen by the monitor. */
export interface SchedulerView {
  /** Slurm's state word: PENDING, RUNNING, COMPLETED, OUT_OF_MEMORY, ... or UNKNOWN (no answer). */
  state: string;
  /** Slurm's reason code for a pending job ("Resources", "Priority", "QOSMaxJobsPerUserLimit"), else null. */
  reason: string | null;
  /** The reason in words a biologist understands ("waiting for a free GPU"), else null. */
  reasonText: string | null;
  /** ExitCode=code:signal as Slurm reports it, when known. */
  exitCode: string | null;
  /** When this was last confirmed by squeue, sacct or the exit marker (ISO time). */
  seenAt: string;
}

/** A Slurm job Fluxo submitted. Keyed on id and submit time: Slurm can reuse an id after a controller crash. */
export interface JobRef {
  id: string;
  /** UTC ISO time submit.sh recorded for it. */
  submittedAt: string;
}

export type FailureKind =
  | 'out-of-memory'
  | 'time-limit'
  | 'cuda-out-of-memory'
  | 'module-missing'
  | 'container-missing'
  | 'qos-or-account-limit'
  | 'node-failure'
  | 'preempted'
  | 'cancelled'
  | 'upstream-failed'
  | 'disk-full'
  | 'program-error';

/** A suggested fix the UI can offer as one button and the CLI as one command. */
export interface SuggestedAction {
  kind: 'retry-with-resources' | 'retry' | 'rerun-from-step' | 'edit-pipeline' | 'contact-support';
  /** The button's words: "Retry with 2x memory". */
  label: string;
  /** For retry-with-resources: the step's new resources (only the fields that change). */
  resources?: { memoryMb?: number; timeMinutes?: number; gpus?: number; cpus?: number };
}

/** A failure in plain words: what happened, how we know, what to do. */
export interface FailureExplanation {
  kind: FailureKind;
  /** One short sentence: "Step Train classifier ran out of memory". */
  title: string;
  /** Two or three sentences in plain words, no Slurm jargon without its meaning. */
  message: string;
  /** The facts behind it: the Slurm state and exit code, and the log lines that show it. */
  evidence: string[];
  action: SuggestedAction | null;
}

/** Where and how a cluster run lives; null for a run on this computer. */
export interface RemoteRun {
  host: string;
  port: number;
  user: string;
  /** Absolute path of the run folder on the cluster. */
  workDir: string;
  account: string | null;
  qos: string | null;
  reservation: string | null;
  /** Where the run is: what Fluxo does next if it restarts now. */
  phase: 'staging' | 'submitting' | 'watching' | 'fetching' | 'ended';
  bytesUploaded: number;
  bytesDownloaded: number;
  /** Steps that ran as jobs / steps whose outputs came from an earlier run (cache). */
  stepsExecuted: number;
  stepsCached: number;
  /** Last time the cluster answered; while it does not, states are "unknown, still watching". */
  lastContactAt: string | null;
  /** Set while the cluster does not answer: why, in words. Cleared when it answers again. */
  unreachable: string | null;
}

export interface StepRecord {
  id: string;
  label: string;
  blockId: string;
  /** For an array: completed when every task completed, failed when any failed, skipped when blocked. */
  state: StepState;
  /** For an array: 0 when every task completed, else the exit code of the first task that failed. */
  exitCode: number | null;
  startedAt: string | null;
  endedAt: string | null;
  seconds: number | null;
  /** Relative to the run folder. For an array, "{task}" stands for the task index (each task has its own). */
  log: string;
  /** Every output file; an array's outputs once per task, in task order. */
  outputs: OutputFile[];
  /** The tasks of a step that runs as a job array; null for a step that runs once. */
  tasks: TaskRecord[] | null;
  /** As in TaskRecord; null for an array (each task has its own). */
  marker: ExitMarker;
  detail: string | null;
  /** On a cluster: the Slurm job of this step (an array is one job); null elsewhere or before submission. */
  job?: JobRef | null;
  /** On a cluster: what Slurm last said of the job (an array: of the array as a whole). */
  scheduler?: SchedulerView | null;
  /** True when the outputs came from an earlier run with the same block version, params and inputs. */
  cached?: boolean;
  /** The earlier run whose outputs this cached step reuses. */
  cachedFrom?: string | null;
  /** On failure: what went wrong in plain words, with the evidence and what to do. */
  explanation?: FailureExplanation | null;
}

export interface RunRecord {
  id: string;
  pipelineName: string;
  /** The .fluxo file the run came from, when it was saved. */
  pipelinePath: string | null;
  targetId: string;
  status: RunStatus;
  runDir: string;
  createdAt: string;
  endedAt: string | null;
  /** Interpreter used for Python blocks. */
  python: string | null;
  steps: StepRecord[];
  error: FluxoError | null;
  /** Set for a run on a cluster. */
  remote?: RemoteRun | null;
  /** The run this one reruns part of ("rerun from the failed step"), when it is one. */
  rerunOf?: string | null;
}

export interface StartRunRequest {
  document: PipelineDocument;
  targetId: string;
  pipelinePath?: string | null;
  /** Where to keep the run; default: the runs folder of the user's Fluxo home. */
  runDir?: string | null;
  /** Slurm account, QoS and reservation for a cluster run (never stored in the pipeline). */
  account?: string | null;
  qos?: string | null;
  reservation?: string | null;
  /**
   * Rerun part of an earlier run on the same target: "failed" reruns from the failed step(s),
   * a step id reruns that step and everything after it. Finished upstream outputs are reused.
   */
  rerun?: { runId: string; from: 'failed' | { step: string } } | null;
  /** false: run every step even when an earlier run has its outputs. Default true. */
  useCache?: boolean;
  /**
   * Cluster runs: confirm "unchanged" files by sha256 on both sides, not only by size and
   * modification time (slower; for files whose time may lie, e.g. copied with their dates kept).
   */
  checksum?: boolean;
}

/** Bytes moving to or from a cluster. */
export interface TransferView {
  direction: 'upload' | 'download';
  /** The file being moved now (run-relative or the local path of an input). */
  file: string;
  files: { done: number; total: number; skipped: number };
  bytes: { done: number; total: number };
  /** Bytes per second over the last seconds; null until known. */
  rate: number | null;
  secondsLeft: number | null;
}

export interface RunFile {
  path: string;
  mime: string;
  size: number;
  base64: string;
}

/** A piece of a run file (runs.readRange): large tables are read a page at a time. */
export interface RunFileChunk {
  path: string;
  /** The whole file's size in bytes. */
  size: number;
  offset: number;
  base64: string;
  /** True when this piece reaches the end of the file. */
  eof: boolean;
}

/** The files of a folder output (runs.listFiles), e.g. a DICOM series; paths are run-relative. */
export interface RunFolderListing {
  path: string;
  entries: Array<{ name: string; path: string; kind: 'file' | 'folder'; size: number }>;
  /** True when the folder holds more entries than were listed. */
  truncated: boolean;
}

/** The archive runs.export wrote. */
export interface ExportedRun {
  path: string;
  format: 'zip' | 'tar.gz';
  files: number;
  bytes: number;
}

/** Events from the backend; delivered in batches (one message per tick). */
export type FluxoEvent =
  | { type: 'run.started'; run: RunRecord }
  | { type: 'run.stepChanged'; runId: string; step: StepRecord }
  /** Text of an array task arrives with each line prefixed "[task i] "; the task's log file has it as printed. */
  | { type: 'run.logAppended'; runId: string; stepId: string; text: string }
  | { type: 'run.transfer'; runId: string; transfer: TransferView }
  /** The cluster connection of a run: lost (still watching, states unknown) or back. */
  | { type: 'run.remoteChanged'; runId: string; remote: RemoteRun }
  | { type: 'run.finished'; run: RunRecord }
  /** The system asked this window to open a file (double-click, "Open with", a second launch). */
  /** (`runId` is never set: run consumers skip this event without knowing it.) */
  | { type: 'app.openFile'; path: string; runId?: undefined }
  /** A login needs the person at the window: shown one at a time, answered with prompts.answer. */
  | { type: 'ssh.promptRequested'; prompt: SshPrompt }
  /** The prompt is gone (answered in some window, cancelled, or timed out): close its dialog. */
  | { type: 'ssh.promptClosed'; id: string; reason: 'answered' | 'cancelled' | 'timeout' };

/** One step as pre-flight sees it: what it asks for, against what the target allows. */
export interface PreflightStep {
  id: string;
  label: string;
  blockId: string;
  cpus: number;
  memoryMb: number;
  timeMinutes: number;
  gpus: number;
  /** The Slurm partition it goes to; null on this computer. */
  partition: string | null;
  /** Array tasks (1 for a step that runs once). */
  tasks: number;
  /** What the target allows (partition limits, or this computer's cores and memory); null = not known. */
  limits: { cpus: number | null; memoryMb: number | null; timeMinutes: number | null; gpus: number | null };
  /** Fields asking more than the limit. */
  over: Array<'cpus' | 'memoryMb' | 'timeMinutes' | 'gpus'>;
  /** Upper bound: requested CPUs (GPUs) x time limit x tasks, in hours. */
  coreHours: number;
  gpuHours: number;
}

/** A file or folder on this computer a step reads, which a cluster run sends first. */
export interface PreflightUpload {
  local: string;
  files: number;
  bytes: number;
  /** True when an earlier run on the same cluster sent it with the same size (likely skipped). */
  sentBefore: boolean;
}

/** What pressing Run would do, said before anything starts (no connection needed). */
export interface PreflightReport {
  targetId: string;
  targetKind: 'local' | 'slurm';
  targetTitle: string;
  /** Errors and warnings of the pipeline on this target (validation and the target's limits). */
  problems: Problem[];
  /** False when a problem is an error: the run would be refused. */
  canRun: boolean;
  steps: PreflightStep[];
  /** Upper bounds summed over every step and task. */
  coreHours: number;
  gpuHours: number;
  jobs: number;
  tasks: number;
  /** Cores of this computer (local runs share them); null for a cluster. */
  localCores: number | null;
  /** Inputs to send to the cluster; null on this computer. */
  upload: { files: number; bytes: number; items: PreflightUpload[] } | null;
  account: string | null;
  qos: string | null;
  reservation: string | null;
}

/** A past run with the exact pipeline that ran, to reopen it read-only. */
export interface RunDocument {
  run: RunRecord;
  document: PipelineDocument;
}

/** A question a cluster login asks the person at the window. Never carries an answer. */
export type SshPrompt =
  | { id: string; kind: 'hostKey'; host: string; port: number; keyType: string; fingerprint: string }
  | {
      id: string;
      kind: 'secret';
      /** password, key passphrase, or a server question such as "Verification code:". */
      secretKind: 'password' | 'passphrase' | 'keyboard-interactive';
      /** What the answer is for: user@host:port, or the key file for a passphrase. */
      target: string;
      /** The server's own words for keyboard-interactive, else ours. */
      prompt: string;
      instructions: string;
      /** Whether what is typed may be shown (a code the server says may be echoed). */
      echo: boolean;
      /** A password or passphrase (not a one-time code). */
      isPassword: boolean;
      /** Whether this host can keep the answer in the system keychain ("Remember" is offered). */
      canRemember: boolean;
    };

/** The answer to an SshPrompt: trust a host key or not; a secret, or null to cancel. */
export type SshPromptAnswer = { kind: 'hostKey'; trust: boolean } | { kind: 'secret'; value: string | null; remember: boolean };

/** A target profile with where it comes from (shipped with Fluxo, or the user's own file). */
export interface TargetEntry {
  profile: TargetProfile;
  source: 'shipped' | 'user';
  file: string;
  /** For a user profile with a shipped profile's id: the shipped file it replaces. */
  overrides: string | null;
}

export interface TargetsOverview {
  entries: TargetEntry[];
  /** Files that could not be used, and why. */
  problems: Array<{ file: string; source: 'shipped' | 'user'; field: string; message: string }>;
  /** <FLUXO_HOME>/targets: where the user's own profiles are saved. */
  userFolder: string;
  /** Why passwords cannot be remembered on this host, or null when they can. */
  secretsUnavailable: string | null;
}

/** A Host of the user's ssh config, as `ssh ALIAS` would resolve it. */
export interface SshHostEntry {
  alias: string;
  hostName: string;
  user: string | null;
  port: number;
  proxyJump: string | null;
  identityFiles: string[];
  /** ProxyCommand is set: Fluxo never runs it (ProxyJump works). */
  hasProxyCommand: boolean;
}

export interface SshHostsListing {
  /** The config file read (FLUXO_SSH_CONFIG, else ~/.ssh/config). */
  file: string;
  exists: boolean;
  hosts: SshHostEntry[];
}

export type TargetTestStepId = 'hostKey' | 'login' | 'slurm' | 'partitions' | 'accounting' | 'workRoot';

export interface TargetTestStep {
  id: TargetTestStepId;
  status: 'ok' | 'failed' | 'skipped';
  /** What was found, in words (from the backend, in English). */
  detail: string;
}

/** The same checks as `fluxo targets test ID`, step by step. */
export interface TargetTestReport {
  targetId: string;
  ok: boolean;
  steps: TargetTestStep[];
  /** The login or cluster error that stopped the checks (E500 host key changed, E502 ...). */
  error: FluxoError | null;
}

/** Slurm choices for runs on one cluster target; "" = none. */
export interface RunOptionsSetting {
  account: string;
  qos: string;
  reservation: string;
}

export type FluxoEventListener = (batch: FluxoEvent[]) => void;

export type { TargetProfile };

/** A pipeline the start screen lists under "Recent files"; `exists` false when it was moved or deleted. */
export interface RecentFile {
  path: string;
  /** The pipeline's name when it was last opened or saved. */
  name: string;
  openedAt: string;
  exists: boolean;
}

/** Unsaved work an earlier window left in the autosave folder, offered at start. */
export interface RecoverableWork {
  session: string;
  /** Where the pipeline was saved before these changes; null for one never saved. */
  path: string | null;
  name: string;
  savedAt: string;
  document: PipelineDocument;
}

/** A workshop pack opened: the student's copy (path) inside its unpacked folder. */
export interface OpenedWorkshop extends OpenedDocument {
  path: string;
  folder: string;
}
