import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { FluxoEvent, Result } from '../../shared/api';
import { parseDocument } from '../../shared/document';
import { LocalExecution } from '../targets/local';
import { makeBundle } from '../targets/testBundle';
import { createBackend } from './index';
import { handleRequest } from './serve';

const repo = path.resolve(__dirname, '../..');
const resourcesDir = path.join(repo, 'resources');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'fluxo-backend-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function value<T>(r: Result<T>): T {
  if (!r.ok) throw new Error(`${r.error.code} ${r.error.message}`);
  return r.value;
}

function backend(resources = resourcesDir) {
  const homeDir = mkdtempSync(path.join(tmp, 'home-'));
  return { homeDir, ...createBackend({ hostKind: 'cli', resourcesDir: resources, homeDir }) };
}

const exampleText = readFileSync(path.join(resourcesDir, 'examples/breast-cancer-classifier.fluxo'), 'utf8');
const example = () => {
  const parsed = parseDocument(exampleText);
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.document;
};

describe('documents', () => {
  it('saves a pipeline and opens it again unchanged, adding the .fluxo extension', async () => {
    const { services, homeDir } = backend();
    const saved = value(await services.documents.save(path.join(homeDir, 'mine'), example()));
    expect(saved.path).toBe(path.join(homeDir, 'mine.fluxo'));
    expect(readFileSync(saved.path, 'utf8')).toBe(exampleText);
    const opened = value(await services.documents.open(saved.path));
    expect(opened.document).toEqual(example());
  });

  it('explains a truncated file and a missing one with numbered codes', async () => {
    const { services, homeDir } = backend();
    const broken = path.join(homeDir, 'broken.fluxo');
    writeFileSync(broken, exampleText.slice(0, 200));
    const r = await services.documents.open(broken);
    expect(r).toMatchObject({ ok: false, error: { code: 'E200', message: expect.stringMatching(/broken\.fluxo: the file is not valid JSON/) } });
    expect(readFileSync(broken, 'utf8')).toBe(exampleText.slice(0, 200));
    const missing = await services.documents.open(path.join(homeDir, 'nope.fluxo'));
    expect(missing).toMatchObject({ ok: false, error: { code: 'E201', message: expect.stringMatching(/does not exist/) } });
  });

  it('a failed save says why and leaves the previous file intact', async () => {
    const { services, homeDir } = backend();
    const file = path.join(homeDir, 'keep.fluxo');
    writeFileSync(file, 'previous content');
    // Saving "into" a regular file as if it were a folder fails after the old file exists.
    const r = await services.documents.save(path.join(file, 'inner.fluxo'), example());
    expect(r).toMatchObject({ ok: false, error: { code: 'E202', hint: expect.stringMatching(/previous version/) } });
    expect(readFileSync(file, 'utf8')).toBe('previous content');
  });

  it('lists a folder for the in-app file dialog: folders first, only .fluxo files', async () => {
    const { services, homeDir } = backend();
    mkdirSync(path.join(homeDir, 'pipelines/sub'), { recursive: true });
    writeFileSync(path.join(homeDir, 'pipelines/b.fluxo'), '{}');
    writeFileSync(path.join(homeDir, 'pipelines/notes.txt'), '');
    const listing = value(await services.documents.browse(null, null));
    expect(listing.folder).toBe(path.join(homeDir, 'pipelines'));
    expect(listing.entries.map((e) => [e.name, e.kind])).toEqual([
      ['sub', 'folder'],
      ['b.fluxo', 'file'],
    ]);
    // The data-file picker asks for other extensions, case-insensitively.
    writeFileSync(path.join(homeDir, 'pipelines/Cohort.CSV'), 'a,b\n');
    const data = value(await services.documents.browse(path.join(homeDir, 'pipelines'), ['.csv', '.tsv']));
    expect(data.entries.map((e) => e.name)).toEqual(['sub', 'Cohort.CSV']);
  });
});

describe('catalog and examples', () => {
  it('lists the shipped blocks without problems and the example with its blocks', async () => {
    const { services } = backend();
    const catalog = value(await services.catalog.list());
    expect(catalog.problems).toEqual([]);
    expect(catalog.blocks.length).toBeGreaterThanOrEqual(6);
    const examples = value(await services.examples.list());
    expect(examples[0]).toMatchObject({ id: 'breast-cancer-classifier', blocks: ['clinical-dataset', 'split-train-test', 'train-classifier', 'evaluate-classifier', 'report'] });
    const opened = value(await services.examples.open('breast-cancer-classifier'));
    expect(opened.path).toBeNull();
  });

  it('keeps loading the good blocks when one definition is broken', async () => {
    const resources = path.join(tmp, 'resources-broken');
    cpSync(resourcesDir, resources, { recursive: true });
    writeFileSync(path.join(resources, 'blocks/report/block.yaml'), 'id: report\nversion: one\n');
    const { services } = backend(resources);
    const catalog = value(await services.catalog.list());
    expect(catalog.blocks.map((b) => b.id)).not.toContain('report');
    expect(catalog.blocks.map((b) => b.id)).toContain('train-classifier');
    expect(catalog.problems).toContainEqual(expect.objectContaining({ file: 'report/block.yaml', field: 'version' }));
  });
});

describe('runs', () => {
  it('refuses an invalid pipeline before running anything, with the problems', async () => {
    const { services, homeDir } = backend();
    const doc = example();
    doc.connections = doc.connections.filter((c) => c.to.step !== 'train');
    const r = await services.runs.start({ document: doc, targetId: 'local' });
    expect(r).toMatchObject({ ok: false, error: { code: 'E300', message: expect.stringMatching(/needs its input/) } });
    expect(r.ok ? [] : (r.error.details as unknown[])).toHaveLength(1);
    expect(value(await services.runs.list())).toEqual([]);
    expect(() => readFileSync(path.join(homeDir, 'runs'))).toThrow();
  });

  it('refuses an unknown target', async () => {
    const { services } = backend();
    expect(await services.runs.start({ document: example(), targetId: 'marenostrum9' })).toMatchObject({ ok: false, error: { code: 'E301' } });
  });

  it('stops before starting when a block needs a Python package that is missing, naming it', async () => {
    const resources = path.join(tmp, 'resources-missing-pkg');
    cpSync(resourcesDir, resources, { recursive: true });
    const def = path.join(resources, 'blocks/report/block.yaml');
    const text = readFileSync(def, 'utf8');
    expect(text).toMatch(/modules: \[\]/);
    writeFileSync(def, text.replace('modules: []', 'modules: [{ import: fluxo_missing_pkg, pip: fluxo-missing-pkg, apt: python3-fluxo-missing }]'));
    const { services } = backend(resources);
    const r = await services.runs.start({ document: example(), targetId: 'local' });
    expect(r).toMatchObject({ ok: false, error: { code: 'E401', message: expect.stringMatching(/fluxo-missing-pkg \(needed by Report\)/) } });
  }, 30_000);

  it('runs the example, streams events in batches, keeps the run in its own folder and serves only its files', async () => {
    const b = backend();
    const batches: FluxoEvent[][] = [];
    b.subscribe((batch) => batches.push(batch));
    const started = value(await b.services.runs.start({ document: example(), targetId: 'local' }));
    expect(started.status).toBe('running');
    expect(started.runDir.startsWith(path.join(b.homeDir, 'runs'))).toBe(true);
    const run = await b.waitForRun(started.id);
    expect(run.status).toBe('completed');
    // Events arrive in the batch after the one in flight when the run ended.
    await expect.poll(() => batches.flat().at(-1)?.type).toBe('run.finished');
    const metrics = JSON.parse(readFileSync(path.join(run.runDir, 'metrics.json'), 'utf8'));
    expect(metrics.roc_auc).toBeGreaterThan(0.9);
    const events = batches.flat();
    expect(events[0]?.type).toBe('run.started');
    expect(events.filter((e) => e.type === 'run.stepChanged' && e.step.state === 'completed')).toHaveLength(5);
    expect(events.some((e) => e.type === 'run.logAppended')).toBe(true);
    expect(events.at(-1)).toMatchObject({ type: 'run.finished', run: { status: 'completed' } });

    const roc = value(await b.services.runs.readFile(run.id, 'roc.png'));
    expect(roc.mime).toBe('image/png');
    expect(Buffer.from(roc.base64, 'base64').subarray(1, 4).toString()).toBe('PNG');
    expect(await b.services.runs.readFile(run.id, '../../../etc/passwd')).toMatchObject({ ok: false, error: { code: 'E404' } });
    expect(await b.services.runs.readFile(run.id, '/etc/passwd')).toMatchObject({ ok: false, error: { code: 'E404' } });

    // Every step's exit code came from its own exit marker, and the run left its RO-Crate.
    expect(run.steps.map((s) => [s.id, s.marker, s.tasks])).toEqual(run.steps.map((s) => [s.id, 'found', null]));
    const crate = JSON.parse(readFileSync(path.join(run.runDir, 'ro-crate-metadata.json'), 'utf8'));
    expect(JSON.stringify(crate)).toContain(run.id);

    const listed = value(await b.services.runs.list());
    expect(listed.map((r) => r.id)).toEqual([run.id]);
    expect(listed[0]?.steps.every((s) => s.state === 'completed')).toBe(true);
    await b.dispose();
  }, 60_000);

  it('shows how a run Fluxo stopped watching ended, from the exit markers its steps left', async () => {
    const { services, homeDir } = backend();
    const runsDir = path.join(homeDir, 'runs');
    mkdirSync(runsDir);
    const b = makeBundle(runsDir, [
      { id: 'prep', body: 'true' },
      { id: 'sweep', tasks: 3, deps: ['prep'], body: 'true' },
      { id: 'final', deps: ['sweep'], body: 'true' },
    ]);
    writeFileSync(path.join(b.bundleDir, 'manifest.json'), JSON.stringify(b.manifest));
    // The record as Fluxo last saved it: task 1 running, task 2 not started yet.
    const steps = new LocalExecution({ manifest: b.manifest, bundleDir: b.bundleDir, runDir: b.dir, python: null, slots: 1, onStepChanged: () => {}, onLog: () => {} }).steps;
    Object.assign(steps[0]!, { state: 'completed', exitCode: 0, marker: 'found' });
    Object.assign(steps[1]!, { state: 'running' });
    Object.assign(steps[1]!.tasks![0]!, { state: 'completed', exitCode: 0, marker: 'found' });
    Object.assign(steps[1]!.tasks![1]!, { state: 'running' });
    const id = path.basename(b.dir);
    const record = { id, pipelineName: 'p', pipelinePath: null, targetId: 'local', status: 'running', runDir: b.dir, createdAt: '2026-01-01T00:00:00Z', endedAt: null, python: null, steps, error: null };
    writeFileSync(path.join(b.dir, 'run.json'), JSON.stringify(record));
    // Task 1 went on after Fluxo was gone, and its EXIT trap recorded how it ended.
    mkdirSync(path.join(b.dir, 'logs'));
    writeFileSync(path.join(b.dir, 'logs/sweep_0.exit'), '0\n');
    writeFileSync(path.join(b.dir, 'logs/sweep_1.exit'), '4\n');

    const run = value(await services.runs.get(id));
    expect(run).toMatchObject({ status: 'failed', error: { message: expect.stringMatching(/Fluxo was closed/) } });
    const sweep = run.steps[1]!;
    expect(sweep.tasks!.map((t) => [t.state, t.exitCode, t.marker])).toEqual([
      ['completed', 0, 'found'],
      ['failed', 4, 'found'],
      ['cancelled', null, null],
    ]);
    expect(sweep).toMatchObject({ state: 'failed', exitCode: 4 });
    // What waited for the whole sweep could never have run: its task 1 failed.
    expect(run.steps[2]).toMatchObject({ state: 'skipped', detail: 'not run: task 1 of "Step sweep" failed' });
    // The record on disk is not rewritten: a marker written later still counts on the next read.
    expect(JSON.parse(readFileSync(path.join(b.dir, 'run.json'), 'utf8')).status).toBe('running');
    writeFileSync(path.join(b.dir, 'logs/sweep_2.exit'), '0\n');
    expect(value(await services.runs.get(id)).steps[1]!.tasks![2]).toMatchObject({ state: 'completed', exitCode: 0, marker: 'found' });
  });

  it('refuses to run into a folder that already holds files', async () => {
    const { services, homeDir } = backend();
    const out = path.join(homeDir, 'busy');
    mkdirSync(out);
    writeFileSync(path.join(out, 'thesis.docx'), 'precious');
    const r = await services.runs.start({ document: example(), targetId: 'local', runDir: out });
    expect(r).toMatchObject({ ok: false, error: { code: 'E403', message: expect.stringMatching(/not empty/) } });
    expect(readFileSync(path.join(out, 'thesis.docx'), 'utf8')).toBe('precious');
  });
});

describe('handleRequest (what every front door calls)', () => {
  it('refuses unknown methods and bad arguments with numbered codes, and answers good calls', async () => {
    const { services } = backend();
    expect(await handleRequest(services, 'runs.deleteEverything', [])).toMatchObject({ ok: false, error: { code: 'E102' } });
    expect(await handleRequest(services, 'constructor.name', [])).toMatchObject({ ok: false, error: { code: 'E102' } });
    expect(await handleRequest(services, 'documents.open', [42])).toMatchObject({ ok: false, error: { code: 'E100' } });
    expect(await handleRequest(services, 'runs.get', ['../../etc'])).toMatchObject({ ok: false, error: { code: 'E100' } });
    expect(await handleRequest(services, 'host.info', [])).toMatchObject({ ok: true, value: { kind: 'cli' } });
  });

  it('turns an unexpected exception into an E103 result instead of crashing the host', async () => {
    const { services } = backend();
    services.host.info = () => Promise.reject(new Error('boom'));
    expect(await handleRequest(services, 'host.info', [])).toMatchObject({ ok: false, error: { code: 'E103', message: expect.stringMatching(/boom/) } });
  });
});
