import { describe, expect, it } from 'vitest';
import { exitCodeNumber, parseMarkerText, parseSacct, parseSqueue, parseTaskList, reasonMeaning, sameSubmission, SLURM_STATES, slurmState } from './states';

describe('slurmState: every Slurm 22.05 job state', () => {
  const table: Array<[string, string, boolean]> = [
    ['PENDING', 'waiting', false],
    ['CONFIGURING', 'waiting', false],
    ['RUNNING', 'running', false],
    ['COMPLETING', 'running', false],
    ['COMPLETED', 'completed', true],
    ['FAILED', 'failed', true],
    ['CANCELLED', 'cancelled', true],
    ['CANCELLED by 123', 'cancelled', true],
    ['TIMEOUT', 'failed', true],
    ['OUT_OF_MEMORY', 'failed', true],
    ['NODE_FAIL', 'failed', true],
    ['PREEMPTED', 'failed', true],
    ['BOOT_FAIL', 'failed', true],
    ['DEADLINE', 'failed', true],
    ['SUSPENDED', 'running', false],
    ['STOPPED', 'running', false],
    ['REQUEUED', 'waiting', false],
    ['REQUEUE_HOLD', 'waiting', false],
    ['REQUEUE_FED', 'waiting', false],
    ['RESIZING', 'running', false],
    ['REVOKED', 'cancelled', true],
    ['SIGNALING', 'running', false],
    ['SPECIAL_EXIT', 'failed', true],
    ['STAGE_OUT', 'running', false],
    ['RESV_DEL_HOLD', 'waiting', false],
  ];
  it.each(table)('%s -> %s (final: %s)', (raw, stepState, final) => {
    const m = slurmState(raw);
    expect(m).toMatchObject({ stepState, final, known: true });
  });

  it('covers every state the table knows', () => {
    expect(new Set(table.map(([s]) => s.split(' ')[0]))).toEqual(new Set(SLURM_STATES));
  });

  it('reads who cancelled, short forms and truncated words', () => {
    expect(slurmState('CANCELLED by 0')).toMatchObject({ state: 'CANCELLED', cancelledBy: '0' });
    expect(slurmState('CANCELLED+')).toMatchObject({ state: 'CANCELLED', cancelledBy: null });
    expect(slurmState('OOM')).toMatchObject({ state: 'OUT_OF_MEMORY', final: true });
    expect(slurmState('PD')).toMatchObject({ state: 'PENDING', stepState: 'waiting' });
  });

  it('a state it does not know is not final (a newer Slurm): still watching', () => {
    expect(slurmState('TELEPORTING')).toMatchObject({ state: 'TELEPORTING', final: false, known: false });
  });
});

describe('reasonMeaning: pending reasons in plain words', () => {
  const table: Array<[string, number, string, boolean]> = [
    ['Resources', 0, 'waiting for free CPUs or memory', false],
    ['Resources', 1, 'waiting for a free GPU', false],
    ['Priority', 0, 'waiting for its turn: other jobs are ahead', false],
    ['Dependency', 0, 'waiting for the steps before it', false],
    ['DependencyNeverSatisfied', 0, 'will not run: a step before it failed', true],
    ['QOSMaxJobsPerUserLimit', 0, 'waiting: you already use as much as your QoS/account allows at once', false],
    ['AssocMaxJobsLimit', 0, 'waiting: you already use as much as your QoS/account allows at once', false],
    ['QOSMaxCpuPerUserLimit', 0, 'waiting: you already use as much as your QoS/account allows at once', false],
    ['AssocGrpGRES', 0, 'waiting: you already use as much as your QoS/account allows at once', false],
    ['AssocGrpCPUMinutesLimit', 0, 'will not start: your allocation of hours is used up', true],
    ['AssocGrpGRESMinutes', 0, 'will not start: your allocation of hours is used up', true],
    ['AssocGrpCPURunMinutesLimit', 0, 'waiting: you already use as much as your QoS/account allows at once', false],
    ['QOSMaxWallDurationPerJobLimit', 0, 'will not start: it asks for more than your QoS/account allows for one job', true],
    ['InvalidAccount', 0, 'will not start: the account it was submitted with is not valid for you', true],
    ['InvalidQOS', 0, 'will not start: the QoS it was submitted with is not valid for you', true],
    ['ReqNodeNotAvail, UnavailableNodes:c7-[1-3]', 0, 'waiting: the nodes it needs are unavailable', false],
    ['PartitionDown', 0, 'waiting: its partition is closed for now', false],
    ['PartitionInactive', 0, 'waiting: its partition is not starting jobs for now', false],
    ['PartitionTimeLimit', 0, 'will not start: it asks for more time than its partition allows', true],
    ['BeginTime', 0, 'waiting for the start time it was given', false],
    ['JobHeldUser', 0, 'on hold', true],
    ['JobHeldAdmin', 0, "on hold by the cluster's administrators", true],
    ['Reservation', 0, 'waiting for its reservation to begin', false],
    ['launch failed requeued held', 0, 'on hold: Slurm could not start it on a node', true],
    ['(launch failed requeued held)', 0, 'on hold: Slurm could not start it on a node', true],
    ['JobArrayTaskLimit', 0, 'only a few tasks of this step run at once', false],
    ['SomethingNew', 0, 'waiting (Slurm says: SomethingNew)', false],
  ];
  it.each(table)('%s (gpus %i)', (reason, gpus, text, stuck) => {
    const m = reasonMeaning(reason, { gpus });
    expect(m?.text).toContain(text);
    expect(m?.stuck).toBe(stuck);
  });

  it('account and QoS reasons are marked as such; "None" is no reason', () => {
    expect(reasonMeaning('InvalidAccount')?.accountOrQos).toBe(true);
    expect(reasonMeaning('QOSMaxJobsPerUserLimit')?.accountOrQos).toBe(true);
    expect(reasonMeaning('Priority')?.accountOrQos).toBe(false);
    expect(reasonMeaning('None')?.text).toBe('waiting to be scheduled');
    expect(reasonMeaning(null)).toBeNull();
  });
});

describe('parseTaskList', () => {
  it('reads Slurm task lists and ranges, ignoring the throttle', () => {
    expect(parseTaskList('4')).toEqual([4]);
    expect(parseTaskList('[0-3%2]')).toEqual([0, 1, 2, 3]);
    expect(parseTaskList('0-3%2')).toEqual([0, 1, 2, 3]);
    expect(parseTaskList('[1,3,5-7]')).toEqual([1, 3, 5, 6, 7]);
    expect(parseTaskList('[0-8:4]')).toEqual([0, 4, 8]);
    expect(parseTaskList('N/A')).toBeNull();
  });
});

describe('parseSqueue', () => {
  // Output of the lab's Slurm 22.05 for `env TZ=UTC squeue -h -r -t all -j 2,3,4 -o SQUEUE_FORMAT`.
  const expanded = [
    '3_0|3|0|PENDING|Dependency|2026-11-24T20:42:15|N/A|N/A',
    '3_1|3|1|PENDING|Dependency|2026-11-24T20:42:15|N/A|N/A',
    '4|4|N/A|PENDING|JobHeldUser|2026-11-24T20:42:15|N/A|N/A',
    '2|2|N/A|RUNNING|None|2026-11-24T20:42:15|2026-11-24T20:42:16|2026-11-25T20:42:16',
    '',
  ].join('\n');

  it('reads jobs and array tasks with their submit time (UTC)', () => {
    const rows = parseSqueue(expanded);
    expect(rows).toHaveLength(4);
    expect(rows[0]).toEqual({ jobId: '3', tasks: [0], state: 'PENDING', reason: 'Dependency', submittedAt: '2026-11-24T20:42:15Z', startedAt: null, endedAt: null });
    expect(rows[3]).toMatchObject({ jobId: '2', tasks: null, state: 'RUNNING', reason: null, startedAt: '2026-11-24T20:42:16Z' });
  });

  it('reads a pending array not expanded ("3_[0-3%2]")', () => {
    const rows = parseSqueue('3_[0-3%2]|3|0-3%2|PENDING|Dependency|2026-11-24T20:42:15|N/A|N/A\n');
    expect(rows).toEqual([expect.objectContaining({ jobId: '3', tasks: [0, 1, 2, 3], state: 'PENDING' })]);
  });

  it('skips lines that are not job lines (a warning on stdout)', () => {
    expect(parseSqueue('squeue: warning: something\n12|12|N/A|CANCELLED|DependencyNeverSatisfied|2026-11-24T20:42:31|N/A|2026-11-24T20:42:37\n')).toEqual([
      expect.objectContaining({ jobId: '12', state: 'CANCELLED', reason: 'DependencyNeverSatisfied' }),
    ]);
  });
});

describe('parseSacct', () => {
  // `env TZ=UTC sacct -n -P -X -j 2,3,4,8 --format=SACCT_FIELDS` on the lab, plus a never-started array part.
  const text = [
    '2|2|COMPLETED|0:0|None|2026-11-24T20:42:15|2026-11-24T20:42:16|2026-11-24T20:42:24|00:00:08',
    '4|4|FAILED|3:0|JobHeldUser|2026-11-24T20:42:15|2026-11-24T20:42:34|2026-11-24T20:42:34|00:00:00',
    '3_0|5|COMPLETED|0:0|Dependency|2026-11-24T20:42:15|2026-11-24T20:42:25|2026-11-24T20:42:27|00:00:02',
    '8|8|CANCELLED by 0|0:0|None|2026-11-24T20:42:31|None|2026-11-24T20:42:37|00:00:00',
    '9_[5-9]|9|CANCELLED by 1001|0:0|None|2026-11-24T20:50:00|None|2026-11-24T20:51:00|00:00:00',
    '10|10|RUNNING|0:0|None|2026-11-24T20:42:31|2026-11-24T20:42:40|Unknown|00:00:05',
  ].join('\n');

  it('reads states, who cancelled, exit codes and never-started task ranges', () => {
    const rows = parseSacct(text);
    expect(rows.map((r) => [r.jobId, r.tasks, r.state, r.exitCode])).toEqual([
      ['2', null, 'COMPLETED', '0:0'],
      ['4', null, 'FAILED', '3:0'],
      ['3', [0], 'COMPLETED', '0:0'],
      ['8', null, 'CANCELLED', '0:0'],
      ['9', [5, 6, 7, 8, 9], 'CANCELLED', '0:0'],
      ['10', null, 'RUNNING', '0:0'],
    ]);
    expect(rows[3]!.cancelledBy).toBe('0');
    expect(rows[4]!.cancelledBy).toBe('1001');
    expect(rows[5]!.endedAt).toBeNull();
  });
});

describe('small readers', () => {
  it('exit codes: code, or 128 + signal', () => {
    expect(exitCodeNumber('3:0')).toBe(3);
    expect(exitCodeNumber('0:9')).toBe(137);
    // Slurm's OOM note, not a signal: the exit code is unknown rather than 253.
    expect(exitCodeNumber('0:125')).toBeNull();
    expect(exitCodeNumber(null)).toBeNull();
  });

  it('submit times within two minutes are the same submission; others are a reused id', () => {
    expect(sameSubmission('2026-11-24T20:42:15Z', '2026-11-24T20:42:16Z')).toBe(true);
    expect(sameSubmission('2026-11-24T20:44:00Z', '2026-11-24T20:42:15Z')).toBe(true);
    expect(sameSubmission('2026-11-24T21:42:15Z', '2026-11-24T20:42:15Z')).toBe(false);
    expect(sameSubmission(null, '2026-11-24T20:42:15Z')).toBe(true);
  });

  it('marker text: an exit code on one line, anything else unreadable', () => {
    expect(parseMarkerText('0\n')).toEqual({ kind: 'found', code: 0 });
    expect(parseMarkerText('143\n')).toEqual({ kind: 'found', code: 143 });
    expect(parseMarkerText('')).toMatchObject({ kind: 'unreadable' });
    expect(parseMarkerText('300')).toMatchObject({ kind: 'unreadable' });
  });
});
