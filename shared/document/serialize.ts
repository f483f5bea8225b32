import { z } from 'zod';
import type { PipelineDocument, StepResources } from './schema';
import { migrate } from './migrate';
import { DOCUMENT_FORMAT, DOCUMENT_VERSION, zPipelineDocument } from './schema';

export interface DocumentProblem {
  /** JSON path of the offending value, e.g. "steps[2].position.x". Empty for the whole file. */
  path: string;
  message: string;
}

export type ParseOutcome =
  | { ok: true; document: PipelineDocument; migratedFrom: number | null }
  | { ok: false; message: string; hint: string; problems: DocumentProblem[] };

function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out;
}

/** Parses the text of a .fluxo file: JSON, then migration, then the schema. Never throws. */
export function parseDocument(text: string): ParseOutcome {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    const detail = e instanceof Error ? e.message : String(e);
    return {
      ok: false,
      message: `the file is not valid JSON (${detail}); it may be truncated or edited by hand`,
      hint: 'Restore it from a backup or version control; Fluxo did not change it.',
      problems: [{ path: '', message: detail }],
    };
  }
  const migrated = migrate(json);
  if (!migrated.ok) return { ok: false, message: migrated.message, hint: migrated.hint, problems: [{ path: '', message: migrated.message }] };
  const parsed = zPipelineDocument.safeParse(migrated.raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => ({ path: formatPath(i.path), message: i.message }));
    const first = problems[0];
    return {
      ok: false,
      message: `the pipeline file has ${problems.length} problem${problems.length === 1 ? '' : 's'}; first: ${first ? `${first.path || '(file)'}: ${first.message}` : 'unknown'}`,
      hint: 'Fix the named fields in a text editor, or restore the file; Fluxo did not change it.',
      problems,
    };
  }
  const from = typeof (json as { version?: unknown }).version === 'number' ? (json as { version: number }).version : null;
  return { ok: true, document: parsed.data, migratedFrom: from !== null && from !== parsed.data.version ? from : null };
}

function sortedRecord<T>(record: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function orderedResources(r: StepResources): StepResources {
  const out: StepResources = {};
  for (const key of ['cpus', 'memoryMb', 'timeMinutes', 'gpus', 'partition'] as const) if (r[key] !== undefined) (out as Record<string, unknown>)[key] = r[key];
  return out;
}

/**
 * Writes a document so that it diffs cleanly in git: keys in schema order (params sorted by name),
 * two-space indentation, one value per line, and a trailing newline.
 */
export function serializeDocument(document: PipelineDocument): string {
  const doc = zPipelineDocument.parse(document);
  const ordered = {
    format: doc.format,
    version: doc.version,
    metadata: {
      name: doc.metadata.name,
      description: doc.metadata.description,
      author: doc.metadata.author,
      created: doc.metadata.created,
      updated: doc.metadata.updated,
    },
    steps: doc.steps.map((s) => ({
      id: s.id,
      type: s.type,
      version: s.version,
      label: s.label,
      params: sortedRecord(s.params),
      ...(s.resources ? { resources: orderedResources(s.resources) } : {}),
      ...(s.sweep
        ? { sweep: { values: sortedRecord(s.sweep.values), ...(s.sweep.maxParallel !== undefined ? { maxParallel: s.sweep.maxParallel } : {}) } }
        : {}),
      position: { x: s.position.x, y: s.position.y },
    })),
    connections: doc.connections.map((c) => ({
      from: { step: c.from.step, port: c.from.port },
      to: { step: c.to.step, port: c.to.port },
    })),
    notes: doc.notes.map((n) => ({
      id: n.id,
      text: n.text,
      position: { x: n.position.x, y: n.position.y },
      ...(n.size ? { size: { width: n.size.width, height: n.size.height } } : {}),
      ...(n.color ? { color: n.color } : {}),
    })),
    ...(doc.lock ? { lock: { editable: [...doc.lock.editable].sort(), message: doc.lock.message } } : {}),
  } satisfies PipelineDocument;
  return `${JSON.stringify(ordered, null, 2)}\n`;
}

/** The JSON Schema other tools can validate .fluxo files with (written to resources/schema/). */
export function documentJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(zPipelineDocument, { io: 'input' }),
    $id: `https://fluxo.app/schema/pipeline-v${DOCUMENT_VERSION}.json`,
    title: 'Fluxo pipeline (.fluxo)',
  };
}

export function createEmptyDocument(name: string, now: Date): PipelineDocument {
  const stamp = now.toISOString();
  return {
    format: DOCUMENT_FORMAT,
    version: DOCUMENT_VERSION,
    metadata: { name, description: '', author: '', created: stamp, updated: stamp },
    steps: [],
    connections: [],
    notes: [],
  };
}
