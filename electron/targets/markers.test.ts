import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalExecution } from './local';
import { judgeExit, readFinalStates } from './markers';
import { makeBundle, newRoot } from './testBundle';

const root = newRoot();
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A sweep of 3, a step that inherits it ("each"), a fan-in over it, and an independent step. */
function pipeline() {
  return makeBundle(root, [
    { id: 'train', tasks: 3, body: 'echo > out.txt' },
    { id: 'score', tasks: 3, deps: [{ step: 'train', mode: 'each' }], body: 'echo > out.txt' },
    { id: 'compare', deps: ['score'], body: 'echo > out.txt' },
    { id: 'other', body: 'echo > out.txt' },
  ]);
}

function writeMarkers(dir: string, markers: Record<string, string>): void {
  mkdirSync(path.join(dir, 'logs'), { recursive: true });
  for (const [name, text] of Object.entries(markers)) writeFileSync(path.join(dir, 'logs', name), text);
}

describe('readFinalStates', () => {
  it('rebuilds every step and task state from the marker files alone', async () => {
    const b = pipeline();
    writeMarkers(b.dir, { 'train_0.exit': '0\n', 'train_1.exit': '2\n', 'train_2.exit': '0\n', 'score_0.exit': '0\n', 'other.exit': '0\n' });
    const states = await readFinalStates(b.manifest, b.dir);
    const byId = Object.fromEntries(states.map((s) => [s.id, s]));
    expect(byId.train).toMatchObject({ state: 'failed', exitCode: 2, detail: '1 of 3 tasks failed: 1 (exit code 2)' });
    expect(byId.train!.tasks!.map((t) => [t.index, t.state, t.exitCode, t.marker])).toEqual([
      [0, 'completed', 0, 'found'],
      [1, 'failed', 2, 'found'],
      [2, 'completed', 0, 'found'],
    ]);
    // Task 1 cannot run (its counterpart failed); task 2 has no marker yet: it may still be running.
    expect(byId.score!.tasks!.map((t) => [t.state, t.detail])).toEqual([
      ['completed', null],
      ['skipped', 'not run: task 1 of "Step train" failed'],
      ['waiting', null],
    ]);
    expect(byId.score!.state).toBe('waiting');
    expect(byId.compare).toMatchObject({ state: 'skipped', detail: 'not run: task 1 of "Step score" was skipped' });
    expect(byId.other).toMatchObject({ state: 'completed', exitCode: 0, marker: 'found', tasks: null });
  });

  it('once the run has ended, a task with no marker whose needs were met failed without recording how', async () => {
    const b = pipeline();
    writeMarkers(b.dir, { 'train_0.exit': '0', 'train_1.exit': '0', 'train_2.exit': '0', 'score_0.exit': '0', 'score_1.exit': 'garbage', 'other.exit': '0' });
    const states = await readFinalStates(b.manifest, b.dir, { ended: true });
    const score = states.find((s) => s.id === 'score')!;
    expect(score.tasks!.map((t) => [t.state, t.marker])).toEqual([
      ['completed', 'found'],
      ['failed', 'unreadable'],
      ['failed', 'missing'],
    ]);
    expect(score.tasks![2]!.detail).toBe('no exit marker: the job ended without recording how');
    expect(score.tasks![1]!.detail).toBe('the exit marker holds "garbage", not an exit code: the job ended without recording how');
    expect(states.find((s) => s.id === 'compare')!.state).toBe('skipped');
  });

  it('agrees with what the local executor recorded for a real run', async () => {
    const b = makeBundle(root, [
      { id: 'train', tasks: 3, body: '[ "$task" != 1 ] || exit 4; echo > out.txt' },
      { id: 'score', tasks: 3, deps: [{ step: 'train', mode: 'each' }], body: 'echo > out.txt' },
      { id: 'compare', deps: ['train'], body: 'echo > out.txt' },
    ]);
    const exec = new LocalExecution({ manifest: b.manifest, bundleDir: b.bundleDir, runDir: b.dir, python: null, slots: 2, onStepChanged: () => {}, onLog: () => {} });
    expect(await exec.start()).toBe('failed');
    const rebuilt = await readFinalStates(b.manifest, b.dir, { ended: true });
    const summary = (s: { id: string; state: string; exitCode: number | null; tasks: Array<{ state: string; exitCode: number | null }> | null }) => [
      s.id,
      s.state,
      s.exitCode,
      s.tasks?.map((t) => [t.state, t.exitCode]) ?? null,
    ];
    expect(rebuilt.map(summary)).toEqual(exec.steps.map(summary));
    expect(rebuilt.map((s) => s.state)).toEqual(['failed', 'skipped', 'skipped']);
  });
});

describe('judgeExit', () => {
  it('takes the exit code from the marker, from the process when there is none, and names a kill', () => {
    expect(judgeExit({ kind: 'found', code: 0 }, { code: 0, signal: null })).toEqual({ state: 'completed', exitCode: 0, marker: 'found', detail: null });
    // The trap recorded success, then bash was killed on its way out: the work was done.
    expect(judgeExit({ kind: 'found', code: 0 }, { code: null, signal: 'SIGKILL' })).toEqual({
      state: 'completed',
      exitCode: 0,
      marker: 'found',
      detail: 'the exit marker says 0 but the process ended with signal SIGKILL; the marker decides',
    });
    expect(judgeExit({ kind: 'found', code: 143 }, { code: null, signal: 'SIGTERM' })).toMatchObject({ state: 'failed', exitCode: 143, detail: null });
    expect(judgeExit({ kind: 'missing' }, { code: 1, signal: null })).toEqual({ state: 'failed', exitCode: 1, marker: 'missing', detail: 'exited with 1 (no exit marker)' });
    expect(judgeExit({ kind: 'missing' }, { code: null, signal: 'SIGKILL' })).toEqual({ state: 'failed', exitCode: 137, marker: 'missing', detail: 'killed by SIGKILL (no exit marker)' });
  });
});
