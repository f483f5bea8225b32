import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Result } from '../../shared/api';
import type { PipelineDocument } from '../../shared/document';
import { parseDocument } from '../../shared/document';
import { createBackend } from './index';

const repo = path.resolve(__dirname, '../..');
const resourcesDir = path.join(repo, 'resources');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'fluxo-preflight-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function value<T>(r: Result<T>): T {
  if (!r.ok) throw new Error(`${r.error.code} ${r.error.message}`);
  return r.value;
}

function backend() {
  const homeDir = mkdtempSync(path.join(tmp, 'home-'));
  return { homeDir, ...createBackend({ hostKind: 'cli', resourcesDir, homeDir }) };
}

function example(): PipelineDocument {
  const parsed = parseDocument(readFileSync(path.join(resourcesDir, 'examples/breast-cancer-classifier.fluxo'), 'utf8'));
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.document;
}

/** The example with its dataset step replaced by Load CSV reading `file`. */
function withCsv(file: string): PipelineDocument {
  const doc = example();
  const first = doc.steps[0]!;
  first.type = 'load-csv';
  first.params = { file, separator: 'comma' };
  return doc;
}

describe('pre-flight', () => {
  it('on this computer: every step with its resources, core-hours bounded by the local cores, nothing to upload', async () => {
    const b = backend();
    const report = value(await b.services.runs.preflight({ document: example(), targetId: 'local' }));
    expect(report.targetKind).toBe('local');
    expect(report.canRun).toBe(true);
    expect(report.upload).toBeNull();
    expect(report.localCores).toBe(os.availableParallelism());
    expect(report.steps.map((s) => s.id)).toEqual(example().steps.map((s) => s.id));
    for (const s of report.steps) {
      expect(s.limits.cpus).toBe(os.availableParallelism());
      expect(s.coreHours).toBeCloseTo((Math.min(s.cpus, os.availableParallelism()) * s.timeMinutes) / 60, 2);
    }
    expect(report.coreHours).toBeCloseTo(report.steps.reduce((n, s) => n + s.coreHours, 0), 1);
    await b.dispose();
  });

  it('on a cluster: flags a step asking more than its partition allows, and sizes the local files to upload', async () => {
    const b = backend();
    const data = path.join(b.homeDir, 'cohort.csv');
    writeFileSync(data, 'a,b\n1,2\n3,4\n');
    const doc = withCsv(data);
    const train = doc.steps.find((s) => s.type === 'train-classifier')!;
    train.resources = { memoryMb: 64_000, timeMinutes: 90 };
    const report = value(await b.services.runs.preflight({ document: doc, targetId: 'lab', account: 'bio', qos: '', reservation: null }));
    const step = report.steps.find((s) => s.id === train.id)!;
    expect(step.partition).toBe('cpu');
    expect(step.limits.memoryMb).toBe(16000);
    expect(step.over).toEqual(['memoryMb']);
    expect(step.coreHours).toBeCloseTo((step.cpus * 90) / 60, 2);
    expect(report.canRun).toBe(false);
    expect(report.problems.some((p) => p.severity === 'error' && p.stepId === train.id)).toBe(true);
    expect(report.upload).toEqual({ files: 1, bytes: 12, items: [{ local: data, files: 1, bytes: 12, sentBefore: false }] });
    expect([report.account, report.qos, report.reservation]).toEqual(['bio', null, null]);
    await b.dispose();
  });

  it('says a folder of inputs was sent before when an earlier completed run on that cluster sent it with the same sizes', async () => {
    const b = backend();
    const folder = path.join(b.homeDir, 'images');
    mkdirSync(folder);
    writeFileSync(path.join(folder, 'one.txt'), 'x'.repeat(10));
    writeFileSync(path.join(folder, 'two.txt'), 'y'.repeat(20));
    const earlier = path.join(b.homeDir, 'runs', '20260101-000000-aaaaaa');
    mkdirSync(earlier, { recursive: true });
    writeFileSync(path.join(earlier, 'run.json'), JSON.stringify({ id: 'x', targetId: 'lab', status: 'completed' }));
    const inputs = ['one.txt', 'two.txt'].map((f, i) => ({ local: path.join(folder, f), remote: `/r/${f}`, size: (i + 1) * 10 }));
    writeFileSync(path.join(earlier, 'remote-plan.json'), JSON.stringify({ inputs, cacheKeys: null, forceRun: [] }));
    const doc = example();
    doc.steps.push({ id: 'script', type: 'shell-command', label: '', position: { x: 0, y: 0 }, params: {} } as never);
    // A folder path param: the upload sums its files.
    const shell = value(await b.services.catalog.list()).blocks.find((x) => x.params.some((p) => p.type === 'path' && p.kind === 'folder'));
    expect(shell).toBeDefined();
    doc.steps[doc.steps.length - 1] = { ...doc.steps.at(-1)!, type: shell!.id, params: { [shell!.params.find((p) => p.type === 'path' && p.kind === 'folder')!.id]: folder } };
    const report = value(await b.services.runs.preflight({ document: doc, targetId: 'lab' }));
    expect(report.upload?.items).toEqual([{ local: folder, files: 2, bytes: 30, sentBefore: true }]);
    // The same folder grown since: it will be sent again.
    writeFileSync(path.join(folder, 'two.txt'), 'y'.repeat(25));
    const again = value(await b.services.runs.preflight({ document: doc, targetId: 'lab' }));
    expect(again.upload?.items[0]?.sentBefore).toBe(false);
    await b.dispose();
  });

  it('refuses an unknown target with a numbered code', async () => {
    const b = backend();
    expect(await b.services.runs.preflight({ document: example(), targetId: 'nowhere' })).toMatchObject({ ok: false, error: { code: 'E301' } });
    await b.dispose();
  });
});

describe('a past run reopened', () => {
  it('gives back the exact pipeline a real local run ran, with its record', async () => {
    const b = backend();
    const doc = example();
    doc.metadata.name = 'As it ran';
    const started = value(await b.services.runs.start({ document: doc, targetId: 'local' }));
    const run = await b.waitForRun(started.id);
    const opened = value(await b.services.runs.document(run.id));
    expect(opened.run.id).toBe(run.id);
    expect(opened.document.metadata.name).toBe('As it ran');
    expect(opened.document.steps).toEqual(doc.steps);
    await b.dispose();
  }, 60_000);

  it('says plainly when a run kept no pipeline, and when the run is unknown', async () => {
    const b = backend();
    const dir = path.join(b.homeDir, 'runs', '20250101-000000-abcdef');
    mkdirSync(dir, { recursive: true });
    const record = { id: '20250101-000000-abcdef', pipelineName: 'Old', pipelinePath: null, targetId: 'local', status: 'completed', runDir: dir, createdAt: '2025-01-01T00:00:00Z', endedAt: '2025-01-01T00:01:00Z', python: null, steps: [], error: null };
    writeFileSync(path.join(dir, 'run.json'), JSON.stringify(record));
    expect(await b.services.runs.document(record.id)).toMatchObject({ ok: false, error: { code: 'E460', hint: expect.stringMatching(/older versions/) } });
    expect(await b.services.runs.document('nope')).toMatchObject({ ok: false, error: { code: 'E402' } });
    await b.dispose();
  });
});
