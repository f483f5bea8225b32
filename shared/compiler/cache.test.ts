// @vitest-environment node
/**
 * Resume and cache (issue 4, part 7), the compiler's half: cache keys that change exactly when a
 * step's outputs could, and a submit.sh that submits nothing for the steps the runner took from
 * an earlier run (listed in .fluxo-cached) while the rest still wait for what really runs.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { gpuSweepPipeline, shippedProfile, TEST_BLOCKS } from '../../test/fixtures/catalog';
import type { Catalog } from '../catalog';
import { buildCatalog } from '../catalog';
import type { PipelineDocument } from '../document';
import { createEmptyDocument } from '../document';
import type { SlurmProfile } from '../targets';
import { canonicalJson, stepCacheKeys, stepCacheMaterial } from './cache';
import { compile } from './compile';
import type { Bundle } from './types';
import { SLURM_RUN_FILES } from './types';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const lab = shippedProfile('lab') as SlurmProfile;

/** A block reading a file of the user's (a path param), which the test catalog lacks. */
const LOAD = `
id: load
version: 1
title: Load
category: data
description: Reads a table of the user's.
params:
  - { id: file, type: path, title: File, kind: file }
  - { id: sep, type: string, title: Separator, default: "," }
outputs:
  - { id: table, title: Table, format: table.csv, path: table.csv }
files: [load.py]
command: ["{{python}}", "{{block}}/load.py", "{{params.file}}", "--sep", "{{params.sep}}", "--out", "{{outputs.table}}"]
software:
  python:
    modules: []
`;

function catalogWith(overrides: Record<string, string> = {}): Catalog {
  const blocks = { ...TEST_BLOCKS, load: LOAD, ...overrides };
  const siblings = (text: string) => [...text.matchAll(/^files: \[(.*)\]$/gm)].flatMap((m) => m[1]!.split(',').map((f) => f.trim()));
  const catalog = buildCatalog(Object.entries(blocks).map(([folder, text]) => ({ folder, file: 'block.yaml', text, siblings: siblings(text) })));
  if (catalog.problems.length) throw new Error(JSON.stringify(catalog.problems));
  return catalog;
}

const DATA = '/home/ana/data/patients.csv';
const DIGESTS = { [DATA]: 'a'.repeat(64) };

/** load -> fit -> rep, and src -> rep's optional input: two independent branches meeting at rep. */
function pipeline(): PipelineDocument {
  const doc = createEmptyDocument('Cache test', new Date('2026-01-01T00:00:00Z'));
  doc.steps.push(
    { id: 'load', type: 'load', version: 1, label: 'Patients', params: { file: DATA }, position: { x: 0, y: 0 } },
    { id: 'src', type: 'source', version: 1, label: '', params: { rows: 5 }, position: { x: 0, y: 200 } },
    { id: 'fit', type: 'train', version: 2, label: '', params: { model: 'rf', trees: 50, rate: 0.25, verbose: true }, position: { x: 300, y: 0 } },
    { id: 'rep', type: 'report', version: 1, label: 'Final report', params: { title: 'Results' }, position: { x: 600, y: 0 } },
  );
  doc.connections.push(
    { from: { step: 'load', port: 'table' }, to: { step: 'fit', port: 'data' } },
    { from: { step: 'fit', port: 'model' }, to: { step: 'rep', port: 'model' } },
    { from: { step: 'src', port: 'table' }, to: { step: 'rep', port: 'extra' } },
  );
  return doc;
}

function keysOf(doc: PipelineDocument, options: { catalog?: Catalog; digests?: Record<string, string> } = {}): Record<string, string> {
  const catalog = options.catalog ?? catalogWith();
  const r = compile(doc, catalog, lab, { account: 'fluxo_test' });
  if (!r.ok) throw new Error(JSON.stringify(r.problems, null, 2));
  return stepCacheKeys(doc, catalog, r.bundle.manifest, options.digests ?? DIGESTS, sha256);
}

/** The steps whose key differs between two key sets, sorted. */
function changed(a: Record<string, string>, b: Record<string, string>): string[] {
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((id) => a[id] !== b[id]).sort();
}

describe('step cache keys', () => {
  const base = keysOf(pipeline());

  it('gives every step a key, the same one on every compile', () => {
    expect(Object.keys(base).sort()).toEqual(['fit', 'load', 'rep', 'src']);
    for (const key of Object.values(base)) expect(key).toMatch(/^[0-9a-f]{64}$/);
    expect(new Set(Object.values(base)).size).toBe(4);
    expect(keysOf(pipeline())).toEqual(base);
  });

  it('a changed param changes that step and everything downstream, nothing upstream or beside it', () => {
    const doc = pipeline();
    doc.steps.find((s) => s.id === 'fit')!.params.trees = 51;
    expect(changed(base, keysOf(doc))).toEqual(['fit', 'rep']);
    const src = pipeline();
    src.steps.find((s) => s.id === 'src')!.params.rows = 6;
    expect(changed(base, keysOf(src))).toEqual(['rep', 'src']);
  });

  it('a param left at its default and the same value written out give the same key', () => {
    const doc = pipeline();
    doc.steps.find((s) => s.id === 'src')!.params.label = 'hello';
    expect(keysOf(doc)).toEqual(base);
  });

  it('a new block version changes the key of its steps and everything downstream', () => {
    const catalog = catalogWith({ train: TEST_BLOCKS.train!.replace('version: 2', 'version: 3') });
    const doc = pipeline();
    doc.steps.find((s) => s.id === 'fit')!.version = 3;
    expect(changed(base, keysOf(doc, { catalog }))).toEqual(['fit', 'rep']);
  });

  it("a changed input file (its digest) changes the step reading it and everything downstream", () => {
    expect(changed(base, keysOf(pipeline(), { digests: { [DATA]: 'b'.repeat(64) } }))).toEqual(['fit', 'load', 'rep']);
    // The same content under another name reaches the command as another argument: another key.
    const moved = pipeline();
    moved.steps.find((s) => s.id === 'load')!.params.file = '/home/ana/data/copy.csv';
    expect(changed(base, keysOf(moved, { digests: { '/home/ana/data/copy.csv': 'a'.repeat(64) } }))).toEqual(['fit', 'load', 'rep']);
  });

  it('a file with no digest makes its step and everything downstream uncacheable (no key), others keep theirs', () => {
    const keys = keysOf(pipeline(), { digests: {} });
    expect(Object.keys(keys).sort()).toEqual(['src']);
    expect(keys.src).toBe(base.src);
  });

  it('param order, labels, positions, notes, resources and step order in the file do not change any key', () => {
    const doc = pipeline();
    const fit = doc.steps.find((s) => s.id === 'fit')!;
    fit.params = { verbose: true, rate: 0.25, trees: 50, model: 'rf' };
    expect(Object.keys(fit.params)).not.toEqual(Object.keys(pipeline().steps.find((s) => s.id === 'fit')!.params));
    for (const s of doc.steps) {
      s.label = `${s.label} (renamed)`;
      s.position = { x: s.position.x + 17, y: s.position.y - 3 };
    }
    fit.resources = { cpus: 4, memoryMb: 8192, timeMinutes: 60 };
    doc.notes.push({ id: 'n1', text: 'try more trees', position: { x: 0, y: 0 } });
    doc.metadata.name = 'Cache test, renamed';
    doc.steps.reverse();
    doc.connections.reverse();
    expect(keysOf(doc)).toEqual(base);
  });

  it('rewiring an input changes the key of the step that reads it', () => {
    const doc = pipeline();
    doc.connections = doc.connections.filter((c) => c.from.step !== 'src');
    expect(changed(base, keysOf(doc))).toEqual(['rep']);
  });

  it('material is canonical JSON naming the block, params and each upstream key; the key is its hash', () => {
    const doc = pipeline();
    const catalog = catalogWith();
    const r = compile(doc, catalog, lab, { account: 'fluxo_test' });
    if (!r.ok) throw new Error('did not compile');
    const material = stepCacheMaterial(doc, catalog, r.bundle.manifest, DIGESTS, sha256);
    for (const [id, text] of Object.entries(material)) {
      expect(canonicalJson(JSON.parse(text))).toBe(text);
      expect(sha256(text)).toBe(base[id]);
    }
    const fit = JSON.parse(material.fit!);
    expect(fit).toMatchObject({ block: { id: 'train', version: 2 }, params: { model: 'rf', trees: 50, rate: 0.25, verbose: true }, points: null, files: {} });
    expect(fit.inputs).toEqual({ data: [{ step: 'load', port: 'table', file: 'table.csv', key: base.load }] });
    expect(JSON.parse(material.load!).files).toEqual({ [DATA]: 'a'.repeat(64) });
    expect(JSON.parse(material.rep!).inputs).toEqual({
      extra: [{ step: 'src', port: 'table', file: 'table.csv', key: base.src }],
      model: [{ step: 'fit', port: 'model', file: 'model.joblib', key: base.fit }],
    });
  });

  it('a sweep value changes the swept step and what follows it, task points included', () => {
    const catalog = catalogWith();
    const keys = (doc: PipelineDocument) => {
      const r = compile(doc, catalog, shippedProfile('cesga-ft3'), { account: 'curso123' });
      if (!r.ok) throw new Error(JSON.stringify(r.problems));
      return stepCacheKeys(doc, catalog, r.bundle.manifest, {}, sha256);
    };
    const before = keys(gpuSweepPipeline());
    const doc = gpuSweepPipeline();
    doc.steps.find((s) => s.id === 'fit')!.sweep!.values.trees = [10, 30];
    expect(changed(before, keys(doc))).toEqual(['all', 'fit', 'rep']);
    // maxParallel only paces the array; the outputs are the same.
    const paced = gpuSweepPipeline();
    paced.steps.find((s) => s.id === 'fit')!.sweep!.maxParallel = 4;
    expect(keys(paced)).toEqual(before);
  });

  it('canonicalJson sorts keys at every level and keeps array order', () => {
    expect(canonicalJson({ b: [3, { z: 1, a: 'x' }], a: null, c: undefined })).toBe('{"a":null,"b":[3,{"a":"x","z":1}]}');
    expect(canonicalJson('it\'s "q"\n')).toBe(JSON.stringify('it\'s "q"\n'));
  });
});

// ---------------------------------------------------------------------------------------------
// submit.sh with cached steps, against stand-ins for sbatch and scancel that record each call
// (real Slurm: test/integration/submitCached.test.ts on the cluster lab).

const tmp = mkdtempSync(path.join(os.tmpdir(), 'fluxo-cache-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let dirs = 0;

/** src -> fit (4-task sweep) -> rep (task by task), fit -> all (every task): afterok and aftercorr. */
function sweep(): PipelineDocument {
  const doc = gpuSweepPipeline();
  doc.steps = doc.steps.filter((s) => s.id !== 'tune');
  doc.connections = doc.connections.filter((c) => c.from.step !== 'tune' && c.to.step !== 'tune');
  return doc;
}

interface Prepared {
  run: string;
  bundleDir: string;
  calls: () => string[];
  submit: () => { status: number | null; stdout: string; stderr: string };
}

function prepared(options: { failOn?: string } = {}): Prepared {
  const r = compile(sweep(), catalogWith(), lab);
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  const bundle: Bundle = r.bundle;
  const run = path.join(tmp, `run-${dirs++}`);
  const bundleDir = path.join(run, 'bundle');
  for (const f of bundle.files) {
    mkdirSync(path.dirname(path.join(bundleDir, f.path)), { recursive: true });
    writeFileSync(path.join(bundleDir, f.path), f.content, { mode: f.executable ? 0o755 : 0o644 });
  }
  const bin = `${run}-bin`;
  mkdirSync(bin);
  const log = `${run}-calls.log`;
  writeFileSync(
    path.join(bin, 'sbatch'),
    `#!/bin/bash
printf 'sbatch %s\\n' "$*" >>'${log}'
${options.failOn ? `if [[ "\${!#}" == *'${options.failOn}'* ]]; then echo "sbatch: error: Batch job submission failed: Invalid qos specification" >&2; exit 1; fi` : ''}
echo "$(( $(grep -c '^sbatch' '${log}') + 1000 ))"
`,
  );
  writeFileSync(path.join(bin, 'scancel'), `#!/bin/bash\nprintf 'scancel %s\\n' "$*" >>'${log}'\n`);
  writeFileSync(path.join(bin, 'squeue'), `#!/bin/bash\nprintf 'squeue %s\\n' "$*" >>'${log}'\n`);
  for (const f of ['sbatch', 'scancel', 'squeue']) chmodSync(path.join(bin, f), 0o755);
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${bin}:${process.env.PATH}` };
  delete env.FLUXO_RUN;
  delete env.FLUXO_BUNDLE;
  return {
    run,
    bundleDir,
    calls: () => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : []),
    submit: () => {
      const s = spawnSync('bash', [path.join(bundleDir, 'submit.sh')], { env, encoding: 'utf8', cwd: tmp });
      return { status: s.status, stdout: s.stdout, stderr: s.stderr };
    },
  };
}

/** What the runner does before submit.sh: markers of the steps it took from an earlier run, then the list. */
function cache(p: Prepared, markers: Record<string, string>, listed: string): void {
  mkdirSync(path.join(p.run, 'logs'), { recursive: true });
  for (const [name, code] of Object.entries(markers)) writeFileSync(path.join(p.run, 'logs', name), `${code}\n`);
  writeFileSync(path.join(p.run, SLURM_RUN_FILES.cached), listed);
}

const FIT_DONE = { 'fit_0.exit': '0', 'fit_1.exit': '0', 'fit_2.exit': '0', 'fit_3.exit': '0' };
/** The sbatch call of a script, with what it waits for: "02-fit.sh", "03-rep.sh --dependency=aftercorr:1001". */
const sbatched = (p: Prepared) =>
  p
    .calls()
    .filter((c) => c.startsWith('sbatch '))
    .map((c) => {
      const dep = /--dependency=(\S+)/.exec(c)?.[1];
      return `${path.basename(c.split(' ').at(-1)!)}${dep ? ` --dependency=${dep}` : ''}`;
    });
const jobsTsv = (p: Prepared) => readFileSync(path.join(p.run, 'jobs.tsv'), 'utf8').trim().split('\n').map((l) => l.split('\t').slice(0, 2).join(' '));

describe('submit.sh with steps taken from an earlier run (.fluxo-cached)', () => {
  it('submits nothing for cached steps, and what depends on them starts without waiting for them', () => {
    const p = prepared();
    cache(p, { 'src.exit': '0', ...FIT_DONE }, 'src\nfit\n');
    const r = p.submit();
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(sbatched(p)).toEqual(['03-rep.sh', '04-all.sh']);
    expect(r.stdout).toContain('src: cached (outputs of an earlier run)\nfit: cached (outputs of an earlier run)\nrep: job 1001\nall: job 1002\n');
    expect(r.stdout).toContain('2 step(s) not run again, their outputs come from an earlier run: src fit');
    // jobs.tsv keeps its step/job/time shape: only real jobs are in it, so cancel.sh cancels only those.
    expect(jobsTsv(p)).toEqual(['step job', 'rep 1001', 'all 1002']);
    expect(readFileSync(path.join(p.run, '.fluxo-submitted'), 'utf8')).toBe('submitted 2 jobs\n');
    const cancel = spawnSync('bash', [path.join(p.bundleDir, 'cancel.sh')], { env: { ...process.env, PATH: `${p.run}-bin:${process.env.PATH}` }, encoding: 'utf8' });
    expect(cancel.status).toBe(0);
    expect(p.calls().filter((c) => c.startsWith('scancel'))).toEqual(['scancel 1001 1002']);
    // Still idempotent: a second submit.sh submits nothing.
    const again = p.submit();
    expect(again.stdout).toContain('already submitted');
    expect(sbatched(p)).toHaveLength(2);
  });

  it('keeps the dependencies on steps that do run: afterok and aftercorr on the jobs submitted here', () => {
    const p = prepared();
    cache(p, { 'src.exit': '0' }, 'src\n');
    expect(p.submit().status).toBe(0);
    expect(sbatched(p)).toEqual(['02-fit.sh', '03-rep.sh --dependency=aftercorr:1001', '04-all.sh --dependency=afterok:1001']);
  });

  it('submits everything with every dependency when nothing is cached (an empty list)', () => {
    const p = prepared();
    cache(p, {}, '\n');
    expect(p.submit().stderr).toBe('');
    expect(sbatched(p)).toEqual(['01-src.sh', '02-fit.sh --dependency=afterok:1001', '03-rep.sh --dependency=aftercorr:1002', '04-all.sh --dependency=afterok:1002']);
  });

  it('takes only step ids of this pipeline from the list: anything else is warned about and never run', () => {
    const p = prepared();
    const pwned = path.join(p.run, 'pwned');
    const hostile = [`$(touch ${pwned})`, `src; touch ${pwned}`, `\`touch ${pwned}\``, '../src', 'SRC', ' src', 'rep*', 'nosuchstep'];
    cache(p, { 'src.exit': '0' }, `${hostile.join('\n')}\r\nsrc\r\n`);
    const r = p.submit();
    expect(r.status).toBe(0);
    expect(existsSync(pwned)).toBe(false);
    const warnings = r.stderr.trim().split('\n');
    expect(warnings).toHaveLength(hostile.length);
    for (const w of warnings) expect(w).toMatch(/^warning: \.fluxo-cached names no step of this pipeline, ignored: /);
    expect(r.stderr).toContain("ignored: \\$\\(touch");
    // src (with a Windows line end) is taken; nothing else is.
    expect(sbatched(p)).toEqual(['02-fit.sh', '03-rep.sh --dependency=aftercorr:1001', '04-all.sh --dependency=afterok:1001']);
  });

  it('runs a listed step again when its exit marker is missing or not 0, and an array when one task is missing', () => {
    const p = prepared();
    const { 'fit_3.exit': _missing, ...threeOfFour } = FIT_DONE;
    cache(p, { 'src.exit': '1', ...threeOfFour }, 'src\nfit\n');
    const r = p.submit();
    expect(r.status).toBe(0);
    expect(r.stderr).toBe(
      'warning: .fluxo-cached lists src, but logs/src.exit does not say it completed; it runs again\n' +
        'warning: .fluxo-cached lists fit, but logs/fit_3.exit does not say it completed; it runs again\n',
    );
    expect(sbatched(p)).toEqual(['01-src.sh', '02-fit.sh --dependency=afterok:1001', '03-rep.sh --dependency=aftercorr:1002', '04-all.sh --dependency=afterok:1002']);
  });

  it('still cancels the jobs it submitted when a later sbatch fails, and leaves no submission marker', () => {
    const p = prepared({ failOn: '04-all' });
    cache(p, { 'src.exit': '0', ...FIT_DONE }, 'src\nfit\n');
    const r = p.submit();
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('error: sbatch refused step all: sbatch: error: Batch job submission failed: Invalid qos specification');
    expect(r.stderr).toContain('Cancelling the 1 job(s) already submitted: 1001');
    expect(p.calls().at(-1)).toBe('scancel 1001');
    expect(existsSync(path.join(p.run, '.fluxo-submitted'))).toBe(false);
    expect(existsSync(path.join(p.run, '.fluxo-submitting'))).toBe(false);
  });

  it('submits no job at all when every step is cached, and says so', () => {
    const p = prepared();
    cache(p, { 'src.exit': '0', ...FIT_DONE, 'rep_0.exit': '0', 'rep_1.exit': '0', 'rep_2.exit': '0', 'rep_3.exit': '0', 'all.exit': '0' }, 'all\nrep\nfit\nsrc');
    const r = p.submit();
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(sbatched(p)).toEqual([]);
    expect(jobsTsv(p)).toEqual(['step job']);
    expect(r.stdout).toContain('4 step(s) not run again, their outputs come from an earlier run: src fit rep all');
    const cancel = spawnSync('bash', [path.join(p.bundleDir, 'cancel.sh')], { encoding: 'utf8' });
    expect(cancel.stdout).toContain('Nothing to cancel: jobs.tsv lists no jobs');
  });
});
