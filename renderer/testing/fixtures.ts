import type { BlockDefinition, BlockSource } from '../../shared/catalog';
import { buildCatalog } from '../../shared/catalog';
import type { PipelineDocument } from '../../shared/document';
import { parseDocument } from '../../shared/document';
import exampleText from '../../resources/examples/breast-cancer-classifier.fluxo?raw';

// The shipped blocks, read through Vite so renderer tests need no Node built-ins.
const definitions = import.meta.glob('../../resources/blocks/*/block.yaml', { query: '?raw', import: 'default', eager: true }) as Record<string, string>;
const allFiles = Object.keys(import.meta.glob('../../resources/blocks/*/*', { query: '?url' }));

/** The shipped block definitions, loaded and checked like the backend does. */
export function fixtureBlocks(): BlockDefinition[] {
  const sources: BlockSource[] = Object.entries(definitions).map(([file, text]) => {
    const folder = file.split('/').at(-2)!;
    const siblings = allFiles.filter((f) => f.split('/').at(-2) === folder).map((f) => f.split('/').at(-1)!);
    return { folder, file: 'block.yaml', text, siblings };
  });
  const catalog = buildCatalog(sources);
  if (catalog.problems.length) throw new Error(`shipped blocks do not load: ${JSON.stringify(catalog.problems)}`);
  return catalog.blocks;
}

export function exampleDocument(): PipelineDocument {
  const parsed = parseDocument(exampleText);
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.document;
}
