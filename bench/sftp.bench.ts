/**
 * SFTP speed of data staging against OpenSSH's own `sftp`, both to the cluster lab's sshd on
 * loopback with the same cipher: a 200 MiB file up and down with upload()/download() over the
 * app's transport (one connection, reused, as the app does), and with `sftp -b -` (the time of
 * a connect-only `sftp` is subtracted, since the app's connection is already open; the whole
 * command's figure is printed too). Median of 3 rounds; goals: upload >= 0.9x, download >= 0.8x.
 * Also uploads the unchanged file a second time: the bytes that moves should be 0.
 * Needs the lab (npm run lab:up, as root); without it, says why and exits 0.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { connect } from '../electron/ssh/ssh2Transport';
import type { RemoteFiles, SshConnection } from '../electron/ssh/transport';
import { download, upload } from '../electron/targets/slurm/staging';
import { quoteValue } from '../shared/compiler/quote';
import { openLab } from '../test/cluster/lab';

const SIZE = 200 * 1024 * 1024;
const ROUNDS = Number(process.env.BENCH_REPEATS ?? 3);
/**
 * ssh2 offers aes128-gcm@openssh.com first on a CPU with AES instructions and the transport
 * does not change ssh2's cipher list, so OpenSSH is told to use the same one (its own default
 * would be chacha20-poly1305).
 */
const CIPHER = 'aes128-gcm@openssh.com';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

const mbps = (bytes: number, ms: number) => bytes / 1e6 / (ms / 1000);

function cpuHasAes(): boolean {
  try {
    return /^flags\s*:.*\baes\b/m.test(fs.readFileSync('/proc/cpuinfo', 'utf8'));
  } catch {
    return false;
  }
}

/** One `sftp` batch; returns its wall time in ms. */
function sftp(config: string, batch: string): number {
  const t0 = performance.now();
  const r = spawnSync('sftp', ['-q', '-b', '-', '-F', config, '-c', CIPHER, 'fluxolab'], { input: batch, encoding: 'utf8', timeout: 300_000 });
  const ms = performance.now() - t0;
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`sftp failed (exit ${r.status}): ${r.stderr.trim()}`);
  return ms;
}

/** sftp's batch syntax: double quotes, with \ and " escaped. */
const sftpArg = (p: string) => `"${p.replace(/[\\"]/g, (c) => `\\${c}`)}"`;

async function main(): Promise<void> {
  const repo = process.env.FLUXO_REPO ?? process.cwd();
  process.env.LAB_DIR ||= path.join(repo, '.lab');
  const gate = openLab();
  if (gate.lab === undefined) {
    console.log(`sftp bench: skipped, ${gate.reason}`);
    return;
  }
  if (spawnSync('sftp', ['-V']).error) {
    console.log('sftp bench: skipped, OpenSSH sftp is not installed (apt-get install openssh-client)');
    return;
  }
  if (!cpuHasAes()) console.log(`note: this CPU has no AES instructions, so ssh2 may prefer chacha20-poly1305 while sftp uses ${CIPHER}`);
  const lab = gate.lab;
  const config = lab.env.LAB_SSH_CONFIG!;

  const conn: SshConnection = await connect(
    {
      endpoint: { host: '127.0.0.1', port: Number(lab.env.LAB_SSH_PORT), user: lab.user },
      jumps: [],
      auth: [{ kind: 'key', file: lab.env.LAB_SSH_KEY! }],
      knownHosts: [lab.env.LAB_KNOWN_HOSTS!],
    },
    { confirmHostKey: async () => false, ask: async () => null },
  );
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fluxo-sftp-bench-'));
  let remoteDir = '';
  try {
    const files: RemoteFiles = await conn.files();
    remoteDir = path.posix.join(await files.realpath('.'), `fluxo-sftp-bench-${process.pid}`);
    await files.mkdirp(remoteDir);
    const local = path.join(tmp, 'data.bin');
    const back = path.join(tmp, 'back.bin');
    const sshBack = path.join(tmp, 'ssh-back.bin');
    const remote = path.posix.join(remoteDir, 'data.bin');
    const sshRemote = path.posix.join(remoteDir, 'ssh-data.bin');
    // Random bytes: nothing on the way may compress them.
    const fd = fs.openSync(local, 'w');
    for (let off = 0; off < SIZE; off += 16 * 1024 * 1024) fs.writeSync(fd, randomChunk(Math.min(16 * 1024 * 1024, SIZE - off)));
    fs.closeSync(fd);
    const clearRemote = async () => {
      const r = await conn.exec(`rm -f -- ${[remote, `${remote}.part`, `${remote}.part.src`, sshRemote].map(quoteValue).join(' ')}`);
      if (r.code !== 0) throw new Error(`could not clear ${remoteDir}: ${r.stderr}`);
    };

    const connectOnly: number[] = [];
    const ours = { up: [] as number[], down: [] as number[] };
    const theirs = { up: [] as number[], down: [] as number[] };
    const rerunBytes: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      await clearRemote();
      fs.rmSync(back, { force: true });
      fs.rmSync(sshBack, { force: true });

      let t0 = performance.now();
      const up = await upload(files, [{ local, remote }]);
      ours.up.push(performance.now() - t0);
      if (up.bytes !== SIZE) throw new Error(`upload moved ${up.bytes} bytes, not ${SIZE}`);
      rerunBytes.push((await upload(files, [{ local, remote }])).bytes);

      t0 = performance.now();
      const down = await download(files, [{ local: back, remote }]);
      ours.down.push(performance.now() - t0);
      if (down.bytes !== SIZE || fs.statSync(back).size !== SIZE) throw new Error('download incomplete');

      connectOnly.push(sftp(config, 'pwd\n'));
      theirs.up.push(sftp(config, `put ${sftpArg(local)} ${sftpArg(sshRemote)}\n`));
      theirs.down.push(sftp(config, `get ${sftpArg(sshRemote)} ${sftpArg(sshBack)}\n`));
      if (fs.statSync(sshBack).size !== SIZE) throw new Error('sftp get incomplete');
    }

    const c = median(connectOnly);
    const fluxoUp = mbps(SIZE, median(ours.up));
    const fluxoDown = mbps(SIZE, median(ours.down));
    const sshUp = mbps(SIZE, median(theirs.up) - c);
    const sshDown = mbps(SIZE, median(theirs.down) - c);
    const sshUpWhole = mbps(SIZE, median(theirs.up));
    const sshDownWhole = mbps(SIZE, median(theirs.down));
    console.log(`sftp bench: ${SIZE / 1024 / 1024} MiB file, loopback, cipher ${CIPHER}, median of ${ROUNDS} rounds (sftp connect-only ${c.toFixed(0)} ms subtracted)`);
    console.log(`upload:   fluxo ${fluxoUp.toFixed(0)} MB/s, OpenSSH sftp ${sshUp.toFixed(0)} MB/s (whole command ${sshUpWhole.toFixed(0)} MB/s)`);
    console.log(`download: fluxo ${fluxoDown.toFixed(0)} MB/s, OpenSSH sftp ${sshDown.toFixed(0)} MB/s (whole command ${sshDownWhole.toFixed(0)} MB/s)`);
    console.log(`upload / OpenSSH = ${(fluxoUp / sshUp).toFixed(2)} (goal >= 0.9; ${(fluxoUp / sshUpWhole).toFixed(2)} against the whole command)`);
    console.log(`download / OpenSSH = ${(fluxoDown / sshDown).toFixed(2)} (goal >= 0.8; ${(fluxoDown / sshDownWhole).toFixed(2)} against the whole command)`);
    console.log(`rerun: bytes uploaded ${Math.max(...rerunBytes)}`);
  } finally {
    if (remoteDir) await conn.exec(`rm -rf -- ${quoteValue(remoteDir)}`).catch(() => undefined);
    await conn.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

function randomChunk(n: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let off = 0; off < n; off += 65536) crypto.getRandomValues(b.subarray(off, Math.min(n, off + 65536)));
  return b;
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 1;
});
