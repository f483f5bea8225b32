/**
 * Cache keys of steps, for "a step whose block version, params and input contents are unchanged
 * since a finished run is not run again" (issue 4, part 7).
 *
 * shared/ cannot hash (no node:crypto), so this module builds each step's key *material*: a
 * canonical JSON text of everything that decides the step's outputs. The caller hashes it; the
 * Electron side passes node's sha256:
 *
 *     stepCacheKeys(doc, catalog, manifest, digests, (s) => createHash('sha256').update(s).digest('hex'))
 *
 * A step's material holds the keys (hashes) of the steps it reads from, so a change anywhere
 * upstream changes every key downstream of it, and nothing upstream.
 *
 * In the material: the block (id, version, argv template), the software environment the target
 * gives it, the params as they reach the command (defaults filled in), each task's sweep point,
 * the digest of every file or folder a path param names, and per input port the upstream step,
 * output port, file and key it reads. Left out because they do not change outputs: labels,
 * canvas positions, notes, the order params are written in, resources (CPUs, memory, time,
 * partition), account, QoS, maxParallel.
 */
import type { Catalog } from '../catalog';
import { findBlock } from '../catalog';
import type { ParamValue, PipelineDocument } from '../document';
import type { BundleManifest } from './types';

/** Bump when the material's shape or meaning changes, so keys of older runs stop matching. */
export const CACHE_MATERIAL_VERSION = 1;

/** Text -> a digest of it (hex sha256 on the Electron side). Must be deterministic. */
export type CacheHash = (text: string) => string;

/**
 * The content digest of each path-param value: the value as written in the pipeline (a path on
 * the user's computer) -> sha256 of the file's bytes, or of a folder's listing and contents.
 * A path missing here makes its step (and everything downstream) uncacheable.
 */
export type InputDigests = Readonly<Record<string, string>>;

/** JSON with object keys sorted at every level and no whitespace: equal values give equal text. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    const text = JSON.stringify(value);
    // undefined, functions and symbols have no JSON form; the material never holds them.
    if (text === undefined) throw new Error(`canonicalJson: ${typeof value} has no JSON form`);
    return text;
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

interface InputRead {
  step: string;
  port: string;
  file: string;
  key: string;
}

/**
 * The key material (canonical JSON) of every step that can be cached, by step id. A step is left
 * out, and so is every step downstream of it, when a path param of it names a file with no digest
 * in `inputDigests`: without the content it cannot be known unchanged, so it always runs.
 * `hash` turns an upstream step's material into the key recorded in its dependants' material.
 */
export function stepCacheMaterial(doc: PipelineDocument, catalog: Pick<Catalog, 'blocks'>, manifest: BundleManifest, inputDigests: InputDigests, hash: CacheHash): Record<string, string> {
  const material: Record<string, string> = {};
  const keys = new Map<string, string>();
  const byId = new Map(manifest.steps.map((s) => [s.id, s]));
  const docSteps = new Map(doc.steps.map((s) => [s.id, s]));

  steps: for (const id of manifest.order) {
    const step = byId.get(id);
    const docStep = docSteps.get(id);
    if (!step || !docStep) throw new Error(`step ${id} of the bundle is not in the pipeline: compile the pipeline again`);
    const block = findBlock(catalog, step.block.id);
    if (!block) throw new Error(`step ${id} uses the block ${step.block.id}, which is not in the catalog`);

    // Every path-param value this step's command gets: its plain params and its own sweep points.
    const files: Record<string, string | null> = {};
    const ownPoints = step.tasks && step.tasks.sweepOf === id ? step.tasks.points : [];
    for (const def of block.params) {
      if (def.type !== 'path') continue;
      const values: ParamValue[] = [];
      if (def.id in step.params) values.push(step.params[def.id]!);
      for (const point of ownPoints) if (def.id in point) values.push(point[def.id]!);
      for (const value of values) {
        const path = String(value);
        if (path === '') continue;
        const digest = inputDigests[path];
        if (digest === undefined) continue steps;
        files[path] = digest;
      }
    }

    // Per input port, what it reads in document order (the order a fan-in passes paths in).
    const inputs: Record<string, InputRead[]> = {};
    for (const c of doc.connections) {
      if (c.to.step !== id) continue;
      const up = byId.get(c.from.step);
      const upBlock = up && findBlock(catalog, up.block.id);
      const file = upBlock?.outputs.find((o) => o.id === c.from.port)?.path;
      if (!up || file === undefined) throw new Error(`step ${id} reads ${c.from.step}.${c.from.port}, which the bundle does not produce: compile the pipeline again`);
      const key = keys.get(up.id);
      if (key === undefined) continue steps;
      (inputs[c.to.port] ??= []).push({ step: up.id, port: c.from.port, file, key });
    }

    const env = step.environment;
    const text = canonicalJson({
      cache: CACHE_MATERIAL_VERSION,
      block: { id: block.id, version: step.block.version, command: block.command },
      environment: { kind: env.kind, modules: env.modules, image: env.image, conda: env.conda },
      params: step.params,
      points: step.tasks ? step.tasks.points : null,
      files,
      inputs,
    });
    material[id] = text;
    keys.set(id, hash(text));
  }
  return material;
}

/**
 * The cache key of every step that can be cached: `hash` of its material (see stepCacheMaterial).
 * Equal keys mean the step would compute the same outputs, so a finished step's outputs with this
 * key can be used instead of running it. A step absent from the result always runs.
 */
export function stepCacheKeys(doc: PipelineDocument, catalog: Pick<Catalog, 'blocks'>, manifest: BundleManifest, inputDigests: InputDigests, hash: CacheHash): Record<string, string> {
  const material = stepCacheMaterial(doc, catalog, manifest, inputDigests, hash);
  return Object.fromEntries(Object.entries(material).map(([id, text]) => [id, hash(text)]));
}
