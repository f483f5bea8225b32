/** Chart data parsed from what blocks write: curves.json, training histories, sweep metrics. */

export interface Point {
  x: number;
  y: number;
}

export interface Series {
  label: string;
  points: Point[];
}

export type CurveKind = 'roc' | 'pr' | 'calibration';

export interface CurveChart {
  kind: CurveKind;
  series: Series[];
  /** The number the curve is summarised by: AUC, average precision or Brier score (per series). */
  scores: Array<number | null>;
  /** Precision of a model that guesses (PR), per series. */
  chance: Array<number | null>;
}

function isNumberArray(v: unknown): v is number[] {
  return Array.isArray(v) && v.every((n) => typeof n === 'number' && Number.isFinite(n));
}

const SCORE_KEY: Record<CurveKind, string> = { roc: 'auc', pr: 'average_precision', calibration: 'brier' };

/** Reads the curves.json evaluate-classifier writes; kinds that are missing or malformed are left out. */
export function parseCurves(json: unknown): Partial<Record<CurveKind, CurveChart>> {
  const out: Partial<Record<CurveKind, CurveChart>> = {};
  if (!json || typeof json !== 'object') return out;
  for (const kind of ['roc', 'pr', 'calibration'] as const) {
    const list = (json as Record<string, unknown>)[kind];
    if (!Array.isArray(list)) continue;
    const chart: CurveChart = { kind, series: [], scores: [], chance: [] };
    for (const s of list as Array<Record<string, unknown>>) {
      if (!s || !isNumberArray(s.x) || !isNumberArray(s.y) || s.x.length !== s.y.length || s.x.length === 0) continue;
      const ys = s.y;
      chart.series.push({ label: String(s.label ?? ''), points: s.x.map((x, i) => ({ x, y: ys[i]! })) });
      const score = s[SCORE_KEY[kind]];
      chart.scores.push(typeof score === 'number' ? score : null);
      chart.chance.push(typeof s.chance === 'number' ? s.chance : null);
    }
    if (chart.series.length) out[kind] = chart;
  }
  return out;
}

/** Loss and accuracy per epoch, from a table whose first column is "epoch". */
export interface TrainingCurves {
  loss: Series[];
  accuracy: Series[];
  epochs: number;
}

/** Recognises a training history (epoch, *loss*, *accuracy* columns) and splits it into two charts. */
export function trainingCurves(header: string[], rows: string[][]): TrainingCurves | null {
  const epoch = header.findIndex((h) => h.trim().toLowerCase() === 'epoch');
  if (epoch < 0 || rows.length === 0) return null;
  const loss: Series[] = [];
  const accuracy: Series[] = [];
  header.forEach((h, c) => {
    if (c === epoch) return;
    const name = h.trim().toLowerCase();
    const target = name.includes('loss') ? loss : name.includes('acc') ? accuracy : null;
    if (!target) return;
    const points: Point[] = [];
    for (const r of rows) {
      const x = Number(r[epoch]);
      const y = Number(r[c]);
      if (r[c]?.trim() && Number.isFinite(x) && Number.isFinite(y)) points.push({ x, y });
    }
    if (points.length) target.push({ label: h.trim(), points });
  });
  if (!loss.length && !accuracy.length) return null;
  return { loss, accuracy, epochs: rows.length };
}

/** One bar of a sweep comparison: an array task, its sweep values and its metric. */
export interface SweepPoint {
  task: number;
  label: string;
  value: number | null;
}

/** "c = 0.1, model = random_forest": the sweep values that tell a task apart. */
export function sweepLabel(params: Record<string, unknown>): string {
  const entries = Object.entries(params);
  return entries.map(([k, v]) => `${k.includes('.') ? k.split('.').slice(1).join('.') : k} = ${String(v)}`).join(', ');
}

/** Numbers in a metrics file that are not scores: labels and sample counts, the same for every point. */
const NOT_COMPARED = new Set(['positive_class', 'seed', 'task', 'best_task', 'n_points']);

/** The numeric metrics any task has, in first-seen order: the choices of the comparison. */
export function sweepMetrics(metrics: Array<Record<string, unknown> | null>): string[] {
  const names: string[] = [];
  for (const m of metrics) {
    if (!m) continue;
    for (const [k, v] of Object.entries(m)) if (typeof v === 'number' && Number.isFinite(v) && !NOT_COMPARED.has(k) && !k.startsWith('n_') && !names.includes(k)) names.push(k);
  }
  return names;
}

/** A metric across the tasks of an array step, in task order; the best is the highest unless `lowerIsBetter`. */
export function sweepComparison(
  tasks: Array<{ index: number; params: Record<string, unknown> }>,
  metrics: Array<Record<string, unknown> | null>,
  metric: string,
  lowerIsBetter = isLowerBetter(metric),
): { points: SweepPoint[]; best: SweepPoint | null } {
  const points = tasks.map((t, i) => {
    const v = metrics[i]?.[metric];
    return { task: t.index, label: sweepLabel(t.params) || `task ${t.index}`, value: typeof v === 'number' && Number.isFinite(v) ? v : null };
  });
  let best: SweepPoint | null = null;
  for (const p of points) {
    if (p.value === null) continue;
    if (!best || (lowerIsBetter ? p.value < best.value! : p.value > best.value!)) best = p;
  }
  return { points, best };
}

const LOWER_IS_BETTER = ['mae', 'rmse', 'mse', 'brier', 'log_loss', 'loss', 'error'];

/** Errors and losses are better low, scores high: the same rule as the Compare sweep block. */
export function isLowerBetter(metric: string): boolean {
  const name = metric.toLowerCase();
  return name.endsWith('_sd') || LOWER_IS_BETTER.some((w) => name === w || name.endsWith(`_${w}`) || name.startsWith(`${w}_`));
}
