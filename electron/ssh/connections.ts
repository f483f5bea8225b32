/**
 * One SSH connection per cluster, shared by staging, submission and monitoring: a cluster counts
 * connections and logins, and a second login would ask for a second TOTP code.
 *
 * Why the retry rules: a connection that was lost (network, VPN, sshd restarted) is worth trying
 * again, but not in a tight loop, so attempts are spaced 1 s, 2 s, 4 s ... up to 60 s. A login
 * the server refused is different: trying again with the same answers only counts towards the
 * account being locked (fail2ban, pam_faillock), so the manager never retries it by itself, and
 * refuses a new attempt for that cluster within 30 s without contacting the server.
 *
 * loginOptions() turns a target profile's login section (plus the user's ~/.ssh/config) into
 * ConnectOptions, resolving what OpenSSH would: HostName, User, Port, IdentityFile, ProxyJump.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { SlurmProfile } from '../../shared/targets/schema';
import type { JumpSpec } from './sshConfig';
import { parseProxyJump, parseSshConfig, resolveHost } from './sshConfig';
import type { AuthMethod, Connect, ConnectOptions, Prompter, SshConnection, SshEndpoint } from './transport';
import { SshError } from './transport';

export const LOGIN_LOCK_MS = 30_000;
export const BACKOFF_FIRST_MS = 1_000;
export const BACKOFF_MAX_MS = 60_000;

function endpointKey(e: SshEndpoint): string {
  return `${e.user}@${e.host}:${e.port}`;
}

/** user@host:port, and the jump chain when there is one: what identifies "one cluster connection". */
export function connectionKey(options: ConnectOptions): string {
  const via = options.jumps.map((j) => endpointKey(j.endpoint));
  return via.length > 0 ? `${endpointKey(options.endpoint)} via ${via.join(',')}` : endpointKey(options.endpoint);
}

interface Entry {
  connection: SshConnection | null;
  connecting: Promise<SshConnection> | null;
  /** Consecutive failed attempts that may work later (unreachable, closed). */
  transientFailures: number;
  notBefore: number;
  /** The refused login, and until when no new attempt is made. */
  refused: { error: SshError; until: number } | null;
}

export interface ConnectionManagerOptions {
  connect: Connect;
  prompter: Prompter;
  now?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new SshError('cancelled', 'Connecting was stopped.'));
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(new SshError('cancelled', 'Connecting was stopped.'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export class ConnectionManager {
  private readonly entries = new Map<string, Entry>();
  private readonly now: () => number;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;

  constructor(private readonly options: ConnectionManagerOptions) {
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? defaultSleep;
  }

  /** Delay before the next attempt after `failures` consecutive transient failures: 1 s, 2 s, 4 s ... 60 s. */
  static backoffMs(failures: number): number {
    if (failures <= 0) return 0;
    return Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** (failures - 1));
  }

  private entry(key: string): Entry {
    let e = this.entries.get(key);
    if (!e) {
      e = { connection: null, connecting: null, transientFailures: 0, notBefore: 0, refused: null };
      this.entries.set(key, e);
    }
    return e;
  }

  /**
   * The live connection for these options, opening it when there is none. Concurrent callers share
   * one attempt. After a lost connection or an unreachable cluster, waits out the backoff first.
   */
  get(options: ConnectOptions, opts: { signal?: AbortSignal } = {}): Promise<SshConnection> {
    const key = connectionKey(options);
    const e = this.entry(key);
    if (e.connection) return Promise.resolve(e.connection);
    if (e.connecting) return e.connecting;
    if (e.refused && this.now() < e.refused.until) {
      const seconds = Math.ceil((e.refused.until - this.now()) / 1000);
      const { error } = e.refused;
      return Promise.reject(
        new SshError(error.kind, error.message, `Fluxo makes at most one login attempt every ${LOGIN_LOCK_MS / 1000} s for a cluster, so that wrong answers cannot lock the account: try again in ${seconds} s.`, error.code),
      );
    }
    const attempt = (async () => {
      const wait = e.notBefore - this.now();
      if (wait > 0) await this.sleep(wait, opts.signal);
      try {
        const connection = await this.options.connect(options, this.options.prompter);
        e.transientFailures = 0;
        e.notBefore = 0;
        e.refused = null;
        e.connection = connection;
        connection.on('closed', (error) => {
          if (e.connection === connection) e.connection = null;
          // A loss is retried at once the first time; failures after that back off.
          if (error) e.notBefore = 0;
        });
        return connection;
      } catch (err) {
        const error = err instanceof SshError ? err : new SshError('unreachable', `Could not connect: ${(err as Error).message}`);
        if (error.kind === 'unreachable' || error.kind === 'closed') {
          e.transientFailures++;
          e.notBefore = this.now() + ConnectionManager.backoffMs(e.transientFailures);
        } else if (error.kind === 'auth-failed') {
          e.refused = { error, until: this.now() + LOGIN_LOCK_MS };
        }
        throw error;
      } finally {
        e.connecting = null;
      }
    })();
    e.connecting = attempt;
    return attempt;
  }

  /** The open connection for these options, without connecting. */
  peek(options: ConnectOptions): SshConnection | null {
    return this.entries.get(connectionKey(options))?.connection ?? null;
  }

  async close(options: ConnectOptions): Promise<void> {
    const e = this.entries.get(connectionKey(options));
    const c = e?.connection;
    if (e) e.connection = null;
    await c?.close();
  }

  async closeAll(): Promise<void> {
    const all = [...this.entries.values()].map((e) => e.connection).filter((c): c is SshConnection => c !== null);
    for (const e of this.entries.values()) e.connection = null;
    await Promise.all(all.map((c) => c.close()));
  }
}

export interface LoginEnvironment {
  /** The text of ~/.ssh/config, or null when there is none. */
  sshConfigText: string | null;
  home?: string;
  /** SSH_AUTH_SOCK; null or absent: no agent. */
  agentSocket?: string | null;
  /** known_hosts files; default: the config's UserKnownHostsFile, else ~/.ssh/known_hosts. */
  knownHosts?: string[];
  /** The local user name, for a profile and config that name none (as ssh does). */
  localUser?: string;
  /** Which of the profile's login hosts (default the first). */
  hostIndex?: number;
  exists?: (file: string) => boolean;
}

const DEFAULT_KEYS = ['id_ed25519', 'id_ecdsa', 'id_rsa'];
const MAX_JUMP_DEPTH = 8;

/** A profile's login section, and the user's ssh config, as ConnectOptions. */
export function loginOptions(profile: SlurmProfile, env: LoginEnvironment): ConnectOptions {
  const home = env.home ?? os.homedir();
  const localUser = env.localUser ?? os.userInfo().username;
  const exists = env.exists ?? ((f: string) => fs.existsSync(f));
  const config = parseSshConfig(env.sshConfigText ?? '', { home });
  const login = profile.login;
  const expandHome = (f: string) => (f === '~' || f.startsWith('~/') ? path.join(home, f.slice(1)) : f);
  const defaultKeys = () => DEFAULT_KEYS.map((k) => path.join(home, '.ssh', k)).filter(exists);

  const host = login.hosts[env.hostIndex ?? 0] ?? login.hosts[0]!;
  const alias = login.sshConfigHost ?? host;
  const r = resolveHost(config, alias, { home, localUser });

  const authFor = (identityFiles: string[]): AuthMethod[] => {
    const methods: AuthMethod[] = [];
    for (const kind of login.auth) {
      if (kind === 'agent') {
        if (env.agentSocket) methods.push({ kind: 'agent', socket: env.agentSocket });
      } else if (kind === 'key') {
        for (const file of identityFiles) methods.push({ kind: 'key', file });
      } else methods.push({ kind });
    }
    return methods;
  };

  const expandJumps = (specs: JumpSpec[], depth: number): ConnectOptions['jumps'] => {
    if (depth > MAX_JUMP_DEPTH) throw new SshError('unreachable', `The ProxyJump chain for ${alias} is more than ${MAX_JUMP_DEPTH} hosts deep (does it loop?).`, 'Check ProxyJump in the profile and in ~/.ssh/config.');
    const out: ConnectOptions['jumps'] = [];
    for (const spec of specs) {
      const j = resolveHost(config, spec.host, { home, localUser });
      if (j.proxyJump) out.push(...expandJumps(parseProxyJump(j.proxyJump), depth + 1));
      // A jump host's own IdentityFile wins; else the keys the profile names (a person who chose
      // a key for the cluster expects it on the way there too); else the default keys.
      const files = j.identityFiles.length > 0 ? j.identityFiles.filter(exists) : login.identityFiles.length > 0 ? login.identityFiles.map(expandHome) : defaultKeys();
      out.push({ endpoint: { host: j.hostName, port: spec.port ?? j.port, user: spec.user ?? j.user ?? localUser }, auth: authFor(files) });
    }
    return out;
  };

  const identityFiles = login.identityFiles.length > 0 ? login.identityFiles.map(expandHome) : r.identityFiles.length > 0 ? r.identityFiles.filter(exists) : defaultKeys();
  const proxyJump = login.proxyJump ?? r.proxyJump;
  let jumps: ConnectOptions['jumps'];
  try {
    jumps = expandJumps(proxyJump ? parseProxyJump(proxyJump) : [], 0);
  } catch (e) {
    if (e instanceof SshError) throw e;
    throw new SshError('unreachable', `The ProxyJump setting for ${alias} cannot be read: ${(e as Error).message}.`, 'Fix ProxyJump in the target profile or in ~/.ssh/config.');
  }
  return {
    endpoint: { host: r.hostName, port: login.port !== 22 ? login.port : r.port, user: login.user ?? r.user ?? localUser },
    jumps,
    auth: authFor(identityFiles),
    knownHosts: env.knownHosts ?? (r.userKnownHostsFiles.length > 0 ? r.userKnownHostsFiles : [path.join(home, '.ssh', 'known_hosts')]),
  };
}
