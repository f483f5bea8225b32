import type { Category } from '../../shared/catalog';
import { t } from '../i18n';

/** Palette and node header colours by block category (CSS custom properties in app.css). */
export const CATEGORY_ORDER: readonly Category[] = ['data', 'preprocess', 'train', 'evaluate', 'report'];

/** The category's name in the current language. */
export function categoryTitle(category: Category): string {
  return t(`catalog:category.${category}`);
}

/**
 * The same names as a record, read at render time: each lookup is in the language chosen now, so
 * code written as CATEGORY_TITLES[c] follows a language switch without changes.
 */
export const CATEGORY_TITLES: Readonly<Record<Category, string>> = Object.freeze(
  Object.defineProperties({} as Record<Category, string>, Object.fromEntries(CATEGORY_ORDER.map((c) => [c, { get: () => categoryTitle(c), enumerable: true }]))),
);

const FAMILIES = ['table', 'model', 'metrics', 'figure', 'report', 'predictions', 'image', 'evaluation'] as const;
export type FormatFamily = (typeof FAMILIES)[number] | 'other';

/** The family of a dotted format ("table.csv" → "table"), used to colour ports and their edges. */
export function formatFamily(format: string): FormatFamily {
  const head = format.split('.')[0] ?? '';
  return (FAMILIES as readonly string[]).includes(head) ? (head as FormatFamily) : 'other';
}
