/**
 * The decisions of data staging, driven by a RemoteFiles over this computer's filesystem (a test
 * double written here for the pure logic; test/integration/staging.test.ts proves the same
 * behaviour over real SFTP against the lab's sshd): what is skipped, when a .part is resumed,
 * how progress, rate and time left are computed, how many files move at once, and what the user
 * reads when a disk is full.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TransferView } from '../../../shared/api';
import type { ExecResult, RemoteEntry, RemoteFiles, RemoteStat, TransferProgress } from '../../ssh/transport';
import { SshError } from '../../ssh/transport';
import {
  decideByStat,
  download,
  listLocalTree,
  listRemoteTree,
  markerText,
  parseSha256sum,
  remoteChecksum,
  remoteSha256,
  resumeOffset,
  runPool,
  StagingError,
  TransferMeter,
  upload,
} from './staging';

// ------------------------------------------------------------------ the test double

interface DoubleOptions {
  /** Bytes per write/read call. */
  chunk?: number;
  /** Pause after each chunk, to make transfers overlap and to abort them midway. */
  delayMs?: number;
  /** Whether progress counts from 0 (relative) or from the start offset (absolute), since the interface allows both. */
  progress?: 'relative' | 'absolute';
  /** After this many bytes written into remote files, writes fail as a full disk does over SFTP (status 4). */
  remoteSpace?: number;
  /** After this many bytes written into local files by download, fail with ENOSPC. */
  localSpace?: number;
  /** After this many bytes written into remote files, the connection is lost. */
  dropAfter?: number;
  /** Called after each chunk with the bytes written so far in that file (progress views are throttled to 4/s, too coarse to stop at a point). */
  onChunk?: (position: number, size: number) => void;
}

/** RemoteFiles where "remote" paths are paths on this computer. Counts calls and concurrency. */
class LocalFiles implements RemoteFiles {
  calls: Record<string, number> = {};
  active = 0;
  maxActive = 0;
  remoteWritten = 0;
  localWritten = 0;
  constructor(readonly o: DoubleOptions = {}) {}

  private count(op: string) {
    this.calls[op] = (this.calls[op] ?? 0) + 1;
  }
  private fail(e: unknown): never {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new SshError('remote', 'No such file', null, 2);
    throw new SshError('remote', 'Failure', null, 4);
  }
  private static stat(st: fs.Stats): RemoteStat {
    return { size: st.size, mtime: Math.floor(st.mtimeMs / 1000), isDirectory: st.isDirectory(), isFile: st.isFile(), mode: st.mode };
  }
  async realpath(p: string) {
    return fs.promises.realpath(p);
  }
  async stat(p: string) {
    this.count('stat');
    const st = await fs.promises.lstat(p).catch(() => null);
    return st ? LocalFiles.stat(st) : null;
  }
  async list(p: string): Promise<RemoteEntry[]> {
    this.count('list');
    const names = await fs.promises.readdir(p).catch((e: unknown) => this.fail(e));
    return Promise.all(names.map(async (name) => ({ name, ...LocalFiles.stat(await fs.promises.lstat(path.join(p, name))) })));
  }
  async mkdirp(p: string) {
    this.count('mkdirp');
    await fs.promises.mkdir(p, { recursive: true });
  }
  async rename(from: string, to: string) {
    this.count('rename');
    await fs.promises.rename(from, to).catch((e: unknown) => this.fail(e));
  }
  async remove(p: string) {
    this.count('remove');
    await fs.promises.unlink(p).catch((e: unknown) => this.fail(e));
  }
  async setTimes(p: string, atime: number, mtime: number) {
    this.count('setTimes');
    await fs.promises.utimes(p, atime, mtime);
  }
  async readFile(p: string, options: { start?: number; maxBytes?: number } = {}) {
    this.count('readFile');
    const data = await fs.promises.readFile(p).catch((e: unknown) => this.fail(e));
    return data.subarray(options.start ?? 0, options.maxBytes === undefined ? undefined : (options.start ?? 0) + options.maxBytes);
  }
  async writeFile(p: string, data: Buffer | string) {
    this.count('writeFile');
    await fs.promises.writeFile(p, data);
  }
  async upload(local: string, remote: string, options: { start?: number; onProgress?: (p: TransferProgress) => void; signal?: AbortSignal } = {}) {
    this.count('upload');
    await this.copy(local, remote, options, 'remote');
  }
  async download(remote: string, local: string, options: { start?: number; onProgress?: (p: TransferProgress) => void; signal?: AbortSignal } = {}) {
    this.count('download');
    await this.copy(remote, local, options, 'local');
  }

  private async copy(from: string, to: string, options: { start?: number; onProgress?: (p: TransferProgress) => void; signal?: AbortSignal }, side: 'remote' | 'local') {
    this.active++;
    this.maxActive = Math.max(this.maxActive, this.active);
    try {
      const start = options.start ?? 0;
      const data = await fs.promises.readFile(from);
      const out = await fs.promises.open(to, start > 0 ? 'r+' : 'w');
      try {
        const chunk = this.o.chunk ?? 64 * 1024;
        let pos = start;
        do {
          if (options.signal?.aborted) throw new SshError('closed', 'stopped');
          const piece = data.subarray(pos, Math.min(data.length, pos + chunk));
          const space = side === 'remote' ? this.o.remoteSpace : this.o.localSpace;
          const written = side === 'remote' ? this.remoteWritten : this.localWritten;
          if (side === 'remote' && this.o.dropAfter !== undefined && this.remoteWritten >= this.o.dropAfter) throw new SshError('closed', 'The connection closed while trying to write.');
          if (space !== undefined && written + piece.length > space) {
            if (side === 'remote') throw new SshError('remote', 'Failure', null, 4);
            throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
          }
          await out.write(piece, 0, piece.length, pos);
          if (side === 'remote') this.remoteWritten += piece.length;
          else this.localWritten += piece.length;
          pos += piece.length;
          this.o.onChunk?.(pos, data.length);
          const absolute = this.o.progress === 'absolute';
          options.onProgress?.({ transferred: absolute ? pos : pos - start, total: absolute ? data.length : data.length - start });
          if (this.o.delayMs) await sleep(this.o.delayMs);
        } while (pos < data.length);
      } finally {
        await out.close();
      }
    } finally {
      this.active--;
    }
  }
}

// ------------------------------------------------------------------ helpers

let tmp = '';
let src = '';
let dst = '';
beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'fluxo-staging-'));
  src = path.join(tmp, 'src');
  dst = path.join(tmp, 'remote', 'run 1');
  fs.mkdirSync(src, { recursive: true });
});
afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

const sha = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');
const mtimeOf = (file: string) => Math.floor(fs.statSync(file).mtimeMs / 1000);

function write(rel: string, data: string | Buffer, mtime = 1_700_000_000): string {
  const file = path.join(src, rel);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, data);
  fs.utimesSync(file, mtime, mtime);
  return file;
}

function bytes(n: number, seed = 1): Buffer {
  const b = Buffer.alloc(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    b[i] = x >> 16;
  }
  return b;
}

function smallTree(n: number): void {
  for (let i = 0; i < n; i++) write(`d${i % 3}/f${i}.txt`, `file ${i}\n`.repeat(i + 1));
}

/** Runs a command with this computer's bash, as the cluster's login shell would. */
const bashExec = (calls: string[]) => async (command: string): Promise<ExecResult> => {
  calls.push(command);
  const r = spawnSync('bash', ['-c', command], { encoding: 'utf8' });
  return { code: r.status, signal: null, stdout: r.stdout, stderr: r.stderr };
};

// ------------------------------------------------------------------ tests

describe('progress, rate and time left', () => {
  it('reports the rate of the last 3 seconds and the time left at that rate', () => {
    let now = 0;
    const m = new TransferMeter('upload', 2, () => now, undefined);
    m.plan(10_000_000);
    now = 100;
    m.add(100_000);
    expect(m.view().rate).toBeNull(); // 0.1 s of history says nothing yet
    for (let t = 1; t <= 4; t++) {
      now = t * 1000;
      m.add(1_000_000);
    }
    // At 4 s: the window is 1..4 s; 1 MB arrived at 2, 3 and 4 s.
    const v = m.view();
    expect(v.rate).toBeCloseTo(1_000_000, -3);
    expect(v.bytes).toEqual({ done: 4_100_000, total: 10_000_000 });
    expect(v.secondsLeft).toBeCloseTo(5.9, 1);
  });

  it('shows the rate falling to nothing when the link stalls, and no time left it cannot know', () => {
    let now = 0;
    const m = new TransferMeter('download', 1, () => now, undefined);
    m.plan(1_000_000);
    now = 1000;
    m.add(300_000);
    expect(m.view().rate).toBeCloseTo(300_000, -3);
    now = 2500;
    expect(m.view().rate).toBeCloseTo(120_000, -3); // 300 kB over 2.5 s
    now = 5000;
    expect(m.view().rate).toBe(0);
    expect(m.view().secondsLeft).toBeNull();
  });

  it('emits at most about 4 times a second, and always once at the end with the totals', () => {
    let now = 0;
    const views: TransferView[] = [];
    const m = new TransferMeter('upload', 100, () => now, (v) => views.push(v));
    m.plan(100 * 1000);
    for (let i = 0; i < 100; i++) {
      now = i * 10;
      m.add(1000);
      m.fileDone(false);
    }
    expect(views.length).toBeLessThanOrEqual(5); // 1 s of events
    m.finish();
    expect(views.length).toBeLessThanOrEqual(6);
    expect(views.at(-1)).toMatchObject({ files: { done: 100, total: 100, skipped: 0 }, bytes: { done: 100_000, total: 100_000 }, secondsLeft: 0 });
    expect(views.at(-1)!.rate).toBeGreaterThan(0);
  });
});

describe('what is skipped', () => {
  it('decides by size and whole-second mtime, and lets a hash overrule them', () => {
    const s = { size: 10, mtime: 100 };
    expect(decideByStat(s, null, null)).toBe('send');
    expect(decideByStat(s, { size: 11, mtime: 100 }, null)).toBe('send');
    expect(decideByStat(s, { size: 10, mtime: 100 }, null)).toBe('skip');
    expect(decideByStat(s, { size: 10, mtime: 100 }, false)).toBe('send');
    expect(decideByStat(s, { size: 10, mtime: 101 }, null)).toBe('send');
    expect(decideByStat(s, { size: 10, mtime: 101 }, true)).toBe('touch');
  });

  it('uploads a tree, then moves 0 bytes on a rerun, then only the file that changed', async () => {
    smallTree(20);
    const big = write('big.bin', bytes(300_000));
    const files = new LocalFiles();
    const items = await listLocalTree(src, dst);
    expect(items).toHaveLength(21);
    const first = await upload(files, items);
    expect(first).toMatchObject({ files: 21, skipped: 0, bytes: items.reduce((n, i) => n + i.size!, 0) });
    for (const i of items) {
      expect(sha(i.remote)).toBe(sha(i.local));
      expect(mtimeOf(i.remote)).toBe(mtimeOf(i.local));
    }
    // No leftovers of the transfer itself.
    expect(fs.readdirSync(dst).filter((n) => n.includes('.part'))).toEqual([]);

    const views: TransferView[] = [];
    const second = await upload(files, items, { onProgress: (v) => views.push(v) });
    expect(second).toMatchObject({ files: 0, skipped: 21, bytes: 0 });
    expect(views.at(-1)).toMatchObject({ files: { done: 21, total: 21, skipped: 21 }, bytes: { done: 0, total: 0 } });

    fs.writeFileSync(big, bytes(300_000, 2));
    fs.utimesSync(big, 1_700_000_100, 1_700_000_100);
    const third = await upload(files, items);
    expect(third).toMatchObject({ files: 1, skipped: 20, bytes: 300_000 });
    expect(sha(path.join(dst, 'big.bin'))).toBe(sha(big));
  });

  it('with checksums: a file with equal size and time but other bytes is sent; equal bytes with another time only get the time', async () => {
    const a = write('a.txt', 'AAAA');
    const b = write('b.txt', 'BBBB');
    const files = new LocalFiles();
    const items = await listLocalTree(src, dst);
    await upload(files, items);
    // Same size and mtime, other content (a clock that went back, a copy tool that kept times).
    fs.writeFileSync(path.join(dst, 'a.txt'), 'XXXX');
    fs.utimesSync(path.join(dst, 'a.txt'), mtimeOf(a), mtimeOf(a));
    // Same content, another time (copied by hand without keeping times).
    fs.utimesSync(path.join(dst, 'b.txt'), 1_600_000_000, 1_600_000_000);

    const commands: string[] = [];
    const r = await upload(files, items, { checksum: remoteChecksum(bashExec(commands)) });
    expect(r).toMatchObject({ files: 1, skipped: 1, bytes: 4 });
    expect(fs.readFileSync(path.join(dst, 'a.txt'), 'utf8')).toBe('AAAA');
    expect(mtimeOf(path.join(dst, 'b.txt'))).toBe(mtimeOf(b));
    expect(commands).toHaveLength(1); // both hashes in one remote command

    // Without checksums the time difference alone sends b again.
    fs.utimesSync(path.join(dst, 'b.txt'), 1_600_000_000, 1_600_000_000);
    expect(await upload(files, items)).toMatchObject({ files: 1, bytes: 4 });
  });

  it('downloads a tree with the remote times, and a second download moves 0 bytes', async () => {
    smallTree(12);
    const files = new LocalFiles();
    await upload(files, await listLocalTree(src, dst));
    const back = path.join(tmp, 'back');
    const items = await listRemoteTree(files, dst, back);
    expect(items).toHaveLength(12);
    const first = await download(files, items);
    expect(first.files).toBe(12);
    for (const i of items) {
      expect(sha(i.local)).toBe(sha(i.remote));
      expect(mtimeOf(i.local)).toBe(mtimeOf(i.remote));
    }
    expect(await download(files, items)).toMatchObject({ files: 0, skipped: 12, bytes: 0 });
  });
});

describe('resuming a .part', () => {
  const source = { size: 1000, mtime: 1_700_000_000 };

  it('continues only from a shorter .part whose marker names the same source', () => {
    expect(resumeOffset(source, 400, markerText(source))).toBe(400);
    expect(resumeOffset(source, 400, null)).toBe(0);
    expect(resumeOffset(source, 400, markerText({ size: 1000, mtime: 1_700_000_001 }))).toBe(0);
    expect(resumeOffset(source, 400, markerText({ size: 999, mtime: 1_700_000_000 }))).toBe(0);
    expect(resumeOffset(source, 1000, markerText(source))).toBe(1000); // every chunk was in flight when stopped
    expect(resumeOffset(source, 1200, markerText(source))).toBe(0);
    expect(resumeOffset(source, 0, markerText(source))).toBe(0);
    expect(resumeOffset(source, null, markerText(source))).toBe(0);
    expect(resumeOffset(source, 400, '{"size":10')).toBe(0); // cut short by a crash
  });

  for (const progress of ['relative', 'absolute'] as const) {
    it(`an aborted upload leaves a .part and the next run sends only the rest (${progress} progress)`, async () => {
      const data = bytes(2 * 1024 * 1024);
      const big = write('big.bin', data);
      write('small.txt', 'small');
      const items = await listLocalTree(src, dst);
      const abort = new AbortController();
      const files = new LocalFiles({ chunk: 64 * 1024, delayMs: 1, progress, onChunk: (pos, size) => size === data.length && pos >= size / 2 && abort.abort() });
      const error = await upload(files, items, { signal: abort.signal }).then(() => null, (e: unknown) => e);
      expect(error).toBeInstanceOf(StagingError);
      expect((error as StagingError).kind).toBe('aborted');
      const finalName = path.join(dst, 'big.bin');
      expect(fs.existsSync(finalName)).toBe(false); // never a partial file under its final name
      const partSize = fs.statSync(`${finalName}.part`).size;
      expect(partSize).toBeGreaterThan(0);
      expect(partSize).toBeLessThan(data.length);
      expect(JSON.parse(fs.readFileSync(`${finalName}.part.src`, 'utf8'))).toEqual({ size: data.length, mtime: mtimeOf(big) });

      const smallLeft = fs.existsSync(path.join(dst, 'small.txt')) ? 0 : 'small'.length;
      const views: TransferView[] = [];
      const overlap = 64 * 1024;
      const second = await upload(files, items, { onProgress: (v) => views.push(v), resumeOverlapBytes: overlap });
      // The end of the .part is sent again, in case parallel writes left a gap there.
      expect(second.bytes).toBe(data.length - partSize + Math.min(overlap, partSize) + smallLeft);
      expect(sha(finalName)).toBe(sha(big));
      expect(fs.existsSync(`${finalName}.part`)).toBe(false);
      expect(fs.existsSync(`${finalName}.part.src`)).toBe(false);
      expect(views.at(-1)!.bytes.done).toBe(second.bytes);
    });
  }

  it('starts again when the source changed since the .part was written', async () => {
    const data = bytes(2 * 1024 * 1024);
    const big = write('big.bin', data);
    const items = await listLocalTree(src, dst);
    const files = new LocalFiles();
    fs.mkdirSync(dst, { recursive: true });
    // The start of an older version of the file, one minute older.
    fs.writeFileSync(path.join(dst, 'big.bin.part'), bytes(1000, 99));
    fs.writeFileSync(path.join(dst, 'big.bin.part.src'), markerText({ size: data.length, mtime: mtimeOf(big) - 60 }));
    const r = await upload(files, items, { resumeOverlapBytes: 0 });
    expect(r.bytes).toBe(data.length);
    expect(sha(path.join(dst, 'big.bin'))).toBe(sha(big));
  });

  it('starts again when a .part has no marker', async () => {
    const data = bytes(2 * 1024 * 1024);
    const big = write('big.bin', data);
    const files = new LocalFiles();
    fs.mkdirSync(dst, { recursive: true });
    fs.writeFileSync(path.join(dst, 'big.bin.part'), Buffer.alloc(1000)); // zeros: resuming would corrupt
    const r = await upload(files, await listLocalTree(src, dst), { resumeOverlapBytes: 0 });
    expect(r.bytes).toBe(data.length);
    expect(sha(path.join(dst, 'big.bin'))).toBe(sha(big));
  });

  it('with checksums, a resumed copy whose first bytes differ is sent again whole', async () => {
    const data = bytes(2 * 1024 * 1024);
    const big = write('big.bin', data);
    const files = new LocalFiles();
    fs.mkdirSync(dst, { recursive: true });
    // The marker matches but the bytes do not (a .part written by something else).
    fs.writeFileSync(path.join(dst, 'big.bin.part'), Buffer.alloc(1000));
    fs.writeFileSync(path.join(dst, 'big.bin.part.src'), markerText({ size: data.length, mtime: mtimeOf(big) }));
    const r = await upload(files, await listLocalTree(src, dst), { checksum: remoteChecksum(bashExec([])), resumeOverlapBytes: 0 });
    expect(r.bytes).toBe(data.length - 1000 + data.length);
    expect(sha(path.join(dst, 'big.bin'))).toBe(sha(big));
  });

  it('an aborted download resumes from the local .part', async () => {
    const data = bytes(2 * 1024 * 1024, 7);
    write('big.bin', data);
    await upload(new LocalFiles(), await listLocalTree(src, dst));
    const back = path.join(tmp, 'back');
    const items = await listRemoteTree(new LocalFiles(), dst, back);
    const abort = new AbortController();
    const files = new LocalFiles({ chunk: 64 * 1024, onChunk: (pos, size) => pos > size / 3 && abort.abort() });
    const e = await download(files, items, { signal: abort.signal }).catch((x: unknown) => x);
    expect((e as StagingError).kind).toBe('aborted');
    expect(fs.existsSync(path.join(back, 'big.bin'))).toBe(false);
    const partSize = fs.statSync(path.join(back, 'big.bin.part')).size;
    const r = await download(files, items, { resumeOverlapBytes: 0 });
    expect(r.bytes).toBe(data.length - partSize);
    expect(sha(path.join(back, 'big.bin'))).toBe(sha(path.join(dst, 'big.bin')));
    expect(fs.readdirSync(back)).toEqual(['big.bin']);
  });
});

describe('many files at once', () => {
  it('moves up to 8 files at a time by default, or as many as asked', async () => {
    smallTree(40);
    const items = await listLocalTree(src, dst);
    const files = new LocalFiles({ delayMs: 20 });
    await upload(files, items);
    expect(files.maxActive).toBe(8);
    fs.rmSync(dst, { recursive: true });
    const three = new LocalFiles({ delayMs: 20 });
    await upload(three, items, { concurrency: 3 });
    expect(three.maxActive).toBe(3);
  });

  it('lists each remote folder once instead of asking about each file', async () => {
    smallTree(30); // 3 folders
    const files = new LocalFiles();
    const items = await listLocalTree(src, dst);
    await upload(files, items);
    const before = { ...files.calls };
    await upload(files, items);
    expect((files.calls.list ?? 0) - (before.list ?? 0)).toBe(3);
    expect((files.calls.stat ?? 0) - (before.stat ?? 0)).toBe(0);
  });

  it('stops handing out work after the first failure and reports that failure', async () => {
    const started: number[] = [];
    const e = await runPool([1, 2, 3, 4, 5, 6], 2, async (n) => {
      started.push(n);
      await sleep(5);
      if (n === 2) throw new Error('two failed');
    }).catch((x: unknown) => x);
    expect((e as Error).message).toBe('two failed');
    expect(started.length).toBeLessThan(6);
  });
});

describe('when a disk is full', () => {
  it("says the cluster's disk or quota is full, names the file, and leaves nothing under the final name", async () => {
    const big = write('big.bin', bytes(2 * 1024 * 1024));
    const files = new LocalFiles({ remoteSpace: 1024 * 1024 });
    const e = (await upload(files, await listLocalTree(src, dst)).catch((x: unknown) => x)) as StagingError;
    expect(e).toBeInstanceOf(StagingError);
    expect(e.kind).toBe('cluster-disk-full');
    expect(e.message).toContain(big);
    expect(e.message).toContain("the cluster's disk (or your quota) is full");
    expect(e.hint).toMatch(/free some space.*or choose another work root/i);
    expect(fs.existsSync(path.join(dst, 'big.bin'))).toBe(false);
  });

  it("says this computer's disk is full when a download cannot be written", async () => {
    write('big.bin', bytes(2 * 1024 * 1024));
    await upload(new LocalFiles(), await listLocalTree(src, dst));
    const back = path.join(tmp, 'back');
    const files = new LocalFiles({ localSpace: 1024 * 1024 });
    const e = (await download(files, await listRemoteTree(files, dst, back)).catch((x: unknown) => x)) as StagingError;
    expect(e.kind).toBe('local-disk-full');
    expect(e.message).toContain(path.join(dst, 'big.bin'));
    expect(e.message).toContain("this computer's disk is full");
    expect(e.hint).toMatch(/free some space on this computer/i);
    expect(fs.existsSync(path.join(back, 'big.bin'))).toBe(false);
  });
});

describe('when the connection is lost', () => {
  it('passes the transport error through unchanged, so the caller can wait and resume', async () => {
    const data = bytes(2 * 1024 * 1024);
    const big = write('big.bin', data);
    const items = await listLocalTree(src, dst);
    const e = await upload(new LocalFiles({ dropAfter: 1024 * 1024 }), items).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(SshError);
    expect((e as SshError).kind).toBe('closed');
    expect(fs.existsSync(path.join(dst, 'big.bin'))).toBe(false);
    const r = await upload(new LocalFiles(), items, { resumeOverlapBytes: 0 });
    expect(r.bytes).toBe(data.length - 1024 * 1024);
    expect(sha(path.join(dst, 'big.bin'))).toBe(sha(big));
  });
});

describe('listing', () => {
  it('follows links inside the folder only, never loops, and leaves out partial files and exclusions', async () => {
    write('a/one.txt', '1');
    write('two.txt', '2');
    write('skip/me.txt', 'x');
    write('leftover.bin.part', 'p');
    write('leftover.bin.part.src', '{}');
    const outside = path.join(tmp, 'secret.txt');
    fs.writeFileSync(outside, 'not yours');
    fs.symlinkSync(path.join(src, 'two.txt'), path.join(src, 'link-to-two.txt'));
    fs.symlinkSync(outside, path.join(src, 'link-out.txt'));
    fs.symlinkSync(path.join(src, 'a'), path.join(src, 'a', 'loop'));
    fs.symlinkSync(path.join(src, 'a'), path.join(src, 'alias'));
    const outsideLinks: string[] = [];
    const items = await listLocalTree(src, '/r', { exclude: (rel) => rel === 'skip', onOutsideLink: (p) => outsideLinks.push(p) });
    expect(items.map((i) => i.remote).sort()).toEqual(['/r/a/one.txt', '/r/alias/one.txt', '/r/link-to-two.txt', '/r/two.txt']);
    expect(outsideLinks).toEqual([path.join(src, 'link-out.txt')]);
  });

  it('lists a remote tree recursively with local places, and fails for a folder that is not there', async () => {
    smallTree(6);
    await upload(new LocalFiles(), await listLocalTree(src, dst));
    fs.writeFileSync(path.join(dst, 'x.part'), 'partial');
    const items = await listRemoteTree(new LocalFiles(), dst, '/here', { filter: (rel) => rel !== 'd2' });
    expect(items.map((i) => i.local).sort()).toEqual(['/here/d0/f0.txt', '/here/d0/f3.txt', '/here/d1/f1.txt', '/here/d1/f4.txt']);
    await expect(listRemoteTree(new LocalFiles(), path.join(tmp, 'nowhere'), '/here')).rejects.toBeInstanceOf(SshError);
  });
});

describe('remote sha256', () => {
  it('hashes many files, whatever their names, in one quoted sha256sum command', async () => {
    const names = ["it's here.txt", 'dollar $(touch pwned) `x`.txt', 'new\nline.txt', 'back\\slash.txt', '-n'];
    const paths = names.map((n, i) => {
      const p = path.join(tmp, n);
      fs.writeFileSync(p, `content ${i}`);
      return p;
    });
    const missing = path.join(tmp, 'missing.txt');
    const commands: string[] = [];
    const hashes = await remoteSha256(bashExec(commands), [...paths, missing]);
    expect(commands).toHaveLength(1);
    expect(commands[0]).toMatch(/^sha256sum -- /);
    for (const p of paths) expect(hashes.get(p)).toBe(sha(p));
    expect(hashes.get(missing)).toBeNull();
    expect(fs.existsSync(path.join(tmp, 'pwned'))).toBe(false);
  });

  it('reads escaped names the way GNU sha256sum writes them', () => {
    const h = 'a'.repeat(64);
    const m = parseSha256sum(`${h}  /plain name\n\\${h}  /with\\nnewline and \\\\ backslash\n`);
    expect(m.get('/plain name')).toBe(h);
    expect(m.get('/with\nnewline and \\ backslash')).toBe(h);
  });

  it('says so when the cluster has no sha256sum', async () => {
    const exec = async (): Promise<ExecResult> => ({ code: 127, signal: null, stdout: '', stderr: 'sha256sum: command not found' });
    await expect(remoteSha256(exec, ['/a'])).rejects.toThrow(/not installed on the cluster/);
  });
});
