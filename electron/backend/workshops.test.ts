import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { create as createTar } from 'tar';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCode, FluxoFailure } from '../../shared/api';
import type { Catalog } from '../../shared/catalog';
import type { PipelineDocument } from '../../shared/document';
import { createEmptyDocument, parseDocument } from '../../shared/document';
import { loadCatalog } from './resources';
import { isSafeEntryPath, packSlug, Workshops } from './workshops';

let catalog: Catalog;
let root: string;
let home: string;
let dataFile: string;

beforeAll(async () => {
  catalog = await loadCatalog(path.resolve('resources/blocks'));
});
beforeEach(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'fluxo-workshops-'));
  home = path.join(root, 'home');
  mkdirSync(path.join(root, 'teacher'), { recursive: true });
  dataFile = path.join(root, 'teacher', 'cohort data.csv');
  writeFileSync(dataFile, 'age,marker,target\n40,1.5,0\n61,3.2,1\n');
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

function lockedPipeline(): PipelineDocument {
  const doc = createEmptyDocument('Tumour workshop', new Date('2026-01-01T00:00:00Z'));
  doc.steps.push({ id: 'load', type: 'load-csv', version: 1, label: 'Load CSV', params: { file: dataFile, separator: 'comma' }, position: { x: 0, y: 0 } });
  doc.notes.push({ id: 'n1', text: 'Change the separator only.', position: { x: 0, y: -100 } });
  doc.lock = { editable: ['load.separator'], message: 'Only the separator may change.' };
  return doc;
}

const workshops = (limits = {}) => new Workshops({ homeDir: home, catalog: async () => catalog, limits });

async function failure(p: Promise<unknown>): Promise<FluxoFailure> {
  try {
    await p;
  } catch (e) {
    if (e instanceof FluxoFailure) return e;
    throw e;
  }
  throw new Error('expected a failure');
}

describe('workshop packs', () => {
  it('round trip: the student gets the pipeline, its data unpacked, paths pointing there, the lock kept', async () => {
    const pack = path.join(root, 'Tumour workshop.fluxo');
    const exported = await workshops().export(lockedPipeline(), pack);
    expect(exported.path).toBe(path.join(root, 'Tumour workshop.fluxopack'));

    const opened = await workshops().open(exported.path);
    expect(opened.folder).toBe(path.join(home, 'workshops', 'tumour-workshop-1'));
    const file = opened.document.steps[0]!.params.file as string;
    expect(file.startsWith(opened.folder + path.sep)).toBe(true);
    expect(readFileSync(file, 'utf8')).toBe(readFileSync(dataFile, 'utf8'));
    expect(opened.document.lock).toEqual({ editable: ['load.separator'], message: 'Only the separator may change.' });
    expect(readFileSync(path.join(opened.folder, 'INSTRUCTIONS.md'), 'utf8')).toContain('Change the separator only.');
    // The student's copy on disk is the one returned.
    const onDisk = parseDocument(readFileSync(opened.path, 'utf8'));
    expect(onDisk.ok && onDisk.document.steps[0]!.params.file).toBe(file);

    // A second open of the same pack gets its own folder; the first is untouched.
    const again = await workshops().open(exported.path);
    expect(again.folder).toBe(path.join(home, 'workshops', 'tumour-workshop-2'));
  });

  it('Reset to the original gives back the pipeline as the pack had it', async () => {
    const { path: pack } = await workshops().export(lockedPipeline(), path.join(root, 'w.fluxopack'));
    const opened = await workshops().open(pack);
    writeFileSync(opened.path, 'student made a mess');
    const original = await workshops().original(opened.path);
    expect(original.path).toBe(opened.path);
    expect(original.document).toEqual(opened.document);
    const err = await failure(workshops().original(path.join(root, 'teacher', 'x.fluxo')));
    expect(err.error.code).toBe(ErrorCode.NotAWorkshop);
  });

  it('refuses to export data over the cap and writes nothing', async () => {
    const out = path.join(root, 'big.fluxopack');
    const err = await failure(workshops({ maxDataBytes: 10 }).export(lockedPipeline(), out));
    expect(err.error.code).toBe(ErrorCode.PackTooLarge);
    expect(err.error.message).toMatch(/larger than/);
    expect(readdirSync(root).filter((f) => f.includes('fluxopack'))).toEqual([]);
  });

  it('refuses to export when a step reads a file that does not exist', async () => {
    const doc = lockedPipeline();
    doc.steps[0]!.params.file = path.join(root, 'gone.csv');
    const err = await failure(workshops().export(doc, path.join(root, 'x.fluxopack')));
    expect(err.error.message).toMatch(/does not exist/);
  });

  async function craftedPack(build: (dir: string) => string[], options: { preservePaths?: boolean } = {}): Promise<string> {
    const dir = path.join(root, `craft-${Math.random().toString(36).slice(2)}`);
    mkdirSync(path.join(dir, 'inner', 'data'), { recursive: true });
    const cwd = path.join(dir, 'inner');
    writeFileSync(path.join(cwd, 'fluxo-pack.json'), JSON.stringify({ format: 'fluxo-workshop-pack', version: 1, name: 'Evil', data: [] }));
    writeFileSync(path.join(cwd, 'pipeline.fluxo'), JSON.stringify(lockedPipeline()));
    const files = build(cwd);
    const out = path.join(root, `${path.basename(dir)}.fluxopack`);
    await createTar({ gzip: true, file: out, cwd, preservePaths: options.preservePaths ?? false }, ['fluxo-pack.json', 'pipeline.fluxo', ...files]);
    return out;
  }

  function expectNothingUnpacked(): void {
    const dir = path.join(home, 'workshops');
    expect(existsSync(dir) ? readdirSync(dir) : []).toEqual([]);
  }

  it('refuses a pack with an entry that climbs out of its folder, and unpacks nothing', async () => {
    writeFileSync(path.join(root, 'escape.txt'), 'x');
    const pack = await craftedPack(() => ['../../escape.txt'], { preservePaths: true });
    const err = await failure(workshops().open(pack));
    expect(err.error.code).toBe(ErrorCode.PackInvalid);
    expect(err.error.message).toMatch(/outside the pack's folder/);
    expectNothingUnpacked();
  });

  it('refuses a pack with a symbolic link', async () => {
    const pack = await craftedPack((cwd) => {
      symlinkSync('/etc/passwd', path.join(cwd, 'data', 'passwd'));
      return ['data/passwd'];
    });
    const err = await failure(workshops().open(pack));
    expect(err.error.code).toBe(ErrorCode.PackInvalid);
    expect(err.error.message).toMatch(/symbolic link/);
    expectNothingUnpacked();
  });

  it('refuses a pack that would unpack to more than the cap', async () => {
    const pack = await craftedPack((cwd) => {
      writeFileSync(path.join(cwd, 'data', 'zeros.bin'), Buffer.alloc(200_000));
      return ['data/zeros.bin'];
    });
    const err = await failure(workshops({ maxUnpackedBytes: 100_000 }).open(pack));
    expect(err.error.code).toBe(ErrorCode.PackTooLarge);
    expectNothingUnpacked();
  });

  it('refuses a file that is not a pack, or a pack without its pipeline, with a clear message', async () => {
    const junk = path.join(root, 'junk.fluxopack');
    writeFileSync(junk, 'this is not gzip');
    expect((await failure(workshops().open(junk))).error.message).toMatch(/not a readable workshop pack/);
    const empty = path.join(root, 'empty.fluxopack');
    writeFileSync(path.join(root, 'readme.txt'), 'hi');
    await createTar({ gzip: true, file: empty, cwd: root }, ['readme.txt']);
    expect((await failure(workshops().open(empty))).error.message).toMatch(/has no fluxo-pack.json/);
    expectNothingUnpacked();
  });

  it('clears half-unpacked folders an earlier crash left, but not one being unpacked now', async () => {
    const { path: pack } = await workshops().export(lockedPipeline(), path.join(root, 'w.fluxopack'));
    const old = path.join(home, 'workshops', '.incoming-old');
    const fresh = path.join(home, 'workshops', '.incoming-fresh');
    mkdirSync(old, { recursive: true });
    mkdirSync(fresh, { recursive: true });
    const hoursAgo = new Date(Date.now() - 2 * 60 * 60 * 1000);
    utimesSync(old, hoursAgo, hoursAgo);
    await workshops().open(pack);
    expect(existsSync(old)).toBe(false);
    expect(existsSync(fresh)).toBe(true);
  });

  it('names folders safely and recognises unsafe entry names', () => {
    expect(packSlug('Tumour study (v2) — Galicia')).toBe('tumour-study-v2-galicia');
    expect(packSlug('../..')).toBe('workshop');
    expect(isSafeEntryPath('data/1-a.csv')).toBe(true);
    for (const bad of ['../x', 'data/../../x', '/etc/passwd', 'C:/x', 'a\\b', '']) expect(isSafeEntryPath(bad)).toBe(false);
  });
});
