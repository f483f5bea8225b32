import type { Catalog } from '../catalog';
import type { PipelineDocument } from '../document';
import type { Partition, SlurmProfile, TargetProfile } from '../targets';
import { findPartition, SLURM_NAME_PATTERN } from '../targets';
import type { Problem, ProblemCode } from '../validate';
import { ProblemCode as Code, stepName } from '../validate';
import { pulledImageName } from './environment';
import type { PlannedStep } from './plan';
import { normalizeOptions, planSteps } from './plan';
import { describeMinutes } from './resources';
import type { CompileOptions } from './types';

/**
 * Why a value cannot go into an #SBATCH line or a sbatch argument, or null when it can.
 * Slurm names are plain words; anything else is refused rather than escaped, because an #SBATCH
 * line has no quoting: a newline would start a new directive and `#` ends the line early.
 */
export function unsafeSlurmValue(value: string): string | null {
  if (/[\r\n\u2028\u2029]/.test(value)) return 'it contains a line break, which in a batch script would start a new #SBATCH line (a way to inject directives)';
  if (value.includes('#')) return 'it contains "#", which Slurm reads as the start of a comment, silently cutting the value short';
  if (/['"`]/.test(value)) return 'it contains a quote; #SBATCH lines are not shell, so a quote would become part of the name';
  if (/\s/.test(value)) return 'it contains a space or tab, which would end the value early';
  if (value.startsWith('-')) return 'it starts with "-", so Slurm would read it as another option';
  if (!SLURM_NAME_PATTERN.test(value)) {
    const bad = [...new Set([...value].filter((ch) => !/[A-Za-z0-9_.+/-]/.test(ch)))].map((ch) => JSON.stringify(ch)).join(' ');
    return `it contains ${bad}; Slurm names use only letters, digits and _ . + / -`;
  }
  return null;
}

/** A shell path expression from a profile: plain path characters and $VAR / ${VAR} only, nothing that runs. */
export const PROFILE_PATH_PATTERN = /^(?:[A-Za-z0-9_.+/-]|\$[A-Za-z_][A-Za-z0-9_]*|\$\{[A-Za-z_][A-Za-z0-9_]*\})+$/;

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
const list = (items: string[]) => items.join(', ');
const andList = (items: string[]) => (items.length < 2 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`);

/**
 * Checks a pipeline against a target profile and the run's options (account, QoS, reservation).
 * Errors make compile refuse; warnings say what Fluxo could not check. Every problem names the
 * step and what to change. Safe to call on a pipeline the validator refuses (unknown blocks are skipped).
 */
export function checkTarget(doc: PipelineDocument, catalog: Pick<Catalog, 'blocks'>, target: TargetProfile, options: CompileOptions = {}): Problem[] {
  const problems: Problem[] = [];
  const add = (code: ProblemCode, stepId: string | null, field: string | null, message: string, fix: string, severity: Problem['severity'] = 'error') =>
    problems.push({ code, severity, stepId, field, message, fix });
  const planned = planSteps(doc, catalog, target, options, doc.steps.map((s) => s.id));
  const name = (p: PlannedStep) => stepName(p.step, p.block);

  if (target.kind === 'local') {
    for (const p of planned) {
      if (p.block.requires.cluster) {
        const reason = p.block.requires.reason || 'it is too large for a desktop computer';
        add(Code.NeedsCluster, p.step.id, null, `${p.block.title} needs a cluster: ${reason}; choose a cluster target`, `Choose a cluster target for this run (the target menu, or --target on the command line), or remove the step "${name(p)}".`);
        continue;
      }
      if (p.resources.gpus > 0) {
        add(Code.NoGpus, p.step.id, 'resources.gpus', `${name(p)} asks for ${plural(p.resources.gpus, 'GPU')}, but Fluxo does not hand out GPUs on ${target.title}`, p.block.requires.gpus > 0 ? `Choose a cluster target with GPUs for this run.` : `Set GPUs to 0 in the step's resources (the block then runs on CPUs), or choose a cluster target with GPUs.`);
      }
      checkEnvironment(p, target, add);
    }
    return problems;
  }

  checkOptions(target, options, add);
  checkProfileFacts(target, add);
  const unknownLimits = new Map<string, { fields: Set<string>; steps: string[]; first: string }>();
  const noQos: PlannedStep[] = [];
  for (const p of planned) {
    const partition = checkPartition(p, target, add, unknownLimits);
    if (partition && p.resources.qos === null) noQos.push(p);
    checkEnvironment(p, target, add);
    checkLauncher(p, add);
  }
  for (const [partition, u] of unknownLimits) {
    add(
      Code.LimitUnknown,
      u.first,
      null,
      `The ${target.title} profile does not know the ${andList([...u.fields])} limit${u.fields.size === 1 ? '' : 's'} of partition ${partition}, so Fluxo could not check what ${andList(u.steps)} ask${u.steps.length === 1 ? 's' : ''} for`,
      `Check the site's documentation for partition ${partition}; sbatch refuses a job over a limit when it is submitted. Adding the limit to the profile (targets/${target.id}.yaml) lets Fluxo check it.`,
      'warning',
    );
  }
  if (noQos.length && target.qos.required !== false) {
    const known = target.qos.known.length ? ` (known: ${list(target.qos.known)})` : '';
    const steps = list(noQos.map(name));
    if (target.qos.required === true) {
      add(Code.QosMissing, noQos[0]!.step.id, null, `${target.title} needs a Slurm QoS, and none is given for ${steps}${known}`, `Pass --qos NAME${known}, or choose a partition that comes with a QoS.`);
    } else {
      add(Code.QosMissing, noQos[0]!.step.id, null, `Fluxo does not know whether ${target.title} needs a Slurm QoS; none is given for ${steps}`, `If sbatch refuses the jobs for a missing QoS, pass --qos NAME${known}.`, 'warning');
    }
  }
  return problems;
}

type Add = (code: ProblemCode, stepId: string | null, field: string | null, message: string, fix: string, severity?: Problem['severity']) => void;

function checkOptions(target: SlurmProfile, options: CompileOptions, add: Add): void {
  const opts = normalizeOptions(options);
  const fields = [
    ['account', 'account', '--account'],
    ['qos', 'QoS', '--qos'],
    ['reservation', 'reservation', '--reservation'],
  ] as const;
  const unsafe = new Set<string>();
  for (const [key, title, flag] of fields) {
    const v = opts[key];
    const why = v === null ? null : unsafeSlurmValue(v);
    if (why) {
      unsafe.add(key);
      add(Code.UnsafeSlurmValue, null, key, `The ${title} ${JSON.stringify(v)} cannot be used: ${why}`, `Type the ${title} exactly as the site gave it to you (${flag} NAME)${key === 'account' && target.account.example ? `, like ${target.account.example}` : ''}.`);
    }
  }
  if (opts.account === null && target.account.required !== false) {
    const looks = target.account.example ? ` (looks like ${target.account.example})` : '';
    if (target.account.required === true) {
      add(Code.AccountMissing, null, 'account', `${target.title} needs a Slurm account: pass --account NAME${looks}`, `Give the project account the site assigned you: --account NAME on the command line, or the account field of the run settings.`);
    } else {
      add(Code.AccountMissing, null, 'account', `Fluxo does not know whether ${target.title} needs a Slurm account, and none is given`, `If sbatch refuses the jobs for a missing account, pass --account NAME${looks}.`, 'warning');
    }
  }
  if (opts.qos !== null && !unsafe.has('qos') && target.qos.known.length && !target.qos.known.includes(opts.qos)) {
    add(Code.QosNotKnown, null, 'qos', `The QoS "${opts.qos}" is not one the ${target.title} profile knows (${list(target.qos.known)})`, 'Check the name; sbatch refuses a QoS that does not exist or that your account may not use.', 'warning');
  }
}

function checkProfileFacts(target: SlurmProfile, add: Add): void {
  const cache = target.containers?.cacheDir;
  if (cache && !PROFILE_PATH_PATTERN.test(cache)) {
    add(Code.ProfileProblem, null, 'containers.cacheDir', `The ${target.title} profile's containers.cacheDir ${JSON.stringify(cache)} is not a plain path`, 'Use only letters, digits, _ . + / - and $VARIABLES in containers.cacheDir (e.g. "$STORE/.apptainer-cache").');
  }
}

/** Checks the step's partition and the request against its limits; returns the partition when known. */
function checkPartition(p: PlannedStep, target: SlurmProfile, add: Add, unknown: Map<string, { fields: Set<string>; steps: string[]; first: string }>): Partition | null {
  const name = stepName(p.step, p.block);
  const r = p.resources;
  const asked = p.step.resources?.partition;
  if (asked !== undefined) {
    const why = unsafeSlurmValue(asked);
    if (why) {
      add(Code.UnsafeSlurmValue, p.step.id, 'resources.partition', `${name}: the partition ${JSON.stringify(asked)} cannot be used: ${why}`, `Choose one of the partitions of ${target.title} (${list(target.partitions.map((x) => x.name))}) in the step's resources.`);
      return null;
    }
  }
  const partition = findPartition(target, r.partition!);
  if (!partition) {
    add(Code.UnknownPartition, p.step.id, 'resources.partition', `${name}: "${r.partition}" is not a partition of ${target.title} (known: ${list(target.partitions.map((x) => x.name))})`, `Choose one of them in the step's resources, or clear the partition to use the default (${r.gpus > 0 ? (target.defaults.gpuPartition ?? target.defaults.cpuPartition) : target.defaults.cpuPartition}).`);
    return null;
  }
  const gpuPartitions = target.partitions.filter((x) => x.maxGpus === null || x.maxGpus > 0).map((x) => x.name);
  const notCheckable: string[] = [];
  if (r.gpus > 0) {
    if (!target.gpus) {
      add(Code.NoGpus, p.step.id, 'resources.gpus', `${name} asks for ${plural(r.gpus, 'GPU')}, but ${target.title} has no GPUs Fluxo can request`, p.block.requires.gpus > 0 ? 'Choose a target with GPUs.' : "Set GPUs to 0 in the step's resources, or choose a target with GPUs.");
    } else if (partition.maxGpus === 0) {
      add(
        Code.NoGpus,
        p.step.id,
        'resources.gpus',
        `${name}: partition ${partition.name} has no GPUs; this step asks for ${r.gpus}`,
        gpuPartitions.length ? `Choose a GPU partition (${list(gpuPartitions)}) in the step's resources${asked === undefined ? '' : `, or clear the partition to use ${target.defaults.gpuPartition ?? gpuPartitions[0]}`}.` : `${target.title} lists no GPU partition; set GPUs to 0 or choose another target.`,
      );
    } else if (partition.maxGpus === null) notCheckable.push('GPU');
    else if (r.gpus > partition.maxGpus) {
      add(Code.OverPartitionLimit, p.step.id, 'resources.gpus', `${name}: partition ${partition.name} allows at most ${plural(partition.maxGpus, 'GPU')} per node; this step asks for ${r.gpus}`, `Lower GPUs to ${partition.maxGpus} or fewer in the step's resources${otherPartitions(target, partition, (x) => (x.maxGpus ?? 0) >= r.gpus)}.`);
    }
    if (target.gpus?.syntax === 'gres-typed' && partition.maxGpus !== 0 && !partition.gpuType) {
      add(Code.ProfileProblem, p.step.id, 'resources.partition', `The ${target.title} profile requests GPUs as --gres=gpu:TYPE:N but does not name the GPU type of partition ${partition.name}`, `Add gpuType to partition ${partition.name} in targets/${target.id}.yaml.`);
    }
  }
  if (partition.maxTimeMinutes === null) notCheckable.push('time');
  else if (r.timeMinutes > partition.maxTimeMinutes) {
    add(Code.OverPartitionLimit, p.step.id, 'resources.timeMinutes', `${name}: partition ${partition.name} allows at most ${describeMinutes(partition.maxTimeMinutes)} (${partition.maxTimeMinutes} minutes); this step asks for ${describeMinutes(r.timeMinutes)} (${r.timeMinutes} minutes)`, `Lower the time to ${partition.maxTimeMinutes} minutes or less in the step's resources${otherPartitions(target, partition, (x) => (x.maxTimeMinutes ?? 0) >= r.timeMinutes && ((x.maxGpus ?? 0) > 0 || r.gpus === 0))}.`);
  }
  if (partition.maxCpus === null) notCheckable.push('CPU');
  else if (r.cpus > partition.maxCpus) {
    const why = r.cpusRaisedFrom !== null ? ` (${r.gpus} GPUs × ${target.gpus?.cpusPerGpu} CPUs per GPU, the site's rule)` : '';
    add(Code.OverPartitionLimit, p.step.id, 'resources.cpus', `${name}: partition ${partition.name} allows at most ${partition.maxCpus} CPUs per node; this step asks for ${r.cpus}${why}`, r.cpusRaisedFrom !== null ? `Use fewer GPUs in the step's resources.` : `Lower CPUs to ${partition.maxCpus} or fewer in the step's resources${otherPartitions(target, partition, (x) => (x.maxCpus ?? 0) >= r.cpus)}.`);
  }
  if (partition.maxMemoryMb === null) notCheckable.push('memory');
  else if (r.memoryMb > partition.maxMemoryMb) {
    add(Code.OverPartitionLimit, p.step.id, 'resources.memoryMb', `${name}: partition ${partition.name} allows at most ${partition.maxMemoryMb} MB of memory per node; this step asks for ${r.memoryMb} MB`, `Lower the memory to ${partition.maxMemoryMb} MB or less in the step's resources${otherPartitions(target, partition, (x) => (x.maxMemoryMb ?? 0) >= r.memoryMb)}.`);
  }
  if (notCheckable.length) {
    const u = unknown.get(partition.name) ?? { fields: new Set<string>(), steps: [], first: p.step.id };
    for (const f of notCheckable) u.fields.add(f);
    u.steps.push(name);
    unknown.set(partition.name, u);
  }
  return partition;
}

function otherPartitions(target: SlurmProfile, current: Partition, fits: (p: Partition) => boolean): string {
  const others = target.partitions.filter((x) => x.name !== current.name && fits(x)).map((x) => x.name);
  return others.length ? `, or choose a partition that allows it (${list(others)})` : '';
}

function checkEnvironment(p: PlannedStep, target: TargetProfile, add: Add): void {
  const name = stepName(p.step, p.block);
  const choice = p.environment;
  if (!choice.ok) {
    const offers = choice.offered.map((o, i) => `${o}, but ${choice.lacking[i]}`).join('; ');
    add(
      Code.NoEnvironment,
      p.step.id,
      null,
      `${name}: ${target.title} cannot provide the software ${p.block.title} needs. The block offers ${offers}`,
      target.kind === 'local' ? 'Choose a cluster target for this run.' : `Choose another target, or extend the profile (targets/${target.id}.yaml) with what is missing.`,
    );
    return;
  }
  const env = choice.environment;
  if (target.kind === 'slurm' && env.image?.startsWith('docker://') && target.internet.computeNodes !== true) {
    const where = target.internet.computeNodes === false ? `compute nodes of ${target.title} have no internet, so it cannot be pulled there` : `Fluxo does not know whether compute nodes of ${target.title} reach the internet to pull it`;
    const sif = pulledImageName(env.image)!;
    add(
      Code.ImageNeedsInternet,
      p.step.id,
      null,
      `${name} runs in the container ${env.image}, but ${where}`,
      `Before submitting, on the login node, in the run folder: mkdir -p images && ${env.runtime} pull images/${sif} ${env.image} (or set FLUXO_IMAGES to a folder holding ${sif}); the step uses that file instead of pulling.`,
      'warning',
    );
  }
}

function checkLauncher(p: PlannedStep, add: Add): void {
  if (p.block.software.launcher !== 'plain' && p.resources.gpus > 0 && p.block.command[0] !== '{{python}}') {
    add(Code.LauncherUnusable, p.step.id, null, `${p.block.title} starts with ${p.block.software.launcher}, but its command does not begin with {{python}}, which the launcher replaces`, `Fix the block definition (${p.block.id}): its command must start with "{{python}}".`);
  }
}
