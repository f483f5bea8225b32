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
  /** CPUs per task; on a GPU step at least gpus x the profile's cpusPerGpu (see `cpusRaised`). */
  cpus: number;
  memoryMb: number;
  timeMinutes: number;
  gpus: number;
  /** Slurm partition; null on "This computer". */
  partition: string | null;
  /** Slurm QoS of this step: the run's (CompileOptions.qos), else the partition's; null when none. */
  qos: string | null;
  /** The CPUs asked for before the profile's cores-per-GPU rule raised them; null when not raised. */
  cpusRaisedFrom: number | null;
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
 * The grid: swept params in sorted order, the last varying fastest, each list in the order written.
 * A step that inherits runs the same count; its task i reads task i of the step it depends on with
 * mode "each". A `multiple` input fed by an array gets every task's path (task order), and the
 * step runs once after the whole array (mode "all").
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
  /** Commands that must be on PATH (system environment; includes python3 for Python blocks on a cluster). */
  tools: string[];
  /** Container runtime that runs `image`; null otherwise. */
  runtime: 'apptainer' | 'singularity' | null;
  /** "--nv" (NVIDIA) or "--rocm" (AMD) when a container step has GPUs; null otherwise. */
  gpuFlag: '--nv' | '--rocm' | null;
  /**
   * For a docker:// image: where a .sif pulled beforehand is looked for, relative to the images
   * folder ($FLUXO_IMAGES, default <run>/images). When that file exists the step runs it instead of
   * pulling from the internet (compute nodes often have none). null for other environments.
   */
  pulledImage: string | null;
}

/**
 * One step of the bundle. Conventions every executor relies on (paths relative to the run folder,
 * "{task}" = the array task index 0..count-1):
 * - script: bundle-relative; `bash <bundle>/<script>` runs one task. Environment: FLUXO_RUN (run folder),
 *   FLUXO_BUNDLE (bundle folder), FLUXO_PYTHON (interpreter for system-environment Python blocks,
 *   default python3), FLUXO_TASK (the task of an array, default 0; on Slurm SLURM_ARRAY_TASK_ID wins).
 *   Local scripts default FLUXO_RUN/FLUXO_BUNDLE from their own location; Slurm scripts require both.
 * - outputs: steps/<id>/<file>, or steps/<id>/task-<i>/<file> for arrays (one entry per task).
 *   Each array task also writes steps/<id>/task-<i>/fluxo-task.json: {"task":i,"params":{...points[i]}}.
 * - marker: logs/<id>.exit, or logs/<id>_{task}.exit: one line, the exit code, written atomically
 *   by the EXIT trap (a TERM ends the script with 143). Removed when the script (task) starts.
 * - logs: local logs/<id>.log (arrays logs/<id>_{task}.log), stdout and stderr together, written by
 *   the runner (run.sh or the executor); Slurm logs/<id>.out + .err (arrays logs/<id>_{task}.out/.err).
 */
export interface ManifestStep {
  id: string;
  label: string;
  block: { id: string; version: number; title: string };
  /** Relative to the bundle folder. */
  script: string;
  /** Step ids this one waits for (every kind of dependency), in manifest order. */
  dependsOn: string[];
  /** The same steps with how to wait: Slurm afterok (all) or aftercorr (each). */
  dependencies: ManifestDependency[];
  outputs: ManifestOutput[];
  resources: StepResourcesResolved;
  /** null for a step that runs once. */
  tasks: ManifestTasks | null;
  environment: ManifestEnvironment;
  /**
   * The params as they reach the command (defaults filled in), for the record and the RO-Crate.
   * Swept params are left out: each task's values are in tasks.points.
   */
  params: Record<string, ParamValue>;
  /**
   * Where the step writes its exit code (EXIT trap) relative to the run folder. For an array,
   * "{task}" stands for the task index. The most robust final state where Slurm accounting is off.
   */
  marker: string;
  /** Log file(s) relative to the run folder; "{task}" as in `marker`. Slurm writes .out and .err. */
  logs: { out: string; err: string };
  /** Slurm --job-name (fluxo-<id>); null on "This computer". */
  jobName: string | null;
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
  /**
   * Bundle-relative entry scripts. Local: run = "run.sh" (every step and task in order, one at a
   * time), submit/cancel null. Slurm: submit = "submit.sh", cancel = "cancel.sh", run null.
   */
  entry: { run: string | null; submit: string | null; cancel: string | null };
  /**
   * Slurm only (else null), relative to the run folder: submit.sh appends "step<TAB>job id<TAB>UTC time"
   * to `jobs` (after a header line "step\tjob\tsubmitted") as each job is accepted, and writes
   * `submitted` (atomically) once every step is in; a second submit.sh then only prints the ids.
   * `cached` is read, never written, by submit.sh: one step id a line, for steps whose outputs
   * (steps/<id>/) and exit markers (logs/) the runner copied from an earlier run before starting
   * submit.sh. A listed step whose markers all say 0 gets no job and no line in `jobs`; what
   * depends on it waits only for the steps really submitted. Unknown lines are ignored with a warning.
   */
  slurm: { jobs: string; submitted: string; cached: string } | null;
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
  /** Empty strings count as not given. checkTarget refuses anything but a plain Slurm name. */
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
  /** Folder of .sif images pulled beforehand for docker:// images (default <run>/images). */
  images: 'FLUXO_IMAGES',
} as const;

/** Files submit.sh keeps in the run folder. */
export const SLURM_RUN_FILES = { jobs: 'jobs.tsv', submitted: '.fluxo-submitted', cached: '.fluxo-cached' } as const;
