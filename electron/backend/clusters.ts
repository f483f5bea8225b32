/**
 * The backend's SSH connections to clusters: one per profile, reused by every run, monitor and
 * command on that cluster, through the ConnectionManager (reconnects with backoff, never retries
 * a refused login by itself). Login settings come from the profile and ~/.ssh/config.
 *
 * known_hosts: OpenSSH's own file (~/.ssh/known_hosts) is read and written, so a host trusted in
 * a terminal is trusted here and the other way round. FLUXO_KNOWN_HOSTS (paths separated by ":")
 * replaces it, the first being the one written (tests, and people who keep Fluxo's apart).
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { SlurmProfile } from '../../shared/targets';
import { ConnectionManager, loginOptions } from '../ssh/connections';
import { connect } from '../ssh/ssh2Transport';
import type { Prompter, SshConnection } from '../ssh/transport';
import type { ClusterConnections } from './runs';

export interface ClusterConnectionOptions {
  prompter: Prompter;
  homeDir: string;
  env?: NodeJS.ProcessEnv;
}

/** FLUXO_KNOWN_HOSTS's files, else undefined: the ssh config's UserKnownHostsFile, else ~/.ssh/known_hosts. */
export function knownHostsFiles(env: NodeJS.ProcessEnv = process.env): string[] | undefined {
  const own = env.FLUXO_KNOWN_HOSTS?.split(':').filter(Boolean);
  return own && own.length > 0 ? own.map((f) => path.resolve(f)) : undefined;
}

export function createClusterConnections(options: ClusterConnectionOptions): ClusterConnections & { closeAll(): Promise<void> } {
  const env = options.env ?? process.env;
  const manager = new ConnectionManager({ connect, prompter: options.prompter });
  return {
    async get(profile: SlurmProfile): Promise<SshConnection> {
      const sshConfigText = (() => {
        try {
          return readFileSync(env.FLUXO_SSH_CONFIG ?? path.join(os.homedir(), '.ssh', 'config'), 'utf8');
        } catch {
          return null;
        }
      })();
      const connectOptions = loginOptions(profile, {
        sshConfigText,
        home: os.homedir(),
        agentSocket: env.SSH_AUTH_SOCK ?? null,
        knownHosts: knownHostsFiles(env),
      });
      return manager.get(connectOptions);
    },
    closeAll: () => manager.closeAll(),
  };
}
