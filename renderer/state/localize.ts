import type { CatalogSnapshot, ExampleSummary } from '../../shared/api';
import type { BlockDefinition } from '../../shared/catalog';
import { localizeBlock, localizeExample } from '../../shared/catalog';

/**
 * The catalog, blocks by id and examples as a reader of `lang` sees them. Ids, formats and choice
 * values stay as they are, so everything that matches on them works in every language.
 */
export function localizeSnapshot(
  catalog: CatalogSnapshot | null,
  examples: ExampleSummary[],
  lang: string,
): { catalog: CatalogSnapshot | null; blocksById: ReadonlyMap<string, BlockDefinition>; examples: ExampleSummary[] } {
  const blocks = (catalog?.blocks ?? []).map((b) => localizeBlock(b, lang));
  return {
    catalog: catalog ? { ...catalog, blocks } : null,
    blocksById: new Map(blocks.map((b) => [b.id, b])),
    examples: examples.map((e) => localizeExample(e, lang)),
  };
}
