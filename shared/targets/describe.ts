import type { ListedTarget } from './profiles';
import type { GpuRequest, Partition, SlurmProfile } from './schema';

/**
 * A profile in plain words, for `fluxo targets` and anyone who has to check a profile against a
 * site's documentation. Unknown facts are spelled out with what Fluxo does about them, because a
 * profile never guesses (see schema.ts).
 */

const DASH = '\u2014';

/** The GPU request line as it appears in scripts, e.g. "--gres=gpu:a100:N". */
export function gpuSyntaxExample(gpus: GpuRequest, gpuType: string | null): string {
  switch (gpus.syntax) {
    case 'gres-typed':
      return `--gres=gpu:${gpuType ?? 'TYPE'}:N`;
    case 'gres':
      return '--gres=gpu:N';
    case 'gpus-per-node':
      return '--gpus-per-node=N';
  }
}

function minutes(m: number): string {
  if (m % 1440 === 0) return `${m / 1440} d`;
  if (m % 60 === 0) return `${m / 60} h`;
  return `${m} min`;
}

function limit<T>(value: T | null, show: (v: T) => string): string {
  return value === null ? 'unknown' : show(value);
}

function partitionLine(p: Partition, profile: SlurmProfile): string {
  const gpus = p.maxGpus === null ? 'GPUs unknown' : p.maxGpus === 0 ? 'no GPUs' : `${p.maxGpus} GPUs${p.gpuType ? ` (${p.gpuType})` : ''}`;
  const parts = [
    `time ${limit(p.maxTimeMinutes, minutes)}`,
    `${limit(p.maxCpus, String)} CPUs`,
    `memory ${limit(p.maxMemoryMb, (mb) => `${Math.round(mb / 1024)} GB`)}`,
    gpus,
  ];
  const roles = [p.name === profile.defaults.cpuPartition ? 'default for CPU steps' : null, p.name === profile.defaults.gpuPartition ? 'default for GPU steps' : null].filter(Boolean);
  const qos = p.qos ? `, QoS ${p.qos}` : '';
  return `${p.name}: ${parts.join(', ')} per node${qos}${roles.length ? ` (${roles.join(', ')})` : ''}`;
}

function requirement(required: boolean | 'unknown', example: string, known: string[] = []): string {
  const hint = [example ? `e.g. ${example}` : null, known.length ? `known: ${known.join(', ')}` : null].filter(Boolean).join('; ');
  const tail = hint ? ` (${hint})` : '';
  if (required === 'unknown') return `unknown ${DASH} you will be asked${tail}`;
  return required ? `required ${DASH} you will be asked${tail}` : `not needed${known.length ? ` (known: ${known.join(', ')})` : ''}`;
}

/** Facts this profile does not know, in words: what Fluxo asks or warns about instead. */
export function unknownFacts(profile: SlurmProfile): string[] {
  const out: string[] = [];
  if (profile.account.required === 'unknown') out.push('whether an account (-A) is required');
  if (profile.qos.required === 'unknown') out.push('whether a QoS is required');
  for (const p of profile.partitions) {
    const missing = [
      p.maxTimeMinutes === null ? 'max time' : null,
      p.maxCpus === null ? 'CPUs' : null,
      p.maxMemoryMb === null ? 'memory' : null,
      p.maxGpus === null ? 'GPUs' : null,
    ].filter(Boolean);
    if (missing.length) out.push(`partition ${p.name}: ${missing.join(', ')} (not checked before submitting)`);
  }
  if (profile.gpus && profile.gpus.cpusPerGpu === null) out.push('CPU cores per GPU');
  if (profile.internet.computeNodes === 'unknown') out.push('whether compute nodes reach the internet (pull container images to .sif files beforehand)');
  return out;
}

/** Indented lines describing one listed profile; the first line is the heading. */
export function describeTarget(t: ListedTarget): string[] {
  const p = t.profile;
  const origin = t.source === 'user' ? `user profile ${t.file}${t.overrides ? `, replaces the shipped ${t.overrides}` : ''}` : `shipped ${t.file}`;
  const lines = [`${p.id}: ${p.title} [${p.kind}] (${origin})`];
  if (p.description) lines.push(`  ${p.description}`);
  if (p.kind === 'local') return lines;

  const field = (name: string, text: string) => lines.push(`  ${(name ? `${name}:` : '').padEnd(13)}${text}`);
  field('login', `${p.login.hosts.join(', ')}${p.login.port !== 22 ? ` (port ${p.login.port})` : ''}`);
  if (p.login.note) field('', p.login.note);
  field('transfer', p.login.transferHost ?? 'no separate transfer host (use the login host)');
  field('account', requirement(p.account.required, p.account.example));
  field('QoS', requirement(p.qos.required, '', p.qos.known));
  field('partitions', partitionLine(p.partitions[0]!, p));
  for (const part of p.partitions.slice(1)) field('', partitionLine(part, p));
  if (p.gpus) {
    const types = [...new Set(p.partitions.filter((x) => (x.maxGpus ?? 0) > 0).map((x) => x.gpuType))];
    const example = gpuSyntaxExample(p.gpus, types.length === 1 ? (types[0] ?? null) : null);
    const cores = p.gpus.cpusPerGpu === null ? 'CPU cores per GPU unknown' : `${p.gpus.cpusPerGpu} CPU cores per GPU`;
    field('GPUs', `${example}, ${cores}, ${p.gpus.vendor === 'nvidia' ? 'NVIDIA (containers get --nv)' : 'AMD (containers get --rocm)'}`);
  } else field('GPUs', 'none that Fluxo can request');
  const mods = p.modules.kind === 'none' ? 'no module system' : `${p.modules.kind}${p.modules.base.length ? `, every step loads ${p.modules.base.join(' ')}` : ''}`;
  const pkgs = Object.keys(p.modules.packages);
  field('modules', `${mods}${pkgs.length ? `; provides ${pkgs.sort().join(', ')}` : ''}`);
  field(
    'containers',
    p.containers
      ? `${p.containers.command}${p.containers.module ? ` (module load ${p.containers.module})` : ' (on PATH)'}${p.containers.cacheDir ? `, image cache ${p.containers.cacheDir}` : ''}`
      : 'not available',
  );
  field('conda', p.conda ? (p.conda.module ? `module load ${p.conda.module}` : 'on PATH') : 'not available');
  field('storage', `runs go to ${p.storage.workRoot}; ${p.storage.roots.map((r) => `${r.path} (${r.title})`).join(', ')}`);
  const internet = p.internet.computeNodes === 'unknown' ? `unknown ${DASH} pull images beforehand to be safe` : p.internet.computeNodes ? 'yes' : 'no: copy container images (.sif) and data beforehand';
  field('internet', `compute nodes: ${internet}`);
  const unknown = unknownFacts(p);
  if (unknown.length) {
    field('unknown', unknown[0]!);
    for (const u of unknown.slice(1)) field('', u);
  }
  return lines;
}
