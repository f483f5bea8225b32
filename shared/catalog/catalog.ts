import { parse as parseYaml } from 'yaml';
import type { BlockDefinition } from './schema';
import { zBlockDefinition } from './schema';
import { checkParamValue } from './params';
import { parseTemplateArg } from './template';
import { unknownTranslationKeys } from './i18n';

/** A problem found while loading one block definition; the rest of the catalog still loads. */
export interface CatalogProblem {
  /** The definition file, relative to the blocks folder, e.g. "split-train-test/block.yaml". */
  file: string;
  /** Dotted path of the field, e.g. "params[1].default"; empty for the whole file. */
  field: string;
  message: string;
}

export interface Catalog {
  blocks: BlockDefinition[];
  problems: CatalogProblem[];
}

/** What an impure loader hands over for one block folder. */
export interface BlockSource {
  /** Folder name, e.g. "split-train-test". */
  folder: string;
  /** Definition file name inside it, e.g. "block.yaml". */
  file: string;
  text: string;
  /** Names of the other files present in the folder, to check `files:`. */
  siblings: string[];
}

function fieldPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const part of path) out += typeof part === 'number' ? `[${part}]` : `${out ? '.' : ''}${String(part)}`;
  return out;
}

/** Cross-field checks zod cannot express: unique ids, defaults in bounds, template references. */
function checkDefinition(block: BlockDefinition, siblings: string[]): Array<{ field: string; message: string }> {
  const found: Array<{ field: string; message: string }> = [];
  const seen = new Set<string>();
  const unique = (kind: string, ids: string[], field: string) => {
    seen.clear();
    ids.forEach((id, i) => {
      if (seen.has(id)) found.push({ field: `${field}[${i}].id`, message: `duplicate ${kind} id "${id}"` });
      seen.add(id);
    });
  };
  unique('input', block.inputs.map((p) => p.id), 'inputs');
  unique('output', block.outputs.map((p) => p.id), 'outputs');
  unique('param', block.params.map((p) => p.id), 'params');
  const paramIds = new Set(block.params.map((p) => p.id));
  block.params.forEach((p, i) => {
    if (p.default !== undefined) {
      const problem = checkParamValue(p, p.default);
      if (problem) found.push({ field: `params[${i}].default`, message: problem });
    }
    if ((p.type === 'integer' || p.type === 'number') && p.min !== undefined && p.max !== undefined && p.min > p.max) {
      found.push({ field: `params[${i}].max`, message: `max (${p.max}) is below min (${p.min})` });
    }
    for (const other of Object.keys(p.show ?? {})) {
      if (!paramIds.has(other) || other === p.id) found.push({ field: `params[${i}].show.${other}`, message: `show refers to unknown param "${other}"` });
    }
  });
  for (const f of block.files) {
    if (!siblings.includes(f)) found.push({ field: 'files', message: `file "${f}" is listed but not present beside the definition` });
  }
  found.push(...unknownTranslationKeys(block));
  const inputs = new Set(block.inputs.map((p) => p.id));
  const outputs = new Set(block.outputs.map((p) => p.id));
  block.command.forEach((arg, i) => {
    const parsed = parseTemplateArg(arg);
    if (!parsed.ok) {
      found.push({ field: `command[${i}]`, message: parsed.message });
      return;
    }
    for (const part of parsed.parts) {
      if (part.kind === 'param' && !paramIds.has(part.id)) found.push({ field: `command[${i}]`, message: `unknown param "${part.id}"` });
      if (part.kind === 'input' && !inputs.has(part.id)) found.push({ field: `command[${i}]`, message: `unknown input "${part.id}"` });
      if (part.kind === 'output' && !outputs.has(part.id)) found.push({ field: `command[${i}]`, message: `unknown output "${part.id}"` });
    }
  });
  return found;
}

/** Builds the catalog from block sources. Pure: the file reading happens in the backend. */
export function buildCatalog(sources: BlockSource[]): Catalog {
  const blocks: BlockDefinition[] = [];
  const problems: CatalogProblem[] = [];
  const byId = new Map<string, string>();
  for (const src of [...sources].sort((a, b) => (a.folder < b.folder ? -1 : a.folder > b.folder ? 1 : 0))) {
    const file = `${src.folder}/${src.file}`;
    let raw: unknown;
    try {
      raw = parseYaml(src.text);
    } catch (e) {
      problems.push({ file, field: '', message: `not valid YAML: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}` });
      continue;
    }
    const parsed = zBlockDefinition.safeParse(raw);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        // Name each unknown key on its own: "i18n.es.titel: unknown key" says what to fix.
        if (issue.code === 'unrecognized_keys') {
          for (const key of issue.keys) problems.push({ file, field: fieldPath([...issue.path, key]), message: `unknown key "${key}"` });
        } else problems.push({ file, field: fieldPath(issue.path), message: issue.message });
      }
      continue;
    }
    const block = parsed.data;
    const extra = checkDefinition(block, src.siblings);
    if (block.id !== src.folder) extra.push({ field: 'id', message: `id "${block.id}" must match its folder name "${src.folder}"` });
    const clash = byId.get(block.id);
    if (clash) extra.push({ field: 'id', message: `id "${block.id}" is already defined in ${clash}` });
    if (extra.length > 0) {
      for (const p of extra) problems.push({ file, ...p });
      continue;
    }
    byId.set(block.id, file);
    blocks.push(block);
  }
  return { blocks, problems };
}

export function findBlock(catalog: Pick<Catalog, 'blocks'>, id: string): BlockDefinition | undefined {
  return catalog.blocks.find((b) => b.id === id);
}
