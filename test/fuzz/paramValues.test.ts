// @vitest-environment node
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildCatalog } from '../../shared/catalog';
import { compile } from '../../shared/compiler';
import { QuoteError, quoteValue, renderWord } from '../../shared/compiler/quote';
import { createEmptyDocument } from '../../shared/document';
import type { TargetProfile } from '../../shared/targets';
import type { WordPart } from '../../shared/compiler/quote';
import { hostileStrings, pick, prng } from './generate';

/**
 * Whatever a user types as a param value must reach the block's program byte for byte: no shell
 * expansion, no word splitting, no lost or added bytes. Each generated value becomes a word with
 * the compiler's own quoting (renderWord, as compile.ts renders a template argument), the words
 * are written into a bash script in the layout the compiler emits (one argument per continued
 * line), and a real program (/usr/bin/printf, started by bash with execve) writes back every
 * argument it received, NUL-terminated. Thousands of values per bash process keep it fast.
 */

const TOTAL = 100_000;
const PER_SCRIPT = 10_000;
/** Keeps each execve well under Linux's ARG_MAX (2 MiB with the default stack limit). */
const MAX_ARGS_BYTES = 256 * 1024;
const RUN_DIR = '/tmp/run dir/with $pace and \'quote\'';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'fluxo-fuzz-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface Case {
  word: string;
  /** The bytes the program must receive. */
  expected: Buffer;
}

/**
 * The shapes a param takes in a template argument: alone ("{{params.x}}"), after a flag
 * ("--model={{params.x}}"), after a path with a variable ("{{outdir}}/{{params.x}}"), and between
 * arbitrary text (which renderWord must also quote when it is not plain).
 */
function makeCase(value: string, i: number, rand: () => number, extra: string[]): Case {
  let parts: WordPart[];
  switch (i % 4) {
    case 0:
      parts = [{ kind: 'value', value }];
      break;
    case 1:
      parts = [{ kind: 'text', text: '--model=' }, { kind: 'value', value }];
      break;
    case 2:
      parts = [{ kind: 'var', name: 'FLUXO_RUN' }, { kind: 'text', text: '/steps/x/' }, { kind: 'value', value }];
      break;
    default:
      parts = [{ kind: 'text', text: pick(rand, extra) }, { kind: 'value', value }, { kind: 'text', text: pick(rand, extra) }];
  }
  const expected = parts.map((p) => (p.kind === 'text' ? p.text : p.kind === 'value' ? p.value : RUN_DIR)).join('');
  return { word: renderWord(parts), expected: Buffer.from(expected, 'utf8') };
}

/** Writes one script for a batch, runs it under bash, and returns what the program received. */
function runBatch(words: string[], name: string, locale: string): Buffer[] {
  const lines = ['#!/usr/bin/env bash', 'set -euo pipefail', `FLUXO_RUN=${quoteValue(RUN_DIR)}`];
  let call: string[] = [];
  let bytes = 0;
  const flush = () => {
    if (call.length === 0) return;
    lines.push(['/usr/bin/printf', "'%s\\0'", ...call].join(' \\\n  '));
    call = [];
    bytes = 0;
  };
  for (const w of words) {
    if (bytes + Buffer.byteLength(w) > MAX_ARGS_BYTES) flush();
    call.push(w);
    bytes += Buffer.byteLength(w) + 1;
  }
  flush();
  const script = path.join(tmp, `${name}.sh`);
  writeFileSync(script, `${lines.join('\n')}\n`);
  const r = spawnSync('bash', [script], { env: { PATH: '/usr/bin:/bin', LC_ALL: locale, HOME: tmp }, maxBuffer: 256 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`bash failed (${r.status}): ${r.stderr.toString().slice(0, 2000)}`);
  const out: Buffer[] = [];
  let start = 0;
  for (let i = 0; i < r.stdout.length; i++) {
    if (r.stdout[i] === 0) {
      out.push(r.stdout.subarray(start, i));
      start = i + 1;
    }
  }
  if (start !== r.stdout.length) throw new Error('output did not end with NUL');
  return out;
}

function compare(cases: Case[], received: Buffer[]): string[] {
  const mismatches: string[] = [];
  if (received.length !== cases.length) mismatches.push(`expected ${cases.length} arguments, the program received ${received.length}`);
  cases.forEach((c, i) => {
    const got = received[i];
    if (!got || !got.equals(c.expected)) {
      mismatches.push(`#${i}: sent ${JSON.stringify(c.expected.toString('utf8'))} as ${JSON.stringify(c.word)}, received ${JSON.stringify(got?.toString('utf8'))}`);
    }
  });
  return mismatches;
}

describe('param values reach the program byte for byte under bash', () => {
  const values = hostileStrings(20250101, TOTAL);
  const extra = hostileStrings(7, 500);

  it(`${TOTAL.toLocaleString('en')} generated values: 0 mismatches`, () => {
    const rand = prng(42);
    const cases = values.map((v, i) => makeCase(v, i, rand, extra));
    // The generator really produces the hostile material the issue lists.
    const all = values.join('');
    for (const s of ["'", '"', '\\', '$(', '`', ';', '&&', '|', '\n', '\r', '\t', '#', '%', '*', '~', '\u202e', '😀']) expect(all).toContain(s);
    expect(values).toContain('');
    expect(values.filter((v) => Buffer.byteLength(v) >= 10_000).length).toBeGreaterThan(400);
    expect(values.filter((v) => v.startsWith('-')).length).toBeGreaterThan(1000);

    const mismatches: string[] = [];
    for (let b = 0; b * PER_SCRIPT < cases.length; b++) {
      const batch = cases.slice(b * PER_SCRIPT, (b + 1) * PER_SCRIPT);
      // Alternate locales: a UTF-8 one and the plain C locale bash falls back to on many clusters.
      const received = runBatch(
        batch.map((c) => c.word),
        `batch-${b}`,
        b % 2 === 0 ? 'C.UTF-8' : 'C',
      );
      mismatches.push(...compare(batch, received).map((m) => `batch ${b} ${m}`));
    }
    expect(mismatches.slice(0, 10), `${mismatches.length} mismatches`).toEqual([]);
  }, 120_000);

  it('the comparison catches a quoting that loses a single byte (the harness can fail)', () => {
    const sample = values.slice(0, 3000);
    const lossy = sample.map((v) => ({ word: quoteValue(v.replace(/\r/g, '')), expected: Buffer.from(v, 'utf8') }));
    const mismatches = compare(lossy, runBatch(lossy.map((c) => c.word), 'lossy', 'C.UTF-8'));
    expect(mismatches.length).toBe(sample.filter((v) => v.includes('\r')).length);
    expect(mismatches.length).toBeGreaterThan(10);
  });

  it('a NUL cannot be passed in an argument, so it is refused with a message saying so', () => {
    for (const v of ['\0', 'a\0b', `${'x'.repeat(5000)}\0`]) {
      expect(() => quoteValue(v)).toThrow(QuoteError);
      expect(() => quoteValue(v)).toThrow(/NUL character, which cannot be passed to a program/);
      expect(() => renderWord([{ kind: 'text', text: '--x=' }, { kind: 'value', value: v }])).toThrow(QuoteError);
    }
  });
});

/**
 * The same promise through the real compiler: values as the params of steps, compiled for this
 * computer, each step script run by bash, and a real Python program writing back the bytes of its
 * argv (os.fsencode undoes Python's decoding exactly).
 */
describe('param values through compiled step scripts', () => {
  const PARAMS = 10;
  const STEPS = 25;
  const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
  const block = `
id: argv
version: 1
title: Argv
category: data
description: Writes the bytes of its arguments to a file.
params:
${Array.from({ length: PARAMS }, (_, i) => `  - { id: v${i}, type: string, title: V${i}, default: "", required: false, maxLength: 20000 }`).join('\n')}
outputs:
  - { id: out, title: Out, format: data.bin, path: argv.bin }
command: ["{{python}}", "-c", "import os, sys; open(sys.argv[1], 'wb').write(b'\\\\0'.join(os.fsencode(a) for a in sys.argv[2:]))", "{{outputs.out}}", ${Array.from({ length: PARAMS }, (_, i) => `"{{params.v${i}}}", "--v${i}={{params.v${i}}}"`).join(', ')}]
`;
  const catalog = buildCatalog([{ folder: 'argv', file: 'block.yaml', text: block, siblings: [] }]);
  const local: TargetProfile = { id: 'local', title: 'This computer', description: '', kind: 'local' };

  it(`${PARAMS * STEPS} generated values as step params: every program receives them byte for byte`, () => {
    expect(catalog.problems).toEqual([]);
    const values = hostileStrings(99, PARAMS * STEPS);
    const doc = createEmptyDocument('Fuzz "pipeline"', new Date('2026-01-01T00:00:00Z'));
    for (let s = 0; s < STEPS; s++) {
      const params = Object.fromEntries(Array.from({ length: PARAMS }, (_, i) => [`v${i}`, values[s * PARAMS + i]!]));
      doc.steps.push({ id: `s${s}`, type: 'argv', version: 1, label: '', params, position: { x: 0, y: s } });
    }
    const result = compile(doc, catalog, local);
    if (!result.ok) throw new Error(JSON.stringify(result.problems.slice(0, 3)));
    const runDir = path.join(tmp, 'e2e');
    for (const f of result.bundle.files) {
      const dest = path.join(runDir, 'bundle', f.path);
      mkdirSync(path.dirname(dest), { recursive: true });
      writeFileSync(dest, f.content);
    }
    const mismatches: string[] = [];
    for (const step of result.bundle.manifest.steps) {
      const r = spawnSync('bash', [path.join(runDir, 'bundle', step.script)], { env: { PATH: process.env.PATH, HOME: tmp, FLUXO_PYTHON: python, LC_ALL: 'C.UTF-8' }, encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      const got = readFileSync(path.join(runDir, step.outputs[0]!.path)).toString('binary').split('\0');
      const s = Number(step.id.slice(1));
      for (let i = 0; i < PARAMS; i++) {
        const v = values[s * PARAMS + i]!;
        const want = [Buffer.from(v, 'utf8'), Buffer.from(`--v${i}=${v}`, 'utf8')];
        const have = [Buffer.from(got[2 * i] ?? '', 'binary'), Buffer.from(got[2 * i + 1] ?? '', 'binary')];
        if (!want[0]!.equals(have[0]!) || !want[1]!.equals(have[1]!)) mismatches.push(`step ${step.id} v${i}: sent ${JSON.stringify(v)}, received ${JSON.stringify(have.map((b) => b.toString('utf8')))}`);
      }
      expect(got.length).toBe(2 * PARAMS);
    }
    expect(mismatches.slice(0, 5), `${mismatches.length} mismatches`).toEqual([]);
  }, 120_000);

  it('a NUL in a param value is refused by the compiler with a message, before anything is written', () => {
    const doc = createEmptyDocument('NUL', new Date('2026-01-01T00:00:00Z'));
    doc.steps.push({ id: 'n', type: 'argv', version: 1, label: '', params: { v0: 'before\0after' }, position: { x: 0, y: 0 } });
    const result = compile(doc, catalog, local);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems.map((p) => p.message).join('\n')).toMatch(/NUL/);
  });
});

