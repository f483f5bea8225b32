import { promises as fs } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { ExampleSummary } from '../../shared/api';
import type { BlockSource, Catalog } from '../../shared/catalog';
import { buildCatalog } from '../../shared/catalog';
import type { TargetProfile } from '../../shared/targets';
import { zTargetProfile } from '../../shared/targets';
import { z } from 'zod';

const DEFINITION_NAMES = ['block.yaml', 'block.yml', 'block.json'];

/** Reads resources/blocks/<id>/block.yaml for every folder; broken ones become catalog problems. */
export async function loadCatalog(blocksDir: string): Promise<Catalog> {
  const entries = await fs.readdir(blocksDir, { withFileTypes: true });
  const sources: BlockSource[] = [];
  const problems: Catalog['problems'] = [];
  for (const entry of entries) {
    if (!entry.isDirectory()) continue;
    const folder = path.join(blocksDir, entry.name);
    const siblings = await fs.readdir(folder);
    const file = DEFINITION_NAMES.find((n) => siblings.includes(n));
    if (!file) {
      problems.push({ file: `${entry.name}/`, field: '', message: 'no block.yaml in this folder' });
      continue;
    }
    const text = await fs.readFile(path.join(folder, file), 'utf8');
    sources.push({ folder: entry.name, file, text, siblings: siblings.filter((s) => s !== file) });
  }
  const catalog = buildCatalog(sources);
  return { blocks: catalog.blocks, problems: [...problems, ...catalog.problems] };
}

export interface TargetsLoad {
  targets: TargetProfile[];
  problems: Array<{ file: string; message: string }>;
}

export async function loadTargets(targetsDir: string): Promise<TargetsLoad> {
  const targets: TargetProfile[] = [];
  const problems: TargetsLoad['problems'] = [];
  const names = (await fs.readdir(targetsDir)).filter((n) => /\.ya?ml$/.test(n)).sort();
  for (const name of names) {
    try {
      const parsed = zTargetProfile.safeParse(parseYaml(await fs.readFile(path.join(targetsDir, name), 'utf8')));
      if (parsed.success) targets.push(parsed.data);
      else problems.push({ file: name, message: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') });
    } catch (e) {
      problems.push({ file: name, message: e instanceof Error ? e.message : String(e) });
    }
  }
  return { targets, problems };
}

const zExampleIndex = z.array(
  z.object({
    id: z.string().regex(/^[a-z0-9-]{1,64}$/),
    file: z.string().regex(/^[A-Za-z0-9._-]+\.fluxo$/),
    title: z.string(),
    description: z.string(),
    targets: z.array(z.string()),
  }),
);
export type ExampleEntry = z.infer<typeof zExampleIndex>[number];

export async function loadExampleIndex(examplesDir: string): Promise<ExampleEntry[]> {
  return zExampleIndex.parse(JSON.parse(await fs.readFile(path.join(examplesDir, 'index.json'), 'utf8')));
}

export function summarizeExample(entry: ExampleEntry, blocks: string[]): ExampleSummary {
  return { id: entry.id, title: entry.title, description: entry.description, targets: entry.targets, blocks };
}
