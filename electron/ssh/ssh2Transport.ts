/**
 * The one place that knows ssh2. Everything else speaks transport.ts, so that a system-OpenSSH
 * transport (certificates, Kerberos) can replace this file without touching its callers.
 *
 * Why it is written this way:
 * - ssh2 trusts every host key unless told otherwise, so a verifier is always installed, and it runs
 *   before any credential is sent: a changed key stops the connection while nothing secret has left.
 * - ssh2's readyTimeout also runs while a person types a password; our own login timer pauses
 *   during questions instead (sshd's LoginGraceTime still bounds the wait).
 * - Auth starts with "none" so that the server says which methods it takes: a password is then
 *   never asked for a server that accepts only keys. Each method is tried once, in the given order,
 *   and a refusal is final: no retry loop that could lock an account.
 * - sshd allows MaxSessions (10) channels per connection; the pool keeps at most maxChannels open
 *   and queues the rest, and shrinks itself if a server allows fewer.
 * - ssh2 reports a dropped connection to a running exec as a close without exit status; that is
 *   turned into SshError "closed", never into a silent success or a hang.
 * - SFTP transfers use many large requests in flight (as fastPut does) and TCP_NODELAY: without
 *   them a stream over SFTP crawls (NOTES.md measured 2 MB/s).
 */
import fs from 'node:fs';
import type { Duplex } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { Client, utils } from 'ssh2';
import type { AnyAuthMethod, AuthenticationType, ClientChannel, ConnectConfig, KeyboardInteractiveCallback, OpenMode, Prompt as Ssh2Prompt, SFTPWrapper, Stats } from 'ssh2';
import { appendKnownHost, fingerprintSha256, hostKeyName, keyTypeOfBlob, knownKeyTypes, lookupHostKey, readKnownHosts } from './knownHosts';
import type { AuthMethod, Connect, ConnectOptions, ExecOptions, ExecResult, Prompter, RemoteEntry, RemoteFiles, RemoteStat, SecretRequest, SshConnection, SshEndpoint, TransferProgress } from './transport';
import { SshError } from './transport';

const DEFAULT_KEEPALIVE_SECONDS = 15;
/** Missed keepalives before the connection counts as lost: a minute of silence at the default. */
const KEEPALIVE_COUNT_MAX = 4;
const DEFAULT_READY_TIMEOUT_MS = 20_000;
const DEFAULT_MAX_CHANNELS = 8;
/** NOTES.md: 255 KiB requests were the fastest fastPut setting; 64 of them in flight. */
export const SFTP_CHUNK = 261_120;
export const SFTP_CONCURRENCY = 64;
/** OpenSSH asks three times for a passphrase before it gives up on a key. */
const PASSPHRASE_TRIES = 3;

/** ssh2's own host-key algorithm order (constants.js), used to put the ones the user knows first. */
const HOST_KEY_ALGORITHMS = ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'];
const ALGORITHMS_OF_KEY_TYPE: Record<string, string[]> = { 'ssh-rsa': ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] };

const AUTH_HINT = 'Check the user name, password, code or key and try again: Fluxo does not retry a refused login by itself (repeated failures can lock the account).';

function where(endpoint: SshEndpoint): string {
  return `${endpoint.host}:${endpoint.port}`;
}

/**
 * Host-key algorithms with the types known_hosts already holds for this host first, as OpenSSH
 * orders them: a host known by its RSA key is then not shown as "unknown" because ssh2 would
 * otherwise negotiate ed25519 first.
 */
export function preferredHostKeyAlgorithms(known: string[]): string[] {
  const first: string[] = [];
  for (const type of known) for (const algo of ALGORITHMS_OF_KEY_TYPE[type] ?? [type]) if (HOST_KEY_ALGORITHMS.includes(algo) && !first.includes(algo)) first.push(algo);
  return [...first, ...HOST_KEY_ALGORITHMS.filter((a) => !first.includes(a))];
}

interface Ssh2Error extends Error {
  level?: string;
  code?: string | number;
  description?: string;
}

/** A connect-time error from ssh2 or the socket, in words; never carries a secret (ssh2 has none to give). */
export function describeConnectError(err: Ssh2Error, endpoint: SshEndpoint, label: string): SshError {
  const at = where(endpoint);
  const code = typeof err.code === 'string' ? err.code : null;
  const vpn = "is the cluster's login node up, or do you need the VPN?";
  switch (code) {
    case 'ECONNREFUSED':
      return new SshError('unreachable', `Nothing answers on ${at} (${label}) — ${vpn}`, 'Check the host and port in the target profile, and your VPN; Fluxo tries again later.', code);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new SshError('unreachable', `The name ${endpoint.host} (${label}) cannot be found — is it spelled right, or do you need the VPN?`, "Check the host name in the target profile; some clusters' names resolve only on their VPN.", code);
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return new SshError('unreachable', `${at} (${label}) cannot be reached — ${vpn}`, 'Check your network and VPN; Fluxo tries again later.', code);
    case 'ECONNRESET':
    case 'EPIPE':
      return new SshError('unreachable', `${at} (${label}) closed the connection during the login`, 'The server may be overloaded or blocking you; try again in a few minutes.', code);
  }
  if (err.level === 'client-timeout') {
    return new SshError('unreachable', `${at} (${label}) did not finish the SSH handshake in time — is the cluster's login node up, or do you need the VPN?`, 'Check your network and VPN; Fluxo tries again later.', 'ETIMEDOUT');
  }
  if (err.level === 'client-authentication') {
    return new SshError('auth-failed', `The cluster refused the login for user ${endpoint.user} on ${at} (${label}): wrong password, code or key.`, AUTH_HINT);
  }
  return new SshError('unreachable', `The SSH connection to ${at} (${label}) failed: ${err.message}`, 'Try again later; if it keeps failing, tell the cluster support what this message says.', err.code ?? null);
}

function asSshError(e: unknown, fallback: () => SshError): SshError {
  return e instanceof SshError ? e : fallback();
}

function cancelled(what: string): SshError {
  return new SshError('cancelled', `The login was cancelled (${what}).`, 'Connect again when you are ready.');
}

/**
 * Checks a host key against known_hosts and, at first contact, asks. Returns null when the key may
 * be used, else the error that stops the connection.
 */
async function verifyHostKey(endpoint: SshEndpoint, label: string, keyBlob: Buffer, knownHostsFiles: string[], prompter: Prompter): Promise<SshError | null> {
  const keyType = keyTypeOfBlob(keyBlob);
  const fingerprint = fingerprintSha256(keyBlob);
  const name = hostKeyName(endpoint.host, endpoint.port);
  const found = lookupHostKey(readKnownHosts(knownHostsFiles), endpoint.host, endpoint.port, keyType, keyBlob);
  if (found.status === 'match') return null;
  if (found.status === 'changed') {
    if (found.revoked) {
      return new SshError(
        'host-key-changed',
        `The host key of ${name} (${label}), ${keyType} ${fingerprint}, is marked as revoked in ${found.file} line ${found.line}. Fluxo will not connect with a revoked key: someone may be intercepting the connection.`,
        "Contact the cluster's support before connecting again.",
      );
    }
    return new SshError(
      'host-key-changed',
      `The host key of ${name} (${label}) is not the one Fluxo knows. This can mean someone is intercepting the connection, or that the cluster changed its key. ` +
        `The server showed ${keyType} ${fingerprint}; the old key is in ${found.file} line ${found.line}. Nothing was sent to the server.`,
      `Ask the cluster's support whether the key changed and which fingerprint it has; only then remove the old line (ssh-keygen -R '${name}' -f '${found.file}') and connect again.`,
    );
  }
  const ok = await prompter.confirmHostKey({ host: endpoint.host, port: endpoint.port, keyType, fingerprint });
  if (!ok) {
    return new SshError(
      'host-key-unknown',
      `Fluxo has never connected to ${name} (${label}) and its host key ${keyType} ${fingerprint} was not accepted.`,
      "Compare the fingerprint with the one the cluster publishes (or ask its support), then connect again and accept it.",
    );
  }
  if (knownHostsFiles[0] !== undefined) appendKnownHost(knownHostsFiles[0], endpoint.host, endpoint.port, keyType, keyBlob);
  return null;
}

interface HopOptions {
  endpoint: SshEndpoint;
  auth: AuthMethod[];
  label: string;
  knownHosts: string[];
  prompter: Prompter;
  sock?: Duplex;
  keepaliveSeconds: number;
  readyTimeoutMs: number;
}

type Step = { method: AuthenticationType; make: () => Promise<AnyAuthMethod | null> };

/** Opens one SSH connection (the login node, or one jump host) and logs in. */
function openHop(o: HopOptions): Promise<Client> {
  const { endpoint, prompter, label } = o;
  const user = endpoint.user;
  const account = `${user}@${where(endpoint)}`;
  return new Promise<Client>((resolve, reject) => {
    const client = new Client();
    let settled = false;
    /** The reason we stopped the connection ourselves; ssh2's own error would only say "failed". */
    let decided: SshError | null = null;
    /** Keys of the answers sent with the auth method in flight, judged when the server answers. */
    let inFlight: string[] = [];
    const notes: string[] = [];

    // Our login timer: paused while a person is asked something.
    let timer: NodeJS.Timeout | null = null;
    const startTimer = () => {
      if (o.readyTimeoutMs > 0 && !settled) {
        timer = setTimeout(() => fail(describeConnectError(Object.assign(new Error('timeout'), { level: 'client-timeout' }), endpoint, label)), o.readyTimeoutMs);
      }
    };
    const pauseTimer = () => {
      if (timer) clearTimeout(timer);
      timer = null;
    };
    const asking = async <T>(question: () => Promise<T>): Promise<T> => {
      pauseTimer();
      try {
        return await question();
      } finally {
        if (!settled) startTimer();
      }
    };

    const judge = (worked: boolean) => {
      if (inFlight.length > 0) prompter.settled?.(inFlight, worked);
      inFlight = [];
    };
    const fail = (err: SshError) => {
      if (settled) return;
      settled = true;
      pauseTimer();
      judge(false);
      client.removeAllListeners('ready');
      client.on('error', () => {}); // late errors of a connection we gave up on
      client.end();
      // A socket stuck in connect or handshake does not end by itself.
      setImmediate(() => client.destroy());
      reject(err);
    };
    const ask = async (request: SecretRequest): Promise<string> => {
      let answer: string | null;
      try {
        answer = await asking(() => prompter.ask(request));
      } catch (e) {
        throw asSshError(e, () => cancelled(`no answer for ${request.kind}`));
      }
      if (answer === null) throw cancelled(`${request.kind} for ${request.kind === 'passphrase' ? request.key : account}`);
      return answer;
    };

    const steps: Step[] = [{ method: 'none', make: async () => ({ type: 'none', username: user }) }];
    for (const m of o.auth) {
      if (m.kind === 'agent') {
        steps.push({ method: 'publickey', make: async () => (fs.existsSync(m.socket) ? { type: 'agent', username: user, agent: m.socket } : null) });
      } else if (m.kind === 'key') {
        steps.push({ method: 'publickey', make: () => keyStep(m.file) });
      } else if (m.kind === 'password') {
        steps.push({
          method: 'password',
          make: async () => {
            const key = account;
            const password = await ask({ kind: 'password', key, prompt: `${user}@${endpoint.host}'s password:`, echo: false, instructions: '' });
            inFlight = [key];
            return { type: 'password', username: user, password };
          },
        });
      } else {
        steps.push({ method: 'keyboard-interactive', make: async () => ({ type: 'keyboard-interactive', username: user, prompt: keyboardInteractive }) });
      }
    }

    async function keyStep(file: string): Promise<AnyAuthMethod | null> {
      let data: Buffer;
      try {
        data = await fs.promises.readFile(file);
      } catch {
        notes.push(`key ${file} cannot be read`);
        return null;
      }
      let parsed = utils.parseKey(data);
      for (let i = 0; parsed instanceof Error && /passphrase/i.test(parsed.message) && i < PASSPHRASE_TRIES; i++) {
        const passphrase = await ask({ kind: 'passphrase', key: file, prompt: `Enter passphrase for key '${file}':`, echo: false, instructions: '' });
        parsed = utils.parseKey(data, passphrase);
        // The passphrase is judged here and now: only a right one may be remembered.
        prompter.settled?.([file], !(parsed instanceof Error));
      }
      if (parsed instanceof Error) {
        notes.push(/passphrase/i.test(parsed.message) ? `the passphrase of key ${file} was wrong` : `key ${file} is not a private key Fluxo can read`);
        return null;
      }
      const key = Array.isArray(parsed) ? parsed[0] : parsed;
      if (!key) return null;
      return { type: 'publickey', username: user, key };
    }

    function keyboardInteractive(name: string, instructions: string, _lang: string, prompts: Ssh2Prompt[], finish: KeyboardInteractiveCallback) {
      void (async () => {
        const answers: string[] = [];
        for (const p of prompts) {
          const key = `${account} ${p.prompt.trim()}`;
          answers.push(await ask({ kind: 'keyboard-interactive', key, prompt: p.prompt, echo: p.echo === true, instructions: [name, instructions].filter((s) => s !== '').join('\n') }));
          inFlight.push(key);
        }
        finish(answers);
      })().catch((e: unknown) => fail(asSshError(e, () => cancelled('keyboard-interactive'))));
    }

    let next = 0;
    let first = true;
    const authHandler = (authsLeft: AuthenticationType[] | null, partialSuccess: boolean | null, done: (m: AnyAuthMethod | false) => void) => {
      if (!first) judge(partialSuccess === true);
      first = false;
      void (async () => {
        while (next < steps.length) {
          const step = steps[next++]!;
          // The first step is "none": its refusal lists the methods the server takes.
          if (authsLeft !== null && !authsLeft.includes(step.method)) continue;
          const m = await step.make();
          if (settled) return;
          if (m) return done(m);
        }
        done(false);
      })().catch((e: unknown) => {
        decided = asSshError(e, () => cancelled('a question failed'));
        done(false);
      });
    };

    client.on('ready', () => {
      if (settled) return;
      settled = true;
      pauseTimer();
      judge(true);
      resolve(client);
    });
    client.on('error', (err: Ssh2Error) => {
      if (settled) return;
      // ssh2 reports an agent or signing problem and goes on with the next method.
      if (err.level === 'agent') return void notes.push('the SSH agent could not be used');
      if (err.level === 'client-authentication' && !/All configured authentication methods failed/.test(err.message)) return;
      let e = decided ?? describeConnectError(err, endpoint, label);
      if (e.kind === 'auth-failed' && notes.length > 0) e = new SshError(e.kind, `${e.message} (${notes.join('; ')})`, e.hint, e.code);
      fail(e);
    });
    client.on('close', () => {
      if (!settled) fail(decided ?? new SshError('unreachable', `${where(endpoint)} (${label}) closed the connection before the login finished.`, 'The server may be refusing connections from you, or be overloaded; try again later.'));
    });

    const known = knownKeyTypes(readKnownHosts(o.knownHosts), endpoint.host, endpoint.port);
    const config: ConnectConfig = {
      host: endpoint.host,
      port: endpoint.port,
      username: user,
      readyTimeout: 0,
      keepaliveInterval: o.keepaliveSeconds * 1000,
      keepaliveCountMax: KEEPALIVE_COUNT_MAX,
      algorithms: { serverHostKey: preferredHostKeyAlgorithms(known) as NonNullable<ConnectConfig['algorithms']>['serverHostKey'] },
      hostVerifier: (key: Buffer, verify: (ok: boolean) => void) => {
        asking(() => verifyHostKey(endpoint, label, key, o.knownHosts, prompter))
          .then((problem) => {
            if (problem) decided = problem;
            verify(problem === null);
          })
          .catch((e: unknown) => {
            decided = asSshError(e, () => new SshError('host-key-unknown', `The host key of ${where(endpoint)} (${label}) could not be checked.`, 'Check that the known_hosts file can be read and written.'));
            verify(false);
          });
      },
      authHandler: authHandler as unknown as ConnectConfig['authHandler'],
    };
    if (o.sock) config.sock = o.sock;
    startTimer();
    try {
      client.connect(config);
    } catch (e) {
      fail(describeConnectError(e as Ssh2Error, endpoint, label));
    }
  });
}

/** A stream to `to` through an open connection: how ProxyJump reaches the next hop. */
function forward(via: Client, viaEndpoint: SshEndpoint, to: SshEndpoint): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    try {
      via.forwardOut('127.0.0.1', 0, to.host, to.port, (err, stream) => {
        if (err) {
          reject(new SshError('unreachable', `The jump host ${where(viaEndpoint)} could not open a connection to ${where(to)}: ${err.message}`, 'Check the host, port and ProxyJump settings; the jump host may not allow forwarding there.'));
        } else resolve(stream);
      });
    } catch {
      reject(new SshError('unreachable', `The connection to the jump host ${where(viaEndpoint)} was lost.`, 'Try again later.'));
    }
  });
}

/** At most `limit` channels open; the rest wait in order. */
export class ChannelPool {
  private inUse = 0;
  private waiters: Array<{ grant: () => void; fail: (e: SshError) => void }> = [];
  private failure: SshError | null = null;
  constructor(public limit: number) {}

  get used(): number {
    return this.inUse;
  }

  acquire(signal?: AbortSignal): Promise<() => void> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      const grant = () => {
        signal?.removeEventListener('abort', onAbort);
        this.inUse++;
        let released = false;
        resolve(() => {
          if (released) return;
          released = true;
          this.inUse--;
          this.pump();
        });
      };
      const waiter = { grant, fail: reject };
      const onAbort = () => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(new SshError('cancelled', 'The command was stopped before it started.'));
      };
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
      this.pump();
    });
  }

  private pump() {
    while (this.inUse < this.limit && this.waiters.length > 0) this.waiters.shift()!.grant();
  }

  /** Every waiter, now and later, gets this error. */
  failAll(e: SshError) {
    this.failure = e;
    for (const w of this.waiters.splice(0)) w.fail(e);
  }
}

function isChannelOpenFailure(err: Error): boolean {
  return /Channel open failure|open failed/i.test(err.message);
}

class Ssh2Connection implements SshConnection {
  readonly endpoint: SshEndpoint;
  private readonly pool: ChannelPool;
  private readonly listeners = new Set<(error: SshError | null) => void>();
  private state: 'ready' | 'closed' = 'ready';
  /** Why it closed: null when we closed it ourselves. */
  private lostWith: SshError | null = null;
  private lastError: string | null = null;
  private closedPromise: Promise<void>;
  private sftp: Promise<SFTPWrapper> | null = null;

  constructor(
    options: ConnectOptions,
    private readonly client: Client,
    private readonly jumps: Client[],
  ) {
    this.endpoint = options.endpoint;
    this.pool = new ChannelPool(options.maxChannels ?? DEFAULT_MAX_CHANNELS);
    client.setNoDelay(true);
    for (const j of jumps) j.setNoDelay(true);
    let markClosed: () => void = () => {};
    this.closedPromise = new Promise((r) => (markClosed = r));
    client.on('error', (err: Error) => {
      this.lastError = err.message;
    });
    const onGone = () => {
      if (this.state === 'closed') return;
      this.state = 'closed';
      const error = this.lostWith ?? this.lostError();
      this.lostWith = error;
      this.pool.failAll(error ?? this.closedByUs());
      for (const j of [...this.jumps].reverse()) j.end();
      for (const l of this.listeners) l(error);
      this.listeners.clear();
      markClosed();
    };
    // 'end' comes before ssh2 fails the open channels: mark the loss first so they report "closed".
    client.on('end', onGone);
    client.on('close', onGone);
    for (const j of jumps) {
      j.on('error', (err: Error) => (this.lastError = `through the jump host: ${err.message}`));
      j.on('close', () => {
        if (this.state !== 'closed') client.end();
      });
    }
  }

  private closing = false;

  private lostError(): SshError | null {
    if (this.closing) return null;
    const why = this.lastError ? ` (${this.lastError})` : '';
    return new SshError('closed', `The connection to ${where(this.endpoint)} was lost${why}.`, 'Fluxo connects again the next time it needs the cluster; check your network or VPN if this repeats.');
  }

  private closedByUs(): SshError {
    return new SshError('closed', `The connection to ${where(this.endpoint)} was closed.`);
  }

  /** The error for an operation that found the connection gone. */
  private goneError(): SshError {
    return this.lostWith ?? this.closedByUs();
  }

  on(event: 'closed', listener: (error: SshError | null) => void): () => void {
    if (event !== 'closed') return () => {};
    if (this.state === 'closed') {
      const error = this.lostWith;
      queueMicrotask(() => listener(error));
      return () => {};
    }
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    if (this.state !== 'closed') {
      this.closing = true;
      this.client.end();
      // A dead peer never answers our disconnect: do not wait for it forever.
      const timer = setTimeout(() => this.client.destroy(), 2000);
      await this.closedPromise;
      clearTimeout(timer);
    }
  }

  async exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    if (this.state === 'closed') throw this.goneError();
    for (;;) {
      const release = await this.pool.acquire(options.signal);
      // The slot is held until the channel is really closed (an aborted command may take a moment).
      let channelClosed: Promise<void> | null = null;
      try {
        return await this.execOnce(command, options, (closed) => (channelClosed = closed));
      } catch (e) {
        // A server with a lower MaxSessions than ours: wait for a channel to free and go on with fewer.
        if (e instanceof RetryWithFewerChannels && this.pool.used > 1) {
          this.pool.limit = Math.max(1, this.pool.used - 1);
          continue;
        }
        if (e instanceof RetryWithFewerChannels) throw e.error;
        throw e;
      } finally {
        if (channelClosed) void (channelClosed as Promise<void>).then(release);
        else release();
      }
    }
  }

  private execOnce(command: string, options: ExecOptions, opened: (closed: Promise<void>) => void): Promise<ExecResult> {
    return new Promise((resolve, reject) => {
      if (this.state === 'closed') return reject(this.goneError());
      if (options.signal?.aborted) return reject(new SshError('cancelled', 'The command was stopped before it started.'));
      const onOpen = (err: Error | undefined, stream: ClientChannel) => {
        if (err) {
          if (this.state === 'closed') return reject(this.goneError());
          if (isChannelOpenFailure(err)) {
            return reject(new RetryWithFewerChannels(new SshError('remote', `The cluster refused to open another session on the connection to ${where(this.endpoint)} (${err.message}).`, 'The server allows fewer sessions per connection than Fluxo uses; lower maxChannels.')));
          }
          return reject(new SshError('remote', `The command could not be started on ${where(this.endpoint)}: ${err.message}`));
        }
        const out = new StringDecoder('utf8');
        const errDec = new StringDecoder('utf8');
        let stdout = '';
        let stderr = '';
        let exit: { code: number | null; signal: string | null } | null = null;
        let aborted = false;
        let markClosed: () => void = () => {};
        opened(new Promise<void>((r) => (markClosed = r)));
        const onAbort = () => {
          aborted = true;
          // ssh2's stream.signal() is a no-op once stdin was ended, so the request goes out directly.
          const ch = stream as unknown as { outgoing?: { id: number; state: string }; _client?: { _protocol?: { signal(id: number, name: string): void } } };
          try {
            if (ch.outgoing?.state === 'open' || ch.outgoing?.state === 'eof') ch._client?._protocol?.signal(ch.outgoing.id, 'TERM');
          } catch {
            // the channel may already be closing
          }
          stream.close();
          reject(new SshError('cancelled', 'The command was stopped.'));
        };
        options.signal?.addEventListener('abort', onAbort, { once: true });
        stream.on('data', (d: Buffer) => {
          const s = out.write(d);
          stdout += s;
          if (s !== '') options.onStdout?.(s);
        });
        stream.stderr.on('data', (d: Buffer) => (stderr += errDec.write(d)));
        stream.on('exit', (code: number | null, signal?: string) => {
          exit = { code: typeof code === 'number' ? code : null, signal: signal ?? null };
        });
        stream.on('close', () => {
          markClosed();
          options.signal?.removeEventListener('abort', onAbort);
          const rest = out.end();
          stdout += rest;
          if (rest !== '') options.onStdout?.(rest);
          stderr += errDec.end();
          if (exit) return resolve({ ...exit, stdout, stderr });
          if (aborted) return reject(new SshError('cancelled', 'The command was stopped.'));
          // Without an exit status the channel died with the connection; ssh2 may tell us a tick later.
          setImmediate(() => {
            if (this.state === 'closed' || !this.alive()) reject(this.lostWith ?? this.lostError() ?? this.closedByUs());
            else resolve({ code: null, signal: null, stdout, stderr });
          });
        });
        stream.end(options.stdin ?? undefined);
      };
      try {
        this.client.exec(command, onOpen);
      } catch {
        // ssh2 throws "Not connected" synchronously once the socket is gone.
        reject(this.goneError());
      }
    });
  }

  private alive(): boolean {
    const sock = (this.client as unknown as { _sock?: { writable?: boolean; destroyed?: boolean } })._sock;
    return !!sock && sock.writable !== false && sock.destroyed !== true;
  }

  /** The SFTP channel, opened on first use and kept; a closed one is reopened on the next call. */
  private sftpChannel(): Promise<SFTPWrapper> {
    if (this.state === 'closed') return Promise.reject(this.goneError());
    this.sftp ??= (async () => {
      const release = await this.pool.acquire();
      return new Promise<SFTPWrapper>((resolve, reject) => {
        const failed = (e: SshError) => {
          release();
          this.sftp = null;
          reject(e);
        };
        try {
          this.client.sftp((err, sftp) => {
            if (err) return failed(this.state === 'closed' ? this.goneError() : new SshError('remote', `The file transfer channel (SFTP) could not be opened on ${where(this.endpoint)}: ${err.message}`, 'The cluster may not allow SFTP; ask its support.'));
            sftp.on('close', () => {
              release();
              this.sftp = null;
            });
            resolve(sftp);
          });
        } catch {
          failed(this.goneError());
        }
      });
    })();
    return this.sftp;
  }

  async files(): Promise<RemoteFiles> {
    await this.sftpChannel();
    return new Ssh2Files(() => this.sftpChannel(), () => (this.state === 'closed' ? this.goneError() : null));
  }
}

class RetryWithFewerChannels extends Error {
  constructor(readonly error: SshError) {
    super(error.message);
  }
}

// SFTP status codes (draft-ietf-secsh-filexfer-02), as ssh2 reports them in err.code.
const FX_NO_SUCH_FILE = 2;
const FX_PERMISSION_DENIED = 3;
const FX_FAILURE = 4;
const FX_OP_UNSUPPORTED = 8;

/** An SFTP error in words, naming the path. `writing`: a FAILURE then most likely means a full disk or quota. */
export function describeSftpError(err: { message: string; code?: unknown }, action: string, path: string, writing = false): SshError {
  const code = typeof err.code === 'number' || typeof err.code === 'string' ? err.code : null;
  const what = `Could not ${action} ${path} on the cluster`;
  switch (code) {
    case FX_NO_SUCH_FILE:
      return new SshError('remote', `${what}: no such file or folder.`, 'Check the path: the folder may have been moved or cleaned up by the cluster.', code);
    case FX_PERMISSION_DENIED:
      return new SshError('remote', `${what}: permission denied.`, 'Check that your account may write there (the work root in the target profile).', code);
    case FX_FAILURE:
      if (writing) return new SshError('remote', `${what}: the disk is full or the quota is exceeded (the server reported a failure while writing).`, "Free space in your cluster storage, or ask the cluster's support about your quota.", code);
      return new SshError('remote', `${what}: the server reported a failure (${err.message}).`, null, code);
    case FX_OP_UNSUPPORTED:
      return new SshError('remote', `${what}: the server does not support this operation.`, null, code);
  }
  return new SshError('remote', `${what}: ${err.message}.`, null, code);
}

function toStat(attrs: Stats | { mode: number; size: number; mtime: number }): RemoteStat {
  const type = attrs.mode & 0o170000;
  return { size: attrs.size, mtime: attrs.mtime, isDirectory: type === 0o040000, isFile: type === 0o100000, mode: attrs.mode & 0o7777 };
}

function parentOf(p: string): string {
  const i = p.replace(/\/+$/, '').lastIndexOf('/');
  return i <= 0 ? '/' : p.slice(0, i);
}

type Handle = Buffer;

/** RemoteFiles over one shared SFTP channel. */
class Ssh2Files implements RemoteFiles {
  constructor(
    private readonly channel: () => Promise<SFTPWrapper>,
    private readonly gone: () => SshError | null,
  ) {}

  /** Runs one SFTP request; a dropped connection is "closed", anything else is described. */
  private async call<T>(action: string, path: string, run: (sftp: SFTPWrapper, cb: (err: Error | undefined | null, value?: T) => void) => void, writing = false): Promise<T> {
    const sftp = await this.channel();
    return new Promise<T>((resolve, reject) => {
      const cb = (err: Error | undefined | null, value?: T) => {
        if (err) reject(this.gone() ?? (isLost(err) ? new SshError('closed', `The connection closed while trying to ${action} ${path}.`) : describeSftpError(err as Error & { code?: unknown }, action, path, writing)));
        else resolve(value as T);
      };
      try {
        run(sftp, cb);
      } catch (e) {
        cb(e as Error);
      }
    });
  }

  realpath(p: string): Promise<string> {
    return this.call('resolve', p, (s, cb) => s.realpath(p, cb));
  }

  async stat(p: string): Promise<RemoteStat | null> {
    try {
      return toStat(await this.call<Stats>('look at', p, (s, cb) => s.stat(p, cb)));
    } catch (e) {
      if (e instanceof SshError && e.code === FX_NO_SUCH_FILE) return null;
      throw e;
    }
  }

  private async lstat(p: string): Promise<RemoteStat | null> {
    try {
      return toStat(await this.call<Stats>('look at', p, (s, cb) => s.lstat(p, cb)));
    } catch (e) {
      if (e instanceof SshError && e.code === FX_NO_SUCH_FILE) return null;
      throw e;
    }
  }

  async list(p: string): Promise<RemoteEntry[]> {
    const entries = await this.call<Array<{ filename: string; attrs: Stats }>>('list', p, (s, cb) => s.readdir(p, cb));
    return entries.filter((e) => e.filename !== '.' && e.filename !== '..').map((e) => ({ name: e.filename, ...toStat(e.attrs) }));
  }

  async mkdirp(p: string): Promise<void> {
    const st = await this.stat(p);
    if (st?.isDirectory) return;
    if (st) throw new SshError('remote', `Could not create the folder ${p} on the cluster: a file with that name is in the way.`, 'Move or delete that file.');
    const parent = parentOf(p);
    if (parent !== p) await this.mkdirp(parent);
    try {
      await this.call<void>('create the folder', p, (s, cb) => s.mkdir(p, cb), true);
    } catch (e) {
      // Someone else (a parallel upload) made it meanwhile.
      if ((await this.stat(p))?.isDirectory) return;
      throw e;
    }
  }

  async rename(from: string, to: string): Promise<void> {
    const sftp = await this.channel();
    let posix = true;
    try {
      // ssh2 throws at once when the server does not offer the extension.
      await new Promise<void>((resolve, reject) => {
        try {
          sftp.ext_openssh_rename(from, to, (err) => (err ? reject(err) : resolve()));
        } catch (e) {
          posix = false;
          reject(e);
        }
      });
      return;
    } catch (e) {
      if (posix) throw this.gone() ?? describeSftpError(e as Error, 'rename', `${from} to ${to}`, true);
    }
    // Plain SFTP rename refuses to replace: remove the target first (not atomic, but the best there is).
    const target = await this.lstat(to);
    if (target && !target.isDirectory) await this.call<void>('replace', to, (s, cb) => s.unlink(to, cb));
    await this.call<void>('rename', `${from} to ${to}`, (s, cb) => s.rename(from, to, cb), true);
  }

  /** Removes a file, or a folder with everything in it; a path that is already gone is fine. */
  async remove(p: string): Promise<void> {
    const st = await this.lstat(p);
    if (!st) return;
    if (st.isDirectory) {
      for (const e of await this.list(p)) await this.remove(`${p.replace(/\/+$/, '')}/${e.name}`);
      await this.call<void>('remove the folder', p, (s, cb) => s.rmdir(p, cb));
    } else {
      await this.call<void>('remove', p, (s, cb) => s.unlink(p, cb));
    }
  }

  setTimes(p: string, atime: number, mtime: number): Promise<void> {
    return this.call('set the times of', p, (s, cb) => s.utimes(p, atime, mtime, cb));
  }

  private open(p: string, flags: OpenMode, action: string, mode?: number): Promise<Handle> {
    return this.call<Handle>(action, p, (s, cb) => (mode === undefined ? s.open(p, flags, cb) : s.open(p, flags, { mode }, cb)), flags !== 'r');
  }

  private async closeHandle(h: Handle, p: string, writing: boolean): Promise<void> {
    await this.call<void>(writing ? 'finish writing' : 'close', p, (s, cb) => s.close(h, cb), writing);
  }

  /** Reads until `len` bytes or end of file (servers may answer with fewer bytes than asked). */
  private async readAt(h: Handle, p: string, buf: Buffer, off: number, len: number, position: number): Promise<number> {
    let got = 0;
    while (got < len) {
      const n = await this.call<number>('read', p, (s, cb) => s.read(h, buf, off + got, len - got, position + got, (err, nb) => cb(err, nb)));
      if (!n) break;
      got += n;
    }
    return got;
  }

  private writeAt(h: Handle, p: string, buf: Buffer, off: number, len: number, position: number): Promise<void> {
    return this.call<void>('write', p, (s, cb) => s.write(h, buf, off, len, position, (err) => cb(err)), true);
  }

  async readFile(p: string, options: { start?: number; maxBytes?: number } = {}): Promise<Buffer> {
    const h = await this.open(p, 'r', 'read');
    try {
      const parts: Buffer[] = [];
      let position = options.start ?? 0;
      let left = options.maxBytes ?? Infinity;
      while (left > 0) {
        const want = Math.min(SFTP_CHUNK, left);
        const buf = Buffer.allocUnsafe(want);
        const n = await this.readAt(h, p, buf, 0, want, position);
        if (n === 0) break;
        parts.push(buf.subarray(0, n));
        position += n;
        left -= n;
        if (n < want) break;
      }
      return Buffer.concat(parts);
    } finally {
      await this.closeHandle(h, p, false).catch(() => {});
    }
  }

  async writeFile(p: string, data: Buffer | string, options: { mode?: number } = {}): Promise<void> {
    const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    const h = await this.open(p, 'w', 'write', options.mode);
    let ok = false;
    try {
      if (options.mode !== undefined) await this.call<void>('set the permissions of', p, (s, cb) => s.fchmod(h, options.mode!, cb));
      for (let off = 0; off < buf.length; off += SFTP_CHUNK) await this.writeAt(h, p, buf, off, Math.min(SFTP_CHUNK, buf.length - off), off);
      ok = true;
    } finally {
      if (ok) await this.closeHandle(h, p, true);
      else await this.closeHandle(h, p, true).catch(() => {});
    }
  }

  async upload(local: string, remote: string, options: { start?: number; onProgress?: (p: TransferProgress) => void; signal?: AbortSignal } = {}): Promise<void> {
    const start = options.start ?? 0;
    const fh = await fs.promises.open(local, 'r');
    try {
      const total = (await fh.stat()).size;
      if (start > total) throw new SshError('remote', `Cannot resume the upload of ${local}: ${start} bytes are said to be sent but the file has only ${total}.`, 'Upload it again from the beginning.');
      // Resuming writes into the existing file; from the start, the file is truncated.
      const h = await this.open(remote, start > 0 ? 'r+' : 'w', 'upload to');
      let ok = false;
      try {
        if (start > 0) {
          const st = await this.call<Stats>('look at', remote, (s, cb) => s.fstat(h, cb));
          if (st.size < start) throw new SshError('remote', `Cannot resume the upload to ${remote}: it has ${st.size} bytes on the cluster, fewer than the ${start} to skip.`, 'Upload it again from the beginning.');
          if (st.size > total) await this.call<void>('truncate', remote, (s, cb) => s.fsetstat(h, { size: total }, cb), true);
        }
        await parallelChunks(start, total, options, async (pos, len, buf) => {
          const { bytesRead } = await fh.read(buf, 0, len, pos);
          if (bytesRead !== len) throw new SshError('remote', `${local} changed while it was being uploaded.`, 'Upload it again when nothing writes to it.');
          await this.writeAt(h, remote, buf, 0, len, pos);
        });
        ok = true;
      } finally {
        if (ok) await this.closeHandle(h, remote, true);
        else await this.closeHandle(h, remote, true).catch(() => {});
      }
    } finally {
      await fh.close();
    }
  }

  async download(remote: string, local: string, options: { start?: number; onProgress?: (p: TransferProgress) => void; signal?: AbortSignal } = {}): Promise<void> {
    const start = options.start ?? 0;
    const h = await this.open(remote, 'r', 'download');
    try {
      const total = (await this.call<Stats>('look at', remote, (s, cb) => s.fstat(h, cb))).size;
      if (start > total) throw new SshError('remote', `Cannot resume the download of ${remote}: ${start} bytes are said to be received but it has only ${total}.`, 'Download it again from the beginning.');
      const fh = await fs.promises.open(local, start > 0 ? 'r+' : 'w');
      try {
        if (start > 0) {
          const size = (await fh.stat()).size;
          if (size < start) throw new SshError('remote', `Cannot resume the download to ${local}: it has ${size} bytes, fewer than the ${start} to skip.`, 'Download it again from the beginning.');
        }
        await parallelChunks(start, total, options, async (pos, len, buf) => {
          const n = await this.readAt(h, remote, buf, 0, len, pos);
          if (n !== len) throw new SshError('remote', `${remote} became shorter while it was being downloaded.`, 'Download it again when the step that writes it has finished.');
          await fh.write(buf, 0, len, pos);
        });
        await fh.truncate(total);
        await fh.sync();
      } finally {
        await fh.close();
      }
    } finally {
      await this.closeHandle(h, remote, false).catch(() => {});
    }
  }
}

function isLost(err: Error): boolean {
  return /No response from server|Not connected|channel.*closed/i.test(err.message);
}

/**
 * Copies [start, total) in SFTP_CHUNK pieces with SFTP_CONCURRENCY pieces in flight. Progress
 * counts the bytes already there (start) as transferred, so a resumed transfer shows its real state.
 */
async function parallelChunks(
  start: number,
  total: number,
  options: { onProgress?: (p: TransferProgress) => void; signal?: AbortSignal },
  copy: (position: number, length: number, buf: Buffer) => Promise<void>,
): Promise<void> {
  let next = start;
  let done = start;
  let failed: unknown = null;
  const worker = async () => {
    const buf = Buffer.allocUnsafe(Math.min(SFTP_CHUNK, total - start));
    while (next < total && failed === null) {
      if (options.signal?.aborted) throw new SshError('cancelled', 'The transfer was stopped.');
      const pos = next;
      const len = Math.min(SFTP_CHUNK, total - pos);
      next += len;
      await copy(pos, len, buf);
      done += len;
      options.onProgress?.({ transferred: done, total });
    }
  };
  const workers = Math.min(SFTP_CONCURRENCY, Math.ceil((total - start) / SFTP_CHUNK));
  // Every worker must stop before the handles close: allSettled, then the first error.
  const results = await Promise.allSettled(
    Array.from({ length: workers }, () =>
      worker().catch((e: unknown) => {
        failed ??= e;
        throw e;
      }),
    ),
  );
  if (failed !== null) throw failed;
  void results;
  if (options.signal?.aborted) throw new SshError('cancelled', 'The transfer was stopped.');
  if (total === start) options.onProgress?.({ transferred: total, total });
}

/**
 * Connects through the jump hosts (each checked and logged into like the login node) to the
 * login node. Rejects with SshError; everything opened on the way is closed on failure.
 */
export const connect: Connect = async (options, prompter) => {
  const hops = [...options.jumps, { endpoint: options.endpoint, auth: options.auth }];
  const clients: Client[] = [];
  try {
    let sock: Duplex | undefined;
    for (const [i, hop] of hops.entries()) {
      const prev = hops[i - 1];
      if (i > 0 && prev) sock = await forward(clients[i - 1]!, prev.endpoint, hop.endpoint);
      const label = i < hops.length - 1 ? `jump host ${i + 1}` : 'the login node';
      const client = await openHop({
        endpoint: hop.endpoint,
        auth: hop.auth,
        label,
        knownHosts: options.knownHosts,
        prompter,
        ...(sock ? { sock } : {}),
        keepaliveSeconds: options.keepaliveSeconds ?? DEFAULT_KEEPALIVE_SECONDS,
        readyTimeoutMs: options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS,
      });
      clients.push(client);
    }
  } catch (e) {
    for (const c of clients.reverse()) c.end();
    throw asSshError(e, () => new SshError('unreachable', `Could not connect to ${where(options.endpoint)}: ${(e as Error).message}`));
  }
  return new Ssh2Connection(options, clients[clients.length - 1]!, clients.slice(0, -1));
};
