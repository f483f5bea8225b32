// @vitest-environment node
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
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

  it('on a cluster target, an invalid pipeline is refused before any connection is tried', () => {
    const file = exampleWith((doc) => {
      doc.steps[1].params.test_fraction = 5;
    });
    // Nothing listens on this port: a connection attempt would say so instead of the problem.
    const home = path.join(tmp, 'home-cluster');
    mkdirSync(path.join(home, 'targets'), { recursive: true });
    const lab = readFileSync(path.join(repo, 'resources/targets/lab.yaml'), 'utf8').replace(/port: 2222/, 'port: 1');
    writeFileSync(path.join(home, 'targets', 'lab.yaml'), lab);
    const r = fluxo(['run', file, '--target', 'lab'], { FLUXO_HOME: home });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/V008 \(step split, field test_fraction\)/);
    expect(r.stderr).not.toMatch(/answers|connect|unreachable/i);
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

  it('lists blocks as JSON', () => {
    const blocks = JSON.parse(fluxo(['blocks', '--json']).stdout);
    expect(blocks.blocks.map((b: { id: string }) => b.id)).toEqual(expect.arrayContaining(['clinical-dataset', 'report']));
  });

  it('explains a wrong command line with exit 2', () => {
    expect(fluxo(['frobnicate']).code).toBe(2);
    const r = fluxo(['compile', example]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/missing --target/);
  });
});

/** Every file under dir, relative, sorted, with its bytes. */
function tree(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const rel of (readdirSync(dir, { recursive: true }) as string[]).sort()) {
    const full = path.join(dir, rel);
    if (statSync(full).isFile()) out.set(rel, readFileSync(full));
  }
  return out;
}

describe('fluxo targets', () => {
  const LAB = readFileSync(path.join(repo, 'resources/targets/lab.yaml'), 'utf8');

  it('describes every profile: kind, where it comes from, login, partitions with limits, GPU syntax, and what is unknown', () => {
    const r = fluxo(['targets'], { FLUXO_HOME: path.join(tmp, 'targets-plain') });
    expect(r.code).toBe(0);
    for (const id of ['local', 'lab', 'cesga-ft3', 'marenostrum5', 'leonardo', 'lumi']) expect(r.stdout).toMatch(new RegExp(`^${id}: .* \\[(local|slurm)\\] \\(shipped `, 'm'));
    expect(r.stdout).toMatch(/account:\s+unknown \u2014 you will be asked \(e\.g\. curso123\)/);
    expect(r.stdout).toMatch(/login:\s+ft3\.cesga\.es/);
    expect(r.stdout).toContain('--gres=gpu:a100:N, 32 CPU cores per GPU');
    expect(r.stdout).toContain('--gpus-per-node=N, 7 CPU cores per GPU');
    expect(r.stdout).toMatch(/partitions:\s+cpu: time 1 d, 8 CPUs, memory 16 GB, no GPUs per node/);
    expect(r.stdout).toMatch(/unknown:\s+whether an account \(-A\) is required/);
    expect(r.stderr).toContain(path.join(tmp, 'targets-plain', 'targets'));
  });

  it("uses the user's profiles from FLUXO_HOME/targets: one with a shipped id replaces it; broken files are warnings that hide nothing", () => {
    const home = path.join(tmp, 'targets-user');
    mkdirSync(path.join(home, 'targets'), { recursive: true });
    writeFileSync(path.join(home, 'targets', 'lab.yaml'), LAB.replace('title: Test cluster (loopback)', 'title: My own lab'));
    writeFileSync(path.join(home, 'targets', 'uni.yaml'), LAB.replace('id: lab', 'id: uni'));
    writeFileSync(path.join(home, 'targets', 'broken.yaml'), LAB.replace('id: lab', 'id: broken').replace('maxCpus: 8', 'maxCpus: eight'));

    const text = fluxo(['targets'], { FLUXO_HOME: home });
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`lab: My own lab [slurm] (user profile ${path.join(home, 'targets', 'lab.yaml')}, replaces the shipped `);
    expect(text.stdout).toMatch(/^uni: /m);
    expect(text.stderr).toMatch(new RegExp(`warning: target profile ${path.join(home, 'targets', 'broken.yaml').replace(/[.]/g, '\\.')} \\(partitions\\[0\\]\\.maxCpus\\): .*number`));

    const json = JSON.parse(fluxo(['targets', '--json'], { FLUXO_HOME: home }).stdout);
    const byId = new Map(json.targets.map((t: { id: string }) => [t.id, t]));
    expect(byId.get('lab')).toMatchObject({ source: 'user', file: path.join(home, 'targets', 'lab.yaml'), profile: { title: 'My own lab', kind: 'slurm' } });
    expect(byId.get('local')).toMatchObject({ source: 'shipped', overrides: null, profile: { title: 'This computer' } });
    expect(byId.has('broken')).toBe(false);
    expect(json.problems).toEqual([expect.objectContaining({ file: path.join(home, 'targets', 'broken.yaml'), field: 'partitions[0].maxCpus' })]);

    // compile and export use the same profiles: a tighter user limit refuses the example.
    writeFileSync(path.join(home, 'targets', 'lab.yaml'), LAB.replace(/maxTimeMinutes: 1440/g, 'maxTimeMinutes: 5'));
    const refused = fluxo(['export', example, '--target', 'lab', '--out', path.join(tmp, 'export-user-lab')], { FLUXO_HOME: home });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/^error T\d+ \(step \w+, field resources\.timeMinutes\): .*at most 5 min.* Fix: /m);
  });
});

describe('fluxo export', () => {
  it('writes a standalone Slurm bundle into DIR: submit.sh, cancel.sh, scripts, manifest, README.txt, RO-Crate, the pipeline, blocks and lib; prints the estimate', () => {
    const out = path.join(tmp, 'export-lab');
    const r = fluxo(['export', example, '--target', 'lab', '--out', out, '--qos', 'normal', '--reservation', 'course1', '--json']);
    expect(r.code, r.stderr).toBe(0);
    for (const f of ['submit.sh', 'cancel.sh', 'manifest.json', 'README.txt', 'ro-crate-metadata.json', 'pipeline.fluxo', 'blocks/train-classifier/train.py', 'lib/python/fluxo_block.py']) {
      expect(existsSync(path.join(out, f)), f).toBe(true);
    }
    expect(existsSync(path.join(out, 'bundle'))).toBe(false);
    expect(existsSync(path.join(out, 'run.sh'))).toBe(false);
    const manifest = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8'));
    for (const s of manifest.steps) expect(existsSync(path.join(out, s.script)), s.script).toBe(true);
    expect(manifest).toMatchObject({ target: 'lab', targetKind: 'slurm', qos: 'normal', reservation: 'course1' });
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, target: 'lab', targetSource: 'shipped', bundleDir: out, estimate: manifest.estimate });
    const e = manifest.estimate;
    expect(r.stderr).toContain(`Estimate: at most ${e.coreHours} core-hours and ${e.gpuHours} GPU-hours; ${e.jobs} jobs, ${e.tasks} tasks.`);
    expect(r.stderr).toContain('bash submit.sh');
    // The exact document travels with the bundle, and the crate's main workflow is that file.
    expect(JSON.parse(readFileSync(path.join(out, 'pipeline.fluxo'), 'utf8')).metadata.name).toBe(JSON.parse(readFileSync(example, 'utf8')).metadata.name);
    const crate = JSON.parse(readFileSync(path.join(out, 'ro-crate-metadata.json'), 'utf8'));
    const root = crate['@graph'].find((x: { '@id': string }) => x['@id'] === './');
    expect(root.mainEntity).toEqual({ '@id': 'pipeline.fluxo' });
    const readme = readFileSync(path.join(out, 'README.txt'), 'utf8');
    expect(readme).toContain('$HOME/fluxo-runs/');
    expect(readme).toContain('Reservation: course1');
    for (const f of ['submit.sh', 'cancel.sh', ...manifest.steps.map((s: { script: string }) => s.script)]) {
      const check = spawnSync('bash', ['-n', path.join(out, f)], { encoding: 'utf8' });
      expect(check.status, `${f}: ${check.stderr}`).toBe(0);
    }
  });

  it('exporting twice gives byte-identical bundles', () => {
    const a = tree(path.join(tmp, 'export-lab'));
    const outB = path.join(tmp, 'export-lab-again');
    expect(fluxo(['export', example, '--target', 'lab', '--out', outB, '--qos', 'normal', '--reservation', 'course1']).code).toBe(0);
    const b = tree(outB);
    expect([...b.keys()]).toEqual([...a.keys()]);
    for (const [f, bytes] of a) expect(b.get(f)?.equals(bytes), f).toBe(true);
  });

  it('a bundle for this computer, copied elsewhere, runs with bash run.sh and no Fluxo', () => {
    const out = path.join(tmp, 'export-local');
    const r = fluxo(['export', example, '--target', 'local', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(path.join(out, 'submit.sh'))).toBe(false);
    const carried = path.join(tmp, 'elsewhere', 'my-run', 'bundle');
    cpSync(out, carried, { recursive: true });
    const run = spawnSync('bash', [path.join(carried, 'run.sh')], { encoding: 'utf8', env: { PATH: process.env.PATH, HOME: tmp, FLUXO_PYTHON: '/usr/bin/python3' }, timeout: 120_000 });
    expect(run.status, run.stderr + run.stdout).toBe(0);
    expect(JSON.parse(readFileSync(path.join(tmp, 'elsewhere', 'my-run', 'steps/evaluate/metrics.json'), 'utf8')).roc_auc).toBeGreaterThan(0.9);
  }, 120_000);

  it('never overwrites: a non-empty DIR or a file is refused with exit 2 and left as it was; an empty DIR is used', () => {
    const full = path.join(tmp, 'export-full');
    mkdirSync(full);
    writeFileSync(path.join(full, 'precious.txt'), 'keep me');
    const r = fluxo(['export', example, '--target', 'lab', '--out', full]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/is not empty; choose a new or empty folder so nothing is overwritten/);
    expect(readdirSync(full)).toEqual(['precious.txt']);

    const file = path.join(tmp, 'export-file');
    writeFileSync(file, 'x');
    expect(fluxo(['export', example, '--target', 'lab', '--out', file]).stderr).toMatch(/is a file/);

    const empty = path.join(tmp, 'export-empty');
    mkdirSync(empty);
    expect(fluxo(['export', example, '--target', 'lab', '--out', empty]).code).toBe(0);
    expect(existsSync(path.join(empty, 'submit.sh'))).toBe(true);
    // No partial folders are left beside it.
    expect(readdirSync(tmp).filter((n) => n.includes('.partial-'))).toEqual([]);
  });

  it('refuses invalid input with exit 2, one line per problem (code, step, message, fix), and writes nothing', () => {
    const out = path.join(tmp, 'export-invalid');
    const file = exampleWith((doc) => {
      doc.steps[2].resources = { gpus: 4 };
      doc.steps[3].resources = { timeMinutes: 2000 };
    });
    const r = fluxo(['export', file, '--target', 'lab', '--out', out]);
    expect(r.code).toBe(2);
    const lines = r.stderr.trim().split('\n');
    const errors = lines.filter((l) => l.startsWith('error '));
    expect(errors.length).toBeGreaterThanOrEqual(2);
    for (const l of errors) expect(l).toMatch(/^error [VT]\d{3} \(step \w+(, field [\w.]+)?\): .+ Fix: .+/);
    expect(r.stderr).toMatch(/\(step evaluate, field resources\.timeMinutes\): .*at most 1 d/);
    expect(r.stderr).toMatch(/\(step train, field resources\.gpus\): .*2 GPUs/);
    expect(r.stderr).toMatch(/nothing was written/);
    expect(existsSync(out)).toBe(false);
  });

  it('refuses an account that would inject an #SBATCH line, and a required account that is missing', () => {
    const out = path.join(tmp, 'export-inject');
    const r = fluxo(['export', example, '--target', 'lab', '--out', out, '--account', 'proj\n#SBATCH --wrap=evil']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error T\d{3} .*account.* Fix: /m);
    expect(existsSync(out)).toBe(false);
    const missing = fluxo(['export', example, '--target', 'leonardo', '--out', out]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/account/i);
    expect(existsSync(out)).toBe(false);
  });

  it('exit 1 when the bundle cannot be written, with the reason, and nothing left behind', () => {
    const r = fluxo(['export', example, '--target', 'lab', '--out', '/proc/fluxo-cannot-write-here']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/could not write \/proc\/fluxo-cannot-write-here: /);
  });

  it('explains a wrong command line with exit 2 and the usage', () => {
    const r = fluxo(['export', example, '--out', path.join(tmp, 'x')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/missing --target ID/);
    expect(r.stderr).toContain('fluxo export FILE --target ID --out DIR [--account A] [--qos Q] [--reservation R] [--json]');
    const unknown = fluxo(['export', example, '--target', 'nowhere', '--out', path.join(tmp, 'x')]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/there is no target "nowhere"; known targets: .*lab/);
  });
});
