// @vitest-environment node
/**
 * The transport's parts that need no sshd: the channel pool's order and limit, host-key algorithm
 * preference, error wording, and a real connection attempt to a loopback port where nothing
 * listens (the lab tests in test/integration/ssh.test.ts cover everything that needs a server).
 */
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { ChannelPool, connect, describeSftpError, preferredHostKeyAlgorithms } from './ssh2Transport';
import { SshError } from './transport';

describe('ChannelPool', () => {
  it('never more than the limit at once; waiters are served first come, first served', async () => {
    const pool = new ChannelPool(2);
    const order: number[] = [];
    let open = 0;
    let most = 0;
    await Promise.all(
      Array.from({ length: 7 }, async (_, i) => {
        const release = await pool.acquire();
        order.push(i);
        most = Math.max(most, ++open);
        await new Promise((r) => setTimeout(r, 5));
        open--;
        release();
        release(); // twice is harmless
      }),
    );
    expect(most).toBe(2);
    expect(order).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  it('an aborted waiter leaves the queue; failAll rejects the rest and later callers', async () => {
    const pool = new ChannelPool(1);
    const held = await pool.acquire();
    const ac = new AbortController();
    const aborted = pool.acquire(ac.signal);
    const waiting = pool.acquire();
    ac.abort();
    await expect(aborted).rejects.toMatchObject({ kind: 'cancelled' });
    pool.failAll(new SshError('closed', 'gone'));
    await expect(waiting).rejects.toMatchObject({ kind: 'closed' });
    await expect(pool.acquire()).rejects.toMatchObject({ kind: 'closed' });
    held();
  });
});

describe('host key algorithms', () => {
  it('types known_hosts holds for the host come first (RSA means the rsa-sha2 family), then the usual order', () => {
    expect(preferredHostKeyAlgorithms([])[0]).toBe('ssh-ed25519');
    expect(preferredHostKeyAlgorithms(['ssh-rsa']).slice(0, 4)).toEqual(['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa', 'ssh-ed25519']);
    expect(preferredHostKeyAlgorithms(['ecdsa-sha2-nistp256', 'ssh-unknown'])[0]).toBe('ecdsa-sha2-nistp256');
  });
});

describe('error wording', () => {
  it('SFTP status codes become words that name the path; a failure while writing means disk or quota', () => {
    expect(describeSftpError({ message: 'No such file', code: 2 }, 'read', '/home/a/x')).toMatchObject({ kind: 'remote', code: 2, message: 'Could not read /home/a/x on the cluster: no such file or folder.' });
    expect(describeSftpError({ message: 'Permission denied', code: 3 }, 'write', '/x').message).toMatch(/permission denied/);
    expect(describeSftpError({ message: 'Failure', code: 4 }, 'write', '/x', true).message).toMatch(/the disk is full or the quota is exceeded/);
    expect(describeSftpError({ message: 'Failure', code: 4 }, 'rename', '/x').message).not.toMatch(/disk/);
  });

  it('nothing listening on a loopback port: "unreachable", naming host and port, with the VPN question', async () => {
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    await new Promise<void>((r) => server.close(() => r()));
    const prompter = { confirmHostKey: async () => true, ask: async () => 'secret-password' };
    const err = await connect({ endpoint: { host: '127.0.0.1', port, user: 'ana' }, jumps: [], auth: [{ kind: 'password' }], knownHosts: [] }, prompter).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SshError);
    expect(err).toMatchObject({ kind: 'unreachable', code: 'ECONNREFUSED' });
    expect((err as SshError).message).toContain(`Nothing answers on 127.0.0.1:${port}`);
    expect((err as SshError).message).toMatch(/VPN/);
  });

  it('a server that never speaks SSH: the login timer ends the attempt once, as "unreachable"', async () => {
    const sockets: net.Socket[] = [];
    const server = net.createServer((s) => sockets.push(s));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    try {
      const prompter = { confirmHostKey: async () => true, ask: async () => null };
      const err = await connect({ endpoint: { host: '127.0.0.1', port, user: 'ana' }, jumps: [], auth: [{ kind: 'password' }], knownHosts: [], readyTimeoutMs: 300 }, prompter).catch((e: unknown) => e);
      expect(err).toMatchObject({ kind: 'unreachable', code: 'ETIMEDOUT' });
      expect((err as SshError).message).toMatch(/did not finish the SSH handshake in time/);
    } finally {
      sockets.forEach((s) => s.destroy());
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
