import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { FluxoEvent, Result, RunRecord } from '../../shared/api';
import type { PipelineDocument } from '../../shared/document';
import { DOCUMENT_VERSION } from '../../shared/document';
import { createBackend } from '../../electron/backend/index';
import { alive } from '../../electron/targets/testBundle';

/**
 * A real sweep compiled by the real compiler and run by the real backend on "This computer":
 * make -> score (sweep over rate, at most 2 at once) -> check (inherits the sweep: task i reads
 * task i) -> collect (fan-in: every task's file, after the whole array). The blocks are tiny bash
 * scripts written here, so the test pins the executor and the compiler, not a science block.
 */

const repo = path.resolve(__dirname, '../..');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'fluxo-sweep-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const BLOCKS: Record<string, { yaml: string; files: Record<string, string> }> = {
  'fx-make': {
    yaml: `
id: fx-make
version: 1
title: Make numbers
category: data
description: Writes a small table of numbers.
params:
  - { id: rows, type: integer, title: Rows, default: 5, min: 1, max: 100 }
outputs:
  - { id: table, title: Table, format: table.csv, path: table.csv }
files: [make.sh]
command: ["bash", "{{block}}/make.sh", "{{params.rows}}", "{{outputs.table}}"]
`,
    files: { 'make.sh': 'set -euo pipefail\n{ echo value; seq 1 "$1"; } > "$2"\n' },
  },
  'fx-score': {
    yaml: `
id: fx-score
version: 1
title: Score
category: train
description: Scores a table at one rate.
inputs:
  - { id: data, title: Data, format: table.csv }
params:
  - { id: rate, type: number, title: Rate, default: 0.5, min: 0, max: 1 }
  - { id: fail_at, type: string, title: Fail at, default: "never" }
outputs:
  - { id: metrics, title: Metrics, format: metrics.json, path: metrics.json }
files: [score.sh]
command: ["bash", "{{block}}/score.sh", "{{inputs.data}}", "{{params.rate}}", "{{params.fail_at}}", "{{outputs.metrics}}"]
`,
    files: {
      'score.sh': [
        'set -euo pipefail',
        'if [ "$2" = "$3" ]; then echo "error: rate $2 is not allowed" >&2; exit 3; fi',
        'rows=$(( $(wc -l < "$1") - 1 ))',
        'echo "scoring $rows rows at rate $2"',
        'printf \'{"rate": %s, "rows": %s}\\n\' "$2" "$rows" > "$4"',
        '',
      ].join('\n'),
    },
  },
  'fx-check': {
    yaml: `
id: fx-check
version: 1
title: Check
category: evaluate
description: Checks one metrics file.
inputs:
  - { id: metrics, title: Metrics, format: metrics.json }
outputs:
  - { id: checked, title: Checked, format: metrics.json, path: checked.json }
files: [check.sh]
command: ["bash", "{{block}}/check.sh", "{{inputs.metrics}}", "{{outputs.checked}}"]
`,
    files: { 'check.sh': 'set -euo pipefail\necho "checking ${1#"$FLUXO_RUN"/}"\ncp "$1" "$2"\n' },
  },
  'fx-collect': {
    yaml: `
id: fx-collect
version: 1
title: Collect
category: report
description: Collects every point of a sweep.
inputs:
  - { id: metrics, title: Metrics, format: metrics.json, multiple: true }
outputs:
  - { id: table, title: Table, format: table.tsv, path: summary.tsv }
files: [collect.sh]
command: ["bash", "{{block}}/collect.sh", "{{outputs.table}}", "{{inputs.metrics}}"]
`,
    files: {
      // Labels each point the way fan-in blocks do: fluxo-task.json beside the file it got.
      'collect.sh': [
        'set -euo pipefail',
        'out="$1"; shift',
        ': > "$out"',
        'for p in "$@"; do',
        '  printf \'%s\\t%s\\t%s\\n\' "${p#"$FLUXO_RUN"/}" "$(cat "$(dirname "$p")/fluxo-task.json")" "$(cat "$p")" >> "$out"',
        'done',
        '',
      ].join('\n'),
    },
  },
  'fx-wait': {
    yaml: `
id: fx-wait
version: 1
title: Wait
category: train
description: Waits a long time, like a long training.
params:
  - { id: point, type: integer, title: Point, default: 0, min: 0, max: 10 }
outputs:
  - { id: out, title: Out, format: text, path: out.txt }
files: [wait.sh]
command: ["bash", "{{block}}/wait.sh", "{{params.point}}", "{{outputs.out}}"]
`,
    files: { 'wait.sh': 'sleep 300 & echo $! > sleeper.pid\nwait\necho done > "$2"\n' },
  },
  'fx-tool': {
    yaml: `
id: fx-tool
version: 1
title: Needs a tool
category: preprocess
description: Runs a program that is not installed.
outputs:
  - { id: out, title: Out, format: text, path: out.txt }
software:
  environments:
    - { kind: system, tools: [fluxo-no-such-tool, bash] }
files: [tool.sh]
command: ["bash", "{{block}}/tool.sh", "{{outputs.out}}"]
`,
    files: { 'tool.sh': 'fluxo-no-such-tool > "$1"\n' },
  },
};

/** A resources folder with the shipped runtime and "This computer", and only the blocks above. */
function resources(): string {
  const dir = path.join(tmp, 'resources');
  if (existsSync(dir)) return dir;
  cpSync(path.join(repo, 'resources/runtime'), path.join(dir, 'runtime'), { recursive: true });
  mkdirSync(path.join(dir, 'targets'), { recursive: true });
  cpSync(path.join(repo, 'resources/targets/local.yaml'), path.join(dir, 'targets/local.yaml'));
  for (const [id, block] of Object.entries(BLOCKS)) {
    mkdirSync(path.join(dir, 'blocks', id), { recursive: true });
    writeFileSync(path.join(dir, 'blocks', id, 'block.yaml'), block.yaml);
    for (const [name, text] of Object.entries(block.files)) writeFileSync(path.join(dir, 'blocks', id, name), text);
  }
  return dir;
}

function value<T>(r: Result<T>): T {
  if (!r.ok) throw new Error(`${r.error.code} ${r.error.message}`);
  return r.value;
}

const at = (x: number) => ({ x, y: 0 });

function sweepPipeline(failAt = 'never'): PipelineDocument {
  return {
    format: 'fluxo-pipeline',
    version: DOCUMENT_VERSION,
    metadata: { name: 'Sweep on this computer', description: '', author: '', created: '2026-01-01T00:00:00Z', updated: '2026-01-01T00:00:00Z' },
    steps: [
      { id: 'make', type: 'fx-make', version: 1, label: 'Make', params: { rows: 4 }, position: at(0) },
      { id: 'score', type: 'fx-score', version: 1, label: 'Score', params: { fail_at: failAt }, sweep: { values: { rate: [0.1, 0.5, 0.9] }, maxParallel: 2 }, position: at(1) },
      { id: 'check', type: 'fx-check', version: 1, label: 'Check', params: {}, position: at(2) },
      { id: 'collect', type: 'fx-collect', version: 1, label: 'Collect', params: {}, position: at(3) },
    ],
    connections: [
      { from: { step: 'make', port: 'table' }, to: { step: 'score', port: 'data' } },
      { from: { step: 'score', port: 'metrics' }, to: { step: 'check', port: 'metrics' } },
      { from: { step: 'check', port: 'checked' }, to: { step: 'collect', port: 'metrics' } },
    ],
    notes: [],
  };
}

async function run(doc: PipelineDocument) {
  const homeDir = mkdtempSync(path.join(tmp, 'home-'));
  const b = createBackend({ hostKind: 'cli', resourcesDir: resources(), homeDir });
  const events: FluxoEvent[] = [];
  b.subscribe((batch) => events.push(...batch));
  const started = await b.services.runs.start({ document: doc, targetId: 'local' });
  if (!started.ok) return { started, homeDir, events, record: null as RunRecord | null, dispose: () => b.dispose() };
  const record = await b.waitForRun(started.value.id);
  await expect.poll(() => events.at(-1)?.type).toBe('run.finished');
  return { started, homeDir, events, record, dispose: () => b.dispose() };
}

const read = (dir: string, rel: string) => readFileSync(path.join(dir, rel), 'utf8');

describe('a sweep on "This computer"', () => {
  it('runs every task in its own folder, inherits the sweep task by task, and fans in after the whole array', async () => {
    const { started, record, events, dispose } = await run(sweepPipeline());
    expect(started.ok ? null : started.error).toBeNull();
    expect(record?.status).toBe('completed');
    const r = record!;
    const step = (id: string) => r.steps.find((s) => s.id === id)!;
    const dir = r.runDir;

    // Each task of the sweep: its folder, its sweep point, its log and its exit marker.
    const rates = [0.1, 0.5, 0.9];
    rates.forEach((rate, i) => {
      expect(JSON.parse(read(dir, `steps/score/task-${i}/fluxo-task.json`))).toEqual({ task: i, params: { rate } });
      expect(JSON.parse(read(dir, `steps/score/task-${i}/metrics.json`))).toEqual({ rate, rows: 4 });
      expect(read(dir, `logs/score_${i}.log`)).toBe(`scoring 4 rows at rate ${rate}\n`);
      expect(read(dir, `logs/score_${i}.exit`).trim()).toBe('0');
      // The inherited step: task i read task i of the sweep.
      expect(read(dir, `logs/check_${i}.log`)).toBe(`checking steps/score/task-${i}/metrics.json\n`);
      expect(JSON.parse(read(dir, `steps/check/task-${i}/fluxo-task.json`)).task).toBe(i);
      expect(read(dir, `logs/check_${i}.exit`).trim()).toBe('0');
    });
    expect(read(dir, 'logs/make.exit').trim()).toBe('0');
    expect(read(dir, 'logs/collect.exit').trim()).toBe('0');

    // The fan-in received every task's file, in task order, each labelled by its sweep point.
    const rows = read(dir, 'steps/collect/summary.tsv').trimEnd().split('\n').map((l) => l.split('\t'));
    expect(rows.map((c) => c[0])).toEqual([0, 1, 2].map((i) => `steps/check/task-${i}/checked.json`));
    expect(rows.map((c) => JSON.parse(c[2]!).rate)).toEqual(rates);
    expect(rows.map((c) => JSON.parse(c[1]!).task)).toEqual([0, 1, 2]);

    // The record: every task, its sweep point, its outputs; the fan-in started after the last task.
    const score = step('score');
    expect(score.tasks!.map((t) => [t.index, t.params, t.state, t.exitCode, t.marker, t.log])).toEqual(
      rates.map((rate, i) => [i, { rate }, 'completed', 0, 'found', `logs/score_${i}.log`]),
    );
    expect(score.outputs.map((o) => [o.path, o.task, o.exists])).toEqual([0, 1, 2].map((i) => [`steps/score/task-${i}/metrics.json`, i, true]));
    const lastCheck = step('check').tasks!.map((t) => t.endedAt!).sort().at(-1)!;
    expect(step('collect').startedAt! >= lastCheck).toBe(true);
    expect(step('collect')).toMatchObject({ state: 'completed', tasks: null, marker: 'found' });
    // An array's results stay in task folders; nothing named metrics.json lands at the top.
    expect(readdirSync(dir)).not.toContain('metrics.json');

    // What the user sees while it runs: each task's lines are labelled.
    const logText = events.flatMap((e) => (e.type === 'run.logAppended' && e.stepId === 'score' ? [e.text] : [])).join('');
    expect(logText).toContain('[task 1] scoring 4 rows at rate 0.5\n');

    // The record on disk and the Workflow Run RO-Crate.
    const saved = JSON.parse(read(dir, 'run.json')) as RunRecord;
    expect(saved.steps.find((s) => s.id === 'check')!.tasks).toHaveLength(3);
    const crate = read(dir, 'ro-crate-metadata.json');
    expect(JSON.parse(crate)['@graph'].length).toBeGreaterThan(4);
    expect(crate).toContain(r.id);
    await dispose();
  }, 60_000);

  it('a failed task skips only its own downstream task and the fan-in; the others finish; the error names the task', async () => {
    const { started, record, dispose } = await run(sweepPipeline('0.5'));
    expect(started.ok ? null : started.error).toBeNull();
    expect(record?.status).toBe('failed');
    const r = record!;
    const step = (id: string) => r.steps.find((s) => s.id === id)!;
    expect(step('score').tasks!.map((t) => [t.state, t.exitCode])).toEqual([
      ['completed', 0],
      ['failed', 3],
      ['completed', 0],
    ]);
    expect(step('score')).toMatchObject({ state: 'failed', exitCode: 3 });
    expect(step('check').tasks!.map((t) => t.state)).toEqual(['completed', 'skipped', 'completed']);
    expect(step('collect')).toMatchObject({ state: 'skipped' });
    expect(read(r.runDir, 'logs/score_1.log')).toBe('error: rate 0.5 is not allowed\n');
    expect(read(r.runDir, 'logs/score_1.exit').trim()).toBe('3');
    expect(existsSync(path.join(r.runDir, 'steps/check/task-2/checked.json'))).toBe(true);
    expect(existsSync(path.join(r.runDir, 'steps/check/task-1'))).toBe(false);
    expect(r.error).toMatchObject({ message: 'step "Score" task 1 failed with exit code 3', hint: `Read its log: ${path.join(r.runDir, 'logs/score_1.log')}` });
    expect(existsSync(path.join(r.runDir, 'ro-crate-metadata.json'))).toBe(true);
    await dispose();
  }, 60_000);

  it('cancel stops every running task of a sweep; their markers say 143 (TERM); the rest never start', async () => {
    const homeDir = mkdtempSync(path.join(tmp, 'home-'));
    const b = createBackend({ hostKind: 'cli', resourcesDir: resources(), homeDir });
    const doc = sweepPipeline();
    doc.steps = [{ id: 'wait', type: 'fx-wait', version: 1, label: 'Wait', params: {}, sweep: { values: { point: [1, 2, 3, 4] }, maxParallel: 2 }, position: at(0) }];
    doc.connections = [];
    const started = value(await b.services.runs.start({ document: doc, targetId: 'local' }));
    const dir = started.runDir;
    const pidFile = (i: number) => path.join(dir, `steps/wait/task-${i}/sleeper.pid`);
    // maxParallel 2 (or one per core on a single-core machine): the first tasks run, the others wait.
    const running = Array.from({ length: Math.min(2, os.availableParallelism()) }, (_, i) => i);
    await expect.poll(() => running.every((i) => existsSync(pidFile(i)) && readFileSync(pidFile(i), 'utf8').trim() !== ''), { timeout: 20_000 }).toBe(true);
    const pids = running.map((i) => Number(readFileSync(pidFile(i), 'utf8')));
    expect(pids.every(alive)).toBe(true);
    const cancelled = value(await b.services.runs.cancel(started.id));
    expect(pids.filter(alive)).toEqual([]);
    expect(cancelled.status).toBe('cancelled');
    const tasks = cancelled.steps[0]!.tasks!;
    expect(tasks.map((t) => t.state)).toEqual(['cancelled', 'cancelled', 'cancelled', 'cancelled']);
    expect(tasks.slice(0, running.length).map((t) => [t.exitCode, t.marker])).toEqual(running.map(() => [143, 'found']));
    expect(running.map((i) => read(dir, `logs/wait_${i}.exit`).trim())).toEqual(running.map(() => '143'));
    expect(existsSync(path.join(dir, 'steps/wait/task-2'))).toBe(false);
    expect(JSON.parse(read(dir, 'run.json')).status).toBe('cancelled');
    await b.dispose();
  }, 60_000);

  it('refuses to start when a program a step needs is not installed, naming it, the step and the package', async () => {
    const doc = sweepPipeline();
    doc.steps = [{ id: 'tool', type: 'fx-tool', version: 1, label: 'Needs a tool', params: {}, position: at(0) }];
    doc.connections = [];
    const { started, homeDir, dispose } = await run(doc);
    expect(started).toEqual({
      ok: false,
      error: {
        code: 'E406',
        message: 'A program this pipeline needs is not installed on this computer: fluxo-no-such-tool (needed by Needs a tool)',
        hint: 'Install it with: sudo apt install fluxo-no-such-tool (Debian/Ubuntu), or put it on PATH before starting Fluxo.',
        details: [{ tool: 'fluxo-no-such-tool', usedBy: ['tool'], apt: 'fluxo-no-such-tool' }],
      },
    });
    // Nothing ran and nothing was written.
    expect(existsSync(path.join(homeDir, 'runs'))).toBe(false);
    await dispose();
  });

  it('a rerun from the failed step reuses what the failed run completed (linked, not run again) and runs the rest', async () => {
    const homeDir = mkdtempSync(path.join(tmp, 'home-'));
    const b = createBackend({ hostKind: 'cli', resourcesDir: resources(), homeDir });
    try {
      const failed = await b.waitForRun(value(await b.services.runs.start({ document: sweepPipeline('0.5'), targetId: 'local' })).id);
      expect(failed.status).toBe('failed');

      const fixed = await b.waitForRun(
        value(await b.services.runs.start({ document: sweepPipeline(), targetId: 'local', rerun: { runId: failed.id, from: 'failed' } })).id,
      );
      expect(fixed.status).toBe('completed');
      expect(fixed.rerunOf).toBe(failed.id);
      const make = fixed.steps.find((s) => s.id === 'make')!;
      expect(make).toMatchObject({ state: 'completed', cached: true, cachedFrom: failed.id });
      // The same file, not a copy made by running the step again.
      const inode = (dir: string) => statSync(path.join(dir, 'steps/make/table.csv')).ino;
      expect(inode(fixed.runDir)).toBe(inode(failed.runDir));
      expect(read(fixed.runDir, 'logs/make.log')).toBe(read(failed.runDir, 'logs/make.log'));
      for (const id of ['score', 'check', 'collect']) expect(fixed.steps.find((s) => s.id === id)).toMatchObject({ state: 'completed' });
      expect(fixed.steps.find((s) => s.id === 'score')!.cached).toBeFalsy();

      // From a later step: everything before it is reused, that step runs.
      const last = await b.waitForRun(value(await b.services.runs.start({ document: sweepPipeline(), targetId: 'local', rerun: { runId: fixed.id, from: { step: 'collect' } } })).id);
      expect(last.steps.map((s) => [s.id, s.state, s.cached === true])).toEqual([
        ['make', 'completed', true],
        ['score', 'completed', true],
        ['check', 'completed', true],
        ['collect', 'completed', false],
      ]);
      expect(read(last.runDir, 'steps/collect/summary.tsv')).toBe(read(fixed.runDir, 'steps/collect/summary.tsv').split(fixed.runDir).join(last.runDir));

      // A changed param is never served from the earlier run.
      const changed = sweepPipeline();
      changed.steps[0]!.params.rows = 6;
      const rerunChanged = await b.waitForRun(value(await b.services.runs.start({ document: changed, targetId: 'local', rerun: { runId: last.id, from: { step: 'collect' } } })).id);
      expect(rerunChanged.steps.every((s) => !s.cached && s.state === 'completed')).toBe(true);
    } finally {
      await b.dispose();
    }
  });
});

