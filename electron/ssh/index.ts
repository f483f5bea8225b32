/**
 * The SSH layer's front: callers import from here (types from transport.ts, the ssh2-backed
 * connect, and the pieces around it) and never from ssh2, which only ssh2Transport.ts may import.
 */
export * from './transport';
export { connect } from './ssh2Transport';
export { ConnectionManager, connectionKey, loginOptions } from './connections';
export type { ConnectionManagerOptions, LoginEnvironment } from './connections';
export { appendKnownHost, fingerprintSha256, formatKnownHostsLine, hostKeyName, lookupHostKey, parseKnownHosts, readKnownHosts } from './knownHosts';
export type { HostKeyLookup, KnownHostLine } from './knownHosts';
export { parseProxyJump, parseSshConfig, resolveHost } from './sshConfig';
export type { JumpSpec, ResolvedHost, SshConfig } from './sshConfig';
export { CliPrompter, hostKeyQuestionText } from './prompts';
export type { CliPrompterOptions } from './prompts';
export { MemorySecretStore, SafeStorageSecretStore, SecretStorageUnavailableError } from './secrets';
export type { SafeStorageLike, SecretStore } from './secrets';
