import { createWriteStream, promises as fs } from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { create as createTar } from 'tar';
import type { ExportedRun, RunFileChunk, RunFolderListing, RunRecord } from '../../shared/api';
import { ErrorCode, fail } from '../../shared/api';
import { describeIoError } from './fsutil';

/** The largest piece one readRange call returns: enough for a page of a table, small over IPC. */
export const MAX_RANGE_BYTES = 1024 * 1024;
/** A folder output (a DICOM series, a folder of slices) lists at most this many files. */
export const MAX_LISTED_FILES = 5000;

/**
 * Resolves a run-relative path to a real path inside the run folder, or fails with E404.
 * INVARIANT: nothing outside the run folder (symlinks included) is reachable through the contract.
 */
export async function confine(runDir: string, rel: string): Promise<{ root: string; real: string }> {
  const root = await fs.realpath(runDir).catch(() => fail(ErrorCode.RunFileMissing, 'the run folder no longer exists'));
  const real = await fs.realpath(path.resolve(root, rel)).catch(() => null);
  if (!real || (real !== root && !real.startsWith(root + path.sep))) fail(ErrorCode.RunFileMissing, `the run has no file "${rel}"`);
  return { root, real };
}

/** Reads `length` bytes from `offset` of a run file: large tables are read a piece at a time. */
export async function readRange(runDir: string, rel: string, offset: number, length: number): Promise<RunFileChunk> {
  const { real } = await confine(runDir, rel);
  const st = await fs.stat(real);
  if (!st.isFile()) fail(ErrorCode.RunFileMissing, `"${rel}" is not a file`);
  const want = Math.max(0, Math.min(length, MAX_RANGE_BYTES, st.size - offset));
  const buffer = Buffer.alloc(want);
  let read = 0;
  if (want > 0) {
    const handle = await fs.open(real, 'r');
    try {
      // A read can return fewer bytes than asked; loop until the piece is whole or the file ends.
      while (read < want) {
        const r = await handle.read(buffer, read, want - read, offset + read);
        if (r.bytesRead === 0) break;
        read += r.bytesRead;
      }
    } finally {
      await handle.close();
    }
  }
  return { path: rel, size: st.size, offset, base64: buffer.subarray(0, read).toString('base64'), eof: offset + read >= st.size };
}

/** The files of a folder output (sorted by name), e.g. the slices of a DICOM series. */
export async function listFolder(runDir: string, rel: string): Promise<RunFolderListing> {
  const { root, real } = await confine(runDir, rel);
  const st = await fs.stat(real);
  if (!st.isDirectory()) fail(ErrorCode.RunFileMissing, `"${rel}" is not a folder`);
  const dirents = await fs.readdir(real, { withFileTypes: true });
  const base = path.relative(root, real).split(path.sep).join('/');
  const entries: RunFolderListing['entries'] = [];
  for (const d of dirents.sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true }))) {
    if (d.name.startsWith('.') || !(d.isFile() || d.isDirectory())) continue;
    if (entries.length >= MAX_LISTED_FILES) break;
    const size = d.isFile() ? (await fs.stat(path.join(real, d.name))).size : 0;
    entries.push({ name: d.name, path: base ? `${base}/${d.name}` : d.name, kind: d.isFile() ? 'file' : 'folder', size });
  }
  return { path: base, entries, truncated: dirents.filter((d) => !d.name.startsWith('.')).length > entries.length };
}

/** What an export holds: every step's outputs and every log, plus the run's record and pipeline. */
async function exportedEntries(root: string): Promise<string[]> {
  const names = ['run.json', 'pipeline.fluxo', 'steps', 'logs'];
  const present: string[] = [];
  for (const n of names) if (await fs.stat(path.join(root, n)).catch(() => null)) present.push(n);
  return present;
}

/** Every regular file under `dir`, run-relative with forward slashes; symlinks are not followed. */
async function walk(root: string, rel: string, out: string[]): Promise<void> {
  const full = path.join(root, rel);
  const st = await fs.lstat(full);
  if (st.isFile()) out.push(rel.split(path.sep).join('/'));
  else if (st.isDirectory()) for (const name of (await fs.readdir(full)).sort()) await walk(root, path.join(rel, name), out);
}

/** The archive format from the destination's name: .zip, or .tar.gz / .tgz. */
export function archiveFormat(dest: string): 'zip' | 'tar.gz' | null {
  const lower = dest.toLowerCase();
  if (lower.endsWith('.zip')) return 'zip';
  if (lower.endsWith('.tar.gz') || lower.endsWith('.tgz')) return 'tar.gz';
  return null;
}

/** Writes the run's outputs and logs to a .zip or .tar.gz at `dest`, inside a folder named after the run. */
export async function exportRun(record: RunRecord, dest: string): Promise<ExportedRun> {
  const format = archiveFormat(dest);
  if (!format) fail(ErrorCode.BadRequest, `"${path.basename(dest)}" is neither a .zip nor a .tar.gz file`, 'End the file name with .zip or .tar.gz.');
  const root = await fs.realpath(record.runDir).catch(() => fail(ErrorCode.RunFileMissing, 'the run folder no longer exists'));
  const target = path.resolve(dest);
  if (target === root || target.startsWith(root + path.sep)) fail(ErrorCode.ExportFailed, 'the archive cannot be written inside the run folder it holds', 'Choose another folder.');
  const files: string[] = [];
  for (const entry of await exportedEntries(root)) await walk(root, entry, files);
  const tmp = `${target}.part-${process.pid}`;
  try {
    await fs.mkdir(path.dirname(target), { recursive: true });
    if (format === 'tar.gz') await createTar({ gzip: true, file: tmp, cwd: root, portable: true, prefix: record.id }, files);
    else await writeZip(root, files, record.id, tmp);
    await fs.rename(tmp, target);
  } catch (e) {
    await fs.rm(tmp, { force: true }).catch(() => undefined);
    fail(ErrorCode.ExportFailed, `could not write ${target}: ${describeIoError(e)}`, 'Free some space or choose another folder.');
  }
  const st = await fs.stat(target);
  return { path: target, format, files: files.length, bytes: st.size };
}

/** A plain zip (deflate, no zip64): a run's outputs are far below 4 GB per file in practice. */
async function writeZip(root: string, files: string[], prefix: string, dest: string): Promise<void> {
  const out = createWriteStream(dest);
  const write = (b: Buffer) => new Promise<void>((resolve, reject) => out.write(b, (e) => (e ? reject(e) : resolve())));
  const central: Buffer[] = [];
  let offset = 0;
  const { time, date } = dosTime(new Date());
  try {
    for (const rel of files) {
      const data = await fs.readFile(path.join(root, rel));
      if (data.length >= 0xffffffff) throw new Error(`${rel} is larger than 4 GB; export as .tar.gz instead`);
      const packed = zlib.deflateRawSync(data);
      const crc = zlib.crc32(data);
      const name = Buffer.from(`${prefix}/${rel}`, 'utf8');
      const local = Buffer.alloc(30);
      local.writeUInt32LE(0x04034b50, 0);
      local.writeUInt16LE(20, 4);
      local.writeUInt16LE(0x0800, 6); // UTF-8 names
      local.writeUInt16LE(8, 8);
      local.writeUInt16LE(time, 10);
      local.writeUInt16LE(date, 12);
      local.writeUInt32LE(crc, 14);
      local.writeUInt32LE(packed.length, 18);
      local.writeUInt32LE(data.length, 22);
      local.writeUInt16LE(name.length, 26);
      local.writeUInt16LE(0, 28);
      const header = Buffer.alloc(46);
      header.writeUInt32LE(0x02014b50, 0);
      header.writeUInt16LE(0x031e, 4); // made by Unix, spec 3.0
      header.writeUInt16LE(20, 6);
      header.writeUInt16LE(0x0800, 8);
      header.writeUInt16LE(8, 10);
      header.writeUInt16LE(time, 12);
      header.writeUInt16LE(date, 14);
      header.writeUInt32LE(crc, 16);
      header.writeUInt32LE(packed.length, 20);
      header.writeUInt32LE(data.length, 24);
      header.writeUInt16LE(name.length, 28);
      header.writeUInt32LE((0o100644 << 16) >>> 0, 38);
      header.writeUInt32LE(offset, 42);
      central.push(header, name);
      await write(Buffer.concat([local, name]));
      await write(packed);
      offset += local.length + name.length + packed.length;
    }
    const dir = Buffer.concat(central);
    const end = Buffer.alloc(22);
    end.writeUInt32LE(0x06054b50, 0);
    end.writeUInt16LE(files.length, 8);
    end.writeUInt16LE(files.length, 10);
    end.writeUInt32LE(dir.length, 12);
    end.writeUInt32LE(offset, 16);
    await write(Buffer.concat([dir, end]));
  } finally {
    await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())));
  }
}

function dosTime(d: Date): { time: number; date: number } {
  return {
    time: (d.getHours() << 11) | (d.getMinutes() << 5) | Math.floor(d.getSeconds() / 2),
    date: ((Math.max(1980, d.getFullYear()) - 1980) << 9) | ((d.getMonth() + 1) << 5) | d.getDate(),
  };
}
