import { describe, expect, it } from 'vitest';
import type { RunRecord, StepRecord } from '../../shared/api';
import { createSessionStore, MAX_LOG_CHARS } from './sessionStore';

const step = (id: string, state: StepRecord['state'] = 'waiting'): StepRecord => ({
  id, label: id, blockId: 'b', state, exitCode: null, startedAt: null, endedAt: null, seconds: null, log: `logs/${id}.log`, outputs: [], tasks: null, marker: null, detail: null,
});
const run = (over: Partial<RunRecord> = {}): RunRecord => ({
  id: 'r1', pipelineName: 'P', pipelinePath: null, targetId: 'local', status: 'running', runDir: '/runs/r1',
  createdAt: '2026-01-01T00:00:00Z', endedAt: null, python: 'python3', steps: [step('a'), step('b')], error: null, ...over,
});

describe('session store', () => {
  it('step changes update the step states of the current run', () => {
    const s = createSessionStore();
    s.getState().setRun(run(), 'doc-1');
    s.getState().applyEvents([{ type: 'run.stepChanged', runId: 'r1', step: step('a', 'running') }]);
    expect(s.getState().steps.a?.state).toBe('running');
    expect(s.getState().run?.steps[0]?.state).toBe('running');
    expect(s.getState().docKey).toBe('doc-1');
  });

  it('log lines collect per step', () => {
    const s = createSessionStore();
    s.getState().setRun(run(), 'doc-1');
    s.getState().applyEvents([
      { type: 'run.logAppended', runId: 'r1', stepId: 'a', text: 'one\n' },
      { type: 'run.logAppended', runId: 'r1', stepId: 'b', text: 'other\n' },
      { type: 'run.logAppended', runId: 'r1', stepId: 'a', text: 'two\n' },
    ]);
    expect(s.getState().logs).toEqual({ a: 'one\ntwo\n', b: 'other\n' });
  });

  it('a very chatty step keeps only the tail of its log', () => {
    const s = createSessionStore();
    s.getState().setRun(run(), 'doc-1');
    const line = `${'x'.repeat(99)}\n`;
    for (let i = 0; i < 10; i++) s.getState().applyEvents([{ type: 'run.logAppended', runId: 'r1', stepId: 'a', text: line.repeat(MAX_LOG_CHARS / 500) }]);
    const log = s.getState().logs.a!;
    expect(log.length).toBeLessThanOrEqual(MAX_LOG_CHARS + 100);
    expect(log.startsWith('[… earlier lines')).toBe(true);
  });

  it('events of other runs are ignored', () => {
    const s = createSessionStore();
    s.getState().setRun(run(), 'doc-1');
    s.getState().applyEvents([{ type: 'run.stepChanged', runId: 'other', step: step('a', 'failed') }]);
    expect(s.getState().steps.a?.state).toBe('waiting');
  });

  it('events that overtake the answer to runs.start are applied once the run is known', () => {
    const s = createSessionStore();
    s.getState().beginStart('doc-1');
    s.getState().applyEvents([
      { type: 'run.started', run: run() },
      { type: 'run.stepChanged', runId: 'r1', step: step('a', 'running') },
      { type: 'run.logAppended', runId: 'r1', stepId: 'a', text: 'early\n' },
    ]);
    s.getState().setRun(run(), 'doc-1');
    expect(s.getState().steps.a?.state).toBe('running');
    expect(s.getState().logs.a).toBe('early\n');
    expect(s.getState().starting).toBe(false);
  });

  it('the finished event carries the final record with outputs', () => {
    const s = createSessionStore();
    s.getState().setRun(run(), 'doc-1');
    const done = run({ status: 'failed', steps: [step('a', 'completed'), step('b', 'failed')], endedAt: '2026-01-01T00:01:00Z' });
    s.getState().applyEvents([{ type: 'run.finished', run: done }]);
    expect(s.getState().run).toEqual(done);
    expect(s.getState().steps.b?.state).toBe('failed');
  });
});
