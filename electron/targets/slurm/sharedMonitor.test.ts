import { describe, expect, it } from 'vitest';
import type { JobUpdate, MonitorExecResult, TrackedJob } from './monitor';
import { SharedMonitor } from './sharedMonitor';

const SUBMITTED = new Date().toISOString().slice(0, 19);

function job(runId: string, id: string): TrackedJob {
  return { key: `${id}@${SUBMITTED}Z`, id, submittedAt: `${SUBMITTED}Z`, runId, stepId: `step-${id}`, tasks: null, markers: [`/runs/${runId}/logs/step-${id}.exit`], gpus: 0 };
}

describe('SharedMonitor', () => {
  it('two runs on one cluster cost one squeue per cycle, and each run hears only of its own jobs', async () => {
    const commands: string[] = [];
    const states: Record<string, string> = { '101': 'RUNNING', '202': 'PENDING' };
    const exec = async (command: string): Promise<MonitorExecResult> => {
      commands.push(command);
      if (!/\bsqueue\b/.test(command)) return { code: 1, stdout: '', stderr: 'sacct: error: Slurm accounting storage is disabled\n' };
      const lines = Object.entries(states).map(([id, state]) => `${id}|${id}|N/A|${state}|${state === 'PENDING' ? 'Resources' : 'None'}|${SUBMITTED}|N/A|N/A`);
      return { code: 0, stdout: `${lines.join('\n')}\n`, stderr: '' };
    };
    // Timers far away: the test drives the cycles itself.
    const monitor = new SharedMonitor({ exec, readFile: async () => null, minIntervalMs: 3_600_000, maxIntervalMs: 3_600_000 });
    const heard = new Map<string, JobUpdate[]>();
    monitor.subscribe('run-a', (u) => heard.set('run-a', [...(heard.get('run-a') ?? []), ...u]), () => undefined);
    monitor.subscribe('run-b', (u) => heard.set('run-b', [...(heard.get('run-b') ?? []), ...u]), () => undefined);
    monitor.track(job('run-a', '101'));
    monitor.track(job('run-b', '202'));
    await monitor.pollNow();
    monitor.stop();

    const squeues = commands.filter((c) => /\bsqueue\b/.test(c));
    expect(squeues).toHaveLength(1);
    expect(squeues[0]).toMatch(/101/);
    expect(squeues[0]).toMatch(/202/);
    expect(heard.get('run-a')!.map((u) => [u.stepId, u.stepState])).toEqual([['step-101', 'running']]);
    expect(heard.get('run-b')!.map((u) => [u.stepId, u.stepState, u.view.reasonText !== null])).toEqual([['step-202', 'waiting', true]]);
  });

  it('a run that starts watching while the cluster does not answer is told so at once', async () => {
    const exec = async (): Promise<MonitorExecResult> => ({ code: 1, stdout: '', stderr: 'squeue: error: Unable to contact slurm controller (connect failure)\n' });
    const monitor = new SharedMonitor({ exec, readFile: async () => null, minIntervalMs: 3_600_000, maxIntervalMs: 3_600_000 });
    monitor.subscribe('run-a', () => undefined, () => undefined);
    monitor.track(job('run-a', '101'));
    await monitor.pollNow();
    const contact: Array<[boolean, string | null]> = [];
    monitor.subscribe('run-b', () => undefined, (ok, reason) => contact.push([ok, reason]));
    monitor.stop();
    expect(contact).toHaveLength(1);
    expect(contact[0]![0]).toBe(false);
    expect(contact[0]![1]).toMatch(/controller|answer/i);
  });
});
