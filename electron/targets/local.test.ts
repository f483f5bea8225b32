import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { StepRecord } from '../../shared/api';
import { LocalExecution } from './local';
import type { TestBundle } from './testBundle';
import { alive, makeBundle, newRoot } from './testBundle';

const root = newRoot();
afterAll(() => rmSync(root, { recursive: true, force: true }));

const bundle = (steps: Parameters<typeof makeBundle>[1]) => makeBundle(root, steps);

function execution(b: TestBundle, slots: number) {
  const changes: StepRecord[] = [];
  const logs: Array<{ step: string; task: number | null; text: string }> = [];
  const exec = new LocalExecution({
    manifest: b.manifest,
    bundleDir: b.bundleDir,
    runDir: b.dir,
    python: null,
    slots,
    killGraceMs: 2000,
    onStepChanged: (s) => changes.push(s),
    onLog: (step, text, task) => logs.push({ step, task, text }),
  });
  const step = (id: string) => exec.steps.find((s) => s.id === id)!;
  return { exec, changes, logs, step };
}

/** Waits for a file to appear (bounded), so a step can prove another runs at the same time. */
const waitFor = (file: string) => `for _ in $(seq 200); do [ -e "${file}" ] && break; sleep 0.05; done; [ -e "${file}" ]`;

/** Start and end times (ns) each task appends to one shared file: the ground truth on overlap. */
const stamped = (body: string) => `echo "start $task $(date +%s%N)" >> "$FLUXO_RUN/times"; ${body}; echo "end $task $(date +%s%N)" >> "$FLUXO_RUN/times"`;

function mostAtOnce(timesFile: string): number {
  const events = readFileSync(timesFile, 'utf8')
    .trim()
    .split('\n')
    .map((l) => l.split(' '))
    .map(([kind, , ns]) => ({ at: BigInt(ns!), delta: kind === 'start' ? 1 : -1 }))
    // An end and a start at the same instant: count the end first.
    .sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : a.delta - b.delta));
  let now = 0;
  let most = 0;
  for (const e of events) most = Math.max(most, (now += e.delta));
  return most;
}

describe('LocalExecution: steps that run once', () => {
  it('runs independent steps at the same time when there are free cores', async () => {
    // a and b each wait for the other's flag: this only completes if they overlap.
    const b = bundle([
      { id: 'a', body: `touch "$FLUXO_RUN/a-started"; ${waitFor('$FLUXO_RUN/b-started')}; echo done > out.txt` },
      { id: 'b', body: `touch "$FLUXO_RUN/b-started"; ${waitFor('$FLUXO_RUN/a-started')}; echo done > out.txt` },
      { id: 'c', deps: ['a', 'b'], body: 'test -f ../a/out.txt && test -f ../b/out.txt && echo ok > out.txt' },
    ]);
    const { exec } = execution(b, 2);
    expect(await exec.start()).toBe('completed');
    expect(exec.steps.map((s) => [s.id, s.state, s.exitCode, s.marker])).toEqual([
      ['a', 'completed', 0, 'found'],
      ['b', 'completed', 0, 'found'],
      ['c', 'completed', 0, 'found'],
    ]);
    expect(exec.steps[2]!.outputs[0]).toMatchObject({ exists: true, size: 3, task: null });
    expect(readFileSync(path.join(b.dir, 'logs/c.exit'), 'utf8').trim()).toBe('0');
  });

  it('runs one step at a time on one core, in dependency order', async () => {
    const b = bundle([
      { id: 'a', body: 'echo a >> "$FLUXO_RUN/order"; echo > out.txt' },
      { id: 'b', deps: ['c'], body: 'echo b >> "$FLUXO_RUN/order"' },
      { id: 'c', body: 'echo c >> "$FLUXO_RUN/order"' },
    ]);
    b.manifest.order = ['a', 'c', 'b'];
    const { exec, changes } = execution(b, 1);
    expect(await exec.start()).toBe('completed');
    expect(readFileSync(path.join(b.dir, 'order'), 'utf8')).toBe('a\nc\nb\n');
    let running = 0;
    for (const c of changes) {
      running += c.state === 'running' ? 1 : -1;
      expect(running).toBeLessThanOrEqual(1);
    }
  });

  it('records the exit code and log of a failed step, skips what depends on it, and finishes the rest', async () => {
    const b = bundle([
      { id: 'bad', body: 'echo "loading data"; echo "error: the column target is missing" >&2; exit 3' },
      { id: 'after', deps: ['bad'], body: 'echo never > out.txt' },
      { id: 'other', body: 'echo fine > out.txt' },
    ]);
    const { exec, logs, step } = execution(b, 2);
    expect(await exec.start()).toBe('failed');
    expect(step('bad')).toMatchObject({ state: 'failed', exitCode: 3, marker: 'found', detail: null });
    expect(step('after')).toMatchObject({ state: 'skipped', exitCode: null, detail: 'not run: "Step bad" failed' });
    expect(step('other')).toMatchObject({ state: 'completed' });
    expect(step('bad').seconds).toBeGreaterThanOrEqual(0);
    const log = readFileSync(path.join(b.dir, 'logs/bad.log'), 'utf8');
    expect(log).toContain('loading data');
    expect(log).toContain('error: the column target is missing');
    expect(logs.filter((l) => l.step === 'bad').map((l) => l.text).join('')).toContain('loading data');
    expect(existsSync(path.join(b.dir, 'steps/after'))).toBe(false);
  });

  it('cancelling ends every process a step started, and nothing downstream runs', async () => {
    const b = bundle([
      { id: 'long', body: 'sleep 300 & echo $! > "$FLUXO_RUN/child.pid"; touch "$FLUXO_RUN/started"; wait' },
      { id: 'next', deps: ['long'], body: 'echo > out.txt' },
    ]);
    const { exec } = execution(b, 2);
    const finished = exec.start();
    await expect.poll(() => existsSync(path.join(b.dir, 'started')), { timeout: 10000 }).toBe(true);
    const child = Number(readFileSync(path.join(b.dir, 'child.pid'), 'utf8'));
    expect(alive(child)).toBe(true);
    expect(await exec.cancel()).toBe('cancelled');
    // cancel() resolves only once every process is gone.
    expect(alive(child)).toBe(false);
    expect(await finished).toBe('cancelled');
    expect(exec.steps.map((s) => s.state)).toEqual(['cancelled', 'cancelled']);
  });

  it('ends what a step left running in the background when it exits, as Slurm does at the end of a job', async () => {
    const b = bundle([{ id: 'leaky', body: 'sleep 300 >/dev/null 2>&1 & echo $! > "$FLUXO_RUN/bg.pid"; echo ok > out.txt' }]);
    const { exec } = execution(b, 1);
    expect(await exec.start()).toBe('completed');
    expect(alive(Number(readFileSync(path.join(b.dir, 'bg.pid'), 'utf8')))).toBe(false);
  });
});

describe('LocalExecution: arrays', () => {
  it('runs every task of an array with its own FLUXO_TASK, folder, log and marker, at most maxParallel at once', async () => {
    const b = bundle([{ id: 'sweep', tasks: 4, maxParallel: 2, body: stamped('sleep 0.4; echo "task $task" > out.txt; echo "printed by $task"') }]);
    const { exec, step, logs } = execution(b, 4);
    expect(await exec.start()).toBe('completed');
    // Two at once, never three, though four slots were free.
    expect(mostAtOnce(path.join(b.dir, 'times'))).toBe(2);
    const s = step('sweep');
    expect(s).toMatchObject({ state: 'completed', exitCode: 0, log: 'logs/sweep_{task}.log' });
    expect(s.tasks!.map((t) => [t.index, t.state, t.exitCode, t.marker, t.log])).toEqual([0, 1, 2, 3].map((i) => [i, 'completed', 0, 'found', `logs/sweep_${i}.log`]));
    expect(s.tasks!.map((t) => t.params)).toEqual([{ rate: 0 }, { rate: 0.1 }, { rate: 0.2 }, { rate: 0.3 }]);
    for (let i = 0; i < 4; i++) {
      expect(readFileSync(path.join(b.dir, `steps/sweep/task-${i}/out.txt`), 'utf8')).toBe(`task ${i}\n`);
      expect(readFileSync(path.join(b.dir, `logs/sweep_${i}.log`), 'utf8')).toBe(`printed by ${i}\n`);
      expect(readFileSync(path.join(b.dir, `logs/sweep_${i}.exit`), 'utf8').trim()).toBe('0');
    }
    expect(s.outputs.map((o) => [o.task, o.exists])).toEqual([0, 1, 2, 3].map((i) => [i, true]));
    // The live log names the task on every line; the task's log file has the text as printed.
    expect(logs.filter((l) => l.task === 2).map((l) => l.text)).toEqual(['[task 2] printed by 2\n']);
    expect(s.startedAt! <= s.tasks![0]!.startedAt!).toBe(true);
    expect(s.endedAt).toBe(s.tasks!.map((t) => t.endedAt!).sort().at(-1));
  });

  it('shares the CPU slots between tasks: two-core tasks on four slots run two at a time', async () => {
    const b = bundle([{ id: 'wide', tasks: 3, cpus: 2, body: stamped('sleep 0.3') }]);
    const { exec } = execution(b, 4);
    expect(await exec.start()).toBe('completed');
    expect(mostAtOnce(path.join(b.dir, 'times'))).toBe(2);
  });

  it('ignores a SLURM_ARRAY_TASK_ID and FLUXO_TASK that Fluxo itself was started with', async () => {
    const saved = { slurm: process.env.SLURM_ARRAY_TASK_ID, task: process.env.FLUXO_TASK };
    process.env.SLURM_ARRAY_TASK_ID = '7';
    process.env.FLUXO_TASK = '5';
    try {
      const b = bundle([
        { id: 'arr', tasks: 2, body: 'echo "$task" > out.txt' },
        { id: 'once', body: 'echo "[${FLUXO_TASK:-unset}]" > out.txt' },
      ]);
      const { exec } = execution(b, 2);
      expect(await exec.start()).toBe('completed');
      expect(readFileSync(path.join(b.dir, 'steps/arr/task-1/out.txt'), 'utf8')).toBe('1\n');
      expect(readFileSync(path.join(b.dir, 'steps/once/out.txt'), 'utf8')).toBe('[unset]\n');
    } finally {
      for (const [k, v] of [['SLURM_ARRAY_TASK_ID', saved.slurm], ['FLUXO_TASK', saved.task]] as const) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });

  it('"each": a failed upstream task skips only the downstream task with its index; the array and what waits for all of it fail', async () => {
    const b = bundle([
      { id: 'train', tasks: 4, body: '[ "$task" != 2 ] || { echo "error: no data for task 2" >&2; exit 5; }; echo "model $task" > out.txt' },
      { id: 'score', tasks: 4, deps: [{ step: 'train', mode: 'each' }], body: 'cat "../../train/task-$task/out.txt" > out.txt' },
      { id: 'compare', deps: ['score'], body: 'echo never > out.txt' },
      { id: 'side', body: 'echo fine > out.txt' },
    ]);
    const { exec, step } = execution(b, 2);
    expect(await exec.start()).toBe('failed');
    const train = step('train');
    expect(train).toMatchObject({ state: 'failed', exitCode: 5, detail: '1 of 4 tasks failed: 2 (exit code 5)' });
    expect(train.tasks!.map((t) => t.state)).toEqual(['completed', 'completed', 'failed', 'completed']);
    const score = step('score');
    expect(score.tasks!.map((t) => t.state)).toEqual(['completed', 'completed', 'skipped', 'completed']);
    expect(score.tasks![2]!.detail).toBe('not run: task 2 of "Step train" failed');
    expect(score).toMatchObject({ state: 'skipped', exitCode: null, detail: '1 of 4 tasks skipped: 2' });
    expect(readFileSync(path.join(b.dir, 'steps/score/task-3/out.txt'), 'utf8')).toBe('model 3\n');
    expect(existsSync(path.join(b.dir, 'steps/score/task-2'))).toBe(false);
    expect(existsSync(path.join(b.dir, 'logs/score_2.log'))).toBe(false);
    expect(step('compare')).toMatchObject({ state: 'skipped', detail: 'not run: task 2 of "Step score" was skipped' });
    expect(step('side').state).toBe('completed');
    expect(readFileSync(path.join(b.dir, 'logs/train_2.log'), 'utf8')).toBe('error: no data for task 2\n');
  });

  it('"each" lets task i start as soon as upstream task i completed, before the whole upstream array is done', async () => {
    // Upstream task 1 only ends once downstream task 0 has run: impossible if "each" waited for all.
    const b = bundle([
      { id: 'up', tasks: 2, body: `[ "$task" = 0 ] || { ${waitFor('$FLUXO_RUN/down-0')}; }; echo > out.txt` },
      { id: 'down', tasks: 2, deps: [{ step: 'up', mode: 'each' }], body: 'touch "$FLUXO_RUN/down-$task"; echo > out.txt' },
    ]);
    const { exec } = execution(b, 3);
    expect(await exec.start()).toBe('completed');
  });

  it('fan-in: a step that needs the whole array starts after its last task and sees every task folder', async () => {
    const b = bundle([
      { id: 'sweep', tasks: 3, body: 'sleep "0.$(( (3 - task) * 2 ))"; echo "$task" > out.txt' },
      { id: 'table', deps: ['sweep'], body: 'ls ../sweep > out.txt; cat ../sweep/task-*/out.txt >> out.txt' },
    ]);
    const { exec, step } = execution(b, 3);
    expect(await exec.start()).toBe('completed');
    expect(readFileSync(path.join(b.dir, 'steps/table/out.txt'), 'utf8')).toBe('task-0\ntask-1\ntask-2\n0\n1\n2\n');
    const lastTaskEnd = step('sweep').tasks!.map((t) => t.endedAt!).sort().at(-1)!;
    expect(step('table').startedAt! >= lastTaskEnd).toBe(true);
  });

  it('cancel during an array ends every running task\'s process group, marks the rest cancelled, and confirms', async () => {
    const b = bundle([
      { id: 'sweep', tasks: 4, maxParallel: 2, body: 'sleep 300 & echo $! > "$FLUXO_RUN/sleep-$task.pid"; wait' },
      { id: 'after', deps: ['sweep'], body: 'echo > out.txt' },
    ]);
    const { exec, step } = execution(b, 4);
    const finished = exec.start();
    const pidFiles = () => readdirSync(b.dir).filter((f) => f.startsWith('sleep-'));
    await expect.poll(() => pidFiles().length, { timeout: 10000 }).toBe(2);
    const pids = pidFiles().map((f) => Number(readFileSync(path.join(b.dir, f), 'utf8')));
    expect(pids.every(alive)).toBe(true);
    expect(await exec.cancel()).toBe('cancelled');
    expect(pids.filter(alive)).toEqual([]);
    expect(await finished).toBe('cancelled');
    const tasks = step('sweep').tasks!;
    expect(tasks.map((t) => t.state)).toEqual(['cancelled', 'cancelled', 'cancelled', 'cancelled']);
    // Two were stopped while running; two never started.
    expect(tasks.filter((t) => t.startedAt !== null)).toHaveLength(2);
    expect(tasks.filter((t) => t.detail === 'not run: the run was cancelled')).toHaveLength(2);
    expect(step('sweep').state).toBe('cancelled');
    expect(step('after').state).toBe('cancelled');
    expect(pidFiles()).toHaveLength(2);
  });
});

describe('LocalExecution: exit markers', () => {
  it('trusts the marker over the process status, and says when the marker is missing', async () => {
    const b = bundle([
      {
        id: 'odd',
        tasks: 3,
        body: [
          // Task 0: the marker says 3 while bash exits 0 (the trap is replaced by a direct write).
          'if [ "$task" = 0 ]; then trap - EXIT; echo 3 > "$marker"; exit 0; fi',
          // Task 1: killed by SIGKILL: bash never runs its trap, so there is no marker.
          'if [ "$task" = 1 ]; then kill -KILL $$; fi',
          'echo ok > out.txt',
        ].join('\n'),
      },
      { id: 'nomarker', marker: false, body: 'echo ok > out.txt' },
    ]);
    const { exec, step } = execution(b, 2);
    expect(await exec.start()).toBe('failed');
    const [zero, one, two] = step('odd').tasks!;
    expect(zero).toMatchObject({ state: 'failed', exitCode: 3, marker: 'found', detail: 'the exit marker says 3 but the process ended with exit code 0; the marker decides' });
    expect(one).toMatchObject({ state: 'failed', exitCode: 137, marker: 'missing', detail: 'killed by SIGKILL (no exit marker)' });
    expect(two).toMatchObject({ state: 'completed', exitCode: 0, marker: 'found', detail: null });
    expect(step('odd')).toMatchObject({ state: 'failed', exitCode: 3, detail: '2 of 3 tasks failed: 0 (exit code 3), 1 (exit code 137)' });
    // A script without a trap: the process status decides, and the record says so.
    expect(step('nomarker')).toMatchObject({ state: 'completed', exitCode: 0, marker: 'missing', detail: 'exited with 0 (no exit marker)' });
  });

  it('does not let a marker left from an earlier attempt speak for this one', async () => {
    const b = bundle([{ id: 'again', marker: false, body: 'exit 4' }]);
    const { mkdirSync, writeFileSync } = await import('node:fs');
    mkdirSync(path.join(b.dir, 'logs'));
    writeFileSync(path.join(b.dir, 'logs/again.exit'), '0\n');
    const { exec, step } = execution(b, 1);
    expect(await exec.start()).toBe('failed');
    expect(step('again')).toMatchObject({ state: 'failed', exitCode: 4, marker: 'missing' });
  });
});
