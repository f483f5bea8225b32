import { useTranslation } from 'react-i18next';
import type { OutputFile } from '../../../shared/api';
import { isLowerBetter, sweepLabel } from '../charts';
import type { SweepPoint } from '../charts';
import { decodeBase64Text, metricsView } from '../metrics';
import { useRunFile } from '../useRunData';
import { SweepChart } from './Charts';

/** The points a Compare sweep block ranked (best.json): one bar per sweep point. */
function rankedPoints(parsed: unknown): { metric: string; points: SweepPoint[]; best: SweepPoint | null; lower: boolean } | null {
  if (!parsed || typeof parsed !== 'object') return null;
  const m = parsed as Record<string, unknown>;
  if (typeof m.sort_metric !== 'string' || !Array.isArray(m.points)) return null;
  const metric = m.sort_metric;
  const points = (m.points as Array<Record<string, unknown>>)
    .map((p) => ({ task: Number(p.task), label: sweepLabel((p.params as Record<string, unknown>) ?? {}) || `task ${String(p.task)}`, value: typeof p[metric] === 'number' ? (p[metric] as number) : null }))
    .sort((a, b) => a.task - b.task);
  const best = points.find((p) => p.task === m.best_task) ?? null;
  return { metric, points, best, lower: m.order === 'lowest' || (m.order === undefined && isLowerBetter(metric)) };
}

/** A metrics.json as cards (numbers with a plain explanation) and details (words). */
export default function MetricsViewer({ runId, output, title }: { runId: string; output: OutputFile; title: string }) {
  const { t } = useTranslation('results');
  const loaded = useRunFile(runId, output.path);
  if (!loaded || loaded.state === 'loading') return <p className="muted" aria-busy="true">{t('loading', { what: title })}</p>;
  if (loaded.state === 'error') return <p className="field-error">{t('couldNotShow', { what: title, message: loaded.message })}</p>;
  let parsed: unknown;
  try {
    parsed = JSON.parse(decodeBase64Text(loaded.file.base64));
  } catch {
    return <p className="field-error">{t('metrics.invalid', { title })}</p>;
  }
  const view = metricsView(parsed);
  const ranked = rankedPoints(parsed);
  return (
    <div className="metrics">
      <ul className="metric-cards" aria-label={title}>
        {view.cards.map((c) => (
          <li key={c.key} className="metric-card" data-metric={c.key}>
            <span className="metric-title">{c.title}</span>
            <span className="metric-value">{c.value}</span>
            {c.explanation && <span className="metric-explanation">{c.explanation}</span>}
          </li>
        ))}
      </ul>
      {view.details.length > 0 && (
        <dl className="metric-details">
          {view.details.map((d) => (
            <div key={d.title}>
              <dt>{d.title}</dt>
              <dd>{d.value}</dd>
            </div>
          ))}
        </dl>
      )}
      {ranked && ranked.points.length > 0 && <SweepChart points={ranked.points} best={ranked.best} metric={ranked.metric} lowerIsBetter={ranked.lower} />}
    </div>
  );
}
