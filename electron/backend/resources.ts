import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { ExampleSummary } from '../../shared/api';
import type { BlockSource, Catalog } from '../../shared/catalog';
import { buildCatalog } from '../../shared/catalog';
import type { ListedTarget, ProfileProblem, ProfileSource, ProfileText, TargetProfile } from '../../shared/targets';
import { mergeProfiles } from '../../shared/targets';
import { describeIoError } from './fsutil';
import { zExampleI18n } from '../../shared/catalog/i18n';
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
  /** The profiles in use, after user profiles replaced shipped ones with the same id. */
  targets: TargetProfile[];
  /** The same profiles with where each came from (shipped or the user's folder, and the file). */
  listed: ListedTarget[];
  /** Files that could not be used, and why (file, field, message). */
  problems: ProfileProblem[];
}

async function readProfileTexts(dir: string, source: ProfileSource, problems: ProfileProblem[]): Promise<ProfileText[]> {
  let names: string[];
  try {
    names = (await fs.readdir(dir)).filter((n) => /\.ya?ml$/.test(n)).sort();
  } catch (e) {
    // No user folder is the normal case; a shipped folder that is missing means a broken install.
    if (source === 'user' && (e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    if (source === 'shipped') throw e;
    problems.push({ file: dir, source, field: '', message: `could not read the folder: ${describeIoError(e)}` });
    return [];
  }
  const texts: ProfileText[] = [];
  for (const name of names) {
    const file = path.join(dir, name);
    try {
      texts.push({ file, source, text: await fs.readFile(file, 'utf8') });
    } catch (e) {
      problems.push({ file, source, field: '', message: `could not read the file: ${describeIoError(e)}` });
    }
  }
  return texts;
}

/**
 * Reads the shipped profiles (resources/targets/*.yaml), then the user's (<FLUXO_HOME>/targets/*.yaml,
 * see userTargetsDir), where a profile with a shipped id replaces the shipped one.
 */
export async function loadTargets(shippedDir: string, userDir: string | null = null): Promise<TargetsLoad> {
  const problems: ProfileProblem[] = [];
  const texts = await readProfileTexts(shippedDir, 'shipped', problems);
  if (userDir !== null) texts.push(...(await readProfileTexts(userDir, 'user', problems)));
  const merged = mergeProfiles(texts);
  return { targets: merged.targets.map((t) => t.profile), listed: merged.targets, problems: [...problems, ...merged.problems] };
}

const zExampleIndex = z.array(
  z.object({
    id: z.string().regex(/^[a-z0-9-]{1,64}$/),
    file: z.string().regex(/^[A-Za-z0-9._-]+\.fluxo$/),
    title: z.string(),
    description: z.string(),
    targets: z.array(z.string()),
    i18n: zExampleI18n.optional(),
  }),
);
export type ExampleEntry = z.infer<typeof zExampleIndex>[number];

export async function loadExampleIndex(examplesDir: string): Promise<ExampleEntry[]> {
  return zExampleIndex.parse(JSON.parse(await fs.readFile(path.join(examplesDir, 'index.json'), 'utf8')));
}

export function summarizeExample(entry: ExampleEntry, blocks: string[]): ExampleSummary {
  return { id: entry.id, title: entry.title, description: entry.description, targets: entry.targets, blocks, ...(entry.i18n ? { i18n: entry.i18n } : {}) };
}
