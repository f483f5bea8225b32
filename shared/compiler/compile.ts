import type { Catalog } from '../catalog';
import type { PipelineDocument } from '../document';
import type { TargetProfile } from '../targets';
import type { Problem } from '../validate';
import { hasErrors, validatePipeline } from '../validate';
import { checkTarget } from './check';
import type { PlannedStep } from './plan';
import { normalizeOptions, planSteps } from './plan';
import { QuoteError } from './quote';
import { renderBundleReadme } from './readme';
import { estimateResources } from './resources';
import { renderRoCrate } from './rocrate';
import { logPaths, markerPath, renderCancelScript, renderRunScript, renderStepScript, renderSubmitScript, scriptName, stepDir } from './script';
import type { Bundle, BundleAsset, BundleFile, BundleManifest, CompileOptions, CompileResult, ManifestOutput, ManifestStep, PythonRequirement } from './types';
import { BUNDLE_FORMAT, BUNDLE_VERSION, PYTHON_RUNTIME, SLURM_RUN_FILES } from './types';

/** A stable topological order. Among ready steps, document order wins, so output is deterministic. */
export function orderSteps(doc: PipelineDocument): string[] {
  const ids = doc.steps.map((s) => s.id);
  const deps = new Map<string, Set<string>>(ids.map((id) => [id, new Set()]));
  for (const c of doc.connections) deps.get(c.to.step)?.add(c.from.step);
  const done = new Set<string>();
  const order: string[] = [];
  while (order.length < ids.length) {
    const next = ids.find((id) => !done.has(id) && [...(deps.get(id) ?? [])].every((d) => done.has(d)));
    // validatePipeline has already refused cycles; this guards direct callers.
    if (next === undefined) throw new Error('the pipeline has a cycle');
    done.add(next);
    order.push(next);
  }
  return order;
}

function pythonRequirements(planned: PlannedStep[]): BundleManifest['python'] {
  const modules = new Map<string, PythonRequirement>();
  let minVersion: string | null = null;
  for (const p of planned) {
    const py = p.block.software.python;
    if (!py) continue;
    if (minVersion === null || Number(py.minVersion.split('.')[1]) > Number(minVersion.split('.')[1])) minVersion = py.minVersion;
    for (const m of py.modules) {
      const entry = modules.get(m.import) ?? { ...m, usedBy: [] };
      entry.usedBy.push(p.step.id);
      modules.set(m.import, entry);
    }
  }
  if (minVersion === null) return null;
  const sorted = [...modules.values()].sort((a, b) => (a.import < b.import ? -1 : a.import > b.import ? 1 : 0));
  return { minVersion, modules: sorted };
}

function manifestStep(p: PlannedStep, index: number, total: number, target: TargetProfile): ManifestStep {
  const id = p.step.id;
  const slurm = target.kind === 'slurm';
  const taskCount = p.tasks?.count ?? null;
  const outputs: ManifestOutput[] = [];
  for (const o of p.block.outputs) {
    if (taskCount === null) outputs.push({ port: o.id, format: o.format, path: `${stepDir(id)}/${o.path}`, task: null });
    else for (let t = 0; t < taskCount; t++) outputs.push({ port: o.id, format: o.format, path: `${stepDir(id)}/task-${t}/${o.path}`, task: t });
  }
  if (!p.environment.ok) throw new Error(`no environment for ${id}`);
  return {
    id,
    label: p.step.label || p.block.title,
    block: { id: p.block.id, version: p.block.version, title: p.block.title },
    script: scriptName(index, id, total),
    dependsOn: p.dependencies.map((d) => d.step),
    dependencies: p.dependencies,
    outputs,
    resources: p.resources,
    tasks: p.tasks,
    environment: p.environment.environment,
    params: p.params,
    marker: markerPath(id, p.tasks !== null),
    logs: logPaths(id, p.tasks !== null, slurm),
    jobName: slurm ? `fluxo-${id}` : null,
  };
}

/**
 * Compiles a pipeline into a bundle for a target: validate -> check against the target -> order ->
 * plan (resources, environment, tasks, inputs) -> render scripts -> manifest.
 * Pure and deterministic: the same inputs give byte-identical files (no dates, no absolute paths).
 */
export function compile(doc: PipelineDocument, catalog: Pick<Catalog, 'blocks'>, target: TargetProfile, options: CompileOptions = {}): CompileResult {
  const problems = validatePipeline(doc, catalog);
  if (hasErrors(problems)) return { ok: false, problems };
  const targetProblems = checkTarget(doc, catalog, target, options);
  if (hasErrors(targetProblems)) return { ok: false, problems: [...problems, ...targetProblems] };
  const warnings: Problem[] = [...problems, ...targetProblems];

  const order = orderSteps(doc);
  const planned = planSteps(doc, catalog, target, options, order);
  const slurm = target.kind === 'slurm';
  const opts = normalizeOptions(options);
  const steps = planned.map((p, i) => manifestStep(p, i, planned.length, target));
  const manifest: BundleManifest = {
    format: BUNDLE_FORMAT,
    version: BUNDLE_VERSION,
    pipeline: { name: doc.metadata.name },
    target: target.id,
    targetKind: target.kind,
    account: slurm ? opts.account : null,
    qos: slurm ? opts.qos : null,
    reservation: slurm ? opts.reservation : null,
    estimate: estimateResources(steps),
    entry: slurm ? { run: null, submit: 'submit.sh', cancel: 'cancel.sh' } : { run: 'run.sh', submit: null, cancel: null },
    slurm: slurm ? { ...SLURM_RUN_FILES } : null,
    order,
    steps,
    python: pythonRequirements(planned),
  };

  const files: BundleFile[] = [];
  try {
    planned.forEach((p, i) => {
      const content = renderStepScript({ doc, target, plan: p, manifest: steps[i]!, account: manifest.account, reservation: manifest.reservation });
      files.push({ path: steps[i]!.script, content, executable: true });
    });
  } catch (e) {
    if (!(e instanceof QuoteError)) throw e;
    return {
      ok: false,
      problems: [{ code: 'V008', severity: 'error', stepId: null, field: null, message: e.message, fix: 'Remove the NUL character from the value.' }],
    };
  }
  if (target.kind === 'slurm') {
    files.push({ path: 'submit.sh', content: renderSubmitScript(doc, manifest, target), executable: true });
    files.push({ path: 'cancel.sh', content: renderCancelScript(doc), executable: true });
  } else {
    files.push({ path: 'run.sh', content: renderRunScript(doc, manifest), executable: true });
  }
  files.push({ path: 'manifest.json', content: `${JSON.stringify(manifest, null, 2)}\n`, executable: false });
  files.push({ path: 'README.txt', content: renderBundleReadme(doc, manifest, target), executable: false });
  files.push({ path: 'ro-crate-metadata.json', content: renderRoCrate(doc, manifest, null), executable: false });
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));

  const seen = new Set<string>();
  const assets: BundleAsset[] = [];
  for (const p of planned) {
    if (seen.has(p.block.id)) continue;
    seen.add(p.block.id);
    for (const file of p.block.files) assets.push({ from: `blocks/${p.block.id}/${file}`, path: `blocks/${p.block.id}/${file}` });
  }
  if (manifest.python) {
    for (const file of PYTHON_RUNTIME.files) assets.push({ from: `${PYTHON_RUNTIME.from}/${file}`, path: `${PYTHON_RUNTIME.to}/${file}` });
  }
  const bundle: Bundle = { manifest, files, assets };
  return { ok: true, bundle, warnings };
}
