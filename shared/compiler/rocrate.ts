import type { ParamValue, PipelineDocument } from '../document';
import { DOCUMENT_VERSION } from '../document';
import type { BundleManifest, ManifestEnvironment, ManifestStep } from './types';

/**
 * ro-crate-metadata.json: a Workflow Run RO-Crate (RO-Crate 1.1; Process, Workflow and Provenance
 * Run Crate profiles 0.5, Workflow RO-Crate 1.0). Before a run it describes the plan: the pipeline
 * (pipeline.fluxo) as the main ComputationalWorkflow, each step as a HowToStep whose tool is the
 * block (SoftwareApplication with id and version, its params as FormalParameters realised by
 * PropertyValues, its software environment as requirements). After a run it adds a CreateAction
 * for the run and one per step (job ids, state, times, outputs), tied to the steps by ControlActions.
 * Deterministic: entities in a fixed order, keys sorted, no clock.
 */

/** What a finished (or running) run adds to the crate. */
export interface RoCrateRun {
  /** The run's id, unique among runs (becomes part of the actions' @id). */
  id: string;
  status: 'running' | 'completed' | 'failed' | 'cancelled';
  startedAt: string | null;
  endedAt: string | null;
  steps: Array<{
    id: string;
    state: 'waiting' | 'running' | 'completed' | 'failed' | 'cancelled' | 'skipped';
    /** Slurm job ids ("123", or "123_4" per array task); empty on "This computer". */
    jobIds: string[];
    exitCode: number | null;
    startedAt: string | null;
    endedAt: string | null;
    /** Output files that exist, relative to the run folder; default: the manifest's, for a completed step. */
    outputs?: string[];
  }>;
}

export interface RoCrateOptions {
  /**
   * Where the bundle is, relative to the crate's folder, ending with "/": "" when the crate sits in
   * the bundle (an export), "bundle/" when it sits in a run folder. Default: "" without a run,
   * "bundle/" with one (outputs live in the run folder, beside the bundle).
   */
  bundleDir?: string;
  /** The bundle's files (bundle-relative) to list as its parts; default: those the manifest names. */
  files?: string[];
}

export const RO_CRATE_CONTEXT = ['https://w3id.org/ro/crate/1.1/context', 'https://w3id.org/ro/terms/workflow-run/context'] as const;

const PROFILES = [
  { id: 'https://w3id.org/ro/wfrun/process/0.5', name: 'Process Run Crate', version: '0.5' },
  { id: 'https://w3id.org/ro/wfrun/workflow/0.5', name: 'Workflow Run Crate', version: '0.5' },
  { id: 'https://w3id.org/ro/wfrun/provenance/0.5', name: 'Provenance Run Crate', version: '0.5' },
  { id: 'https://w3id.org/workflowhub/workflow-ro-crate/1.0', name: 'Workflow RO-Crate', version: '1.0' },
] as const;

const PIPELINE_FILE = 'pipeline.fluxo';
const WR = 'https://w3id.org/ro/terms/workflow-run#';

type Json = string | number | boolean | null | Json[] | { [k: string]: Json };
type Entity = { '@id': string; '@type': string | string[] } & { [k: string]: Json };

const ref = (id: string): Json => ({ '@id': id });

/** '@id' and '@type' first, then the rest alphabetically: stable bytes, easy diffs. */
function ordered(e: Entity): Entity {
  const out: { [k: string]: Json } = { '@id': e['@id'], '@type': e['@type'] };
  for (const k of Object.keys(e).filter((k) => k !== '@id' && k !== '@type').sort()) {
    const v = e[k];
    if (v !== undefined && v !== null && !(Array.isArray(v) && v.length === 0)) out[k] = v;
  }
  return out as Entity;
}

/** A fragment id from parts that may hold any text: percent-encoded so it stays one valid IRI. */
function frag(...parts: string[]): string {
  return `#${parts.map((p) => encodeURIComponent(p)).join('/')}`;
}

/** A relative path as a data entity @id: each segment percent-encoded (spaces and all). */
function dataId(relPath: string): string {
  return relPath
    .split('/')
    .map((seg) => encodeURIComponent(seg))
    .join('/');
}

/** The schema.org data type that holds every value a param takes (a sweep may mix 1 and 0.5). */
function valueType(values: ParamValue[]): string {
  if (values.every((v) => typeof v === 'boolean')) return 'Boolean';
  if (values.every((v) => typeof v === 'number')) return values.every((v) => Number.isInteger(v)) ? 'Integer' : 'Float';
  return 'Text';
}

function valueText(v: ParamValue): string {
  return typeof v === 'boolean' ? (v ? 'true' : 'false') : String(v);
}

/** docker://REGISTRY/NAME:TAG (or @sha256:...) split as the workflow-run ContainerImage wants it. */
export function describeImage(image: string): Entity {
  if (!image.startsWith('docker://')) {
    return { '@id': frag('image', image), '@type': 'ContainerImage', additionalType: ref(`${WR}SIFImage`), name: image };
  }
  let rest = image.slice('docker://'.length);
  let sha256: string | null = null;
  const at = rest.indexOf('@sha256:');
  if (at >= 0) {
    sha256 = rest.slice(at + '@sha256:'.length);
    rest = rest.slice(0, at);
  }
  const slash = rest.indexOf('/');
  const first = slash >= 0 ? rest.slice(0, slash) : '';
  // Docker's rule: the first component is a registry when it looks like a host.
  const hasRegistry = slash >= 0 && (first.includes('.') || first.includes(':') || first === 'localhost');
  const registry = hasRegistry ? first : 'docker.io';
  let name = hasRegistry ? rest.slice(slash + 1) : rest;
  let tag: string | null = null;
  const colon = name.lastIndexOf(':');
  if (colon > name.lastIndexOf('/')) {
    tag = name.slice(colon + 1);
    name = name.slice(0, colon);
  }
  const e: Entity = { '@id': frag('image', image), '@type': 'ContainerImage', additionalType: ref(`${WR}DockerImage`), registry, name };
  if (tag) e.tag = tag;
  if (sha256) e.sha256 = sha256;
  return e;
}

/** The software a step's environment brings, as entities its tool lists under softwareRequirements. */
function environmentEntities(env: ManifestEnvironment): Entity[] {
  const out: Entity[] = [];
  for (const m of env.modules) out.push({ '@id': frag('module', m), '@type': 'SoftwareApplication', name: m, description: 'environment module (module load)' });
  if (env.image) out.push({ ...describeImage(env.image), description: `container image, run with ${env.runtime ?? 'apptainer'}${env.gpuFlag ? ` ${env.gpuFlag}` : ''}` });
  if (env.conda) out.push({ '@id': frag('conda', env.conda), '@type': 'SoftwareApplication', name: env.conda, description: 'conda environment' });
  for (const t of env.tools) out.push({ '@id': frag('tool', t), '@type': 'SoftwareApplication', name: t, description: 'command on PATH' });
  return out;
}

function toolId(s: ManifestStep): string {
  return frag('step', s.id, 'block');
}

/** A step's param values: one per param, or one per task for a param its own sweep varies. */
function stepValues(s: ManifestStep): Array<{ param: string; value: ParamValue; task: number | null }> {
  const out: Array<{ param: string; value: ParamValue; task: number | null }> = [];
  for (const [param, value] of Object.entries(s.params)) out.push({ param, value, task: null });
  if (s.tasks && s.tasks.sweepOf === s.id) {
    s.tasks.points.forEach((point, task) => {
      for (const [param, value] of Object.entries(point)) if (!(param in s.params)) out.push({ param, value, task });
    });
  }
  return out;
}

function actionStatus(state: RoCrateRun['steps'][number]['state'] | RoCrateRun['status']): Json {
  switch (state) {
    case 'completed':
      return ref('http://schema.org/CompletedActionStatus');
    case 'running':
      return ref('http://schema.org/ActiveActionStatus');
    case 'waiting':
      return ref('http://schema.org/PotentialActionStatus');
    default:
      return ref('http://schema.org/FailedActionStatus');
  }
}

function defaultFiles(manifest: BundleManifest): string[] {
  const entry = [manifest.entry.submit, manifest.entry.cancel, manifest.entry.run].filter((f): f is string => f !== null);
  return [PIPELINE_FILE, 'README.txt', 'manifest.json', ...entry, ...manifest.steps.map((s) => s.script)];
}

function encodingFormat(file: string): string | null {
  if (file.endsWith('.sh')) return 'text/x-shellscript';
  if (file.endsWith('.py')) return 'text/x-python';
  if (file.endsWith('.json')) return 'application/json';
  if (file.endsWith('.txt')) return 'text/plain';
  if (file.endsWith('.fluxo')) return 'application/json';
  if (file.endsWith('.html')) return 'text/html';
  if (file.endsWith('.csv')) return 'text/csv';
  if (file.endsWith('.png')) return 'image/png';
  return null;
}

/** ro-crate-metadata.json (Workflow Run RO-Crate) for a bundle, and after a run for the run. */
export function renderRoCrate(doc: PipelineDocument, manifest: BundleManifest, run: RoCrateRun | null = null, options: RoCrateOptions = {}): string {
  const base = options.bundleDir ?? (run ? 'bundle/' : '');
  const inBundle = (f: string) => dataId(`${base}${f}`);
  const entities = new Map<string, Entity>();
  const add = (e: Entity) => {
    if (!entities.has(e['@id'])) entities.set(e['@id'], ordered(e));
  };

  const files = [...new Set(options.files ?? defaultFiles(manifest))].filter((f) => f !== 'ro-crate-metadata.json').sort();
  if (!files.includes(PIPELINE_FILE)) files.unshift(PIPELINE_FILE);
  const workflowId = inBundle(PIPELINE_FILE);
  const runId = run ? frag('run', run.id) : null;
  const stepActionId = (stepId: string) => frag('run', run!.id, 'step', stepId);
  const ranSteps = run ? run.steps.filter((s) => s.state !== 'skipped' && s.state !== 'waiting' && manifest.steps.some((m) => m.id === s.id)) : [];

  // Outputs of the run, as data entities in the run folder.
  const outputsOf = new Map<string, string[]>();
  for (const rs of ranSteps) {
    const m = manifest.steps.find((x) => x.id === rs.id)!;
    outputsOf.set(rs.id, rs.outputs ?? (rs.state === 'completed' ? m.outputs.map((o) => o.path) : []));
  }
  for (const [k, v] of outputsOf) outputsOf.set(k, v.map(dataId));
  const outputFiles = [...new Set([...outputsOf.values()].flat())].sort();

  add({
    '@id': 'ro-crate-metadata.json',
    '@type': 'CreativeWork',
    about: ref('./'),
    conformsTo: [ref('https://w3id.org/ro/crate/1.1'), ref('https://w3id.org/workflowhub/workflow-ro-crate/1.0')],
  });
  const author = doc.metadata.author.trim();
  add({
    '@id': './',
    '@type': 'Dataset',
    name: doc.metadata.name,
    description: doc.metadata.description || `The pipeline "${doc.metadata.name}" compiled by Fluxo for ${manifest.target}.`,
    // The pipeline's own last change, not the clock: the same pipeline gives the same crate.
    datePublished: run?.endedAt ?? doc.metadata.updated,
    license: ref('#license'),
    conformsTo: PROFILES.map((p) => ref(p.id)),
    mainEntity: ref(workflowId),
    hasPart: [...files.map((f) => ref(inBundle(f))), ...outputFiles.map(ref)],
    mentions: run ? [ref(runId!), ref(frag('run', run.id, 'fluxo')), ...ranSteps.map((s) => ref(stepActionId(s.id)))] : [],
    author: author ? ref('#author') : null,
  });
  for (const p of PROFILES) add({ '@id': p.id, '@type': 'CreativeWork', name: p.name, version: p.version });
  add({
    '@id': '#license',
    '@type': 'CreativeWork',
    name: 'No license stated',
    description: "The pipeline's author has not stated a license for it. Ask them before reusing or sharing it.",
  });
  if (author) add({ '@id': '#author', '@type': 'Person', name: author });

  add({
    '@id': workflowId,
    '@type': ['File', 'SoftwareSourceCode', 'ComputationalWorkflow', 'HowTo'],
    name: doc.metadata.name,
    description: doc.metadata.description || null,
    encodingFormat: 'application/json',
    programmingLanguage: ref('#fluxo-pipeline'),
    dateModified: doc.metadata.updated,
    dateCreated: doc.metadata.created,
    creator: author ? ref('#author') : null,
    hasPart: manifest.steps.map((s) => ref(toolId(s))),
    step: manifest.steps.map((s) => ref(frag('step', s.id))),
  });
  add({
    '@id': '#fluxo-pipeline',
    '@type': 'ComputerLanguage',
    name: 'Fluxo pipeline',
    alternateName: 'Fluxo',
    version: String(DOCUMENT_VERSION),
    description: 'A .fluxo file: the steps of a pipeline (blocks and their params), the connections between them, resources and sweeps.',
  });

  for (const f of files) {
    if (f === PIPELINE_FILE) continue;
    const step = manifest.steps.find((s) => s.script === f);
    add({
      '@id': inBundle(f),
      '@type': f.endsWith('/') ? 'Dataset' : 'File',
      name: step ? `Script of step ${step.id}` : f,
      encodingFormat: f.endsWith('/') ? null : encodingFormat(f),
    });
  }

  manifest.steps.forEach((s, position) => {
    const tool = toolId(s);
    const values = stepValues(s);
    const params = [...new Set(values.map((v) => v.param))];
    const pvId = (v: { param: string; task: number | null }) => (v.task === null ? frag('step', s.id, 'value', v.param) : frag('step', s.id, 'task', String(v.task), 'value', v.param));
    const envEntities = environmentEntities(s.environment);
    const py = (manifest.python?.modules ?? []).filter((m) => m.usedBy.includes(s.id));

    add({
      '@id': frag('step', s.id),
      '@type': 'HowToStep',
      name: s.label,
      identifier: s.id,
      position,
      workExample: ref(tool),
    });
    add({
      '@id': tool,
      '@type': 'SoftwareApplication',
      name: s.block.title,
      identifier: s.block.id,
      softwareVersion: String(s.block.version),
      description: `Fluxo block ${s.block.id} version ${s.block.version} as step ${s.id}. Software: ${s.environment.description}.`,
      input: params.map((p) => ref(`${tool}/param/${encodeURIComponent(p)}`)),
      output: s.outputs.filter((o, i, all) => all.findIndex((x) => x.port === o.port) === i).map((o) => ref(`${tool}/output/${encodeURIComponent(o.port)}`)),
      softwareRequirements: [...envEntities.map((e) => ref(e['@id'])), ...py.map((m) => ref(frag('python', m.import)))],
    });
    for (const p of params) {
      const mine = values.filter((v) => v.param === p);
      const single = mine.length === 1 && mine[0]!.task === null ? mine[0]! : null;
      add({
        '@id': `${tool}/param/${encodeURIComponent(p)}`,
        '@type': 'FormalParameter',
        name: p,
        additionalType: valueType(mine.map((v) => v.value)),
        defaultValue: single ? valueText(single.value) : null,
        description: single ? null : `swept: ${mine.length} values, one per task of the job array`,
        workExample: mine.map((v) => ref(pvId(v))),
      });
      for (const v of mine) {
        add({
          '@id': pvId(v),
          '@type': 'PropertyValue',
          name: p,
          value: valueText(v.value),
          description: v.task === null ? null : `task ${v.task} of step ${s.id}`,
          exampleOfWork: ref(`${tool}/param/${encodeURIComponent(p)}`),
        });
      }
    }
    for (const o of s.outputs) {
      add({
        '@id': `${tool}/output/${encodeURIComponent(o.port)}`,
        '@type': 'FormalParameter',
        name: o.port,
        additionalType: 'File',
        encodingFormat: encodingFormat(o.path),
        description: `${o.format}, written to ${s.tasks ? o.path.replace(/\/task-\d+\//, '/task-N/') : o.path} in the run folder`,
      });
    }
    for (const e of envEntities) add(e);
    for (const m of py) add({ '@id': frag('python', m.import), '@type': 'SoftwareApplication', name: m.pip, identifier: m.import, description: `Python package (import ${m.import})` });
  });

  if (run) {
    const allValues = manifest.steps.flatMap((s) =>
      stepValues(s).map((v) => ref(v.task === null ? frag('step', s.id, 'value', v.param) : frag('step', s.id, 'task', String(v.task), 'value', v.param))),
    );
    add({
      '@id': runId!,
      '@type': 'CreateAction',
      name: `Run ${run.id} of "${doc.metadata.name}" on ${manifest.target}`,
      instrument: ref(workflowId),
      actionStatus: actionStatus(run.status),
      startTime: run.startedAt,
      endTime: run.endedAt,
      object: allValues,
      result: outputFiles.map(ref),
      error: run.status === 'cancelled' ? 'the run was cancelled' : null,
    });
    for (const rs of ranSteps) {
      const m = manifest.steps.find((x) => x.id === rs.id)!;
      const own = stepValues(m).map((v) => ref(v.task === null ? frag('step', m.id, 'value', v.param) : frag('step', m.id, 'task', String(v.task), 'value', v.param)));
      const upstream = m.dependsOn.flatMap((d) => outputsOf.get(d) ?? []).map(ref);
      add({
        '@id': stepActionId(rs.id),
        '@type': 'CreateAction',
        name: `Run of step ${rs.id} (${m.label})`,
        instrument: ref(toolId(m)),
        identifier: rs.jobIds.length === 0 ? null : rs.jobIds.length === 1 ? rs.jobIds[0]! : rs.jobIds,
        actionStatus: actionStatus(rs.state),
        startTime: rs.startedAt,
        endTime: rs.endedAt,
        object: [...own, ...upstream],
        result: (outputsOf.get(rs.id) ?? []).map(ref),
        containerImage: m.environment.image ? ref(describeImage(m.environment.image)['@id']) : null,
        error: rs.state === 'failed' ? `exited with code ${rs.exitCode ?? 'unknown'}` : rs.state === 'cancelled' ? 'cancelled' : null,
      });
      add({ '@id': frag('run', run.id, 'control', rs.id), '@type': 'ControlAction', name: `orchestrate step ${rs.id}`, instrument: ref(frag('step', rs.id)), object: ref(stepActionId(rs.id)) });
    }
    // Provenance Run Crate: the engine's own action ties the run to the step executions.
    add({
      '@id': frag('run', run.id, 'fluxo'),
      '@type': 'OrganizeAction',
      name: `Fluxo orchestrating run ${run.id}`,
      instrument: ref('#fluxo'),
      result: ref(runId!),
      object: ranSteps.map((s) => ref(frag('run', run.id, 'control', s.id))),
      startTime: run.startedAt,
      endTime: run.endedAt,
    });
    add({ '@id': '#fluxo', '@type': 'SoftwareApplication', name: 'Fluxo', description: 'Turns pipelines drawn on a canvas into scripts and runs them on this computer or on Slurm clusters.' });
    for (const f of outputFiles) add({ '@id': f, '@type': 'File', name: decodeURIComponent(f.split('/').pop()!), encodingFormat: encodingFormat(f) });
  }

  return `${JSON.stringify({ '@context': [...RO_CRATE_CONTEXT], '@graph': [...entities.values()] }, null, 2)}\n`;
}
