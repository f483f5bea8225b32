// @vitest-environment node
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { SlurmProfile } from '../../shared/targets';
import { loadTargets } from './resources';
import { createPromptsService, createTargetsService, listSshHosts, testConnection } from './targetsService';
import { SshError } from '../ssh/transport';
import { UiPrompter } from '../ssh/uiPrompter';

const resourcesDir = path.resolve(__dirname, '../../resources');

let tmp: string;
let home: string;
let reload: ReturnType<typeof vi.fn<() => void>>;
beforeEach(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'fluxo-targetsvc-'));
  home = path.join(tmp, 'home');
  reload = vi.fn<() => void>();
});
afterEach(() => {
  rmSync(tmp, { recursive: true, force: true });
});

function service(sshConfigFile = path.join(tmp, 'ssh_config')) {
  return createTargetsService({ resourcesDir, homeDir: home, reload, sshConfigFile, secretsUnavailable: () => null });
}

async function shipped(id: string): Promise<SlurmProfile> {
  const { targets } = await loadTargets(path.join(resourcesDir, 'targets'));
  return targets.find((t) => t.id === id) as SlurmProfile;
}

describe('targets service', () => {
  it('saves a profile started from a shipped one as YAML in <FLUXO_HOME>/targets, listed as the user\'s own', async () => {
    const s = service();
    const base = await shipped('cesga-ft3');
    const mine = { ...base, id: 'my-ft3', title: 'My FinisTerrae', login: { ...base.login, user: 'ana', port: 2022 } };
    const r = await s.targets.save(mine, null);
    expect(r.ok).toBe(true);
    const file = path.join(home, 'targets', 'my-ft3.yaml');
    expect(readFileSync(file, 'utf8')).toContain('user: ana');
    expect(reload).toHaveBeenCalled();
    const overview = await s.targets.overview();
    if (!overview.ok) throw new Error(overview.error.message);
    const entry = overview.value.entries.find((e) => e.profile.id === 'my-ft3');
    expect(entry).toMatchObject({ source: 'user', file });
    expect(overview.value.entries.find((e) => e.profile.id === 'cesga-ft3')?.source).toBe('shipped');
    // The CLI and runs read the same file.
    const loaded = await loadTargets(path.join(resourcesDir, 'targets'), path.join(home, 'targets'));
    expect(loaded.targets.find((t) => t.id === 'my-ft3')).toMatchObject({ login: { user: 'ana', port: 2022 } });
  });

  it('refuses a profile the schema refuses, naming the field, and writes nothing', async () => {
    const s = service();
    const base = await shipped('lab');
    const r = await s.targets.save({ ...base, id: 'bad', defaults: { ...base.defaults, cpuPartition: 'nope' } }, null);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.code).toBe('E510');
    expect(r.error.message).toContain('defaults.cpuPartition');
    expect(existsSync(path.join(home, 'targets', 'bad.yaml'))).toBe(false);
  });

  it('a second profile with the same id is refused; editing under a new id renames the file', async () => {
    const s = service();
    const base = await shipped('lab');
    expect((await s.targets.save({ ...base, id: 'uni' }, null)).ok).toBe(true);
    const again = await s.targets.save({ ...base, id: 'uni' }, null);
    expect(again.ok || again.error.code).toBe('E511');
    expect((await s.targets.save({ ...base, id: 'uni2', title: 'Renamed' }, 'uni')).ok).toBe(true);
    expect(existsSync(path.join(home, 'targets', 'uni.yaml'))).toBe(false);
    expect(existsSync(path.join(home, 'targets', 'uni2.yaml'))).toBe(true);
  });

  it('deletes only the user\'s own profiles', async () => {
    const s = service();
    const base = await shipped('lab');
    await s.targets.save({ ...base, id: 'uni' }, null);
    const shippedRemove = await s.targets.remove('lab');
    expect(shippedRemove.ok || shippedRemove.error.code).toBe('E512');
    expect((await s.targets.remove('uni')).ok).toBe(true);
    expect(existsSync(path.join(home, 'targets', 'uni.yaml'))).toBe(false);
    const missing = await s.targets.remove('uni');
    expect(missing.ok || missing.error.code).toBe('E301');
  });

  it('lists the Hosts of an ssh config (no wildcards) and imports one like a shipped profile', async () => {
    const config = path.join(tmp, 'ssh_config');
    writeFileSync(config, ['Host *', '  ServerAliveInterval 30', 'Host ft3', '  HostName ft3.cesga.es', '  User ana', '  IdentityFile ~/.ssh/id_ft3', 'Host lab-*', '  User x', 'Host gw', '  HostName gw.example.org', '  Port 2200', '  ProxyJump bastion'].join('\n'));
    const s = service(config);
    const hosts = await s.targets.sshHosts();
    if (!hosts.ok) throw new Error(hosts.error.message);
    expect(hosts.value.exists).toBe(true);
    expect(hosts.value.hosts.map((h) => h.alias)).toEqual(['ft3', 'gw']);
    expect(hosts.value.hosts[1]).toMatchObject({ hostName: 'gw.example.org', port: 2200, proxyJump: 'bastion' });
    const imported = await s.targets.importSshHost('ft3', 'cesga-ft3', 'ft3');
    if (!imported.ok) throw new Error(imported.error.message);
    expect(imported.value.profile).toMatchObject({ id: 'ft3', kind: 'slurm', login: { hosts: ['ft3.cesga.es'], user: 'ana', sshConfigHost: 'ft3' } });
    expect(readFileSync(path.join(home, 'targets', 'ft3.yaml'), 'utf8')).toMatch(/^# Imported by Fluxo from "Host ft3"/);
    const unknown = await s.targets.importSshHost('nope', 'cesga-ft3', 'nope');
    expect(unknown.ok || unknown.error.code).toBe('E513');
    expect(listSshHosts('', '/home/x')).toEqual([]);
  });

  it('says when there is no ssh config instead of failing', async () => {
    const r = await service(path.join(tmp, 'missing')).targets.sshHosts();
    expect(r.ok && r.value).toMatchObject({ exists: false, hosts: [] });
  });

  it('keeps account, QoS and reservation per target in settings.json, keeping other settings', async () => {
    const s = service();
    writeFileSync(path.join(tmp, 'x'), '');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(home, { recursive: true });
    writeFileSync(path.join(home, 'settings.json'), JSON.stringify({ language: 'gl', runOptions: { lab: { account: 'bad name!', qos: 'short' } } }));
    const before = await s.settings.runOptions();
    expect(before.ok && before.value).toEqual({ lab: { account: '', qos: 'short', reservation: '' } });
    const r = await s.settings.setRunOptions('cesga-ft3', { account: 'ehpc123', qos: 'short', reservation: 'course_2026' });
    expect(r.ok).toBe(true);
    const saved = JSON.parse(readFileSync(path.join(home, 'settings.json'), 'utf8'));
    expect(saved.language).toBe('gl');
    expect(saved.runOptions['cesga-ft3']).toEqual({ account: 'ehpc123', qos: 'short', reservation: 'course_2026' });
    const after = await service().settings.runOptions();
    expect(after.ok && after.value['cesga-ft3']?.reservation).toBe('course_2026');
    await s.settings.setRunOptions('cesga-ft3', { account: '', qos: '', reservation: '' });
    const cleared = await s.settings.runOptions();
    expect(cleared.ok && cleared.value['cesga-ft3']).toBeUndefined();
  });
});

describe('connection test', () => {
  it('a changed host key fails the host-key step with E500 and skips the rest', async () => {
    const base = await shipped('lab');
    const report = await testConnection(base, {
      get: () => Promise.reject(new SshError('host-key-changed', 'The host key of [127.0.0.1]:2222 is not the one Fluxo knows; the old key is in /k line 3.', 'ask support')),
    });
    expect(report.ok).toBe(false);
    expect(report.error?.code).toBe('E500');
    expect(report.steps.map((s) => `${s.id}:${s.status}`)).toEqual(['hostKey:failed', 'login:skipped', 'slurm:skipped', 'partitions:skipped', 'accounting:skipped', 'workRoot:skipped']);
  });

  it('a refused login passes the host key and fails the login step with E502', async () => {
    const report = await testConnection(await shipped('lab'), { get: () => Promise.reject(new SshError('auth-failed', 'wrong password')) });
    expect(report.error?.code).toBe('E502');
    expect(report.steps.slice(0, 2).map((s) => s.status)).toEqual(['ok', 'failed']);
  });
});

describe('prompts service', () => {
  it('routes answers to the prompter and says E514 when the question is gone', async () => {
    const p = new UiPrompter();
    const events: unknown[] = [];
    p.attach((e) => events.push(e));
    const svc = createPromptsService(p);
    const asked = p.ask({ kind: 'password', key: 'a@h:22', prompt: 'Password:', echo: false, instructions: '' });
    const pending = await svc.pending();
    if (!pending.ok || !pending.value) throw new Error('no prompt');
    expect((await svc.answer(pending.value.id, { kind: 'secret', value: 'pw', remember: false })).ok).toBe(true);
    await expect(asked).resolves.toBe('pw');
    const late = await svc.answer(pending.value.id, { kind: 'secret', value: 'pw', remember: false });
    expect(late.ok || late.error.code).toBe('E514');
    expect((await createPromptsService(undefined).pending()).ok).toBe(true);
  });
});
