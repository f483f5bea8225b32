/**
 * How long compiling a large pipeline takes, next to parsing and validating it: a generated
 * 1,000-step pipeline (chains, fan-outs and sweeps of the test catalog), compiled for "This
 * computer" and for the lab's Slurm profile. Prints medians; asserts nothing (see bench/README.md).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parse as parseYaml } from 'yaml';
import { testCatalog } from '../test/fixtures/catalog';
import { compile } from '../shared/compiler';
import type { PipelineDocument } from '../shared/document';
import { createEmptyDocument, parseDocument, serializeDocument } from '../shared/document';
import type { TargetProfile } from '../shared/targets';
import { zTargetProfile } from '../shared/targets';
import { validatePipeline } from '../shared/validate';

const STEPS = 1000;
const WARMUP = 2;
const REPEATS = Number(process.env.BENCH_REPEATS ?? 9);

/**
 * Groups of ten steps: a source fanning out to six trainers (every tenth group's first trainer a
 * three-point sweep), three of which feed a report; each group's source also reads nothing, so
 * the groups form 100 independent chains joined only by their shared shape.
 */
export function bigPipeline(steps: number): PipelineDocument {
  const doc = createEmptyDocument(`Generated ${steps}-step pipeline`, new Date('2026-01-01T00:00:00Z'));
  for (let g = 0; doc.steps.length < steps; g++) {
    const src = `src-${g}`;
    doc.steps.push({ id: src, type: 'source', version: 1, label: '', params: { rows: 10 + (g % 50), label: `group ${g}: "it's" $(x)` }, position: { x: 0, y: g * 100 } });
    for (let t = 0; t < 6 && doc.steps.length < steps; t++) {
      const id = `fit-${g}-${t}`;
      const sweep = g % 10 === 0 && t === 0 ? { values: { rate: [0.1, 0.2, 0.3] }, maxParallel: 2 } : undefined;
      doc.steps.push({ id, type: 'train', version: 2, label: '', params: { model: t % 2 ? 'rf' : 'lr', trees: 50 + t, rate: 0.5 }, ...(sweep ? { sweep } : {}), position: { x: 300, y: g * 100 + t * 10 } });
      doc.connections.push({ from: { step: src, port: 'table' }, to: { step: id, port: 'data' } });
    }
    for (let r = 0; r < 3 && doc.steps.length < steps; r++) {
      const id = `rep-${g}-${r}`;
      doc.steps.push({ id, type: 'report', version: 1, label: '', params: { title: `Report ${g}.${r}` }, position: { x: 600, y: g * 100 + r * 10 } });
      doc.connections.push({ from: { step: `fit-${g}-${r}`, port: 'model' }, to: { step: id, port: 'model' } }, { from: { step: src, port: 'table' }, to: { step: id, port: 'extra' } });
    }
  }
  return doc;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function time(fn: () => void): number {
  for (let i = 0; i < WARMUP; i++) fn();
  const runs: number[] = [];
  for (let i = 0; i < REPEATS; i++) {
    const t0 = performance.now();
    fn();
    runs.push(performance.now() - t0);
  }
  return median(runs);
}

function main(): void {
  const repo = process.env.FLUXO_REPO ?? process.cwd();
  const catalog = testCatalog();
  const lab = zTargetProfile.parse(parseYaml(readFileSync(path.join(repo, 'resources/targets/lab.yaml'), 'utf8')));
  const local: TargetProfile = { id: 'local', title: 'This computer', description: '', kind: 'local' };
  const text = serializeDocument(bigPipeline(STEPS));
  const parsed = parseDocument(text);
  if (!parsed.ok) throw new Error(`the generated pipeline does not parse: ${parsed.message}`);
  const doc = parsed.document;

  const parseValidate = time(() => {
    const p = parseDocument(text);
    if (!p.ok) throw new Error(p.message);
    validatePipeline(p.document, catalog);
  });
  console.log(`pipeline: ${doc.steps.length} steps, ${doc.connections.length} connections, ${(text.length / 1024).toFixed(0)} KiB; median of ${REPEATS} runs after ${WARMUP} warm-up runs`);
  console.log(`parse + validate:            ${parseValidate.toFixed(1)} ms`);
  for (const target of [local, lab]) {
    let files = 0;
    let bytes = 0;
    const compileMs = time(() => {
      const r = compile(doc, catalog, target);
      if (!r.ok) throw new Error(`compile for ${target.id} failed: ${r.problems.slice(0, 3).map((p) => p.message).join('; ')}`);
      files = r.bundle.files.length;
      bytes = r.bundle.files.reduce((n, f) => n + f.content.length, 0);
    });
    console.log(`compile for ${target.id.padEnd(6)}          ${compileMs.toFixed(1)} ms  (${files} files, ${(bytes / 1024 / 1024).toFixed(1)} MiB)`);
    console.log(`compile / (parse + validate) = ${(compileMs / parseValidate).toFixed(1)} (${target.id})`);
  }
}

main();
