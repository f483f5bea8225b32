import { describe, expect, it } from 'vitest';
import type { RemoteRun, RunRecord, StepRecord, TransferView } from '../../shared/api';
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

  it('upload and download progress is kept per direction, the latest report winning', () => {
    const s = createSessionStore();
    s.getState().setRun(run({ targetId: 'lab' }), 'doc-1');
    const up = (done: number): TransferView => ({ direction: 'upload', file: 'data/a.csv', files: { done, total: 3, skipped: 0 }, bytes: { done: done * 100, total: 300 }, rate: 50, secondsLeft: 2 });
    s.getState().applyEvents([{ type: 'run.transfer', runId: 'r1', transfer: up(1) }, { type: 'run.transfer', runId: 'r1', transfer: up(2) }]);
    s.getState().applyEvents([{ type: 'run.transfer', runId: 'r1', transfer: { ...up(0), direction: 'download', file: 'steps/a/out.csv' } }]);
    expect(s.getState().transfers.upload?.bytes.done).toBe(200);
    expect(s.getState().transfers.download?.file).toBe('steps/a/out.csv');
    // Another run's transfer does not move these bars.
    s.getState().applyEvents([{ type: 'run.transfer', runId: 'other', transfer: up(3) }]);
    expect(s.getState().transfers.upload?.files.done).toBe(2);
  });

  it('a queued step keeps the reason Slurm gives, in words', () => {
    const s = createSessionStore();
    s.getState().setRun(run({ targetId: 'lab' }), 'doc-1');
    const queued: StepRecord = { ...step('a'), job: { id: '4242', submittedAt: '2026-01-01T00:00:05Z' }, scheduler: { state: 'PENDING', reason: 'Resources', reasonText: 'waiting for a free node', exitCode: null, seenAt: '2026-01-01T00:00:10Z' } };
    s.getState().applyEvents([{ type: 'run.stepChanged', runId: 'r1', step: queued }]);
    expect(s.getState().steps.a?.scheduler?.reasonText).toBe('waiting for a free node');
    expect(s.getState().run?.steps[0]?.job?.id).toBe('4242');
  });

  it('the cluster not answering shows on the run, and answering again clears it', () => {
    const s = createSessionStore();
    s.getState().setRun(run({ targetId: 'lab' }), 'doc-1');
    const remote: RemoteRun = { host: 'h', port: 22, user: 'ana', workDir: '/w', account: null, qos: null, reservation: null, phase: 'watching', bytesUploaded: 0, bytesDownloaded: 0, stepsExecuted: 0, stepsCached: 0, lastContactAt: null, unreachable: 'no answer for 2 minutes' };
    s.getState().applyEvents([{ type: 'run.remoteChanged', runId: 'r1', remote }]);
    expect(s.getState().run?.remote?.unreachable).toBe('no answer for 2 minutes');
    s.getState().applyEvents([{ type: 'run.remoteChanged', runId: 'r1', remote: { ...remote, unreachable: null } }]);
    expect(s.getState().run?.remote?.unreachable).toBeNull();
  });

  it('transfers and the cluster state that overtake the answer to runs.start are not lost', () => {
    const s = createSessionStore();
    s.getState().beginStart('doc-1');
    s.getState().applyEvents([{ type: 'run.transfer', runId: 'r1', transfer: { direction: 'upload', file: 'x', files: { done: 1, total: 1, skipped: 0 }, bytes: { done: 5, total: 5 }, rate: null, secondsLeft: null } }]);
    s.getState().setRun(run(), 'doc-1');
    expect(s.getState().transfers.upload?.bytes.done).toBe(5);
  });

  it('a past run shown read-only replaces the current one until closed, and the current one comes back', () => {
    const s = createSessionStore();
    const mine = run({ status: 'failed' });
    s.getState().setRun(mine, 'doc-1');
    const past = run({ id: 'old', status: 'completed', steps: [step('a', 'completed')] });
    s.getState().showPastRun(past, 'doc-past');
    expect(s.getState().run?.id).toBe('old');
    expect(s.getState().docKey).toBe('doc-past');
    expect(s.getState().steps.a?.state).toBe('completed');
    expect(s.getState().closePastRun()).toEqual({ run: mine, docKey: 'doc-1' });
    expect(s.getState().run?.id).toBe('r1');
    expect(s.getState().pastRun).toBeNull();
  });

  it('a run going on is never hidden behind a past run', () => {
    const s = createSessionStore();
    s.getState().setRun(run(), 'doc-1');
    s.getState().showPastRun(run({ id: 'old', status: 'completed' }), 'doc-past');
    expect(s.getState().run?.id).toBe('r1');
    expect(s.getState().pastRun).toBeNull();
  });
});
