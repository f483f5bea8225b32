import type { BlockDefinition, CatalogProblem } from '../catalog';
import type { ParamValue, PipelineDocument } from '../document';
import type { TargetProfile } from '../targets';
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
}

export interface StartRunRequest {
  document: PipelineDocument;
  targetId: string;
  pipelinePath?: string | null;
  /** Where to keep the run; default: the runs folder of the user's Fluxo home. */
  runDir?: string | null;
}

export interface RunFile {
  path: string;
  mime: string;
  size: number;
  base64: string;
}

/** Events from the backend; delivered in batches (one message per tick). */
export type FluxoEvent =
  | { type: 'run.started'; run: RunRecord }
  | { type: 'run.stepChanged'; runId: string; step: StepRecord }
  /** Text of an array task arrives with each line prefixed "[task i] "; the task's log file has it as printed. */
  | { type: 'run.logAppended'; runId: string; stepId: string; text: string }
  | { type: 'run.finished'; run: RunRecord };

export type FluxoEventListener = (batch: FluxoEvent[]) => void;

export type { TargetProfile };
