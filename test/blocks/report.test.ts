/**
 * The Report block: one self-contained HTML page with the metrics, figures and tables of upstream
 * steps and a model card. Its inputs collect any number of outputs (fan-in), so the tests lay files
 * out as a run does (steps/<step>/[task-<i>/]<file>, with the fluxo-task.json of each sweep task)
 * and run the real script with the argv its block.yaml expands to. The breast cancer example's own
 * use of Report is run in blocks.test.ts.
 *
 * Every value shown comes from a file or a setting, so the tests feed hostile text through each of
 * them and check that the page holds only the tags the report itself writes.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ParamValue } from '../../shared/document';
import { parseDocument } from '../../shared/document';
import { validatePipeline } from '../../shared/validate';
import { EXAMPLE_FILE, blockOf, catalog, expectError, findPython, runBlock } from './harness';
import type { StepRun } from './harness';

const { python, reason } = findPython(['matplotlib', 'PIL']);
if (!python) console.warn(`Skipping the report script tests: ${reason}`);

/** The tags the report writes; anything else in a page came from data and was not escaped. */
const REPORT_TAGS = new Set(['html', 'head', 'meta', 'title', 'style', 'body', 'h1', 'h2', 'h3', 'p', 'br', 'dl', 'dt', 'dd', 'ul', 'li', 'div', 'table', 'thead', 'tbody', 'tr', 'th', 'td', 'figure', 'img', 'figcaption', 'footer']);
const HOSTILE = `<script>alert("x")</script><img src=x onerror=alert(1)>"' & </td></table><!--`;

let tmp = '';
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fluxo-report-'));
});
afterAll(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

function write(name: string, text: string | Buffer): string {
  const file = path.join(tmp, name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  return file;
}

/** Real PNG and JPEG files, drawn by matplotlib and saved by Pillow. */
function images(folder: string): { png: string; jpeg: string } {
  const png = path.join(tmp, folder, 'roc.png');
  const jpeg = path.join(tmp, folder, 'photo.jpg');
  fs.mkdirSync(path.dirname(png), { recursive: true });
  const r = spawnSync(python ?? 'python3', ['-c', [
    'import sys, matplotlib', 'matplotlib.use("Agg")', 'import matplotlib.pyplot as plt', 'from PIL import Image',
    'fig, ax = plt.subplots(figsize=(2, 2)); ax.plot([0, 1], [0, 1]); fig.savefig(sys.argv[1])',
    'Image.new("RGB", (8, 8), (200, 30, 30)).save(sys.argv[2], "JPEG")',
  ].join('\n'), png, jpeg], { encoding: 'utf8' });
  expect(r.stderr).toBe('');
  return { png, jpeg };
}

function report(step: string, params: Record<string, ParamValue>, inputs: Record<string, string | string[]>): StepRun {
  return runBlock(blockOf(catalog, 'report'), { python: python ?? 'python3', stepDir: path.join(tmp, step), params, inputs });
}

function page(r: StepRun): string {
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return fs.readFileSync(r.outputs.report ?? '', 'utf8');
}

/** The page is self-contained and holds no markup from data: only the report's own tags, no script, no network. */
function expectSafe(html: string): void {
  const withoutStyle = html.replace(/<style>[^<]*<\/style>/, '');
  const tags = new Set([...withoutStyle.matchAll(/<\/?([a-zA-Z][a-zA-Z0-9]*)/g)].map((m) => (m[1] ?? '').toLowerCase()));
  expect([...tags].filter((t) => !REPORT_TAGS.has(t))).toEqual([]);
  expect(html.toLowerCase()).not.toContain('<script');
  expect(html).not.toMatch(/https?:\/\//);
  expect(html).not.toContain('<!--');
  expect(html).toContain(`content="default-src 'none'; img-src data:; style-src 'unsafe-inline'"`);
}

describe('report definition', () => {
  it('keeps the inputs older pipelines use, so the breast cancer example still validates at version 1', () => {
    const b = blockOf(catalog, 'report');
    expect(b.version).toBe(1);
    expect(b.inputs.map((i) => i.id)).toEqual(['metrics', 'roc_curve', 'confusion_matrix', 'figures', 'tables']);
    expect(b.inputs.filter((i) => i.multiple).map((i) => i.id)).toEqual(['metrics', 'figures', 'tables']);
    const parsed = parseDocument(fs.readFileSync(EXAMPLE_FILE, 'utf8'));
    if (!parsed.ok) throw new Error(parsed.message);
    expect(validatePipeline(parsed.document, catalog)).toEqual([]);
  });
});

describe.skipIf(!python)('report script', () => {
  it('compares the metrics of every sweep point, labelled by its settings, with explanations', () => {
    const metrics = [0.01, 0.1, 1].map((c, task) => {
      write(`sweep/run/steps/evaluate/task-${task}/fluxo-task.json`, JSON.stringify({ task, params: { 'train.c': c } }));
      return write(`sweep/run/steps/evaluate/task-${task}/metrics.json`, JSON.stringify({ accuracy: 0.9 + task / 100, roc_auc: 0.95, n_test: 143, model: 'logistic_regression', custom_score: task }));
    });
    const html = page(report('sweep/run/steps/report', { title: 'Sweep' }, { metrics, roc_curve: '', confusion_matrix: '', figures: [], tables: [] }));
    expectSafe(html);
    expect(html).toContain('<p>3 metrics files with the same metrics, one row each.</p>');
    for (const [task, c] of [[0, '0.0100'], [1, '0.1000'], [2, '1']] as const) expect(html).toContain(`<td>evaluate, task ${task}: train.c = ${c}</td>`);
    expect(html).toContain('<th>Source</th><th>Model</th><th>Accuracy</th><th>ROC AUC</th><th>Test samples</th><th>custom_score</th>');
    expect(html).toContain('<td>Logistic regression</td><td class="num">0.9200</td>');
    expect(html).toContain('<dt>ROC AUC</dt><dd>How well the model ranks positives above negatives; 0.5 is chance, 1 is perfect.');
    expect(html).not.toContain('<dt>custom_score</dt>');
  });

  it('embeds PNG and JPEG figures from any step, with known figures explained', () => {
    const { png, jpeg } = images('figs/run/steps/evaluate');
    const html = page(report('figs/run/steps/report', {}, { metrics: [], figures: [png, jpeg], tables: [] }));
    expectSafe(html);
    expect(html.match(/<img src="data:image\/png;base64,/g)).toHaveLength(1);
    expect(html.match(/<img src="data:image\/jpeg;base64,/g)).toHaveLength(1);
    const embedded = /data:image\/png;base64,([A-Za-z0-9+/=]+)/.exec(html)?.[1] ?? '';
    expect(Buffer.from(embedded, 'base64').equals(fs.readFileSync(png))).toBe(true);
    expect(html).toContain('ROC curve: each point is one possible yes/no cut-off.');
    expect(html).toContain('photo.jpg (evaluate)');
    expect(html).toContain('No metrics are connected.');
  });

  it('refuses a figure that is not an image, naming the input to use', () => {
    const table = write('notfig/table.csv', 'a,b\n1,2\n');
    expectError(report('notfig/step', {}, { metrics: [], figures: [table], tables: [] }), 'is not a PNG or JPEG image; connect figures to Figures and tables to Tables.');
  });

  it('shows the first rows of CSV and JSON Lines tables and says how many there are', () => {
    const rows = Array.from({ length: 30 }, (_, i) => `${i},patient ${i},"a, b"`).join('\n');
    const csv = write('tables/run/steps/evaluate/scores.csv', `row,name,quoted\n${rows}\n`);
    const jsonl = write('tables/run/steps/answers/answers.jsonl', '{"prompt": "p1", "generated": "g1"}\n{"prompt": "p2", "extra": 3}\n');
    const html = page(report('tables/run/steps/report', { table_rows: 5 }, { metrics: [], figures: [], tables: [csv, jsonl] }));
    expectSafe(html);
    expect(html).toContain('<h3>evaluate</h3>\n<p>The first 5 of 30 rows.</p>');
    expect(html).toContain('<td>4</td><td>patient 4</td><td>a, b</td>');
    expect(html).not.toContain('patient 5<');
    expect(html).toContain('<h3>answers</h3>\n<p>All 2 rows.</p>');
    expect(html).toContain('<th>prompt</th><th>generated</th><th>extra</th>');
    expect(html).toContain('<td>p2</td><td></td><td>3</td>');
  });

  it('shows subgroup results from an evaluation and a model card from the settings', () => {
    const metrics = write('card/run/steps/evaluate/metrics.json', JSON.stringify({
      accuracy: 0.91, roc_auc: 0.97, n_test: 143, model: 'random_forest', target: 'target', classes: [0, 1],
      subgroups: { column: 'sex', groups: [{ group: 'F', n: 70, accuracy: 0.93 }, { group: 'M', n: 73, accuracy: 0.89 }] },
      confusion_matrix: { labels: [0, 1], counts: [[80, 5], [8, 50]] },
    }));
    const html = page(report('card/run/steps/report', {
      data_description: 'Wisconsin data.\n\nSecond paragraph,\nwith a line break.',
      intended_use: 'Teaching only.',
      limitations: '',
    }, { metrics: [metrics], figures: [], tables: [] }));
    expectSafe(html);
    expect(html).toContain('<h2>Subgroup results</h2>');
    expect(html).toContain('<h3>Results by &quot;sex&quot;</h3>');
    expect(html).toContain('<td>F</td><td class="num">70</td><td class="num">0.9300</td>');
    expect(html).toContain('<h2>Model card</h2>');
    expect(html).toContain('<p>Wisconsin data.</p>\n<p>Second paragraph,<br>with a line break.</p>');
    expect(html).toContain('<dt>Outcome column</dt><dd>target</dd>');
    expect(html).toContain('<dt>Test samples</dt><dd>143</dd>');
    expect(html).toContain('<dt>Model</dt><dd>Random forest</dd>');
    expect(html).toContain('<li>evaluate: ROC AUC 0.9700, Accuracy 0.9100</li>');
    expect(html).toContain('See Subgroup results above');
    expect(html).toContain('<p>Teaching only.</p>');
    expect(html).toContain('Not stated. Say in the Report step&#x27;s settings what the model was not tested on');
    expect(html).toContain('Not described. Say in the Report step&#x27;s settings what the model does');
    // Structured values are not dumped into the metrics table.
    expect(html).not.toContain('[[80, 5], [8, 50]]');
  });

  it('escapes hostile text from every source: settings, metric names and values, tables, sweep settings, file names', () => {
    write(`hostile/run/steps/ev/task-0/fluxo-task.json`, JSON.stringify({ task: 0, params: { [HOSTILE]: HOSTILE } }));
    const metrics = write('hostile/run/steps/ev/task-0/metrics.json', JSON.stringify({ [HOSTILE]: 1.5, model: HOSTILE, note: HOSTILE, accuracy: 0.5, subgroups: [{ group: HOSTILE, accuracy: 0.4 }] }));
    const other = write('hostile/run/steps/other/metrics.json', JSON.stringify({ accuracy: 0.6, target: HOSTILE }));
    const table = write('hostile/run/steps/t/table.csv', `${'"' + HOSTILE.replace(/"/g, '""') + '"'},b\n"${HOSTILE.replace(/"/g, '""')}",2\n`);
    const { png } = images('hostile/run/steps/fig');
    const oddName = path.join(path.dirname(png), `<img src=x onerror=alert(1)>.png`);
    fs.copyFileSync(png, oddName);
    const settings = { title: HOSTILE, data_description: HOSTILE, model_description: HOSTILE, intended_use: HOSTILE, limitations: HOSTILE };
    for (const [name, metricsFiles] of [['one', [metrics]], ['two', [metrics, other]]] as const) {
      const html = page(report(`hostile/run/steps/report-${name}`, settings, { metrics: [...metricsFiles], figures: [oddName], tables: [table] }));
      expectSafe(html);
      expect(html.match(/<img /g)).toHaveLength(1);
      expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;&quot;&#x27; &amp; &lt;/td&gt;&lt;/table&gt;&lt;!--');
      expect(html).toContain(`<title>${'&lt;script&gt;alert(&quot;x&quot;)'}`);
    }
  });

  it('says what to connect when nothing is, and refuses a table count below 1', () => {
    expectError(report('empty', {}, { metrics: [], figures: [], tables: [] }), 'nothing is connected; connect metrics, figures or tables');
    const metrics = write('rows/metrics.json', '{"accuracy": 1}');
    expectError(report('rows', { table_rows: 0 }, { metrics: [metrics], figures: [], tables: [] }), '"Table rows shown" must be at least 1');
  });

  it('reports the real output of Evaluate answers: its metrics and its scores table', () => {
    const answers = write('llm/answers.jsonl', '{"generated": "The liver.", "response": "liver"}\n{"generated": "kidney", "response": "liver"}\n');
    const evaluate = runBlock(blockOf(catalog, 'llm-evaluate'), { python: python ?? 'python3', stepDir: path.join(tmp, 'llm/run/steps/evaluate'), inputs: { answers } });
    expect(evaluate.status).toBe(0);
    // The keys Fine-tune language model writes (it cannot run here): other metrics, so its own table.
    const training = write('llm/run/steps/finetune/training-metrics.json', JSON.stringify({ train_loss: 0.8123, train_examples: 120, learning_rate: 0.00001, base_model: '/models/qwen' }));
    const html = page(report('llm/run/steps/report', {}, { metrics: [training, evaluate.outputs.metrics ?? ''], figures: [], tables: [evaluate.outputs.scores ?? ''] }));
    expectSafe(html);
    expect(html).toContain('<h3>finetune</h3>\n<table>');
    expect(html).toContain('<tr><td>learning_rate</td><td class="value">1e-05</td>');
    expect(html).toContain('<h3>evaluate</h3>\n<table>');
    expect(html).toContain('<tr><td>Exact match</td><td class="value">0.5000</td>');
    expect(html).toContain('<dt>Base model</dt><dd>/models/qwen</dd>');
    expect(html).toContain('<li>finetune: Training loss 0.8123</li>');
    expect(html).toContain('<dt>Answer field</dt><dd>generated</dd>');
    expect(html).toContain('<li>evaluate: Exact match 0.5000, Token F1 0.5000</li>');
    expect(html).toContain('<td>The liver.</td>');
  });
});
