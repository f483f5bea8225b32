// @vitest-environment node
/**
 * The connection manager's promises to a cluster account: one connection reused, reconnects
 * spaced 1 s, 2 s, 4 s ... 60 s, and a refused login never retried within 30 s. The transport is
 * replaced here by a counting Connect (the real one is proven against sshd in
 * test/integration/ssh.test.ts); time is a fake clock so that no test waits.
 * Also: a profile's login section plus ~/.ssh/config turned into ConnectOptions.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SlurmProfile } from '../../shared/targets/schema';
import { zTargetProfile } from '../../shared/targets/schema';
import { BACKOFF_MAX_MS, ConnectionManager, connectionKey, loginOptions } from './connections';
import type { Connect, ConnectOptions, Prompter, SshConnection, SshErrorKind } from './transport';
import { SshError } from './transport';

const prompter: Prompter = { confirmHostKey: async () => false, ask: async () => null };
const options: ConnectOptions = { endpoint: { host: 'login.cluster.org', port: 22, user: 'ana' }, jumps: [], auth: [{ kind: 'password' }], knownHosts: [] };

class FakeConnection implements SshConnection {
  readonly endpoint = options.endpoint;
  private listeners: Array<(e: SshError | null) => void> = [];
  exec = async () => ({ code: 0, signal: null, stdout: '', stderr: '' });
  files = async () => {
    throw new Error('not used');
  };
  close = async () => this.lose(null);
  on(_event: 'closed', l: (e: SshError | null) => void) {
    this.listeners.push(l);
    return () => {};
  }
  lose(e: SshError | null) {
    for (const l of this.listeners) l(e);
  }
}

/** A Connect that plays a script of outcomes and counts calls; a clock that sleeping advances. */
function harness(outcomes: Array<SshErrorKind | 'ok'>) {
  const state = { now: 1_000_000, calls: 0, waits: [] as number[], connections: [] as FakeConnection[] };
  const connect: Connect = async () => {
    const outcome = outcomes[state.calls++] ?? 'ok';
    if (outcome !== 'ok') throw new SshError(outcome, `failure ${outcome}`, 'hint');
    const c = new FakeConnection();
    state.connections.push(c);
    return c;
  };
  const manager = new ConnectionManager({
    connect,
    prompter,
    now: () => state.now,
    sleep: async (ms) => {
      state.waits.push(ms);
      state.now += ms;
    },
  });
  return { manager, state };
}

describe('ConnectionManager', () => {
  it('backoff is 1 s, 2 s, 4 s ... capped at 60 s', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 20].map((n) => ConnectionManager.backoffMs(n))).toEqual([1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000, BACKOFF_MAX_MS]);
  });

  it('one connection per cluster: concurrent and later get() share it; the key names user, host, port and jumps', async () => {
    const { manager, state } = harness(['ok']);
    const [a, b] = await Promise.all([manager.get(options), manager.get(options)]);
    expect(a).toBe(b);
    expect(await manager.get(options)).toBe(a);
    expect(state.calls).toBe(1);
    expect(connectionKey({ ...options, jumps: [{ endpoint: { host: 'gw', port: 2200, user: 'j' }, auth: [] }] })).toBe('ana@login.cluster.org:22 via j@gw:2200');
  });

  it('an unreachable cluster is tried again with growing waits, then the connection is reused', async () => {
    const { manager, state } = harness(['unreachable', 'unreachable', 'closed', 'ok']);
    for (let i = 0; i < 3; i++) expect((await manager.get(options).catch((e: SshError) => e)) as SshError).toMatchObject({ kind: i === 2 ? 'closed' : 'unreachable' });
    const c = await manager.get(options);
    expect(state.waits).toEqual([1000, 2000, 4000]);
    expect(await manager.get(options)).toBe(c);
    expect(state.calls).toBe(4);
  });

  it('a lost connection is replaced on the next get(), at once the first time', async () => {
    const { manager, state } = harness(['ok', 'ok']);
    const first = await manager.get(options);
    state.connections[0]!.lose(new SshError('closed', 'lost'));
    const second = await manager.get(options);
    expect(second).not.toBe(first);
    expect(state.waits).toEqual([]);
  });

  it('a refused login is not tried again within 30 s: the next get() fails at once, saying when, without connecting', async () => {
    const { manager, state } = harness(['auth-failed', 'ok']);
    const first = (await manager.get(options).catch((e: SshError) => e)) as SshError;
    expect(first.kind).toBe('auth-failed');
    state.now += 12_000;
    const again = (await manager.get(options).catch((e: SshError) => e)) as SshError;
    expect(again).toMatchObject({ kind: 'auth-failed', message: first.message });
    expect(again.hint).toMatch(/try again in 18 s/);
    expect(state.calls).toBe(1);
    state.now += 18_000;
    await manager.get(options);
    expect(state.calls).toBe(2);
    expect(state.waits).toEqual([]);
  });

  it('a changed host key or a cancelled prompt is not retried by the manager, and not held against the next attempt', async () => {
    const { manager, state } = harness(['host-key-changed', 'cancelled', 'ok']);
    await expect(manager.get(options)).rejects.toMatchObject({ kind: 'host-key-changed' });
    await expect(manager.get(options)).rejects.toMatchObject({ kind: 'cancelled' });
    expect(state.waits).toEqual([]);
    await manager.get(options);
    expect(state.calls).toBe(3);
  });
});

describe('loginOptions', () => {
  let home = '';
  let lab: SlurmProfile;
  const profile = (login: Partial<SlurmProfile['login']>): SlurmProfile => ({ ...lab, login: { ...lab.login, ...login } });

  beforeAll(() => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'fluxo-login-'));
    fs.mkdirSync(path.join(home, '.ssh'));
    for (const k of ['id_ed25519', 'id_rsa']) fs.writeFileSync(path.join(home, '.ssh', k), 'key');
    const parsed = zTargetProfile.parse(parseYaml(fs.readFileSync(path.join(__dirname, '../../resources/targets/lab.yaml'), 'utf8')));
    if (parsed.kind !== 'slurm') throw new Error('lab.yaml is not a slurm profile');
    lab = parsed;
  });
  afterAll(() => fs.rmSync(home, { recursive: true, force: true }));

  it('a profile alone: its host and port, the local user when none is given, default keys that exist, agent first', () => {
    const o = loginOptions(profile({ user: null, auth: ['agent', 'key', 'keyboard-interactive', 'password'] }), { sshConfigText: null, home, agentSocket: '/run/agent.sock', localUser: 'ana' });
    expect(o).toEqual({
      endpoint: { host: '127.0.0.1', port: 2222, user: 'ana' },
      jumps: [],
      auth: [
        { kind: 'agent', socket: '/run/agent.sock' },
        { kind: 'key', file: path.join(home, '.ssh', 'id_ed25519') },
        { kind: 'key', file: path.join(home, '.ssh', 'id_rsa') },
        { kind: 'keyboard-interactive' },
        { kind: 'password' },
      ],
      knownHosts: [path.join(home, '.ssh', 'known_hosts')],
    });
  });

  it('sshConfigHost: HostName, User, Port, IdentityFile, UserKnownHostsFile and ProxyJump (resolved through the config) come from ~/.ssh/config', () => {
    const config = `Host ft3
  HostName 127.0.0.1
  Port 2222
  User hpcuser
  ProxyJump gw
Host gw
  HostName 127.0.0.1
  Port 2224
  User hpcjump
Host *
  IdentityFile ~/.ssh/id_ed25519
  IdentityFile ~/.ssh/missing_key
  UserKnownHostsFile ~/.ssh/lab_known_hosts
`;
    const o = loginOptions(profile({ sshConfigHost: 'ft3', port: 22, user: null, auth: ['key', 'password'] }), { sshConfigText: config, home, localUser: 'ana' });
    const key = { kind: 'key', file: path.join(home, '.ssh', 'id_ed25519') };
    expect(o.endpoint).toEqual({ host: '127.0.0.1', port: 2222, user: 'hpcuser' });
    expect(o.auth).toEqual([key, { kind: 'password' }]);
    expect(o.jumps).toEqual([{ endpoint: { host: '127.0.0.1', port: 2224, user: 'hpcjump' }, auth: [key, { kind: 'password' }] }]);
    expect(o.knownHosts).toEqual([path.join(home, '.ssh', 'lab_known_hosts')]);
  });

  it("the profile's own settings win over the config; a ProxyJump in the profile is parsed; explicit known_hosts files win", () => {
    const o = loginOptions(profile({ sshConfigHost: 'ft3', user: 'mine', identityFiles: ['~/keys/k'], proxyJump: 'j@127.0.0.1:2224', auth: ['key'] }), {
      sshConfigText: 'Host ft3\n  User other\n  IdentityFile ~/.ssh/id_rsa\n',
      home,
      localUser: 'ana',
      knownHosts: ['/tmp/kh'],
    });
    expect(o.endpoint.user).toBe('mine');
    expect(o.auth).toEqual([{ kind: 'key', file: path.join(home, 'keys', 'k') }]);
    expect(o.jumps.map((j) => j.endpoint)).toEqual([{ host: '127.0.0.1', port: 2224, user: 'j' }]);
    expect(o.knownHosts).toEqual(['/tmp/kh']);
  });

  it('a ProxyJump chain that loops is refused with a message, not followed forever', () => {
    expect(() => loginOptions(profile({ sshConfigHost: 'a' }), { sshConfigText: 'Host a\n ProxyJump b\nHost b\n ProxyJump a\n', home, localUser: 'ana' })).toThrow(/more than 8 hosts deep/);
  });
});
