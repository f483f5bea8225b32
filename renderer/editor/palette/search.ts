import type { BlockDefinition } from '../../../shared/catalog';

/**
 * How well a block matches a search, or 0 when it does not: a title that starts with the query
 * ranks first, then a title that contains it, then the description, port formats and port titles
 * (so "dicom" finds every block that reads or writes DICOM images), then the category.
 * Every word of the query must match somewhere.
 */
export function matchScore(block: BlockDefinition, query: string, categoryTitle = ''): number {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return 1;
  const title = block.title.toLowerCase();
  const ports = [...block.inputs, ...block.outputs].flatMap((p) => [p.format, p.title, p.description]).join(' ').toLowerCase();
  const rest = [block.description, block.id, block.domain, block.category, categoryTitle].join(' ').toLowerCase();
  let score = 0;
  for (const w of words) {
    if (title.startsWith(w)) score += 8;
    else if (title.includes(w)) score += 4;
    else if (ports.includes(w)) score += 2;
    else if (rest.includes(w)) score += 1;
    else return 0;
  }
  return score;
}
