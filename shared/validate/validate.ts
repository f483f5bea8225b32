import type { BlockDefinition, Catalog } from '../catalog';
import { checkParamValue, describeFormat, effectiveParamValue, effectiveParams, findBlock, isFormatCompatible, isParamVisible } from '../catalog';
import type { PipelineDocument, Step } from '../document';

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
    const values = effectiveParams(block, step.params);
    for (const def of block.params) {
      if (!isParamVisible(def, values)) continue;
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
    if (fedInputs.get(key) === 2) {
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
  if (cyclic.length > 0) {
    const names = cyclic.map((id) => {
      const s = steps.get(id);
      return s ? stepName(s, blocks.get(id)) : id;
    });
    add(ProblemCode.Cycle, cyclic[0] ?? null, null, `These steps form a loop: ${names.join(' → ')}`, 'Delete one connection of the loop; a pipeline must flow in one direction.');
  }
  return problems;
}

export function hasErrors(problems: readonly Problem[]): boolean {
  return problems.some((p) => p.severity === 'error');
}
