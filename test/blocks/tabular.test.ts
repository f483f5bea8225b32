/**
 * The tabular blocks, run for real on small real data: scikit-learn's bundled breast cancer and
 * diabetes datasets (written by the Clinical dataset block itself) and tables the tests make.
 * Every script runs with the argv its block.yaml template produces, as in a bundle.
 *
 * The sweep example (resources/examples/breast-cancer-sweep.fluxo) is also run block by block the
 * way a job array runs it: each task in steps/<id>/task-<i>/ with its fluxo-task.json, and the
 * fan-in step given every task's metrics file.
 *
 * Needs a Python 3 with scikit-learn, pandas, matplotlib and joblib (see findPython); without one
 * the script tests skip with a printed reason. XGBoost is optional: its "missing" path is tested
 * by hiding the package, its working path only where it is installed.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ParamValue } from '../../shared/document';
import { parseDocument, serializeDocument } from '../../shared/document';
import { validatePipeline } from '../../shared/validate';
import type { StepRun } from './harness';
import {
  EXAMPLES_DIR,
  PNG_SIGNATURE,
  blockOf,
  catalog,
  column,
  expectError,
  findPython,
  pythonEnv,
  readCsv,
  runBlock,
} from './harness';

const SWEEP_EXAMPLE = path.join(EXAMPLES_DIR, 'breast-cancer-sweep.fluxo');

const { python, reason } = findPython();
if (!python) console.warn(`Skipping the tabular block script tests: ${reason}`);
const hasXgboost = python !== null && spawnSync(python, ['-c', 'import xgboost'], { encoding: 'utf8' }).status === 0;

type Table = { header: string[]; rows: string[][] };

/** A small deterministic random number generator (LCG), so the tables the tests make never change. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

const numbers = (values: string[]): number[] => values.map(Number);
const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
/** Population standard deviation (n), as StandardScaler uses. */
const sdPopulation = (xs: number[]): number => Math.sqrt(mean(xs.map((x) => (x - mean(xs)) ** 2)));
/** Sample standard deviation (n - 1). */
const sdSample = (xs: number[]): number => Math.sqrt(xs.reduce((a, x) => a + (x - mean(xs)) ** 2, 0) / (xs.length - 1));
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] ?? NaN) : ((s[mid - 1] ?? NaN) + (s[mid] ?? NaN)) / 2;
};

const readJson = (file: string): Record<string, unknown> => JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;

function expectPng(file: string | undefined, minBytes = 5000): void {
  const png = fs.readFileSync(file ?? '');
  expect(png.subarray(0, 8).equals(PNG_SIGNATURE), file).toBe(true);
  expect(png.length, file).toBeGreaterThan(minBytes);
}

/** Reads a CSV that may quote fields (the subgroup bands and file paths do not contain quotes). */
function readQuotedCsv(file: string): Table {
  const parse = (line: string): string[] => {
    const out: string[] = [];
    let field = '';
    let quoted = false;
    for (const ch of line) {
      if (ch === '"') quoted = !quoted;
      else if (ch === ',' && !quoted) {
        out.push(field);
        field = '';
      } else field += ch;
    }
    out.push(field);
    return out;
  };
  const lines = fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.length > 0);
  const [head, ...rest] = lines;
  return { header: parse(head ?? ''), rows: rest.map(parse) };
}

function writeCsv(file: string, header: string[], rows: Array<Array<string | number>>): string {
  fs.writeFileSync(file, [header.join(','), ...rows.map((r) => r.join(','))].join('\n') + '\n');
  return file;
}

// Each test runs a few Python processes of about a second each; a machine busy with other work
// can make that many times longer, hence the generous limit.
describe('tabular blocks', { timeout: 240_000 }, () => {
  let tmp = '';
  /** Wall time of every block run, printed at the end: each must stay a few seconds on this data. */
  const timings: Array<{ block: string; step: string; ms: number }> = [];

  const run = (blockId: string, stepDir: string, params?: Record<string, ParamValue>, inputs?: Record<string, string | string[]>): StepRun => {
    const started = Date.now();
    const result = runBlock(blockOf(catalog, blockId), { python: python ?? 'python3', stepDir: path.join(tmp, stepDir), params, inputs });
    timings.push({ block: blockId, step: stepDir, ms: Date.now() - started });
    return result;
  };
  const ok = (r: StepRun, what: string): StepRun => {
    expect(r.stderr, `${what} stderr`).toBe('');
    expect(r.status, `${what} exit status`).toBe(0);
    return r;
  };

  /** Breast cancer (binary) and diabetes progression (a number), each split once. */
  const data = { cancer: '', cancerTrain: '', cancerTest: '', diabetes: '', diabetesTrain: '', diabetesTest: '' };

  beforeAll(() => {
    if (!python) return;
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fluxo-tabular-'));
    const cancer = ok(run('clinical-dataset', 'cancer', { dataset: 'breast_cancer' }), 'clinical-dataset');
    const split = ok(run('split-train-test', 'cancer-split', {}, { table: cancer.outputs.table ?? '' }), 'split-train-test');
    const diabetes = ok(run('clinical-dataset', 'diabetes', { dataset: 'diabetes_progression' }), 'clinical-dataset');
    const dsplit = ok(run('split-train-test', 'diabetes-split', { stratify: false }, { table: diabetes.outputs.table ?? '' }), 'split-train-test');
    Object.assign(data, {
      cancer: cancer.outputs.table,
      cancerTrain: split.outputs.train,
      cancerTest: split.outputs.test,
      diabetes: diabetes.outputs.table,
      diabetesTrain: dsplit.outputs.train,
      diabetesTest: dsplit.outputs.test,
    });
  }, 120_000);

  afterAll(() => {
    if (timings.length) {
      const slowest = [...timings].sort((a, b) => b.ms - a.ms);
      console.log(`Tabular block runs (${timings.length}), slowest first:\n${slowest.map((t) => `  ${(t.ms / 1000).toFixed(2)} s  ${t.block} (${t.step})`).join('\n')}`);
    }
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  describe('clinical-dataset', () => {
    it.skipIf(!python)('writes the diabetes progression score as a number to predict, beside the same ten measurements', () => {
      const table = readCsv(data.diabetes);
      expect(table.rows).toHaveLength(442);
      expect(table.header).toEqual(['age', 'sex', 'bmi', 'bp', 's1', 's2', 's3', 's4', 's5', 's6', 'target']);
      const target = numbers(column(table, 'target'));
      expect(Math.min(...target)).toBe(25);
      expect(Math.max(...target)).toBe(346);
      expect(new Set(target).size).toBeGreaterThan(200);
      // The binary variant is this score cut at its median: the same patients in the same order.
      const binary = ok(run('clinical-dataset', 'diabetes-binary', { dataset: 'diabetes' }), 'clinical-dataset');
      const cut = median(target);
      expect(column(readCsv(binary.outputs.table ?? ''), 'target')).toEqual(target.map((t) => (t > cut ? '1' : '0')));
    });

    it.skipIf(!python)('refuses to stratify a measurement and splits it without', () => {
      const r = run('split-train-test', 'diabetes-stratified', { stratify: true }, { table: data.diabetes });
      expectError(r, 'Turn "Stratify" off');
      expect(readCsv(data.diabetesTrain).rows.length + readCsv(data.diabetesTest).rows.length).toBe(442);
    });
  });

  describe('impute-scale', () => {
    const header = ['age', 'marker', 'site', 'target'];
    const trainRows = [
      [50, 1.5, 'A', 1],
      ['', 2.5, 'B', 0],
      [70, '', 'A', 1],
      [40, 4.0, '', 0],
      [60, 3.0, 'A', 0],
    ];
    // A test table from a very different population: had its own statistics leaked into the
    // scaling, it would come out centred on 0 too.
    const testRows = [
      [500, '', 'B', 1],
      ['', 30.0, '', ''],
      [700, 40.0, 'A', 0],
    ];

    it.skipIf(!python)('fills and scales with statistics of the training rows only, and leaves the outcome alone', () => {
      const train = writeCsv(path.join(tmp, 'impute-train.csv'), header, trainRows);
      const test = writeCsv(path.join(tmp, 'impute-test.csv'), header, testRows);
      const r = ok(run('impute-scale', 'impute-mean', { impute: 'mean', scale: 'standard' }, { train, test }), 'impute-scale');
      const outTrain = readCsv(r.outputs.train_out ?? '');
      const outTest = readCsv(r.outputs.test_out ?? '');
      expect(outTrain.header).toEqual(header);
      expect(outTest.header).toEqual(header);

      const ages = [50, 70, 40, 60];
      const ageFilled = [50, mean(ages), 70, 40, 60];
      const markers = [1.5, 2.5, 4.0, 3.0];
      const markerFilled = [1.5, 2.5, mean(markers), 4.0, 3.0];
      const z = (x: number, of: number[]) => (x - mean(of)) / sdPopulation(of);
      numbers(column(outTrain, 'age')).forEach((v, i) => expect(v).toBeCloseTo(z(ageFilled[i] ?? NaN, ageFilled), 10));
      numbers(column(outTrain, 'marker')).forEach((v, i) => expect(v).toBeCloseTo(z(markerFilled[i] ?? NaN, markerFilled), 10));
      expect(mean(numbers(column(outTrain, 'age')))).toBeCloseTo(0, 10);
      expect(sdPopulation(numbers(column(outTrain, 'age')))).toBeCloseTo(1, 10);

      // Test cells: empty ones get the training mean (scaled: exactly 0), the others the training scaling.
      expect(numbers(column(outTest, 'age'))).toEqual([z(500, ageFilled), 0, z(700, ageFilled)].map((v) => expect.closeTo(v, 10)));
      expect(numbers(column(outTest, 'marker'))).toEqual([0, z(30, markerFilled), z(40, markerFilled)].map((v) => expect.closeTo(v, 10)));
      expect(numbers(column(outTest, 'age'))[0]).toBeGreaterThan(10);

      // Text is filled with the most frequent training value, never scaled; the outcome is untouched.
      expect(column(outTrain, 'site')).toEqual(['A', 'B', 'A', 'A', 'A']);
      expect(column(outTest, 'site')).toEqual(['B', 'A', 'A']);
      expect(column(outTrain, 'target')).toEqual(['1', '0', '1', '0', '0']);
      expect(column(outTest, 'target')).toEqual(['1', '', '0']);
      expect(r.stdout).toContain('"age": 1 + 1 empty cells filled with the mean of the training rows, 55');
    });

    it.skipIf(!python)('min-max scales to the training range and median fills, so new values may fall outside 0 to 1', () => {
      const train = writeCsv(path.join(tmp, 'impute-train2.csv'), header, trainRows);
      const test = writeCsv(path.join(tmp, 'impute-test2.csv'), header, testRows);
      const r = ok(run('impute-scale', 'impute-median', { impute: 'median', scale: 'minmax' }, { train, test }), 'impute-scale');
      const ages = [50, 55, 70, 40, 60]; // 55 = median of 40, 50, 60, 70
      const scaled = (x: number) => (x - 40) / (70 - 40);
      expect(numbers(column(readCsv(r.outputs.train_out ?? ''), 'age'))).toEqual(ages.map((a) => expect.closeTo(scaled(a), 10)));
      expect(numbers(column(readCsv(r.outputs.test_out ?? ''), 'age'))).toEqual([scaled(500), scaled(55), scaled(700)].map((v) => expect.closeTo(v, 10)));
      const none = ok(run('impute-scale', 'impute-none', { impute: 'most_frequent', scale: 'none' }, { train, test }), 'impute-scale');
      // Most frequent among 40, 50, 60, 70 (a tie) is the smallest, as scikit-learn breaks ties.
      expect(numbers(column(readCsv(none.outputs.train_out ?? ''), 'age'))).toEqual([50, 40, 70, 40, 60]);
    });

    it.skipIf(!python)('lets a model train on data that had holes', () => {
      // Punch holes in the real training and test tables, then impute, train and evaluate.
      const holes = (file: string, out: string) => {
        const t = readCsv(file);
        const next = random(7);
        writeCsv(out, t.header, t.rows.map((row) => row.map((v, j) => (j < t.header.length - 1 && next() < 0.05 ? '' : v))));
        return out;
      };
      const train = holes(data.cancerTrain, path.join(tmp, 'holes-train.csv'));
      const test = holes(data.cancerTest, path.join(tmp, 'holes-test.csv'));
      expectError(run('train-classifier', 'holes-train-raw', {}, { train }), 'Add an "Impute and scale" step');
      const imputed = ok(run('impute-scale', 'holes-impute', {}, { train, test }), 'impute-scale');
      const model = ok(run('train-classifier', 'holes-model', {}, { train: imputed.outputs.train_out ?? '' }), 'train-classifier');
      const evaluation = ok(run('evaluate-classifier', 'holes-evaluate', {}, { model: model.outputs.model ?? '', test: imputed.outputs.test_out ?? '' }), 'evaluate-classifier');
      expect(readJson(evaluation.outputs.metrics ?? '').roc_auc).toBeGreaterThan(0.95);
    });

    it.skipIf(!python)('refuses tables that do not belong together or lack the outcome column', () => {
      const train = writeCsv(path.join(tmp, 'impute-train3.csv'), header, trainRows);
      const other = writeCsv(path.join(tmp, 'impute-other.csv'), ['age', 'weight', 'site', 'target'], [[1, 2, 'A', 0]]);
      expectError(run('impute-scale', 'impute-mismatch', {}, { train, test: other }), 'lacks 1 column(s) of the training table: "marker"');
      expectError(run('impute-scale', 'impute-target', { target_column: 'outcome' }, { train, test: train }), 'no column "outcome"');
      const empty = writeCsv(path.join(tmp, 'impute-empty-col.csv'), ['age', 'blank', 'target'], [[1, '', 0], [2, '', 1]]);
      expectError(run('impute-scale', 'impute-blank', {}, { train: empty, test: empty }), 'empty in every training row');
    });
  });

  interface CurveSeries { label: string; x: number[]; y: number[]; auc?: number; average_precision?: number; brier?: number }
  interface CurveFile { positive_class: unknown; n_test: number; roc: CurveSeries[]; pr: CurveSeries[]; calibration: CurveSeries[] }

  describe('train-classifier and evaluate-classifier', () => {
    it.skipIf(!python)('gradient boosting trains, and its evaluation writes every curve, the subgroups and the predictions', () => {
      const train = ok(run('train-classifier', 'gb', { model: 'gradient_boosting', n_estimators: 100, learning_rate: 0.1 }, { train: data.cancerTrain }), 'train-classifier');
      expect(train.stdout).toContain('gradient boosting (100 trees, learning rate 0.1');
      const r = ok(run('evaluate-classifier', 'gb-evaluate', { subgroup_column: 'mean radius' }, { model: train.outputs.model ?? '', test: data.cancerTest }), 'evaluate-classifier');
      const metrics = readJson(r.outputs.metrics ?? '');
      expect(metrics.model).toBe('gradient_boosting');
      expect(metrics.roc_auc).toBeGreaterThan(0.95);
      expect(metrics.average_precision).toBeGreaterThan(0.9);
      expect(metrics.brier).toBeGreaterThan(0);
      expect(metrics.brier).toBeLessThan(0.1);
      for (const port of ['roc_curve', 'pr_curve', 'calibration', 'confusion_matrix']) expectPng(r.outputs[port]);

      // The curves' points go beside the metrics, so the app draws them itself.
      const curves = readJson(path.join(path.dirname(r.outputs.metrics ?? ''), 'curves.json')) as unknown as CurveFile;
      expect(curves.positive_class).toBe(1);
      expect(curves.n_test).toBe(143);
      for (const kind of ['roc', 'pr', 'calibration'] as const) {
        expect(curves[kind]).toHaveLength(1);
        const [series] = curves[kind];
        expect(series?.x.length).toBe(series?.y.length);
        expect(series?.x.length).toBeGreaterThan(3);
        for (const v of [...(series?.x ?? []), ...(series?.y ?? [])]) expect(v >= 0 && v <= 1).toBe(true);
      }
      const roc = curves.roc[0]!;
      expect(roc.auc).toBe(metrics.roc_auc);
      expect([roc.x[0], roc.y[0], roc.x.at(-1), roc.y.at(-1)]).toEqual([0, 0, 1, 1]);
      // The trapezoid area under the saved points is the AUC the metrics report.
      const area = roc.x.slice(1).reduce((a, x, i) => a + (x - roc.x[i]!) * (roc.y[i + 1]! + roc.y[i]!) / 2, 0);
      expect(area).toBeCloseTo(metrics.roc_auc as number, 3);
      expect(curves.pr[0]!.average_precision).toBe(metrics.average_precision);
      expect(curves.pr[0]!.x).toEqual([...curves.pr[0]!.x].sort((a, b) => a - b));
      expect(curves.calibration[0]!.brier).toBe(metrics.brier);

      // The confusion matrix counts agree with the predictions file.
      const predictions = readCsv(r.outputs.predictions ?? '');
      const actual = column(predictions, 'actual');
      const predicted = column(predictions, 'predicted');
      const count = (a: string, p: string) => actual.filter((v, i) => v === a && predicted[i] === p).length;
      expect(metrics.confusion_matrix).toEqual({ labels: [0, 1], counts: [[count('0', '0'), count('0', '1')], [count('1', '0'), count('1', '1')]] });

      // A measurement with many values is cut into four bands of about equal size.
      const groups = readQuotedCsv(r.outputs.subgroups ?? '');
      expect(groups.header).toEqual(['column', 'group', 'n', 'n_positive', 'accuracy', 'roc_auc', 'precision', 'recall', 'f1']);
      expect(groups.rows[0]?.slice(0, 3)).toEqual(['', 'all', '143']);
      const bands = groups.rows.slice(1);
      expect(bands).toHaveLength(4);
      for (const band of bands) {
        expect(band[0]).toBe('mean radius');
        expect(band[1]).toMatch(/^[\d.]+ to [\d.]+$/);
        expect(Number(band[2])).toBeGreaterThanOrEqual(34);
        expect(Number(band[2])).toBeLessThanOrEqual(38);
      }
      expect(bands.reduce((a, b) => a + Number(b[2]), 0)).toBe(143);
      const json = metrics.subgroups as { column: string; groups: Array<Record<string, unknown>> };
      expect(json.column).toBe('mean radius');
      expect(json.groups.map((g) => g.group)).toEqual(bands.map((b) => b[1]));
      expect(json.groups.map((g) => g.n)).toEqual(bands.map((b) => Number(b[2])));
    });

    it.skipIf(!python)('gives metrics per group of a column the model never used, matching the predictions', () => {
      // A "site" column only in the test table: the model was trained without it.
      const test = readCsv(data.cancerTest);
      const sites = test.rows.map((_, i) => ['north', 'south', 'east'][i % 3] ?? '');
      const withSite = writeCsv(path.join(tmp, 'test-with-site.csv'), [...test.header, 'site'], test.rows.map((row, i) => [...row, sites[i] ?? '']));
      const train = ok(run('train-classifier', 'lr', {}, { train: data.cancerTrain }), 'train-classifier');
      const r = ok(run('evaluate-classifier', 'lr-site', { subgroup_column: 'site' }, { model: train.outputs.model ?? '', test: withSite }), 'evaluate-classifier');
      const groups = readQuotedCsv(r.outputs.subgroups ?? '');
      expect(column(groups, 'group')).toEqual(['all', 'east', 'north', 'south']);
      const predictions = readCsv(r.outputs.predictions ?? '');
      const actual = column(predictions, 'actual');
      const predicted = column(predictions, 'predicted');
      for (const row of groups.rows.slice(1)) {
        const rows = sites.map((s, i) => (s === row[1] ? i : -1)).filter((i) => i >= 0);
        const correct = rows.filter((i) => actual[i] === predicted[i]).length;
        expect(Number(row[2]), row[1]).toBe(rows.length);
        expect(Number(row[3]), row[1]).toBe(rows.filter((i) => actual[i] === '1').length);
        expect(Number(row[4]), row[1]).toBeCloseTo(correct / rows.length, 4);
      }
      expect(r.stdout).toContain('site = north');
      // Without a subgroup column the table holds the overall row only, and the metrics say so.
      const plain = ok(run('evaluate-classifier', 'lr-plain', {}, { model: train.outputs.model ?? '', test: withSite }), 'evaluate-classifier');
      expect(readQuotedCsv(plain.outputs.subgroups ?? '').rows.map((row) => row[1])).toEqual(['all']);
      expect(readJson(plain.outputs.metrics ?? '').subgroups).toEqual({ column: null, groups: [] });
    });

    it.skipIf(!python)('names a subgroup column the test table lacks, and refuses the outcome as a subgroup', () => {
      const train = ok(run('train-classifier', 'lr-groups', {}, { train: data.cancerTrain }), 'train-classifier');
      expectError(run('evaluate-classifier', 'no-site', { subgroup_column: 'site' }, { model: train.outputs.model ?? '', test: data.cancerTest }), 'no column "site" to group by');
      expectError(run('evaluate-classifier', 'target-site', { subgroup_column: 'target' }, { model: train.outputs.model ?? '', test: data.cancerTest }), 'is the outcome column');
    });

    it.skipIf(!python)('XGBoost is optional: without the package its choice names the install command and the other models still work', () => {
      // Hide xgboost even where it is installed: a module of that name that fails to import.
      const shim = fs.mkdtempSync(path.join(tmp, 'no-xgboost-'));
      fs.writeFileSync(path.join(shim, 'xgboost.py'), 'raise ImportError("No module named \'xgboost\'")\n');
      const saved = process.env.PYTHONPATH;
      process.env.PYTHONPATH = shim;
      try {
        expect(pythonEnv().PYTHONPATH?.split(path.delimiter)).toContain(shim);
        const xgb = run('train-classifier', 'xgb-missing', { model: 'xgboost' }, { train: data.cancerTrain });
        expectError(xgb, 'needs the Python package xgboost');
        expect(xgb.stderr).toContain('apt install python3-xgboost');
        expect(xgb.stderr).toContain('pip install xgboost');
        expectError(run('cross-validate', 'cv-xgb-missing', { model: 'xgboost' }, { table: data.cancer }), 'apt install python3-xgboost');
        for (const model of ['logistic_regression', 'gradient_boosting']) {
          ok(run('train-classifier', `no-xgb-${model}`, { model, n_estimators: 20 }, { train: data.cancerTrain }), model);
        }
      } finally {
        if (saved === undefined) delete process.env.PYTHONPATH;
        else process.env.PYTHONPATH = saved;
      }
    });

    it.skipIf(!python || !hasXgboost)('XGBoost trains and evaluates where it is installed', () => {
      const train = ok(run('train-classifier', 'xgb', { model: 'xgboost', n_estimators: 50 }, { train: data.cancerTrain }), 'train-classifier');
      expect(train.stdout).toContain('XGBoost (50 trees');
      const r = ok(run('evaluate-classifier', 'xgb-evaluate', {}, { model: train.outputs.model ?? '', test: data.cancerTest }), 'evaluate-classifier');
      expect(readJson(r.outputs.metrics ?? '')).toMatchObject({ model: 'xgboost' });
      expect(readJson(r.outputs.metrics ?? '').roc_auc).toBeGreaterThan(0.95);
    });

    it.skipIf(!python)('checks the new settings with messages that name them', () => {
      expectError(run('train-classifier', 'bad-rate', { model: 'gradient_boosting', learning_rate: 0 }, { train: data.cancerTrain }), '"Learning rate" must be above 0');
      expectError(run('train-classifier', 'bad-model', { model: 'svm' }, { train: data.cancerTrain }), 'unknown model "svm"');
    });
  });

  describe('train-regressor and evaluate-regressor', () => {
    it.skipIf(!python)('predict the diabetes progression score, with metrics that agree with the predictions', () => {
      for (const model of ['linear', 'random_forest', 'gradient_boosting']) {
        const train = ok(run('train-regressor', `reg-${model}`, { model, n_estimators: 100 }, { train: data.diabetesTrain }), `train-regressor ${model}`);
        const trainMetrics = readJson(train.outputs.metrics ?? '');
        expect(trainMetrics).toMatchObject({ model, target: 'target', n_train: readCsv(data.diabetesTrain).rows.length });
        const r = ok(run('evaluate-regressor', `reg-${model}-evaluate`, {}, { model: train.outputs.model ?? '', test: data.diabetesTest }), `evaluate-regressor ${model}`);
        const metrics = readJson(r.outputs.metrics ?? '') as Record<string, number>;
        const predictions = readCsv(r.outputs.predictions ?? '');
        expect(predictions.header).toEqual(['row', 'actual', 'predicted', 'residual']);
        const actual = numbers(column(predictions, 'actual'));
        expect(actual).toEqual(numbers(column(readCsv(data.diabetesTest), 'target')));
        const residuals = actual.map((a, i) => a - (numbers(column(predictions, 'predicted'))[i] ?? NaN));
        expect(metrics.n_test).toBe(actual.length);
        expect(metrics.mae).toBeCloseTo(mean(residuals.map(Math.abs)), 3);
        expect(metrics.rmse).toBeCloseTo(Math.sqrt(mean(residuals.map((e) => e * e))), 3);
        expect(metrics.r2).toBeCloseTo(1 - mean(residuals.map((e) => e * e)) / sdPopulation(actual) ** 2, 3);
        // Real skill on held-out patients, and an honest gap to the optimistic training numbers.
        expect(metrics.r2, model).toBeGreaterThan(0.3);
        expect(metrics.rmse).toBeLessThan(metrics.observed_sd ?? 0);
        expect(trainMetrics.train_r2 as number).toBeGreaterThanOrEqual(metrics.r2 ?? 1);
        expectPng(r.outputs.figure);
      }
    });

    it.skipIf(!python)('refuse a text outcome, and each evaluation names the block a wrong model belongs to', () => {
      const text = writeCsv(path.join(tmp, 'text-outcome.csv'), ['x', 'target'], [[1, 'high'], [2, 'low'], [3, 'high']]);
      expectError(run('train-regressor', 'reg-text', {}, { train: text }), 'use Train classifier for categories');
      const regressor = ok(run('train-regressor', 'reg-for-wrong', {}, { train: data.diabetesTrain }), 'train-regressor');
      const classifier = ok(run('train-classifier', 'clf-for-wrong', {}, { train: data.cancerTrain }), 'train-classifier');
      expectError(run('evaluate-classifier', 'wrong-1', {}, { model: regressor.outputs.model ?? '', test: data.diabetesTest }), 'connect it to Evaluate regressor instead');
      expectError(run('evaluate-regressor', 'wrong-2', {}, { model: classifier.outputs.model ?? '', test: data.cancerTest }), 'connect it to Evaluate classifier instead');
    });
  });

  describe('cross-validate', () => {
    it.skipIf(!python)('scores each of k stratified folds once and reports their mean and standard deviation', () => {
      const r = ok(run('cross-validate', 'cv', { folds: 5 }, { table: data.cancer }), 'cross-validate');
      const folds = readCsv(r.outputs.fold_metrics ?? '');
      expect(folds.header).toEqual(['fold', 'n_train', 'n_test', 'n_positive', 'accuracy', 'roc_auc', 'precision', 'recall', 'f1']);
      expect(column(folds, 'fold')).toEqual(['1', '2', '3', '4', '5']);
      // Every row is held out exactly once, and each fold keeps the dataset's share of malignant tumours.
      expect(numbers(column(folds, 'n_test')).reduce((a, b) => a + b, 0)).toBe(569);
      for (const row of folds.rows) expect(Number(row[1]) + Number(row[2])).toBe(569);
      for (const positives of numbers(column(folds, 'n_positive'))) expect(Math.abs(positives - 212 / 5)).toBeLessThanOrEqual(1);
      const metrics = readJson(r.outputs.metrics ?? '') as Record<string, number>;
      for (const name of ['accuracy', 'roc_auc', 'precision', 'recall', 'f1']) {
        const values = numbers(column(folds, name));
        expect(metrics[name], name).toBeCloseTo(mean(values), 4);
        expect(metrics[`${name}_sd`], name).toBeCloseTo(sdSample(values), 4);
      }
      expect(metrics.roc_auc).toBeGreaterThan(0.95);
      expect(metrics).toMatchObject({ folds: 5, n_rows: 569, model: 'logistic_regression', target: 'target' });
      expect(r.stdout).toMatch(/ROC AUC 0\.\d{4} ± 0\.\d{4}/);
      expectPng(r.outputs.figure);
      // The same seed deals the same folds.
      const again = ok(run('cross-validate', 'cv-again', { folds: 5 }, { table: data.cancer }), 'cross-validate');
      expect(fs.readFileSync(again.outputs.fold_metrics ?? '', 'utf8')).toBe(fs.readFileSync(r.outputs.fold_metrics ?? '', 'utf8'));
    });

    it.skipIf(!python)('says how many folds a rare class allows', () => {
      const rows = Array.from({ length: 30 }, (_, i) => [i, i < 3 ? 1 : 0]);
      const rare = writeCsv(path.join(tmp, 'rare.csv'), ['x', 'target'], rows);
      expectError(run('cross-validate', 'cv-rare', { folds: 5 }, { table: rare }), 'Lower "Number of folds" to 3 or less');
    });
  });

  describe('permutation-importance', () => {
    it.skipIf(!python)('ranks the column the outcome depends on first and a noise column near zero', () => {
      // y follows "signal" (plus a little noise); "noise" is unrelated to it.
      const next = random(11);
      const make = (n: number) => Array.from({ length: n }, () => {
        const signal = next() * 10;
        const noise = next() * 10;
        return [noise.toFixed(4), signal.toFixed(4), signal + (next() - 0.5) * 2 > 5 ? 1 : 0];
      });
      const train = writeCsv(path.join(tmp, 'pi-train.csv'), ['noise', 'signal', 'target'], make(200));
      const test = writeCsv(path.join(tmp, 'pi-test.csv'), ['noise', 'signal', 'target'], make(100));
      const model = ok(run('train-classifier', 'pi-model', {}, { train }), 'train-classifier');
      const r = ok(run('permutation-importance', 'pi', { repeats: 10 }, { model: model.outputs.model ?? '', test }), 'permutation-importance');
      const table = readCsv(r.outputs.importance ?? '');
      expect(table.header).toEqual(['rank', 'feature', 'importance_mean', 'importance_sd', 'score']);
      expect(column(table, 'feature')).toEqual(['signal', 'noise']);
      expect(column(table, 'score')).toEqual(['roc_auc', 'roc_auc']);
      const [signal, noise] = numbers(column(table, 'importance_mean'));
      expect(signal).toBeGreaterThan(0.2);
      expect(Math.abs(noise ?? 1)).toBeLessThan(0.02);
      expectPng(r.outputs.figure, 3000);
    });

    it.skipIf(!python)('ranks every feature of a real model and of a regressor, most important first', () => {
      const classifier = ok(run('train-classifier', 'pi-cancer-model', {}, { train: data.cancerTrain }), 'train-classifier');
      const r = ok(run('permutation-importance', 'pi-cancer', { repeats: 5, top: 10 }, { model: classifier.outputs.model ?? '', test: data.cancerTest }), 'permutation-importance');
      const table = readCsv(r.outputs.importance ?? '');
      expect(table.rows).toHaveLength(30);
      expect(column(table, 'rank')).toEqual(Array.from({ length: 30 }, (_, i) => String(i + 1)));
      const values = numbers(column(table, 'importance_mean'));
      expect(values).toEqual([...values].sort((a, b) => b - a));
      const regressor = ok(run('train-regressor', 'pi-diabetes-model', {}, { train: data.diabetesTrain }), 'train-regressor');
      const reg = ok(run('permutation-importance', 'pi-diabetes', { repeats: 5 }, { model: regressor.outputs.model ?? '', test: data.diabetesTest }), 'permutation-importance');
      const regTable = readCsv(reg.outputs.importance ?? '');
      expect(regTable.rows).toHaveLength(10);
      expect(new Set(column(regTable, 'score'))).toEqual(new Set(['r2']));
      expect(reg.stdout).toContain('drop in R²');
    });
  });

  describe('compare-sweep', () => {
    /** Writes steps/<step>/task-<i>/metrics.json and its fluxo-task.json, as an array task does. */
    const writePoint = (root: string, step: string, task: number, params: Record<string, ParamValue> | null, metrics: Record<string, unknown>): string => {
      const folder = path.join(root, 'steps', step, `task-${task}`);
      fs.mkdirSync(folder, { recursive: true });
      if (params) fs.writeFileSync(path.join(folder, 'fluxo-task.json'), JSON.stringify({ task, params }));
      const file = path.join(folder, 'metrics.json');
      fs.writeFileSync(file, JSON.stringify(metrics));
      return file;
    };

    it.skipIf(!python)('labels each point by its settings, ranks them by the chosen metric and names the best', () => {
      const root = path.join(tmp, 'sweep-run');
      const grid: Array<[number, string, number, number]> = [
        [0.01, 'logistic_regression', 0.91, 0.02],
        [0.1, 'logistic_regression', 0.97, 0.01],
        [1, 'random_forest', 0.99, 0.005],
        [10, 'random_forest', 0.95, 0.03],
      ];
      const files = grid.map(([c, model, auc, sd], i) => writePoint(root, 'evaluate', i, { 'train.c': c, 'train.model': model }, { roc_auc: auc, roc_auc_sd: sd, accuracy: auc - 0.02, n_test: 143, model, classes: [0, 1] }));
      const r = ok(run('compare-sweep', 'compare', {}, { metrics: files }), 'compare-sweep');
      const table = readQuotedCsv(r.outputs.table ?? '');
      expect(table.header).toEqual(['rank', 'task', 'train.c', 'train.model', 'roc_auc', 'roc_auc_sd', 'accuracy', 'n_test', 'metrics_file']);
      expect(column(table, 'task')).toEqual(['2', '1', '3', '0']);
      expect(column(table, 'train.c')).toEqual(['1.0', '0.1', '10.0', '0.01']);
      expect(column(table, 'train.model')).toEqual(['random_forest', 'logistic_regression', 'random_forest', 'logistic_regression']);
      expect(column(table, 'roc_auc')).toEqual(['0.99', '0.97', '0.95', '0.91']);
      expect(column(table, 'metrics_file')).toEqual([files[2], files[1], files[3], files[0]]);
      const best = readJson(r.outputs.best ?? '');
      expect(best).toMatchObject({ sort_metric: 'roc_auc', order: 'highest', n_points: 4, best_task: 2, best_params: { 'train.c': 1, 'train.model': 'random_forest' }, best_value: 0.99, roc_auc: 0.99, n_test: 143 });
      expect((best.points as unknown[]).length).toBe(4);
      expect(r.stdout).toContain('Best: train.c = 1, train.model = random_forest with roc_auc = 0.9900');
      expectPng(r.outputs.figure);

      // An error metric is best when lowest, automatically; and "lowest" can be forced.
      const bySd = ok(run('compare-sweep', 'compare-sd', { metric: 'roc_auc_sd' }, { metrics: files }), 'compare-sweep');
      expect(readJson(bySd.outputs.best ?? '')).toMatchObject({ order: 'lowest', best_task: 2 });
      const forced = ok(run('compare-sweep', 'compare-low', { metric: 'accuracy', order: 'lowest' }, { metrics: files }), 'compare-sweep');
      expect(readJson(forced.outputs.best ?? '')).toMatchObject({ order: 'lowest', best_task: 0 });
    });

    it.skipIf(!python)('numbers files that are not from a sweep, never reading a task file above the step folder', () => {
      const root = path.join(tmp, 'not-a-sweep');
      const a = writePoint(root, 'evaluate-a', 0, null, { rmse: 50 });
      const b = writePoint(root, 'evaluate-b', 0, null, { rmse: 40 });
      // A stray task file above the step folders must not label them.
      fs.writeFileSync(path.join(root, 'steps', 'fluxo-task.json'), JSON.stringify({ task: 9, params: { wrong: 1 } }));
      const r = ok(run('compare-sweep', 'compare-plain', { metric: 'rmse' }, { metrics: [a, b] }), 'compare-sweep');
      expect(r.stdout).toContain('2 of 2 metrics files have no fluxo-task.json');
      const table = readQuotedCsv(r.outputs.table ?? '');
      expect(table.header).toEqual(['rank', 'task', 'rmse', 'metrics_file']);
      expect(column(table, 'task')).toEqual(['1', '0']);
      expect(readJson(r.outputs.best ?? '')).toMatchObject({ order: 'lowest', best_label: 'point 1', best_value: 40 });
    });

    it.skipIf(!python)('lists the metrics it has when the chosen one is missing, and explains a broken task file', () => {
      const root = path.join(tmp, 'sweep-bad');
      const file = writePoint(root, 'evaluate', 0, { c: 1 }, { accuracy: 0.9, f1: 0.8 });
      expectError(run('compare-sweep', 'compare-missing', { metric: 'auc' }, { metrics: [file] }), 'the metrics are "accuracy", "f1"');
      fs.writeFileSync(path.join(path.dirname(file), 'fluxo-task.json'), '{"task": "first"}');
      expectError(run('compare-sweep', 'compare-broken', {}, { metrics: [file] }), 'does not hold {"task": N, "params": {...}}');
      expectError(run('compare-sweep', 'compare-absent', {}, { metrics: [path.join(root, 'nope.json')] }), 'does not exist');
    });
  });

  describe('the sweep example', () => {
    const text = fs.readFileSync(SWEEP_EXAMPLE, 'utf8');
    const parsed = parseDocument(text);

    it('parses, round-trips, validates and wires existing ports of existing blocks', () => {
      expect(parsed.ok).toBe(true);
      if (!parsed.ok) return;
      const doc = parsed.document;
      expect(serializeDocument(doc)).toBe(text);
      expect(validatePipeline(doc, catalog).filter((p) => p.severity === 'error')).toEqual([]);
      expect(doc.steps.map((s) => [s.id, s.type])).toEqual([
        ['dataset', 'clinical-dataset'],
        ['split', 'split-train-test'],
        ['train', 'train-classifier'],
        ['evaluate', 'evaluate-classifier'],
        ['compare', 'compare-sweep'],
      ]);
      for (const step of doc.steps) expect(step.version, step.id).toBe(blockOf(catalog, step.type).version);
      const byId = new Map(doc.steps.map((s) => [s.id, blockOf(catalog, s.type)]));
      for (const c of doc.connections) {
        expect(byId.get(c.from.step)?.outputs.map((p) => p.id), `${c.from.step}.${c.from.port}`).toContain(c.from.port);
        expect(byId.get(c.to.step)?.inputs.map((p) => p.id), `${c.to.step}.${c.to.port}`).toContain(c.to.port);
      }
      const train = doc.steps.find((s) => s.id === 'train');
      expect(train?.sweep).toEqual({ values: { c: [0.01, 0.1, 1, 10] }, maxParallel: 2 });
      // The fan-in: Compare sweep's metrics input takes every task's file.
      expect(blockOf(catalog, 'compare-sweep').inputs.find((p) => p.id === 'metrics')?.multiple).toBe(true);
      expect(doc.connections.find((c) => c.to.step === 'compare')).toEqual({ from: { step: 'evaluate', port: 'metrics' }, to: { step: 'compare', port: 'metrics' } });
    });

    it.skipIf(!python)('runs as a job array would: one train and evaluate task per C, then one comparison of all four', () => {
      if (!parsed.ok) throw new Error(parsed.message);
      const doc = parsed.document;
      const step = (id: string) => doc.steps.find((s) => s.id === id)!;
      const root = path.join(tmp, 'example-run');
      const at = (id: string, task?: number) => path.join('example-run', 'steps', id, ...(task === undefined ? [] : [`task-${task}`]));
      const dataset = ok(run('clinical-dataset', at('dataset'), step('dataset').params), 'dataset');
      const split = ok(run('split-train-test', at('split'), step('split').params, { table: dataset.outputs.table ?? '' }), 'split');
      const values = step('train').sweep?.values.c ?? [];
      const evaluations = values.map((c, task) => {
        const taskFile = (id: string, params: Record<string, ParamValue>) =>
          fs.writeFileSync(path.join(tmp, at(id, task), 'fluxo-task.json'), JSON.stringify({ task, params }));
        fs.mkdirSync(path.join(tmp, at('train', task)), { recursive: true });
        fs.mkdirSync(path.join(tmp, at('evaluate', task)), { recursive: true });
        taskFile('train', { c });
        const train = ok(run('train-classifier', at('train', task), { ...step('train').params, c }, { train: split.outputs.train ?? '' }), `train task ${task}`);
        taskFile('evaluate', { 'train.c': c });
        return ok(run('evaluate-classifier', at('evaluate', task), step('evaluate').params, { model: train.outputs.model ?? '', test: split.outputs.test ?? '' }), `evaluate task ${task}`);
      });
      const files = evaluations.map((e) => e.outputs.metrics ?? '');
      const compare = ok(run('compare-sweep', at('compare'), step('compare').params, { metrics: files }), 'compare');
      expect(fs.existsSync(path.join(root, 'steps', 'compare', 'comparison.csv'))).toBe(true);

      const aucs = files.map((f) => readJson(f).roc_auc as number);
      const table = readQuotedCsv(compare.outputs.table ?? '');
      expect(table.rows).toHaveLength(4);
      expect(numbers(column(table, 'train.c')).sort((a, b) => a - b)).toEqual([0.01, 0.1, 1, 10]);
      expect(numbers(column(table, 'roc_auc'))).toEqual([...aucs].sort((a, b) => b - a));
      const best = readJson(compare.outputs.best ?? '');
      const bestTask = aucs.indexOf(Math.max(...aucs));
      expect(best).toMatchObject({ n_points: 4, sort_metric: 'roc_auc', best_task: bestTask, best_params: { 'train.c': values[bestTask] } });
      expectPng(compare.outputs.figure);
    });
  });
});

describe('fluxo_block tabular helpers, run by Python', () => {
  const py = (...lines: string[]): unknown => {
    const r = spawnSync(python ?? 'python3', ['-c', ['import json', 'import numpy as np', 'import fluxo_block as fb', ...lines].join('\n')], { encoding: 'utf8', env: pythonEnv(), timeout: 60_000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    return JSON.parse(r.stdout) as unknown;
  };

  it.skipIf(!python)('classification_scores leaves undefined scores empty instead of calling them 0', () => {
    expect(py(
      'truth = np.array([0, 0, 0, 0]); predicted = np.array([0, 0, 1, 0])',
      'proba = np.array([[0.9, 0.1], [0.8, 0.2], [0.4, 0.6], [0.7, 0.3]])',
      'print(json.dumps(fb.classification_scores(truth, predicted, proba, [0, 1])))',
    )).toEqual({ accuracy: 0.75, roc_auc: null, precision: 0, recall: null, f1: 0 });
    expect(py(
      'truth = np.array([1, 0, 1, 0]); predicted = np.array([1, 0, 0, 0])',
      'proba = np.array([[0.2, 0.8], [0.9, 0.1], [0.6, 0.4], [0.7, 0.3]])',
      'print(json.dumps(fb.classification_scores(truth, predicted, proba, [0, 1])))',
    )).toEqual({ accuracy: 0.75, roc_auc: 1, precision: 1, recall: 0.5, f1: 0.6667 });
  });

  it.skipIf(!python)('rounded keeps 4 decimals and turns NaN and None into null', () => {
    expect(py('print(json.dumps([fb.rounded(0.123456), fb.rounded(float("nan")), fb.rounded(None), fb.rounded(np.float64(2))]))')).toEqual([0.1235, null, null, 2]);
  });
});
