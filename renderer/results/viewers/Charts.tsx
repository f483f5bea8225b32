import { useId } from 'react';
import { useTranslation } from 'react-i18next';
import { Bar, BarChart, CartesianGrid, Cell, Legend, Line, LineChart, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { CurveChart as CurveData, Series, SweepPoint, TrainingCurves } from '../charts';

/** Okabe-Ito: told apart by people with colour-blindness; series also differ by dash pattern. */
const COLOURS = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000'];
const DASHES = ['', '6 3', '2 2', '8 3 2 3'];

const fmt = (v: number, digits = 3) => (Number.isInteger(v) ? String(v) : v.toFixed(digits).replace(/\.?0+$/, ''));

/** A chart with a visible title and a text summary that screen readers read as its description. */
function ChartFrame({ title, summary, children, testId }: { title: string; summary: string; children: React.ReactNode; testId: string }) {
  const titleId = useId();
  const summaryId = useId();
  return (
    <figure className="chart" role="group" aria-labelledby={titleId} aria-describedby={summaryId} data-testid={testId}>
      <figcaption className="chart-title" id={titleId}>
        {title}
      </figcaption>
      <p className="chart-summary" id={summaryId}>
        {summary}
      </p>
      <div className="chart-body">{children}</div>
    </figure>
  );
}

function mergeSeries(series: Series[]): Array<Record<string, number>> {
  // recharts draws lines from one table keyed by x; series with different x values each get their column.
  const rows = new Map<number, Record<string, number>>();
  series.forEach((s, i) => {
    for (const p of s.points) {
      const row = rows.get(p.x) ?? { x: p.x };
      row[`s${i}`] = p.y;
      rows.set(p.x, row);
    }
  });
  return [...rows.values()].sort((a, b) => a.x! - b.x!);
}

/** ROC, precision-recall or calibration curve, drawn from the points the block wrote. */
export function CurveChart({ data }: { data: CurveData }) {
  const { t } = useTranslation('results');
  const kind = data.kind;
  const title = t(`chart.${kind}.title`);
  const scoreName = t(`chart.${kind}.score`);
  const scores = data.series.map((s, i) => (data.scores[i] === null || data.scores[i] === undefined ? null : `${data.series.length > 1 ? `${s.label}: ` : ''}${fmt(data.scores[i]!)}`)).filter(Boolean);
  const summary = scores.length ? t('chart.summary', { title, score: scoreName, value: scores.join(', ') }) : title;
  const chance = kind === 'pr' && data.series.length === 1 ? data.chance[0] : null;
  return (
    <ChartFrame title={title} summary={summary} testId={`chart-${kind}`}>
      <ResponsiveContainer width="100%" height={300}>
        <LineChart margin={{ top: 8, right: 16, bottom: 28, left: 8 }}>
          <CartesianGrid strokeDasharray="3 3" stroke="#d8dde4" />
          <XAxis dataKey="x" type="number" domain={[0, 1]} ticks={[0, 0.2, 0.4, 0.6, 0.8, 1]} label={{ value: t(`chart.${kind}.x`), position: 'insideBottom', offset: -16 }} />
          <YAxis type="number" domain={[0, 1]} ticks={[0, 0.2, 0.4, 0.6, 0.8, 1]} label={{ value: t(`chart.${kind}.y`), angle: -90, position: 'insideLeft', offset: 10, style: { textAnchor: 'middle' } }} width={58} />
          <Tooltip formatter={(v) => fmt(Number(v))} labelFormatter={(v) => `${t(`chart.${kind}.x`)}: ${fmt(Number(v))}`} />
          {kind !== 'pr' && <ReferenceLine segment={[{ x: 0, y: 0 }, { x: 1, y: 1 }]} stroke="#5b6776" strokeDasharray="4 4" />}
          {chance !== null && chance !== undefined && <ReferenceLine y={chance} stroke="#5b6776" strokeDasharray="4 4" />}
          {data.series.map((s, i) => (
            // Each series keeps its own points: a ROC curve has several points at one x (its vertical steps).
            <Line
              key={i}
              data={s.points}
              dataKey="y"
              name={data.series.length > 1 ? t('chart.vsRest', { label: s.label }) : t(`chart.${kind}.series`)}
              type={kind === 'pr' ? 'stepBefore' : 'linear'}
              stroke={COLOURS[i % COLOURS.length]}
              strokeDasharray={DASHES[i % DASHES.length]}
              strokeWidth={2}
              dot={kind === 'calibration'}
              connectNulls
              isAnimationActive={false}
            />
          ))}
          {data.series.length > 1 && <Legend verticalAlign="top" />}
        </LineChart>
      </ResponsiveContainer>
      <p className="chart-note">
        <span className="dash-sample" aria-hidden="true" />
        {kind === 'roc' ? t('chart.chance') : kind === 'calibration' ? t('chart.perfect') : chance !== null && chance !== undefined ? t('chart.chanceLevel', { value: fmt(chance, 2) }) : t('chart.chance')}
      </p>
    </ChartFrame>
  );
}

function SeriesLines({ series }: { series: Series[] }) {
  return series.map((s, i) => (
    <Line key={s.label} dataKey={`s${i}`} name={s.label} type="linear" stroke={COLOURS[i % COLOURS.length]} strokeDasharray={DASHES[i % DASHES.length]} strokeWidth={2} dot={false} connectNulls isAnimationActive={false} />
  ));
}

/** Loss and accuracy per epoch, one chart each, from a training history table. */
export function TrainingChart({ curves, title }: { curves: TrainingCurves; title: string }) {
  const { t } = useTranslation('results');
  const last = (s: Series) => s.points.at(-1)?.y;
  const describe = (list: Series[]) => list.map((s) => `${s.label} ${fmt(last(s) ?? Number.NaN)}`).join(', ');
  const charts: Array<{ key: string; series: Series[]; label: string }> = [];
  if (curves.loss.length) charts.push({ key: 'loss', series: curves.loss, label: t('chart.training.loss') });
  if (curves.accuracy.length) charts.push({ key: 'accuracy', series: curves.accuracy, label: t('chart.training.accuracy') });
  return (
    <div className="chart-row">
      {charts.map((c) => (
        <ChartFrame
          key={c.key}
          testId={`chart-training-${c.key}`}
          title={t('chart.training.title', { what: c.label, title })}
          summary={t('chart.training.summary', { epochs: curves.epochs, values: describe(c.series) })}
        >
          <ResponsiveContainer width="100%" height={260}>
            <LineChart data={mergeSeries(c.series)} margin={{ top: 8, right: 16, bottom: 28, left: 8 }}>
              <CartesianGrid strokeDasharray="3 3" stroke="#d8dde4" />
              <XAxis dataKey="x" type="number" domain={['dataMin', 'dataMax']} allowDecimals={false} label={{ value: t('chart.training.epoch'), position: 'insideBottom', offset: -16 }} />
              <YAxis type="number" width={58} tickFormatter={(v: number) => fmt(v, 2)} />
              <Tooltip formatter={(v) => fmt(Number(v))} labelFormatter={(v) => `${t('chart.training.epoch')} ${String(v)}`} />
              <Legend verticalAlign="top" />
              <SeriesLines series={c.series} />
            </LineChart>
          </ResponsiveContainer>
        </ChartFrame>
      ))}
    </div>
  );
}

/** One metric across the points of a sweep, the best one marked in colour and in words. */
export function SweepChart({ points, best, metric, lowerIsBetter, children }: { points: SweepPoint[]; best: SweepPoint | null; metric: string; lowerIsBetter: boolean; children?: React.ReactNode }) {
  const { t } = useTranslation('results');
  const rows = points.map((p) => ({ label: p.label, value: p.value ?? 0, missing: p.value === null, best: best !== null && p.task === best.task }));
  const values = points.flatMap((p) => (p.value === null ? [] : [p.value]));
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  // Close values (AUC 0.981 against 0.996) start the axis near them so the difference shows.
  const start = values.length && lo > 0 && hi - lo < lo * 0.2 ? Math.max(0, lo - (hi - lo || lo * 0.05) * 2) : 0;
  const domain: [number, number] = [Number(start.toPrecision(2)) <= lo ? Number(start.toPrecision(2)) : start, values.length ? hi + (hi - start) * 0.08 : 1];
  const summary = best
    ? t('chart.sweep.summary', { count: points.length, metric, best: best.label, value: fmt(best.value ?? 0, 4), order: t(lowerIsBetter ? 'chart.sweep.lower' : 'chart.sweep.higher') })
    : t('chart.sweep.noValues', { metric });
  return (
    <ChartFrame title={t('chart.sweep.title', { metric })} summary={summary} testId="chart-sweep">
      {children}
      <ResponsiveContainer width="100%" height={Math.max(180, 44 * rows.length + 60)}>
        <BarChart data={rows} layout="vertical" margin={{ top: 8, right: 24, bottom: 24, left: 8 }}>
          <CartesianGrid strokeDasharray="3 3" stroke="#d8dde4" horizontal={false} />
          <XAxis type="number" domain={domain} allowDataOverflow tickFormatter={(v: number) => fmt(v, 3)} label={{ value: metric, position: 'insideBottom', offset: -14 }} />
          <YAxis type="category" dataKey="label" width={150} tick={{ fontSize: 12 }} />
          <Tooltip formatter={(v) => fmt(Number(v), 4)} />
          <Bar dataKey="value" name={metric} isAnimationActive={false} label={{ position: 'right', formatter: (v: unknown) => fmt(Number(v), 3), fontSize: 12 }}>
            {rows.map((r) => (
              <Cell key={r.label} fill={r.best ? '#D55E00' : '#0072B2'} />
            ))}
          </Bar>
        </BarChart>
      </ResponsiveContainer>
      {best && <p className="chart-note">{t('chart.sweep.bestMark', { label: best.label })}</p>}
    </ChartFrame>
  );
}
