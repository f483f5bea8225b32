import type { BlockDefinition, Catalog } from '../catalog';
import { effectiveParamValue, findBlock } from '../catalog';
import type { ParamValue, PipelineDocument, Step } from '../document';
import type { TargetProfile } from '../targets';
import { sweepPoints, sweepSources } from '../validate';
import type { EnvironmentChoice } from './environment';
import { chooseEnvironment } from './environment';
import { resolveResources } from './resources';
import type { CompileOptions, ManifestDependency, ManifestTasks, StepResourcesResolved } from './types';

/** Where one connection into an input comes from. */
export interface InputSource {
  step: string;
  /** The upstream output's file name inside its (task) folder. */
  file: string;
  /** The upstream step's task count when it runs as an array, else null. */
  tasks: number | null;
}

/** Everything the compiler decides about one step before writing anything. */
export interface PlannedStep {
  step: Step;
  block: BlockDefinition;
  resources: StepResourcesResolved;
  /** The job array this step runs as, or null (see ManifestTasks). */
  tasks: ManifestTasks | null;
  /** The step's own sweep points (param id -> value), which reach its command; null when it has no sweep. */
  ownPoints: Array<Record<string, ParamValue>> | null;
  dependencies: ManifestDependency[];
  /** Input port id -> its connections in document order (empty when unconnected). */
  inputs: Map<string, InputSource[]>;
  environment: EnvironmentChoice;
  /** Params as the command gets them (defaults filled in); swept params are left out (see tasks.points). */
  params: Record<string, ParamValue>;
}

/** Empty strings mean "not given", so a blank settings field never becomes `--account=`. */
export function normalizeOptions(options: CompileOptions): { account: string | null; qos: string | null; reservation: string | null } {
  const norm = (v: string | null | undefined) => (v === undefined || v === null || v === '' ? null : v);
  return { account: norm(options.account), qos: norm(options.qos), reservation: norm(options.reservation) };
}

/**
 * Plans every step whose block is known, in `order` (unknown ids skipped). Tolerates pipelines the
 * validator refuses, so checkTarget can run on a pipeline being edited.
 */
export function planSteps(doc: PipelineDocument, catalog: Pick<Catalog, 'blocks'>, target: TargetProfile, options: CompileOptions, order: readonly string[]): PlannedStep[] {
  const opts = normalizeOptions(options);
  const byId = new Map(doc.steps.map((s) => [s.id, s]));
  const sources = sweepSources(doc, catalog);
  const position = new Map(order.map((id, i) => [id, i]));
  const planned = new Map<string, PlannedStep>();
  const ownPointsOf = (id: string) => {
    const s = byId.get(id);
    return s?.sweep ? sweepPoints(s.sweep) : null;
  };

  for (const id of order) {
    const step = byId.get(id);
    const block = step && findBlock(catalog, step.type);
    if (!step || !block) continue;
    const resources = resolveResources(step, block, target, opts.qos);

    const source = sources.get(id);
    let tasks: ManifestTasks | null = null;
    const ownPoints = ownPointsOf(id);
    if (source?.sweepOf) {
      const owner = byId.get(source.sweepOf);
      const points = source.own ? ownPoints! : (ownPointsOf(source.sweepOf) ?? []).map((p) => Object.fromEntries(Object.entries(p).map(([k, v]) => [`${source.sweepOf}.${k}`, v])));
      tasks = { count: points.length, maxParallel: owner?.sweep?.maxParallel ?? null, points, sweepOf: source.sweepOf };
    }

    const inputs = new Map<string, InputSource[]>(block.inputs.map((p) => [p.id, []]));
    const modes = new Map<string, ManifestDependency['mode']>();
    for (const c of doc.connections) {
      if (c.to.step !== id) continue;
      const port = block.inputs.find((p) => p.id === c.to.port);
      const up = planned.get(c.from.step);
      const out = up?.block.outputs.find((o) => o.id === c.from.port);
      if (!port || !up || !out) continue;
      inputs.get(port.id)!.push({ step: up.step.id, file: out.path, tasks: up.tasks?.count ?? null });
      // Task i of this step reads task i upstream only through a single input of an array it inherits.
      const mode: ManifestDependency['mode'] = !port.multiple && up.tasks && tasks && !source?.own && up.tasks.sweepOf === tasks.sweepOf ? 'each' : 'all';
      modes.set(up.step.id, modes.get(up.step.id) === 'all' ? 'all' : mode);
    }
    const dependencies = [...modes.entries()].sort((a, b) => (position.get(a[0]) ?? 0) - (position.get(b[0]) ?? 0)).map(([s, mode]) => ({ step: s, mode }));

    const swept = new Set(Object.keys(step.sweep?.values ?? {}));
    const params: Record<string, ParamValue> = {};
    for (const def of block.params) {
      if (swept.has(def.id)) continue;
      const v = effectiveParamValue(def, step.params);
      if (v !== undefined) params[def.id] = v;
    }
    planned.set(id, { step, block, resources, tasks, ownPoints, dependencies, inputs, environment: chooseEnvironment(block, target, resources.gpus), params });
  }
  return [...planned.values()];
}
