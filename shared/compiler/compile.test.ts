import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { gpuSweepPipeline, LOCAL, shippedProfile, testCatalog } from '../../test/fixtures/catalog';
import type { PipelineDocument } from '../document';
import { createEmptyDocument } from '../document';
import type { SlurmProfile, TargetProfile } from '../targets';
import { compile, orderSteps } from './compile';
import { commentText, quoteValue, renderWord } from './quote';
import type { Bundle, CompileOptions } from './types';

const catalog = testCatalog();
const GOLDEN = path.resolve(__dirname, '../../test/golden/compiler');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'fluxo-compile-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let dirs = 0;
const freshDir = (name: string) => {
  const d = path.join(tmp, `${name}-${dirs++}`);
  mkdirSync(d, { recursive: true });
  return d;
};

function pipeline(): PipelineDocument {
  const doc = createEmptyDocument('Test pipeline', new Date('2026-01-01T00:00:00Z'));
  doc.steps.push(
    { id: 'rep', type: 'report', version: 1, label: 'Final report', params: { title: 'Results' }, position: { x: 600, y: 0 } },
    { id: 'src', type: 'source', version: 1, label: '', params: { rows: 5 }, position: { x: 0, y: 0 } },
    { id: 'fit', type: 'train', version: 2, label: '', params: { model: 'rf', trees: 50, rate: 0.25, verbose: true }, position: { x: 300, y: 0 } },
  );
  doc.connections.push(
    { from: { step: 'fit', port: 'model' }, to: { step: 'rep', port: 'model' } },
    { from: { step: 'src', port: 'table' }, to: { step: 'fit', port: 'data' } },
  );
  return doc;
}

function compiled(doc: PipelineDocument, target: TargetProfile = LOCAL, options: CompileOptions = {}): Bundle {
  const result = compile(doc, catalog, target, options);
  if (!result.ok) throw new Error(JSON.stringify(result.problems, null, 2));
  return result.bundle;
}

function writeOut(bundle: Bundle, dir: string): void {
  for (const f of bundle.files) {
    const dest = path.join(dir, f.path);
    mkdirSync(path.dirname(dest), { recursive: true });
    writeFileSync(dest, f.content, { mode: f.executable ? 0o755 : 0o644 });
  }
}

function file(bundle: Bundle, name: string): string {
  const f = bundle.files.find((x) => x.path === name || x.path.endsWith(`-${name}.sh`));
  if (!f) throw new Error(`no ${name} in ${bundle.files.map((x) => x.path).join(', ')}`);
  return f.content;
}

function expectGolden(bundle: Bundle, dir: string): void {
  if (process.env.UPDATE_GOLDEN) {
    rmSync(dir, { recursive: true, force: true });
    writeOut(bundle, dir);
  }
  const expected = readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => path.relative(dir, path.join(d.parentPath, d.name)).split(path.sep).join('/'))
    .sort();
  expect(bundle.files.map((f) => f.path)).toEqual(expected);
  for (const f of bundle.files) expect(f.content, f.path).toBe(readFileSync(path.join(dir, f.path), 'utf8'));
}

/** bash -n and shellcheck on every script of a bundle. */
function expectLintClean(bundle: Bundle): void {
  const dir = freshDir('lint');
  writeOut(bundle, dir);
  const scripts = bundle.files.filter((f) => f.path.endsWith('.sh')).map((f) => path.join(dir, f.path));
  for (const s of scripts) execFileSync('bash', ['-n', s]);
  if (spawnSync('shellcheck', ['--version']).status !== 0) {
    console.warn('shellcheck is not installed (apt install shellcheck); only bash -n was checked');
    return;
  }
  const out = spawnSync('shellcheck', ['-S', 'style', '-s', 'bash', ...scripts], { encoding: 'utf8' });
  expect(out.stdout).toBe('');
  expect(out.status).toBe(0);
}

/**
 * Block scripts for running bundles for real: each records its argv (argv.json) in its working
 * folder (the step's or task's output folder) and creates every output path under that folder,
 * like a real block would.
 */
const RECORDER = `import json, os, sys
here = os.getcwd()
with open('argv.json', 'w', encoding='utf-8') as f:
    json.dump(sys.argv[1:], f, ensure_ascii=False)
for a in sys.argv[1:]:
    if a.startswith(here + '/'):
        with open(a, 'w') as out:
            out.write('made by ' + os.path.basename(sys.argv[0]))
code = os.environ.get('RECORDER_EXIT')
if code:
    sys.exit(int(code))
`;

function installBlocks(bundle: Bundle, bundleDir: string): void {
  for (const a of bundle.assets) {
    const dest = path.join(bundleDir, a.path);
    mkdirSync(path.dirname(dest), { recursive: true });
    writeFileSync(dest, a.path.endsWith('fluxo_block.py') ? '' : RECORDER);
  }
}

const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

function readJson<T>(p: string): T {
  return JSON.parse(readFileSync(p, 'utf8')) as T;
}

describe('compile for this computer', () => {
  it('orders steps by dependency, keeping document order among ready steps', () => {
    expect(orderSteps(pipeline())).toEqual(['src', 'fit', 'rep']);
  });

  it('matches the golden bundle (UPDATE_GOLDEN=1 rewrites it after a deliberate change)', () => {
    expectGolden(compiled(pipeline()), path.join(GOLDEN, 'test-pipeline'));
  });

  it('is deterministic: compiling twice gives identical bytes, and no absolute path or date gets in', () => {
    for (const doc of [pipeline(), gpuSweepPipeline()]) {
      for (const target of doc.steps.some((s) => s.type === 'finetune') ? [shippedProfile('cesga-ft3'), shippedProfile('lumi')] : [LOCAL]) {
        const a = JSON.stringify(compiled(doc, target, { account: 'project_1' }));
        expect(a).toBe(JSON.stringify(compiled(doc, target, { account: 'project_1' })));
        expect(a).not.toContain(os.tmpdir());
        expect(a).not.toContain(process.cwd());
        // The only dates are the document's own; the time of compiling never gets in.
        expect(a).not.toContain(new Date().toISOString().slice(0, 10));
      }
    }
  });

  it('writes a manifest with steps, dependencies, outputs, markers, logs, entry scripts and the Python modules each step needs', () => {
    const { manifest, assets, files } = compiled(pipeline());
    expect(manifest).toMatchObject({ targetKind: 'local', account: null, qos: null, reservation: null, entry: { run: 'run.sh', submit: null, cancel: null }, slurm: null, order: ['src', 'fit', 'rep'] });
    expect(manifest.steps.find((s) => s.id === 'rep')).toMatchObject({
      dependsOn: ['fit'],
      dependencies: [{ step: 'fit', mode: 'all' }],
      outputs: [{ port: 'report', path: 'steps/rep/report.html', task: null }],
      marker: 'logs/rep.exit',
      logs: { out: 'logs/rep.log', err: 'logs/rep.log' },
      tasks: null,
      jobName: null,
      params: { title: 'Results' },
      environment: { kind: 'system', image: null, modules: [] },
      resources: { cpus: 1, memoryMb: 2048, timeMinutes: 30, gpus: 0, partition: null, qos: null, cpusRaisedFrom: null },
    });
    expect(manifest.estimate).toEqual({ coreHours: 1.5, gpuHours: 0, jobs: 3, tasks: 3 });
    expect(manifest.python?.modules).toMatchObject([{ import: 'json', usedBy: ['src'] }]);
    expect(assets.map((a) => a.path)).toEqual(['blocks/source/make.py', 'blocks/train/train.py', 'blocks/report/report.py', 'lib/python/fluxo_block.py']);
    expect(files.map((f) => f.path)).toEqual(['README.txt', 'manifest.json', 'ro-crate-metadata.json', 'run.sh', 'steps/01-src.sh', 'steps/02-fit.sh', 'steps/03-rep.sh']);
  });

  it('refuses an invalid pipeline with the validation problems, and a cluster-only block with the target problem', () => {
    const doc = pipeline();
    doc.connections.pop();
    const result = compile(doc, catalog, LOCAL);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problems[0]?.code).toBe('V005');
    const gpu = compile(gpuSweepPipeline(), catalog, LOCAL);
    expect(gpu.ok).toBe(false);
    if (!gpu.ok) expect(gpu.problems.map((p) => [p.code, p.message])).toEqual([['T001', 'Fine-tune needs a cluster: training it takes data-centre GPUs; choose a cluster target']]);
  });

  it('produces scripts that bash parses and shellcheck accepts, sweeps and fan-in included', () => {
    expectLintClean(compiled(pipeline()));
    const doc = gpuSweepPipeline();
    doc.steps = doc.steps.filter((s) => s.id !== 'tune');
    doc.connections = doc.connections.filter((c) => c.from.step !== 'tune' && c.to.step !== 'tune');
    expectLintClean(compiled(doc));
  });
});

/** The GPU sweep pipeline without its GPU step, which "This computer" refuses. */
function localSweep(): PipelineDocument {
  const doc = gpuSweepPipeline();
  doc.steps = doc.steps.filter((s) => s.id !== 'tune');
  doc.connections = doc.connections.filter((c) => c.from.step !== 'tune' && c.to.step !== 'tune');
  return doc;
}

describe('sweeps, inherited sweeps and fan-in', () => {
  it('plans the grid as tasks: own sweep, inherited task by task, collected by a multiple input', () => {
    const { manifest } = compiled(localSweep());
    const fit = manifest.steps.find((s) => s.id === 'fit')!;
    expect(fit.tasks).toEqual({
      count: 4,
      maxParallel: 2,
      sweepOf: 'fit',
      points: [
        { rate: 0.1, trees: 10 },
        { rate: 0.1, trees: 20 },
        { rate: 0.2, trees: 10 },
        { rate: 0.2, trees: 20 },
      ],
    });
    expect(fit.params).toEqual({ model: 'rf', verbose: false });
    expect(fit.outputs.map((o) => [o.path, o.task])).toEqual([0, 1, 2, 3].map((i) => [`steps/fit/task-${i}/model.joblib`, i]));
    expect(fit).toMatchObject({ marker: 'logs/fit_{task}.exit', logs: { out: 'logs/fit_{task}.log' } });
    const rep = manifest.steps.find((s) => s.id === 'rep')!;
    expect(rep.tasks).toMatchObject({ count: 4, sweepOf: 'fit', points: [{ 'fit.rate': 0.1, 'fit.trees': 10 }, {}, {}, {}] });
    expect(rep.dependencies).toEqual([{ step: 'fit', mode: 'each' }]);
    const all = manifest.steps.find((s) => s.id === 'all')!;
    expect(all.tasks).toBeNull();
    expect(all.dependencies).toEqual([{ step: 'fit', mode: 'all' }]);
    expect(manifest.estimate).toEqual({ coreHours: 5, gpuHours: 0, jobs: 4, tasks: 10 });
  });

  it('runs every task with run.sh: task folders, fluxo-task.json, task-by-task inputs, fan-in paths in task order, markers and logs', () => {
    const bundle = compiled(localSweep());
    const run = freshDir('run');
    const bundleDir = path.join(run, 'bundle');
    writeOut(bundle, bundleDir);
    installBlocks(bundle, bundleDir);
    const out = execFileSync('bash', [path.join(bundleDir, 'run.sh')], { env: { ...process.env, FLUXO_PYTHON: python }, encoding: 'utf8' });
    expect(out).toContain('All steps completed.');
    for (let i = 0; i < 4; i++) {
      const point = bundle.manifest.steps.find((s) => s.id === 'fit')!.tasks!.points[i];
      expect(readFileSync(path.join(run, `steps/fit/task-${i}/fluxo-task.json`), 'utf8')).toBe(`${JSON.stringify({ task: i, params: point })}\n`);
      const fitArgv = readJson<string[]>(path.join(run, `steps/fit/task-${i}/argv.json`));
      expect(fitArgv.slice(fitArgv.indexOf('--trees'), fitArgv.indexOf('--trees') + 4)).toEqual(['--trees', String(point!.trees), '--rate', String(point!.rate)]);
      const repArgv = readJson<string[]>(path.join(run, `steps/rep/task-${i}/argv.json`));
      expect(repArgv[repArgv.indexOf('--model') + 1]).toBe(path.join(run, `steps/fit/task-${i}/model.joblib`));
      expect(readFileSync(path.join(run, `logs/fit_${i}.exit`), 'utf8')).toBe('0\n');
      expect(existsSync(path.join(run, `logs/rep_${i}.log`))).toBe(true);
    }
    const allArgv = readJson<string[]>(path.join(run, 'steps/all/argv.json'));
    const models = allArgv.slice(allArgv.indexOf('--models') + 1, allArgv.indexOf('--metric'));
    expect(models).toEqual([0, 1, 2, 3].map((i) => path.join(run, `steps/fit/task-${i}/model.joblib`)));
    expect(readFileSync(path.join(run, 'logs/all.exit'), 'utf8')).toBe('0\n');
    expect(readdirSync(path.join(run, 'logs')).filter((f) => f.endsWith('.exit')).sort()).toEqual(
      ['all.exit', 'src.exit', ...[0, 1, 2, 3].flatMap((i) => [`fit_${i}.exit`, `rep_${i}.exit`])].sort(),
    );
  });

  it('gives a multiple input fed by several steps each connection’s paths in connection order, one path for a step that runs once', () => {
    const doc = localSweep();
    doc.steps.push({ id: 'fit2', type: 'train', version: 2, label: '', params: { rate: 0.3 }, position: { x: 0, y: 0 } });
    doc.connections.push({ from: { step: 'src', port: 'table' }, to: { step: 'fit2', port: 'data' } });
    // fit2 first, then the four tasks of fit.
    doc.connections.splice(2, 0, { from: { step: 'fit2', port: 'model' }, to: { step: 'all', port: 'models' } });
    const script = file(compiled(doc), 'all');
    expect(script).toContain(
      [
        '  --models "${FLUXO_RUN}/steps/fit2/model.joblib" \\',
        '  "${FLUXO_RUN}/steps/fit/task-0/model.joblib" \\',
        '  "${FLUXO_RUN}/steps/fit/task-1/model.joblib" \\',
        '  "${FLUXO_RUN}/steps/fit/task-2/model.joblib" \\',
        '  "${FLUXO_RUN}/steps/fit/task-3/model.joblib" \\',
        "  --metric 'auc' \\",
      ].join('\n'),
    );
  });

  it('stops with a clear message on a task index the step does not have', () => {
    const bundle = compiled(localSweep());
    const run = freshDir('badtask');
    writeOut(bundle, path.join(run, 'bundle'));
    installBlocks(bundle, path.join(run, 'bundle'));
    const fit = bundle.manifest.steps.find((s) => s.id === 'fit')!;
    const r = spawnSync('bash', [path.join(run, 'bundle', fit.script)], { env: { ...process.env, FLUXO_PYTHON: python, FLUXO_TASK: '7' }, encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('error: this step has 4 tasks (0 to 3); there is no task 7');
    expect(readFileSync(path.join(run, 'logs/fit_7.exit'), 'utf8')).toBe('2\n');
    const nan = spawnSync('bash', [path.join(run, 'bundle', fit.script)], { env: { ...process.env, FLUXO_TASK: '../1' }, encoding: 'utf8' });
    expect(nan.status).toBe(2);
    expect(nan.stderr).toContain("the task number must be a whole number, not '../1'");
  });
});

describe('the final-state marker', () => {
  it('records the exit code of a failing step, and 143 when the step is terminated', async () => {
    const bundle = compiled(pipeline());
    const run = freshDir('marker');
    writeOut(bundle, path.join(run, 'bundle'));
    installBlocks(bundle, path.join(run, 'bundle'));
    const src = bundle.manifest.steps[0]!;
    const failed = spawnSync('bash', [path.join(run, 'bundle', src.script)], { env: { ...process.env, FLUXO_PYTHON: python, RECORDER_EXIT: '3' } });
    expect(failed.status).toBe(3);
    expect(readFileSync(path.join(run, 'logs/src.exit'), 'utf8')).toBe('3\n');

    // A stand-in interpreter that sleeps, so the step is still running when TERM arrives.
    const sleeper = path.join(run, 'sleeper.sh');
    writeFileSync(sleeper, '#!/bin/bash\nsleep 30\n', { mode: 0o755 });
    const { spawn } = await import('node:child_process');
    const child = spawn('bash', [path.join(run, 'bundle', src.script)], { env: { ...process.env, FLUXO_PYTHON: sleeper }, detached: true, stdio: 'ignore' });
    const started = Date.now();
    while (!existsSync(path.join(run, 'steps/src')) && Date.now() - started < 10_000) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 200));
    // Like Slurm and the local executor: TERM to the whole process group.
    process.kill(-child.pid!, 'SIGTERM');
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    expect(code).toBe(143);
    expect(readFileSync(path.join(run, 'logs/src.exit'), 'utf8')).toBe('143\n');
    expect(readdirSync(path.join(run, 'logs')).filter((f) => f.includes('.tmp'))).toEqual([]);
  });
});

describe('compile for Slurm', () => {
  const ft3 = shippedProfile('cesga-ft3') as SlurmProfile;
  const lumi = shippedProfile('lumi') as SlurmProfile;
  const leonardo = shippedProfile('leonardo') as SlurmProfile;
  const lab = shippedProfile('lab') as SlurmProfile;

  it('matches the golden bundles for FinisTerrae III and LUMI (UPDATE_GOLDEN=1 rewrites them)', () => {
    expectGolden(compiled(gpuSweepPipeline(), ft3, { account: 'curso123' }), path.join(GOLDEN, 'gpu-sweep-cesga-ft3'));
    expectGolden(compiled(gpuSweepPipeline(), lumi, { account: 'project_465000123' }), path.join(GOLDEN, 'gpu-sweep-lumi'));
  });

  it('writes the #SBATCH block: names, logs, CPUs, memory, time, partition, account, QoS, reservation, array', () => {
    const bundle = compiled(gpuSweepPipeline(), ft3, { account: 'curso123', qos: 'short', reservation: 'course_2026' });
    const fit = file(bundle, 'fit');
    expect(fit).toContain(
      [
        '#SBATCH --job-name=fluxo-fit',
        '#SBATCH --output=logs/fit_%a.out',
        '#SBATCH --error=logs/fit_%a.err',
        '#SBATCH --nodes=1',
        '#SBATCH --ntasks=1',
        '#SBATCH --cpus-per-task=1',
        '#SBATCH --mem=2048M',
        '#SBATCH --time=0-00:30:00',
        '#SBATCH --partition=short',
        '#SBATCH --account=curso123',
        '#SBATCH --qos=short',
        '#SBATCH --reservation=course_2026',
        '#SBATCH --array=0-3%2',
        '',
        'set -euo pipefail',
      ].join('\n'),
    );
    const src = file(bundle, 'src');
    expect(src).toContain('#SBATCH --output=logs/src.out\n#SBATCH --error=logs/src.err\n');
    expect(src).not.toContain('--array');
    const step = bundle.manifest.steps.find((s) => s.id === 'fit')!;
    expect(step).toMatchObject({ jobName: 'fluxo-fit', marker: 'logs/fit_{task}.exit', logs: { out: 'logs/fit_{task}.out', err: 'logs/fit_{task}.err' } });
    expect(bundle.manifest).toMatchObject({ targetKind: 'slurm', account: 'curso123', qos: 'short', reservation: 'course_2026', entry: { run: null, submit: 'submit.sh', cancel: 'cancel.sh' }, slurm: { jobs: 'jobs.tsv', submitted: '.fluxo-submitted' } });
  });

  it('requests GPUs in each profile’s syntax and raises CPUs to the cores per GPU, saying so', () => {
    const tune = (target: SlurmProfile, options: CompileOptions = { account: 'p1' }) => file(compiled(gpuSweepPipeline(), target, options), 'tune');
    expect(tune(ft3)).toContain('#SBATCH --partition=gpu\n#SBATCH --account=p1\n#SBATCH --gres=gpu:a100:2\n');
    expect(tune(ft3)).toContain('# CPUs: 64, not the 4 the step asks for: CESGA FinisTerrae III gives 32 cores per GPU (x 2 GPUs).');
    expect(tune(ft3)).toContain('#SBATCH --cpus-per-task=64\n');
    expect(tune(leonardo)).toContain('#SBATCH --partition=boost_usr_prod\n#SBATCH --account=p1\n#SBATCH --gres=gpu:2\n');
    expect(tune(lumi)).toContain('#SBATCH --partition=small-g\n#SBATCH --account=p1\n#SBATCH --gpus-per-node=2\n');
    expect(tune(lumi)).toContain('#SBATCH --cpus-per-task=14\n');
    const b = compiled(gpuSweepPipeline(), ft3, { account: 'p1' });
    expect(b.manifest.steps.find((s) => s.id === 'tune')!.resources).toEqual({ cpus: 64, memoryMb: 16000, timeMinutes: 60, gpus: 2, partition: 'gpu', qos: null, cpusRaisedFrom: 4 });
    // fit: 4 tasks x 1 CPU x 0.5 h; rep 4 x 1 x 0.5; src 0.5; all 0.5; tune 64 x 1 h and 2 GPUs x 1 h.
    expect(b.manifest.estimate).toEqual({ coreHours: 69, gpuHours: 2, jobs: 5, tasks: 11 });
  });

  it('sets up the software: a container with --nv on NVIDIA, the AMD image with --rocm on LUMI, under srun with torchrun', () => {
    const onFt3 = file(compiled(gpuSweepPipeline(), ft3, { account: 'p1' }), 'tune');
    expect(onFt3).toContain('set +u\nmodule load singularity\nset -u\n');
    expect(onFt3).toContain('export APPTAINER_CACHEDIR="$STORE/.apptainer-cache"\nexport SINGULARITY_CACHEDIR="${APPTAINER_CACHEDIR}"\n');
    expect(onFt3).toContain(
      [
        'srun --nodes=1 --ntasks=1 --cpus-per-task=64 \\',
        '  singularity exec "${fluxo_bind[@]}" --nv "${FLUXO_IMAGE}" \\',
        '  torchrun --standalone --nnodes=1 --nproc_per_node=2 \\',
        '  "${FLUXO_BUNDLE}/blocks/finetune/finetune.py" \\',
      ].join('\n'),
    );
    expect(onFt3).toContain("if [ ! -f \"${FLUXO_IMAGE}\" ]; then FLUXO_IMAGE='docker://nvcr.io/nvidia/pytorch:24.01-py3'; fi");
    const onLumi = compiled(gpuSweepPipeline(), lumi, { account: 'p1' });
    expect(file(onLumi, 'tune')).toContain('  singularity exec "${fluxo_bind[@]}" --rocm "${FLUXO_IMAGE}" \\');
    expect(file(onLumi, 'tune')).not.toContain('module load');
    expect(onLumi.manifest.steps.find((s) => s.id === 'tune')!.environment).toMatchObject({ kind: 'container', image: 'docker://rocm/pytorch:rocm6.0_ubuntu22.04_py3.10_pytorch_2.1.1', runtime: 'singularity', gpuFlag: '--rocm', pulledImage: 'rocm_pytorch_rocm6.0_ubuntu22.04_py3.10_pytorch_2.1.1.sif' });
    // A CPU step in a container: no GPU flag, no srun, python3 of the image.
    const src = file(onLumi, 'src');
    expect(src).toContain("singularity exec \"${fluxo_bind[@]}\" \"${FLUXO_IMAGE}\" \\\n  python3 \\\n");
    expect(src).not.toContain('srun');
  });

  it('loads modules (base modules first) when the profile maps the packages, with -u paused', () => {
    const withModules: SlurmProfile = { ...ft3, modules: { kind: 'lmod', base: ['cesga/2022'], packages: { pytorch: ['gcc/12', 'pytorch/2.1'] } } };
    const b = compiled(gpuSweepPipeline(), withModules, { account: 'p1' });
    const tune = file(b, 'tune');
    expect(tune).toContain('# Software: environment modules, loaded in this order: cesga/2022, gcc/12, pytorch/2.1. Python is the python3 they provide.');
    expect(tune).toContain('set +u\nmodule load cesga/2022 gcc/12 pytorch/2.1\nset -u\n');
    expect(tune).toContain('srun --nodes=1 --ntasks=1 --cpus-per-task=64 \\\n  torchrun --standalone');
    expect(b.manifest.steps.find((s) => s.id === 'tune')!.environment).toMatchObject({ kind: 'modules', modules: ['cesga/2022', 'gcc/12', 'pytorch/2.1'], image: null });
    expectLintClean(b);
  });

  it('activates conda from `conda info --base` after loading its module', () => {
    const src = file(compiled(gpuSweepPipeline(), ft3, { account: 'p1' }), 'src');
    expect(src).toContain(
      ['set +u', 'module load miniconda3', 'set -u', "# conda's activation scripts read unset variables, so -u is paused around them.", 'set +u', 'fluxo_conda_base="$(conda info --base)"', '# shellcheck source=/dev/null', '. "${fluxo_conda_base}/etc/profile.d/conda.sh"', "conda activate 'fluxo-data'", 'set -u'].join('\n'),
    );
  });

  it('starts accelerate with one process per GPU, and plain python when the step has no GPUs', () => {
    const accel = testCatalog();
    const block = accel.blocks.find((b) => b.id === 'finetune')!;
    block.software.launcher = 'accelerate';
    const doc = gpuSweepPipeline();
    const r = compile(doc, accel, lumi, { account: 'p1' });
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    expect(file(r.bundle, 'tune')).toContain('  accelerate launch --num_processes=2 --num_machines=1 \\\n');
    block.requires.gpus = 0;
    doc.steps.find((s) => s.id === 'tune')!.resources = { gpus: 0 };
    const cpu = compile(doc, accel, lumi, { account: 'p1' });
    if (!cpu.ok) throw new Error(JSON.stringify(cpu.problems));
    const tune = file(cpu.bundle, 'tune');
    expect(tune).not.toContain('srun');
    expect(tune).not.toContain('accelerate');
    expect(tune).not.toContain('--rocm');
    expect(tune).toContain('#SBATCH --partition=small\n');
    expect(tune).toContain('"${FLUXO_IMAGE}" \\\n  python3 \\\n');
  });

  it('writes scripts that bash parses and shellcheck accepts on every profile that compiles the pipeline', () => {
    for (const target of [ft3, lumi, leonardo, shippedProfile('marenostrum5') as SlurmProfile]) {
      expectLintClean(compiled(gpuSweepPipeline(), target, { account: 'ehpc01', qos: target.qos.known[0] ?? null }));
    }
    expectLintClean(compiled(localSweep(), lab));
  });

  it('makes a Slurm step script insist on FLUXO_RUN and FLUXO_BUNDLE, since Slurm runs a copy of it', () => {
    const bundle = compiled(localSweep(), lab);
    const dir = freshDir('norun');
    writeOut(bundle, dir);
    const r = spawnSync('bash', [path.join(dir, bundle.manifest.steps[0]!.script)], { env: { PATH: process.env.PATH }, encoding: 'utf8' });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('FLUXO_RUN: is not set; submit this step with submit.sh, which exports it');
    expect(file(bundle, 'src')).not.toContain('BASH_SOURCE');
  });

  it('runs an array task of a Slurm script under plain bash with SLURM_ARRAY_TASK_ID', () => {
    const bundle = compiled(localSweep(), lab);
    const run = freshDir('slurmtask');
    const bundleDir = path.join(run, 'bundle');
    writeOut(bundle, bundleDir);
    installBlocks(bundle, bundleDir);
    const fit = bundle.manifest.steps.find((s) => s.id === 'fit')!;
    execFileSync('bash', [path.join(bundleDir, fit.script)], { env: { ...process.env, FLUXO_RUN: run, FLUXO_BUNDLE: bundleDir, FLUXO_PYTHON: python, SLURM_ARRAY_TASK_ID: '2', FLUXO_TASK: '0' } });
    expect(readJson<{ task: number }>(path.join(run, 'steps/fit/task-2/fluxo-task.json'))).toEqual({ task: 2, params: { rate: 0.2, trees: 10 } });
    expect(readFileSync(path.join(run, 'logs/fit_2.exit'), 'utf8')).toBe('0\n');
  });
});

/**
 * Stand-ins for sbatch, scancel and squeue: real Slurm needs the cluster lab (test/cluster), which
 * test/integration/slurm.test.ts uses. These record each call and answer like Slurm does.
 */
function fakeSlurm(dir: string, options: { failOn?: string; cluster?: boolean } = {}): { bin: string; calls: () => string[] } {
  const bin = path.join(dir, 'fake-bin');
  mkdirSync(bin, { recursive: true });
  const log = path.join(dir, 'slurm-calls.log');
  writeFileSync(
    path.join(bin, 'sbatch'),
    `#!/bin/bash
printf 'sbatch %s\\n' "$*" >>'${log}'
script="\${!#}"
${options.failOn ? `if [[ "$script" == *'${options.failOn}'* ]]; then echo "sbatch: error: Batch job submission failed: Invalid account or account/partition combination specified" >&2; exit 1; fi` : ''}
n=$(( $(grep -c '^sbatch' '${log}') + 1000 ))
echo "$n${options.cluster ? ';lab' : ''}"
`,
  );
  writeFileSync(path.join(bin, 'scancel'), `#!/bin/bash\nprintf 'scancel %s\\n' "$*" >>'${log}'\n`);
  writeFileSync(path.join(bin, 'squeue'), `#!/bin/bash\nprintf 'squeue %s\\n' "$*" >>'${log}'\n`);
  for (const f of ['sbatch', 'scancel', 'squeue']) chmodSync(path.join(bin, f), 0o755);
  return { bin, calls: () => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : []) };
}

describe('submit.sh and cancel.sh', () => {
  const lab = shippedProfile('lab') as SlurmProfile;

  function prepared(name: string, options: { failOn?: string; cluster?: boolean } = {}) {
    const bundle = compiled(localSweep(), lab);
    const run = freshDir(name);
    const bundleDir = path.join(run, 'bundle');
    writeOut(bundle, bundleDir);
    const slurm = fakeSlurm(path.join(run, '..', `${path.basename(run)}-slurm`), options);
    const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${slurm.bin}:${process.env.PATH}` };
    delete env.FLUXO_RUN;
    delete env.FLUXO_BUNDLE;
    return { bundle, run, bundleDir, slurm, env };
  }

  it('submits every step in order with afterok/aftercorr dependencies, records job ids, and never submits twice', () => {
    const { run, bundleDir, slurm, env } = prepared('submit', { cluster: true });
    const first = spawnSync('bash', [path.join(bundleDir, 'submit.sh')], { env, encoding: 'utf8', cwd: os.tmpdir() });
    expect(first.stderr).toBe('');
    expect(first.status).toBe(0);
    const common = `--parsable --export=ALL --chdir=${run} --kill-on-invalid-dep=yes`;
    expect(slurm.calls()).toEqual([
      `sbatch ${common} ${bundleDir}/steps/01-src.sh`,
      `sbatch ${common} --dependency=afterok:1001 ${bundleDir}/steps/02-fit.sh`,
      `sbatch ${common} --dependency=aftercorr:1002 ${bundleDir}/steps/03-rep.sh`,
      `sbatch ${common} --dependency=afterok:1002 ${bundleDir}/steps/04-all.sh`,
    ]);
    const jobs = readFileSync(path.join(run, 'jobs.tsv'), 'utf8').trim().split('\n');
    expect(jobs[0]).toBe('step\tjob\tsubmitted');
    expect(jobs.slice(1).map((l) => l.split('\t').slice(0, 2))).toEqual([
      ['src', '1001'],
      ['fit', '1002'],
      ['rep', '1003'],
      ['all', '1004'],
    ]);
    for (const l of jobs.slice(1)) expect(l.split('\t')[2]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(readFileSync(path.join(run, '.fluxo-submitted'), 'utf8')).toBe('submitted 4 jobs\n');
    expect(existsSync(path.join(run, 'logs'))).toBe(true);
    expect(existsSync(path.join(run, '.fluxo-submitting'))).toBe(false);

    const again = spawnSync('bash', [path.join(bundleDir, 'submit.sh')], { env, encoding: 'utf8' });
    expect(again.status).toBe(0);
    expect(again.stdout).toContain('already submitted');
    expect(again.stdout).toContain('fit\t1002');
    expect(slurm.calls()).toHaveLength(4);

    const cancel = spawnSync('bash', [path.join(bundleDir, 'cancel.sh')], { env, encoding: 'utf8' });
    expect(cancel.status).toBe(0);
    expect(slurm.calls().slice(4)).toEqual(['scancel 1001 1002 1003 1004', "squeue -h -t all -j 1001,1002,1003,1004 -o %i %T %r"]);
  });

  it('cancels what it already submitted and exits with sbatch’s message when a submission fails midway', () => {
    const { run, bundleDir, slurm, env } = prepared('submitfail', { failOn: '03-rep' });
    const r = spawnSync('bash', [path.join(bundleDir, 'submit.sh')], { env, encoding: 'utf8' });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('error: sbatch refused step rep: sbatch: error: Batch job submission failed: Invalid account');
    expect(r.stderr).toContain('Cancelling the 2 job(s) already submitted: 1001 1002');
    expect(slurm.calls().at(-1)).toBe('scancel 1001 1002');
    expect(existsSync(path.join(run, '.fluxo-submitted'))).toBe(false);
    expect(existsSync(path.join(run, '.fluxo-submitting'))).toBe(false);
    // The ids were written as soon as they were known.
    expect(readFileSync(path.join(run, 'jobs.tsv'), 'utf8')).toMatch(/^step\tjob\tsubmitted\nsrc\t1001\t\S+\nfit\t1002\t\S+\n$/);
  });

  it('uses FLUXO_RUN when set, and says where to run it when sbatch is missing', () => {
    const { bundleDir, env } = prepared('norun');
    const elsewhere = freshDir('elsewhere');
    const r = spawnSync('bash', [path.join(bundleDir, 'submit.sh')], { env: { ...env, FLUXO_RUN: elsewhere }, encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(existsSync(path.join(elsewhere, 'jobs.tsv'))).toBe(true);
    // A PATH with the ordinary tools submit.sh uses and no Slurm at all, like a laptop.
    const tools = freshDir('no-slurm-bin');
    for (const t of ['bash', 'dirname', 'mkdir', 'tail', 'cat', 'mktemp', 'rm', 'rmdir', 'date', 'mv']) {
      const where = spawnSync('bash', ['-c', `command -v ${t}`], { encoding: 'utf8' }).stdout.trim();
      symlinkSync(where, path.join(tools, t));
    }
    const bare = spawnSync(path.join(tools, 'bash'), [path.join(bundleDir, 'submit.sh')], { env: { PATH: tools }, encoding: 'utf8' });
    expect(bare.stderr).toBe('error: sbatch is not available here; run submit.sh on a login node of Test cluster (loopback) (127.0.0.1)\n');
    expect(bare.status).toBe(1);
  });
});

describe('quoting', () => {
  it('single-quotes values, escaping quotes the POSIX way', () => {
    expect(quoteValue("it's")).toBe(`'it'\\''s'`);
    expect(quoteValue('')).toBe("''");
    expect(() => quoteValue('a\0b')).toThrow(/NUL/);
  });

  it('keeps variables and safe path text together in double quotes, values single-quoted', () => {
    expect(renderWord([{ kind: 'var', name: 'FLUXO_RUN' }, { kind: 'text', text: '/steps/a/t.csv' }])).toBe('"${FLUXO_RUN}/steps/a/t.csv"');
    expect(renderWord([{ kind: 'text', text: '--model=' }, { kind: 'value', value: 'rf' }])).toBe("--model='rf'");
    expect(renderWord([{ kind: 'text', text: '$(x)' }])).toBe("'$(x)'");
  });

  it('writes values with control characters as $\'...\' escapes, so every value stays on one line', () => {
    expect(quoteValue('a\nb')).toBe("$'a\\nb'");
    expect(quoteValue("it's\t\\x41\u001b")).toBe("$'it\\'s\\t\\\\x41\\x1b'");
    expect(quoteValue('ünï 🧬')).toBe("'ünï 🧬'");
  });

  it('passes 20,000 generated strings, control characters included, through bash unchanged', () => {
    // A seeded generator, so a failure can be reproduced.
    let seed = 20260101;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const pieces = ["'", '"', '\\', '$(', ')', '`', ';', '&&', '||', '\n', '\t', '\r', ' ', '#', '$HOME', '${x}', '*', '?', '[a]', '~', '!', '%', '\u001b', '\u007f', 'é', '🧬', '\u2028', 'a', 'Z', '0', '-', '=', '{', '}', '<', '>', '|', '\\n'];
    const values: string[] = [];
    for (let i = 0; i < 20_000; i++) {
      const len = i % 1000 === 0 ? 10_000 : rand(24);
      let v = '';
      while (v.length < len) v += i % 7 === 0 ? String.fromCharCode(1 + rand(0x7f)) : pieces[rand(pieces.length)];
      values.push(v);
    }
    const dir = freshDir('fuzz');
    const out = path.join(dir, 'out.bin');
    const script = [`exec >'${out}'`, ...values.map((v) => `printf '%s\\0' ${quoteValue(v)}`)].join('\n');
    writeFileSync(path.join(dir, 'fuzz.sh'), script);
    execFileSync('bash', [path.join(dir, 'fuzz.sh')], { maxBuffer: 1 << 20 });
    const got = readFileSync(out, 'utf8').split('\0').slice(0, -1);
    expect(got.length).toBe(values.length);
    const mismatches = values.filter((v, i) => got[i] !== v);
    expect(mismatches).toEqual([]);
  });

  it('turns a multi-line pipeline name into one comment line', () => {
    expect(commentText('Name\nrm -rf ~\r\n# x')).toBe('Name rm -rf ~ # x');
  });
});

describe('hostile values reach the program byte for byte', () => {
  const HOSTILE = [
    "'; touch INJECTED; echo '",
    '$(touch INJECTED)',
    '`touch INJECTED`',
    'a\nb\n#SBATCH --x',
    '"double" \\ back $HOME * ? [a] ~ & | ; < > && || $((1+1)) ${PATH}',
    '# not a comment',
    'ünïcødé 🧬 \u2028 \t tab',
    '\n\nleading and trailing newlines\n\n',
    '',
    '-not-a-flag',
  ];
  const ECHO = `import json, sys\nargs = sys.argv[1:]\nopen(args[args.index('--out') + 1], 'w', encoding='utf-8', newline='').write(json.dumps(args))\n`;

  function hostileDoc(sweep: boolean): PipelineDocument {
    const doc = createEmptyDocument('Evil\n#SBATCH --wrap=x\n$(touch INJECTED)', new Date('2026-01-01T00:00:00Z'));
    doc.steps.push({ id: 'echo', type: 'echo', version: 1, label: "Label'$(touch INJECTED)\n", params: { text: HOSTILE[0]!, count: 2 }, ...(sweep ? { sweep: { values: { text: HOSTILE } } } : {}), position: { x: 0, y: 0 } });
    return doc;
  }

  function runEcho(target: TargetProfile, value: string | null): void {
    const bundle = compiled(hostileDoc(value === null), target);
    const run = freshDir('hostile');
    const bundleDir = path.join(run, 'bundle');
    writeOut(bundle, bundleDir);
    mkdirSync(path.join(bundleDir, 'blocks/echo'), { recursive: true });
    writeFileSync(path.join(bundleDir, 'blocks/echo/echo.py'), ECHO);
    const script = path.join(bundleDir, bundle.manifest.steps[0]!.script);
    const env = { ...process.env, FLUXO_PYTHON: python, FLUXO_RUN: run, FLUXO_BUNDLE: bundleDir };
    const values = value === null ? HOSTILE : [value];
    values.forEach((v, i) => {
      execFileSync('bash', [script], { cwd: run, env: { ...env, FLUXO_TASK: String(i) } });
      const argv = readJson<string[]>(path.join(run, value === null ? `steps/echo/task-${i}/args.json` : 'steps/echo/args.json'));
      expect(argv[argv.indexOf('--text') + 1]).toBe(v);
      expect(argv).toContain('--count=2');
      expect(argv[argv.indexOf('--outdir') + 1]).toBe(path.join(run, value === null ? `steps/echo/task-${i}` : 'steps/echo'));
      if (value === null) expect(readJson<{ params: { text: string } }>(path.join(run, `steps/echo/task-${i}/fluxo-task.json`)).params.text).toBe(v);
    });
    const all = readdirSync(run, { recursive: true }).map(String);
    expect(all.filter((f) => f.includes('INJECTED'))).toEqual([]);
  }

  it('through a plain step on this computer', () => {
    runEcho(LOCAL, HOSTILE[0]!);
    for (const v of HOSTILE.slice(1)) {
      const doc = hostileDoc(false);
      doc.steps[0]!.params.text = v;
      const bundle = compiled(doc);
      const run = freshDir('hostile-plain');
      writeOut(bundle, path.join(run, 'bundle'));
      mkdirSync(path.join(run, 'bundle/blocks/echo'), { recursive: true });
      writeFileSync(path.join(run, 'bundle/blocks/echo/echo.py'), ECHO);
      execFileSync('bash', [path.join(run, 'bundle', bundle.manifest.steps[0]!.script)], { cwd: run, env: { ...process.env, FLUXO_PYTHON: python } });
      const argv = readJson<string[]>(path.join(run, 'steps/echo/args.json'));
      expect(argv[argv.indexOf('--text') + 1]).toBe(v);
      expect(readdirSync(run, { recursive: true }).map(String).filter((f) => f.includes('INJECTED'))).toEqual([]);
    }
  });

  it('through every task of a sweep, on this computer and in a Slurm script', () => {
    runEcho(LOCAL, null);
    runEcho(shippedProfile('lab'), null);
  });

  it('keeps the header comments to one line each, however the names are written', () => {
    const script = file(compiled(hostileDoc(true), shippedProfile('lab')), 'echo');
    const header = script.split('\n#SBATCH')[0]!;
    for (const line of header.split('\n').slice(1)) expect(line.startsWith('#'), line).toBe(true);
    // sbatch reads directives only up to the first command; no value may put a line starting with #SBATCH anywhere.
    const prologue = script.slice(0, script.indexOf('\nset -euo pipefail\n'));
    const directives = script.split('\n').filter((l) => l.startsWith('#SBATCH'));
    expect(directives).toEqual(prologue.split('\n').filter((l) => l.startsWith('#SBATCH')));
    expect(directives).toHaveLength(10);
    for (const d of directives) expect(d).toMatch(/^#SBATCH --[a-z-]+=[A-Za-z0-9_%./:-]+$/);
  });
});
