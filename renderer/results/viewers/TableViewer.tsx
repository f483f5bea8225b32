import { useId, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { OutputFile } from '../../../shared/api';
import { trainingCurves } from '../charts';
import { sizeText } from '../outputs';
import type { SortState } from '../table';
import { delimiterFor, isNumericColumn, nextSort, pageOf, parseTable, sortRows } from '../table';
import { useTextPieces } from '../useRunData';
import { TrainingChart } from './Charts';

/** A CSV/TSV output: sortable columns, 50 rows a page, a sticky header; large files read in pieces. */
export default function TableViewer({ runId, output, title }: { runId: string; output: OutputFile; title: string }) {
  const { t } = useTranslation('results');
  const { loaded, more, loadingMore } = useTextPieces(runId, output.path);
  const [sort, setSort] = useState<SortState | null>(null);
  const [page, setPage] = useState(0);
  const captionId = useId();
  const table = useMemo(() => (loaded.state === 'ok' ? parseTable(loaded.value.text, loaded.value.eof, delimiterFor(output.path)) : null), [loaded, output.path]);
  const sorted = useMemo(() => (table ? sortRows(table.rows, sort) : []), [table, sort]);
  const training = useMemo(() => (table ? trainingCurves(table.header, table.rows) : null), [table]);
  const numeric = useMemo(() => (table ? table.header.map((_, c) => isNumericColumn(table.rows, c)) : []), [table]);

  if (loaded.state === 'loading') return <p className="muted" aria-busy="true">{t('loading', { what: title })}</p>;
  if (loaded.state === 'error') return <p className="field-error">{t('couldNotShow', { what: title, message: loaded.message })}</p>;
  if (!table || table.header.length === 0) return <p className="muted">{t('table.empty')}</p>;
  const shown = pageOf(sorted, page);
  const partial = !loaded.value.eof;

  return (
    <div className="table-viewer" data-testid="table-viewer">
      {training && <TrainingChart curves={training} title={title} />}
      <p className="table-count" id={captionId}>
        {partial
          ? t('table.partial', { count: table.rows.length, read: sizeText(loaded.value.bytesRead), size: sizeText(loaded.value.size) })
          : t('table.rows', { count: table.rows.length })}
        {shown.pages > 1 && ` ${t('table.showing', { first: shown.first, last: shown.last })}`}
      </p>
      {partial && (
        <p className="table-cap">
          {t('table.capMessage')}{' '}
          <button type="button" className="button small" onClick={more} disabled={loadingMore}>
            {loadingMore ? t('table.loadingMore') : t('table.loadMore')}
          </button>
        </p>
      )}
      <div className="table-scroll" tabIndex={0} role="region" aria-labelledby={captionId}>
        <table className="data-table">
          <caption className="visually-hidden">{title}</caption>
          <thead>
            <tr>
              {table.header.map((h, c) => {
                const state = sort?.column === c ? sort.direction : 'none';
                return (
                  <th key={c} scope="col" aria-sort={state}>
                    <button
                      type="button"
                      className="sort-button"
                      onClick={() => {
                        setSort(nextSort(sort, c));
                        setPage(0);
                      }}
                      title={t('table.sortBy', { column: h })}
                    >
                      {h || t('table.unnamed', { n: c + 1 })}
                      <span className="sort-mark" aria-hidden="true">
                        {state === 'ascending' ? '▲' : state === 'descending' ? '▼' : '↕'}
                      </span>
                    </button>
                  </th>
                );
              })}
            </tr>
          </thead>
          <tbody>
            {shown.rows.map((r, i) => (
              <tr key={shown.first + i}>
                {table.header.map((_, c) => (
                  <td key={c} className={numeric[c] ? 'num' : undefined}>
                    {r[c] ?? ''}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {shown.pages > 1 && (
        <nav className="pager" aria-label={t('table.pages', { title })}>
          <button type="button" className="button small" onClick={() => setPage(0)} disabled={shown.page === 0}>
            {t('table.first')}
          </button>
          <button type="button" className="button small" onClick={() => setPage(shown.page - 1)} disabled={shown.page === 0}>
            {t('table.previous')}
          </button>
          <span className="pager-status" aria-live="polite">
            {t('table.pageOf', { page: shown.page + 1, pages: shown.pages })}
          </span>
          <button type="button" className="button small" onClick={() => setPage(shown.page + 1)} disabled={shown.page >= shown.pages - 1}>
            {t('table.next')}
          </button>
          <button type="button" className="button small" onClick={() => setPage(shown.pages - 1)} disabled={shown.page >= shown.pages - 1}>
            {t('table.last')}
          </button>
        </nav>
      )}
    </div>
  );
}
