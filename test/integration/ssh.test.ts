// @vitest-environment node
/**
 * The SSH transport against real OpenSSH servers (the lab of test/cluster/lab.sh): every login
 * method of issue 4, host keys checked for every hop and never accepted silently, refused logins
 * that do not turn into retry storms, a connection that carries 25 commands at once under sshd's
 * MaxSessions 10, SFTP that copies bytes exactly and resumes, and a dropped connection that fails
 * what was in flight instead of hanging.
 *
 * A small TCP relay in the test stands between the client and sshd where a test must count TCP
 * connections or cut the connection like a network would.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import * as OTPAuth from 'otpauth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectionManager } from '../../electron/ssh/connections';
import { readKnownHosts, lookupHostKey } from '../../electron/ssh/knownHosts';
import { CliPrompter } from '../../electron/ssh/prompts';
import { connect } from '../../electron/ssh/ssh2Transport';
import type { AuthMethod, ConnectOptions, HostKeyQuestion, Prompter, SecretRequest, SshConnection } from '../../electron/ssh/transport';
import { SshError } from '../../electron/ssh/transport';
import { labRequired, openLab, sleep } from '../cluster/lab';

const gate = openLab();
if (gate.reason !== undefined) console.log(`ssh.test.ts: skipped, ${gate.reason}`);
const describeLab = gate.lab === undefined ? describe.skip : describe;

/** Records every question; answers secrets with `answer`, host keys with `trust`. */
class RecordingPrompter implements Prompter {
  asked: SecretRequest[] = [];
  hostQuestions: HostKeyQuestion[] = [];
  constructor(
    private readonly answer: (r: SecretRequest) => string | null = () => null,
    private readonly trust = false,
  ) {}
  async confirmHostKey(q: HostKeyQuestion) {
    this.hostQuestions.push(q);
    return this.trust;
  }
  async ask(r: SecretRequest) {
    this.asked.push(r);
    return this.answer(r);
  }
}

/** A TCP relay to a lab port that counts connections and can cut them all, like a network failure. */
interface Relay {
  port: number;
  accepted: number;
  cut(): void;
  close(): Promise<void>;
}

function startRelay(targetPort: number): Promise<Relay> {
  const sockets = new Set<net.Socket>();
  const relay = { port: 0, accepted: 0, cut: () => sockets.forEach((s) => s.destroy()), close: async () => {} };
  const server = net.createServer((client) => {
    relay.accepted++;
    const upstream = net.connect(targetPort, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {});
    }
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  relay.close = () =>
    new Promise<void>((resolve) => {
      relay.cut();
      server.close(() => resolve());
    });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(Object.assign(relay, { port: (server.address() as net.AddressInfo).port }))));
}

function totp(secret: string, offsetSeconds = 0): string {
  return new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret), digits: 6, period: 30, algorithm: 'SHA1' }).generate({ timestamp: Date.now() + offsetSeconds * 1000 });
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describeLab('SSH transport against the lab', () => {
  // describe.skip still runs this body to collect its tests: without the lab there is nothing to set up.
  if (gate.lab === undefined) return;
  const lab = gate.lab;
  const env = lab.env;
  const v = (name: string) => {
    const value = env[name];
    if (!value) throw new Error(`lab.env has no ${name}`);
    return value;
  };
  const host = '127.0.0.1';
  const keyPort = +v('LAB_SSH_PORT');
  const pwPort = +v('LAB_SSH_PW_PORT');
  const jumpPort = +v('LAB_SSH_JUMP_PORT');
  const user = v('LAB_USER');
  let tmp = '';
  const open: SshConnection[] = [];

  /** known_hosts files in tmp: the lab's, empty, or edited. */
  const knownHostsCopy = (name: string, transform: (text: string) => string = (t) => t) => {
    const file = path.join(tmp, name);
    fs.writeFileSync(file, transform(fs.readFileSync(v('LAB_KNOWN_HOSTS'), 'utf8')));
    return file;
  };
  const options = (port: number, auth: AuthMethod[], extra: Partial<ConnectOptions> = {}, login = user): ConnectOptions => ({
    endpoint: { host, port, user: login },
    jumps: [],
    auth,
    knownHosts: [v('LAB_KNOWN_HOSTS')],
    ...extra,
  });
  const connected = async (o: ConnectOptions, p: Prompter) => {
    const c = await connect(o, p);
    open.push(c);
    return c;
  };
  /** What every login must lead to: the right user, and the login environment sshd sets (SLURM_CONF). */
  const expectLoggedInAs = async (c: SshConnection, name: string) => {
    const r = await c.exec('id -un; echo "$SLURM_CONF"');
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout.split('\n').slice(0, 2)).toEqual([name, lab.slurmConf]);
  };
  const rejection = async (p: Promise<unknown>): Promise<SshError> => {
    const e = await p.then(
      () => null,
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(SshError);
    return e as SshError;
  };
  /** A different ed25519 key, as a server whose key changed (or an attacker) would show. */
  const otherKey = () => {
    const f = path.join(tmp, `other-${randomBytes(4).toString('hex')}`);
    spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', f]);
    return fs.readFileSync(`${f}.pub`, 'utf8').split(' ').slice(0, 2).join(' ');
  };

  beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fluxo-ssh-'));
  });
  afterAll(async () => {
    await Promise.all(open.map((c) => c.close()));
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  describe('login matrix', () => {
    it('key file', async () => {
      const p = new RecordingPrompter();
      const c = await connected(options(keyPort, [{ kind: 'key', file: v('LAB_SSH_KEY') }]), p);
      await expectLoggedInAs(c, user);
      expect(p.asked).toEqual([]);
      expect(p.hostQuestions).toEqual([]);
    });

    it('encrypted key: the passphrase is asked once, for that key file', async () => {
      const p = new RecordingPrompter((r) => (r.kind === 'passphrase' ? v('LAB_KEY_PASSPHRASE') : null));
      const c = await connected(options(keyPort, [{ kind: 'key', file: v('LAB_SSH_KEY_ENCRYPTED') }]), p);
      await expectLoggedInAs(c, user);
      expect(p.asked.map((r) => [r.kind, r.key, r.echo])).toEqual([['passphrase', v('LAB_SSH_KEY_ENCRYPTED'), false]]);
    });

    it('ssh-agent: a real agent holding the key, no key file given', async () => {
      const sock = path.join(tmp, 'agent.sock');
      const agent: ChildProcess = spawn('ssh-agent', ['-D', '-a', sock], { stdio: 'ignore' });
      try {
        await expect.poll(() => fs.existsSync(sock), { timeout: 5000, interval: 50 }).toBe(true);
        const add = spawnSync('ssh-add', [v('LAB_SSH_KEY')], { env: { ...process.env, SSH_AUTH_SOCK: sock }, encoding: 'utf8' });
        expect(add.status, add.stderr).toBe(0);
        const p = new RecordingPrompter();
        const c = await connected(options(keyPort, [{ kind: 'agent', socket: sock }]), p);
        await expectLoggedInAs(c, user);
        expect(p.asked).toEqual([]);
        await c.close();
      } finally {
        agent.kill();
      }
    });

    it('password (port with password and keyboard-interactive)', async () => {
      const p = new RecordingPrompter((r) => (r.kind === 'password' ? v('LAB_PASSWORD') : null));
      const c = await connected(options(pwPort, [{ kind: 'password' }]), p);
      await expectLoggedInAs(c, user);
      expect(p.asked.map((r) => [r.kind, r.key])).toEqual([['password', `${user}@${host}:${pwPort}`]]);
    });

    it('password + TOTP by keyboard-interactive, answered through FLUXO_ASKPASS as a script would', async () => {
      const dir = fs.mkdtempSync(path.join(tmp, 'askpass-'));
      fs.writeFileSync(path.join(dir, 'pw'), v('LAB_OTP_PASSWORD'));
      fs.writeFileSync(path.join(dir, 'code'), totp(v('LAB_OTP_SECRET')));
      const script = path.join(dir, 'askpass');
      fs.writeFileSync(script, `#!/bin/bash\nprintf '%s\\n' "$1" >>'${dir}/prompts'\ncase "$1" in *erification*) cat '${dir}/code' ;; *) cat '${dir}/pw' ;; esac\n`, { mode: 0o700 });
      const p = new CliPrompter({ interactive: false, env: { FLUXO_ASKPASS: script } });
      const c = await connected(options(pwPort, [{ kind: 'keyboard-interactive' }], {}, v('LAB_OTP_USER')), p);
      await expectLoggedInAs(c, v('LAB_OTP_USER'));
      const prompts = fs.readFileSync(path.join(dir, 'prompts'), 'utf8').split('\n').filter((l) => l !== '');
      expect(prompts).toHaveLength(2);
      expect(prompts[0]).toMatch(/^Password:/);
      expect(prompts[1]).toBe('Verification code: ');
    });

    it('RSA key in PEM format (rsa-sha2 signatures; OpenSSH 9 refuses ssh-rsa SHA-1)', async () => {
      const p = new RecordingPrompter();
      const c = await connected(options(keyPort, [{ kind: 'key', file: v('LAB_SSH_KEY_RSA_PEM') }]), p);
      await expectLoggedInAs(c, user);
    });

    it('jump host: both host keys are checked (first contact asks for each hop), then the login node is reached through it', async () => {
      const known = path.join(tmp, 'jump-first-contact', 'known_hosts');
      const p = new RecordingPrompter(() => null, true);
      const key: AuthMethod[] = [{ kind: 'key', file: v('LAB_SSH_KEY') }];
      const o = options(keyPort, key, { knownHosts: [known], jumps: [{ endpoint: { host, port: jumpPort, user: v('LAB_JUMP_USER') }, auth: key }] });
      const c = await connected(o, p);
      await expectLoggedInAs(c, user);
      expect(p.hostQuestions.map((q) => q.port)).toEqual([jumpPort, keyPort]);
      expect(p.hostQuestions[0]!.fingerprint).toBe(v('LAB_JUMP_HOSTKEY_SHA256_ED25519'));
      expect(p.hostQuestions[1]!.fingerprint).toBe(v('LAB_HOSTKEY_SHA256_ED25519'));
      // Now both are known: a second connection asks nothing.
      const again = new RecordingPrompter();
      await expectLoggedInAs(await connected(o, again), user);
      expect(again.hostQuestions).toEqual([]);
    });
  });

  describe('host keys', () => {
    it('first contact: the user sees the fingerprint; yes writes it to known_hosts (0600 in a 0700 folder) and is not asked again', async () => {
      const known = path.join(tmp, 'first', 'ssh', 'known_hosts');
      const p = new RecordingPrompter(() => null, true);
      const o = options(keyPort, [{ kind: 'key', file: v('LAB_SSH_KEY') }], { knownHosts: [known] });
      await expectLoggedInAs(await connected(o, p), user);
      expect(p.hostQuestions).toHaveLength(1);
      const q = p.hostQuestions[0]!;
      const type = { 'ssh-ed25519': 'ED25519', 'ecdsa-sha2-nistp256': 'ECDSA', 'ssh-rsa': 'RSA' }[q.keyType];
      expect(q).toMatchObject({ host, port: keyPort });
      expect(q.fingerprint).toBe(v(`LAB_HOSTKEY_SHA256_${type}`));
      const text = fs.readFileSync(known, 'utf8');
      expect(text).toMatch(new RegExp(`^\\[127\\.0\\.0\\.1\\]:${keyPort} ${q.keyType} [A-Za-z0-9+/=]+\\n$`));
      expect(fs.statSync(known).mode & 0o777).toBe(0o600);
      expect(fs.statSync(path.dirname(known)).mode & 0o777).toBe(0o700);
      // ssh-keygen agrees on the fingerprint of what was written.
      expect(spawnSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', known], { encoding: 'utf8' }).stdout).toContain(q.fingerprint);
      const again = new RecordingPrompter();
      await expectLoggedInAs(await connected(o, again), user);
      expect(again.hostQuestions).toEqual([]);
    });

    it('first contact: no means host-key-unknown, and no credential was asked for or sent', async () => {
      const known = path.join(tmp, 'refused-known_hosts');
      const p = new RecordingPrompter(() => v('LAB_PASSWORD'), false);
      const e = await rejection(connect(options(pwPort, [{ kind: 'password' }], { knownHosts: [known] }), p));
      expect(e.kind).toBe('host-key-unknown');
      expect(e.message).toContain(p.hostQuestions[0]!.fingerprint);
      expect(p.asked).toEqual([]);
      expect(fs.existsSync(known)).toBe(false);
    });

    it('a changed key is refused before any login: ask() never called, the message names the fingerprint and the old line', async () => {
      const known = knownHostsCopy('changed', () => `# a comment\n[127.0.0.1]:${pwPort} ${otherKey()}\n`);
      const p = new RecordingPrompter(() => v('LAB_PASSWORD'), true);
      const e = await rejection(connect(options(pwPort, [{ kind: 'password' }], { knownHosts: [known] }), p));
      expect(e.kind).toBe('host-key-changed');
      expect(e.message).toContain(v('LAB_HOSTKEY_SHA256_ED25519'));
      expect(e.message).toContain(`${known} line 2`);
      expect(e.message).toMatch(/intercept/);
      expect(e.hint).toMatch(/support/);
      expect(p.asked).toEqual([]);
      expect(p.hostQuestions).toEqual([]);
    });

    it('a jump host whose key changed is refused the same way, before the login node is contacted', async () => {
      const known = knownHostsCopy('jump-changed', (t) =>
        t
          .split('\n')
          .filter((l) => !l.startsWith(`[127.0.0.1]:${jumpPort} `))
          .join('\n') + `[127.0.0.1]:${jumpPort} ${otherKey()}\n`,
      );
      const p = new RecordingPrompter(() => 'anything', true);
      const key: AuthMethod[] = [{ kind: 'key', file: v('LAB_SSH_KEY') }, { kind: 'password' }];
      const e = await rejection(connect(options(keyPort, key, { knownHosts: [known], jumps: [{ endpoint: { host, port: jumpPort, user: v('LAB_JUMP_USER') }, auth: key }] }), p));
      expect(e.kind).toBe('host-key-changed');
      expect(e.message).toContain(v('LAB_JUMP_HOSTKEY_SHA256_ED25519'));
      expect(e.message).toContain(`[127.0.0.1]:${jumpPort}`);
      expect(p.asked).toEqual([]);
    });

    it('hashed known_hosts entries (ssh-keygen -H) are matched', async () => {
      const known = knownHostsCopy('hashed');
      const r = spawnSync('ssh-keygen', ['-H', '-f', known], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      expect(fs.readFileSync(known, 'utf8')).not.toContain('127.0.0.1');
      const p = new RecordingPrompter();
      await expectLoggedInAs(await connected(options(keyPort, [{ kind: 'key', file: v('LAB_SSH_KEY') }], { knownHosts: [known] }), p), user);
      expect(p.hostQuestions).toEqual([]);
    });
  });

  describe('refused logins', () => {
    /** A manager whose connections go through a relay, so that TCP connections can be counted. */
    const managed = async (targetPort: number) => {
      const relay = await startRelay(targetPort);
      const known = knownHostsCopy(`relay-${relay.port}`, (t) =>
        t
          .split('\n')
          .filter((l) => l.startsWith(`[127.0.0.1]:${targetPort} `))
          .map((l) => l.replace(`:${targetPort} `, `:${relay.port} `))
          .join('\n'),
      );
      return { relay, known };
    };

    it('wrong password: auth-failed without the secret in it; a second get() within 30 s fails at once without a new TCP connection', async () => {
      const { relay, known } = await managed(pwPort);
      try {
        const wrong = `wrong-${randomBytes(6).toString('hex')}`;
        const p = new RecordingPrompter(() => wrong);
        const manager = new ConnectionManager({ connect, prompter: p });
        const o = options(relay.port, [{ kind: 'password' }], { knownHosts: [known] });
        const e = await rejection(manager.get(o));
        expect(e.kind).toBe('auth-failed');
        expect(e.message).toContain(`user ${user}`);
        expect(e.message).toMatch(/wrong password, code or key/);
        expect(`${e.message} ${e.hint}`).not.toContain(wrong);
        expect(e.hint).toMatch(/not retry/);
        expect(relay.accepted).toBe(1);
        const started = Date.now();
        const again = await rejection(manager.get(o));
        expect(Date.now() - started).toBeLessThan(100);
        expect(again.kind).toBe('auth-failed');
        expect(again.hint).toMatch(/try again in \d+ s/);
        expect(relay.accepted).toBe(1);
        expect(p.asked).toHaveLength(1);
      } finally {
        await relay.close();
      }
    });

    it('wrong TOTP code: auth-failed, neither the password nor the code in the message', async () => {
      const { relay, known } = await managed(pwPort);
      try {
        const code = totp(v('LAB_OTP_SECRET'), 3600);
        const p = new RecordingPrompter((r) => (/erification/.test(r.prompt) ? code : v('LAB_OTP_PASSWORD')));
        const manager = new ConnectionManager({ connect, prompter: p });
        const o = options(relay.port, [{ kind: 'keyboard-interactive' }], { knownHosts: [known] }, v('LAB_OTP_USER'));
        const e = await rejection(manager.get(o));
        expect(e.kind).toBe('auth-failed');
        expect(p.asked.map((r) => r.prompt)).toContain('Verification code: ');
        expect(`${e.message} ${e.hint}`).not.toContain(code);
        expect(`${e.message} ${e.hint}`).not.toContain(v('LAB_OTP_PASSWORD'));
        const again = await rejection(manager.get(o));
        expect(again.kind).toBe('auth-failed');
        expect(relay.accepted).toBe(1);
      } finally {
        await relay.close();
      }
    });
  });

  describe('one connection, many channels', () => {
    let c: SshConnection;
    const dir = `${lab.userHome}/fluxo-ssh-test-${process.pid}`;
    beforeAll(async () => {
      c = await connected(options(keyPort, [{ kind: 'key', file: v('LAB_SSH_KEY') }]), new RecordingPrompter());
    });
    afterAll(async () => {
      await (await c.files()).remove(dir);
    });

    it('25 concurrent commands on one connection all succeed under sshd MaxSessions 10 (SFTP channel open too)', async () => {
      const files = await c.files();
      const results = await Promise.all(Array.from({ length: 25 }, (_, i) => c.exec(`sleep 0.2; echo ${i}`)));
      expect(results.map((r) => [r.code, r.stdout.trim()])).toEqual(Array.from({ length: 25 }, (_, i) => [0, String(i)]));
      // The SFTP channel still works alongside.
      expect(await files.realpath('.')).toBe(lab.userHome);
    });

    it('exec gives exit code, stderr, stdin and streamed stdout', async () => {
      const chunks: string[] = [];
      const r = await c.exec("cat; echo 'to stderr' >&2; exit 3", { stdin: 'from stdin\n', onStdout: (s) => chunks.push(s) });
      expect(r).toEqual({ code: 3, signal: null, stdout: 'from stdin\n', stderr: 'to stderr\n' });
      expect(chunks.join('')).toBe('from stdin\n');
    });

    it('aborting a command closes its channel: the call rejects at once, the remote command is stopped, the connection goes on', async () => {
      const ac = new AbortController();
      const running = c.exec('sleep 31.5', { signal: ac.signal });
      await sleep(300);
      ac.abort();
      expect((await rejection(running)).kind).toBe('cancelled');
      await expect.poll(async () => (await c.exec("pgrep -u \"$USER\" -f '^sleep 31[.]5' || true")).stdout.trim(), { timeout: 5000, interval: 200 }).toBe('');
      expect((await c.exec('echo still here')).stdout).toBe('still here\n');
    });

    it('SFTP: a 5 MB random file goes up and comes back byte-identical; an upload resumes from a partial remote file', async () => {
      const files = await c.files();
      await files.mkdirp(`${dir}/a/b`);
      const data = randomBytes(5 * 1024 * 1024 + 123);
      const local = path.join(tmp, 'random.bin');
      fs.writeFileSync(local, data);
      const progress: number[] = [];
      await files.upload(local, `${dir}/a/b/random.bin`, { onProgress: (p) => progress.push(p.transferred) });
      expect(progress.at(-1)).toBe(data.length);
      expect((await files.stat(`${dir}/a/b/random.bin`))?.size).toBe(data.length);
      const back = path.join(tmp, 'back.bin');
      await files.download(`${dir}/a/b/random.bin`, back);
      expect(sha256(fs.readFileSync(back))).toBe(sha256(data));

      // Resume: the cluster has the first 2 MB (an upload cut off); the rest is sent from there.
      const cut = 2 * 1024 * 1024 + 7;
      await files.writeFile(`${dir}/partial.bin`, data.subarray(0, cut));
      const resumed: number[] = [];
      await files.upload(local, `${dir}/partial.bin`, { start: cut, onProgress: (p) => resumed.push(p.transferred) });
      expect(resumed[0]).toBeGreaterThan(cut);
      const r = await c.exec(`sha256sum ${dir}/partial.bin`);
      expect(r.stdout.split(' ')[0]).toBe(sha256(data));

      // And a download resumes from a partial local file.
      fs.writeFileSync(back, data.subarray(0, cut));
      await files.download(`${dir}/a/b/random.bin`, back, { start: cut });
      expect(sha256(fs.readFileSync(back))).toBe(sha256(data));
    });

    it('SFTP: rename replaces, list, readFile with start/maxBytes, writeFile mode, setTimes, remove', async () => {
      const files = await c.files();
      await files.mkdirp(dir);
      await files.writeFile(`${dir}/x.part`, 'new content', { mode: 0o640 });
      await files.writeFile(`${dir}/x`, 'old');
      await files.rename(`${dir}/x.part`, `${dir}/x`);
      expect((await files.readFile(`${dir}/x`)).toString()).toBe('new content');
      expect((await files.readFile(`${dir}/x`, { start: 4, maxBytes: 3 })).toString()).toBe('con');
      const st = await files.stat(`${dir}/x`);
      expect(st).toMatchObject({ isFile: true, isDirectory: false, mode: 0o640, size: 11 });
      await files.setTimes(`${dir}/x`, 1_600_000_000, 1_600_000_000);
      expect((await files.stat(`${dir}/x`))?.mtime).toBe(1_600_000_000);
      expect((await files.list(dir)).map((e) => e.name)).toContain('x');
      await files.remove(`${dir}/x`);
      expect(await files.stat(`${dir}/x`)).toBeNull();
    });

    it('SFTP: a missing remote path is "remote" with words and the SFTP code; a missing stat is null', async () => {
      const files = await c.files();
      expect(await files.stat(`${dir}/nothing/here`)).toBeNull();
      const e = await rejection(files.readFile(`${dir}/nothing/here`));
      expect(e.kind).toBe('remote');
      expect(e.message).toContain(`${dir}/nothing/here`);
      expect(e.message).toMatch(/no such file/);
      expect(e.code).toBe(2);
      const denied = await rejection(files.writeFile('/etc/fluxo-should-not-exist', 'x'));
      expect(denied.message).toMatch(/permission denied/);
    });
  });

  it('a dropped connection fails the command in flight with "closed" (no hang), and the closed event carries the error', async () => {
    const relay = await startRelay(keyPort);
    try {
      const known = knownHostsCopy('drop', (t) =>
        t
          .split('\n')
          .filter((l) => l.startsWith(`[127.0.0.1]:${keyPort} `))
          .map((l) => l.replace(`:${keyPort} `, `:${relay.port} `))
          .join('\n'),
      );
      const c = await connect(options(relay.port, [{ kind: 'key', file: v('LAB_SSH_KEY') }], { knownHosts: [known] }), new RecordingPrompter());
      const closed = new Promise<SshError | null>((resolve) => c.on('closed', resolve));
      const running = c.exec('sleep 5; echo finished');
      await sleep(300);
      const started = Date.now();
      relay.cut();
      const e = await rejection(running);
      expect(e.kind).toBe('closed');
      expect(Date.now() - started).toBeLessThan(3000);
      const event = await closed;
      expect(event?.kind).toBe('closed');
      // Later operations fail the same way instead of throwing ssh2's "Not connected".
      expect((await rejection(c.exec('true'))).kind).toBe('closed');
      await c.close();
    } finally {
      await relay.close();
    }
  });

  it('known_hosts written by the transport is read back by lookupHostKey as a match', () => {
    const entries = readKnownHosts([path.join(tmp, 'first', 'ssh', 'known_hosts')]);
    expect(entries).toHaveLength(1);
    expect(lookupHostKey(entries, host, keyPort, entries[0]!.keyType, entries[0]!.key).status).toBe('match');
  });
});

describe.runIf(gate.lab === undefined && labRequired())('SSH: the cluster lab', () => {
  it('is up, since CI brought it up for this run (FLUXO_LAB=required)', () => {
    expect.fail(gate.reason);
  });
});
