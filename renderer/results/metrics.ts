import { t } from '../i18n';

/** How to show one well-known metric of a `metrics.json` output (title and explanation: i18n keys). */
interface MetricSpec {
  kind: 'percent' | 'score' | 'count';
}

// Keyed by the metric names of the metrics.json format, not by block: any block writing that
// format gets readable cards. Titles and explanations: results:metric.<name>.title/.explanation.
const KNOWN: Record<string, MetricSpec> = {
  accuracy: { kind: 'percent' },
  roc_auc: { kind: 'score' },
  precision: { kind: 'percent' },
  recall: { kind: 'percent' },
  f1: { kind: 'score' },
  average_precision: { kind: 'score' },
  brier: { kind: 'score' },
  n_test: { kind: 'count' },
  n_positive: { kind: 'count' },
};

const DETAILS = ['model', 'target', 'classes', 'positive_class', 'averaging'];

const VALUE_NAMES = ['logistic_regression', 'random_forest'];

export interface MetricCard {
  key: string;
  title: string;
  value: string;
  explanation: string;
}

export interface MetricsView {
  cards: MetricCard[];
  details: Array<{ title: string; value: string }>;
}

function humanize(key: string): string {
  const words = key.replace(/[_-]+/g, ' ').trim();
  return words ? words[0]!.toUpperCase() + words.slice(1) : key;
}

function trimZeros(s: string): string {
  return s.includes('.') ? s.replace(/\.?0+$/, '') : s;
}

export function formatMetric(value: number, kind: MetricSpec['kind']): string {
  switch (kind) {
    case 'percent':
      return `${trimZeros((value * 100).toFixed(1))} %`;
    case 'score':
      return trimZeros(value.toFixed(3));
    case 'count':
      return Number.isInteger(value) ? value.toLocaleString('en') : trimZeros(value.toFixed(2));
  }
}

/** Turns a parsed metrics.json into cards (numbers) and details (words), in a stable order. */
export function metricsView(metrics: unknown): MetricsView {
  if (!metrics || typeof metrics !== 'object' || Array.isArray(metrics)) return { cards: [], details: [] };
  const entries = Object.entries(metrics as Record<string, unknown>);
  const cards: MetricCard[] = [];
  for (const [key, spec] of Object.entries(KNOWN)) {
    const v = (metrics as Record<string, unknown>)[key];
    if (typeof v === 'number' && Number.isFinite(v)) cards.push({ key, title: t(`results:metric.${key}.title`), value: formatMetric(v, spec.kind), explanation: t(`results:metric.${key}.explanation`) });
  }
  for (const [key, v] of entries) {
    if (key in KNOWN || DETAILS.includes(key) || typeof v !== 'number' || !Number.isFinite(v)) continue;
    cards.push({ key, title: humanize(key), value: Number.isInteger(v) ? v.toLocaleString('en') : trimZeros(v.toFixed(3)), explanation: '' });
  }
  const details: MetricsView['details'] = [];
  for (const [key, v] of entries) {
    if (v === null || v === undefined || (typeof v === 'number' && !DETAILS.includes(key))) continue;
    if (typeof v === 'object' && !Array.isArray(v)) continue;
    // Lists of objects (compare-sweep's points) are drawn as a chart, not spelled out.
    if (Array.isArray(v) && v.some((x) => x !== null && typeof x === 'object')) continue;
    const text = Array.isArray(v) ? v.map(String).join(', ') : VALUE_NAMES.includes(String(v)) ? t(`results:value.${String(v)}`) : String(v);
    details.push({ title: DETAILS.includes(key) ? t(`results:detail.${key}`) : humanize(key), value: text });
  }
  return { cards, details };
}

/** Decodes a base64 file from runs.readFile as UTF-8 text. */
export function decodeBase64Text(base64: string): string {
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  return new TextDecoder('utf-8').decode(bytes);
}
