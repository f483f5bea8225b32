/**
 * The app-owned SSH transport. Everything above this file (staging, submission, monitoring, the
 * CLI's "targets test") speaks to a cluster through these interfaces only; ssh2 is imported in
 * exactly one file (ssh2Transport.ts). The same boundary lets a system-OpenSSH transport serve
 * sites that need certificates or Kerberos later.
 *
 * INVARIANT: no secret (password, passphrase, one-time code, key material) ever appears in an
 * error message, an event or a log line produced below this interface.
 */

/** One hop: the login node itself, or a jump host on the way to it. */
export interface SshEndpoint {
  host: string;
  port: number;
  user: string;
}

/**
 * How to log in, tried in this order until one works (like OpenSSH's PreferredAuthentications).
 * "key" files may be encrypted: the passphrase is asked for through the Prompter.
 */
export type AuthMethod =
  | { kind: 'agent'; socket: string }
  | { kind: 'key'; file: string }
  | { kind: 'password' }
  | { kind: 'keyboard-interactive' };

export interface ConnectOptions {
  /** The login node. */
  endpoint: SshEndpoint;
  /** Jump hosts in order (ProxyJump a,b: a first), each with its own auth and host key check. */
  jumps: Array<{ endpoint: SshEndpoint; auth: AuthMethod[] }>;
  auth: AuthMethod[];
  /** OpenSSH known_hosts files: the first is where a key the user accepts is written. */
  knownHosts: string[];
  /** Seconds between keepalives (0: off); default 15. */
  keepaliveSeconds?: number;
  /** Handshake + login timeout in ms; default 20 000. */
  readyTimeoutMs?: number;
  /** Most channels (exec + SFTP) open at once on this connection; default 8 (sshd's MaxSessions is 10). */
  maxChannels?: number;
}

/** What the user is shown at first contact with a host (or a jump host). */
export interface HostKeyQuestion {
  host: string;
  port: number;
  /** ssh-ed25519, ecdsa-sha2-nistp256, ssh-rsa, ... */
  keyType: string;
  /** "SHA256:..." as `ssh-keygen -l -E sha256` prints it. */
  fingerprint: string;
}

/**
 * Asks the person at the keyboard. Every method may answer null: the user cancelled, and the
 * connection fails with a "cancelled" error (never retried).
 */
export interface Prompter {
  /** First contact: trust this key? true writes it to the first known_hosts file. */
  confirmHostKey(question: HostKeyQuestion): Promise<boolean>;
  /** A password, a key passphrase, or a keyboard-interactive prompt ("Verification code:"). */
  ask(request: SecretRequest): Promise<string | null>;
  /**
   * Optional (added by the transport's author): told, once the server has judged them, whether the
   * answers given for these SecretRequest keys worked, so that a prompter that remembers answers
   * keeps only ones that let the user in (a wrong password is never offered again).
   */
  settled?(keys: string[], worked: boolean): void;
}

export interface SecretRequest {
  kind: 'password' | 'passphrase' | 'keyboard-interactive';
  /** user@host:port (or the key file for a passphrase): what the answer is for, to cache it by. */
  key: string;
  /** The server's own prompt for keyboard-interactive ("Verification code:"), else ours. */
  prompt: string;
  /** Whether what is typed may be shown (keyboard-interactive echo flag). */
  echo: boolean;
  /** For keyboard-interactive: the server's name/instructions lines, as sent. */
  instructions: string;
}

export type SshErrorKind =
  /** The host key differs from the one in known_hosts: possibly an attack; nothing was sent. */
  | 'host-key-changed'
  /** First contact and the user said no (or no one could be asked). */
  | 'host-key-unknown'
  /** Every auth method was refused (wrong password, code or key). Not retried automatically. */
  | 'auth-failed'
  /** The user cancelled a prompt. */
  | 'cancelled'
  /** DNS, refused, unreachable, timeout, dropped: may work later. */
  | 'unreachable'
  /** A remote command or SFTP operation failed for a reason of its own (permission, no space). */
  | 'remote'
  /** The connection was closed (by us, or lost while something waited on it). */
  | 'closed';

export class SshError extends Error {
  constructor(
    readonly kind: SshErrorKind,
    message: string,
    /** One line telling the user what to do. */
    readonly hint: string | null = null,
    /** SFTP status or errno code, when there is one (e.g. "ENOSPC", 4 = SSH_FX_FAILURE). */
    readonly code: string | number | null = null,
  ) {
    super(message);
    this.name = 'SshError';
  }
}

export interface ExecResult {
  /** null when the command ended by a signal or the connection dropped before it said. */
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

export interface ExecOptions {
  /** Bytes written to the command's stdin, then EOF. */
  stdin?: string | Buffer;
  /** Abort: closes the channel (the remote command gets SIGHUP/EOF, as with OpenSSH). */
  signal?: AbortSignal;
  /** Called with stdout as it arrives (for streaming logs). */
  onStdout?: (chunk: string) => void;
}

export interface RemoteStat {
  size: number;
  /** Seconds since the epoch, as SFTP carries it. */
  mtime: number;
  isDirectory: boolean;
  isFile: boolean;
  mode: number;
}

export interface RemoteEntry extends RemoteStat {
  name: string;
}

export interface TransferProgress {
  transferred: number;
  total: number;
}

/**
 * File operations on the remote side. Paths are absolute POSIX paths (no "~": resolve with
 * `realpath('.')` for the home folder). Errors are SshError with kind "remote" and the SFTP code.
 */
export interface RemoteFiles {
  realpath(path: string): Promise<string>;
  /** null when it does not exist. */
  stat(path: string): Promise<RemoteStat | null>;
  list(path: string): Promise<RemoteEntry[]>;
  /** mkdir -p. */
  mkdirp(path: string): Promise<void>;
  /** Replaces `to` when it exists (posix-rename@openssh.com). */
  rename(from: string, to: string): Promise<void>;
  remove(path: string): Promise<void>;
  setTimes(path: string, atime: number, mtime: number): Promise<void>;
  readFile(path: string, options?: { start?: number; maxBytes?: number }): Promise<Buffer>;
  writeFile(path: string, data: Buffer | string, options?: { mode?: number }): Promise<void>;
  /**
   * Copies a local file to `remote`, writing from byte `start` of both (0: from the beginning,
   * truncating; >0: appending, to resume). Resolves when the remote file is closed.
   */
  upload(local: string, remote: string, options?: { start?: number; onProgress?: (p: TransferProgress) => void; signal?: AbortSignal }): Promise<void>;
  /** The same in the other direction. */
  download(remote: string, local: string, options?: { start?: number; onProgress?: (p: TransferProgress) => void; signal?: AbortSignal }): Promise<void>;
}

export type ConnectionState = 'connecting' | 'ready' | 'reconnecting' | 'closed';

/** One live SSH connection (through its jump hosts), shared by everything that talks to that cluster. */
export interface SshConnection {
  readonly endpoint: SshEndpoint;
  /** Runs one command through `bash -lc`-free exec: the caller quotes every value it puts in. */
  exec(command: string, options?: ExecOptions): Promise<ExecResult>;
  /** SFTP, on a channel of its own (opened once, reused). */
  files(): Promise<RemoteFiles>;
  /** Resolves when closed; in-flight operations fail with SshError "closed". */
  close(): Promise<void>;
  /** 'closed' fires once, with the reason when the connection was lost rather than closed by us. */
  on(event: 'closed', listener: (error: SshError | null) => void): () => void;
}

/** Opens a connection; rejects with SshError. */
export type Connect = (options: ConnectOptions, prompter: Prompter) => Promise<SshConnection>;
