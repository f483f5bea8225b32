/** How to show one well-known metric of a `metrics.json` output. */
interface MetricSpec {
  title: string;
  kind: 'percent' | 'score' | 'count';
  explanation: string;
}

// Keyed by the metric names of the metrics.json format, not by block: any block writing that
// format gets readable cards.
const KNOWN: Record<string, MetricSpec> = {
  accuracy: { title: 'Accuracy', kind: 'percent', explanation: 'Share of test samples the model classified correctly.' },
  roc_auc: { title: 'ROC AUC', kind: 'score', explanation: 'How well the model ranks positive above negative cases: 0.5 is chance, 1 is perfect.' },
  precision: { title: 'Precision', kind: 'percent', explanation: 'Of the samples called positive, the share that really are positive (few false alarms when high).' },
  recall: { title: 'Recall (sensitivity)', kind: 'percent', explanation: 'Of the samples that really are positive, the share the model found (few missed cases when high).' },
  f1: { title: 'F1 score', kind: 'score', explanation: 'Balances precision and recall in one number: 1 is perfect, 0 is useless.' },
  n_test: { title: 'Test samples', kind: 'count', explanation: 'Held-out samples the metrics were measured on; the model never saw them in training.' },
  n_positive: { title: 'Positive test samples', kind: 'count', explanation: 'How many test samples belong to the positive class.' },
};

const DETAIL_TITLES: Record<string, string> = {
  model: 'Model',
  target: 'Outcome column',
  classes: 'Classes',
  positive_class: 'Positive class',
  averaging: 'Averaging',
};

const VALUE_NAMES: Record<string, string> = { logistic_regression: 'Logistic regression', random_forest: 'Random forest' };

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
    if (typeof v === 'number' && Number.isFinite(v)) cards.push({ key, title: spec.title, value: formatMetric(v, spec.kind), explanation: spec.explanation });
  }
  for (const [key, v] of entries) {
    if (key in KNOWN || key in DETAIL_TITLES || typeof v !== 'number' || !Number.isFinite(v)) continue;
    cards.push({ key, title: humanize(key), value: Number.isInteger(v) ? v.toLocaleString('en') : trimZeros(v.toFixed(3)), explanation: '' });
  }
  const details: MetricsView['details'] = [];
  for (const [key, v] of entries) {
    if (v === null || v === undefined || (typeof v === 'number' && !(key in DETAIL_TITLES))) continue;
    if (typeof v === 'object' && !Array.isArray(v)) continue;
    const text = Array.isArray(v) ? v.map(String).join(', ') : (VALUE_NAMES[String(v)] ?? String(v));
    details.push({ title: DETAIL_TITLES[key] ?? humanize(key), value: text });
  }
  return { cards, details };
}

/** Decodes a base64 file from runs.readFile as UTF-8 text. */
export function decodeBase64Text(base64: string): string {
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  return new TextDecoder('utf-8').decode(bytes);
}
