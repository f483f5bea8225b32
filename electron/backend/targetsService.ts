/**
 * The "Clusters and connections" screen's backend: the user's own target profiles as YAML files in
 * <FLUXO_HOME>/targets (checked by the same schema as shipped ones, so a file the screen writes is
 * one `fluxo targets` reads), Hosts of ~/.ssh/config to import, the connection test of
 * `fluxo targets test`, and the Slurm account/QoS/reservation per target in <FLUXO_HOME>/settings.json.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import type { FluxoEvent, FluxoServices, RunOptionsSetting, SshPrompt, SshPromptAnswer, SshHostEntry, TargetEntry, TargetTestReport, TargetTestStep } from '../../shared/api';
import type { Result } from '../../shared/api';
import { ErrorCode, err, ok } from '../../shared/api';
import type { SlurmProfile, TargetProfile } from '../../shared/targets';
import { parseProfile } from '../../shared/targets';
import { parseSshConfig, resolveHost } from '../ssh/sshConfig';
import type { SshConnection } from '../ssh/transport';
import { SshError } from '../ssh/transport';
import { afterBegin, loginShell, q } from '../targets/slurm/remoteShell';
import { resolveWorkRoot } from '../targets/slurm/remote';
import { describeIoError, writeFileAtomic } from './fsutil';
import { userTargetsDir } from './paths';
import { loadTargets } from './resources';
import { SSH_ERROR_CODES } from './sshErrors';
import type { ClusterConnections } from './runs';

export interface TargetsServiceOptions {
  resourcesDir: string;
  homeDir: string;
  /** Drops the backend's cached profiles so runs see a saved profile at once. */
  reload: () => void;
  clusters?: ClusterConnections;
  /** The ssh config to list and import from; default FLUXO_SSH_CONFIG, else ~/.ssh/config. */
  sshConfigFile?: string;
  /** Why this host cannot remember passwords, or null when it can. */
  secretsUnavailable?: () => string | null;
}

type Services = Pick<FluxoServices, 'settings'> & { targets: Omit<FluxoServices['targets'], 'list'> };

export const SETTINGS_FILE = 'settings.json';

/** settings.json as read: unknown keys of other parts of Fluxo are kept when it is written back. */
async function readSettings(file: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw e;
  }
  const data: unknown = JSON.parse(text);
  return data && typeof data === 'object' && !Array.isArray(data) ? (data as Record<string, unknown>) : {};
}

const PLAIN = /^$|^[A-Za-z0-9][A-Za-z0-9_.+-]*$/;

/** Only well-formed entries survive a hand-edited file: each value a plain Slurm name or "". */
export function cleanRunOptions(raw: unknown): Record<string, RunOptionsSetting> {
  const out: Record<string, RunOptionsSetting> = {};
  if (!raw || typeof raw !== 'object') return out;
  for (const [id, v] of Object.entries(raw as Record<string, unknown>)) {
    if (!/^[a-z][a-z0-9-]{0,47}$/.test(id) || !v || typeof v !== 'object') continue;
    const o = v as Record<string, unknown>;
    const pick = (k: string) => (typeof o[k] === 'string' && PLAIN.test(o[k] as string) && (o[k] as string).length <= 64 ? (o[k] as string) : '');
    out[id] = { account: pick('account'), qos: pick('qos'), reservation: pick('reservation') };
  }
  return out;
}

/** The profile as the YAML file the screen writes (a comment says where it came from). */
export function profileYaml(profile: TargetProfile, origin: string): string {
  return `# ${origin}\n${YAML.stringify(profile)}`;
}

/** Hosts of an ssh config that name one machine (no wildcards, no negations). */
export function listSshHosts(text: string, home: string): SshHostEntry[] {
  const config = parseSshConfig(text, { home });
  const aliases: string[] = [];
  for (const block of config.blocks) {
    if (block.skipped || block.patterns === null) continue;
    for (const p of block.patterns) if (/^[A-Za-z0-9._-]+$/.test(p) && !aliases.includes(p)) aliases.push(p);
  }
  return aliases.map((alias) => {
    const r = resolveHost(config, alias, { home });
    return { alias, hostName: r.hostName, user: r.user, port: r.port, proxyJump: r.proxyJump, identityFiles: r.identityFiles, hasProxyCommand: r.proxyCommand !== null };
  });
}

export function createTargetsService(options: TargetsServiceOptions): Services {
  const userDir = userTargetsDir(options.homeDir);
  const shippedDir = path.join(options.resourcesDir, 'targets');
  const settingsFile = path.join(options.homeDir, SETTINGS_FILE);
  const sshConfigFile = () => options.sshConfigFile ?? process.env.FLUXO_SSH_CONFIG ?? path.join(os.homedir(), '.ssh', 'config');
  const load = () => loadTargets(shippedDir, userDir);
  const entryOf = (listed: Awaited<ReturnType<typeof load>>['listed'][number]): TargetEntry => ({ profile: listed.profile, source: listed.source, file: listed.file, overrides: listed.overrides });

  /** Validates like a file on disk (YAML round trip + cross-field checks), then writes it atomically. */
  async function write(profile: TargetProfile, origin: string): Promise<{ ok: true; file: string } | { ok: false; result: Result<never> }> {
    const file = path.join(userDir, `${profile.id}.yaml`);
    const text = profileYaml(profile, origin);
    const parsed = parseProfile({ file, source: 'user', text });
    if (!parsed.ok) {
      const first = parsed.problems[0];
      return { ok: false, result: err(ErrorCode.TargetInvalid, `the profile is not valid: ${first?.field ? `${first.field}: ` : ''}${first?.message ?? 'unknown problem'}`, 'Correct the field named and save again.', parsed.problems) };
    }
    try {
      await fs.mkdir(userDir, { recursive: true });
      await writeFileAtomic(file, text);
    } catch (e) {
      return { ok: false, result: err(ErrorCode.FileUnwritable, `could not write ${file}: ${describeIoError(e)}`) };
    }
    options.reload();
    return { ok: true, file };
  }

  async function findSaved(id: string): Promise<TargetEntry | null> {
    const { listed } = await load();
    const found = listed.find((l) => l.profile.id === id);
    return found ? entryOf(found) : null;
  }

  return {
    targets: {
      async overview() {
        const { listed, problems } = await load();
        return ok({ entries: listed.map(entryOf), problems, userFolder: userDir, secretsUnavailable: options.secretsUnavailable?.() ?? 'this window cannot keep passwords' });
      },

      async save(profile, previousId) {
        if (profile.kind !== 'slurm') return err(ErrorCode.TargetShipped, '"This computer" cannot be changed', 'Add a cluster instead.');
        const { listed } = await load();
        const sameId = listed.find((l) => l.profile.id === profile.id && l.source === 'user');
        if (sameId && previousId !== profile.id) return err(ErrorCode.TargetExists, `you already have a profile with the id "${profile.id}" (${sameId.file})`, 'Choose another id, or edit that profile.');
        const previous = previousId !== null ? listed.find((l) => l.profile.id === previousId && l.source === 'user') : undefined;
        const written = await write(profile, "Written by Fluxo's Clusters and connections screen.");
        if (!written.ok) return written.result;
        // Renamed: the old file goes only once the new one is safely written.
        if (previous && previous.file !== written.file) await fs.rm(previous.file, { force: true });
        if (previous && previousId !== profile.id) options.reload();
        const saved = await findSaved(profile.id);
        return saved ? ok(saved) : err(ErrorCode.Internal, `the profile was written to ${written.file} but could not be read back`);
      },

      async remove(id) {
        const { listed } = await load();
        const own = listed.find((l) => l.profile.id === id && l.source === 'user');
        if (!own) {
          const shipped = listed.some((l) => l.profile.id === id);
          return shipped
            ? err(ErrorCode.TargetShipped, `"${id}" ships with Fluxo and cannot be deleted`, 'Only profiles you added can be deleted.')
            : err(ErrorCode.UnknownTarget, `there is no profile "${id}"`);
        }
        try {
          await fs.rm(own.file);
        } catch (e) {
          return err(ErrorCode.FileUnwritable, `could not delete ${own.file}: ${describeIoError(e)}`);
        }
        options.reload();
        return ok({ id });
      },

      async sshHosts() {
        const file = sshConfigFile();
        let text: string;
        try {
          text = await fs.readFile(file, 'utf8');
        } catch {
          return ok({ file, exists: false, hosts: [] });
        }
        return ok({ file, exists: true, hosts: listSshHosts(text, os.homedir()) });
      },

      async importSshHost(alias, likeId, id) {
        const file = sshConfigFile();
        const text = await fs.readFile(file, 'utf8').catch(() => null);
        if (text === null) return err(ErrorCode.SshHostUnknown, `there is no ssh config at ${file}`);
        const host = resolveHost(parseSshConfig(text, { home: os.homedir() }), alias);
        if (!host.known) return err(ErrorCode.SshHostUnknown, `${file} has no "Host ${alias}" block`);
        const { listed } = await load();
        const base = listed.find((l) => l.profile.id === likeId)?.profile;
        if (!base || base.kind !== 'slurm') return err(ErrorCode.UnknownTarget, `"${likeId}" is not a cluster profile`, 'Choose a cluster to copy the partitions and software from.');
        if (listed.some((l) => l.profile.id === id && l.source === 'user')) return err(ErrorCode.TargetExists, `you already have a profile with the id "${id}"`, 'Choose another id.');
        const profile: SlurmProfile = {
          ...base,
          id,
          title: id === base.id ? base.title : `${base.title} (${alias})`,
          login: { ...base.login, hosts: [host.hostName], port: host.port, user: host.user, identityFiles: host.identityFiles, proxyJump: host.proxyJump, sshConfigHost: alias },
        };
        const written = await write(profile, `Imported by Fluxo from "Host ${alias}" of ${file}, like ${base.id}.`);
        if (!written.ok) return written.result;
        const saved = await findSaved(id);
        return saved ? ok(saved) : err(ErrorCode.Internal, `the profile was written to ${written.file} but could not be read back`);
      },

      async test(id) {
        const { targets } = await load();
        const profile = targets.find((t) => t.id === id);
        if (!profile) return err(ErrorCode.UnknownTarget, `there is no profile "${id}"`);
        if (profile.kind !== 'slurm') return ok({ targetId: id, ok: true, steps: [], error: null });
        if (!options.clusters) return err(ErrorCode.Unsupported, 'this window cannot connect to clusters');
        return ok(await testConnection(profile, options.clusters));
      },
    },

    settings: {
      async runOptions() {
        try {
          return ok(cleanRunOptions((await readSettings(settingsFile)).runOptions));
        } catch (e) {
          return err(ErrorCode.SettingsUnwritable, `could not read ${settingsFile}: ${describeIoError(e)}`, 'Fix or delete the file; Fluxo writes it again.');
        }
      },
      async setRunOptions(targetId, values) {
        try {
          const data = await readSettings(settingsFile).catch(() => ({}) as Record<string, unknown>);
          const all = cleanRunOptions(data.runOptions);
          if (values.account === '' && values.qos === '' && values.reservation === '') delete all[targetId];
          else all[targetId] = { account: values.account, qos: values.qos, reservation: values.reservation };
          await fs.mkdir(options.homeDir, { recursive: true });
          await writeFileAtomic(settingsFile, `${JSON.stringify({ ...data, runOptions: all }, null, 2)}\n`);
          return ok(all);
        } catch (e) {
          return err(ErrorCode.SettingsUnwritable, `could not save ${settingsFile}: ${describeIoError(e)}`);
        }
      },
    },
  };
}

/** Partitions as `sinfo -h -o '%P|%a'` lists them: name (default marked *) and whether it is up. */
export function parsePartitions(text: string): Array<{ name: string; up: boolean }> {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const [name = '', avail = ''] = l.split('|');
      return { name: name.replace(/\*$/, ''), up: avail === 'up' };
    });
}

/** `fluxo targets test`'s checks, as steps: the first that cannot pass marks the rest skipped. */
export async function testConnection(profile: SlurmProfile, clusters: ClusterConnections): Promise<TargetTestReport> {
  const steps: TargetTestStep[] = [];
  const order: TargetTestStep['id'][] = ['hostKey', 'login', 'slurm', 'partitions', 'accounting', 'workRoot'];
  const say = (id: TargetTestStep['id'], ok: boolean, detail: string) => steps.push({ id, status: ok ? 'ok' : 'failed', detail });
  const finish = (error: TargetTestReport['error']): TargetTestReport => {
    for (const id of order) if (!steps.some((s) => s.id === id)) steps.push({ id, status: 'skipped', detail: '' });
    steps.sort((a, b) => order.indexOf(a.id) - order.indexOf(b.id));
    return { targetId: profile.id, ok: error === null && steps.every((s) => s.status === 'ok'), steps, error };
  };
  let conn: SshConnection;
  try {
    conn = await clusters.get(profile);
  } catch (e) {
    if (!(e instanceof SshError)) throw e;
    const error = { code: SSH_ERROR_CODES[e.kind], message: e.message, ...(e.hint ? { hint: e.hint } : {}) };
    if (e.kind === 'host-key-changed' || e.kind === 'host-key-unknown') say('hostKey', false, e.message);
    else if (e.kind === 'unreachable') say('hostKey', false, e.message);
    else {
      say('hostKey', true, 'the host key is known and matches');
      say('login', false, e.message);
    }
    return finish(error);
  }
  say('hostKey', true, `the host key of ${conn.endpoint.host}:${conn.endpoint.port} is known and matches`);
  say('login', true, `logged in as ${conn.endpoint.user}@${conn.endpoint.host}:${conn.endpoint.port}`);
  try {
    const version = await conn.exec(loginShell('sbatch --version'));
    const v = afterBegin(version.stdout).trim();
    if (version.code !== 0 || !/^slurm/i.test(v)) {
      say('slurm', false, `sbatch does not answer on the login node (${(version.stderr || v).trim() || `exit code ${version.code}`})`);
      return finish(null);
    }
    say('slurm', true, v);
    const sinfo = await conn.exec(loginShell(`sinfo -h -o ${q('%P|%a')}`));
    if (sinfo.code !== 0) say('partitions', false, `sinfo failed: ${sinfo.stderr.trim()}`);
    else {
      const found = parsePartitions(afterBegin(sinfo.stdout));
      const names = new Set(found.map((p) => p.name));
      const missing = profile.partitions.filter((p) => !names.has(p.name)).map((p) => p.name);
      const down = found.filter((p) => !p.up && profile.partitions.some((x) => x.name === p.name)).map((p) => p.name);
      say(
        'partitions',
        missing.length === 0,
        missing.length
          ? `the profile names partitions Slurm does not have: ${missing.join(', ')} (Slurm has: ${[...names].join(', ')})`
          : `${profile.partitions.map((p) => p.name).join(', ')} exist${down.length ? `; not up now: ${down.join(', ')}` : ''}`,
      );
    }
    const acct = await conn.exec(loginShell('sacct -n -X -S now -o JobID'));
    const off = /accounting storage is disabled/i.test(acct.stderr + acct.stdout);
    say('accounting', true, acct.code === 0 ? 'sacct works: final states come from Slurm accounting and exit markers' : off ? 'Slurm accounting is off: final states come from the exit markers each job writes' : 'sacct failed; exit markers will decide');
    let root: string;
    try {
      root = await resolveWorkRoot(conn, profile);
    } catch (e) {
      say('workRoot', false, e instanceof Error ? e.message : String(e));
      return finish(null);
    }
    const probe = await conn.exec(`mkdir -p ${q(root)} && t="$(mktemp -p ${q(root)} .fluxo-test.XXXXXX)" && echo fluxo > "$t" && rm -f "$t" && df -Pk ${q(root)} | tail -n 1`);
    if (probe.code !== 0) say('workRoot', false, `${root} is not writable: ${probe.stderr.trim()}`);
    else {
      const free = Number(probe.stdout.trim().split(/\s+/)[3] ?? NaN);
      say('workRoot', true, `${root} is writable${Number.isFinite(free) ? ` (${(free / 1048576).toFixed(1)} GB free)` : ''}`);
    }
  } catch (e) {
    const m = e instanceof Error ? e.message : String(e);
    return finish({ code: e instanceof SshError ? SSH_ERROR_CODES[e.kind] : ErrorCode.Internal, message: m });
  }
  return finish(null);
}

/** The part of UiPrompter the backend serves to windows. */
export interface PromptDesk {
  attach(emit: (e: FluxoEvent) => void): void;
  current(): SshPrompt | null;
  answer(id: string, answer: SshPromptAnswer): { ok: true } | { ok: false; reason: 'gone' | 'wrong-kind' };
  secretsUnavailable(): string | null;
}

/** prompts.pending/answer; without a desk (the CLI asks on its terminal) nothing is ever pending. */
export function createPromptsService(desk: PromptDesk | undefined): FluxoServices['prompts'] {
  return {
    async pending() {
      return ok(desk?.current() ?? null);
    },
    async answer(id, answer) {
      const r = desk?.answer(id, answer) ?? { ok: false as const, reason: 'gone' as const };
      if (r.ok) return ok({ id });
      return r.reason === 'gone'
        ? err(ErrorCode.PromptGone, 'this login question is no longer asked (answered in another window, or it timed out)', 'If the login still needs you, it asks again.')
        : err(ErrorCode.BadRequest, 'that answer does not fit this question');
    },
  };
}
