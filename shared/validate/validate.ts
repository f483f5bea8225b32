import type { BlockDefinition, Catalog } from '../catalog';
import { checkParamValue, describeFormat, effectiveParamValue, effectiveParams, findBlock, isFormatCompatible, isParamVisible } from '../catalog';
import type { ParamValue, PipelineDocument, Step } from '../document';
import { MAX_SWEEP_TASKS, sweepParams, sweepPoints, sweepSize, sweepSources } from './sweeps';

/**
 * Numbered problem codes. Numbers are stable: documentation, tests and users quote them.
 * INVARIANT: never renumber or reuse a code; add new ones at the end.
 */
export const ProblemCode = {
  UnknownBlock: 'V001',
  UnknownBlockVersion: 'V002',
  DuplicateStepId: 'V003',
  Cycle: 'V004',
  UnconnectedInput: 'V005',
  IncompatibleFormats: 'V006',
  MissingParam: 'V007',
  InvalidParam: 'V008',
  UnknownParam: 'V009',
  UnknownStep: 'V010',
  UnknownPort: 'V011',
  InputConnectedTwice: 'V012',
  EmptyPipeline: 'V013',
  SelfConnection: 'V014',
  SweepUnknownParam: 'V015',
  SweepInvalidValue: 'V016',
  SweepEmpty: 'V017',
  SweepTooLarge: 'V018',
  ResourceOutOfRange: 'V019',
  SweepConflict: 'V020',
  TooFewGpus: 'V021',
  // Target checks (shared/compiler/check.ts#checkTarget): the pipeline is fine, the chosen target cannot run it as asked.
  NeedsCluster: 'T001',
  NoGpus: 'T002',
  OverPartitionLimit: 'T003',
  LimitUnknown: 'T004',
  UnknownPartition: 'T005',
  AccountMissing: 'T006',
  QosMissing: 'T007',
  UnsafeSlurmValue: 'T008',
  NoEnvironment: 'T009',
  ImageNeedsInternet: 'T010',
  QosNotKnown: 'T011',
  ProfileProblem: 'T012',
  LauncherUnusable: 'T013',
} as const;
export type ProblemCode = (typeof ProblemCode)[keyof typeof ProblemCode];

export interface Problem {
  code: ProblemCode;
  severity: 'error' | 'warning';
  /** The step the problem is on, when there is one. */
  stepId: string | null;
  /** The param id, or "inputs.<port>" / "outputs.<port>", when the problem is on one field. */
  field: string | null;
  /** What is wrong, naming the step by its label. */
  message: string;
  /** How to fix it. */
  fix: string;
}

/** The name a user sees for a step: its label, else the block title, else its id. */
export function stepName(step: Step, block: BlockDefinition | undefined): string {
  return step.label || block?.title || step.id;
}

export interface ConnectionCheck {
  ok: boolean;
  /** Why not, in words; shown when an invalid connection is dropped on the canvas. */
  reason: string | null;
}

/** Whether an output port of one block may feed an input port of another. Used live by the canvas. */
export function checkConnection(from: { block: BlockDefinition; port: string }, to: { block: BlockDefinition; port: string }): ConnectionCheck {
  const out = from.block.outputs.find((p) => p.id === from.port);
  const inp = to.block.inputs.find((p) => p.id === to.port);
  if (!out) return { ok: false, reason: `${from.block.title} has no output "${from.port}"` };
  if (!inp) return { ok: false, reason: `${to.block.title} has no input "${to.port}"` };
  if (!isFormatCompatible(out.format, inp.format)) {
    return {
      ok: false,
      reason: `${inp.title} of ${to.block.title} needs ${describeFormat(inp.format)}, but ${out.title} of ${from.block.title} gives ${describeFormat(out.format)}`,
    };
  }
  return { ok: true, reason: null };
}

/** Finds the steps that take part in a cycle (empty when the graph is acyclic). */
function stepsInCycles(doc: PipelineDocument): string[] {
  const ids = doc.steps.map((s) => s.id);
  const next = new Map<string, string[]>(ids.map((id) => [id, []]));
  for (const c of doc.connections) if (next.has(c.from.step) && next.has(c.to.step)) next.get(c.from.step)!.push(c.to.step);
  // Kahn: whatever cannot be peeled off layer by layer lies on or behind a cycle.
  const indegree = new Map<string, number>(ids.map((id) => [id, 0]));
  for (const targets of next.values()) for (const t of targets) indegree.set(t, (indegree.get(t) ?? 0) + 1);
  const queue = ids.filter((id) => indegree.get(id) === 0);
  const removed = new Set<string>();
  while (queue.length) {
    const id = queue.shift()!;
    removed.add(id);
    for (const t of next.get(id) ?? []) {
      const d = (indegree.get(t) ?? 0) - 1;
      indegree.set(t, d);
      if (d === 0) queue.push(t);
    }
  }
  return ids.filter((id) => !removed.has(id));
}

/** Checks a pipeline against the catalog. Returns every problem; errors block compile and run. */
export function validatePipeline(doc: PipelineDocument, catalog: Pick<Catalog, 'blocks'>): Problem[] {
  const problems: Problem[] = [];
  const add = (code: ProblemCode, stepId: string | null, field: string | null, message: string, fix: string, severity: Problem['severity'] = 'error') =>
    problems.push({ code, severity, stepId, field, message, fix });

  if (doc.steps.length === 0) add(ProblemCode.EmptyPipeline, null, null, 'The pipeline has no steps', 'Add a block from the palette.');

  const steps = new Map<string, Step>();
  for (const step of doc.steps) {
    if (steps.has(step.id)) {
      add(ProblemCode.DuplicateStepId, step.id, null, `Two steps have the id "${step.id}"`, 'Give each step its own id (delete and re-add one of them).');
      continue;
    }
    steps.set(step.id, step);
  }

  const blocks = new Map<string, BlockDefinition>();
  for (const step of steps.values()) {
    const block = findBlock(catalog, step.type);
    if (!block) {
      add(ProblemCode.UnknownBlock, step.id, null, `Step "${stepName(step, undefined)}" uses the block "${step.type}", which this Fluxo does not have`, 'Remove the step, or install the Fluxo version that provides this block.');
      continue;
    }
    if (block.version !== step.version) {
      add(ProblemCode.UnknownBlockVersion, step.id, null, `Step "${stepName(step, block)}" was made with ${block.title} version ${step.version}; this Fluxo has version ${block.version}`, 'Replace the step with a new one from the palette and set its params again.');
      continue;
    }
    blocks.set(step.id, block);
    checkSweep(step, block, add);
    checkResources(step, block, add);
    const swept = new Set(step.sweep ? Object.keys(step.sweep.values) : []);
    // Each sweep point is its own set of values; a param counts as shown when some point shows it.
    const points = step.sweep && sweepSize(step.sweep) <= MAX_SWEEP_TASKS ? sweepPoints(step.sweep) : [];
    const variants = points.length ? points.map((p) => ({ ...step.params, ...p })) : [step.params];
    for (const def of block.params) {
      if (swept.has(def.id)) continue;
      if (!variants.some((v) => isParamVisible(def, effectiveParams(block, v)))) continue;
      const value = effectiveParamValue(def, step.params);
      const message = checkParamValue(def, value);
      if (!message) continue;
      const missing = value === undefined || value === '';
      add(missing ? ProblemCode.MissingParam : ProblemCode.InvalidParam, step.id, def.id, `${stepName(step, block)}: ${message}`, missing ? `Set "${def.title}" in the step's settings.` : `Change "${def.title}" in the step's settings.${def.help ? ` ${def.help}` : ''}`);
    }
    for (const key of Object.keys(step.params)) {
      if (!block.params.some((p) => p.id === key)) {
        add(ProblemCode.UnknownParam, step.id, key, `${stepName(step, block)}: "${key}" is not a setting of ${block.title}; it is ignored`, 'Remove it from the file, or ignore this warning.', 'warning');
      }
    }
  }

  const fedInputs = new Map<string, number>();
  doc.connections.forEach((c) => {
    const fromStep = steps.get(c.from.step);
    const toStep = steps.get(c.to.step);
    if (!fromStep || !toStep) {
      const missing = !fromStep ? c.from.step : c.to.step;
      add(ProblemCode.UnknownStep, toStep ? toStep.id : fromStep ? fromStep.id : null, null, `A connection refers to the step "${missing}", which does not exist`, 'Delete that connection.');
      return;
    }
    if (c.from.step === c.to.step) {
      add(ProblemCode.SelfConnection, c.to.step, `inputs.${c.to.port}`, `${stepName(toStep, blocks.get(toStep.id))} is connected to itself`, 'Delete that connection.');
      return;
    }
    const fromBlock = blocks.get(fromStep.id);
    const toBlock = blocks.get(toStep.id);
    if (!fromBlock || !toBlock) return; // already reported as an unknown block
    if (!fromBlock.outputs.some((p) => p.id === c.from.port)) {
      add(ProblemCode.UnknownPort, fromStep.id, `outputs.${c.from.port}`, `${stepName(fromStep, fromBlock)} has no output "${c.from.port}"`, 'Delete that connection and connect an existing output.');
      return;
    }
    if (!toBlock.inputs.some((p) => p.id === c.to.port)) {
      add(ProblemCode.UnknownPort, toStep.id, `inputs.${c.to.port}`, `${stepName(toStep, toBlock)} has no input "${c.to.port}"`, 'Delete that connection and connect an existing input.');
      return;
    }
    const key = `${c.to.step}\u0000${c.to.port}`;
    fedInputs.set(key, (fedInputs.get(key) ?? 0) + 1);
    // A `multiple` input collects several outputs (fan-in); any other input takes exactly one.
    if (fedInputs.get(key) === 2 && !toBlock.inputs.find((p) => p.id === c.to.port)!.multiple) {
      add(ProblemCode.InputConnectedTwice, toStep.id, `inputs.${c.to.port}`, `${stepName(toStep, toBlock)}: the input "${toBlock.inputs.find((p) => p.id === c.to.port)!.title}" has more than one connection`, 'Keep one connection into this input and delete the others.');
    }
    const check = checkConnection({ block: fromBlock, port: c.from.port }, { block: toBlock, port: c.to.port });
    if (!check.ok) add(ProblemCode.IncompatibleFormats, toStep.id, `inputs.${c.to.port}`, check.reason ?? 'incompatible formats', 'Connect an output that produces the format this input needs.');
  });

  for (const [id, block] of blocks) {
    const step = steps.get(id)!;
    for (const port of block.inputs) {
      if (port.required && !fedInputs.has(`${id}\u0000${port.id}`)) {
        add(ProblemCode.UnconnectedInput, id, `inputs.${port.id}`, `${stepName(step, block)} needs its input "${port.title}" (${describeFormat(port.format)})`, `Connect an output that gives ${describeFormat(port.format)} to "${port.title}".`);
      }
    }
  }

  const cyclic = stepsInCycles(doc);
  if (cyclic.length === 0) checkSweepConflicts(doc, catalog, steps, blocks, add);
  if (cyclic.length > 0) {
    const names = cyclic.map((id) => {
      const s = steps.get(id);
      return s ? stepName(s, blocks.get(id)) : id;
    });
    add(ProblemCode.Cycle, cyclic[0] ?? null, null, `These steps form a loop: ${names.join(' → ')}`, 'Delete one connection of the loop; a pipeline must flow in one direction.');
  }
  return problems;
}

type Add = (code: ProblemCode, stepId: string | null, field: string | null, message: string, fix: string, severity?: Problem['severity']) => void;

const show = (v: ParamValue) => JSON.stringify(v);

function checkSweep(step: Step, block: BlockDefinition, add: Add): void {
  if (!step.sweep) return;
  const name = stepName(step, block);
  const ids = sweepParams(step.sweep);
  if (ids.length === 0) {
    add(ProblemCode.SweepEmpty, step.id, null, `${name}: the sweep lists no settings to vary`, 'Give the sweep at least one setting with its values, or remove the sweep.');
    return;
  }
  for (const id of ids) {
    const values = step.sweep.values[id] ?? [];
    const def = block.params.find((p) => p.id === id);
    if (!def) {
      add(ProblemCode.SweepUnknownParam, step.id, id, `${name}: the sweep varies "${id}", which is not a setting of ${block.title}`, `Remove "${id}" from the sweep; ${block.title} has: ${block.params.map((p) => p.id).join(', ') || 'no settings'}.`);
      continue;
    }
    if (values.length === 0) {
      add(ProblemCode.SweepEmpty, step.id, id, `${name}: the sweep of "${def.title}" has no values`, `Give "${def.title}" at least one value in the sweep, or remove it from the sweep.`);
      continue;
    }
    const seen = new Set<string>();
    for (const v of values) {
      const message = checkParamValue(def, v);
      if (message) {
        add(ProblemCode.SweepInvalidValue, step.id, id, `${name}: the sweep value ${show(v)} does not fit: ${message}`, `Change or remove ${show(v)} in the sweep of "${def.title}".${def.help ? ` ${def.help}` : ''}`);
      }
      const key = show(v);
      if (seen.has(key)) add(ProblemCode.SweepInvalidValue, step.id, id, `${name}: the sweep of "${def.title}" lists ${key} twice, so the same task would run twice`, `Remove the second ${key} from the sweep of "${def.title}".`, 'warning');
      seen.add(key);
    }
  }
  const size = sweepSize(step.sweep);
  if (size > MAX_SWEEP_TASKS) {
    const sizes = ids.map((id) => step.sweep!.values[id]?.length ?? 0).join(' × ');
    add(ProblemCode.SweepTooLarge, step.id, null, `${name}: the sweep makes ${size} tasks (${sizes} values); at most ${MAX_SWEEP_TASKS} are allowed`, 'Use fewer values, or split the sweep over several steps.');
  }
}

/** Same bounds as the document schema, for documents built in code rather than parsed. */
const RESOURCE_LIMITS = {
  cpus: { min: 1, max: 1024, title: 'CPUs', unit: '' },
  memoryMb: { min: 64, max: 16 * 1024 * 1024, title: 'Memory', unit: ' MB' },
  timeMinutes: { min: 1, max: 60 * 24 * 366, title: 'Time', unit: ' minutes' },
  gpus: { min: 0, max: 64, title: 'GPUs', unit: '' },
} as const;

function checkResources(step: Step, block: BlockDefinition, add: Add): void {
  const name = stepName(step, block);
  const r = step.resources ?? {};
  for (const [key, limit] of Object.entries(RESOURCE_LIMITS) as Array<[keyof typeof RESOURCE_LIMITS, (typeof RESOURCE_LIMITS)[keyof typeof RESOURCE_LIMITS]]>) {
    const v = r[key];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < limit.min || v > limit.max) {
      add(ProblemCode.ResourceOutOfRange, step.id, `resources.${key}`, `${name}: ${limit.title} is ${show(v)}; it must be a whole number from ${limit.min} to ${limit.max}${limit.unit}`, `Change ${limit.title} in the step's resources, or clear it to use the block's default (${block.resources[key]}${limit.unit}).`);
    }
  }
  const gpus = r.gpus ?? block.resources.gpus;
  if (typeof gpus === 'number' && gpus < block.requires.gpus) {
    const reason = block.requires.reason ? ` (${block.requires.reason})` : '';
    add(ProblemCode.TooFewGpus, step.id, 'resources.gpus', `${name}: ${block.title} needs at least ${block.requires.gpus} GPU${block.requires.gpus === 1 ? '' : 's'}${reason}; this step asks for ${gpus}`, `Set GPUs to ${block.requires.gpus} or more in the step's resources.`);
  }
}

/** A step runs one grid of tasks: its own sweep, or one it inherits through single inputs, never two. */
function checkSweepConflicts(doc: PipelineDocument, catalog: Pick<Catalog, 'blocks'>, steps: Map<string, Step>, blocks: Map<string, BlockDefinition>, add: Add): void {
  const label = (id: string) => {
    const s = steps.get(id);
    return s ? stepName(s, blocks.get(id)) : id;
  };
  for (const [id, source] of sweepSources(doc, catalog)) {
    if (source.reaching.length < 2 || !blocks.has(id)) continue;
    const name = label(id);
    const inherited = source.reaching.filter((r) => r !== id);
    if (source.own) {
      add(ProblemCode.SweepConflict, id, null, `${name} has its own sweep and would also run once per task of the sweep of ${inherited.map(label).join(' and ')}`, `Remove the sweep from ${name}, or feed it through an input that collects every task (a fan-in input), or sweep ${inherited.map(label).join(' and ')} instead.`);
    } else {
      add(ProblemCode.SweepConflict, id, null, `${name} would run once per task of two different sweeps (${inherited.map(label).join(' and ')}); Fluxo cannot pair their tasks`, `Keep the sweep on only one of ${inherited.map(label).join(' and ')}, or collect one of them with a fan-in block before ${name}.`);
    }
  }
}

export function hasErrors(problems: readonly Problem[]): boolean {
  return problems.some((p) => p.severity === 'error');
}
