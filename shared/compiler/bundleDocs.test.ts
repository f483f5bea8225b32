import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { testCatalog } from '../../test/fixtures/catalog';
import { buildCatalog } from '../catalog';
import type { PipelineDocument } from '../document';
import { createEmptyDocument } from '../document';
import type { SlurmProfile, TargetProfile } from '../targets';
import { zTargetProfile } from '../targets';
import { compile } from './compile';
import { renderBundleReadme, runFolderName } from './readme';
import type { RoCrateRun } from './rocrate';
import { describeImage, renderRoCrate } from './rocrate';
import type { Bundle, CompileOptions } from './types';

/**
 * README.txt and ro-crate-metadata.json of real compiled bundles: the test catalog plus a GPU
 * container block and a modules block, compiled for a cluster profile (the lab's, given modules,
 * a container runtime and a transfer host) and for "This computer".
 */

const EXTRA_BLOCKS: Record<string, string> = {
  'gpu-train': `
id: gpu-train
version: 3
title: GPU train
category: train
description: Trains on a GPU in a container.
inputs:
  - { id: data, title: Data, format: table.csv }
params:
  - { id: epochs, type: integer, title: Epochs, default: 2, min: 1, max: 100 }
  - { id: lr, type: number, title: Learning rate, default: 0.001 }
outputs:
  - { id: model, title: Model, format: model.torch, path: model.pt }
resources: { cpus: 2, memoryMb: 4096, timeMinutes: 45, gpus: 1 }
software:
  environments:
    - { kind: container, image: "docker://nvcr.io/nvidia/pytorch:24.01-py3", vendor: nvidia }
command: ["python", "/opt/train.py", "--data", "{{inputs.data}}", "--epochs", "{{params.epochs}}", "--lr", "{{params.lr}}", "--out", "{{outputs.model}}"]
`,
  aligner: `
id: aligner
version: 1
title: Aligner
category: preprocess
description: Aligns with a site module.
inputs:
  - { id: data, title: Data, format: table.csv }
params:
  - { id: note, type: string, title: Note, default: "" , required: false }
outputs:
  - { id: out, title: Out, format: table.csv, path: aligned.csv }
software:
  environments:
    - { kind: modules, packages: [bwa] }
command: ["bwa", "index", "{{inputs.data}}", "{{params.note}}", "{{outputs.out}}"]
`,
};

const catalog = (() => {
  const extra = buildCatalog(Object.entries(EXTRA_BLOCKS).map(([folder, text]) => ({ folder, file: 'block.yaml', text, siblings: [] })));
  if (extra.problems.length) throw new Error(JSON.stringify(extra.problems));
  return { blocks: [...testCatalog().blocks, ...extra.blocks] };
})();

const LAB = parseYaml(readFileSync(path.resolve(__dirname, '../../resources/targets/lab.yaml'), 'utf8')) as Record<string, unknown>;
const cluster = zTargetProfile.parse({
  ...LAB,
  id: 'testhpc',
  title: 'Test HPC',
  login: { hosts: ['login1.hpc.example'], port: 2222, transferHost: 'xfer.hpc.example', note: 'Connect the VPN first.' },
  account: { required: true, example: 'proj001' },
  modules: { kind: 'lmod', base: ['base/2024'], packages: { bwa: ['bwa/0.7.17'] } },
  containers: { command: 'apptainer', module: 'apptainer/1.2', cacheDir: null },
  storage: { roots: [{ path: '$SCRATCH', title: 'Scratch' }], workRoot: '$SCRATCH/fluxo' },
  internet: { computeNodes: false },
}) as SlurmProfile;
const local: TargetProfile = { id: 'local', title: 'This computer', description: '', kind: 'local' };

function pipeline(): PipelineDocument {
  const doc = createEmptyDocument('Tumour study: GPU & modules\nsecond line', new Date('2026-02-03T04:05:06Z'));
  doc.metadata.description = 'Loads a table, aligns it, and trains a model on a GPU.';
  doc.metadata.author = 'Ada Lovelace';
  doc.steps.push(
    { id: 'src', type: 'source', version: 1, label: 'Make rows', params: { rows: 5, label: "it's $(rm -rf ~)" }, position: { x: 0, y: 0 } },
    { id: 'align', type: 'aligner', version: 1, label: '', params: {}, position: { x: 200, y: 0 } },
    {
      id: 'fit',
      type: 'gpu-train',
      version: 3,
      label: 'Fit on GPU',
      params: { epochs: 5 },
      sweep: { values: { lr: [0.1, 0.01, 0.001] }, maxParallel: 2 },
      position: { x: 400, y: 0 },
    },
  );
  doc.connections.push({ from: { step: 'src', port: 'table' }, to: { step: 'align', port: 'data' } }, { from: { step: 'align', port: 'out' }, to: { step: 'fit', port: 'data' } });
  return doc;
}

function localPipeline(): PipelineDocument {
  const doc = createEmptyDocument('Local only', new Date('2026-02-03T04:05:06Z'));
  doc.steps.push(
    { id: 'src', type: 'source', version: 1, label: '', params: {}, position: { x: 0, y: 0 } },
    { id: 'fit', type: 'train', version: 2, label: '', params: { rate: 0.5 }, position: { x: 200, y: 0 } },
  );
  doc.connections.push({ from: { step: 'src', port: 'table' }, to: { step: 'fit', port: 'data' } });
  return doc;
}

function build(doc: PipelineDocument, target: TargetProfile, options: CompileOptions = {}): Bundle {
  const r = compile(doc, catalog, target, options);
  if (!r.ok) throw new Error(JSON.stringify(r.problems, null, 2));
  return r.bundle;
}

describe('README.txt', () => {
  const doc = pipeline();
  const bundle = build(doc, cluster, { account: 'proj001', qos: 'normal' });
  const readme = renderBundleReadme(doc, bundle.manifest, cluster);

  it('says where to copy the bundle (work root, run folder, transfer host, login port) and how to run, watch and cancel it', () => {
    const run = `$SCRATCH/fluxo/${runFolderName(doc.metadata.name)}`;
    expect(runFolderName(doc.metadata.name)).toBe('tumour-study-gpu-modules-second-line');
    expect(readme).toContain(`go under $SCRATCH/fluxo`);
    expect(readme).toContain(`    ${run}\n`);
    expect(readme).toContain(`ssh -p 2222 USER@login1.hpc.example 'mkdir -p "${run}" && cd "${run}" && pwd'`);
    expect(readme).toContain("rsync -a -e 'ssh -p 2222' ./ USER@xfer.hpc.example:RUN/bundle/");
    expect(readme).toContain('scp -P 2222 -r . USER@xfer.hpc.example:RUN/bundle');
    expect(readme).toContain('Before connecting: Connect the VPN first.');
    expect(readme).toContain('cd RUN/bundle && bash submit.sh');
    expect(readme).toContain('cd RUN/bundle && bash cancel.sh');
    expect(readme).toMatch(/squeue -u \$USER .*fluxo-src/);
    expect(readme).not.toContain('run.sh');
  });

  it('lists what to prepare: account, QoS, modules, and each docker image to pull to the .sif the scripts look for', () => {
    expect(readme).toContain('Account: jobs are charged to account proj001 (-A proj001).');
    expect(readme).toContain('QoS: normal');
    expect(readme).toContain('Modules the scripts load: base/2024 bwa/0.7.17');
    expect(readme).toContain('Compute nodes have no internet');
    const fit = bundle.manifest.steps.find((s) => s.id === 'fit')!;
    expect(fit.environment.pulledImage).toBeTruthy();
    expect(readme).toContain('module load apptainer/1.2');
    expect(readme).toContain(`apptainer pull RUN/images/${fit.environment.pulledImage} docker://nvcr.io/nvidia/pytorch:24.01-py3`);
    // The container step brings its own Python; the source step needs the cluster's.
    expect(readme).toMatch(/json-stdlib .*used by src\n/);
  });

  it("names each step's outputs, log, exit marker and resources, and the estimate from the manifest", () => {
    for (const s of bundle.manifest.steps) {
      expect(readme).toContain(`${s.id}: `);
      expect(readme).toContain(s.marker.replace('{task}', 'N'));
      expect(readme).toContain(s.logs.out.replace('{task}', 'N'));
      for (const o of s.outputs) expect(readme).toContain(o.path.replace(/task-\d+/, 'task-N'));
    }
    expect(readme).toContain('steps/fit/task-N/model.pt');
    expect(readme).toMatch(/job array of 3 tasks \(at most 2 at once\)/);
    const e = bundle.manifest.estimate;
    expect(readme).toContain(`At most ${e.coreHours} core-hours and ${e.gpuHours} GPU-hours`);
    expect(readme).toContain(`${e.jobs} jobs, ${e.tasks} tasks`);
    expect(e.gpuHours).toBeGreaterThan(0);
  });

  it('keeps a hostile pipeline name on one line and has no date in it (compiling twice gives the same bytes)', () => {
    expect(readme.split('\n')[0]).toBe('Tumour study: GPU & modules second line: a pipeline bundle made by Fluxo');
    expect(readme).not.toMatch(/20\d\d-\d\d-\d\d/);
    expect(renderBundleReadme(pipeline(), build(pipeline(), cluster, { account: 'proj001', qos: 'normal' }).manifest, cluster)).toBe(readme);
    expect(bundle.files.find((f) => f.path === 'README.txt')?.content).toBe(readme);
  });

  it('says when the account is unknown instead of guessing', () => {
    const unsure = zTargetProfile.parse({ ...cluster, account: { required: 'unknown', example: '' } });
    const text = renderBundleReadme(doc, build(doc, unsure).manifest, unsure);
    expect(text).toMatch(/Account: none is set\. Whether Test HPC needs one is not known: if sbatch refuses the jobs,\s+export again with --account\./);
  });

  it('a bundle for this computer says bash run.sh, and nothing about clusters', () => {
    const d = localPipeline();
    const text = renderBundleReadme(d, build(d, local).manifest, local);
    expect(text).toContain('  bash run.sh\n');
    expect(text).toContain('logs/src.log');
    expect(text).toContain('steps/fit/model.joblib');
    expect(text).not.toMatch(/submit\.sh|squeue|ssh|rsync/);
  });
});

type Entity = Record<string, unknown> & { '@id': string; '@type': string | string[] };

function parseCrate(text: string): { graph: Entity[]; byId: Map<string, Entity> } {
  const json = JSON.parse(text) as { '@context': unknown; '@graph': Entity[] };
  expect(json['@context']).toEqual(['https://w3id.org/ro/crate/1.1/context', 'https://w3id.org/ro/terms/workflow-run/context']);
  return { graph: json['@graph'], byId: new Map(json['@graph'].map((e) => [e['@id'], e])) };
}

const types = (e: Entity | undefined) => (e ? (Array.isArray(e['@type']) ? e['@type'] : [e['@type']]) : []);
const refs = (v: unknown): string[] => {
  if (Array.isArray(v)) return v.flatMap(refs);
  if (v && typeof v === 'object' && '@id' in v) return [(v as { '@id': string })['@id']];
  return [];
};
const list = (v: unknown): unknown[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** The RO-Crate 1.1 rules that can be checked without fetching anything. Returns what is broken. */
function crateViolations(graph: Entity[]): string[] {
  const out: string[] = [];
  const byId = new Map<string, Entity>();
  for (const e of graph) {
    if (typeof e['@id'] !== 'string' || e['@type'] === undefined) out.push(`entity without @id or @type: ${JSON.stringify(e).slice(0, 80)}`);
    if (byId.has(e['@id'])) out.push(`duplicate @id ${e['@id']}`);
    byId.set(e['@id'], e);
    const keys = Object.keys(e);
    if (keys[0] !== '@id' || keys[1] !== '@type' || keys.slice(2).join() !== [...keys.slice(2)].sort().join()) out.push(`keys of ${e['@id']} are not in the fixed order`);
    // Data entities: relative URIs inside the crate, no absolute or parent paths.
    if (types(e).some((t) => t === 'File' || t === 'Dataset') && e['@id'] !== './') {
      if (/^(\/|\.\.\/|[a-z]+:)/i.test(e['@id']) || e['@id'].includes('/../') || /\s/.test(e['@id'])) out.push(`data entity ${e['@id']} is not a relative path in the crate`);
    }
  }
  const descriptor = byId.get('ro-crate-metadata.json');
  if (!descriptor || !types(descriptor).includes('CreativeWork')) out.push('no metadata descriptor');
  if (!refs(descriptor?.conformsTo).includes('https://w3id.org/ro/crate/1.1')) out.push('descriptor does not conform to RO-Crate 1.1');
  const rootId = refs(descriptor?.about)[0];
  const root = rootId ? byId.get(rootId) : undefined;
  if (rootId !== './' || !root || !types(root).includes('Dataset')) out.push('root data entity is not the Dataset ./');
  for (const p of ['name', 'description', 'datePublished', 'license']) if (root && !(p in root)) out.push(`root has no ${p}`);
  if (root && !/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?)?$/.test(String(root.datePublished))) out.push('datePublished is not ISO 8601');
  const license = byId.get(refs(root?.license)[0] ?? '');
  if (!license || !license.name || !license.description) out.push('license is not a contextual entity with a name and a description');

  // Every reference inside the crate resolves; absolute URIs may point outside it.
  for (const e of graph) {
    for (const [k, v] of Object.entries(e)) {
      if (k.startsWith('@')) continue;
      for (const id of refs(v)) if (!/^[a-z][a-z0-9+.-]*:/i.test(id) && !byId.has(id)) out.push(`${e['@id']}.${k} -> ${id} does not resolve`);
    }
  }
  // Connected: every entity can be reached from the descriptor by following references.
  const seen = new Set<string>(['ro-crate-metadata.json']);
  const queue = ['ro-crate-metadata.json'];
  while (queue.length) {
    const e = byId.get(queue.shift()!);
    for (const [k, v] of Object.entries(e ?? {})) {
      if (k.startsWith('@')) continue;
      for (const id of refs(v)) {
        if (!byId.has(id) || seen.has(id)) continue;
        seen.add(id);
        queue.push(id);
      }
    }
  }
  for (const e of graph) if (!seen.has(e['@id'])) out.push(`${e['@id']} is not reachable from the root`);
  return out;
}

describe('ro-crate-metadata.json (Workflow Run RO-Crate)', () => {
  const doc = pipeline();
  const bundle = build(doc, cluster, { account: 'proj001' });
  const crateText = renderRoCrate(doc, bundle.manifest, null, { files: [...bundle.files.map((f) => f.path), ...bundle.assets.map((a) => a.path), 'pipeline.fluxo'] });
  const { graph, byId } = parseCrate(crateText);

  it('passes the RO-Crate 1.1 checks: descriptor, root with required properties, every reference resolves, connected graph', () => {
    expect(crateViolations(graph)).toEqual([]);
    // The checker itself catches a dangling reference and an orphan.
    const broken = [...graph.map((e) => ({ ...e })), { '@id': '#orphan', '@type': 'Thing' }] as Entity[];
    (broken.find((e) => e['@id'] === './') as Entity).mainEntity = { '@id': 'missing.fluxo' };
    expect(crateViolations(broken)).toEqual(expect.arrayContaining(['./.mainEntity -> missing.fluxo does not resolve', '#orphan is not reachable from the root']));
  });

  it('declares the Workflow Run profiles, and the pipeline is the main ComputationalWorkflow in a known language', () => {
    const root = byId.get('./')!;
    expect(refs(root.conformsTo)).toEqual([
      'https://w3id.org/ro/wfrun/process/0.5',
      'https://w3id.org/ro/wfrun/workflow/0.5',
      'https://w3id.org/ro/wfrun/provenance/0.5',
      'https://w3id.org/workflowhub/workflow-ro-crate/1.0',
    ]);
    for (const id of refs(root.conformsTo)) expect(byId.get(id)).toMatchObject({ '@type': 'CreativeWork', version: expect.any(String) });
    expect(refs(byId.get('ro-crate-metadata.json')!.conformsTo)).toContain('https://w3id.org/workflowhub/workflow-ro-crate/1.0');
    const wf = byId.get(refs(root.mainEntity)[0]!)!;
    expect(wf['@id']).toBe('pipeline.fluxo');
    expect(types(wf)).toEqual(expect.arrayContaining(['File', 'SoftwareSourceCode', 'ComputationalWorkflow', 'HowTo']));
    expect(types(byId.get(refs(wf.programmingLanguage)[0]!))).toEqual(['ComputerLanguage']);
    expect(root.datePublished).toBe(doc.metadata.updated);
    expect(byId.get('#author')).toMatchObject({ '@type': 'Person', name: 'Ada Lovelace' });
    expect(refs(root.hasPart)).toEqual(expect.arrayContaining(['pipeline.fluxo', 'submit.sh', 'cancel.sh', 'manifest.json', 'README.txt', 'blocks/source/make.py', bundle.manifest.steps[0]!.script]));
  });

  it('each step is a HowToStep whose tool is its block (id, version), with its params as values and its software environment', () => {
    const wf = byId.get('pipeline.fluxo')!;
    const steps = refs(wf.step).map((id) => byId.get(id)!);
    expect(steps.map((s) => s.identifier)).toEqual(bundle.manifest.steps.map((s) => s.id));
    steps.forEach((s, i) => {
      expect(types(s)).toEqual(['HowToStep']);
      expect(s.position).toBe(i);
    });
    const toolOf = (stepId: string) => byId.get(refs(steps.find((s) => s.identifier === stepId)!.workExample)[0]!)!;
    expect(refs(wf.hasPart)).toEqual(steps.map((s) => refs(s.workExample)[0]));

    const src = toolOf('src');
    expect(src).toMatchObject({ '@type': 'SoftwareApplication', identifier: 'source', softwareVersion: '1', name: 'Source' });
    const values = (tool: Entity, param: string) => {
      const fp = byId.get(refs(tool.input).find((id) => byId.get(id)!.name === param)!)!;
      expect(fp['@type']).toBe('FormalParameter');
      return refs(fp.workExample).map((id) => byId.get(id)!);
    };
    expect(values(src, 'label').map((v) => v.value)).toEqual(["it's $(rm -rf ~)"]);
    expect(values(src, 'rows')[0]).toMatchObject({ '@type': 'PropertyValue', name: 'rows', value: '5' });
    expect(refs(values(src, 'rows')[0]!.exampleOfWork)).toEqual([refs(src.input).find((id) => id.endsWith('/rows'))]);

    // A swept param: one value per task of the job array, in task order.
    const fit = toolOf('fit');
    expect(fit).toMatchObject({ identifier: 'gpu-train', softwareVersion: '3' });
    expect(values(fit, 'lr').map((v) => v.value)).toEqual(['0.1', '0.01', '0.001']);
    expect(values(fit, 'epochs').map((v) => v.value)).toEqual(['5']);
    const typeOf = (tool: Entity, param: string) => byId.get(refs(tool.input).find((id) => byId.get(id)!.name === param)!)!.additionalType;
    expect([typeOf(fit, 'lr'), typeOf(fit, 'epochs'), typeOf(src, 'label')]).toEqual(['Float', 'Integer', 'Text']);

    // Software: the container image (registry, name, tag) and the modules.
    const fitReqs = refs(fit.softwareRequirements).map((id) => byId.get(id)!);
    expect(fitReqs.find((e) => e['@type'] === 'ContainerImage')).toMatchObject({ registry: 'nvcr.io', name: 'nvidia/pytorch', tag: '24.01-py3' });
    const alignReqs = refs(toolOf('align').softwareRequirements).map((id) => byId.get(id)!.name);
    expect(alignReqs).toEqual(['base/2024', 'bwa/0.7.17']);
    expect(refs(src.softwareRequirements).map((id) => byId.get(id)!.name)).toEqual(expect.arrayContaining(['python3', 'json-stdlib']));
  });

  it('the crate in the bundle is this one, byte for byte, and two renders are identical', () => {
    const inBundle = bundle.files.find((f) => f.path === 'ro-crate-metadata.json')!.content;
    expect(crateViolations(parseCrate(inBundle).graph)).toEqual([]);
    expect(renderRoCrate(pipeline(), build(pipeline(), cluster, { account: 'proj001' }).manifest, null, { files: [...bundle.files.map((f) => f.path), ...bundle.assets.map((a) => a.path), 'pipeline.fluxo'] })).toBe(crateText);
  });

  it('after a run: a CreateAction per step with job ids, state and times, one for the run, tied together by Control and Organize actions', () => {
    const run: RoCrateRun = {
      id: 'r-42',
      status: 'failed',
      startedAt: '2026-02-03T10:00:00Z',
      endedAt: '2026-02-03T11:00:00Z',
      steps: [
        { id: 'src', state: 'completed', jobIds: ['1001'], exitCode: 0, startedAt: '2026-02-03T10:00:05Z', endedAt: '2026-02-03T10:01:00Z' },
        { id: 'align', state: 'failed', jobIds: ['1002'], exitCode: 3, startedAt: '2026-02-03T10:01:05Z', endedAt: '2026-02-03T10:02:00Z' },
        { id: 'fit', state: 'skipped', jobIds: [], exitCode: null, startedAt: null, endedAt: null },
      ],
    };
    const { graph: g, byId: ids } = parseCrate(renderRoCrate(doc, bundle.manifest, run));
    expect(crateViolations(g)).toEqual([]);
    const root = ids.get('./')!;
    const actions = g.filter((e) => e['@type'] === 'CreateAction');
    expect(refs(root.mentions)).toEqual(expect.arrayContaining(actions.map((a) => a['@id'])));

    const wfRun = actions.find((a) => refs(a.instrument)[0] === 'bundle/pipeline.fluxo')!;
    expect(wfRun).toMatchObject({ actionStatus: { '@id': 'http://schema.org/FailedActionStatus' }, startTime: run.startedAt, endTime: run.endedAt });
    expect(root.datePublished).toBe(run.endedAt);

    const stepAction = (id: string) => actions.find((a) => a.name === `Run of step ${id} (${bundle.manifest.steps.find((s) => s.id === id)!.label})`);
    expect(stepAction('src')).toMatchObject({ identifier: '1001', actionStatus: { '@id': 'http://schema.org/CompletedActionStatus' }, startTime: '2026-02-03T10:00:05Z', endTime: '2026-02-03T10:01:00Z' });
    expect(refs(stepAction('src')!.result)).toEqual(['steps/src/table.csv']);
    expect(ids.get('steps/src/table.csv')).toMatchObject({ '@type': 'File', encodingFormat: 'text/csv' });
    expect(stepAction('align')).toMatchObject({ identifier: '1002', actionStatus: { '@id': 'http://schema.org/FailedActionStatus' }, error: 'exited with code 3' });
    // What align read: its own params and src's output.
    expect(refs(stepAction('align')!.object)).toContain('steps/src/table.csv');
    expect(stepAction('fit')).toBeUndefined();

    const control = g.filter((e) => e['@type'] === 'ControlAction');
    expect(control.map((c) => refs(c.instrument)[0])).toEqual(['#step/src', '#step/align']);
    expect(control.map((c) => ids.get(refs(c.object)[0]!)!['@type'])).toEqual(['CreateAction', 'CreateAction']);
    const organize = g.find((e) => e['@type'] === 'OrganizeAction')!;
    expect(refs(organize.result)).toEqual([wfRun['@id']]);
    // The bundle's files sit in bundle/ of the run folder, the outputs beside it.
    expect(refs(root.hasPart)).toEqual(expect.arrayContaining(['bundle/pipeline.fluxo', 'bundle/README.txt', 'steps/src/table.csv']));
  });

  it('an array step records every task job id', () => {
    const run: RoCrateRun = {
      id: 'r1',
      status: 'completed',
      startedAt: '2026-02-03T10:00:00Z',
      endedAt: '2026-02-03T12:00:00Z',
      steps: bundle.manifest.steps.map((s) => ({
        id: s.id,
        state: 'completed' as const,
        jobIds: s.tasks ? Array.from({ length: s.tasks.count }, (_, i) => `2000_${i}`) : ['1999'],
        exitCode: 0,
        startedAt: '2026-02-03T10:00:00Z',
        endedAt: '2026-02-03T11:00:00Z',
      })),
    };
    const { graph: g } = parseCrate(renderRoCrate(doc, bundle.manifest, run));
    expect(crateViolations(g)).toEqual([]);
    const fit = g.find((e) => e['@type'] === 'CreateAction' && refs(e.instrument)[0] === '#step/fit/block')!;
    expect(fit.identifier).toEqual(['2000_0', '2000_1', '2000_2']);
    expect(refs(fit.result)).toEqual(['steps/fit/task-0/model.pt', 'steps/fit/task-1/model.pt', 'steps/fit/task-2/model.pt']);
    expect(list(fit.containerImage)).toHaveLength(1);
  });
});

describe('describeImage', () => {
  it('splits docker:// URIs the way Docker does, and marks .sif files', () => {
    expect(describeImage('docker://python:3.11')).toMatchObject({ registry: 'docker.io', name: 'python', tag: '3.11' });
    expect(describeImage('docker://ghcr.io/org/tool')).toMatchObject({ registry: 'ghcr.io', name: 'org/tool' });
    expect(describeImage('docker://ghcr.io/org/tool').tag).toBeUndefined();
    expect(describeImage('docker://localhost:5000/x/y:1@sha256:abc')).toMatchObject({ registry: 'localhost:5000', name: 'x/y', tag: '1', sha256: 'abc' });
    expect(describeImage('docker://biocontainers/samtools:v1.9')).toMatchObject({ registry: 'docker.io', name: 'biocontainers/samtools', tag: 'v1.9' });
    expect(describeImage('/shared/images/monai.sif')).toMatchObject({ additionalType: { '@id': 'https://w3id.org/ro/terms/workflow-run#SIFImage' }, name: '/shared/images/monai.sif' });
  });
});
