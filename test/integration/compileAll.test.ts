// @vitest-environment node
/**
 * Every shipped example x every shipped target profile: the pipeline either compiles (and every
 * generated script passes bash -n and shellcheck -S warning, byte-identical on a second compile)
 * or is refused with problems that name the step or setting and the fix.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildCatalog } from '../../shared/catalog';
import type { CompileOptions, CompileResult } from '../../shared/compiler';
import { compile } from '../../shared/compiler';
import { parseDocument } from '../../shared/document';
import type { PipelineDocument } from '../../shared/document';
import type { TargetProfile } from '../../shared/targets';
import { EXAMPLES_DIR, loadSources } from '../blocks/harness';
import { shippedProfile, shippedProfileIds } from '../fixtures/catalog';

const catalog = buildCatalog(loadSources());
const examples = readdirSync(EXAMPLES_DIR)
  .filter((f) => f.endsWith('.fluxo'))
  .sort();
const profiles = shippedProfileIds().map(shippedProfile);
const tmp = mkdtempSync(path.join(os.tmpdir(), 'fluxo-compile-all-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const hasShellcheck = spawnSync('shellcheck', ['--version']).status === 0;

function open(file: string): PipelineDocument {
  const parsed = parseDocument(readFileSync(path.join(EXAMPLES_DIR, file), 'utf8'));
  if (!parsed.ok) throw new Error(`${file}: ${parsed.message}`);
  return parsed.document;
}

/** What a user passes for a cluster that asks: an account shaped like the site's example, no QoS (partitions bring theirs). */
function optionsFor(target: TargetProfile): CompileOptions {
  if (target.kind !== 'slurm') return {};
  return { account: target.account.example || 'project01' };
}

function lint(result: Extract<CompileResult, { ok: true }>, dir: string): void {
  for (const f of result.bundle.files) {
    mkdirSync(path.dirname(path.join(dir, f.path)), { recursive: true });
    writeFileSync(path.join(dir, f.path), f.content);
  }
  const scripts = result.bundle.files.filter((f) => f.path.endsWith('.sh')).map((f) => path.join(dir, f.path));
  expect(scripts.length).toBeGreaterThan(0);
  for (const s of scripts) execFileSync('bash', ['-n', s]);
  if (!hasShellcheck) return;
  const out = spawnSync('shellcheck', ['-S', 'warning', '-s', 'bash', ...scripts], { encoding: 'utf8' });
  expect(out.stdout).toBe('');
  expect(out.status).toBe(0);
}

describe('every example on every target profile', () => {
  it('has examples and profiles to check', () => {
    expect(catalog.problems).toEqual([]);
    expect(examples.length).toBeGreaterThan(0);
    expect(profiles.map((p) => p.id)).toEqual(expect.arrayContaining(['local', 'lab', 'cesga-ft3', 'marenostrum5', 'leonardo', 'lumi']));
  });

  for (const file of examples) {
    for (const target of profiles) {
      it(`${file} on ${target.id}: compiles to lint-clean, deterministic scripts, or is refused precisely`, () => {
        const doc = open(file);
        const result = compile(doc, catalog, target, optionsFor(target));
        if (result.ok) {
          lint(result, path.join(tmp, file, target.id));
          expect(JSON.stringify(compile(doc, catalog, target, optionsFor(target)))).toBe(JSON.stringify(result));
          // Warnings may say what could not be checked, never that the example itself is wrong.
          expect(result.warnings.filter((w) => w.code.startsWith('V'))).toEqual([]);
          return;
        }
        const errors = result.problems.filter((p) => p.severity === 'error');
        expect(errors.length).toBeGreaterThan(0);
        for (const p of errors) {
          // A shipped example is valid; only the target may refuse it.
          expect(p.code, p.message).toMatch(/^T\d{3}$/);
          expect(p.message.length).toBeGreaterThan(20);
          expect(p.fix.length).toBeGreaterThan(10);
          // Step problems name the step, run-wide ones the setting.
          expect(p.stepId !== null || p.field !== null, p.message).toBe(true);
          if (p.stepId) expect(doc.steps.map((s) => s.id)).toContain(p.stepId);
        }
      });
    }
  }

  it('refuses the LLM example on this computer because its blocks need a cluster, and compiles it for FinisTerrae III with an account', () => {
    const file = examples.find((f) => f.startsWith('llm'));
    if (!file) return expect.fail('the LLM fine-tuning example (resources/examples/llm-*.fluxo) is missing');
    const doc = open(file);
    const local = compile(doc, catalog, shippedProfile('local'));
    expect(local.ok).toBe(false);
    if (!local.ok) {
      const codes = new Set(local.problems.filter((p) => p.severity === 'error').map((p) => p.code));
      expect([...codes]).toContain('T001');
      for (const p of local.problems.filter((x) => x.code === 'T001')) expect(p.message).toMatch(/ needs a cluster: .+; choose a cluster target$/);
    }
    const ft3 = compile(doc, catalog, shippedProfile('cesga-ft3'), { account: 'curso123' });
    if (!ft3.ok) expect.fail(ft3.problems.map((p) => `${p.code} ${p.message}`).join('\n'));
  });

  it('refuses a cluster that requires an account when none is given, naming the option', () => {
    const doc = open(examples[0]!);
    const r = compile(doc, catalog, shippedProfile('lumi'));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems.find((p) => p.code === 'T006')?.message).toBe('LUMI (CSC) needs a Slurm account: pass --account NAME (looks like project_465000000)');
  });
});
