import { describe, expect, it } from 'vitest';
import type { FailureFacts } from './explain';
import { explainFailure } from './explain';

const RESOURCES = { cpus: 2, memoryMb: 4096, timeMinutes: 30, gpus: 0, partition: 'cpu' };

function facts(over: Partial<FailureFacts>): FailureFacts {
  return { stepLabel: 'Train classifier', state: 'FAILED', exitCode: 1, signal: null, reason: null, logTail: [], resources: RESOURCES, ...over };
}

// Log excerpts with the wording of Slurm 22.05, Lmod 8, Apptainer 1.2, PyTorch 2 and Python 3.11.
const SLURM_OOM = [
  'Epoch 1/10: loading 2,400 images',
  'slurmstepd: error: Detected 1 oom-kill event(s) in StepId=1234.batch. Some of your processes may have been killed by the cgroup out-of-memory handler.',
];
const BASH_KILLED = ['Reading reference genome', '/var/spool/slurmd/job01234/slurm_script: line 88: 31337 Killed                  bwa mem -t 4 ref.fa reads.fq'];
const NUMPY_OOM = [
  'Traceback (most recent call last):',
  '  File "/home/u/fluxo-runs/r1/bundle/blocks/train-classifier/train.py", line 41, in <module>',
  '    X = np.zeros((1_000_000, 1_000))',
  'numpy.core._exceptions._ArrayMemoryError: Unable to allocate 7.45 GiB for an array with shape (1000000, 1000) and data type float64',
];
const TIME_LIMIT = ['step 1200/5000 loss=0.31', 'slurmstepd: error: *** JOB 1234 ON c7-3 CANCELLED AT 2024-05-01T10:31:02 DUE TO TIME LIMIT ***'];
const CUDA_OOM = [
  'Traceback (most recent call last):',
  '  File "/home/u/run/bundle/blocks/segment/train.py", line 77, in <module>',
  '    loss.backward()',
  'torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB. GPU 0 has a total capacity of 39.39 GiB of which 1.23 GiB is free. Including non-PyTorch memory, this process has 38.15 GiB memory in use.',
];
const CUDA_OOM_OLD = ['torch.cuda.OutOfMemoryError: CUDA out of memory. Tried to allocate 512.00 MiB (GPU 0; 15.78 GiB total capacity; 14.20 GiB already allocated)'];
const LMOD = [
  'Lmod has detected the following error:  The following module(s) are unknown:',
  '"cesga/2099"',
  '',
  'Please check the spelling or version number. Also try "module spider ..."',
  'It is also possible your cache file is out-of-date; it may help to try:',
  '  $ module --ignore_cache load "cesga/2099"',
];
const NO_MODULE_CMD = ['/var/spool/slurmd/job00042/slurm_script: line 61: module: command not found'];
const APPTAINER_NET = [
  'INFO:    Converting OCI blobs to SIF format',
  'FATAL:   While making image from oci registry: error fetching image to cache: failed to get checksum for docker://pytorch/pytorch:2.3.0-cuda12.1-cudnn8-runtime: Get "https://registry-1.docker.io/v2/": dial tcp: lookup registry-1.docker.io on 10.117.0.1:53: no such host',
];
const APPTAINER_SIF = [
  'FATAL:   could not open image /mnt/lustre/containers/fastp_0.23.4.sif: failed to retrieve path for /mnt/lustre/containers/fastp_0.23.4.sif: lstat /mnt/lustre/containers/fastp_0.23.4.sif: no such file or directory',
];
const DISK = [
  'Writing results/aligned.bam',
  'Traceback (most recent call last):',
  '  File "/home/u/run/bundle/blocks/align/align.py", line 120, in write_bam',
  "OSError: [Errno 28] No space left on device: '/mnt/lustre/u/fluxo/run/steps/align/aligned.bam'",
];
const QUOTA = ["cp: error writing '/home/u/fluxo-runs/r1/steps/fetch/reads.fq.gz': Disk quota exceeded"];
const PROGRAM = [
  'Loading table data.csv (569 rows)',
  'Traceback (most recent call last):',
  '  File "/home/u/run/bundle/blocks/train-classifier/train.py", line 58, in <module>',
  '    main()',
  '  File "/home/u/run/bundle/blocks/train-classifier/train.py", line 33, in main',
  '    y = table[args.target_column]',
  "KeyError: 'diagnosis'",
];
const PY_MODULE = ['Traceback (most recent call last):', '  File "/home/u/run/bundle/blocks/qc/qc.py", line 3, in <module>', '    import pydicom', "ModuleNotFoundError: No module named 'pydicom'"];
const ACCOUNT = ['sbatch: error: Batch job submission failed: Invalid account or account/partition combination specified'];

describe('explainFailure: each kind from real wording', () => {
  const cases: Array<{ name: string; facts: Partial<FailureFacts>; kind: string; action: string | null; evidence: RegExp[] }> = [
    { name: 'Slurm says OUT_OF_MEMORY', facts: { state: 'OUT_OF_MEMORY', exitCode: 0, logTail: SLURM_OOM }, kind: 'out-of-memory', action: 'Retry with 2x memory', evidence: [/OUT_OF_MEMORY/, /oom-kill event/] },
    { name: 'bash "Killed" with exit 137, no accounting', facts: { state: null, exitCode: 137, logTail: BASH_KILLED }, kind: 'out-of-memory', action: 'Retry with 2x memory', evidence: [/unknown/, /Killed/] },
    { name: "numpy's MemoryError", facts: { logTail: NUMPY_OOM }, kind: 'out-of-memory', action: 'Retry with 2x memory', evidence: [/Unable to allocate 7.45 GiB/] },
    { name: 'Slurm says TIMEOUT', facts: { state: 'TIMEOUT', exitCode: 143, logTail: TIME_LIMIT }, kind: 'time-limit', action: 'Retry with 2x time', evidence: [/TIMEOUT/, /DUE TO TIME LIMIT/] },
    { name: '"DUE TO TIME LIMIT" without accounting', facts: { state: null, exitCode: 143, logTail: TIME_LIMIT }, kind: 'time-limit', action: 'Retry with 2x time', evidence: [/DUE TO TIME LIMIT/] },
    { name: 'PyTorch 2 CUDA out of memory', facts: { logTail: CUDA_OOM, resources: { ...RESOURCES, gpus: 1, partition: 'gpu' } }, kind: 'cuda-out-of-memory', action: 'Use a smaller batch size', evidence: [/CUDA out of memory/] },
    { name: 'PyTorch 1 torch.cuda.OutOfMemoryError', facts: { logTail: CUDA_OOM_OLD }, kind: 'cuda-out-of-memory', action: 'Use a smaller batch size', evidence: [/torch\.cuda\.OutOfMemoryError/] },
    { name: 'Lmod unknown module', facts: { logTail: LMOD }, kind: 'module-missing', action: 'Fix the software modules', evidence: [/Lmod has detected/] },
    { name: 'no module command on the node', facts: { exitCode: 127, logTail: NO_MODULE_CMD }, kind: 'module-missing', action: 'Fix the software modules', evidence: [/module: command not found/] },
    { name: 'a Python package missing', facts: { logTail: PY_MODULE }, kind: 'module-missing', action: 'Choose an environment that has it', evidence: [/No module named 'pydicom'/] },
    { name: 'apptainer pull without internet', facts: { exitCode: 255, logTail: APPTAINER_NET }, kind: 'container-missing', action: 'Provide the container image', evidence: [/no such host/] },
    { name: 'apptainer image file missing', facts: { exitCode: 255, logTail: APPTAINER_SIF }, kind: 'container-missing', action: 'Provide the container image', evidence: [/could not open image/] },
    { name: 'InvalidAccount reason', facts: { state: 'PENDING', exitCode: null, reason: 'InvalidAccount' }, kind: 'qos-or-account-limit', action: 'Change the account or QoS', evidence: [/reason: InvalidAccount/] },
    { name: 'hours used up', facts: { state: 'CANCELLED', exitCode: 0, reason: 'AssocGrpCPUMinutesLimit' }, kind: 'qos-or-account-limit', action: 'Change the account or QoS', evidence: [/AssocGrpCPUMinutesLimit/] },
    { name: 'sbatch refused the account', facts: { state: null, logTail: ACCOUNT }, kind: 'qos-or-account-limit', action: 'Change the account or QoS', evidence: [/Invalid account/] },
    { name: 'NODE_FAIL', facts: { state: 'NODE_FAIL', exitCode: null }, kind: 'node-failure', action: 'Retry this step', evidence: [/NODE_FAIL/] },
    { name: 'PREEMPTED', facts: { state: 'PREEMPTED', exitCode: 0 }, kind: 'preempted', action: 'Retry this step', evidence: [/PREEMPTED/] },
    { name: 'cancelled by root', facts: { state: 'CANCELLED by 0', exitCode: 143 }, kind: 'cancelled', action: 'Run this step again', evidence: [/CANCELLED/] },
    { name: 'killed because its dependency failed', facts: { state: 'CANCELLED', exitCode: 0, reason: 'DependencyNeverSatisfied', upstreamLabel: 'Split train/test' }, kind: 'upstream-failed', action: 'Rerun from the failed step', evidence: [/DependencyNeverSatisfied/] },
    { name: 'no space left', facts: { logTail: DISK }, kind: 'disk-full', action: 'Rerun from this step', evidence: [/Errno 28/] },
    { name: 'disk quota', facts: { logTail: QUOTA }, kind: 'disk-full', action: 'Rerun from this step', evidence: [/Disk quota exceeded/] },
    { name: "a program's own error", facts: { logTail: PROGRAM }, kind: 'program-error', action: 'Rerun from this step', evidence: [/KeyError: 'diagnosis'/, /line 33, in main/] },
  ];

  for (const c of cases) {
    it(c.name, () => {
      const e = explainFailure(facts(c.facts));
      expect(e.kind).toBe(c.kind);
      expect(e.action?.label ?? null).toBe(c.action);
      expect(e.title).toContain('Train classifier');
      // Evidence: Slurm's word first, then 1-5 lines of the log that show it.
      expect(e.evidence[0]).toMatch(/^Slurm state: /);
      expect(e.evidence.length).toBeLessThanOrEqual(6);
      for (const pattern of c.evidence) expect(e.evidence.join('\n')).toMatch(pattern);
      // Words a biologist understands: no raw Slurm state words in the message.
      expect(e.message).not.toMatch(/OUT_OF_MEMORY|NODE_FAIL|DependencyNeverSatisfied/);
    });
  }
});

describe('explainFailure: suggested resources respect the partition', () => {
  it('doubles memory and time', () => {
    expect(explainFailure(facts({ state: 'OUT_OF_MEMORY' })).action?.resources).toEqual({ memoryMb: 8192 });
    expect(explainFailure(facts({ state: 'TIMEOUT' })).action?.resources).toEqual({ timeMinutes: 60 });
  });

  it('caps at the partition limit and says so', () => {
    const e = explainFailure(facts({ state: 'OUT_OF_MEMORY', partitionLimits: { maxMemoryMb: 6000, maxTimeMinutes: 45 } }));
    expect(e.action).toMatchObject({ kind: 'retry-with-resources', resources: { memoryMb: 6000 } });
    expect(e.message).toContain('the most the "cpu" partition allows');
    const t = explainFailure(facts({ state: 'TIMEOUT', partitionLimits: { maxMemoryMb: 6000, maxTimeMinutes: 45 } }));
    expect(t.action).toMatchObject({ resources: { timeMinutes: 45 } });
  });

  it('at the limit already, suggests another partition or less data instead of a retry that cannot help', () => {
    const e = explainFailure(facts({ state: 'OUT_OF_MEMORY', partitionLimits: { maxMemoryMb: 4096, maxTimeMinutes: null } }));
    expect(e.action).toEqual({ kind: 'edit-pipeline', label: 'Choose a partition with more memory' });
    expect(e.message).toMatch(/already the most/);
    expect(e.message).toMatch(/less data/);
    const t = explainFailure(facts({ state: 'TIMEOUT', partitionLimits: { maxMemoryMb: null, maxTimeMinutes: 30 } }));
    expect(t.action?.kind).toBe('edit-pipeline');
    expect(t.message).toMatch(/already the longest/);
  });
});

describe('explainFailure: who cancelled', () => {
  it('names the administrators, the user themself, or another uid', () => {
    expect(explainFailure(facts({ state: 'CANCELLED by 0' })).message).toMatch(/administrators/);
    expect(explainFailure(facts({ state: 'CANCELLED by 1001', ownUid: 1001 })).message).toMatch(/by you/);
    expect(explainFailure(facts({ state: 'CANCELLED by 1002', ownUid: 1001 })).message).toMatch(/user with id 1002/);
  });
});

describe('explainFailure: evidence of a program error', () => {
  it('takes "error:" lines when there is no traceback, and keeps at most five log lines', () => {
    const log = Array.from({ length: 20 }, (_, i) => `[bwa_index] error: cannot open file sample${i}.fa`);
    const e = explainFailure(facts({ logTail: ['start', ...log, 'done'] }));
    expect(e.kind).toBe('program-error');
    expect(e.evidence.length).toBeGreaterThan(1);
    expect(e.evidence.length).toBeLessThanOrEqual(6);
    expect(e.evidence.at(-1)).toContain('sample19.fa');
    expect(e.evidence[0]).toBe('Slurm state: FAILED; exit code: 1');
  });

  it('shows the last lines when nothing looks like an error', () => {
    const e = explainFailure(facts({ logTail: ['reading input', 'wrote 0 rows'] }));
    expect(e.evidence).toEqual(['Slurm state: FAILED; exit code: 1', 'reading input', 'wrote 0 rows']);
  });
});
