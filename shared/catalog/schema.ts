import { z } from 'zod';
import { zBlockI18n } from './i18n';

/**
 * Block definitions are data (resources/blocks/<id>/block.yaml). Everything about a block — palette
 * entry, port handles, connection checks, the parameter form, the compiled command — comes from here.
 */

export const BLOCK_ID_PATTERN = /^[a-z][a-z0-9-]{1,47}$/;
const zIdent = z.string().regex(/^[a-z][a-z0-9_]{0,47}$/, 'must be lower_snake_case (a-z, 0-9, _)');

/** Port formats are dotted: "table.csv", "model.sklearn", "metrics.json". See formats.ts. */
export const zFormat = z.string().regex(/^[a-z][a-z0-9]*(\.[a-z0-9-]+)*$/, 'must be a dotted lowercase format like "table.csv"');

export const zCategory = z.enum(['data', 'preprocess', 'train', 'evaluate', 'report']);
export type Category = z.infer<typeof zCategory>;

/** The field a block belongs to, for the palette and search; "generic" blocks serve every field. */
export const zDomain = z.enum(['tabular', 'imaging', 'genomics', 'language', 'generic']);
export type Domain = z.infer<typeof zDomain>;

export const zInputPort = z.object({
  id: zIdent,
  title: z.string().min(1),
  format: zFormat,
  description: z.string().default(''),
  required: z.boolean().default(true),
  /**
   * Accepts every output of a sweep at once (fan-in): the command gets one path per sweep point,
   * in sweep order, each as its own argument. A single input fed by a sweep instead makes this step
   * run once per sweep point.
   */
  multiple: z.boolean().default(false),
});
export type InputPort = z.infer<typeof zInputPort>;

export const zOutputPort = z.object({
  id: zIdent,
  title: z.string().min(1),
  format: zFormat,
  description: z.string().default(''),
  /** File (or folder) name inside the step's output folder. */
  path: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'must be a plain file name (no folders, no spaces)'),
});
export type OutputPort = z.infer<typeof zOutputPort>;

/** Show a param only when other params have one of the listed values (n8n's displayOptions.show). */
export const zShow = z.record(z.string(), z.array(z.union([z.string(), z.number(), z.boolean()])).min(1));

const paramBase = {
  id: zIdent,
  title: z.string().min(1),
  help: z.string().default(''),
  show: zShow.optional(),
};

export const zParamDef = z.discriminatedUnion('type', [
  z.object({
    ...paramBase,
    type: z.literal('string'),
    default: z.string().optional(),
    required: z.boolean().default(true),
    pattern: z.string().optional(),
    maxLength: z.number().int().positive().default(1000),
    /** A text area instead of one line (a prompt, a list of ids). */
    multiline: z.boolean().optional(),
  }),
  z.object({
    ...paramBase,
    type: z.literal('integer'),
    default: z.number().int().optional(),
    required: z.boolean().default(true),
    min: z.number().int().optional(),
    max: z.number().int().optional(),
    /** What the number counts, shown beside the field ("slices", "voxels"). */
    unit: z.string().max(20).optional(),
    /** Increment of the field's arrows (default 1). */
    step: z.number().int().positive().optional(),
  }),
  z.object({
    ...paramBase,
    type: z.literal('number'),
    default: z.number().optional(),
    required: z.boolean().default(true),
    min: z.number().optional(),
    max: z.number().optional(),
    /** Unit shown beside the field ("mm", "mL", "HU"). */
    unit: z.string().max(20).optional(),
    /** Increment of the field's arrows; absent: any value. */
    step: z.number().positive().optional(),
  }),
  z.object({
    ...paramBase,
    type: z.literal('boolean'),
    default: z.boolean().optional(),
    required: z.boolean().default(true),
  }),
  z.object({
    ...paramBase,
    type: z.literal('choice'),
    /** `help` says what choosing it means; shown beside each option when there are few. */
    choices: z.array(z.object({ value: z.string().min(1), title: z.string().min(1), help: z.string().optional() })).min(1),
    default: z.string().optional(),
    required: z.boolean().default(true),
  }),
  z.object({
    ...paramBase,
    type: z.literal('path'),
    /** "file" or "folder" on the user's machine. */
    kind: z.enum(['file', 'folder']).default('file'),
    /** File name extensions offered by the picker, e.g. [".csv", ".tsv"]. */
    extensions: z.array(z.string().regex(/^\.[a-z0-9]+$/)).default([]),
    default: z.string().optional(),
    required: z.boolean().default(true),
  }),
]);
export type ParamDef = z.infer<typeof zParamDef>;
export type ParamType = ParamDef['type'];

export const zResources = z.object({
  cpus: z.number().int().min(1).max(1024).default(1),
  /** Memory in MiB. */
  memoryMb: z.number().int().min(64).default(2048),
  /** Wall time in minutes. */
  timeMinutes: z.number().int().min(1).default(30),
  gpus: z.number().int().min(0).max(16).default(0),
});
export type Resources = z.infer<typeof zResources>;

export const zPythonModule = z.object({
  /** Name used in `import`, e.g. "sklearn". */
  import: z.string().regex(/^[A-Za-z_][A-Za-z0-9_.]*$/),
  /** Name a user installs with pip, e.g. "scikit-learn". */
  pip: z.string().min(1),
  /** Debian/Ubuntu package, e.g. "python3-sklearn". */
  apt: z.string().optional(),
});
export type PythonModule = z.infer<typeof zPythonModule>;

/**
 * One way to provide a block's software. A block lists them in order of preference and the
 * compiler takes the first the target profile supports (see shared/compiler/environment.ts).
 */
export const zEnvironment = z.discriminatedUnion('kind', [
  z.object({
    /** Tools already on PATH (Debian packages on "This computer", a site's default software). */
    kind: z.literal('system'),
    /** Commands that must exist, e.g. ["fastp"]; checked before a local run. */
    tools: z.array(z.string().regex(/^[A-Za-z0-9_.+-]+$/)).default([]),
  }),
  z.object({
    /** Environment modules. Names are logical ("pytorch"); each profile maps them to its modules. */
    kind: z.literal('modules'),
    packages: z.array(z.string().regex(/^[a-z][a-z0-9_-]*$/)).min(1),
  }),
  z.object({
    /** An Apptainer/Singularity image: "docker://..." (pulled on first use) or a ".sif" path on the cluster. */
    kind: z.literal('container'),
    image: z.string().regex(/^(docker:\/\/[A-Za-z0-9][A-Za-z0-9._/:@-]*|\/[A-Za-z0-9._/-]+\.sif)$/, 'must be docker://IMAGE:TAG or an absolute .sif path'),
    /** For GPU steps: the GPU maker the image is built for (CUDA "nvidia", ROCm "amd"); absent = any. */
    vendor: z.enum(['nvidia', 'amd']).optional(),
  }),
  z.object({
    /** A named conda environment that exists on the target. */
    kind: z.literal('conda'),
    environment: z.string().regex(/^[A-Za-z0-9_.-]+$/),
  }),
]);
export type Environment = z.infer<typeof zEnvironment>;

export const zSoftware = z.object({
  python: z
    .object({
      /** Minimum Python version, "3.9" style. */
      minVersion: z.string().regex(/^3\.\d+$/).default('3.9'),
      modules: z.array(zPythonModule).default([]),
    })
    .optional(),
  /** In order of preference; empty means `system` (what the walking skeleton assumed). */
  environments: z.array(zEnvironment).default([]),
  /**
   * How the command starts when the step has GPUs: "torchrun" and "accelerate" replace the leading
   * {{python}} with a launcher that starts one process per GPU (under `srun` on Slurm).
   */
  launcher: z.enum(['plain', 'torchrun', 'accelerate']).default('plain'),
});
export type Software = z.infer<typeof zSoftware>;

/**
 * argv template. Each element is one argument; placeholders are whole elements or parts of one:
 * {{python}} the Python interpreter, {{block}} the block's folder in the bundle,
 * {{params.ID}}, {{inputs.ID}}, {{outputs.ID}}, {{outdir}} the step's output folder.
 * The compiler quotes every expanded value; there is no expression language.
 */
export const zCommand = z.array(z.string().min(1)).min(1);

export const zBlockDefinition = z.object({
  id: z.string().regex(BLOCK_ID_PATTERN, 'must be lowercase-with-dashes'),
  version: z.number().int().positive(),
  title: z.string().min(1).max(60),
  category: zCategory,
  domain: zDomain.default('generic'),
  description: z.string().min(1).max(200),
  /** Markdown: what it does, inputs, outputs, a typical use. */
  help: z.string().default(''),
  inputs: z.array(zInputPort).default([]),
  outputs: z.array(zOutputPort).default([]),
  params: z.array(zParamDef).default([]),
  resources: zResources.default({ cpus: 1, memoryMb: 2048, timeMinutes: 30, gpus: 0 }),
  /** What the block cannot do without: a cluster (LLM blocks), at least N GPUs. Refused before running. */
  requires: z
    .object({
      cluster: z.boolean().default(false),
      gpus: z.number().int().min(0).max(16).default(0),
      /** Why, in words, for the refusal message ("fine-tuning a language model needs a data-centre GPU"). */
      reason: z.string().default(''),
    })
    .default({ cluster: false, gpus: 0, reason: '' }),
  software: zSoftware.default({ environments: [], launcher: 'plain' }),
  /** Files shipped beside the definition that the command needs, copied into every bundle. */
  files: z.array(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/)).default([]),
  command: zCommand,
  /** Translations of the user-visible text (see i18n.ts); English is the fallback per field. */
  i18n: zBlockI18n.optional(),
});
export type BlockDefinition = z.infer<typeof zBlockDefinition>;
export type BlockDefinitionInput = z.input<typeof zBlockDefinition>;
