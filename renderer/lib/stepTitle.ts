import type { BlockDefinition } from '../../shared/catalog';
import { useAppStore } from '../state/appStore';

/**
 * The name a step shows. A label the user typed is theirs and stays as written; a label that is
 * just the block's English title (what new steps and the shipped examples carry) is the default
 * name, so it follows the UI language like the rest of the block.
 */
export function stepTitle(label: string, localized: Pick<BlockDefinition, 'title'> | undefined, englishTitle: string | undefined): string {
  if (!label || (englishTitle !== undefined && label === englishTitle)) return localized?.title ?? label;
  return label;
}

/** stepTitle for a step of the open pipeline, in the current language. */
export function useStepTitle(label: string, blockId: string): string {
  const localized = useAppStore((s) => s.blocksById.get(blockId));
  const english = useAppStore((s) => s.source.catalog?.blocks.find((b) => b.id === blockId)?.title);
  return stepTitle(label, localized, english);
}
