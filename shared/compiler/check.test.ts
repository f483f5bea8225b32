import { describe, expect, it } from 'vitest';
import { gpuSweepPipeline, LOCAL, shippedProfile, testCatalog } from '../../test/fixtures/catalog';
import type { PipelineDocument } from '../document';
import type { SlurmProfile } from '../targets';
import type { Problem } from '../validate';
import { checkTarget, unsafeSlurmValue } from './check';
import { compile } from './compile';
import { chooseEnvironment } from './environment';
import { estimateResources, resolveResources, slurmTime } from './resources';
import type { CompileOptions } from './types';

const catalog = testCatalog();
const ft3 = shippedProfile('cesga-ft3') as SlurmProfile;
const lumi = shippedProfile('lumi') as SlurmProfile;
const mn5 = shippedProfile('marenostrum5') as SlurmProfile;
const leonardo = shippedProfile('leonardo') as SlurmProfile;
const lab = shippedProfile('lab') as SlurmProfile;
const block = (id: string) => catalog.blocks.find((b) => b.id === id)!;

const errors = (ps: Problem[]) => ps.filter((p) => p.severity === 'error');
const warnings = (ps: Problem[]) => ps.filter((p) => p.severity === 'warning');
const byCode = (ps: Problem[], code: string) => ps.filter((p) => p.code === code);

function withStep(doc: PipelineDocument, id: string, patch: Partial<PipelineDocument['steps'][number]>): PipelineDocument {
  const step = doc.steps.find((s) => s.id === id)!;
  Object.assign(step, patch);
  return doc;
}

describe('checkTarget on "This computer"', () => {
  it('refuses a block that needs a cluster, saying why and what to choose', () => {
    const ps = checkTarget(gpuSweepPipeline(), catalog, LOCAL);
    expect(errors(ps)).toEqual([
      {
        code: 'T001',
        severity: 'error',
        stepId: 'tune',
        field: null,
        message: 'Fine-tune needs a cluster: training it takes data-centre GPUs; choose a cluster target',
        fix: 'Choose a cluster target for this run (the target menu, or --target on the command line), or remove the step "Fine-tune".',
      },
    ]);
  });

  it('refuses GPUs asked of this computer, and blocks whose only software is a container', () => {
    const doc = withStep(gpuSweepPipeline(), 'fit', { resources: { gpus: 1 } });
    doc.steps = doc.steps.filter((s) => s.id !== 'tune');
    expect(byCode(checkTarget(doc, catalog, LOCAL), 'T002')).toMatchObject([
      { stepId: 'fit', field: 'resources.gpus', message: 'Train asks for 1 GPU, but Fluxo does not hand out GPUs on This computer', fix: expect.stringContaining('Set GPUs to 0') },
    ]);
    const containerOnly = testCatalog();
    containerOnly.blocks.find((b) => b.id === 'collect')!.software.environments = [{ kind: 'container', image: '/opt/x.sif' }];
    const p = byCode(checkTarget(gpuSweepPipeline(), containerOnly, LOCAL), 'T009')[0];
    expect(p?.message).toBe('All models: This computer cannot provide the software Collect needs. The block offers the container /opt/x.sif, but This computer runs only software installed on it');
    expect(p?.fix).toBe('Choose a cluster target for this run.');
  });
});

describe('checkTarget on a cluster', () => {
  it('accepts the GPU sweep pipeline on FinisTerrae III with an account, warning only about what it could not check', () => {
    const ps = checkTarget(gpuSweepPipeline(), catalog, ft3, { account: 'curso123' });
    expect(errors(ps)).toEqual([]);
    expect(warnings(ps).map((p) => p.code)).toEqual(['T010', 'T004', 'T004', 'T007']);
    expect(byCode(ps, 'T004')[0]?.message).toBe('The CESGA FinisTerrae III profile does not know the time and memory limits of partition short, so Fluxo could not check what Rows, Train, Per-model report and All models ask for');
    expect(byCode(ps, 'T007')[0]?.message).toBe('Fluxo does not know whether CESGA FinisTerrae III needs a Slurm QoS; none is given for Fine-tune');
  });

  it('names the partition GPU limit: "partition gpu allows at most 2 GPUs per node; this step asks for 4"', () => {
    const ps = checkTarget(withStep(gpuSweepPipeline(), 'tune', { resources: { gpus: 4 } }), catalog, ft3, { account: 'c1' });
    const p = byCode(ps, 'T003').find((x) => x.field === 'resources.gpus');
    expect(p?.message).toBe('Fine-tune: partition gpu allows at most 2 GPUs per node; this step asks for 4');
    expect(p?.fix).toBe("Lower GPUs to 2 or fewer in the step's resources.");
    // 4 GPUs x 32 cores is also over the 64 CPUs of a node, and says where the 128 come from.
    expect(byCode(ps, 'T003').find((x) => x.field === 'resources.cpus')?.message).toBe(
      "Fine-tune: partition gpu allows at most 64 CPUs per node; this step asks for 128 (4 GPUs × 32 CPUs per GPU, the site's rule)",
    );
  });

  it('names time, CPU and memory limits, and suggests a partition that allows the request', () => {
    const ps = checkTarget(withStep(gpuSweepPipeline(), 'tune', { resources: { timeMinutes: 3000, memoryMb: 20000, gpus: 2 } }), catalog, lab);
    expect(byCode(ps, 'T003').map((p) => p.message)).toEqual([
      'Fine-tune: partition gpu allows at most 1 d (1440 minutes); this step asks for 2 d 2 h (3000 minutes)',
      'Fine-tune: partition gpu allows at most 16000 MB of memory per node; this step asks for 20000 MB',
    ]);
    expect(byCode(checkTarget(withStep(gpuSweepPipeline(), 'fit', { resources: { cpus: 100 } }), catalog, lumi, { account: 'p' }), 'T003')).toEqual([]);
    const over = checkTarget(withStep(gpuSweepPipeline(), 'fit', { resources: { cpus: 100, partition: 'small-g' } }), catalog, lumi, { account: 'p' });
    expect(byCode(over, 'T003')).toMatchObject([{ message: 'Train: partition small-g allows at most 56 CPUs per node; this step asks for 100', fix: "Lower CPUs to 56 or fewer in the step's resources, or choose a partition that allows it (small)." }]);
  });

  it('refuses GPUs on a partition without GPUs, naming the GPU partitions', () => {
    const ps = checkTarget(withStep(gpuSweepPipeline(), 'tune', { resources: { partition: 'small' } }), catalog, lumi, { account: 'p' });
    expect(byCode(ps, 'T002')).toMatchObject([
      { stepId: 'tune', message: 'Fine-tune: partition small has no GPUs; this step asks for 2', fix: "Choose a GPU partition (small-g, standard-g) in the step's resources, or clear the partition to use small-g." },
    ]);
  });

  it('refuses an unknown partition, listing the known ones', () => {
    const ps = checkTarget(withStep(gpuSweepPipeline(), 'fit', { resources: { partition: 'huge' } }), catalog, lumi, { account: 'p' });
    expect(byCode(ps, 'T005')).toMatchObject([{ stepId: 'fit', field: 'resources.partition', message: 'Train: "huge" is not a partition of LUMI (CSC) (known: small-g, standard-g, small)' }]);
  });

  it('warns when a GPU limit is not known', () => {
    const unknownGpus: SlurmProfile = { ...lab, partitions: lab.partitions.map((p) => (p.name === 'gpu' ? { ...p, maxGpus: null } : p)) };
    const doc = withStep(gpuSweepPipeline(), 'tune', { resources: { memoryMb: 1000, timeMinutes: 30 } });
    const container: SlurmProfile = { ...unknownGpus, containers: { command: 'apptainer', module: null, cacheDir: null } };
    const ps = checkTarget(doc, catalog, container);
    expect(byCode(ps, 'T004')).toMatchObject([{ severity: 'warning', message: 'The Test cluster (loopback) profile does not know the GPU limit of partition gpu, so Fluxo could not check what Fine-tune asks for' }]);
  });

  it('asks for a required account in the site’s words, and only warns when the profile does not know', () => {
    expect(byCode(checkTarget(gpuSweepPipeline(), catalog, mn5, { qos: 'acc_debug' }), 'T006')).toEqual([
      {
        code: 'T006',
        severity: 'error',
        stepId: null,
        field: 'account',
        message: 'MareNostrum 5 (BSC) needs a Slurm account: pass --account NAME (looks like ehpc123)',
        fix: 'Give the project account the site assigned you: --account NAME on the command line, or the account field of the run settings.',
      },
    ]);
    expect(byCode(checkTarget(gpuSweepPipeline(), catalog, ft3), 'T006')).toMatchObject([{ severity: 'warning', message: 'Fluxo does not know whether CESGA FinisTerrae III needs a Slurm account, and none is given' }]);
    expect(byCode(checkTarget(gpuSweepPipeline(), catalog, lab), 'T006')).toEqual([]);
    expect(byCode(checkTarget(gpuSweepPipeline(), catalog, mn5, { account: '' }), 'T006')).toHaveLength(1);
  });

  it('requires a QoS where the profile says so, unless the partition brings one; warns about an unknown QoS name', () => {
    const noPartitionQos: SlurmProfile = { ...mn5, partitions: mn5.partitions.map((p) => ({ ...p, qos: null })) };
    expect(byCode(checkTarget(gpuSweepPipeline(), catalog, noPartitionQos, { account: 'ehpc01' }), 'T007')).toMatchObject([
      { severity: 'error', message: 'MareNostrum 5 (BSC) needs a Slurm QoS, and none is given for Rows, Train, Per-model report, Fine-tune, All models (known: acc_debug, acc_ehpc, gp_debug, gp_ehpc)', fix: 'Pass --qos NAME (known: acc_debug, acc_ehpc, gp_debug, gp_ehpc), or choose a partition that comes with a QoS.' },
    ]);
    expect(byCode(checkTarget(gpuSweepPipeline(), catalog, mn5, { account: 'ehpc01' }), 'T007')).toEqual([]);
    expect(byCode(checkTarget(gpuSweepPipeline(), catalog, mn5, { account: 'ehpc01', qos: 'fast' }), 'T011')).toMatchObject([{ severity: 'warning', message: 'The QoS "fast" is not one the MareNostrum 5 (BSC) profile knows (acc_debug, acc_ehpc, gp_debug, gp_ehpc)' }]);
  });

  it('refuses account, QoS, reservation and partition values that could break an #SBATCH line, saying why', () => {
    const cases: Array<[CompileOptions, RegExp]> = [
      [{ account: 'ehpc1\n#SBATCH --wrap=rm' }, /line break, which in a batch script would start a new #SBATCH line/],
      [{ account: 'ehpc1#x' }, /contains "#", which Slurm reads as the start of a comment, silently cutting the value short/],
      [{ qos: "acc'debug" }, /contains a quote/],
      [{ reservation: 'my class' }, /space or tab/],
      [{ account: '--wrap=x' }, /starts with "-"/],
      [{ account: 'ehpc$(id)' }, /contains "\$" "\(" "\)"; Slurm names use only letters, digits and _ \. \+ \/ -/],
      [{ account: 'eñe' }, /contains "ñ"/],
    ];
    for (const [options, why] of cases) {
      const ps = byCode(checkTarget(gpuSweepPipeline(), catalog, lab, options), 'T008');
      expect(ps, JSON.stringify(options)).toHaveLength(1);
      expect(ps[0]?.message).toMatch(why);
      expect(ps[0]?.message).toMatch(/^The (account|QoS|reservation) ".*" cannot be used: /);
      const r = compile(gpuSweepPipeline(), catalog, lab, options);
      expect(r.ok).toBe(false);
    }
    const partition = byCode(checkTarget(withStep(gpuSweepPipeline(), 'fit', { resources: { partition: 'cpu\n#SBATCH -A x' } }), catalog, lab), 'T008');
    expect(partition).toMatchObject([{ stepId: 'fit', field: 'resources.partition', message: expect.stringMatching(/^Train: the partition "cpu\\n#SBATCH -A x" cannot be used: it contains a line break/) }]);
    expect(unsafeSlurmValue('ehpc_01.a+b/c-d')).toBeNull();
  });

  it('refuses a block whose software the profile cannot provide, listing what it offers and what is missing', () => {
    const ps = checkTarget(gpuSweepPipeline(), catalog, { ...lab, partitions: lab.partitions.map((p) => ({ ...p, maxMemoryMb: 64000, maxTimeMinutes: 600 })) });
    expect(byCode(ps, 'T009')).toMatchObject([
      {
        stepId: 'tune',
        message:
          'Fine-tune: Test cluster (loopback) cannot provide the software Fine-tune needs. The block offers environment modules (pytorch), but Test cluster (loopback) has no module system; the container docker://nvcr.io/nvidia/pytorch:24.01-py3 (built for NVIDIA GPUs), but Test cluster (loopback) has no container runtime (containers); the container docker://rocm/pytorch:rocm6.0_ubuntu22.04_py3.10_pytorch_2.1.1 (built for AMD GPUs), but Test cluster (loopback) has no container runtime (containers)',
        fix: 'Choose another target, or extend the profile (targets/lab.yaml) with what is missing.',
      },
    ]);
  });

  it('warns that a docker:// image cannot be pulled where compute nodes have no internet, with the command that fixes it', () => {
    const ps = byCode(checkTarget(gpuSweepPipeline(), catalog, leonardo, { account: 'A1' }), 'T010');
    expect(ps.map((p) => p.message)).toEqual([
      'Rows runs in the container docker://python:3.11-slim, but compute nodes of Leonardo (CINECA) have no internet, so it cannot be pulled there',
      'Fine-tune runs in the container docker://nvcr.io/nvidia/pytorch:24.01-py3, but compute nodes of Leonardo (CINECA) have no internet, so it cannot be pulled there',
    ]);
    expect(ps[1]?.fix).toContain('singularity pull images/nvcr.io_nvidia_pytorch_24.01-py3.sif docker://nvcr.io/nvidia/pytorch:24.01-py3');
    const online: SlurmProfile = { ...leonardo, internet: { computeNodes: true } };
    expect(byCode(checkTarget(gpuSweepPipeline(), catalog, online, { account: 'A1' }), 'T010')).toEqual([]);
  });

  it('refuses a profile cache folder that is not a plain path', () => {
    const bad: SlurmProfile = { ...ft3, containers: { command: 'apptainer', module: null, cacheDir: '$(rm -rf ~)' } };
    expect(byCode(checkTarget(gpuSweepPipeline(), catalog, bad, { account: 'c' }), 'T012')).toMatchObject([{ field: 'containers.cacheDir' }]);
  });

  it('refuses a launcher block whose command does not start with {{python}}', () => {
    const broken = testCatalog();
    broken.blocks.find((b) => b.id === 'finetune')!.command = ['torchrun-wrapper', '{{params.lr}}'];
    expect(byCode(checkTarget(gpuSweepPipeline(), broken, lumi, { account: 'p' }), 'T013')).toHaveLength(1);
  });
});

describe('environments', () => {
  it('takes the first environment the target supports', () => {
    const ft = block('finetune');
    expect(chooseEnvironment(ft, ft3, 2)).toMatchObject({ ok: true, environment: { kind: 'container', gpuFlag: '--nv', runtime: 'singularity' } });
    expect(chooseEnvironment(ft, lumi, 2)).toMatchObject({ ok: true, environment: { kind: 'container', gpuFlag: '--rocm', image: 'docker://rocm/pytorch:rocm6.0_ubuntu22.04_py3.10_pytorch_2.1.1' } });
    // Without GPUs the vendor does not matter: the first image is fine on LUMI too.
    expect(chooseEnvironment(ft, lumi, 0)).toMatchObject({ ok: true, environment: { kind: 'container', gpuFlag: null, image: 'docker://nvcr.io/nvidia/pytorch:24.01-py3' } });
    const mapped: SlurmProfile = { ...lumi, modules: { kind: 'lmod', base: ['LUMI/24.03'], packages: { pytorch: ['PyTorch/2.2'] } } };
    expect(chooseEnvironment(ft, mapped, 2)).toMatchObject({ ok: true, environment: { kind: 'modules', modules: ['LUMI/24.03', 'PyTorch/2.2'] } });
    // A system environment on a cluster needs python3 listed for a Python block, and its own tools.
    expect(chooseEnvironment(block('source'), lab, 0)).toMatchObject({ ok: true, environment: { kind: 'system', tools: ['python3'] } });
    expect(chooseEnvironment(block('align'), lab, 0)).toMatchObject({ ok: true, environment: { kind: 'system', tools: ['samtools'] } });
    const bare: SlurmProfile = { ...lab, systemTools: ['python3', 'bash'] };
    expect(chooseEnvironment(block('align'), bare, 0)).toMatchObject({ ok: false, lacking: ['Test cluster (loopback) does not list samtools among the tools installed on its compute nodes (systemTools)', 'Test cluster (loopback) has no conda (conda)'] });
    expect(chooseEnvironment(block('align'), ft3, 0)).toMatchObject({ ok: true, environment: { kind: 'conda', conda: 'bio-tools' } });
    expect(chooseEnvironment(block('align'), LOCAL, 0)).toMatchObject({ ok: true, environment: { kind: 'system', tools: ['samtools'] } });
  });
});

describe('resources', () => {
  it('applies step overrides to block defaults and picks the default CPU or GPU partition', () => {
    const doc = gpuSweepPipeline();
    const fit = doc.steps.find((s) => s.id === 'fit')!;
    expect(resolveResources({ ...fit, resources: { memoryMb: 9000 } }, block('train'), lumi)).toEqual({ cpus: 1, memoryMb: 9000, timeMinutes: 30, gpus: 0, partition: 'small', qos: null, cpusRaisedFrom: null });
    expect(resolveResources({ ...fit, resources: { gpus: 1, cpus: 2 } }, block('train'), lumi)).toEqual({ cpus: 7, memoryMb: 2048, timeMinutes: 30, gpus: 1, partition: 'small-g', qos: null, cpusRaisedFrom: 2 });
    expect(resolveResources({ ...fit, resources: { gpus: 1, cpus: 20 } }, block('train'), lumi)).toMatchObject({ cpus: 20, cpusRaisedFrom: null });
    expect(resolveResources(fit, block('train'), mn5)).toMatchObject({ partition: 'gpp', qos: 'gp_ehpc' });
    expect(resolveResources(fit, block('train'), mn5, 'gp_debug')).toMatchObject({ qos: 'gp_debug' });
    expect(resolveResources(fit, block('train'), LOCAL)).toMatchObject({ partition: null, qos: null });
  });

  it('estimates core- and GPU-hours over every task', () => {
    expect(
      estimateResources([
        { resources: { cpus: 2, gpus: 0, timeMinutes: 90 }, tasks: { count: 10 } },
        { resources: { cpus: 8, gpus: 2, timeMinutes: 20 }, tasks: null },
      ]),
    ).toEqual({ coreHours: 32.67, gpuHours: 0.67, jobs: 2, tasks: 11 });
  });

  it('writes Slurm times as D-HH:MM:00', () => {
    expect([1, 59, 60, 1439, 1440, 4321].map(slurmTime)).toEqual(['0-00:01:00', '0-00:59:00', '0-01:00:00', '0-23:59:00', '1-00:00:00', '3-00:01:00']);
  });
});
