import Papa from 'papaparse';

/** A table read from CSV/TSV text: a header and rows of cells as text. */
export interface Table {
  header: string[];
  rows: string[][];
}

export type SortDirection = 'ascending' | 'descending';
export interface SortState {
  column: number;
  direction: SortDirection;
}

/** Rows per page of the table viewer. */
export const PAGE_SIZE = 50;

/**
 * Parses CSV or TSV (the delimiter is guessed). When the text is only the start of a larger file
 * (`complete` false), the last line may be cut in the middle and is dropped.
 */
export function parseTable(text: string, complete: boolean, delimiter?: string): Table {
  let body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (!complete) {
    const cut = body.lastIndexOf('\n');
    body = cut >= 0 ? body.slice(0, cut + 1) : '';
  }
  const parsed = Papa.parse<string[]>(body, { delimiter: delimiter ?? '', skipEmptyLines: true });
  const [header = [], ...rows] = parsed.data;
  return { header, rows };
}

/** The delimiter a file name suggests: tab for .tsv/.tab, else guessed from the text. */
export function delimiterFor(path: string): string | undefined {
  return /\.(tsv|tab)$/i.test(path) ? '\t' : undefined;
}

const NUMBER = /^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/;

/** True when every non-empty cell of the column is a number: it sorts by value, not as text. */
export function isNumericColumn(rows: string[][], column: number): boolean {
  let seen = false;
  for (const r of rows) {
    const v = r[column] ?? '';
    if (v.trim() === '') continue;
    if (!NUMBER.test(v)) return false;
    seen = true;
  }
  return seen;
}

/** Rows sorted by one column (numbers by value, text in natural order); empty cells always last. */
export function sortRows(rows: string[][], sort: SortState | null): string[][] {
  if (!sort) return rows;
  const { column, direction } = sort;
  const numeric = isNumericColumn(rows, column);
  const sign = direction === 'ascending' ? 1 : -1;
  const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });
  // Array.prototype.sort is stable: equal cells keep the file's order.
  return [...rows].sort((a, b) => {
    const x = a[column] ?? '';
    const y = b[column] ?? '';
    const xe = x.trim() === '';
    const ye = y.trim() === '';
    if (xe || ye) return xe === ye ? 0 : xe ? 1 : -1;
    return sign * (numeric ? Number(x) - Number(y) : collator.compare(x, y));
  });
}

/** The next sort when a column header is clicked: ascending, then descending, then the file's order. */
export function nextSort(current: SortState | null, column: number): SortState | null {
  if (!current || current.column !== column) return { column, direction: 'ascending' };
  return current.direction === 'ascending' ? { column, direction: 'descending' } : null;
}

export interface Page {
  rows: string[][];
  /** 0-based page index, clamped to the pages there are. */
  page: number;
  pages: number;
  /** 1-based number of the first and last row shown (0 when there are none). */
  first: number;
  last: number;
}

export function pageOf(rows: string[][], page: number, size = PAGE_SIZE): Page {
  const pages = Math.max(1, Math.ceil(rows.length / size));
  const p = Math.min(Math.max(0, page), pages - 1);
  const slice = rows.slice(p * size, (p + 1) * size);
  return { rows: slice, page: p, pages, first: slice.length ? p * size + 1 : 0, last: p * size + slice.length };
}
