import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Result, RunRecord } from '../../shared/api';
import { contract } from '../../shared/api';
import { createBackend } from './index';
import { MAX_RANGE_BYTES, exportRun, listFolder, readRange } from './runFiles';

const repo = path.resolve(__dirname, '../..');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'fluxo-runfiles-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function value<T>(r: Result<T>): T {
  if (!r.ok) throw new Error(`${r.error.code} ${r.error.message}`);
  return r.value;
}

/** A finished run folder as the run manager leaves it: record, pipeline, step outputs and logs. */
function makeRun(home: string, id = 'run-1'): RunRecord {
  const runDir = path.join(home, 'runs', id);
  mkdirSync(path.join(runDir, 'steps', 'evaluate'), { recursive: true });
  mkdirSync(path.join(runDir, 'steps', 'load', 'series'), { recursive: true });
  mkdirSync(path.join(runDir, 'logs'), { recursive: true });
  mkdirSync(path.join(runDir, 'bundle'), { recursive: true });
  const rows = ['id,value', ...Array.from({ length: 5000 }, (_, i) => `${i},${(i * 0.37).toFixed(3)}`)].join('\n') + '\n';
  writeFileSync(path.join(runDir, 'steps', 'evaluate', 'big.csv'), rows);
  writeFileSync(path.join(runDir, 'steps', 'evaluate', 'metrics.json'), '{"accuracy": 0.9}\n');
  for (const n of [10, 2, 1]) writeFileSync(path.join(runDir, 'steps', 'load', 'series', `slice-${n}.dcm`), Buffer.alloc(n));
  writeFileSync(path.join(runDir, 'steps', 'load', 'series', '.hidden'), 'x');
  writeFileSync(path.join(runDir, 'logs', 'evaluate.log'), 'Accuracy 0.9\n');
  writeFileSync(path.join(runDir, 'bundle', 'run.sh'), '#!/bin/sh\n');
  writeFileSync(path.join(runDir, 'pipeline.fluxo'), '{}\n');
  const record: RunRecord = {
    id, pipelineName: 'Test', pipelinePath: null, targetId: 'local', status: 'completed', runDir, createdAt: '2026-11-24T00:00:00.000Z',
    endedAt: '2026-11-24T00:01:00.000Z', python: null, steps: [], error: null,
  };
  writeFileSync(path.join(runDir, 'run.json'), JSON.stringify(record));
  return record;
}

describe('ranged reads', () => {
  const home = mkdtempSync(path.join(tmp, 'home-'));
  const run = makeRun(home);
  const big = readFileSync(path.join(run.runDir, 'steps/evaluate/big.csv'));

  it('reads a large table piece by piece, the pieces adding up to the whole file', async () => {
    const pieces: Buffer[] = [];
    let offset = 0;
    for (;;) {
      const chunk = await readRange(run.runDir, 'steps/evaluate/big.csv', offset, 16 * 1024);
      expect(chunk.size).toBe(big.length);
      pieces.push(Buffer.from(chunk.base64, 'base64'));
      offset += Buffer.from(chunk.base64, 'base64').length;
      if (chunk.eof) break;
    }
    expect(pieces.length).toBe(Math.ceil(big.length / (16 * 1024)));
    expect(Buffer.concat(pieces).equals(big)).toBe(true);
  });

  it('returns an empty last piece past the end and caps one piece at 1 MiB', async () => {
    const past = await readRange(run.runDir, 'steps/evaluate/big.csv', big.length + 10, 100);
    expect(past).toMatchObject({ base64: '', eof: true, size: big.length });
    const huge = path.join(run.runDir, 'steps/evaluate/huge.bin');
    writeFileSync(huge, Buffer.alloc(MAX_RANGE_BYTES + 10, 1));
    const chunk = await readRange(run.runDir, 'steps/evaluate/huge.bin', 0, MAX_RANGE_BYTES * 4);
    expect(Buffer.from(chunk.base64, 'base64').length).toBe(MAX_RANGE_BYTES);
    expect(chunk.eof).toBe(false);
  });

  it('refuses paths outside the run folder, symlinks included, with E404', async () => {
    writeFileSync(path.join(home, 'secret.txt'), 'secret');
    symlinkSync(path.join(home, 'secret.txt'), path.join(run.runDir, 'steps/evaluate/link.txt'));
    await expect(readRange(run.runDir, '../../secret.txt', 0, 10)).rejects.toMatchObject({ error: { code: 'E404' } });
    await expect(readRange(run.runDir, 'steps/evaluate/link.txt', 0, 10)).rejects.toMatchObject({ error: { code: 'E404' } });
    await expect(listFolder(run.runDir, '..')).rejects.toMatchObject({ error: { code: 'E404' } });
  });

  it('the contract refuses negative offsets and pieces above 1 MiB before the backend sees them', () => {
    expect(contract.runs.readRange.safeParse(['run-1', 'a.csv', -1, 10]).success).toBe(false);
    expect(contract.runs.readRange.safeParse(['run-1', 'a.csv', 0, 2 * 1024 * 1024]).success).toBe(false);
    expect(contract.runs.readRange.safeParse(['run-1', 'a\0.csv', 0, 10]).success).toBe(false);
    expect(contract.runs.export.safeParse(['run-1', '/tmp/out.rar']).success).toBe(false);
    expect(contract.runs.export.safeParse(['run-1', '/tmp/out.tar.gz']).success).toBe(true);
  });

  it('lists a folder output in natural order, without hidden files, with sizes', async () => {
    const listing = await listFolder(run.runDir, 'steps/load/series');
    expect(listing.entries.map((e) => [e.name, e.size])).toEqual([['slice-1.dcm', 1], ['slice-2.dcm', 2], ['slice-10.dcm', 10]]);
    expect(listing.entries[0]?.path).toBe('steps/load/series/slice-1.dcm');
    expect(listing.truncated).toBe(false);
  });
});

describe('export', () => {
  const home = mkdtempSync(path.join(tmp, 'home-'));
  const run = makeRun(home, 'run-export');
  const expected = ['run-export/logs/evaluate.log', 'run-export/pipeline.fluxo', 'run-export/run.json', 'run-export/steps/evaluate/big.csv', 'run-export/steps/evaluate/metrics.json'];

  it('writes a .tar.gz with the outputs, logs, record and pipeline, without the bundle', async () => {
    const dest = path.join(tmp, 'out', 'run.tar.gz');
    const r = await exportRun(run, dest);
    expect(r).toMatchObject({ path: dest, format: 'tar.gz', files: 9 });
    const listed = execFileSync('tar', ['-tzf', dest], { encoding: 'utf8' }).trim().split('\n');
    for (const f of expected) expect(listed).toContain(f);
    expect(listed.some((f) => f.includes('bundle'))).toBe(false);
    const extracted = mkdtempSync(path.join(tmp, 'x-'));
    execFileSync('tar', ['-xzf', dest, '-C', extracted]);
    expect(readFileSync(path.join(extracted, 'run-export/steps/evaluate/big.csv')).equals(readFileSync(path.join(run.runDir, 'steps/evaluate/big.csv')))).toBe(true);
  });

  it('writes a .zip that python unpacks to the same bytes', async () => {
    const dest = path.join(tmp, 'out', 'run.zip');
    const r = await exportRun(run, dest);
    expect(r.format).toBe('zip');
    const check = `import zipfile,sys\nz=zipfile.ZipFile(sys.argv[1])\nassert z.testzip() is None\nprint("\\n".join(sorted(z.namelist())))\nsys.stderr.write(str(len(z.read("run-export/steps/evaluate/big.csv"))))`;
    const out = execFileSync('/usr/bin/python3', ['-c', check, dest], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    for (const f of expected) expect(out.split('\n')).toContain(f);
    const unzipped = mkdtempSync(path.join(tmp, 'z-'));
    execFileSync('/usr/bin/python3', ['-c', 'import zipfile,sys; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])', dest, unzipped]);
    expect(readFileSync(path.join(unzipped, 'run-export/logs/evaluate.log'), 'utf8')).toBe('Accuracy 0.9\n');
  });

  it('refuses an archive inside the run folder and an unknown extension', async () => {
    await expect(exportRun(run, path.join(run.runDir, 'steps', 'self.zip'))).rejects.toMatchObject({ error: { code: 'E420' } });
    await expect(exportRun(run, path.join(tmp, 'out', 'run.rar'))).rejects.toMatchObject({ error: { code: 'E100' } });
  });

  it('says why when the destination cannot be written, leaving no partial file', async () => {
    const blocker = path.join(tmp, 'a-file');
    writeFileSync(blocker, 'x');
    await expect(exportRun(run, path.join(blocker, 'run.zip'))).rejects.toMatchObject({ error: { code: 'E420', hint: expect.stringMatching(/another folder/) } });
  });
});

describe('through the backend', () => {
  it('opens the run folder through the host callback, and says E104 with the path where there is none', async () => {
    const homeDir = mkdtempSync(path.join(tmp, 'home-'));
    const run = makeRun(homeDir, 'run-open');
    const opened: string[] = [];
    const withShell = createBackend({ hostKind: 'electron', resourcesDir: path.join(repo, 'resources'), homeDir, openPath: async (p) => (opened.push(p), '') });
    expect(value(await withShell.services.runs.openFolder('run-open'))).toEqual({ path: run.runDir });
    expect(opened).toEqual([run.runDir]);
    const failing = createBackend({ hostKind: 'electron', resourcesDir: path.join(repo, 'resources'), homeDir, openPath: async () => 'No application' });
    expect(await failing.services.runs.openFolder('run-open')).toMatchObject({ ok: false, error: { code: 'E421' } });
    const browser = createBackend({ hostKind: 'browser', resourcesDir: path.join(repo, 'resources'), homeDir });
    expect(await browser.services.runs.openFolder('run-open')).toMatchObject({ ok: false, error: { code: 'E104', hint: expect.stringContaining(run.runDir) } });
    expect(await browser.services.dialogs.saveArchive('run.zip')).toMatchObject({ ok: false, error: { code: 'E104' } });
    const chunk = value(await browser.services.runs.readRange('run-open', 'steps/evaluate/metrics.json', 2, 8));
    expect(Buffer.from(chunk.base64, 'base64').toString()).toBe('accuracy');
    const listing = value(await browser.services.runs.listFiles('run-open', 'steps/load/series'));
    expect(listing.entries).toHaveLength(3);
    const exported = value(await browser.services.runs.export('run-open', path.join(homeDir, 'exports', 'run.tar.gz')));
    expect(exported.files).toBe(9); // hidden files too: an export is the whole output
    await Promise.all([withShell.dispose(), failing.dispose(), browser.dispose()]);
  });
});
