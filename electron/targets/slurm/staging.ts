/**
 * Data staging between this computer and a cluster over SFTP: inputs and bundles up, results back.
 *
 * INVARIANT: a file under its final name is always complete. Bytes go to "<name>.part" and are
 * renamed over the final name only once the whole size has arrived, in both directions.
 *
 * INVARIANT: a rerun of an unchanged tree moves 0 bytes. A file counts as unchanged when size and
 * modification time (whole seconds) agree; that is why every finished copy gets its source's mtime.
 * With a checksum function the sha256 confirms (or overrules) what size and time say.
 *
 * Resuming: a "<name>.part" smaller than its source continues near its size, but only when
 * "<name>.part.src" (written before the first byte) names the same source size and mtime; anything
 * else starts again from 0, so bytes of an older version of a file are never reused. The last
 * `resumeOverlapBytes` of a .part are sent again: chunks go in parallel, and a process killed
 * mid-write can leave the end of a .part with a gap that its size does not show.
 */
import { createHash } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import path from 'node:path';
import type { TransferView } from '../../../shared/api';
import { quoteValue } from '../../../shared/compiler/quote';
import type { ExecOptions, ExecResult, RemoteEntry, RemoteFiles, TransferProgress } from '../../ssh/transport';
import { SshError } from '../../ssh/transport';

/** One file to move. `local` is an absolute local path, `remote` an absolute POSIX path. */
export interface StageItem {
  local: string;
  remote: string;
  /** Size when already known (listing); informational, the transfer stats the source itself. */
  size?: number;
}

export interface StageResult {
  /** Files actually moved. */
  files: number;
  /** Files left alone because the destination already had them. */
  skipped: number;
  /** Bytes moved (a resumed file counts only what was sent this time). */
  bytes: number;
  seconds: number;
}

export interface StageOptions {
  /** File transfers at once (default 8); the transport's channel pool is the real limit below this. */
  concurrency?: number;
  /**
   * sha256 (hex) of a remote file, null when it cannot be computed. When given, "unchanged" is
   * confirmed by hash, and a file whose hash already matches only gets its time set. See
   * remoteChecksum() for one that batches many files into one remote command.
   */
  checksum?: (remotePath: string) => Promise<string | null>;
  /** At most ~4 times a second while moving, plus once at the end. */
  onProgress?: (view: TransferView) => void;
  /** Stops promptly; a .part stays behind for the next attempt to resume. */
  signal?: AbortSignal;
  /** What the progress view calls a file (default: the local path going up, the remote path coming down). */
  label?: (item: StageItem) => string;
  /**
   * Files smaller than this (default 1 MiB) are not resumed: they are sent again whole, which is
   * cheaper than writing and later reading a marker for them.
   */
  resumeMinBytes?: number;
  /** Bytes at the end of a .part sent again on resume (default 2 MiB; see the file comment). */
  resumeOverlapBytes?: number;
  /** Milliseconds; tests drive the progress clock. */
  now?: () => number;
}

export type StagingErrorKind = 'cluster-disk-full' | 'local-disk-full' | 'aborted' | 'incomplete' | 'failed';

/** A transfer that could not finish, in words for the person who started it. */
export class StagingError extends Error {
  constructor(
    readonly kind: StagingErrorKind,
    message: string,
    /** One line telling the user what to do. */
    readonly hint: string | null,
    /** The file concerned (local path going up, remote path coming down); null for the whole transfer. */
    readonly file: string | null,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = kind === 'aborted' ? 'AbortError' : 'StagingError';
  }
}

// ------------------------------------------------------------------ listing

/** Names the staging code itself leaves behind; never data. */
export function isPartialName(name: string): boolean {
  return name.endsWith('.part') || name.endsWith('.part.src');
}

/**
 * Every file under `localDir` (recursively) with its place under `remoteDir`. Symbolic links are
 * followed only when they point inside `localDir`, so a link cannot upload someone's home folder;
 * links that lead outside are reported through `onOutsideLink` and left out.
 */
export async function listLocalTree(
  localDir: string,
  remoteDir: string,
  options: { exclude?: (relativePath: string) => boolean; onOutsideLink?: (localPath: string) => void } = {},
): Promise<StageItem[]> {
  const root = await fs.realpath(localDir);
  const items: StageItem[] = [];
  const inside = (real: string) => real === root || real.startsWith(root + path.sep);

  /** `ancestors`: real paths of the folders from the root down to `dir`, to refuse links that loop. */
  async function walk(dir: string, rel: string[], ancestors: string[]): Promise<void> {
    const entries = await fs.readdir(dir, { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      if (isPartialName(entry.name)) continue;
      const relPath = [...rel, entry.name];
      const relPosix = relPath.join('/');
      if (options.exclude?.(relPosix)) continue;
      const full = path.join(dir, entry.name);
      let isDir = entry.isDirectory();
      let isFile = entry.isFile();
      let real = path.join(ancestors[ancestors.length - 1]!, entry.name);
      if (entry.isSymbolicLink()) {
        const target = await fs.realpath(full).catch(() => null);
        if (target === null) continue; // dangling
        real = target;
        if (!inside(real)) {
          options.onOutsideLink?.(full);
          continue;
        }
        const st = await fs.stat(real);
        isDir = st.isDirectory();
        isFile = st.isFile();
        // A link to a folder we are inside would loop forever; other links to folders are copied like `cp -rL`.
        if (isDir && ancestors.includes(real)) continue;
      }
      if (isDir) await walk(full, relPath, [...ancestors, real]);
      else if (isFile) {
        const st = await fs.stat(full);
        items.push({ local: full, remote: path.posix.join(remoteDir, ...relPath), size: st.size });
      }
    }
  }

  await walk(localDir, [], [root]);
  return items;
}

/**
 * Every regular file under `remoteDir` with its place under `localDir`. Rejects (SshError) when
 * `remoteDir` cannot be listed, e.g. it does not exist. Remote links are not followed.
 */
export async function listRemoteTree(
  files: RemoteFiles,
  remoteDir: string,
  localDir: string,
  options: { filter?: (relativePath: string, entry: RemoteEntry) => boolean } = {},
): Promise<StageItem[]> {
  const items: StageItem[] = [];
  async function walk(dir: string, rel: string[]): Promise<void> {
    const entries = await files.list(dir);
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      if (entry.name === '.' || entry.name === '..' || entry.name.includes('/') || isPartialName(entry.name)) continue;
      const relPath = [...rel, entry.name];
      if (options.filter && !options.filter(relPath.join('/'), entry)) continue;
      if (entry.isDirectory) await walk(path.posix.join(dir, entry.name), relPath);
      else if (entry.isFile) items.push({ remote: path.posix.join(dir, entry.name), local: path.join(localDir, ...relPath), size: entry.size });
    }
  }
  await walk(remoteDir, []);
  return items;
}

// ------------------------------------------------------------------ checksums

export type Exec = (command: string, options?: ExecOptions) => Promise<ExecResult>;

/**
 * The whole command reaches the login shell as one argument of `sh -c`, and Linux caps one
 * argument at 128 KiB (MAX_ARG_STRLEN): longer lists are split into several commands.
 */
const MAX_COMMAND_CHARS = 100_000;

/**
 * sha256 of many remote files with one `sha256sum -- 'p1' 'p2' ...` command (more only when the
 * list would not fit in one). A file that cannot be read (missing, permission) maps to null.
 */
export async function remoteSha256(exec: Exec, paths: string[], options: { signal?: AbortSignal } = {}): Promise<Map<string, string | null>> {
  const result = new Map<string, string | null>(paths.map((p) => [p, null]));
  const unique = [...new Set(paths)];
  const batches: string[][] = [];
  let batch: string[] = [];
  let length = 0;
  for (const p of unique) {
    const quoted = quoteValue(p);
    if (batch.length > 0 && length + quoted.length + 1 > MAX_COMMAND_CHARS) {
      batches.push(batch);
      batch = [];
      length = 0;
    }
    batch.push(p);
    length += quoted.length + 1;
  }
  if (batch.length > 0) batches.push(batch);

  for (const b of batches) {
    const r = await exec(`sha256sum -- ${b.map(quoteValue).join(' ')}`, options.signal ? { signal: options.signal } : {});
    if (r.code === 127) throw new SshError('remote', 'sha256sum is not installed on the cluster', 'Run the transfer without checksums, or ask the cluster support for GNU coreutils.');
    // 1: some files could not be read, the others are still printed.
    if (r.code !== 0 && r.code !== 1) throw new SshError('remote', `sha256sum failed on the cluster (${r.code === null ? 'interrupted' : `exit ${r.code}`}): ${r.stderr.trim().split('\n')[0] ?? ''}`);
    for (const [name, hash] of parseSha256sum(r.stdout)) if (result.has(name)) result.set(name, hash);
  }
  return result;
}

/**
 * Lines of GNU sha256sum: "HASH  NAME", or "\HASH  NAME" with "\\", "\n" and "\r" escaped when
 * the name holds a backslash or a line break.
 */
export function parseSha256sum(stdout: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const m = /^(\\?)([0-9a-f]{64}) [ *](.*)$/.exec(line);
    if (!m) continue;
    const name = m[1] ? m[3]!.replace(/\\(\\|n|r)/g, (_all, c: string) => (c === 'n' ? '\n' : c === 'r' ? '\r' : '\\')) : m[3]!;
    out.set(name, m[2]!);
  }
  return out;
}

/**
 * A checksum function for StageOptions that gathers the paths asked for in the same turn of the
 * event loop into one remote sha256sum command (staging asks for all of them at once).
 */
export function remoteChecksum(exec: Exec): (remotePath: string) => Promise<string | null> {
  let pending: Map<string, Array<{ resolve: (h: string | null) => void; reject: (e: unknown) => void }>> | null = null;
  return (remotePath) =>
    new Promise((resolve, reject) => {
      if (pending === null) {
        const batch = new Map<string, Array<{ resolve: (h: string | null) => void; reject: (e: unknown) => void }>>();
        pending = batch;
        setImmediate(() => {
          pending = null;
          remoteSha256(exec, [...batch.keys()]).then(
            (hashes) => batch.forEach((waiters, p) => waiters.forEach((w) => w.resolve(hashes.get(p) ?? null))),
            (e: unknown) => batch.forEach((waiters) => waiters.forEach((w) => w.reject(e))),
          );
        });
      }
      const waiters = pending.get(remotePath) ?? [];
      waiters.push({ resolve, reject });
      pending.set(remotePath, waiters);
    });
}

export async function localSha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

// ------------------------------------------------------------------ progress

const RATE_WINDOW_MS = 3000;
/** Less than this much history gives a rate that jumps around: shown as "not known yet". */
const RATE_MIN_SPAN_MS = 500;
const EMIT_EVERY_MS = 250;

/**
 * Counts files and bytes of one transfer and turns them into a TransferView: the rate is the
 * bytes of the last ~3 s (so it falls when the link stalls), the time left is what remains at
 * that rate. `files.done` includes skipped files, so it reaches `files.total` at the end.
 */
export class TransferMeter {
  private bytesDone = 0;
  private bytesTotal = 0;
  private filesDone = 0;
  private filesSkipped = 0;
  private file = '';
  private startedAt: number;
  /** (time, bytesDone) after each change, pruned to the window (plus one sample before it). */
  private samples: Array<{ t: number; bytes: number }> = [];
  private lastEmit = -Infinity;
  private finished = false;

  constructor(
    readonly direction: 'upload' | 'download',
    private readonly filesTotal: number,
    private readonly now: () => number,
    private readonly emit: ((view: TransferView) => void) | undefined,
  ) {
    this.startedAt = now();
  }

  /** The bytes that will move, once known (after deciding what to skip); restarts the clock. */
  plan(bytesTotal: number): void {
    this.bytesTotal = bytesTotal;
    this.startedAt = this.now();
    this.samples = [];
  }

  /** A destination that needs more bytes than planned (a resume that had to start again). */
  growTotal(extra: number): void {
    this.bytesTotal += extra;
  }

  setFile(label: string): void {
    this.file = label;
  }

  add(bytes: number, label?: string): void {
    if (label !== undefined) this.file = label;
    if (bytes <= 0) return;
    this.bytesDone += bytes;
    const t = this.now();
    const last = this.samples[this.samples.length - 1];
    if (last && last.t === t) last.bytes = this.bytesDone;
    else this.samples.push({ t, bytes: this.bytesDone });
    this.prune(t);
    this.maybeEmit();
  }

  fileDone(skipped: boolean, label?: string): void {
    if (label !== undefined) this.file = label;
    this.filesDone++;
    if (skipped) this.filesSkipped++;
    this.maybeEmit();
  }

  /** Bytes per second over the last ~3 s; null while there is too little history. */
  rate(t = this.now()): number | null {
    this.prune(t);
    const windowStart = Math.max(this.startedAt, t - RATE_WINDOW_MS);
    const span = t - windowStart;
    if (span < RATE_MIN_SPAN_MS) return null;
    // Bytes counted at a sample time arrived by then: the count at windowStart is the last sample at or before it.
    let before = 0;
    for (const s of this.samples) {
      if (s.t <= windowStart) before = s.bytes;
      else break;
    }
    return ((this.bytesDone - before) * 1000) / span;
  }

  view(t = this.now()): TransferView {
    const left = Math.max(0, this.bytesTotal - this.bytesDone);
    let rate = this.rate(t);
    let secondsLeft: number | null = null;
    if (this.finished) {
      const span = t - this.startedAt;
      rate = rate ?? (span > 0 && this.bytesDone > 0 ? (this.bytesDone * 1000) / span : null);
      secondsLeft = 0;
    } else if (left === 0) secondsLeft = 0;
    else if (rate !== null && rate > 0) secondsLeft = left / rate;
    return {
      direction: this.direction,
      file: this.file,
      files: { done: this.filesDone, total: this.filesTotal, skipped: this.filesSkipped },
      bytes: { done: this.bytesDone, total: this.bytesTotal },
      rate,
      secondsLeft,
    };
  }

  /** Emits if the last emit is old enough (also called by a heartbeat, so a stall shows). */
  maybeEmit(): void {
    if (!this.emit || this.finished) return;
    const t = this.now();
    if (t - this.lastEmit < EMIT_EVERY_MS) return;
    this.lastEmit = t;
    this.emit(this.view(t));
  }

  /** The final view, always emitted once. */
  finish(): TransferView {
    this.finished = true;
    const v = this.view();
    this.emit?.(v);
    return v;
  }

  private prune(t: number): void {
    const windowStart = t - RATE_WINDOW_MS;
    while (this.samples.length > 1 && this.samples[1]!.t <= windowStart) this.samples.shift();
  }
}

// ------------------------------------------------------------------ scheduling

/**
 * Runs `task` over `items` with at most `limit` at once, in order of the array. The first
 * failure stops handing out new items; the ones running are allowed to settle (they see `stop`).
 */
export async function runPool<T>(items: T[], limit: number, task: (item: T) => Promise<void>, stop?: AbortSignal): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | null = null;
  async function worker(): Promise<void> {
    while (failure === null && !stop?.aborted && next < items.length) {
      const item = items[next++]!;
      try {
        await task(item);
      } catch (e) {
        failure ??= { error: e };
      }
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (failure !== null) throw (failure as { error: unknown }).error;
}

// ------------------------------------------------------------------ decisions

/** What the source looked like when a .part was started. */
export interface PartMarker {
  size: number;
  mtime: number;
}

export function markerText(source: PartMarker): string {
  return JSON.stringify({ size: source.size, mtime: source.mtime });
}

/**
 * Where to continue a partial copy: its size when the marker proves it came from this very
 * source and it is not longer than it, else 0 (start again). A .part of the full size is what an
 * abort leaves when every chunk was already on its way: only its end is sent again.
 */
export function resumeOffset(source: PartMarker, partSize: number | null, marker: string | null): number {
  if (partSize === null || partSize <= 0 || partSize > source.size || marker === null) return 0;
  try {
    const m = JSON.parse(marker) as Partial<PartMarker>;
    if (m.size === source.size && m.mtime === source.mtime) return partSize;
  } catch {
    // A marker cut short by a crash proves nothing.
  }
  return 0;
}

/** "skip" when the destination has it, "touch" when only its time must be set (same bytes), "send" otherwise. */
export type SkipDecision = 'skip' | 'touch' | 'send';

export function decideByStat(source: PartMarker, dest: PartMarker | null, hashesEqual: boolean | null): SkipDecision {
  if (dest === null || dest.size !== source.size) return 'send';
  if (hashesEqual === false) return 'send';
  if (dest.mtime === source.mtime) return 'skip';
  return hashesEqual === true ? 'touch' : 'send';
}

// ------------------------------------------------------------------ the transfers

interface Side {
  size: number;
  mtime: number;
}

interface Plan {
  item: StageItem;
  source: Side;
  start: number;
  /** A marker must be written before sending (resumable and not resuming). */
  writeMarker: boolean;
  /** A marker of an older attempt is there and would lie about the new .part. */
  staleMarker: boolean;
  /** A marker for this source is (or will be) there: remove it once the file has its final name. */
  marker: boolean;
}

const seconds = (ms: number) => Math.floor(ms / 1000);

function abortError(signal: AbortSignal | undefined): StagingError {
  const reason = signal?.reason as unknown;
  return new StagingError('aborted', 'The transfer was stopped; starting it again continues where it stopped.', null, null, { cause: reason });
}

function errCode(e: unknown): unknown {
  return typeof e === 'object' && e !== null && 'code' in e ? (e as { code: unknown }).code : undefined;
}

/** An SFTP write that fails with SSH_FX_FAILURE is, in practice, ENOSPC or EDQUOT on the server. */
function isRemoteDiskFull(e: unknown): boolean {
  if (!(e instanceof SshError) || e.kind !== 'remote') return false;
  return e.code === 4 || e.code === 'ENOSPC' || e.code === 'EDQUOT' || /no space|quota/i.test(e.message);
}

function isLocalDiskFull(e: unknown): boolean {
  const code = errCode(e);
  return code === 'ENOSPC' || code === 'EDQUOT' || (e instanceof Error && /ENOSPC|no space left/i.test(e.message) && !(e instanceof SshError && e.kind === 'remote'));
}

/**
 * The error a failed file becomes. SshErrors other than a full disk go through unchanged: they
 * already name the path, and callers retry on their kind ("closed", "unreachable").
 */
function describeFailure(direction: 'upload' | 'download', item: StageItem, e: unknown): Error {
  if (e instanceof StagingError) return e;
  const what = direction === 'upload' ? `Could not send ${item.local} to the cluster` : `Could not bring ${item.remote} back from the cluster`;
  if (direction === 'upload' && isRemoteDiskFull(e)) {
    return new StagingError(
      'cluster-disk-full',
      `${what}: the cluster's disk (or your quota) is full.`,
      `Free some space in ${path.posix.dirname(item.remote)} on the cluster (see "quota" or "df -h" there), or choose another work root in the target profile.`,
      item.local,
      { cause: e },
    );
  }
  if (direction === 'download' && isLocalDiskFull(e)) {
    return new StagingError(
      'local-disk-full',
      `${what}: this computer's disk is full (writing ${item.local}).`,
      `Free some space on this computer, or fetch the results into a folder on another disk.`,
      item.remote,
      { cause: e },
    );
  }
  if (e instanceof SshError) return e;
  const detail = e instanceof Error ? e.message : String(e);
  return new StagingError('failed', `${what}: ${detail}`, null, direction === 'upload' ? item.local : item.remote, { cause: e });
}

/** Bytes moved for one file, from the transport's progress (which may count from 0 or from `start`). */
function progressCounter(size: number, start: number, report: (delta: number) => void) {
  let moved = 0;
  const need = size - start;
  return {
    onProgress(p: TransferProgress) {
      const fromStart = start > 0 && p.total === size ? p.transferred - start : p.transferred;
      const now = Math.min(need, Math.max(0, fromStart));
      if (now > moved) {
        report(now - moved);
        moved = now;
      }
    },
    /** Credits what the last progress event did not report. */
    complete() {
      if (need > moved) report(need - moved);
      moved = need;
    },
    get moved() {
      return moved;
    },
  };
}

/**
 * Metadata of every name in the given remote folders, one listing per folder (far fewer round
 * trips than a stat per file). A folder that does not exist has no entries.
 */
async function remoteIndex(files: RemoteFiles, dirs: string[], limit: number, stop: AbortSignal): Promise<Map<string, RemoteEntry>> {
  const index = new Map<string, RemoteEntry>();
  await runPool(
    [...new Set(dirs)],
    limit,
    async (dir) => {
      let entries: RemoteEntry[];
      try {
        entries = await files.list(dir);
      } catch (e) {
        const st = await files.stat(dir).catch(() => null);
        if (st === null) return;
        throw e;
      }
      for (const entry of entries) index.set(path.posix.join(dir, entry.name), entry);
    },
    stop,
  );
  return index;
}

async function localSide(file: string): Promise<Side | null> {
  const st = await fs.stat(file).catch((e: unknown) => {
    if (errCode(e) === 'ENOENT' || errCode(e) === 'ENOTDIR') return null;
    throw e;
  });
  return st && st.isFile() ? { size: st.size, mtime: seconds(st.mtimeMs) } : null;
}

class Transfer {
  readonly meter: TransferMeter;
  readonly stop = new AbortController();
  private readonly concurrency: number;
  private readonly resumeMin: number;
  private readonly overlap: number;
  private readonly started: number;
  private readonly clock: () => number;
  private heartbeat: ReturnType<typeof setInterval> | null = null;
  private unlink: (() => void) | null = null;
  bytes = 0;
  moved = 0;
  skipped = 0;

  constructor(
    readonly direction: 'upload' | 'download',
    readonly items: StageItem[],
    readonly options: StageOptions,
  ) {
    this.clock = options.now ?? (() => performance.now());
    this.started = this.clock();
    this.concurrency = Math.max(1, options.concurrency ?? 8);
    this.resumeMin = options.resumeMinBytes ?? 1024 * 1024;
    this.overlap = Math.max(0, options.resumeOverlapBytes ?? 2 * 1024 * 1024);
    this.meter = new TransferMeter(direction, items.length, this.clock, options.onProgress);
    const outer = options.signal;
    if (outer) {
      if (outer.aborted) this.stop.abort(outer.reason);
      const onAbort = () => this.stop.abort(outer.reason);
      outer.addEventListener('abort', onAbort, { once: true });
      this.unlink = () => outer.removeEventListener('abort', onAbort);
    }
  }

  get limit(): number {
    return this.concurrency;
  }

  isResumable(size: number): boolean {
    return size >= this.resumeMin;
  }

  /** The plan of a file that must move, given what resumeOffset() said about its .part. */
  plan(item: StageItem, source: Side, offset: number, hasMarker: boolean): Plan {
    const resumable = this.isResumable(source.size);
    const start = offset > 0 ? Math.max(0, offset - this.overlap) : 0;
    return { item, source, start, writeMarker: offset === 0 && resumable, staleMarker: hasMarker && offset === 0 && !resumable, marker: resumable };
  }

  label(item: StageItem): string {
    return this.options.label?.(item) ?? (this.direction === 'upload' ? item.local : item.remote);
  }

  checkAbort(): void {
    if (this.options.signal?.aborted) throw abortError(this.options.signal);
  }

  startHeartbeat(): void {
    // Without events (a stalled link) the view would freeze with an old rate.
    if (this.options.onProgress) this.heartbeat = setInterval(() => this.meter.maybeEmit(), 1000);
    this.heartbeat?.unref?.();
  }

  async run(plans: Plan[], move: (plan: Plan) => Promise<void>): Promise<StageResult> {
    this.startHeartbeat();
    try {
      // Largest first: the long transfers start at once, small files fill the other slots around them.
      const order = [...plans].sort((a, b) => b.source.size - b.start - (a.source.size - a.start));
      try {
        // One file failing stops the others at once (their .part stays for the next attempt).
        const guarded = async (plan: Plan) => {
          try {
            await move(plan);
          } catch (e) {
            this.stop.abort(e);
            throw e;
          }
        };
        await runPool(order, this.concurrency, guarded, this.stop.signal);
      } catch (e) {
        this.stop.abort(e);
        if (this.options.signal?.aborted) throw abortError(this.options.signal);
        throw e;
      }
      this.checkAbort();
      this.meter.finish();
      return { files: this.moved, skipped: this.skipped, bytes: this.bytes, seconds: (this.clock() - this.started) / 1000 };
    } finally {
      this.dispose();
    }
  }

  dispose(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
    this.unlink?.();
    this.unlink = null;
  }
}

/**
 * Sends local files to the cluster. Resolves with what moved. Rejects with StagingError (kind
 * "aborted" when the signal fired, "cluster-disk-full" when the cluster had no room, "failed" for
 * a local file that cannot be read), or with the transport's SshError as it came (a lost
 * connection stays SshError "closed", so the caller can wait for the cluster and run it again).
 */
/**
 * With a checksum function, whether each item's two sides hold the same bytes (null: the remote
 * side could not be hashed). Hashes only where the sizes already agree: a different size is a
 * different file. Without one, an empty map (size and time decide alone).
 */
async function compareHashes(
  items: StageItem[],
  sameSize: (item: StageItem) => boolean,
  checksum: StageOptions['checksum'],
  stop: AbortSignal,
): Promise<Map<StageItem, boolean | null>> {
  const equal = new Map<StageItem, boolean | null>();
  if (!checksum) return equal;
  const candidates = items.filter(sameSize);
  const remoteHashes = await Promise.all(candidates.map((i) => checksum(i.remote)));
  const localHashes: string[] = [];
  await runPool(candidates.map((c, k) => ({ c, k })), 2, async ({ c, k }) => {
    localHashes[k] = await localSha256(c.local);
  }, stop);
  candidates.forEach((c, k) => equal.set(c, remoteHashes[k] === null ? null : remoteHashes[k] === localHashes[k]));
  return equal;
}

export async function upload(files: RemoteFiles, items: StageItem[], options: StageOptions = {}): Promise<StageResult> {
  const t = new Transfer('upload', items, options);
  try {
    t.checkAbort();
    const sources = new Map<StageItem, Side>();
    await runPool(items, t.limit, async (item) => {
      const side = await localSide(item.local).catch((e: unknown) => {
        throw new StagingError('failed', `${item.local} cannot be read: ${e instanceof Error ? e.message : String(e)}`, 'Check that the file exists and that you may read it.', item.local, { cause: e });
      });
      if (side === null) throw new StagingError('failed', `${item.local} does not exist (or is not a file).`, 'Check the path of this input.', item.local);
      sources.set(item, side);
    });
    t.checkAbort();
    const index = await remoteIndex(files, items.map((i) => path.posix.dirname(i.remote)), t.limit, t.stop.signal);
    t.checkAbort();
    const remoteSide = (p: string): Side | null => {
      const e = index.get(p);
      return e && e.isFile ? { size: e.size, mtime: e.mtime } : null;
    };

    const hashEqual = await compareHashes(items, (i) => remoteSide(i.remote)?.size === sources.get(i)!.size, options.checksum, t.stop.signal);
    t.checkAbort();

    const plans: Plan[] = [];
    const touches: Array<{ item: StageItem; source: Side }> = [];
    for (const item of items) {
      const source = sources.get(item)!;
      const decision = decideByStat(source, remoteSide(item.remote), hashEqual.get(item) ?? null);
      if (decision === 'skip') continue;
      if (decision === 'touch') {
        touches.push({ item, source });
        continue;
      }
      const part = index.get(`${item.remote}.part`);
      const hasMarker = index.has(`${item.remote}.part.src`);
      let offset = 0;
      if (t.isResumable(source.size) && part?.isFile && hasMarker && part.size > 0 && part.size <= source.size) {
        const marker = await files.readFile(`${item.remote}.part.src`, { maxBytes: 4096 }).then((b) => b.toString('utf8'), () => null);
        offset = resumeOffset(source, part.size, marker);
      }
      plans.push(t.plan(item, source, offset, hasMarker));
    }

    t.meter.plan(plans.reduce((n, p) => n + p.source.size - p.start, 0));
    for (const item of items) {
      if (!plans.some((p) => p.item === item)) {
        t.skipped++;
        t.meter.fileDone(true, t.label(item));
      }
    }
    // Same bytes already there: only the time, so that size + mtime agree next time.
    await runPool(touches, t.limit, async ({ item, source }) => {
      await files.setTimes(item.remote, source.mtime, source.mtime);
    }, t.stop.signal);

    const dirs = [...new Set(plans.map((p) => path.posix.dirname(p.item.remote)))].filter((d) => !index.has(d) || !index.get(d)!.isDirectory);
    await runPool(dirs, t.limit, (d) => files.mkdirp(d), t.stop.signal);

    return await t.run(plans, async (plan) => {
      const { item, source } = plan;
      const part = `${item.remote}.part`;
      const marker = `${item.remote}.part.src`;
      const label = t.label(item);
      t.meter.setFile(label);
      try {
        if (plan.writeMarker) await files.writeFile(marker, markerText(source));
        else if (plan.staleMarker) await files.remove(marker);
        let start = plan.start;
        for (;;) {
          const counter = progressCounter(source.size, start, (d) => {
            t.bytes += d;
            t.meter.add(d, label);
          });
          await files.upload(item.local, part, { start, onProgress: (p) => counter.onProgress(p), signal: t.stop.signal });
          counter.complete();
          const st = await files.stat(part);
          if (st === null || st.size !== source.size) {
            throw new StagingError('incomplete', `${item.local} arrived incomplete on the cluster (${st?.size ?? 0} of ${source.size} bytes).`, 'Run the transfer again; if it keeps happening, check the free space on the cluster.', item.local);
          }
          // A resumed copy is the one whose first bytes this run did not send: prove them when we can.
          if (start > 0 && options.checksum) {
            const [remote, local] = await Promise.all([options.checksum(part), localSha256(item.local)]);
            if (remote !== null && remote !== local) {
              t.meter.growTotal(source.size);
              start = 0;
              continue;
            }
          }
          break;
        }
        await files.setTimes(part, source.mtime, source.mtime);
        await files.rename(part, item.remote);
        if (plan.marker) await files.remove(marker).catch(() => undefined);
        t.moved++;
        t.meter.fileDone(false, label);
      } catch (e) {
        if (t.stop.signal.aborted) throw abortError(options.signal);
        throw describeFailure('upload', item, e);
      }
    });
  } finally {
    t.dispose();
  }
}

/**
 * Brings remote files to this computer, the same way as upload() (skips, .part, resume), with
 * "local-disk-full" when this computer has no room.
 */
export async function download(files: RemoteFiles, items: StageItem[], options: StageOptions = {}): Promise<StageResult> {
  const t = new Transfer('download', items, options);
  try {
    t.checkAbort();
    const index = await remoteIndex(files, items.map((i) => path.posix.dirname(i.remote)), t.limit, t.stop.signal);
    t.checkAbort();
    const sources = new Map<StageItem, Side>();
    for (const item of items) {
      const e = index.get(item.remote);
      if (!e || !e.isFile) throw new StagingError('failed', `${item.remote} is not on the cluster (or is not a file).`, 'Check that the step wrote it; its log may say why not.', item.remote);
      sources.set(item, { size: e.size, mtime: e.mtime });
    }
    const dests = new Map<StageItem, { dest: Side | null; part: Side | null; marker: string | null }>();
    await runPool(items, t.limit, async (item) => {
      const dest = await localSide(item.local);
      const part = await localSide(`${item.local}.part`);
      const marker = part ? await fs.readFile(`${item.local}.part.src`, 'utf8').catch(() => null) : null;
      dests.set(item, { dest, part, marker });
    }, t.stop.signal);
    t.checkAbort();

    const hashEqual = await compareHashes(items, (i) => dests.get(i)!.dest?.size === sources.get(i)!.size, options.checksum, t.stop.signal);
    t.checkAbort();

    const plans: Plan[] = [];
    for (const item of items) {
      const source = sources.get(item)!;
      const { dest, part, marker } = dests.get(item)!;
      const decision = decideByStat(source, dest, hashEqual.get(item) ?? null);
      if (decision === 'skip') continue;
      if (decision === 'touch') {
        await fs.utimes(item.local, source.mtime, source.mtime);
        continue;
      }
      const offset = t.isResumable(source.size) ? resumeOffset(source, part?.size ?? null, marker) : 0;
      plans.push(t.plan(item, source, offset, marker !== null));
    }
    t.meter.plan(plans.reduce((n, p) => n + p.source.size - p.start, 0));
    for (const item of items) {
      if (!plans.some((p) => p.item === item)) {
        t.skipped++;
        t.meter.fileDone(true, t.label(item));
      }
    }

    return await t.run(plans, async (plan) => {
      const { item, source } = plan;
      const part = `${item.local}.part`;
      const marker = `${item.local}.part.src`;
      const label = t.label(item);
      t.meter.setFile(label);
      try {
        await fs.mkdir(path.dirname(item.local), { recursive: true });
        if (plan.writeMarker) await fs.writeFile(marker, markerText(source));
        else if (plan.staleMarker) await fs.rm(marker, { force: true });
        let start = plan.start;
        for (;;) {
          const counter = progressCounter(source.size, start, (d) => {
            t.bytes += d;
            t.meter.add(d, label);
          });
          await files.download(item.remote, part, { start, onProgress: (p) => counter.onProgress(p), signal: t.stop.signal });
          counter.complete();
          const got = await localSide(part);
          if (got === null || got.size !== source.size) {
            throw new StagingError('incomplete', `${item.remote} arrived incomplete (${got?.size ?? 0} of ${source.size} bytes).`, 'Fetch the results again; if it keeps happening, check the free space on this computer.', item.remote);
          }
          if (start > 0 && options.checksum) {
            const [remote, local] = await Promise.all([options.checksum(item.remote), localSha256(part)]);
            if (remote !== null && remote !== local) {
              t.meter.growTotal(source.size);
              start = 0;
              continue;
            }
          }
          break;
        }
        await fs.utimes(part, source.mtime, source.mtime);
        await fs.rename(part, item.local);
        if (plan.marker) await fs.rm(marker, { force: true });
        t.moved++;
        t.meter.fileDone(false, label);
      } catch (e) {
        if (t.stop.signal.aborted) throw abortError(options.signal);
        throw describeFailure('download', item, e);
      }
    });
  } finally {
    t.dispose();
  }
}
