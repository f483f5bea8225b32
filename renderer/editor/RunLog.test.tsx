import { act, cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RunRecord, StepRecord, TaskRecord } from '../../shared/api';
import { sessionStore } from '../state/sessionStore';
import { RunLog, taskLines, VISIBLE_LINES } from './RunLog';

const task = (index: number, state: TaskRecord['state']): TaskRecord => ({ index, params: {}, state, exitCode: null, startedAt: null, endedAt: null, seconds: null, log: `logs/sweep_${index}.log`, marker: null, detail: null });
const step = (id: string, over: Partial<StepRecord> = {}): StepRecord => ({ id, label: id, blockId: 'b', state: 'running', exitCode: null, startedAt: null, endedAt: null, seconds: null, log: `logs/${id}.log`, outputs: [], tasks: null, marker: null, detail: null, ...over });
const run = (steps: StepRecord[]): RunRecord => ({ id: 'r1', pipelineName: 'P', pipelinePath: null, targetId: 'local', status: 'running', runDir: '/r', createdAt: '2026-01-01T00:00:00Z', endedAt: null, python: null, steps, error: null });

beforeEach(() => sessionStore.getState().clear());
afterEach(cleanup);

describe('the log viewer', () => {
  it('a very long log shows its tail at once and the earlier lines on request', () => {
    act(() => sessionStore.getState().setRun(run([step('a')]), 'k'));
    const text = Array.from({ length: VISIBLE_LINES + 500 }, (_, i) => `line ${i}`).join('\n');
    act(() => sessionStore.getState().applyEvents([{ type: 'run.logAppended', runId: 'r1', stepId: 'a', text }]));
    render(<RunLog />);
    const pre = screen.getByTestId('run-log-text');
    expect(pre.textContent?.startsWith('line 500\n')).toBe(true);
    expect(screen.getByText(/500 earlier lines are hidden/)).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Show them' }));
    expect(pre.textContent?.startsWith('line 0\n')).toBe(true);
  });

  it('follows the tail until the user scrolls up, then offers "Jump to end"', () => {
    act(() => sessionStore.getState().setRun(run([step('a')]), 'k'));
    act(() => sessionStore.getState().applyEvents([{ type: 'run.logAppended', runId: 'r1', stepId: 'a', text: 'one\n' }]));
    render(<RunLog />);
    const pre = screen.getByTestId('run-log-text');
    Object.defineProperty(pre, 'scrollHeight', { configurable: true, value: 1000 });
    Object.defineProperty(pre, 'clientHeight', { configurable: true, value: 200 });
    act(() => sessionStore.getState().applyEvents([{ type: 'run.logAppended', runId: 'r1', stepId: 'a', text: 'two\n' }]));
    expect(pre.scrollTop).toBe(1000);
    expect(screen.queryByRole('button', { name: 'Jump to end' })).toBeNull();
    pre.scrollTop = 100;
    fireEvent.scroll(pre);
    act(() => sessionStore.getState().applyEvents([{ type: 'run.logAppended', runId: 'r1', stepId: 'a', text: 'three\n' }]));
    expect(pre.scrollTop).toBe(100);
    fireEvent.click(screen.getByRole('button', { name: 'Jump to end' }));
    expect(pre.scrollTop).toBe(1000);
  });

  it('an array step shows one task at a time when asked, without the task prefix', () => {
    act(() => sessionStore.getState().setRun(run([step('sweep', { tasks: [task(0, 'completed'), task(1, 'running')] })]), 'k'));
    act(() => sessionStore.getState().applyEvents([{ type: 'run.logAppended', runId: 'r1', stepId: 'sweep', text: '[task 0] C=0.1\n[task 1] C=1\n[task 0] done\n' }]));
    render(<RunLog />);
    fireEvent.change(screen.getByLabelText('Task'), { target: { value: '0' } });
    expect(screen.getByTestId('run-log-text').textContent).toBe('C=0.1\ndone');
    expect(taskLines('[task 1] x\n[task 10] y', 1)).toBe('x');
  });
});
