import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { create as createTar, extract as extractTar, list as listTar } from 'tar';
import { z } from 'zod';
import type { OpenedDocument, OpenedWorkshop } from '../../shared/api';
import { ErrorCode, fail } from '../../shared/api';
import type { Catalog } from '../../shared/catalog';
import type { PipelineDocument } from '../../shared/document';
import { parseDocument, serializeDocument } from '../../shared/document';
import { describeIoError, writeFileAtomic } from './fsutil';

export const PACK_EXTENSION = '.fluxopack';
const PACK_FORMAT = 'fluxo-workshop-pack';
const MANIFEST = 'fluxo-pack.json';
const PIPELINE = 'pipeline.fluxo';
const ORIGINAL = 'original.fluxo';
const INSTRUCTIONS = 'INSTRUCTIONS.md';
const DATA = 'data';

/** Limits that keep a pack something to e-mail or put on a USB stick, and an unpacked one harmless. */
export interface PackLimits {
  /** Sum of the data files' sizes. */
  maxDataBytes: number;
  /** Size of the .fluxopack itself. */
  maxPackBytes: number;
  /** Sum of the unpacked sizes (what a gzip bomb would inflate). */
  maxUnpackedBytes: number;
  maxEntries: number;
}

export const DEFAULT_PACK_LIMITS: PackLimits = {
  maxDataBytes: 50 * 1024 * 1024,
  maxPackBytes: 60 * 1024 * 1024,
  maxUnpackedBytes: 60 * 1024 * 1024,
  maxEntries: 5000,
};

const zManifest = z.object({
  format: z.literal(PACK_FORMAT),
  version: z.literal(1),
  name: z.string().min(1).max(200),
  /** Which path param reads which packed file or folder (relative to the pack, under data/). */
  data: z
    .array(z.object({ step: z.string().min(1).max(48), param: z.string().min(1).max(64), file: z.string().min(1).max(1024) }))
    .max(2000),
});
type Manifest = z.infer<typeof zManifest>;

function mb(bytes: number): string {
  return `${Math.round((bytes / 1024 / 1024) * 10) / 10} MB`;
}

/** A pack entry name is safe when it is relative, has no "..", and stays in the pack's folder. */
export function isSafeEntryPath(name: string): boolean {
  if (name === '' || name.includes('\0') || name.includes('\\')) return false;
  if (name.startsWith('/') || /^[A-Za-z]:/.test(name)) return false;
  const parts = name.replace(/\/+$/, '').split('/');
  return parts.every((p) => p !== '..') && parts.some((p) => p !== '.' && p !== '');
}

/** "Tumour study (v2)" → "tumour-study-v2": a folder name on every system. */
export function packSlug(name: string): string {
  const slug = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 48)
    .replace(/-+$/, '');
  return slug || 'workshop';
}

/** The text a student reads outside Fluxo: the lock's message and every note, in canvas order. */
export function instructionsOf(document: PipelineDocument): string {
  const notes = [...document.notes].sort((a, b) => a.position.y - b.position.y || a.position.x - b.position.x);
  const parts = [`# ${document.metadata.name}`];
  if (document.metadata.description) parts.push(document.metadata.description);
  if (document.lock?.message) parts.push(document.lock.message);
  for (const n of notes) if (n.text.trim()) parts.push(n.text.trim());
  return `${parts.join('\n\n')}\n`;
}

async function treeSize(p: string, st: { isDirectory(): boolean; size: number }): Promise<number> {
  if (!st.isDirectory()) return st.size;
  let total = 0;
  for (const d of await fs.readdir(p, { withFileTypes: true, recursive: true })) {
    if (d.isFile()) total += (await fs.stat(path.join(d.parentPath, d.name))).size;
  }
  return total;
}

export interface WorkshopsOptions {
  homeDir: string;
  catalog: () => Promise<Catalog>;
  limits?: Partial<PackLimits>;
}

/**
 * Workshop packs: one file with the pipeline, the small data its path params read, and its notes
 * as instructions. Opened packs live in <FLUXO_HOME>/workshops/<name>-<n>/ with pipeline.fluxo
 * (the student's copy) beside original.fluxo (what "Reset to the original" goes back to).
 */
export class Workshops {
  readonly dir: string;
  private readonly limits: PackLimits;

  constructor(private readonly options: WorkshopsOptions) {
    this.dir = path.join(options.homeDir, 'workshops');
    this.limits = { ...DEFAULT_PACK_LIMITS, ...options.limits };
  }

  /** Writes the pack atomically; refuses (and writes nothing) when the data is over the cap. */
  async export(document: PipelineDocument, packPath: string): Promise<{ path: string; bytes: number }> {
    const target = path.resolve(packPath.toLowerCase().endsWith('.fluxo') ? packPath.slice(0, -'.fluxo'.length) : packPath);
    const out = target.toLowerCase().endsWith(PACK_EXTENSION) ? target : `${target}${PACK_EXTENSION}`;
    const catalog = await this.options.catalog();
    const doc = structuredClone(document);
    const data: Manifest['data'] = [];
    const sources: Array<{ from: string; to: string; dir: boolean }> = [];
    const packed = new Map<string, string>();
    let total = 0;
    for (const step of doc.steps) {
      const block = catalog.blocks.find((b) => b.id === step.type);
      for (const def of block?.params ?? []) {
        if (def.type !== 'path') continue;
        const value = step.params[def.id];
        if (typeof value !== 'string' || value === '' || !path.isAbsolute(value)) continue;
        let rel = packed.get(value);
        if (!rel) {
          const st = await fs.stat(value).catch(() => null);
          if (!st) fail(ErrorCode.FileUnreadable, `the file ${value} that step "${step.label || step.id}" reads does not exist`, 'Choose an existing file for that step, then export again.');
          total += await treeSize(value, st);
          if (total > this.limits.maxDataBytes) {
            fail(
              ErrorCode.PackTooLarge,
              `the data of this pipeline is larger than ${mb(this.limits.maxDataBytes)}, too much for a workshop pack`,
              `Give students a smaller sample, or put the data on the cluster and use its path there (${value} is among the files).`,
            );
          }
          rel = `${DATA}/${packed.size + 1}-${path.basename(value).replace(/[^A-Za-z0-9._-]+/g, '_')}`;
          packed.set(value, rel);
          sources.push({ from: value, to: rel, dir: st.isDirectory() });
        }
        step.params[def.id] = rel;
        data.push({ step: step.id, param: def.id, file: rel });
      }
    }

    const staging = await fs.mkdtemp(path.join(os.tmpdir(), 'fluxo-pack-'));
    const tmp = path.join(path.dirname(out), `.${path.basename(out)}.${randomBytes(6).toString('hex')}.tmp`);
    try {
      const manifest: Manifest = { format: PACK_FORMAT, version: 1, name: doc.metadata.name, data };
      await fs.writeFile(path.join(staging, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
      await fs.writeFile(path.join(staging, PIPELINE), serializeDocument(doc));
      await fs.writeFile(path.join(staging, INSTRUCTIONS), instructionsOf(document));
      await fs.mkdir(path.join(staging, DATA));
      for (const s of sources) {
        // Regular files only: a symlink in the instructor's data is copied as what it points to.
        await fs.cp(s.from, path.join(staging, s.to), { recursive: s.dir, dereference: true });
      }
      await fs.mkdir(path.dirname(out), { recursive: true });
      await createTar({ gzip: true, file: tmp, cwd: staging, portable: true }, [MANIFEST, PIPELINE, INSTRUCTIONS, DATA]);
      const bytes = (await fs.stat(tmp)).size;
      if (bytes > this.limits.maxPackBytes) fail(ErrorCode.PackTooLarge, `the pack would be ${mb(bytes)}, more than ${mb(this.limits.maxPackBytes)}`, 'Give students a smaller sample of the data.');
      await fs.rename(tmp, out);
      return { path: out, bytes };
    } catch (e) {
      await fs.rm(tmp, { force: true }).catch(() => undefined);
      if ((e as { name?: string }).name === 'FluxoFailure') throw e;
      fail(ErrorCode.FileUnwritable, `could not write the pack ${out}: ${describeIoError(e)}`, 'Nothing was written. Free some space or choose another folder.');
    } finally {
      await fs.rm(staging, { recursive: true, force: true }).catch(() => undefined);
    }
  }

  /** Checks every entry before anything is written: types, names, sizes. */
  private async inspect(packPath: string): Promise<void> {
    const name = path.basename(packPath);
    const st = await fs.stat(packPath).catch((e: unknown) => fail(ErrorCode.FileUnreadable, `could not open ${packPath}: ${describeIoError(e)}`));
    if (!st.isFile()) fail(ErrorCode.PackInvalid, `${name} is not a workshop pack file`);
    if (st.size > this.limits.maxPackBytes) fail(ErrorCode.PackTooLarge, `${name} is ${mb(st.size)}, more than the ${mb(this.limits.maxPackBytes)} a workshop pack may have`, 'Ask your instructor for a smaller pack.');
    let entries = 0;
    let unpacked = 0;
    const problems: string[] = [];
    const seen = new Set<string>();
    try {
      await listTar({
        file: packPath,
        strict: true,
        onReadEntry: (entry) => {
          entries++;
          unpacked += entry.size ?? 0;
          const p = entry.path;
          if (entry.type !== 'File' && entry.type !== 'Directory') problems.push(`"${p}" is a ${entry.type === 'SymbolicLink' ? 'symbolic link' : entry.type === 'Link' ? 'hard link' : 'special file'}`);
          else if (!isSafeEntryPath(p)) problems.push(`"${p}" would be written outside the pack's folder`);
          else seen.add(p.replace(/^\.\//, '').replace(/\/+$/, ''));
          entry.resume();
        },
      });
    } catch (e) {
      fail(ErrorCode.PackInvalid, `${name} is not a readable workshop pack (${e instanceof Error ? e.message : String(e)})`, 'The file may be damaged or incomplete; ask for it again.');
    }
    if (problems.length > 0) fail(ErrorCode.PackInvalid, `${name} was refused: ${problems.slice(0, 3).join('; ')}`, 'Nothing was unpacked. Ask your instructor for a pack exported by Fluxo.', problems);
    if (entries > this.limits.maxEntries) fail(ErrorCode.PackTooLarge, `${name} has ${entries} files, more than ${this.limits.maxEntries}`);
    if (unpacked > this.limits.maxUnpackedBytes) fail(ErrorCode.PackTooLarge, `${name} would unpack to ${mb(unpacked)}, more than ${mb(this.limits.maxUnpackedBytes)}`, 'Ask your instructor for a smaller pack.');
    for (const required of [MANIFEST, PIPELINE]) if (!seen.has(required)) fail(ErrorCode.PackInvalid, `${name} is not a workshop pack: it has no ${required}`);
  }

  /**
   * Unpacks into a new folder, points path params at the unpacked data, keeps the original, and
   * returns the student's copy. A refused pack leaves nothing behind.
   */
  async open(packPath: string): Promise<OpenedWorkshop> {
    const pack = path.resolve(packPath);
    await this.inspect(pack);
    await fs.mkdir(this.dir, { recursive: true });
    await this.removeStaleIncoming();
    const incoming = await fs.mkdtemp(path.join(this.dir, '.incoming-'));
    try {
      await extractTar({
        file: pack,
        cwd: incoming,
        strict: true,
        // Checked again while writing, in case the archive differs from what was listed.
        filter: (p, entry) => 'type' in entry && (entry.type === 'File' || entry.type === 'Directory') && isSafeEntryPath(p),
        preservePaths: false,
      });
      const manifest = zManifest.safeParse(JSON.parse(await fs.readFile(path.join(incoming, MANIFEST), 'utf8').catch(() => 'null')));
      if (!manifest.success) fail(ErrorCode.PackInvalid, `${path.basename(pack)} has a damaged ${MANIFEST}`, 'Ask your instructor to export the pack again.');
      const parsed = parseDocument(await fs.readFile(path.join(incoming, PIPELINE), 'utf8'));
      if (!parsed.ok) fail(ErrorCode.PackInvalid, `the pipeline in ${path.basename(pack)} cannot be read: ${parsed.message}`, parsed.hint);

      let n = 1;
      const slug = packSlug(manifest.data.name);
      while (await fs.stat(path.join(this.dir, `${slug}-${n}`)).then(() => true, () => false)) n++;
      const folder = path.join(this.dir, `${slug}-${n}`);
      const doc = parsed.document;
      for (const d of manifest.data.data) {
        if (!isSafeEntryPath(d.file) || !d.file.startsWith(`${DATA}/`)) fail(ErrorCode.PackInvalid, `${path.basename(pack)} points a step at "${d.file}", outside its data`);
        const step = doc.steps.find((s) => s.id === d.step);
        if (!step) continue;
        const exists = await fs.lstat(path.join(incoming, d.file)).then(() => true, () => false);
        if (!exists) fail(ErrorCode.PackInvalid, `${path.basename(pack)} is missing ${d.file}, which step "${step.label || step.id}" reads`);
        step.params[d.param] = path.join(folder, ...d.file.split('/'));
      }
      const text = serializeDocument(doc);
      await writeFileAtomic(path.join(incoming, ORIGINAL), text);
      await writeFileAtomic(path.join(incoming, PIPELINE), text);
      await fs.rename(incoming, folder);
      return { path: path.join(folder, PIPELINE), document: doc, migratedFrom: parsed.migratedFrom, folder };
    } catch (e) {
      await fs.rm(incoming, { recursive: true, force: true }).catch(() => undefined);
      throw e;
    }
  }

  /** Half-unpacked folders a crash left behind (an unpack takes seconds; an hour-old one is dead). */
  private async removeStaleIncoming(): Promise<void> {
    const names = await fs.readdir(this.dir).catch(() => [] as string[]);
    for (const name of names.filter((n) => n.startsWith('.incoming-'))) {
      const full = path.join(this.dir, name);
      const st = await fs.lstat(full).catch(() => null);
      if (st && Date.now() - st.mtimeMs > 60 * 60 * 1000) await fs.rm(full, { recursive: true, force: true }).catch(() => undefined);
    }
  }

  /** The pack's original pipeline for the student's copy at `pipelinePath` (saved there on Save). */
  async original(pipelinePath: string): Promise<OpenedDocument> {
    const file = path.resolve(pipelinePath);
    const folder = path.dirname(file);
    if (path.dirname(folder) !== this.dir || path.basename(file) !== PIPELINE) {
      fail(ErrorCode.NotAWorkshop, `${file} was not opened from a workshop pack`, 'Only pipelines opened from a .fluxopack file have an original to go back to.');
    }
    const text = await fs.readFile(path.join(folder, ORIGINAL), 'utf8').catch((e: unknown) => fail(ErrorCode.FileUnreadable, `the original of this workshop is gone: ${describeIoError(e)}`, 'Open the workshop pack again.'));
    const parsed = parseDocument(text);
    if (!parsed.ok) fail(ErrorCode.DocumentInvalid, `the original of this workshop cannot be read: ${parsed.message}`, 'Open the workshop pack again.');
    return { path: file, document: parsed.document, migratedFrom: parsed.migratedFrom };
  }
}
