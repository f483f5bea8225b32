/**
 * `fluxo targets test ID`: what a person checks before trusting a cluster with a run. Each check
 * prints one line, ok or what is wrong and what to do; the first that cannot pass stops the rest.
 */
import { existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import YAML from 'yaml';
import { parseProfile } from '../shared/targets';
import { writeFileAtomic } from './backend/fsutil';
import { parseSshConfig, resolveHost } from './ssh/sshConfig';
import type { SlurmProfile } from '../shared/targets';
import { defaultHomeDir, defaultResourcesDir } from './backend';
import { createClusterConnections } from './backend/clusters';
import { userTargetsDir } from './backend/paths';
import { loadTargets } from './backend/resources';
import type { Io } from './cliCommon';
import { Exit, InputError, UsageError } from './cliCommon';
import { CliPrompter } from './ssh/prompts';
import type { SshConnection } from './ssh/transport';
import { SshError } from './ssh/transport';
import { afterBegin, loginShell, q } from './targets/slurm/remoteShell';
import { resolveWorkRoot } from './targets/slurm/remote';

interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

/** Partitions as Slurm lists them: name (default marked *), availability, time limit, CPUs, memory, GRES. */
export function parseSinfo(text: string): Array<{ name: string; isDefault: boolean; up: boolean; timeLimit: string; cpus: string; memoryMb: string; gres: string }> {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const [name = '', avail = '', timeLimit = '', cpus = '', memoryMb = '', gres = ''] = l.split('|');
      return { name: name.replace(/\*$/, ''), isDefault: name.endsWith('*'), up: avail === 'up', timeLimit, cpus, memoryMb, gres };
    });
}

export async function cmdTargetsTest(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: { json: { type: 'boolean' }, 'accept-host-key': { type: 'string', multiple: true } }, allowPositionals: true });
  const id = positionals[0];
  if (!id) throw new UsageError('usage: fluxo targets test ID');
  const { targets } = await loadTargets(`${defaultResourcesDir()}/targets`, userTargetsDir());
  const profile = targets.find((t) => t.id === id);
  if (!profile) throw new InputError(`there is no target "${id}" (see "fluxo targets")`);
  if (profile.kind !== 'slurm') {
    io.err(`${profile.title} is this computer: there is nothing to connect to.\n`);
    return Exit.Completed;
  }
  const checks: Check[] = [];
  const say = (c: Check) => {
    checks.push(c);
    io.err(`${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}\n`);
  };
  const clusters = createClusterConnections({ prompter: new CliPrompter({ acceptHostKeys: values['accept-host-key'] ?? [] }), homeDir: defaultHomeDir() });
  let conn: SshConnection | null = null;
  try {
    conn = await clusters.get(profile);
    say({ name: 'login', ok: true, detail: `${conn.endpoint.user}@${conn.endpoint.host}:${conn.endpoint.port}, host key known and matching` });
    await runChecks(conn, profile, say);
  } catch (e) {
    if (!(e instanceof SshError)) throw e;
    say({ name: conn ? 'cluster' : 'login', ok: false, detail: `${e.message}${e.hint ? ` (${e.hint})` : ''}` });
  } finally {
    await clusters.closeAll();
  }
  if (values.json) io.out(`${JSON.stringify({ target: profile.id, ok: checks.every((c) => c.ok), checks }, null, 2)}\n`);
  return checks.every((c) => c.ok) ? Exit.Completed : Exit.Failed;
}

async function runChecks(conn: SshConnection, profile: SlurmProfile, say: (c: Check) => void): Promise<void> {
  const version = await conn.exec(loginShell('sbatch --version'));
  const v = afterBegin(version.stdout).trim();
  if (version.code !== 0 || !/^slurm/i.test(v)) {
    say({ name: 'Slurm', ok: false, detail: `sbatch does not answer on the login node (${(version.stderr || v).trim() || `exit code ${version.code}`})` });
    return;
  }
  say({ name: 'Slurm', ok: true, detail: v });

  const sinfo = await conn.exec(loginShell(`sinfo -h -o ${q('%P|%a|%l|%c|%m|%G')}`));
  if (sinfo.code !== 0) say({ name: 'partitions', ok: false, detail: `sinfo failed: ${sinfo.stderr.trim()}` });
  else {
    const found = parseSinfo(afterBegin(sinfo.stdout));
    const names = new Set(found.map((p) => p.name));
    const missing = profile.partitions.filter((p) => !names.has(p.name)).map((p) => p.name);
    const down = found.filter((p) => !p.up && profile.partitions.some((x) => x.name === p.name)).map((p) => p.name);
    say({
      name: 'partitions',
      ok: missing.length === 0,
      detail: missing.length ? `the profile names partitions Slurm does not have: ${missing.join(', ')} (Slurm has: ${[...names].join(', ')})` : `${profile.partitions.map((p) => p.name).join(', ')} exist${down.length ? `; not up now: ${down.join(', ')}` : ''}`,
    });
  }

  const acct = await conn.exec(loginShell('sacct -n -X -S now -o JobID'));
  const accountingOff = /accounting storage is disabled/i.test(acct.stderr + acct.stdout);
  say({ name: 'accounting', ok: true, detail: acct.code === 0 ? 'sacct works: final states come from Slurm accounting and exit markers' : accountingOff ? 'Slurm accounting is off here: final states come from the exit markers each job writes' : `sacct failed (${acct.stderr.trim()}); exit markers will decide` });

  let root: string;
  try {
    root = await resolveWorkRoot(conn, profile);
  } catch (e) {
    say({ name: 'work root', ok: false, detail: e instanceof Error ? e.message : String(e) });
    return;
  }
  const probe = await conn.exec(`mkdir -p ${q(root)} && t="$(mktemp -p ${q(root)} .fluxo-test.XXXXXX)" && echo fluxo > "$t" && rm -f "$t" && df -Pk ${q(root)} | tail -n 1`);
  if (probe.code !== 0) say({ name: 'work root', ok: false, detail: `${root} is not writable: ${probe.stderr.trim()}` });
  else {
    const free = Number(probe.stdout.trim().split(/\s+/)[3] ?? NaN);
    say({ name: 'work root', ok: true, detail: `${root} is writable${Number.isFinite(free) ? ` (${(free / 1048576).toFixed(1)} GB free)` : ''}` });
  }
}

/**
 * `fluxo targets import HOST --like PROFILE [--id ID] [--force]`: a profile of the user's own for a
 * Host of ~/.ssh/config, with the partitions, GPUs, storage and software of a known profile (the
 * parts ssh config cannot say). Writes <FLUXO_HOME>/targets/ID.yaml; nothing is overwritten
 * without --force.
 */
export async function cmdTargetsImport(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: { like: { type: 'string' }, id: { type: 'string' }, force: { type: 'boolean' } }, allowPositionals: true });
  const alias = positionals[0];
  if (!alias || !values.like) throw new UsageError('usage: fluxo targets import HOST --like PROFILE [--id ID] [--force]   (HOST: a Host of ~/.ssh/config)');
  const configFile = process.env.FLUXO_SSH_CONFIG ?? path.join(os.homedir(), '.ssh', 'config');
  const text = await fs.readFile(configFile, 'utf8').catch(() => null);
  if (text === null) throw new InputError(`there is no ssh config at ${configFile}`);
  const host = resolveHost(parseSshConfig(text, { home: os.homedir() }), alias);
  if (!host.known) throw new InputError(`${configFile} has no "Host ${alias}" block`);
  const { targets } = await loadTargets(`${defaultResourcesDir()}/targets`, userTargetsDir());
  const base = targets.find((t) => t.id === values.like);
  if (!base || base.kind !== 'slurm') throw new InputError(`--like must name a cluster profile (see "fluxo targets"); "${values.like}" is not one`);
  const id = values.id ?? base.id;
  const file = path.join(userTargetsDir(), `${id}.yaml`);
  if (existsSync(file) && !values.force) throw new InputError(`${file} exists; add --force to replace it`);
  const profile = {
    ...base,
    id,
    title: values.id ? `${base.title} (${alias})` : base.title,
    login: {
      ...base.login,
      hosts: [host.hostName],
      port: host.port,
      user: host.user,
      identityFiles: host.identityFiles,
      proxyJump: host.proxyJump,
      sshConfigHost: alias,
    },
  };
  const out = `# Imported by "fluxo targets import ${alias} --like ${base.id}" from ${configFile}.\n${YAML.stringify(profile)}`;
  const parsed = parseProfile({ file, source: 'user', text: out });
  if (!parsed.ok) throw new InputError(`the imported profile is not valid: ${parsed.problems.map((p) => `${p.field}: ${p.message}`).join('; ')}`);
  if (host.proxyCommand) io.err(`note: Host ${alias} has a ProxyCommand, which Fluxo never runs; use ProxyJump instead.\n`);
  await fs.mkdir(path.dirname(file), { recursive: true });
  await writeFileAtomic(file, out);
  io.err(`Wrote ${file}: ${host.user ?? os.userInfo().username}@${host.hostName}:${host.port}${host.proxyJump ? ` via ${host.proxyJump}` : ''}, with ${base.title}'s partitions and software.\nCheck it with: fluxo targets test ${id}\n`);
  return Exit.Completed;
}
