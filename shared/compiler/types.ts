import type { Environment, PythonModule } from '../catalog';
import type { ParamValue } from '../document';
import type { Problem } from '../validate';

export const BUNDLE_FORMAT = 'fluxo-bundle';
export const BUNDLE_VERSION = 2;

/** A text file of the bundle; paths are relative to the bundle folder, with forward slashes. */
export interface BundleFile {
  path: string;
  content: string;
  executable: boolean;
}

/** A file shipped with Fluxo (a block's script, the Python runtime), copied into the bundle by the backend. */
export interface BundleAsset {
  /** Source, relative to the resources folder, with forward slashes, e.g. "blocks/report/report.py". */
  from: string;
  /** Destination inside the bundle. */
  path: string;
}

/**
 * Helpers every Python block may import (`import fluxo_block`), shipped once per bundle in
 * lib/python and put first on PYTHONPATH by the step scripts of Python blocks.
 */
export const PYTHON_RUNTIME = { from: 'runtime/python', to: 'lib/python', files: ['fluxo_block.py'] } as const;

export interface ManifestOutput {
  port: string;
  format: string;
  /** Relative to the run folder: steps/<id>/<file>, or steps/<id>/task-<i>/<file> for a task of an array. */
  path: string;
  /** The array task that writes it; null for a step that runs once. */
  task: number | null;
}

/** What a step gets, after the step's overrides are applied to the block's defaults. */
export interface StepResourcesResolved {
  cpus: number;
  memoryMb: number;
  timeMinutes: number;
  gpus: number;
  /** Slurm partition; null on "This computer". */
  partition: string | null;
}

/**
 * How a step waits for one it depends on. "all": for every task of it to complete (Slurm afterok
 * on the job or the whole array). "each": task i waits for task i of it (Slurm aftercorr), used
 * when a step inherits a sweep through a single input.
 */
export interface ManifestDependency {
  step: string;
  mode: 'all' | 'each';
}

/**
 * A step that runs as a job array. `points[i]` holds the param values of task i: the step's own
 * sweep, or the sweep it inherits from upstream through single inputs (then keyed "<step>.<param>").
 */
export interface ManifestTasks {
  count: number;
  /** Slurm's %K: at most this many tasks at once; null = no limit. */
  maxParallel: number | null;
  points: Array<Record<string, ParamValue>>;
  /** The step whose sweep this is (itself, or an upstream step). */
  sweepOf: string;
}

/** The software environment the profile chose for a step, as the script sets it up. */
export interface ManifestEnvironment {
  kind: Environment['kind'];
  /** In words, for the UI and the RO-Crate: "modules cesga/2022 pytorch/2.1", "container docker://...". */
  description: string;
  /** Modules loaded, in order (base modules first); empty unless kind is "modules". */
  modules: string[];
  /** Image for a container environment; null otherwise. */
  image: string | null;
  /** The conda environment; null otherwise. */
  conda: string | null;
  /** Commands that must be on PATH (system environment). */
  tools: string[];
}

export interface ManifestStep {
  id: string;
  label: string;
  block: { id: string; version: number; title: string };
  /** Relative to the bundle folder. */
  script: string;
  /** Step ids this one waits for (every kind of dependency). */
  dependsOn: string[];
  dependencies: ManifestDependency[];
  outputs: ManifestOutput[];
  resources: StepResourcesResolved;
  /** null for a step that runs once. */
  tasks: ManifestTasks | null;
  environment: ManifestEnvironment;
  /** The params as they reach the command (defaults filled in), for the record and the RO-Crate. */
  params: Record<string, ParamValue>;
  /**
   * Where the step writes its exit code (EXIT trap) relative to the run folder. For an array,
   * "{task}" stands for the task index. The most robust final state where Slurm accounting is off.
   */
  marker: string;
  /** Log file(s) relative to the run folder; "{task}" as in `marker`. Slurm writes .out and .err. */
  logs: { out: string; err: string };
}

/** What the run will cost at most: requested cores x requested time, summed over steps and tasks. */
export interface ResourceEstimate {
  coreHours: number;
  gpuHours: number;
  /** Jobs submitted (one per step) and tasks run (array tasks counted one by one). */
  jobs: number;
  tasks: number;
}

export interface PythonRequirement extends PythonModule {
  /** Step ids that import it, so a message can say which step needs what. */
  usedBy: string[];
}

export interface BundleManifest {
  format: typeof BUNDLE_FORMAT;
  version: typeof BUNDLE_VERSION;
  pipeline: { name: string };
  target: string;
  targetKind: 'local' | 'slurm';
  /** Slurm account and QoS the scripts request; null when none. */
  account: string | null;
  qos: string | null;
  reservation: string | null;
  estimate: ResourceEstimate;
  /** Step ids in the order the entry script runs them. */
  order: string[];
  steps: ManifestStep[];
  python: { minVersion: string; modules: PythonRequirement[] } | null;
}

export interface Bundle {
  manifest: BundleManifest;
  /** Generated files, sorted by path; manifest.json included. */
  files: BundleFile[];
  assets: BundleAsset[];
}

export type CompileResult = { ok: true; bundle: Bundle; warnings: Problem[] } | { ok: false; problems: Problem[] };

/** What the user chooses per run on a cluster (settings screen, CLI flags); never stored in the pipeline. */
export interface CompileOptions {
  account?: string | null;
  qos?: string | null;
  /** A Slurm reservation, e.g. for a class (--reservation). */
  reservation?: string | null;
}

/** Environment variables every generated script understands. */
export const ENV = {
  run: 'FLUXO_RUN',
  bundle: 'FLUXO_BUNDLE',
  python: 'FLUXO_PYTHON',
  /** The array task a local run starts; on Slurm, SLURM_ARRAY_TASK_ID wins. */
  task: 'FLUXO_TASK',
} as const;
