import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { RunRecord } from '../../shared/api';
import { getApi } from '../api/client';
import { DialogFrame } from '../components/DialogFrame';
import { decodeBase64Text } from '../results/metrics';
import { formatWhen } from './format';
import { useAppStore } from '../state/appStore';
import type { MetricRow, PipelineChange } from './history';
import { compareMetrics, metricsFilesOf, pipelineChanges } from './history';

type Loaded = { state: 'loading' } | { state: 'ok'; rows: MetricRow[]; changes: PipelineChange[] | null } | { state: 'error'; message: string };

async function readMetrics(run: RunRecord): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const f of metricsFilesOf(run)) {
    const r = await getApi().runs.readFile(run.id, f.path);
    if (!r.ok) continue;
    try {
      out[f.key] = JSON.parse(decodeBase64Text(r.value.base64));
    } catch {
      // A metrics file that is not JSON has nothing to compare; the other files still are.
    }
  }
  return out;
}

/** The metrics of two runs side by side (a: the older), differences marked in words. */
export function CompareDialog({ a, b, onClose }: { a: RunRecord; b: RunRecord; onClose(): void }) {
  const { t } = useTranslation('run');
  const [loaded, setLoaded] = useState<Loaded>({ state: 'loading' });
  const blocks = useAppStore((s) => s.blocksById);
  useEffect(() => {
    let live = true;
    void (async () => {
      try {
        const [ma, mb, da, db] = await Promise.all([readMetrics(a), readMetrics(b), getApi().runs.document(a.id), getApi().runs.document(b.id)]);
        // Runs made before Fluxo kept their pipeline cannot say what changed; the metrics still compare.
        const changes = da.ok && db.ok ? pipelineChanges(da.value.document, db.value.document, blocks) : null;
        const seen = new Map<string, { key: string; label: string }>();
        for (const f of [...metricsFilesOf(a), ...metricsFilesOf(b)]) if (!seen.has(f.key)) seen.set(f.key, f);
        if (live) setLoaded({ state: 'ok', rows: compareMetrics([...seen.values()], ma, mb), changes });
      } catch (e) {
        if (live) setLoaded({ state: 'error', message: String(e) });
      }
    })();
    return () => {
      live = false;
    };
  }, [a, b, blocks]);
  const nameA = t('compare.runA', { when: formatWhen(a.createdAt) });
  const nameB = t('compare.runB', { when: formatWhen(b.createdAt) });
  const settingName = (c: PipelineChange) => {
    if (c.setting?.startsWith('resources.')) return t(`compare.resource.${c.setting.slice('resources.'.length)}`, { defaultValue: c.setting });
    if (c.setting === 'sweep.') return t('compare.sweep');
    return c.setting ?? '';
  };
  const changeText = (c: PipelineChange) => {
    if (c.setting === null) return c.to === null ? t('compare.stepRemoved', { step: c.step }) : t('compare.stepAdded', { step: c.step });
    return t('compare.changed', { step: c.step, setting: settingName(c), from: c.from ?? t('compare.default'), to: c.to ?? t('compare.default') });
  };
  const groups = loaded.state === 'ok' ? new Set(loaded.rows.map((r) => r.group)).size : 0;
  const verdict = (r: MetricRow) => {
    if (r.better === 'a') return t('compare.betterA');
    if (r.better === 'b') return t('compare.betterB');
    if (r.better === 'same') return t('compare.same');
    return r.differs ? t('compare.differs') : t('compare.same');
  };
  return (
    <DialogFrame title={t('compare.title')} onEscape={onClose} className="compare-dialog">
      {loaded.state === 'loading' && <p role="status">{t('compare.loading')}</p>}
      {loaded.state === 'error' && <p role="alert">{loaded.message}</p>}
      {loaded.state === 'ok' && loaded.changes && (
        <section aria-labelledby="compare-changes" className="compare-changes" data-testid="compare-changes">
          <h3 id="compare-changes">{t('compare.changesTitle')}</h3>
          {loaded.changes.length === 0 ? (
            <p>{t('compare.noChanges')}</p>
          ) : (
            <ul>
              {loaded.changes.map((c, i) => (
                <li key={i}>{changeText(c)}</li>
              ))}
            </ul>
          )}
        </section>
      )}
      {loaded.state === 'ok' && loaded.rows.length === 0 && <p>{t('compare.noMetrics')}</p>}
      {loaded.state === 'ok' && loaded.rows.length > 0 && (
        <div className="compare-scroll">
          <table className="run-table compare-table" data-testid="compare-table">
            <caption className="visually-hidden">{t('compare.caption')}</caption>
            <thead>
              <tr>
                <th scope="col">{t('compare.metric')}</th>
                <th scope="col">{nameA}</th>
                <th scope="col">{nameB}</th>
                <th scope="col">{t('compare.verdict')}</th>
              </tr>
            </thead>
            <tbody>
              {loaded.rows.map((r) => (
                <tr key={r.key} className={r.differs && r.better !== 'same' ? 'differs' : undefined} data-testid={`compare-${r.metric}`}>
                  <th scope="row">
                    {r.title}
                    {groups > 1 && <span className="muted small"> ({r.group})</span>}
                  </th>
                  <td className={r.better === 'a' ? 'better' : undefined}>{r.aText}</td>
                  <td className={r.better === 'b' ? 'better' : undefined}>{r.bText}</td>
                  <td>{verdict(r)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <p className="muted small">{t('compare.note')}</p>
      <div className="dialog-buttons">
        <button type="button" className="button primary" onClick={onClose}>
          {t('compare.close')}
        </button>
      </div>
    </DialogFrame>
  );
}
