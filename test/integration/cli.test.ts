// @vitest-environment node
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildNodeBundles } from '../fixtures/buildNode';

const repo = path.resolve(__dirname, '../..');
const example = path.join(repo, 'resources/examples/breast-cancer-classifier.fluxo');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'fluxo-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

// Test the real front door: the bundled CLI behind bin/fluxo.cjs, built from the current sources.
beforeAll(() => buildNodeBundles(path.join(repo, 'dist')), 60_000);

function fluxo(args: string[], env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(process.execPath, [path.join(repo, 'bin/fluxo.cjs'), ...args], {
    cwd: tmp,
    encoding: 'utf8',
    env: { ...process.env, FLUXO_HOME: path.join(tmp, 'home'), ...env },
    timeout: 120_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests reshape raw JSON freely
function exampleWith(change: (doc: Record<string, any>) => void): string {
  const doc = JSON.parse(readFileSync(example, 'utf8'));
  change(doc);
  const file = path.join(tmp, `variant-${Math.random().toString(36).slice(2)}.fluxo`);
  writeFileSync(file, JSON.stringify(doc));
  return file;
}

describe('fluxo run', () => {
  it('runs the example: exit 0, a JSON summary, and DIR holds metrics.json (ROC AUC > 0.9), the figures and the report', () => {
    const out = path.join(tmp, 'run-example');
    const r = fluxo(['run', example, '--target', 'local', '--json', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary.status).toBe('completed');
    expect(summary.runDir).toBe(out);
    expect(summary.steps.map((s: { id: string; state: string; exitCode: number }) => [s.id, s.state, s.exitCode])).toEqual([
      ['dataset', 'completed', 0],
      ['split', 'completed', 0],
      ['train', 'completed', 0],
      ['evaluate', 'completed', 0],
      ['report', 'completed', 0],
    ]);
    for (const s of summary.steps) expect(typeof s.seconds).toBe('number');
    expect(summary.outputs.map((o: { format: string }) => o.format)).toEqual(expect.arrayContaining(['metrics.json', 'figure.png', 'report.html']));
    const metrics = JSON.parse(readFileSync(path.join(out, 'metrics.json'), 'utf8'));
    expect(metrics.roc_auc).toBeGreaterThan(0.9);
    expect(metrics.n_test).toBe(143);
    for (const f of ['roc.png', 'confusion.png', 'report.html', 'run.json', 'pipeline.fluxo']) expect(existsSync(path.join(out, f)), f).toBe(true);
    expect(readFileSync(path.join(out, 'report.html'), 'utf8')).toContain(String(metrics.roc_auc));
    // Human progress goes to stderr, never mixed into the JSON.
    expect(r.stderr).toMatch(/Train classifier completed/);
  }, 120_000);

  it('exits 1 when a step fails, and shows the end of its log', () => {
    const file = exampleWith((doc) => {
      doc.steps[1].params.target_column = 'diagnosis';
    });
    const r = fluxo(['run', file, '--json', '--out', path.join(tmp, 'run-failing')]);
    expect(r.code).toBe(1);
    const summary = JSON.parse(r.stdout);
    expect(summary.status).toBe('failed');
    expect(summary.steps.find((s: { id: string }) => s.id === 'split')).toMatchObject({ state: 'failed', exitCode: 2 });
    expect(summary.steps.find((s: { id: string }) => s.id === 'report').state).toBe('skipped');
    expect(r.stderr).toMatch(/Failed at "Split train\/test"/);
    expect(r.stderr).toMatch(/\| error: .*diagnosis/);
  }, 60_000);

  it('exits 2 with the validation messages when the pipeline is invalid, running nothing', () => {
    const file = exampleWith((doc) => {
      doc.steps[1].params.test_fraction = 5;
      doc.connections.push({ from: { step: 'report', port: 'report' }, to: { step: 'dataset', port: 'x' } });
    });
    const out = path.join(tmp, 'run-invalid');
    const r = fluxo(['run', file, '--out', out]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/V008 \(step split, field test_fraction\).*at most 0\.9/);
    expect(existsSync(out)).toBe(false);
  });

  it('exits 2 on a truncated file, saying so', () => {
    const file = path.join(tmp, 'truncated.fluxo');
    writeFileSync(file, readFileSync(example, 'utf8').slice(0, 500));
    const r = fluxo(['run', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/truncated\.fluxo: the file is not valid JSON.*\[E200\]/);
  });

  it('stops before running when Python lacks a package, naming what to install', () => {
    const r = fluxo(['run', example, '--json'], { FLUXO_PYTHON: path.join(tmp, 'no-python-here') });
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).error.code).toBe('E400');
    expect(r.stderr).toMatch(/no Python 3 was found/);
  });
});

describe('fluxo validate, compile, blocks, targets', () => {
  it('validates the example (exit 0) and reports a cycle and an unknown block with codes (exit 2)', () => {
    expect(fluxo(['validate', example]).code).toBe(0);
    const file = exampleWith((doc) => {
      doc.steps.push({ id: 'mystery', type: 'quantum-oracle', version: 1, label: '', params: {}, position: { x: 0, y: 0 } });
      doc.connections.push({ from: { step: 'train', port: 'model' }, to: { step: 'split', port: 'table' } });
    });
    const r = fluxo(['validate', file, '--json']);
    expect(r.code).toBe(2);
    const codes = JSON.parse(r.stdout).problems.map((p: { code: string }) => p.code);
    expect(codes).toEqual(expect.arrayContaining(['V001', 'V004', 'V006', 'V012']));
    expect(r.stderr).toMatch(/quantum-oracle/);
  });

  it('compiles a standalone bundle whose run.sh runs the pipeline without Fluxo', () => {
    const out = path.join(tmp, 'compiled');
    const r = fluxo(['compile', example, '--target', 'local', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(path.join(out, 'bundle/manifest.json'))).toBe(true);
    expect(existsSync(path.join(out, 'bundle/blocks/train-classifier/train.py'))).toBe(true);
    const run = spawnSync('bash', [path.join(out, 'bundle/run.sh')], { encoding: 'utf8', env: { ...process.env, FLUXO_PYTHON: '/usr/bin/python3' } });
    expect(run.status, run.stderr).toBe(0);
    expect(JSON.parse(readFileSync(path.join(out, 'steps/evaluate/metrics.json'), 'utf8')).roc_auc).toBeGreaterThan(0.9);
    // A second compile into the same folder refuses to overwrite it.
    expect(fluxo(['compile', example, '--target', 'local', '--out', out]).code).toBe(2);
  }, 120_000);

  it('lists blocks and targets as JSON', () => {
    const blocks = JSON.parse(fluxo(['blocks', '--json']).stdout);
    expect(blocks.blocks.map((b: { id: string }) => b.id)).toEqual(expect.arrayContaining(['clinical-dataset', 'report']));
    const targets = JSON.parse(fluxo(['targets', '--json']).stdout);
    expect(targets).toContainEqual(expect.objectContaining({ id: 'local', title: 'This computer' }));
  });

  it('explains a wrong command line with exit 2', () => {
    expect(fluxo(['frobnicate']).code).toBe(2);
    const r = fluxo(['compile', example]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/missing --target/);
  });
});
