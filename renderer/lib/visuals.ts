import type { Category } from '../../shared/catalog';

/** Palette and node header colours by block category (CSS custom properties in app.css). */
export const CATEGORY_ORDER: readonly Category[] = ['data', 'preprocess', 'train', 'evaluate', 'report'];

export const CATEGORY_TITLES: Record<Category, string> = {
  data: 'Data',
  preprocess: 'Prepare',
  train: 'Train',
  evaluate: 'Evaluate',
  report: 'Report',
};

const FAMILIES = ['table', 'model', 'metrics', 'figure', 'report', 'predictions', 'image', 'evaluation'] as const;
export type FormatFamily = (typeof FAMILIES)[number] | 'other';

/** The family of a dotted format ("table.csv" → "table"), used to colour ports and their edges. */
export function formatFamily(format: string): FormatFamily {
  const head = format.split('.')[0] ?? '';
  return (FAMILIES as readonly string[]).includes(head) ? (head as FormatFamily) : 'other';
}
