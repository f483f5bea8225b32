import type { BlockDefinition, Catalog } from '../catalog';
import { findBlock, parseTemplateArg } from '../catalog';
import type { ParamValue, PipelineDocument, Step } from '../document';
import type { TargetProfile } from '../targets';
import type { Problem } from '../validate';
import { hasErrors, validatePipeline } from '../validate';
import { commentText, QuoteError, renderWord } from './quote';
import type { WordPart } from './quote';
import type { Bundle, BundleAsset, BundleFile, BundleManifest, CompileResult, ManifestStep, PythonRequirement } from './types';
import { BUNDLE_FORMAT, BUNDLE_VERSION, ENV, PYTHON_RUNTIME } from './types';

/** Pass 2: a stable topological order. Among ready steps, document order wins, so output is deterministic. */
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

function stepDir(stepId: string): string {
  return `steps/${stepId}`;
}

function paramText(value: ParamValue): string {
  return typeof value === 'boolean' ? (value ? 'true' : 'false') : String(value);
}

interface Resolved {
  step: Step;
  block: BlockDefinition;
  /** input port id -> path relative to the run folder, or null when an optional input is unconnected. */
  inputs: Map<string, string | null>;
  dependsOn: string[];
}

/** Pass 3: where every input comes from and every output goes, relative to the run folder. */
function resolve(doc: PipelineDocument, catalog: Pick<Catalog, 'blocks'>, order: string[]): Resolved[] {
  const byId = new Map(doc.steps.map((s) => [s.id, s]));
  return order.map((id) => {
    const step = byId.get(id)!;
    const block = findBlock(catalog, step.type)!;
    const inputs = new Map<string, string | null>();
    const dependsOn = new Set<string>();
    for (const port of block.inputs) {
      const conn = doc.connections.find((c) => c.to.step === id && c.to.port === port.id);
      if (!conn) {
        inputs.set(port.id, null);
        continue;
      }
      const upstream = findBlock(catalog, byId.get(conn.from.step)!.type)!;
      const out = upstream.outputs.find((o) => o.id === conn.from.port)!;
      inputs.set(port.id, `${stepDir(conn.from.step)}/${out.path}`);
      dependsOn.add(conn.from.step);
    }
    return { step, block, inputs, dependsOn: order.filter((o) => dependsOn.has(o)) };
  });
}

/** Expands one argv template element into a shell word. */
function renderArg(arg: string, r: Resolved): string {
  const parsed = parseTemplateArg(arg);
  // The catalog refuses malformed templates; this guards hand-built catalogs.
  if (!parsed.ok) throw new Error(`${r.block.id}: ${parsed.message}`);
  const parts: WordPart[] = [];
  const runPath = (rel: string) => parts.push({ kind: 'var', name: ENV.run }, { kind: 'text', text: `/${rel}` });
  for (const p of parsed.parts) {
    switch (p.kind) {
      case 'text':
        parts.push(p);
        break;
      case 'python':
        parts.push({ kind: 'var', name: ENV.python });
        break;
      case 'block':
        parts.push({ kind: 'var', name: ENV.bundle }, { kind: 'text', text: `/blocks/${r.block.id}` });
        break;
      case 'outdir':
        runPath(stepDir(r.step.id));
        break;
      case 'param': {
        const def = r.block.params.find((d) => d.id === p.id)!;
        const value = Object.prototype.hasOwnProperty.call(r.step.params, p.id) ? r.step.params[p.id] : def.default;
        parts.push({ kind: 'value', value: value === undefined ? '' : paramText(value) });
        break;
      }
      case 'input': {
        const path = r.inputs.get(p.id);
        if (path) runPath(path);
        else parts.push({ kind: 'value', value: '' });
        break;
      }
      case 'output':
        runPath(`${stepDir(r.step.id)}/${r.block.outputs.find((o) => o.id === p.id)!.path}`);
        break;
    }
  }
  return renderWord(parts);
}

const PRELUDE = [
  '# Locations: the bundle holds these scripts, the run folder holds every output.',
  `${ENV.bundle}="\${${ENV.bundle}:-$(cd "$(dirname "\${BASH_SOURCE[0]}")/.." && pwd)}"`,
  `${ENV.run}="\${${ENV.run}:-$(dirname "$${ENV.bundle}")}"`,
  `${ENV.python}="\${${ENV.python}:-python3}"`,
];

function scriptName(index: number, stepId: string): string {
  return `steps/${String(index + 1).padStart(2, '0')}-${stepId}.sh`;
}

/** Pass 4: one readable script per step. */
function renderStepScript(doc: PipelineDocument, r: Resolved, target: TargetProfile): string {
  const label = r.step.label || r.block.title;
  const argv = r.block.command.map((a) => renderArg(a, r));
  // A flag and its value share a line, so the command reads like its --help.
  const argLines: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const flag = r.block.command[i]!;
    const next = r.block.command[i + 1];
    if (flag.startsWith('-') && !flag.includes('=') && next !== undefined && !next.startsWith('-')) {
      argLines.push(`${argv[i]} ${argv[i + 1]}`);
      i++;
    } else argLines.push(argv[i]!);
  }
  const lines = [
    '#!/usr/bin/env bash',
    '# Generated by Fluxo. Edit the pipeline in Fluxo rather than this file.',
    `# Pipeline: ${commentText(doc.metadata.name)}`,
    `# Step:     ${r.step.id} (${commentText(label)})`,
    `# Block:    ${r.block.id} v${r.block.version}, ${commentText(r.block.title)}`,
    `# Target:   ${target.id} (${commentText(target.title)})`,
    r.dependsOn.length ? `# Needs:    ${r.dependsOn.join(', ')}` : '# Needs:    nothing (first step)',
    'set -euo pipefail',
    '',
    ...PRELUDE,
    '',
    '# Every output of this step goes into its own folder of the run.',
    `mkdir -p "\${${ENV.run}}/${stepDir(r.step.id)}"`,
    `cd "\${${ENV.run}}/${stepDir(r.step.id)}"`,
    '',
    ...(r.block.software.python
      ? [
          "# Fluxo's helpers for Python blocks come first on the module path; the bundle stays as shipped.",
          `export PYTHONPATH="\${${ENV.bundle}}/${PYTHON_RUNTIME.to}\${PYTHONPATH:+:\${PYTHONPATH}}"`,
          'export PYTHONDONTWRITEBYTECODE=1',
          '',
        ]
      : []),
    `# The block's command.`,
    argLines.map((a, i) => (i === 0 ? a : `  ${a}`)).join(' \\\n'),
    '',
  ];
  return lines.join('\n');
}

/** The entry script: runs the steps one after another in dependency order, each with its log. */
function renderEntryScript(doc: PipelineDocument, manifest: BundleManifest): string {
  const lines = [
    '#!/usr/bin/env bash',
    '# Generated by Fluxo. Runs every step of this pipeline in dependency order, one at a time.',
    `# Pipeline: ${commentText(doc.metadata.name)}`,
    '# Usage:    bash run.sh   (outputs go to the folder above this bundle, or to $FLUXO_RUN)',
    'set -euo pipefail',
    '',
    `${ENV.bundle}="\${${ENV.bundle}:-$(cd "$(dirname "\${BASH_SOURCE[0]}")" && pwd)}"`,
    `${ENV.run}="\${${ENV.run}:-$(dirname "$${ENV.bundle}")}"`,
    `${ENV.python}="\${${ENV.python}:-python3}"`,
    `export ${ENV.bundle} ${ENV.run} ${ENV.python}`,
    `mkdir -p "\${${ENV.run}}/logs"`,
    '',
    'run_step() {',
    '  echo "==> $1"',
    `  if ! bash "\${${ENV.bundle}}/$2" >"\${${ENV.run}}/logs/$1.log" 2>&1; then`,
    `    echo "Step $1 failed; its log is \${${ENV.run}}/logs/$1.log" >&2`,
    '    exit 1',
    '  fi',
    '}',
    '',
    ...manifest.steps.map((s) => `run_step ${s.id} ${s.script}`),
    '',
    'echo "All steps completed."',
    '',
  ];
  return lines.join('\n');
}

function pythonRequirements(resolved: Resolved[]): BundleManifest['python'] {
  const modules = new Map<string, PythonRequirement>();
  let minVersion: string | null = null;
  for (const r of resolved) {
    const py = r.block.software.python;
    if (!py) continue;
    if (minVersion === null || Number(py.minVersion.split('.')[1]) > Number(minVersion.split('.')[1])) minVersion = py.minVersion;
    for (const m of py.modules) {
      const entry = modules.get(m.import) ?? { ...m, usedBy: [] };
      entry.usedBy.push(r.step.id);
      modules.set(m.import, entry);
    }
  }
  if (minVersion === null) return null;
  const sorted = [...modules.values()].sort((a, b) => (a.import < b.import ? -1 : a.import > b.import ? 1 : 0));
  return { minVersion, modules: sorted };
}

/**
 * Compiles a pipeline into a bundle: validate -> order -> resolve paths -> render scripts -> plan.
 * Pure and deterministic: the same inputs give byte-identical files.
 */
export function compile(doc: PipelineDocument, catalog: Pick<Catalog, 'blocks'>, target: TargetProfile): CompileResult {
  const problems = validatePipeline(doc, catalog);
  if (hasErrors(problems)) return { ok: false, problems };
  const warnings: Problem[] = problems;
  const order = orderSteps(doc);
  const resolved = resolve(doc, catalog, order);

  const steps: ManifestStep[] = resolved.map((r, i) => ({
    id: r.step.id,
    label: r.step.label || r.block.title,
    block: { id: r.block.id, version: r.block.version, title: r.block.title },
    script: scriptName(i, r.step.id),
    dependsOn: r.dependsOn,
    outputs: r.block.outputs.map((o) => ({ port: o.id, format: o.format, path: `${stepDir(r.step.id)}/${o.path}` })),
    resources: r.block.resources,
  }));
  const manifest: BundleManifest = {
    format: BUNDLE_FORMAT,
    version: BUNDLE_VERSION,
    pipeline: { name: doc.metadata.name },
    target: target.id,
    order,
    steps,
    python: pythonRequirements(resolved),
  };

  const files: BundleFile[] = [];
  try {
    resolved.forEach((r, i) => files.push({ path: scriptName(i, r.step.id), content: renderStepScript(doc, r, target), executable: true }));
  } catch (e) {
    if (!(e instanceof QuoteError)) throw e;
    return {
      ok: false,
      problems: [{ code: 'V008', severity: 'error', stepId: null, field: null, message: e.message, fix: 'Remove the NUL character from the value.' }],
    };
  }
  files.push({ path: 'run.sh', content: renderEntryScript(doc, manifest), executable: true });
  files.push({ path: 'manifest.json', content: `${JSON.stringify(manifest, null, 2)}\n`, executable: false });
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));

  const seen = new Set<string>();
  const assets: BundleAsset[] = [];
  for (const r of resolved) {
    if (seen.has(r.block.id)) continue;
    seen.add(r.block.id);
    for (const file of r.block.files) assets.push({ from: `blocks/${r.block.id}/${file}`, path: `blocks/${r.block.id}/${file}` });
  }
  if (manifest.python) {
    for (const file of PYTHON_RUNTIME.files) assets.push({ from: `${PYTHON_RUNTIME.from}/${file}`, path: `${PYTHON_RUNTIME.to}/${file}` });
  }
  const bundle: Bundle = { manifest, files, assets };
  return { ok: true, bundle, warnings };
}
