import type { BlockDefinition, Environment } from '../catalog';
import type { SlurmProfile, TargetProfile } from '../targets';
import type { ManifestEnvironment } from './types';

/**
 * Software environments: a block lists the ways its software can be provided, in order of
 * preference; the target takes the first it supports. "This computer" supports only `system`
 * (its own installed software). A Slurm profile supports:
 * - system: when every tool the block needs (python3 for a Python block) is in profile.systemTools;
 * - modules: when the site has a module system and maps every package the block names;
 * - container: when the site has Apptainer/Singularity, and on a GPU step the image's GPU vendor
 *   (when given) matches the site's;
 * - conda: when the profile says conda is available.
 */

export type EnvironmentChoice =
  | { ok: true; environment: ManifestEnvironment }
  | {
      ok: false;
      /** What the block offers, in words: "container docker://x (NVIDIA)". */
      offered: string[];
      /** Why the target cannot use each of them, in the same order. */
      lacking: string[];
    };

/** A block with no environments declared runs on the target's own software. */
export function blockEnvironments(block: BlockDefinition): Environment[] {
  return block.software.environments.length ? block.software.environments : [{ kind: 'system', tools: [] }];
}

/** Tools a system environment needs on PATH: those declared, plus python3 for a Python block on a cluster. */
function systemTools(block: BlockDefinition, env: Extract<Environment, { kind: 'system' }>, cluster: boolean): string[] {
  const tools = [...env.tools];
  if (cluster && block.software.python && !tools.includes('python3')) tools.unshift('python3');
  return tools;
}

export function describeOffer(env: Environment): string {
  switch (env.kind) {
    case 'system':
      return env.tools.length ? `its own installed tools (${env.tools.join(', ')})` : 'its own installed software';
    case 'modules':
      return `environment modules (${env.packages.join(', ')})`;
    case 'container':
      return `the container ${env.image}${env.vendor ? ` (built for ${env.vendor === 'nvidia' ? 'NVIDIA' : 'AMD'} GPUs)` : ''}`;
    case 'conda':
      return `the conda environment ${env.environment}`;
  }
}

/** The file name a docker:// image is looked for under once pulled: registry path with / : @ as _. */
export function pulledImageName(image: string): string | null {
  if (!image.startsWith('docker://')) return null;
  return `${image.slice('docker://'.length).replace(/[/:@]/g, '_')}.sif`;
}

function tryEnvironment(env: Environment, block: BlockDefinition, target: TargetProfile, gpus: number): { environment: ManifestEnvironment } | { lacking: string } {
  const base: ManifestEnvironment = { kind: env.kind, description: '', modules: [], image: null, conda: null, tools: [], runtime: null, gpuFlag: null, pulledImage: null };
  if (target.kind === 'local') {
    if (env.kind !== 'system') return { lacking: `${target.title} runs only software installed on it` };
    const tools = systemTools(block, env, false);
    return { environment: { ...base, tools, description: tools.length ? `software installed on this computer (${tools.join(', ')})` : 'software installed on this computer' } };
  }
  const t: SlurmProfile = target;
  switch (env.kind) {
    case 'system': {
      const tools = systemTools(block, env, true);
      const missing = tools.filter((x) => !t.systemTools.includes(x));
      if (missing.length) return { lacking: `${t.title} does not list ${missing.join(', ')} among the tools installed on its compute nodes (systemTools)` };
      return { environment: { ...base, tools, description: tools.length ? `the cluster's installed tools (${tools.join(', ')})` : "the cluster's installed software" } };
    }
    case 'modules': {
      if (t.modules.kind === 'none') return { lacking: `${t.title} has no module system` };
      const unmapped = env.packages.filter((p) => !t.modules.packages[p]);
      if (unmapped.length) return { lacking: `${t.title} has no module for ${unmapped.join(', ')} (modules.packages)` };
      const modules: string[] = [];
      for (const m of [...t.modules.base, ...env.packages.flatMap((p) => t.modules.packages[p] ?? [])]) if (!modules.includes(m)) modules.push(m);
      return { environment: { ...base, modules, description: `environment modules ${modules.join(' ')}` } };
    }
    case 'container': {
      if (!t.containers) return { lacking: `${t.title} has no container runtime (containers)` };
      if (gpus > 0 && env.vendor && t.gpus && env.vendor !== t.gpus.vendor) {
        return { lacking: `the GPUs of ${t.title} are ${t.gpus.vendor === 'nvidia' ? 'NVIDIA' : 'AMD'}` };
      }
      const gpuFlag = gpus > 0 && t.gpus ? (t.gpus.vendor === 'amd' ? '--rocm' : '--nv') : null;
      return {
        environment: {
          ...base,
          image: env.image,
          runtime: t.containers.command,
          gpuFlag,
          pulledImage: pulledImageName(env.image),
          description: `the container ${env.image}, run with ${t.containers.command}${gpuFlag ? ` ${gpuFlag}` : ''}`,
        },
      };
    }
    case 'conda':
      if (!t.conda) return { lacking: `${t.title} has no conda (conda)` };
      return { environment: { ...base, conda: env.environment, description: `the conda environment ${env.environment}` } };
  }
}

/** The first of the block's environments the target supports, or what is offered and what is missing. */
export function chooseEnvironment(block: BlockDefinition, target: TargetProfile, gpus: number): EnvironmentChoice {
  const offered: string[] = [];
  const lacking: string[] = [];
  for (const env of blockEnvironments(block)) {
    const r = tryEnvironment(env, block, target, gpus);
    if ('environment' in r) return { ok: true, environment: r.environment };
    offered.push(describeOffer(env));
    lacking.push(r.lacking);
  }
  return { ok: false, offered, lacking };
}
