import type { BlockDefinition, CatalogProblem } from '../catalog';
import type { PipelineDocument } from '../document';
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
  exists: boolean;
  size: number;
}

export interface StepRecord {
  id: string;
  label: string;
  blockId: string;
  state: StepState;
  exitCode: number | null;
  startedAt: string | null;
  endedAt: string | null;
  seconds: number | null;
  /** Relative to the run folder. */
  log: string;
  outputs: OutputFile[];
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
  | { type: 'run.logAppended'; runId: string; stepId: string; text: string }
  | { type: 'run.finished'; run: RunRecord };

export type FluxoEventListener = (batch: FluxoEvent[]) => void;

export type { TargetProfile };
