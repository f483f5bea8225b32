import { describe, expect, it } from 'vitest';
import type { JobUpdate, MonitorExecResult, TrackedJob } from './monitor';
import { SlurmMonitor } from './monitor';

const T0 = Date.parse('2026-01-01T10:00:00Z');
const SUBMITTED = '2026-01-01T10:00:01Z';
/** Slurm's submit time as squeue prints it with TZ=UTC: a second before submit.sh's clock said. */
const SLURM_SUBMIT = '2026-01-01T10:00:00';

/** A clock and timers the test moves by hand. */
class Clock {
  t = T0;
  private timers: Array<{ due: number; fn: () => void; id: number }> = [];
  private next = 0;
  now = () => this.t;
  setTimer = (fn: () => void, ms: number) => {
    const id = this.next++;
    this.timers.push({ due: this.t + ms, fn, id });
    return () => {
      this.timers = this.timers.filter((x) => x.id !== id);
    };
  };
  /** Moves time forward, firing timers in order and letting the promises they start settle. */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      await settle();
      const due = this.timers.filter((x) => x.due <= end).sort((a, b) => a.due - b.due)[0];
      if (!due) break;
      this.timers = this.timers.filter((x) => x !== due);
      this.t = due.due;
      due.fn();
    }
    this.t = end;
    await settle();
  }
}

async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise<void>((r) => setImmediate(r));
}

type Row = { state: string; reason?: string; submit?: string };

/** squeue, sacct and scancel over in-memory tables; every command is recorded with the time it ran. */
class FakeCluster {
  /** Job or "job_task" -> what squeue shows; absent: squeue no longer knows it. */
  squeue = new Map<string, Row>();
  /** Job or "job_task" -> "state|exitcode|reason" for sacct; null: accounting disabled. */
  sacct: Map<string, { state: string; exitCode: string; reason?: string; submit?: string }> | null = null;
  files = new Map<string, string>();
  down: null | 'throw' | 'rc' = null;
  calls: Array<{ at: number; command: string }> = [];
  constructor(private clock: Clock) {}

  count(word: string): number {
    return this.calls.filter((c) => new RegExp(`\\b${word}\\b`).test(c.command)).length;
  }

  exec = async (command: string): Promise<MonitorExecResult> => {
    this.calls.push({ at: this.clock.t, command });
    if (this.down === 'throw') throw new Error('Not connected');
    if (this.down === 'rc') return { code: 1, stdout: '', stderr: 'squeue: error: Unable to contact slurm controller (connect failure)\n' };
    const ids = /-j '([^']+)'/.exec(command)?.[1]?.split(',') ?? [];
    if (/\bsqueue\b/.test(command)) {
      const lines: string[] = [];
      for (const [key, row] of this.squeue) {
        const [job, task] = key.split('_');
        if (!ids.includes(job!)) continue;
        lines.push(`${key}|${job}|${task ?? 'N/A'}|${row.state}|${row.reason ?? 'None'}|${row.submit ?? SLURM_SUBMIT}|N/A|N/A`);
      }
      if (lines.length === 0) return { code: 1, stdout: '', stderr: 'slurm_load_jobs error: Invalid job id specified\n' };
      return { code: 0, stdout: lines.join('\n') + '\n', stderr: '' };
    }
    if (/\bsacct\b/.test(command)) {
      if (this.sacct === null) return { code: 1, stdout: '', stderr: 'sacct: error: Slurm accounting storage is disabled\n' };
      const lines: string[] = [];
      for (const [key, r] of this.sacct) {
        const job = key.split('_')[0]!;
        if (ids.includes(job)) lines.push(`${key}|${job}|${r.state}|${r.exitCode}|${r.reason ?? 'None'}|${r.submit ?? SLURM_SUBMIT}|N/A|N/A|00:00:01`);
      }
      return { code: 0, stdout: lines.join('\n'), stderr: '' };
    }
    if (/\bscancel\b/.test(command)) {
      for (const id of command.match(/'(\d+)'/g) ?? []) {
        const job = id.replace(/'/g, '');
        for (const [key, row] of this.squeue) if (key.split('_')[0] === job && !/COMPLETED|FAILED|CANCELLED/.test(row.state)) this.squeue.set(key, { ...row, state: 'CANCELLED', reason: 'None' });
      }
      return { code: 0, stdout: '', stderr: '' };
    }
    return { code: 127, stdout: '', stderr: 'unknown command' };
  };

  readFile = async (path: string): Promise<Buffer | null> => {
    const text = this.files.get(path);
    return text === undefined ? null : Buffer.from(text);
  };
}

function setup(options: { accounting?: 'auto' | 'on' | 'off'; graceCycles?: number } = {}) {
  const clock = new Clock();
  const cluster = new FakeCluster(clock);
  const updates: JobUpdate[] = [];
  const contact: Array<[boolean, string | null]> = [];
  const monitor = new SlurmMonitor({
    exec: cluster.exec,
    readFile: cluster.readFile,
    accounting: options.accounting ?? 'auto',
    minIntervalMs: 3000,
    maxIntervalMs: 60_000,
    graceCycles: options.graceCycles ?? 3,
    now: clock.now,
    setTimer: clock.setTimer,
    onUpdate: (u) => updates.push(...u),
    onContact: (ok, reason) => contact.push([ok, reason]),
  });
  return { clock, cluster, updates, contact, monitor };
}

function job(id: string, over: Partial<TrackedJob> = {}): TrackedJob {
  const tasks = over.tasks ?? null;
  return {
    key: `${id}@${SUBMITTED}`,
    id,
    submittedAt: SUBMITTED,
    runId: 'run-1',
    stepId: `step-${id}`,
    tasks,
    markers: tasks === null ? [`/home/u/run/logs/step-${id}.exit`] : Array.from({ length: tasks }, (_, i) => `/home/u/run/logs/step-${id}_${i}.exit`),
    gpus: 0,
    ...over,
  };
}

const last = (updates: JobUpdate[], id: string, task: number | null = null) => updates.filter((u) => u.key.startsWith(`${id}@`) && u.task === task).at(-1);

describe('SlurmMonitor: states from one squeue per cycle', () => {
  it('follows a job from waiting (with the reason in words) to running to completed, its exit code from the marker', async () => {
    const { clock, cluster, updates, monitor } = setup();
    cluster.squeue.set('101', { state: 'PENDING', reason: 'Dependency' });
    cluster.squeue.set('102', { state: 'PENDING', reason: 'Resources' });
    monitor.track(job('101'));
    monitor.track(job('102', { gpus: 1 }));
    await clock.advance(3000);
    expect(last(updates, '101')).toMatchObject({ stepState: 'waiting', final: false, view: { state: 'PENDING', reason: 'Dependency', reasonText: 'waiting for the steps before it' } });
    expect(last(updates, '102')?.view.reasonText).toBe('waiting for a free GPU');

    cluster.squeue.set('101', { state: 'RUNNING' });
    await clock.advance(3000);
    expect(last(updates, '101')).toMatchObject({ stepState: 'running', view: { state: 'RUNNING', reason: null } });

    cluster.squeue.set('101', { state: 'COMPLETED' });
    cluster.files.set('/home/u/run/logs/step-101.exit', '0\n');
    await clock.advance(3000);
    expect(last(updates, '101')).toMatchObject({ stepState: 'completed', final: true, exitCode: 0, marker: 'found', view: { state: 'COMPLETED' } });
    // Both jobs in every squeue; the marker decided, so sacct was never needed.
    expect(cluster.count('squeue')).toBe(3);
    expect(cluster.calls.filter((c) => c.command.includes('squeue')).every((c) => c.command.includes("-j '101,102'"))).toBe(true);
    expect(cluster.count('sacct')).toBe(0);
    // Only changes are reported: job 102 did not change after the first cycle.
    expect(updates.filter((u) => u.key.startsWith('102@'))).toHaveLength(1);
  });

  it('an array: tasks pending as one range line, then one by one; each task has its own state', async () => {
    const { clock, cluster, updates, monitor } = setup();
    cluster.squeue.set('200_[0-3%2]', { state: 'PENDING', reason: 'JobArrayTaskLimit' });
    monitor.track(job('200', { tasks: 4 }));
    await clock.advance(3000);
    expect([0, 1, 2, 3].map((i) => last(updates, '200', i)?.stepState)).toEqual(['waiting', 'waiting', 'waiting', 'waiting']);

    cluster.squeue.clear();
    cluster.squeue.set('200_0', { state: 'COMPLETED' });
    cluster.squeue.set('200_1', { state: 'FAILED', reason: 'NonZeroExitCode' });
    cluster.squeue.set('200_2', { state: 'RUNNING' });
    cluster.squeue.set('200_[3]', { state: 'PENDING', reason: 'JobArrayTaskLimit' });
    cluster.files.set('/home/u/run/logs/step-200_0.exit', '0\n');
    cluster.files.set('/home/u/run/logs/step-200_1.exit', '3\n');
    await clock.advance(3000);
    expect(last(updates, '200', 0)).toMatchObject({ stepState: 'completed', exitCode: 0 });
    expect(last(updates, '200', 1)).toMatchObject({ stepState: 'failed', final: true, exitCode: 3, marker: 'found', view: { reason: null } });
    expect(last(updates, '200', 2)).toMatchObject({ stepState: 'running' });
    expect(last(updates, '200', 3)).toMatchObject({ stepState: 'waiting' });
  });

  it("Slurm's final state decides the kind, the marker the exit code", async () => {
    const { clock, cluster, updates, monitor } = setup({ accounting: 'on' });
    cluster.squeue.set('300', { state: 'TIMEOUT', reason: 'TimeLimit' });
    cluster.squeue.set('301', { state: 'CANCELLED' });
    // Only sacct says who cancelled.
    cluster.sacct = new Map([['301', { state: 'CANCELLED by 1001', exitCode: '0:15' }]]);
    cluster.files.set('/home/u/run/logs/step-300.exit', '143\n');
    cluster.files.set('/home/u/run/logs/step-301.exit', '143\n');
    monitor.track(job('300'));
    monitor.track(job('301'));
    await clock.advance(3000);
    expect(last(updates, '300')).toMatchObject({ stepState: 'failed', final: true, exitCode: 143, view: { state: 'TIMEOUT', reason: 'TimeLimit' }, detail: 'Slurm says TIMEOUT' });
    expect(last(updates, '301')).toMatchObject({ stepState: 'cancelled', final: true, exitCode: 143, detail: 'cancelled by user id 1001' });
  });

  it('a job cancelled because its dependency failed is skipped, not failed', async () => {
    const { clock, cluster, updates, monitor } = setup({ accounting: 'off' });
    cluster.squeue.set('310', { state: 'CANCELLED', reason: 'DependencyNeverSatisfied' });
    monitor.track(job('310'));
    await clock.advance(3000);
    expect(last(updates, '310')).toMatchObject({ stepState: 'skipped', final: true, marker: 'missing', detail: 'not run: a step before it failed' });
  });

  it('a pending job that cannot start (invalid account) is flagged stuck', async () => {
    const { clock, cluster, updates, monitor } = setup();
    cluster.squeue.set('320', { state: 'PENDING', reason: 'InvalidAccount' });
    monitor.track(job('320'));
    await clock.advance(3000);
    expect(last(updates, '320')).toMatchObject({ stepState: 'waiting', final: false, stuck: true });
  });
});

describe('SlurmMonitor: jobs squeue no longer knows', () => {
  it('without accounting: detects it once, then the marker decides', async () => {
    const { clock, cluster, updates, monitor } = setup();
    cluster.files.set('/home/u/run/logs/step-400.exit', '0\n');
    cluster.files.set('/home/u/run/logs/step-401.exit', '3\n');
    monitor.track(job('400'));
    monitor.track(job('401'));
    await clock.advance(3000);
    expect(monitor.accountingMode).toBe('off');
    expect(last(updates, '400')).toMatchObject({ stepState: 'completed', final: true, exitCode: 0, marker: 'found' });
    expect(last(updates, '401')).toMatchObject({ stepState: 'failed', final: true, exitCode: 3, marker: 'found' });

    monitor.track(job('402'));
    cluster.files.set('/home/u/run/logs/step-402.exit', '0\n');
    await clock.advance(3000);
    expect(last(updates, '402')?.stepState).toBe('completed');
    // One sacct to learn there is no accounting; never again.
    expect(cluster.count('sacct')).toBe(1);
  });

  it('without a marker: "unknown" for a grace period, then failed with why, never at once', async () => {
    const { clock, updates, monitor } = setup({ accounting: 'off', graceCycles: 3 });
    monitor.track(job('410'));
    await clock.advance(3000);
    expect(last(updates, '410')).toMatchObject({ stepState: 'waiting', final: false, view: { state: 'UNKNOWN' } });
    // Cycles at 3 s (news: "unknown") and 6 s (nothing new, so the next comes 6 s later).
    await clock.advance(3000);
    expect(last(updates, '410')?.final).toBe(false);
    await clock.advance(5999);
    expect(last(updates, '410')?.final).toBe(false);
    await clock.advance(1);
    expect(last(updates, '410')).toMatchObject({ stepState: 'failed', final: true, exitCode: null, marker: 'missing', detail: 'ended without an exit code; Slurm no longer knows it' });
  });

  it('with accounting: one sacct per cycle for all of them, its state and exit code when there is no marker', async () => {
    const { clock, cluster, updates, monitor } = setup({ accounting: 'on' });
    cluster.sacct = new Map([
      ['500', { state: 'OUT_OF_MEMORY', exitCode: '0:125' }],
      ['501', { state: 'COMPLETED', exitCode: '0:0' }],
      ['502', { state: 'FAILED', exitCode: '2:0' }],
    ]);
    for (const id of ['500', '501', '502']) monitor.track(job(id));
    await clock.advance(3000);
    expect(cluster.count('sacct')).toBe(1);
    expect(last(updates, '500')).toMatchObject({ stepState: 'failed', final: true, marker: 'missing', view: { state: 'OUT_OF_MEMORY', exitCode: '0:125' } });
    expect(last(updates, '501')).toMatchObject({ stepState: 'completed', exitCode: 0 });
    expect(last(updates, '502')).toMatchObject({ stepState: 'failed', exitCode: 2 });
  });

  it('a reused job id (another submit time) is not our job: the marker decides', async () => {
    const { clock, cluster, updates, monitor } = setup({ accounting: 'off' });
    // After a controller crash, id 600 now belongs to a job submitted an hour later.
    cluster.squeue.set('600', { state: 'RUNNING', submit: '2026-01-01T11:00:00' });
    monitor.track(job('600'));
    await clock.advance(3000);
    expect(last(updates, '600')?.stepState).not.toBe('running');
    cluster.files.set('/home/u/run/logs/step-600.exit', '0\n');
    await clock.advance(3000);
    expect(last(updates, '600')).toMatchObject({ stepState: 'completed', final: true, marker: 'found' });
    expect(last(updates, '600')?.detail).toMatch(/another job/);
  });
});

describe('SlurmMonitor: a cluster that does not answer', () => {
  it('reports lost contact, keeps every state, backs off, and carries on when it answers again', async () => {
    const { clock, cluster, updates, contact, monitor } = setup();
    cluster.squeue.set('700', { state: 'RUNNING' });
    monitor.track(job('700'));
    await clock.advance(3000);
    expect(contact).toEqual([[true, null]]);
    const before = updates.length;

    cluster.down = 'rc';
    cluster.calls = [];
    await clock.advance(60_000);
    expect(contact.at(-1)?.[0]).toBe(false);
    expect(contact.at(-1)?.[1]).toMatch(/Unable to contact slurm controller/);
    cluster.down = 'throw';
    await clock.advance(120_000);
    // Nothing was marked failed (nor anything else) while it did not answer.
    expect(updates.length).toBe(before);
    // Failures back off: queries get further apart (3 s, 6 s, 12 s ... up to 60 s), never a tight loop.
    const gaps = cluster.calls.slice(1).map((c, i) => c.at - cluster.calls[i]!.at);
    expect(gaps.every((g, i) => i === 0 || g >= gaps[i - 1]!)).toBe(true);
    expect(Math.max(...gaps)).toBe(60_000);
    expect(cluster.calls.length).toBeLessThan(10);
    expect(contact.filter(([ok]) => !ok)).toHaveLength(1);

    cluster.down = null;
    cluster.squeue.set('700', { state: 'COMPLETED' });
    cluster.files.set('/home/u/run/logs/step-700.exit', '0\n');
    await clock.advance(60_000);
    expect(contact.at(-1)).toEqual([true, null]);
    expect(last(updates, '700')).toMatchObject({ stepState: 'completed', final: true });
  });

  it('a query that hangs counts as no answer after execTimeoutMs', async () => {
    const clock = new Clock();
    const contact: Array<[boolean, string | null]> = [];
    const monitor = new SlurmMonitor({
      exec: () => new Promise<MonitorExecResult>(() => {}),
      readFile: async () => null,
      execTimeoutMs: 20_000,
      now: clock.now,
      setTimer: clock.setTimer,
      onUpdate: () => {},
      onContact: (ok, reason) => contact.push([ok, reason]),
    });
    monitor.track(job('710'));
    await clock.advance(3000 + 20_000);
    expect(contact).toEqual([[false, 'no answer within 20 s']]);
    monitor.stop();
  });
});

describe('SlurmMonitor: the interval adapts', () => {
  it('doubles while nothing changes (up to the maximum), back to the minimum after a change', async () => {
    const { clock, cluster, monitor } = setup();
    cluster.squeue.set('800', { state: 'RUNNING' });
    monitor.track(job('800'));
    await clock.advance(216_000);
    const times = cluster.calls.map((c) => (c.at - T0) / 1000);
    expect(times).toEqual([3, 6, 12, 24, 48, 96, 156, 216]);
    cluster.squeue.set('800', { state: 'COMPLETING' });
    await clock.advance(60_000);
    expect(monitor.currentIntervalMs).toBe(3000);
  });

  it('pollNow asks at once; calls during a cycle share one follow-up cycle', async () => {
    const { clock, cluster, monitor } = setup();
    cluster.squeue.set('810', { state: 'RUNNING' });
    monitor.track(job('810'));
    await Promise.all([monitor.pollNow(), monitor.pollNow(), monitor.pollNow(), monitor.pollNow()]);
    expect(cluster.count('squeue')).toBe(2);
    await clock.advance(0);
    expect(cluster.count('squeue')).toBe(2);
  });

  it('stops querying when nothing is left to watch', async () => {
    const { clock, cluster, monitor } = setup();
    cluster.squeue.set('820', { state: 'COMPLETED' });
    cluster.files.set('/home/u/run/logs/step-820.exit', '0\n');
    monitor.track(job('820'));
    await clock.advance(3000);
    await clock.advance(600_000);
    expect(cluster.count('squeue')).toBe(1);
  });
});

describe('SlurmMonitor: cancel', () => {
  it('scancels every job in one command and resolves once they are confirmed final', async () => {
    const { clock, cluster, updates, monitor } = setup({ accounting: 'off' });
    cluster.squeue.set('900', { state: 'RUNNING' });
    cluster.squeue.set('901_[0-1]', { state: 'PENDING', reason: 'Dependency' });
    monitor.track(job('900'));
    monitor.track(job('901', { tasks: 2 }));
    await clock.advance(3000);
    const done = monitor.cancel([`900@${SUBMITTED}`, `901@${SUBMITTED}`]);
    await clock.advance(10_000);
    const r = await done;
    expect(r).toEqual({ confirmed: [`900@${SUBMITTED}`, `901@${SUBMITTED}`], unconfirmed: [] });
    expect(cluster.calls.filter((c) => c.command.startsWith('scancel'))).toEqual([expect.objectContaining({ command: "scancel '900' '901'" })]);
    expect(last(updates, '900')).toMatchObject({ stepState: 'cancelled', final: true });
    expect(last(updates, '901', 1)).toMatchObject({ stepState: 'cancelled', final: true });
  });

  it('a job Slurm already forgot is confirmed gone once squeue no longer shows it', async () => {
    const { clock, monitor } = setup({ accounting: 'off' });
    monitor.track(job('910'));
    const done = monitor.cancel([`910@${SUBMITTED}`]);
    await clock.advance(10_000);
    expect(await done).toEqual({ confirmed: [`910@${SUBMITTED}`], unconfirmed: [] });
  });

  it('resolves after the timeout with what is known when the cluster does not answer', async () => {
    const { clock, cluster, monitor } = setup();
    cluster.squeue.set('920', { state: 'RUNNING' });
    monitor.track(job('920'));
    await clock.advance(3000);
    cluster.down = 'throw';
    const done = monitor.cancel([`920@${SUBMITTED}`], { timeoutMs: 30_000 });
    await clock.advance(40_000);
    expect(await done).toEqual({ confirmed: [], unconfirmed: [`920@${SUBMITTED}`] });
  });
});

describe('SlurmMonitor: refuses what could reach a shell', () => {
  it('job ids must be numbers', () => {
    const { monitor } = setup();
    expect(() => monitor.track(job("1; rm -rf ~'"))).toThrow(/not a Slurm job id/);
  });
});
