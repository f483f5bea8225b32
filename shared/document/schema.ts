import { z } from 'zod';

/** The version written by this build of Fluxo. Older files are migrated on open (see migrate.ts). */
export const DOCUMENT_VERSION = 3;
export const DOCUMENT_FORMAT = 'fluxo-pipeline';
export const DOCUMENT_EXTENSION = '.fluxo';

/**
 * INVARIANT: step ids are safe as folder names and shell words on every target, so a hand-edited
 * file cannot smuggle a path or a shell token through an id.
 */
export const STEP_ID_PATTERN = /^[a-z][a-z0-9_-]{0,47}$/;
export const zStepId = z
  .string()
  .regex(STEP_ID_PATTERN, 'must start with a lowercase letter and use only a-z, 0-9, "-" and "_" (at most 48 characters)');

export const zPosition = z.object({ x: z.number().finite(), y: z.number().finite() });

/** A param value as stored in the file; its type is checked against the block definition by validate/. */
export const zParamValue = z.union([z.string(), z.number().finite(), z.boolean()]);
export type ParamValue = z.infer<typeof zParamValue>;

/**
 * Per-step overrides of the block's resource defaults (version 2). Absent fields keep the block's value.
 * The partition is a Slurm name checked against the chosen target profile at compile time.
 */
export const zStepResources = z.object({
  cpus: z.number().int().min(1).max(1024).optional(),
  memoryMb: z.number().int().min(64).max(16 * 1024 * 1024).optional(),
  timeMinutes: z.number().int().min(1).max(60 * 24 * 366).optional(),
  gpus: z.number().int().min(0).max(64).optional(),
  partition: z.string().max(100).optional(),
});
export type StepResources = z.infer<typeof zStepResources>;

/**
 * A parameter sweep (version 2): every combination of the listed values is one task of a job
 * array (a grid). `maxParallel` limits how many tasks run at once (Slurm's `%K`).
 */
export const zSweep = z.object({
  values: z.record(z.string(), z.array(zParamValue).min(1).max(1000)),
  maxParallel: z.number().int().min(1).max(10000).optional(),
});
export type Sweep = z.infer<typeof zSweep>;

export const zStep = z.object({
  id: zStepId,
  /** Block id in the catalog, e.g. "split-train-test". */
  type: z.string().min(1),
  /** Block definition version the params were written for. */
  version: z.number().int().positive(),
  label: z.string().max(200).default(''),
  params: z.record(z.string(), zParamValue).default({}),
  resources: zStepResources.optional(),
  sweep: zSweep.optional(),
  position: zPosition,
});
export type Step = z.infer<typeof zStep>;

export const zPortRef = z.object({ step: zStepId, port: z.string().min(1) });
export type PortRef = z.infer<typeof zPortRef>;

export const zConnection = z.object({ from: zPortRef, to: zPortRef });
export type Connection = z.infer<typeof zConnection>;

/** Colours a sticky note can have (the canvas maps them to its palette). */
export const NOTE_COLORS = ['yellow', 'blue', 'green', 'pink', 'grey'] as const;

/** A sticky note on the canvas (markdown): explanations, workshop instructions. */
export const zNote = z.object({
  id: z.string().min(1).max(64),
  text: z.string().max(20000),
  position: zPosition,
  /** Version 3: the note's box; absent = the canvas default. */
  size: z.object({ width: z.number().finite().min(80).max(4000), height: z.number().finite().min(40).max(4000) }).optional(),
  color: z.enum(NOTE_COLORS).optional(),
});
export type Note = z.infer<typeof zNote>;

export const zMetadata = z.object({
  name: z.string().min(1).max(200),
  description: z.string().max(5000).default(''),
  author: z.string().max(200).default(''),
  /** ISO 8601 timestamps. */
  created: z.string().datetime({ offset: true }),
  updated: z.string().datetime({ offset: true }),
});
export type Metadata = z.infer<typeof zMetadata>;

/**
 * Version 3: an instructor's lock. While present, a student can change only the params listed in
 * `editable` ("<step id>.<param id>"); the graph, other params, resources and notes are read-only.
 */
export const zLock = z.object({
  editable: z.array(z.string().regex(/^[a-z][a-z0-9_-]{0,47}\.[A-Za-z0-9_-]{1,64}$/, 'must be "<step id>.<param id>"')).max(2000),
  /** Shown to the student, e.g. "Change only the test fraction and the model". */
  message: z.string().max(2000).default(''),
});
export type Lock = z.infer<typeof zLock>;

export const zPipelineDocument = z.object({
  format: z.literal(DOCUMENT_FORMAT),
  version: z.literal(DOCUMENT_VERSION),
  metadata: zMetadata,
  steps: z.array(zStep),
  connections: z.array(zConnection).default([]),
  notes: z.array(zNote).default([]),
  lock: zLock.optional(),
});
export type PipelineDocument = z.infer<typeof zPipelineDocument>;
