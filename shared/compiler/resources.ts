import type { BlockDefinition } from '../catalog';
import type { Step } from '../document';
import type { TargetProfile } from '../targets';
import { findPartition } from '../targets';
import type { ResourceEstimate, StepResourcesResolved } from './types';

/**
 * A step's resources: the block's defaults, each overridden by the step's own value; on a cluster
 * the partition is the step's, else the profile's default for CPU or GPU steps. On a GPU step the
 * CPUs are raised to gpus x cpusPerGpu when the profile knows that number, because sites size
 * (and sometimes enforce) cores per GPU and a GPU starved of data-loading cores sits idle.
 */
export function resolveResources(step: Step, block: BlockDefinition, target: TargetProfile, qosOption: string | null = null): StepResourcesResolved {
  const r = step.resources ?? {};
  const asked = {
    cpus: r.cpus ?? block.resources.cpus,
    memoryMb: r.memoryMb ?? block.resources.memoryMb,
    timeMinutes: r.timeMinutes ?? block.resources.timeMinutes,
    gpus: r.gpus ?? block.resources.gpus,
  };
  if (target.kind !== 'slurm') return { ...asked, partition: null, qos: null, cpusRaisedFrom: null };
  const partition = r.partition ?? (asked.gpus > 0 ? (target.defaults.gpuPartition ?? target.defaults.cpuPartition) : target.defaults.cpuPartition);
  const perGpu = target.gpus?.cpusPerGpu ?? null;
  const floor = asked.gpus > 0 && perGpu !== null ? asked.gpus * perGpu : 0;
  const cpus = Math.max(asked.cpus, floor);
  const qos = qosOption ?? findPartition(target, partition)?.qos ?? null;
  return { ...asked, cpus, partition, qos, cpusRaisedFrom: cpus > asked.cpus ? asked.cpus : null };
}

/** Rounds to hundredths so the manifest reads 1.5, not 1.4999999999999998. */
const hundredths = (x: number) => Math.round(x * 100) / 100;

/**
 * What a run asks for at most: every task of every step holding its CPUs (and GPUs) for its whole
 * requested time. Pure, so the UI can show it while the user edits.
 */
export function estimateResources(steps: ReadonlyArray<{ resources: Pick<StepResourcesResolved, 'cpus' | 'gpus' | 'timeMinutes'>; tasks: { count: number } | null }>): ResourceEstimate {
  let coreHours = 0;
  let gpuHours = 0;
  let tasks = 0;
  for (const s of steps) {
    const n = s.tasks?.count ?? 1;
    tasks += n;
    coreHours += (n * s.resources.cpus * s.resources.timeMinutes) / 60;
    gpuHours += (n * s.resources.gpus * s.resources.timeMinutes) / 60;
  }
  return { coreHours: hundredths(coreHours), gpuHours: hundredths(gpuHours), jobs: steps.length, tasks };
}

/** Slurm's D-HH:MM:SS, which every Slurm version reads the same way. */
export function slurmTime(minutes: number): string {
  const days = Math.floor(minutes / (24 * 60));
  const hours = Math.floor((minutes % (24 * 60)) / 60);
  const mins = minutes % 60;
  return `${days}-${String(hours).padStart(2, '0')}:${String(mins).padStart(2, '0')}:00`;
}

/** "90 minutes" -> "1 h 30 min", for messages. */
export function describeMinutes(minutes: number): string {
  if (minutes < 60) return `${minutes} min`;
  const d = Math.floor(minutes / 1440);
  const h = Math.floor((minutes % 1440) / 60);
  const m = minutes % 60;
  return [d ? `${d} d` : '', h ? `${h} h` : '', m ? `${m} min` : ''].filter(Boolean).join(' ');
}
