import type { BlockDefinition, Catalog } from '../catalog';
import { findBlock } from '../catalog';
import type { ParamValue, PipelineDocument, Sweep } from '../document';

/** Slurm's default MaxArraySize is 1001 (indexes 0-1000); a bigger grid is almost always a typo. */
export const MAX_SWEEP_TASKS = 1000;

/** Swept param ids in the order the grid is built: sorted, so reordering the file changes nothing. */
export function sweepParams(sweep: Sweep): string[] {
  return Object.keys(sweep.values).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** How many tasks the grid has, without building it (a typo can ask for 1000^4). */
export function sweepSize(sweep: Sweep): number {
  let n = 1;
  for (const id of sweepParams(sweep)) n *= sweep.values[id]?.length ?? 0;
  return sweepParams(sweep).length === 0 ? 0 : n;
}

/**
 * Every combination of the swept values, one per task. Params in sorted order, the last one
 * varying fastest (like nested loops), each list in the order the user wrote it: stable, so task i
 * means the same point on every compile.
 */
export function sweepPoints(sweep: Sweep): Array<Record<string, ParamValue>> {
  const ids = sweepParams(sweep);
  if (ids.length === 0) return [];
  let points: Array<Record<string, ParamValue>> = [{}];
  for (const id of ids) {
    const values = sweep.values[id] ?? [];
    points = points.flatMap((p) => values.map((v) => ({ ...p, [id]: v })));
  }
  return points;
}

/** Where a step's tasks come from. */
export interface SweepSource {
  /** The step whose sweep it runs: its own id, an upstream step's id, or null when it runs once. */
  sweepOf: string | null;
  /** Whether the sweep is the step's own. */
  own: boolean;
  /** Distinct sweeps that reach the step (own first, then inherited, in document order); more than one is a conflict. */
  reaching: string[];
}

/**
 * Which sweep each step runs. A step with its own sweep runs it; a step fed through a single
 * (not `multiple`) input by a step that runs as an array inherits that array's sweep, task i
 * reading task i. A `multiple` input collects every task instead and inherits nothing.
 * Tolerates cycles and unknown steps (the validator reports those separately).
 */
export function sweepSources(doc: PipelineDocument, catalog: Pick<Catalog, 'blocks'>): Map<string, SweepSource> {
  const steps = new Map(doc.steps.map((s) => [s.id, s]));
  const blocks = new Map<string, BlockDefinition | undefined>(doc.steps.map((s) => [s.id, findBlock(catalog, s.type)]));
  const result = new Map<string, SweepSource>();
  const visiting = new Set<string>();

  const visit = (id: string): SweepSource => {
    const done = result.get(id);
    if (done) return done;
    const none: SweepSource = { sweepOf: null, own: false, reaching: [] };
    const step = steps.get(id);
    if (!step || visiting.has(id)) return none;
    visiting.add(id);
    const reaching: string[] = [];
    if (step.sweep) reaching.push(id);
    const block = blocks.get(id);
    for (const c of doc.connections) {
      if (c.to.step !== id || c.from.step === id) continue;
      const port = block?.inputs.find((p) => p.id === c.to.port);
      if (!port || port.multiple) continue;
      const upstream = visit(c.from.step);
      for (const s of upstream.sweepOf === null ? [] : [upstream.sweepOf]) if (!reaching.includes(s)) reaching.push(s);
    }
    visiting.delete(id);
    // With a conflict (more than one) the first still names a sweep, so later checks can go on.
    const source: SweepSource = { sweepOf: reaching[0] ?? null, own: step.sweep !== undefined, reaching };
    result.set(id, source);
    return source;
  };
  for (const s of doc.steps) visit(s.id);
  return result;
}
