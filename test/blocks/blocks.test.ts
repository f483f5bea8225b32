/**
 * The built-in blocks (resources/blocks) and the first example pipeline (resources/examples).
 *
 * The catalog part is pure and always runs. The Python part runs every block script for real,
 * chained as in the example pipeline, with the argv its block.yaml template produces. It needs a
 * Python 3 with scikit-learn, pandas and matplotlib: FLUXO_PYTHON when set, else /usr/bin/python3,
 * else python3 on PATH; without one those tests are skipped with a printed reason.
 *
 * The scripts import Fluxo's shared helpers (resources/runtime/python/fluxo_block.py), which a
 * bundle ships in lib/python and its step scripts put first on PYTHONPATH; here every script runs
 * with that folder first on PYTHONPATH, and the helpers get tests of their own.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ParamValue, PipelineDocument } from '../../shared/document';
import { parseDocument, serializeDocument } from '../../shared/document';
import { validatePipeline } from '../../shared/validate';
import type { StepRun } from './harness';
import {
  BLOCKS_DIR,
  EXAMPLES_DIR,
  EXAMPLE_FILE,
  RUNTIME_FILE,
  THIRD_PARTY,
  STDLIB,
  RUNTIME_MODULES,
  PNG_SIGNATURE,
  blockOf,
  pythonImports,
  templateFlags,
  expandCommand,
  pythonEnv,
  runBlock,
  findPython,
  catalog,
  readCsv,
  column,
  share,
  expectError,
} from './harness';


/**
 * Modules a block uses only for one option a user may pick, where they are installed: imported
 * inside the function of that option (so the block's other options work without them) and not
 * declared (a declared module is required before every run of the block). The option itself stops
 * with the install command when the module is missing. xgboost: the "XGBoost" model of Train
 * classifier and Cross-validate, imported by fluxo_block.make_classifier.
 */
const OPTIONAL_MODULES = new Set(['xgboost']);

describe('block definitions', () => {
  it('load into the catalog with zero problems, every block folder included', () => {
    expect(catalog.problems).toEqual([]);
    const folders = fs.readdirSync(BLOCKS_DIR, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
    expect(catalog.blocks.map((b) => b.id).sort()).toEqual(folders);
  });

  it('each have a test of their own that runs them', () => {
    // A block is tested when some test file under test/blocks runs it by id (runBlock(blockOf(catalog, 'id'), ...)).
    const testSources = fs
      .readdirSync(path.join(BLOCKS_DIR, '..', '..', 'test', 'blocks'))
      .filter((n) => n.endsWith('.test.ts'))
      .map((n) => fs.readFileSync(path.join(BLOCKS_DIR, '..', '..', 'test', 'blocks', n), 'utf8'))
      .join('\n');
    const untested = catalog.blocks.filter((b) => !testSources.includes(`'${b.id}'`)).map((b) => b.id);
    expect(untested).toEqual([]);
  });

  it('have help for the block and every param, and resources a laptop can give unless they need a cluster', () => {
    for (const b of catalog.blocks) {
      expect(b.help.length, b.id).toBeGreaterThan(100);
      for (const p of b.params) expect(p.help.length, `${b.id}.${p.id}`).toBeGreaterThan(20);
      if (b.requires.cluster) {
        expect(b.requires.reason.length, `${b.id} says why it needs a cluster`).toBeGreaterThan(20);
        continue;
      }
      expect(b.resources.gpus, b.id).toBe(0);
      expect(b.resources.cpus, b.id).toBeLessThanOrEqual(4);
      expect(b.resources.memoryMb, b.id).toBeLessThanOrEqual(8192);
    }
  });

  it('pass every param, input and output to a script that accepts the flag', () => {
    for (const b of catalog.blocks.filter((block) => block.command[0] === '{{python}}')) {
      const [, script] = b.command;
      const scriptName = script?.replace('{{block}}/', '') ?? '';
      expect(b.files).toContain(scriptName);
      const joined = b.command.join(' ');
      for (const p of b.params) expect(joined, `${b.id} param ${p.id}`).toContain(`{{params.${p.id}}}`);
      for (const p of b.inputs) expect(joined, `${b.id} input ${p.id}`).toContain(`{{inputs.${p.id}}}`);
      for (const p of b.outputs) expect(joined, `${b.id} output ${p.id}`).toContain(`{{outputs.${p.id}}}`);
      const source = fs.readFileSync(path.join(BLOCKS_DIR, b.id, scriptName), 'utf8');
      for (const flag of templateFlags(b.command)) expect(source, `${b.id} ${flag}`).toContain(`add_argument("${flag}"`);
    }
  });

  it('declare exactly the Python modules their scripts import', () => {
    for (const b of catalog.blocks.filter((block) => block.command[0] === '{{python}}')) {
      const imported = new Set<string>();
      for (const f of b.files.filter((name) => name.endsWith('.py'))) {
        for (const m of pythonImports(fs.readFileSync(path.join(BLOCKS_DIR, b.id, f), 'utf8'))) imported.add(m);
      }
      const unknown = [...imported].filter((m) => !THIRD_PARTY.has(m) && !STDLIB.has(m) && !RUNTIME_MODULES.has(m));
      expect(unknown, `${b.id} imports modules outside the allowed set`).toEqual([]);
      const declared = (b.software.python?.modules ?? []).map((m) => m.import).sort();
      expect(declared, b.id).toEqual([...imported].filter((m) => THIRD_PARTY.has(m) && !OPTIONAL_MODULES.has(m)).sort());
    }
  });

  it('import optional modules only inside the function of the option that needs them, and never declare them', () => {
    const runtime = fs.readFileSync(RUNTIME_FILE, 'utf8');
    expect([...pythonImports(runtime, true)].filter((m) => OPTIONAL_MODULES.has(m))).toEqual([]);
    for (const b of catalog.blocks.filter((block) => block.command[0] === '{{python}}')) {
      expect((b.software.python?.modules ?? []).map((m) => m.import).filter((m) => OPTIONAL_MODULES.has(m)), b.id).toEqual([]);
      for (const f of b.files.filter((name) => name.endsWith('.py'))) {
        const moduleLevel = pythonImports(fs.readFileSync(path.join(BLOCKS_DIR, b.id, f), 'utf8'), true);
        expect([...moduleLevel].filter((m) => OPTIONAL_MODULES.has(m)), `${b.id}/${f}`).toEqual([]);
      }
    }
  });

  it('import the shared helpers from fluxo_block instead of keeping copies', () => {
    const helpers = [...fs.readFileSync(RUNTIME_FILE, 'utf8').matchAll(/^def ([a-z]\w*)\(/gm)].map((m) => m[1] ?? '');
    expect(helpers).toEqual(expect.arrayContaining(['fail', 'write_atomically', 'read_table', 'parse_number']));
    for (const b of catalog.blocks.filter((block) => block.command[0] === '{{python}}')) {
      for (const f of b.files.filter((name) => name.endsWith('.py'))) {
        const source = fs.readFileSync(path.join(BLOCKS_DIR, b.id, f), 'utf8');
        expect(pythonImports(source), `${b.id}/${f}`).toContain('fluxo_block');
        for (const helper of helpers) {
          expect(source, `${b.id}/${f} defines its own ${helper}`).not.toMatch(new RegExp(`^def ${helper}\\(`, 'm'));
        }
      }
    }
  });
});

describe('fluxo_block (the Python helpers every bundle ships)', () => {
  const source = fs.readFileSync(RUNTIME_FILE, 'utf8');

  it('loads with the standard library alone and says what it is', () => {
    // Report declares no third-party module: anything heavier is imported inside the function that needs it.
    expect([...pythonImports(source, true)].filter((m) => !STDLIB.has(m))).toEqual([]);
    expect(source).toMatch(/^"""Fluxo's shared helpers for Python blocks/);
    expect(source).toContain('lib/python/fluxo_block.py');
  });
});

describe('example pipeline', () => {
  const text = fs.readFileSync(EXAMPLE_FILE, 'utf8');
  const parsed = parseDocument(text);

  it('parses, round-trips byte-identically and validates without problems', () => {
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(serializeDocument(parsed.document)).toBe(text);
    expect(validatePipeline(parsed.document, catalog)).toEqual([]);
    expect(parsed.document.steps.map((s) => s.id)).toEqual(['dataset', 'split', 'train', 'evaluate', 'report']);
    expect(parsed.document.connections).toHaveLength(7);
    expect(parsed.document.notes).toHaveLength(1);
  });

  it('is listed in index.json', () => {
    // Other examples join the index over time; this one must stay listed, first, as it is.
    const index = JSON.parse(fs.readFileSync(path.join(EXAMPLES_DIR, 'index.json'), 'utf8')) as Array<Record<string, unknown>>;
    const entry = index[0];
    expect(entry).toMatchObject({ id: 'breast-cancer-classifier', file: 'breast-cancer-classifier.fluxo', title: 'Breast cancer classifier' });
    expect(entry?.targets).toContain('local');
    expect(typeof entry?.description).toBe('string');
    expect(fs.existsSync(path.join(EXAMPLES_DIR, String(entry?.file)))).toBe(true);
    if (parsed.ok) expect(parsed.document.metadata.name).toBe(entry?.title);
  });
});

const { python, reason } = findPython();
if (!python) console.warn(`Skipping the block script tests: ${reason}`);

describe('block scripts', () => {
  let tmp = '';
  /** Outputs of the example's steps, by step id then port id. */
  const results: Record<string, StepRun> = {};
  let doc: PipelineDocument | null = null;

  const run = (blockId: string, stepDir: string, params?: Record<string, ParamValue>, inputs?: Record<string, string>): StepRun =>
    runBlock(blockOf(catalog, blockId), { python: python ?? 'python3', stepDir: path.join(tmp, stepDir), params, inputs });

  beforeAll(() => {
    if (!python) return;
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fluxo-blocks-'));
    const parsed = parseDocument(fs.readFileSync(EXAMPLE_FILE, 'utf8'));
    if (!parsed.ok) throw new Error(parsed.message);
    doc = parsed.document;
    // Steps are listed in an order where every step comes after the ones it reads from.
    for (const step of doc.steps) {
      const inputs: Record<string, string> = {};
      for (const c of doc.connections.filter((c) => c.to.step === step.id)) {
        const from = results[c.from.step]?.outputs[c.from.port];
        if (!from) throw new Error(`${c.from.step} has not run before ${step.id}`);
        inputs[c.to.port] = from;
      }
      results[step.id] = run(step.type, step.id, step.params, inputs);
    }
  }, 120_000);

  afterAll(() => {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  const succeeded = (id: string): StepRun => {
    const r = results[id];
    if (!r) throw new Error(`step ${id} did not run`);
    expect(r.stderr, `${id} stderr`).toBe('');
    expect(r.status, `${id} exit status`).toBe(0);
    return r;
  };

  it.skipIf(!python)('clinical-dataset writes the 569 breast cancer samples with a target column', () => {
    const r = succeeded('dataset');
    const table = readCsv(r.outputs.table ?? '');
    expect(table.rows).toHaveLength(569);
    expect(table.header).toHaveLength(31);
    expect(table.header.at(-1)).toBe('target');
    const target = column(table, 'target');
    expect(target.filter((v) => v === '1')).toHaveLength(212);
    expect(target.filter((v) => v === '0')).toHaveLength(357);
    expect(r.stdout).toContain('569 rows');
  });

  it.skipIf(!python)('clinical-dataset writes diabetes as a balanced binary outcome without the raw score', () => {
    const r = run('clinical-dataset', 'diabetes', { dataset: 'diabetes' });
    expect(r.status).toBe(0);
    const table = readCsv(r.outputs.table ?? '');
    expect(table.rows).toHaveLength(442);
    expect(table.header).toEqual(['age', 'sex', 'bmi', 'bp', 's1', 's2', 's3', 's4', 's5', 's6', 'target']);
    expect(new Set(column(table, 'target'))).toEqual(new Set(['0', '1']));
    expect(share(column(table, 'target'), '1')).toBeCloseTo(0.5, 1);
  });

  it.skipIf(!python)('split-train-test holds out the test fraction, stratified, and keeps every row once', () => {
    const r = succeeded('split');
    const all = readCsv(results.dataset?.outputs.table ?? '');
    const train = readCsv(r.outputs.train ?? '');
    const test = readCsv(r.outputs.test ?? '');
    expect(test.rows).toHaveLength(Math.ceil(569 * 0.25));
    expect(train.rows.length + test.rows.length).toBe(569);
    expect(train.header).toEqual(all.header);
    expect(test.header).toEqual(all.header);
    const overall = share(column(all, 'target'), '1');
    expect(Math.abs(share(column(test, 'target'), '1') - overall)).toBeLessThan(0.01);
    expect(Math.abs(share(column(train, 'target'), '1') - overall)).toBeLessThan(0.01);
    const joined = (rows: string[][]) => rows.map((row) => row.join(',')).sort();
    expect(joined([...train.rows, ...test.rows])).toEqual(joined(all.rows));
  });

  it.skipIf(!python)('split-train-test is deterministic given the seed', () => {
    const again = run('split-train-test', 'split-again', doc?.steps.find((s) => s.id === 'split')?.params, { table: results.dataset?.outputs.table ?? '' });
    expect(again.status).toBe(0);
    for (const port of ['train', 'test']) {
      expect(fs.readFileSync(again.outputs[port] ?? '', 'utf8')).toBe(fs.readFileSync(results.split?.outputs[port] ?? '', 'utf8'));
    }
  });

  it.skipIf(!python)('train-classifier saves a logistic regression without warnings', () => {
    const r = succeeded('train');
    expect(r.stdout).toContain('logistic regression');
    expect(r.stdout).not.toContain('did not fully converge');
    expect(fs.statSync(r.outputs.model ?? '').size).toBeGreaterThan(500);
  });

  it.skipIf(!python)('evaluate-classifier writes metrics, figures and predictions', () => {
    const r = succeeded('evaluate');
    const metrics = JSON.parse(fs.readFileSync(r.outputs.metrics ?? '', 'utf8')) as Record<string, unknown>;
    for (const key of ['accuracy', 'roc_auc', 'precision', 'recall', 'f1', 'n_test', 'n_positive', 'model', 'target', 'classes']) {
      expect(metrics, key).toHaveProperty(key);
    }
    const test = readCsv(results.split?.outputs.test ?? '');
    expect(metrics.n_test).toBe(test.rows.length);
    expect(metrics.n_positive).toBe(column(test, 'target').filter((v) => v === '1').length);
    expect(metrics.roc_auc).toBeGreaterThan(0.9);
    expect(metrics.accuracy).toBeGreaterThan(0.9);
    expect(metrics).toMatchObject({ model: 'logistic_regression', target: 'target', classes: [0, 1] });
    for (const key of ['accuracy', 'roc_auc', 'precision', 'recall', 'f1']) {
      const value = metrics[key] as number;
      expect(value).toBeGreaterThanOrEqual(0);
      expect(value).toBeLessThanOrEqual(1);
      expect(Math.round(value * 10_000) / 10_000).toBe(value);
    }
    for (const port of ['roc_curve', 'confusion_matrix']) {
      const png = fs.readFileSync(r.outputs[port] ?? '');
      expect(png.subarray(0, 8).equals(PNG_SIGNATURE), port).toBe(true);
      expect(png.length).toBeGreaterThan(5000);
    }
    const predictions = readCsv(r.outputs.predictions ?? '');
    expect(predictions.header).toEqual(['row', 'actual', 'predicted', 'probability_0', 'probability_1']);
    expect(predictions.rows).toHaveLength(test.rows.length);
    expect(column(predictions, 'actual')).toEqual(column(test, 'target'));
    // No temporary files left behind.
    expect(fs.readdirSync(path.dirname(r.outputs.metrics ?? '')).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it.skipIf(!python)('report embeds the metrics and figures in one page without scripts', () => {
    const r = succeeded('report');
    const page = fs.readFileSync(r.outputs.report ?? '', 'utf8');
    const metrics = JSON.parse(fs.readFileSync(results.evaluate?.outputs.metrics ?? '', 'utf8')) as Record<string, number>;
    for (const key of ['accuracy', 'roc_auc', 'precision', 'recall', 'f1']) expect(page, key).toContain((metrics[key] ?? NaN).toFixed(4));
    expect(page).toContain(`>${metrics.n_test}<`);
    expect(page.match(/data:image\/png;base64,/g)).toHaveLength(2);
    expect(page).toContain('Breast cancer classifier: evaluation');
    expect(page).toContain('0.5 is chance, 1 is perfect');
    expect(page.toLowerCase()).not.toContain('<script');
    expect(page).not.toMatch(/https?:\/\//);
  });

  it.skipIf(!python)('a random forest trains with its hidden-by-default settings and reports without figures', () => {
    const train = run('train-classifier', 'forest', { model: 'random_forest', n_estimators: 50, max_depth: 0, seed: 7 }, { train: results.split?.outputs.train ?? '' });
    expect(train.stderr).toBe('');
    expect(train.status).toBe(0);
    expect(train.stdout).toContain('random forest (50 trees');
    const evaluate = run('evaluate-classifier', 'forest-evaluate', {}, { model: train.outputs.model ?? '', test: results.split?.outputs.test ?? '' });
    expect(evaluate.status).toBe(0);
    const metrics = JSON.parse(fs.readFileSync(evaluate.outputs.metrics ?? '', 'utf8')) as Record<string, unknown>;
    expect(metrics.model).toBe('random_forest');
    expect(metrics.roc_auc).toBeGreaterThan(0.9);
    // Optional figure inputs left unconnected arrive as empty arguments.
    const report = run('report', 'forest-report', { title: 'Forest <b>&</b> "trees"' }, { metrics: evaluate.outputs.metrics ?? '' });
    expect(report.status).toBe(0);
    const page = fs.readFileSync(report.outputs.report ?? '', 'utf8');
    expect(page).not.toContain('data:image');
    expect(page).toContain('Forest &lt;b&gt;&amp;&lt;/b&gt; &quot;trees&quot;');
    expect(page).not.toContain('<b>&</b>');
  });

  it.skipIf(!python)('train-classifier accepts empty values for settings that are hidden', () => {
    const block = blockOf(catalog, 'train-classifier');
    const { argv } = expandCommand(block, { python: python ?? '', stepDir: path.join(tmp, 'x'), params: { model: 'random_forest' } });
    expect(argv).toContain('--c');
    const r = run('train-classifier', 'forest-empty', { model: 'random_forest', c: '', n_estimators: 20 }, { train: results.split?.outputs.train ?? '' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it.skipIf(!python)('evaluate-classifier stops with a plain error when the target column is missing', () => {
    const r = run('evaluate-classifier', 'bad-target', { target_column: 'diagnosis' }, {
      model: results.train?.outputs.model ?? '',
      test: results.split?.outputs.test ?? '',
    });
    expectError(r, '"diagnosis"');
  });

  it.skipIf(!python)('evaluate-classifier names the feature columns the test table lacks', () => {
    const thin = path.join(tmp, 'thin.csv');
    fs.writeFileSync(thin, 'mean radius,target\n10.0,1\n20.0,0\n');
    const r = run('evaluate-classifier', 'thin', {}, { model: results.train?.outputs.model ?? '', test: thin });
    expectError(r, '"mean texture"');
  });

  it.skipIf(!python)('train-classifier refuses a target with a single class', () => {
    const one = path.join(tmp, 'one-class.csv');
    fs.writeFileSync(one, 'x,target\n1,1\n2,1\n3,1\n');
    expectError(run('train-classifier', 'one-class', {}, { train: one }), 'same value');
  });

  it.skipIf(!python)('load-csv normalises a semicolon file and explains a missing one', () => {
    const source = path.join(tmp, 'lab values.csv');
    fs.writeFileSync(source, 'patient ; marker ; target\nA;1,5;1\nB;2;0\n');
    const ok = run('load-csv', 'load', { file: source, separator: 'semicolon' });
    expect(ok.stderr).toBe('');
    expect(ok.status).toBe(0);
    expect(fs.readFileSync(ok.outputs.table ?? '', 'utf8')).toBe('patient,marker,target\nA,"1,5",1\nB,2,0\n');
    const wrongSeparator = run('load-csv', 'load-wrong', { file: source, separator: 'comma' });
    expectError(wrongSeparator, 'semicolon');
    expectError(run('load-csv', 'load-missing', { file: path.join(tmp, 'no-such-file.csv') }), 'does not exist');
  });
});

describe('fluxo_block helpers, run by Python', () => {
  let tmp = '';

  /** Runs a Python snippet in a fresh folder, with fluxo_block importable as in a bundle. */
  const py = (...lines: string[]): { status: number | null; stdout: string; stderr: string } => {
    const cwd = fs.mkdtempSync(path.join(tmp, 'snippet-'));
    const result = spawnSync(python ?? 'python3', ['-c', lines.join('\n')], { cwd, encoding: 'utf8', timeout: 60_000, env: pythonEnv() });
    if (result.error) throw result.error;
    return { status: result.status, stdout: result.stdout, stderr: result.stderr };
  };
  /** Runs a snippet (with `json` and `fb` = fluxo_block imported) that prints one JSON value, and parses it. */
  const pyJson = (...lines: string[]): unknown => {
    const r = py('import json', 'import fluxo_block as fb', ...lines);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    return JSON.parse(r.stdout) as unknown;
  };
  /** Runs one call that must stop the program at once, and returns what it printed on stderr. */
  const stops = (call: string): string => {
    const r = py('import fluxo_block as fb', 'print("before")', call, 'print("after")');
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('before\n');
    return r.stderr;
  };

  beforeAll(() => {
    if (python) tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fluxo-block-helpers-'));
  });

  afterAll(() => {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it.skipIf(!python)('fail prints one "error: " line on stderr and exits 2, without a traceback', () => {
    expect(stops(`fb.fail('the table "x.csv" is empty.')`)).toBe('error: the table "x.csv" is empty.\n');
  });

  it.skipIf(!python)('imports without pandas, so a standard-library block can use it', () => {
    expect(pyJson('import sys', 'print(json.dumps(["pandas" in sys.modules, fb.parse_boolean("yes", "X", False)]))')).toEqual([false, true]);
    const blocked = py(
      'import sys',
      'sys.modules["pandas"] = None  # any "import pandas" now fails',
      'import fluxo_block as fb',
      'fb.write_text("ok.txt", "fine")',
      'print(open("ok.txt").read())',
    );
    expect(blocked.stderr).toBe('');
    expect(blocked.stdout).toBe('fine\n');
  });

  it.skipIf(!python)('write_atomically creates missing folders and leaves no temporary file', () => {
    expect(pyJson(
      'import os',
      'out = os.path.join("nested", "deeper", "out.txt")',
      'fb.write_atomically(out, lambda tmp: open(tmp, "w").write("one\\n"))',
      'fb.write_text(out, "Größe ✓\\n")',
      'print(json.dumps({"text": open(out, encoding="utf-8").read(), "files": sorted(os.listdir(os.path.dirname(out)))}))',
    )).toEqual({ text: 'Größe ✓\n', files: ['out.txt'] });
  });

  it.skipIf(!python)('write_atomically never leaves half a file when the writer raises', () => {
    expect(pyJson(
      'import os',
      'fb.write_text("out.txt", "complete\\n")',
      'def broken(tmp):',
      '    with open(tmp, "w") as handle:',
      '        handle.write("half a fi")',
      '    raise RuntimeError("writer failed")',
      'raised = []',
      'for name in ("out.txt", "new.txt"):',
      '    try:',
      '        fb.write_atomically(name, broken)',
      '    except RuntimeError as exc:',
      '        raised.append(str(exc))',
      'print(json.dumps({"raised": raised, "old": open("out.txt").read(), "files": sorted(os.listdir("."))}))',
    )).toEqual({ raised: ['writer failed', 'writer failed'], old: 'complete\n', files: ['out.txt'] });
  });

  it.skipIf(!python)('parse_boolean accepts true/false words in any case, and empty means the default', () => {
    expect(pyJson(
      'words = ["true", "True", " yes ", "1", "false", "FALSE", "no", "0"]',
      'print(json.dumps([fb.parse_boolean(w, "Stratify", None) for w in words]',
      '                 + [fb.parse_boolean("", "Stratify", True), fb.parse_boolean("  ", "Stratify", False)]))',
    )).toEqual([true, true, true, true, false, false, false, false, true, false]);
    expect(stops('fb.parse_boolean("maybe", "Stratify", True)')).toBe('error: "Stratify" must be true or false (it is "maybe").\n');
  });

  it.skipIf(!python)('parse_number and parse_integer read settings, and empty means the default', () => {
    expect(pyJson(
      'print(json.dumps([fb.parse_number("0.25", "Test fraction", 0.5), fb.parse_number("", "Test fraction", 0.5),',
      '                  fb.parse_integer("42", "Random seed", 0), fb.parse_integer("7.0", "Random seed", 0),',
      '                  fb.parse_integer(" ", "Random seed", 42), type(fb.parse_integer("7.0", "Random seed", 0)).__name__]))',
    )).toEqual([0.25, 0.5, 42, 7, 42, 'int']);
    expect(stops('fb.parse_number("a quarter", "Test fraction", 0.25)')).toBe('error: "Test fraction" must be a number (it is "a quarter").\n');
    expect(stops('fb.parse_integer("4.5", "Number of trees", 200)')).toBe('error: "Number of trees" must be a whole number (it is "4.5").\n');
  });

  it.skipIf(!python)('list_columns quotes names and shortens long lists', () => {
    expect(pyJson(
      'print(json.dumps([fb.list_columns(["a", "b"]), fb.list_columns(["c%d" % i for i in range(5)], limit=3), fb.list_columns([])]))',
    )).toEqual(['"a", "b"', '"c0", "c1", "c2" and 2 more', '']);
  });

  it.skipIf(!python)('read_table reads a CSV exactly and explains every way an input can be unusable', () => {
    fs.writeFileSync(path.join(tmp, 'ok.csv'), 'x,target\n0.1234567890123456,1\n2,0\n');
    fs.writeFileSync(path.join(tmp, 'empty.csv'), '');
    fs.writeFileSync(path.join(tmp, 'header.csv'), 'x,target\n');
    const at = (name: string): string => JSON.stringify(path.join(tmp, name));
    expect(pyJson(
      `table = fb.read_table(${at('ok.csv')}, "training table")`,
      'print(json.dumps([list(table.columns), repr(table["x"][0]), len(table)]))',
    )).toEqual([['x', 'target'], '0.1234567890123456', 2]);
    const read = (file: string, what: string) => py('import fluxo_block as fb', `fb.read_table(${file}, "${what}")`);
    expectError(read('""', 'training table'), "no training table is connected; connect a table to this step's input.");
    expectError(read(at('missing.csv'), 'test table'), 'missing.csv" does not exist; run the step that produces it first.');
    expectError(read(at('empty.csv'), 'test table'), 'empty.csv" is empty; check the step that produces it.');
    expectError(read(at('header.csv'), 'input table'), 'header.csv" has no rows.');
  });

  it.skipIf(!python)('plain turns numpy scalars into Python values', () => {
    expect(pyJson(
      'import numpy as np',
      'print(json.dumps([fb.plain(np.int64(3)), fb.plain(np.float64(0.5)), fb.plain("yes"), type(fb.plain(np.int64(3))).__name__]))',
    )).toEqual([3, 0.5, 'yes', 'int']);
  });
});
