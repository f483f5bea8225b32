import type { RunOptionsSetting, TargetProfile } from '../../shared/api';
import type { SlurmProfile } from '../../shared/targets/schema';

export type AuthKind = SlurmProfile['login']['auth'][number];
export const AUTH_KINDS: AuthKind[] = ['agent', 'key', 'keyboard-interactive', 'password'];

/** What the profile dialog edits: text fields as typed, turned into a profile on save. */
export interface ProfileForm {
  /** The shipped profile this one starts from (its partitions, software, storage); null: blank. */
  baseId: string | null;
  id: string;
  title: string;
  host: string;
  port: string;
  user: string;
  auth: AuthKind[];
  identityFile: string;
  proxyJump: string;
  workRoot: string;
  defaultPartition: string;
  account: string;
  qos: string;
  reservation: string;
}

export type FormField = keyof ProfileForm;
/** i18n keys (namespace "targets") of what is wrong with each field. */
export type FormErrors = Partial<Record<FormField, string>>;

const ID = /^[a-z][a-z0-9-]{0,47}$/;
const HOST = /^[A-Za-z0-9.-]+$/;
const USER = /^[A-Za-z0-9._][A-Za-z0-9._-]{0,63}$/;
const JUMP = /^[A-Za-z0-9@.:,_[\]-]+$/;
const SLURM = /^$|^[A-Za-z0-9][A-Za-z0-9_.+-]*$/;
const PARTITION = /^[A-Za-z0-9][A-Za-z0-9_.+/-]*$/;

/** A profile id from a title or host alias: "CESGA FT3 (mine)" -> "cesga-ft3-mine". */
export function slugify(text: string): string {
  const s = text
    .toLowerCase()
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .replace(/^[^a-z]+/, '')
    .slice(0, 48)
    .replace(/-+$/, '');
  return s || 'cluster';
}

/** An id not used yet: "name", else "name-2", "name-3"... */
export function freeId(wanted: string, taken: ReadonlySet<string>): string {
  const base = slugify(wanted).slice(0, 44);
  if (!taken.has(base)) return base;
  for (let i = 2; ; i++) if (!taken.has(`${base}-${i}`)) return `${base}-${i}`;
}

export function emptyForm(): ProfileForm {
  return { baseId: null, id: '', title: '', host: '', port: '22', user: '', auth: [...AUTH_KINDS], identityFile: '', proxyJump: '', workRoot: '$HOME/fluxo-runs', defaultPartition: '', account: '', qos: '', reservation: '' };
}

/** The form for a profile: editing it (same id) or starting a new one from it. */
export function formFromProfile(profile: SlurmProfile, runOptions: RunOptionsSetting | undefined, start: { id: string; title: string; baseId: string | null } | null = null): ProfileForm {
  return {
    baseId: start ? start.baseId : profile.id,
    id: start?.id ?? profile.id,
    title: start?.title ?? profile.title,
    host: profile.login.hosts[0] ?? '',
    port: String(profile.login.port),
    user: profile.login.user ?? '',
    auth: [...profile.login.auth],
    identityFile: profile.login.identityFiles[0] ?? '',
    proxyJump: profile.login.proxyJump ?? '',
    workRoot: profile.storage.workRoot,
    defaultPartition: profile.defaults.cpuPartition,
    account: runOptions?.account ?? '',
    qos: runOptions?.qos ?? '',
    reservation: runOptions?.reservation ?? '',
  };
}

export function validateForm(form: ProfileForm, takenIds: ReadonlySet<string>): FormErrors {
  const e: FormErrors = {};
  if (!ID.test(form.id)) e.id = 'errors.id';
  else if (takenIds.has(form.id)) e.id = 'errors.idTaken';
  if (form.title.trim() === '') e.title = 'errors.required';
  if (!HOST.test(form.host.trim())) e.host = 'errors.host';
  const port = Number(form.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) e.port = 'errors.port';
  if (form.user.trim() !== '' && !USER.test(form.user.trim())) e.user = 'errors.user';
  if (form.auth.length === 0) e.auth = 'errors.auth';
  if (form.proxyJump.trim() !== '' && !JUMP.test(form.proxyJump.trim())) e.proxyJump = 'errors.proxyJump';
  if (form.workRoot.trim() === '') e.workRoot = 'errors.required';
  if (!PARTITION.test(form.defaultPartition.trim())) e.defaultPartition = 'errors.partition';
  for (const f of ['account', 'qos', 'reservation'] as const) if (!SLURM.test(form[f].trim()) || form[f].length > 64) e[f] = 'errors.slurmName';
  return e;
}

/** A cluster profile that knows only what the person typed: everything else is "unknown", never guessed. */
export function blankProfile(form: ProfileForm): SlurmProfile {
  const partition = form.defaultPartition.trim();
  return {
    id: form.id,
    title: form.title.trim(),
    description: '',
    kind: 'slurm',
    site: { name: form.title.trim(), documentation: null },
    login: { hosts: [form.host.trim()], port: 22, transferHost: null, note: '', user: null, identityFiles: [], proxyJump: null, sshConfigHost: null, auth: [...AUTH_KINDS] },
    account: { required: 'unknown', example: '' },
    qos: { required: 'unknown', known: [] },
    partitions: [{ name: partition, title: partition, maxTimeMinutes: null, maxCpus: null, maxMemoryMb: null, maxGpus: 0, gpuType: null, qos: null, maxNodes: null }],
    defaults: { cpuPartition: partition, gpuPartition: null },
    gpus: null,
    modules: { kind: 'none', base: [], packages: {} },
    containers: null,
    conda: null,
    systemTools: [],
    storage: { roots: [{ path: '$HOME', title: 'Home', description: '', purged: 'unknown' }], workRoot: form.workRoot.trim() },
    internet: { computeNodes: 'unknown' },
    sources: [],
  };
}

/** The profile to save: the base's facts (or a blank one) with what the form says. */
export function profileFromForm(form: ProfileForm, base: SlurmProfile | null): SlurmProfile {
  const start = base ?? blankProfile(form);
  const partition = form.defaultPartition.trim();
  const partitions = start.partitions.some((p) => p.name === partition)
    ? start.partitions
    : [...start.partitions, { name: partition, title: partition, maxTimeMinutes: null, maxCpus: null, maxMemoryMb: null, maxGpus: 0, gpuType: null, qos: null, maxNodes: null }];
  const identity = form.identityFile.trim();
  return {
    ...start,
    id: form.id,
    title: form.title.trim(),
    login: {
      ...start.login,
      // Other login nodes of the base stay when the first one is unchanged (Fluxo tries them in order).
      hosts: start.login.hosts[0] === form.host.trim() ? start.login.hosts : [form.host.trim()],
      port: Number(form.port),
      user: form.user.trim() === '' ? null : form.user.trim(),
      auth: AUTH_KINDS.filter((a) => form.auth.includes(a)),
      identityFiles: identity === '' ? [] : start.login.identityFiles[0] === identity ? start.login.identityFiles : [identity],
      proxyJump: form.proxyJump.trim() === '' ? null : form.proxyJump.trim(),
    },
    partitions,
    defaults: { ...start.defaults, cpuPartition: partition },
    storage: { ...start.storage, workRoot: form.workRoot.trim() },
  };
}

export function runOptionsOf(form: ProfileForm): RunOptionsSetting {
  return { account: form.account.trim(), qos: form.qos.trim(), reservation: form.reservation.trim() };
}

export function isCluster(t: TargetProfile): t is SlurmProfile {
  return t.kind === 'slurm';
}
