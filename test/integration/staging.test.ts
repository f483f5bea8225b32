// @vitest-environment node
/**
 * Data staging over real SFTP to the lab's sshd (test/cluster/lab.sh), as the lab's ordinary
 * user, through the app's own transport: a tree of 100 small files and one 20 MB file goes up
 * byte for byte (checked with sha256sum on the cluster), a rerun moves nothing, a change moves
 * only the changed file, an upload cut off halfway resumes without sending everything again,
 * no partial file ever shows under its final name, and the tree comes back the same way.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quoteValue } from '../../shared/compiler/quote';
import { connect } from '../../electron/ssh/ssh2Transport';
import type { Prompter, RemoteFiles, RemoteStat, SshConnection, TransferProgress } from '../../electron/ssh/transport';
import type { StageItem } from '../../electron/targets/slurm/staging';
import { download, listLocalTree, listRemoteTree, remoteChecksum, remoteSha256, StagingError, upload } from '../../electron/targets/slurm/staging';
import type { Lab } from '../cluster/lab';
import { labRequired, openLab } from '../cluster/lab';

const gate = openLab();
if (gate.reason !== undefined) console.log(`staging.test.ts: skipped, ${gate.reason}`);
const describeLab = gate.lab === undefined ? describe.skip : describe;

const BIG = 20 * 1024 * 1024;
const SMALL = 100;

/** Tests answer no question: a host key or password prompt here would be a bug. */
const refuse: Prompter = {
  confirmHostKey: async () => false,
  ask: async () => null,
};

function labConnect(lab: Lab): Promise<SshConnection> {
  const env = lab.env;
  return connect(
    {
      endpoint: { host: '127.0.0.1', port: Number(env.LAB_SSH_PORT), user: lab.user },
      jumps: [],
      auth: [{ kind: 'key', file: env.LAB_SSH_KEY! }],
      knownHosts: [env.LAB_KNOWN_HOSTS!],
    },
    refuse,
  );
}

const sha = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

function pseudoRandom(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  let x = seed >>> 0;
  for (let i = 0; i < n; i += 4) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    b.writeUInt32LE(x, i);
  }
  return b;
}

/**
 * The real SFTP RemoteFiles, watched: every write must target a ".part" name, and while the big
 * file is being written its final name must not exist. `onBigProgress` sees each chunk of it
 * (the staging progress view is throttled to 4/s, too coarse to stop at a point).
 */
function watched(inner: RemoteFiles, bigRemote: string, onBigProgress?: (p: TransferProgress) => void) {
  const report = { writesToFinalNames: [] as string[], finalSeenWhileWriting: [] as Array<RemoteStat | null>, partSeenWhileWriting: 0, checks: [] as Array<Promise<void>> };
  const files: RemoteFiles = Object.create(inner) as RemoteFiles;
  files.upload = (local, remote, options = {}) => {
    if (!remote.endsWith('.part')) report.writesToFinalNames.push(remote);
    let checked = false;
    return inner.upload(local, remote, {
      ...options,
      onProgress: (p) => {
        options.onProgress?.(p);
        if (remote !== `${bigRemote}.part`) return;
        onBigProgress?.(p);
        if (!checked && p.transferred > p.total / 4) {
          checked = true;
          report.checks.push(
            Promise.all([inner.stat(bigRemote), inner.stat(remote)]).then(([final, part]) => {
              report.finalSeenWhileWriting.push(final);
              if (part?.isFile) report.partSeenWhileWriting++;
            }),
          );
        }
      },
    });
  };
  return { files, report };
}

describeLab('staging over SFTP to the cluster lab', () => {
  const lab = gate.lab as Lab;
  let conn: SshConnection;
  let files: RemoteFiles;
  let tmp = '';
  let src = '';
  let remoteRoot = '';
  let bigLocal = '';
  let bigRemote = '';
  let items: StageItem[] = [];
  const exec = (command: string) => conn.exec(command);

  beforeAll(async () => {
    conn = await labConnect(lab);
    files = await conn.files();
    const home = await files.realpath('.');
    remoteRoot = path.posix.join(home, `fluxo-staging-test-${Date.now().toString(36)}-${process.pid}`, "inputs it's");
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fluxo-staging-it-'));
    src = path.join(tmp, 'src');
    for (let i = 0; i < SMALL; i++) {
      const file = path.join(src, `group ${i % 5}`, `sample-${i}.csv`);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, `id,value\n${i},${'x'.repeat(i * 37)}\n`);
    }
    bigLocal = path.join(src, 'reads.fastq');
    fs.writeFileSync(bigLocal, pseudoRandom(BIG, 42));
    bigRemote = path.posix.join(remoteRoot, 'reads.fastq');
    items = await listLocalTree(src, remoteRoot);
  });

  afterAll(async () => {
    if (conn && remoteRoot) {
      const top = path.posix.dirname(remoteRoot);
      if (/\/fluxo-staging-test-[a-z0-9]+-\d+$/.test(top)) await conn.exec(`rm -rf -- ${quoteValue(top)}`);
      await conn.close();
    }
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('an upload stopped partway leaves only a .part, and the next one resumes it to an intact file', async () => {
    const abort = new AbortController();
    // Stopped at the first chunk of the big file: the transport keeps ~16 MB of writes in flight
    // (64 x 255 KiB), which still land, so stopping at half of 20 MB would leave a complete .part.
    const { files: watchedFiles, report } = watched(files, bigRemote, () => abort.abort());
    const error = await upload(watchedFiles, items, { signal: abort.signal }).then(() => null, (e: unknown) => e);
    expect(error).toBeInstanceOf(StagingError);
    expect((error as StagingError).kind).toBe('aborted');
    await Promise.all(report.checks);
    expect(await files.stat(bigRemote)).toBeNull();
    const part = await files.stat(`${bigRemote}.part`);
    expect(part?.size).toBeGreaterThan(0);
    expect(part!.size).toBeLessThan(BIG);

    const again = watched(files, bigRemote);
    const r = await upload(again.files, items);
    await Promise.all(again.report.checks);
    expect(r.bytes).toBeLessThan(BIG);
    // What was there is not sent again (but for the 2 MiB resent at the end of a .part).
    const smallBytes = items.filter((i) => i.remote !== bigRemote).reduce((n, i) => n + fs.statSync(i.local).size, 0);
    expect(r.bytes).toBeLessThanOrEqual(BIG - part!.size + 2 * 1024 * 1024 + smallBytes);
    expect(r.files).toBeGreaterThanOrEqual(1);
    expect(r.files + r.skipped).toBe(SMALL + 1);

    // Never a partial file under its final name: every write went to a .part, and the final name
    // did not exist while the big file was on its way.
    expect([...report.writesToFinalNames, ...again.report.writesToFinalNames]).toEqual([]);
    const seen = [...report.finalSeenWhileWriting, ...again.report.finalSeenWhileWriting];
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((s) => s === null)).toBe(true);
    expect(report.partSeenWhileWriting + again.report.partSeenWhileWriting).toBe(seen.length);
  });

  it('the whole tree is on the cluster byte for byte, with no partial files left', async () => {
    const hashes = await remoteSha256(exec, items.map((i) => i.remote));
    for (const i of items) expect(hashes.get(i.remote), i.remote).toBe(sha(i.local));
    const listed = await listRemoteTree(files, remoteRoot, '/nowhere');
    expect(listed).toHaveLength(SMALL + 1);
    const leftovers = await conn.exec(`find ${quoteValue(remoteRoot)} -name '*.part*'`);
    expect(leftovers.stdout).toBe('');
  });

  it('a second upload moves 0 bytes, even when confirmed by checksums', async () => {
    const r = await upload(files, items);
    expect(r).toMatchObject({ files: 0, skipped: SMALL + 1, bytes: 0 });
    const commands: string[] = [];
    const checked = await upload(files, items, { checksum: remoteChecksum((c) => (commands.push(c), conn.exec(c))) });
    expect(checked).toMatchObject({ files: 0, skipped: SMALL + 1, bytes: 0 });
    expect(commands).toHaveLength(1); // one sha256sum for 101 files
  });

  it('after one file changes, only that file moves', async () => {
    const changed = items.find((i) => i.local.endsWith('sample-7.csv'))!;
    fs.appendFileSync(changed.local, '7,changed\n');
    const t = Math.floor(Date.now() / 1000) + 5;
    fs.utimesSync(changed.local, t, t);
    const r = await upload(files, items);
    expect(r).toMatchObject({ files: 1, skipped: SMALL, bytes: fs.statSync(changed.local).size });
    expect((await remoteSha256(exec, [changed.remote])).get(changed.remote)).toBe(sha(changed.local));
  });

  it('the tree comes back the same way: intact, resumable, and 0 bytes the second time', async () => {
    const back = path.join(tmp, 'back');
    const remoteItems = await listRemoteTree(files, remoteRoot, back);
    expect(remoteItems).toHaveLength(SMALL + 1);

    // Cut off a third of the way through the big file.
    const abort = new AbortController();
    const cutting: RemoteFiles = Object.create(files) as RemoteFiles;
    cutting.download = (remote, local, options = {}) =>
      files.download(remote, local, {
        ...options,
        onProgress: (p) => {
          options.onProgress?.(p);
          if (remote === bigRemote && p.transferred >= p.total / 3) abort.abort();
        },
      });
    const error = await download(cutting, remoteItems, { signal: abort.signal }).then(() => null, (e: unknown) => e);
    expect((error as StagingError).kind).toBe('aborted');
    const bigBack = path.join(back, 'reads.fastq');
    expect(fs.existsSync(bigBack)).toBe(false);
    expect(fs.statSync(`${bigBack}.part`).size).toBeGreaterThan(0);

    const r = await download(files, remoteItems);
    expect(r.bytes).toBeLessThan(items.reduce((n, i) => n + fs.statSync(i.local).size, 0));
    for (const i of items) {
      const local = path.join(back, path.relative(src, i.local));
      expect(sha(local), local).toBe(sha(i.local));
    }
    const names = fs.readdirSync(back, { recursive: true }).map(String);
    expect(names.filter((n) => n.includes('.part'))).toEqual([]);
    expect(await download(files, remoteItems)).toMatchObject({ files: 0, skipped: SMALL + 1, bytes: 0 });
  });
});

describe.runIf(gate.lab === undefined && labRequired())('staging: the cluster lab', () => {
  it('is up', () => {
    expect.fail(gate.reason);
  });
});
