import { z } from 'zod';

/**
 * A target is where a pipeline runs. Profiles are data: resources/targets/<id>.yaml ships with
 * Fluxo, and a user's own profiles (<FLUXO_HOME>/targets/<id>.yaml) add to them or override a
 * shipped one with the same id.
 *
 * INVARIANT: a profile never guesses. A fact the profile does not know is `null` (or "unknown")
 * and the compiler either asks for it (a required account) or says that it could not check it
 * (a partition limit), never fills in a plausible value.
 */

const zProfileId = z.string().regex(/^[a-z][a-z0-9-]{0,47}$/, 'must be lowercase-with-dashes (a-z, 0-9, -)');
/** A Slurm name (partition, QoS, account, module): no spaces, quotes, `#` or shell characters. */
export const SLURM_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.+/-]*$/;
const zSlurmName = z.string().regex(SLURM_NAME_PATTERN, 'must be a plain name (letters, digits, _ . + / -)');
/** A fact that may be unknown; "unknown" makes the UI ask and the compiler warn, never guess. */
const zTriState = z.union([z.boolean(), z.literal('unknown')]);
/** Where a source for a fact is known, the profile cites it so people can check it again. */
const zSource = z.string().max(500).default('');

export const zPartition = z.object({
  name: zSlurmName,
  title: z.string().default(''),
  /** Max wall time in minutes; null = not known (the compiler warns instead of checking). */
  maxTimeMinutes: z.number().int().positive().nullable().default(null),
  /** Per node. null = not known. */
  maxCpus: z.number().int().positive().nullable().default(null),
  maxMemoryMb: z.number().int().positive().nullable().default(null),
  /** 0 = a partition without GPUs. null = not known. */
  maxGpus: z.number().int().min(0).nullable().default(0),
  /** e.g. "a100", "mi250x"; used by the typed GRES syntax. */
  gpuType: z.string().regex(/^[A-Za-z0-9_-]+$/).nullable().default(null),
  /** QoS that goes with this partition when the profile needs one (FinisTerrae III's "short"). */
  qos: zSlurmName.nullable().default(null),
  /** Nodes a job may span; Fluxo requests one node per step. */
  maxNodes: z.number().int().positive().nullable().default(null),
});
export type Partition = z.infer<typeof zPartition>;

export const zGpuRequest = z.object({
  /**
   * "gres-typed": --gres=gpu:TYPE:N (FinisTerrae III); "gres": --gres=gpu:N (Leonardo, MareNostrum 5);
   * "gpus-per-node": --gpus-per-node=N (LUMI).
   */
  syntax: z.enum(['gres-typed', 'gres', 'gpus-per-node']),
  /** CPU cores to request per GPU (a step asking for fewer gets this many per GPU). null = not known. */
  cpusPerGpu: z.number().int().positive().nullable().default(null),
  /** "nvidia" needs apptainer --nv, "amd" needs --rocm. */
  vendor: z.enum(['nvidia', 'amd']),
});
export type GpuRequest = z.infer<typeof zGpuRequest>;

export const zModuleSystem = z.object({
  /** "lmod" and "tcl" both understand `module load`; "none" means no module command. */
  kind: z.enum(['lmod', 'tcl', 'none']),
  /** Loaded first by every step (FinisTerrae III's "cesga/2022"). */
  base: z.array(zSlurmName).default([]),
  /**
   * Software a block asks for by name (see a block's `modules` environment) mapped to this site's
   * module names, loaded in order. A name missing here means this profile cannot offer it through
   * modules, and the compiler tries the block's next environment.
   */
  packages: z.record(z.string().regex(/^[a-z][a-z0-9_-]*$/), z.array(zSlurmName).min(1)).default({}),
});
export type ModuleSystem = z.infer<typeof zModuleSystem>;

export const zContainerRuntime = z.object({
  /** The command that runs images. */
  command: z.enum(['apptainer', 'singularity']),
  /** Module to load first, when the runtime is not on PATH by default. */
  module: zSlurmName.nullable().default(null),
  /** Where pulled images are cached (APPTAINER_CACHEDIR); null = the runtime's default in $HOME. */
  cacheDir: z.string().nullable().default(null),
});
export type ContainerRuntime = z.infer<typeof zContainerRuntime>;

export const zCondaSetup = z.object({
  /** Module that provides conda (e.g. "miniconda3"); null = conda is on PATH. */
  module: zSlurmName.nullable().default(null),
});

export const zStorageRoot = z.object({
  /** Shell expression as written on the cluster, e.g. "$LUSTRE" or "/gpfs/scratch/<project>". */
  path: z.string().min(1),
  title: z.string().min(1),
  description: z.string().default(''),
  /** Whether files there are deleted after some time (scratch). */
  purged: zTriState.default('unknown'),
});

const zSlurmProfile = z.object({
  id: zProfileId,
  title: z.string().min(1),
  description: z.string().default(''),
  kind: z.literal('slurm'),
  site: z
    .object({
      name: z.string().min(1),
      documentation: z.string().url().nullable().default(null),
    })
    .default({ name: '', documentation: null }),
  login: z.object({
    /** One or more login nodes; Fluxo uses the first that answers. */
    hosts: z.array(z.string().regex(/^[A-Za-z0-9.-]+$/, 'must be a host name')).min(1),
    port: z.number().int().min(1).max(65535).default(22),
    /** Where large transfers should go instead of the login node; null = use the login node. */
    transferHost: z.string().regex(/^[A-Za-z0-9.-]+$/).nullable().default(null),
    /** Shown to the user before connecting (VPN, 2FA, certificates). */
    note: z.string().default(''),
    /**
     * The user's own login settings, usually in their own copy of the profile. null/empty: taken
     * from `sshConfigHost` in ~/.ssh/config, else asked for (user) or the defaults below.
     */
    user: z.string().regex(/^[A-Za-z0-9._][A-Za-z0-9._-]{0,63}$/, 'must be a user name').nullable().default(null),
    /** Private key files to offer ("~/" is the user's home); encrypted keys ask for their passphrase. */
    identityFiles: z.array(z.string().min(1)).default([]),
    /** Jump hosts as OpenSSH's ProxyJump writes them: "user@host:port,host2". null: none. */
    proxyJump: z.string().regex(/^[A-Za-z0-9@.:,_[\]-]+$/, 'must be ProxyJump syntax: [user@]host[:port],...').nullable().default(null),
    /** A Host of ~/.ssh/config to take HostName, User, Port, IdentityFile and ProxyJump from. */
    sshConfigHost: z.string().regex(/^[A-Za-z0-9._-]+$/).nullable().default(null),
    /** Login methods in the order they are tried. */
    auth: z.array(z.enum(['agent', 'key', 'keyboard-interactive', 'password'])).min(1).default(['agent', 'key', 'keyboard-interactive', 'password']),
  }),
  account: z.object({
    /** Whether `--account` is required. */
    required: zTriState,
    /** What an account looks like on this site, shown when asking ("ehpc123"). */
    example: z.string().default(''),
  }),
  qos: z.object({
    required: zTriState,
    /** Known QoS names, offered when asking; empty = not known. */
    known: z.array(zSlurmName).default([]),
  }),
  partitions: z.array(zPartition).min(1),
  /** Partition used when a step names none: one for CPU steps, one for GPU steps. */
  defaults: z.object({ cpuPartition: zSlurmName, gpuPartition: zSlurmName.nullable().default(null) }),
  /** null = the site has no GPUs that Fluxo can request. */
  gpus: zGpuRequest.nullable().default(null),
  modules: zModuleSystem.default({ kind: 'none', base: [], packages: {} }),
  containers: zContainerRuntime.nullable().default(null),
  conda: zCondaSetup.nullable().default(null),
  /** Software guaranteed on PATH of compute nodes for the `system` environment ("python3"). */
  systemTools: z.array(z.string().regex(/^[A-Za-z0-9_.+-]+$/)).default([]),
  storage: z.object({
    roots: z.array(zStorageRoot).min(1),
    /** Runs go in <workRoot>/<run id>; a shell expression like "$LUSTRE/fluxo". */
    workRoot: z.string().min(1),
  }),
  /** Whether compute nodes reach the internet (pulling a docker:// image needs it). */
  internet: z.object({ computeNodes: zTriState }),
  /** Where each fact comes from, so it can be checked again. */
  sources: z.array(zSource).default([]),
});

const zLocalProfile = z.object({
  id: zProfileId,
  title: z.string().min(1),
  description: z.string().default(''),
  kind: z.literal('local'),
});

export const zTargetProfile = z.discriminatedUnion('kind', [zLocalProfile, zSlurmProfile]);
export type TargetProfile = z.infer<typeof zTargetProfile>;
export type SlurmProfile = Extract<TargetProfile, { kind: 'slurm' }>;
export type LocalProfile = Extract<TargetProfile, { kind: 'local' }>;
export type TargetProfileInput = z.input<typeof zTargetProfile>;

export const LOCAL_TARGET_ID = 'local';

/**
 * Cross-field checks zod cannot express: the default partitions exist, GPU partitions have a GPU
 * syntax, a typed GRES names its GPU type. Returns messages naming the field.
 */
export function checkProfile(profile: TargetProfile): Array<{ field: string; message: string }> {
  if (profile.kind !== 'slurm') return [];
  const found: Array<{ field: string; message: string }> = [];
  const names = new Set<string>();
  profile.partitions.forEach((p, i) => {
    if (names.has(p.name)) found.push({ field: `partitions[${i}].name`, message: `partition "${p.name}" is listed twice` });
    names.add(p.name);
    if ((p.maxGpus ?? 0) > 0 && !profile.gpus) found.push({ field: `partitions[${i}].maxGpus`, message: `partition "${p.name}" has GPUs but the profile has no "gpus" section saying how to request them` });
    if ((p.maxGpus ?? 0) > 0 && profile.gpus?.syntax === 'gres-typed' && !p.gpuType) {
      found.push({ field: `partitions[${i}].gpuType`, message: `partition "${p.name}" needs a gpuType for --gres=gpu:TYPE:N` });
    }
  });
  if (!names.has(profile.defaults.cpuPartition)) found.push({ field: 'defaults.cpuPartition', message: `"${profile.defaults.cpuPartition}" is not one of the partitions` });
  const gpu = profile.defaults.gpuPartition;
  if (gpu !== null && !names.has(gpu)) found.push({ field: 'defaults.gpuPartition', message: `"${gpu}" is not one of the partitions` });
  return found;
}

export function findPartition(profile: SlurmProfile, name: string): Partition | undefined {
  return profile.partitions.find((p) => p.name === name);
}

/** The JSON Schema people can check a hand-written profile with (resources/schema/target-profile.schema.json). */
export function targetProfileJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(zTargetProfile, { io: 'input' }),
    $id: 'https://fluxo.app/schema/target-profile.json',
    title: 'Fluxo target profile (resources/targets/*.yaml)',
  };
}
