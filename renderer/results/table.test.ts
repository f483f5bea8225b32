import { describe, expect, it } from 'vitest';
import { delimiterFor, isNumericColumn, nextSort, pageOf, parseTable, sortRows } from './table';

describe('table parsing', () => {
  it('reads CSV with quoted commas and newlines, and TSV by the file name', () => {
    const t = parseTable('name,note\n"Smith, J","two\nlines"\nLee,ok\n', true);
    expect(t.header).toEqual(['name', 'note']);
    expect(t.rows).toEqual([['Smith, J', 'two\nlines'], ['Lee', 'ok']]);
    expect(parseTable('a\tb\n1\t2\n', true, delimiterFor('x.tsv')).rows).toEqual([['1', '2']]);
    expect(delimiterFor('table.csv')).toBeUndefined();
  });

  it('drops the cut last line of the first piece of a large file', () => {
    const t = parseTable('id,value\n1,0.5\n2,0.7\n3,0.', false);
    expect(t.rows).toEqual([['1', '0.5'], ['2', '0.7']]);
  });

  it('ignores a byte order mark before the header', () => {
    expect(parseTable('\ufeffa,b\n1,2\n', true).header).toEqual(['a', 'b']);
  });
});

describe('sorting', () => {
  const rows = [['b', '10'], ['a', '9'], ['c', ''], ['A2', '-1e2'], ['a10', '9']];

  it('sorts numbers by value, not as text, with empty cells last in both directions', () => {
    expect(isNumericColumn(rows, 1)).toBe(true);
    expect(sortRows(rows, { column: 1, direction: 'ascending' }).map((r) => r[1])).toEqual(['-1e2', '9', '9', '10', '']);
    expect(sortRows(rows, { column: 1, direction: 'descending' }).map((r) => r[1])).toEqual(['10', '9', '9', '-1e2', '']);
  });

  it('keeps the file order of equal values (stable) and sorts text naturally', () => {
    expect(sortRows(rows, { column: 1, direction: 'ascending' }).filter((r) => r[1] === '9').map((r) => r[0])).toEqual(['a', 'a10']);
    expect(isNumericColumn(rows, 0)).toBe(false);
    expect(sortRows(rows, { column: 0, direction: 'ascending' }).map((r) => r[0])).toEqual(['a', 'A2', 'a10', 'b', 'c']);
    expect(sortRows(rows, null)).toBe(rows);
  });

  it('cycles a header through ascending, descending and the original order', () => {
    const a = nextSort(null, 2);
    expect(a).toEqual({ column: 2, direction: 'ascending' });
    const d = nextSort(a, 2);
    expect(d).toEqual({ column: 2, direction: 'descending' });
    expect(nextSort(d, 2)).toBeNull();
    expect(nextSort(d, 0)).toEqual({ column: 0, direction: 'ascending' });
  });
});

describe('paging', () => {
  const rows = Array.from({ length: 143 }, (_, i) => [String(i)]);

  it('splits 143 rows into three pages of 50, 50 and 43', () => {
    expect(pageOf(rows, 0)).toMatchObject({ page: 0, pages: 3, first: 1, last: 50 });
    const last = pageOf(rows, 2);
    expect(last).toMatchObject({ page: 2, pages: 3, first: 101, last: 143 });
    expect(last.rows[0]).toEqual(['100']);
  });

  it('clamps a page past the end (after a smaller file) and handles no rows', () => {
    expect(pageOf(rows, 9).page).toBe(2);
    expect(pageOf([], 0)).toMatchObject({ page: 0, pages: 1, first: 0, last: 0, rows: [] });
  });
});
