import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { testCatalog } from '../../test/fixtures/catalog';
import type { PipelineDocument } from '../document';
import { createEmptyDocument } from '../document';
import type { TargetProfile } from '../targets';
import { compile, orderSteps } from './compile';
import { commentText, quoteValue, renderWord } from './quote';
import type { Bundle } from './types';

const catalog = testCatalog();
const local: TargetProfile = { id: 'local', title: 'This computer', description: '', kind: 'local' };
const GOLDEN = path.resolve(__dirname, '../../test/golden/compiler');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'fluxo-compile-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function pipeline(): PipelineDocument {
  const doc = createEmptyDocument('Test pipeline', new Date('2026-01-01T00:00:00Z'));
  doc.steps.push(
    { id: 'rep', type: 'report', version: 1, label: 'Final report', params: { title: 'Results' }, position: { x: 600, y: 0 } },
    { id: 'src', type: 'source', version: 1, label: '', params: { rows: 5 }, position: { x: 0, y: 0 } },
    { id: 'fit', type: 'train', version: 2, label: '', params: { model: 'rf', trees: 50, rate: 0.25, verbose: true }, position: { x: 300, y: 0 } },
  );
  doc.connections.push(
    { from: { step: 'fit', port: 'model' }, to: { step: 'rep', port: 'model' } },
    { from: { step: 'src', port: 'table' }, to: { step: 'fit', port: 'data' } },
  );
  return doc;
}

function compiled(doc: PipelineDocument): Bundle {
  const result = compile(doc, catalog, local);
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return result.bundle;
}

function writeOut(bundle: Bundle, dir: string): void {
  for (const f of bundle.files) {
    const dest = path.join(dir, f.path);
    mkdirSync(path.dirname(dest), { recursive: true });
    writeFileSync(dest, f.content, { mode: f.executable ? 0o755 : 0o644 });
  }
}

describe('compile', () => {
  it('orders steps by dependency, keeping document order among ready steps', () => {
    expect(orderSteps(pipeline())).toEqual(['src', 'fit', 'rep']);
  });

  it('matches the golden bundle (UPDATE_GOLDEN=1 rewrites it after a deliberate change)', () => {
    const bundle = compiled(pipeline());
    const dir = path.join(GOLDEN, 'test-pipeline');
    if (process.env.UPDATE_GOLDEN) {
      rmSync(dir, { recursive: true, force: true });
      writeOut(bundle, dir);
    }
    const expected = readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((d) => d.isFile())
      .map((d) => path.relative(dir, path.join(d.parentPath, d.name)).split(path.sep).join('/'))
      .sort();
    expect(bundle.files.map((f) => f.path)).toEqual(expected);
    for (const f of bundle.files) expect(f.content, f.path).toBe(readFileSync(path.join(dir, f.path), 'utf8'));
  });

  it('is deterministic: compiling twice gives identical bytes', () => {
    expect(JSON.stringify(compiled(pipeline()))).toBe(JSON.stringify(compiled(pipeline())));
  });

  it('writes a manifest with steps, dependencies, outputs and the Python modules each step needs', () => {
    const { manifest, assets } = compiled(pipeline());
    expect(manifest.order).toEqual(['src', 'fit', 'rep']);
    expect(manifest.steps.find((s) => s.id === 'rep')).toMatchObject({ dependsOn: ['fit'], outputs: [{ port: 'report', path: 'steps/rep/report.html' }] });
    expect(manifest.python?.modules).toMatchObject([{ import: 'json', usedBy: ['src'] }]);
    expect(assets.map((a) => a.path)).toEqual(['blocks/source/make.py', 'blocks/train/train.py', 'blocks/report/report.py', 'lib/python/fluxo_block.py']);
    expect(assets[0]?.from).toBe('blocks/source/make.py');
  });

  it('refuses an invalid pipeline with the validation problems', () => {
    const doc = pipeline();
    doc.connections.pop();
    const result = compile(doc, catalog, local);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problems[0]?.code).toBe('V005');
  });

  it('produces scripts that bash parses and shellcheck accepts', () => {
    const dir = path.join(tmp, 'lint');
    writeOut(compiled(pipeline()), dir);
    const scripts = compiled(pipeline()).files.filter((f) => f.path.endsWith('.sh')).map((f) => path.join(dir, f.path));
    for (const s of scripts) execFileSync('bash', ['-n', s]);
    const shellcheck = spawnSync('shellcheck', ['--version']);
    if (shellcheck.status !== 0) {
      console.warn('shellcheck is not installed (apt install shellcheck); only bash -n was checked');
      return;
    }
    const out = spawnSync('shellcheck', ['-S', 'style', '-s', 'bash', ...scripts], { encoding: 'utf8' });
    expect(out.stdout).toBe('');
    expect(out.status).toBe(0);
  });
});

describe('quoting', () => {
  it('single-quotes values, escaping quotes the POSIX way', () => {
    expect(quoteValue("it's")).toBe(`'it'\\''s'`);
    expect(quoteValue('')).toBe("''");
    expect(() => quoteValue('a\0b')).toThrow(/NUL/);
  });

  it('keeps variables and safe path text together in double quotes, values single-quoted', () => {
    expect(renderWord([{ kind: 'var', name: 'FLUXO_RUN' }, { kind: 'text', text: '/steps/a/t.csv' }])).toBe('"${FLUXO_RUN}/steps/a/t.csv"');
    expect(renderWord([{ kind: 'text', text: '--model=' }, { kind: 'value', value: 'rf' }])).toBe("--model='rf'");
    expect(renderWord([{ kind: 'text', text: '$(x)' }])).toBe("'$(x)'");
  });

  it('turns a multi-line pipeline name into one comment line', () => {
    expect(commentText('Name\nrm -rf ~\r\n# x')).toBe('Name rm -rf ~ # x');
  });

  it('passes hostile values to the program byte for byte, running nothing', () => {
    const hostile = [
      "'; touch INJECTED; echo '",
      '$(touch INJECTED)',
      '`touch INJECTED`',
      'a\nb\n#SBATCH --x',
      '"double" \\ back $HOME * ? [a] ~ & | ; < >',
      'ünïcødé 🧬',
    ];
    const doc = pipeline();
    doc.metadata.name = 'Evil\ntouch INJECTED';
    const dir = path.join(tmp, 'hostile');
    for (const [i, value] of hostile.entries()) {
      doc.steps[0]!.params = { title: value };
      const bundle = compiled(doc);
      const runDir = path.join(dir, String(i));
      writeOut(bundle, path.join(runDir, 'bundle'));
      // A stand-in interpreter that records its argv as JSON instead of running a block.
      const recorder = path.join(runDir, 'record.sh');
      writeFileSync(recorder, '#!/usr/bin/env bash\nnode -e \'require("fs").writeFileSync("argv.json", JSON.stringify(process.argv.slice(1)))\' -- "$@"\n', { mode: 0o755 });
      const rep = bundle.manifest.steps.find((s) => s.id === 'rep')!;
      execFileSync('bash', [path.join(runDir, 'bundle', rep.script)], { cwd: runDir, env: { ...process.env, FLUXO_PYTHON: recorder, FLUXO_RUN: runDir } });
      const argv = JSON.parse(readFileSync(path.join(runDir, 'steps/rep/argv.json'), 'utf8')) as string[];
      expect(argv[argv.indexOf('--title') + 1]).toBe(value);
      expect(argv[argv.indexOf('--extra') + 1]).toBe('');
      expect(readdirSync(runDir)).not.toContain('INJECTED');
      expect(readdirSync(path.join(runDir, 'steps/rep'))).not.toContain('INJECTED');
    }
  });
});
