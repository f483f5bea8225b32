import type { BlockDefinition } from '../../../shared/catalog';
import type { CompileOptions } from '../../../shared/compiler';
import { compile } from '../../../shared/compiler';
import type { PipelineDocument } from '../../../shared/document';
import type { TargetProfile } from '../../../shared/targets';

export type StepScript =
  | { ok: true; script: string; fileName: string; warnings: string[] }
  | { ok: false; reasons: string[] };

/** The step and every step it reads from, directly or not. */
export function upstreamOf(doc: PipelineDocument, stepId: string): Set<string> {
  const keep = new Set<string>();
  const stack = [stepId];
  while (stack.length) {
    const id = stack.pop()!;
    if (keep.has(id)) continue;
    keep.add(id);
    for (const c of doc.connections) if (c.to.step === id) stack.push(c.from.step);
  }
  return keep;
}

/**
 * The batch script a step compiles to on a target, from the same pure compiler a run uses. Only
 * the step and what it depends on are compiled, so an unfinished branch elsewhere in the pipeline
 * does not hide this step's script; when the compiler refuses, its reasons are returned instead.
 */
export function stepScript(doc: PipelineDocument, stepId: string, blocks: readonly BlockDefinition[], target: TargetProfile, options: CompileOptions = {}): StepScript {
  const keep = upstreamOf(doc, stepId);
  const sub: PipelineDocument = { ...doc, steps: doc.steps.filter((s) => keep.has(s.id)), connections: doc.connections.filter((c) => keep.has(c.from.step) && keep.has(c.to.step)) };
  let result: ReturnType<typeof compile>;
  try {
    result = compile(sub, { blocks: blocks as BlockDefinition[] }, target, options);
  } catch (e) {
    return { ok: false, reasons: [e instanceof Error ? e.message : String(e)] };
  }
  if (!result.ok) {
    const errors = result.problems.filter((p) => p.severity === 'error');
    return { ok: false, reasons: (errors.length ? errors : result.problems).map((p) => (p.fix ? `${p.message}. ${p.fix}` : p.message)) };
  }
  const manifest = result.bundle.manifest.steps.find((s) => s.id === stepId);
  const file = manifest && result.bundle.files.find((f) => f.path === manifest.script);
  if (!manifest || !file) return { ok: false, reasons: [`no script was made for step ${stepId}`] };
  return { ok: true, script: file.content, fileName: manifest.script, warnings: result.warnings.filter((w) => w.stepId === stepId || w.stepId === null).map((w) => w.message) };
}
