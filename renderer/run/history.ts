import type { RunRecord } from '../../shared/api';
import type { BlockDefinition } from '../../shared/catalog';
import type { PipelineDocument } from '../../shared/document';
import { metricsView } from '../results/metrics';

/**
 * The runs of one pipeline, newest first: those of its file when it has been saved, else those
 * with its name (an unsaved pipeline has nothing else to go by).
 */
export function runsOfPipeline(runs: readonly RunRecord[], pipelinePath: string | null, name: string): RunRecord[] {
  const mine = runs.filter((r) => (pipelinePath ? r.pipelinePath === pipelinePath : r.pipelinePath === null && r.pipelineName === name));
  return [...mine].sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : 0));
}

/** Which way is better for the metrics whose meaning is known; the others get no verdict. */
const DIRECTION: Record<string, 'higher' | 'lower'> = {
  accuracy: 'higher',
  balanced_accuracy: 'higher',
  roc_auc: 'higher',
  precision: 'higher',
  recall: 'higher',
  specificity: 'higher',
  f1: 'higher',
  average_precision: 'higher',
  pr_auc: 'higher',
  r2: 'higher',
  dice: 'higher',
  mae: 'lower',
  mse: 'lower',
  rmse: 'lower',
  loss: 'lower',
  log_loss: 'lower',
  brier: 'lower',
};

/** The metrics files a run wrote (evaluate steps), as the Results panel finds them. */
export function metricsFilesOf(run: RunRecord): Array<{ key: string; stepId: string; label: string; path: string }> {
  const out: Array<{ key: string; stepId: string; label: string; path: string }> = [];
  for (const s of run.steps) {
    for (const o of s.outputs) {
      if (o.format !== 'metrics.json' || !o.exists) continue;
      const task = o.task === null ? '' : `#${o.task}`;
      out.push({ key: `${s.id}:${o.port}${task}`, stepId: s.id, label: o.task === null ? s.label : `${s.label} [${o.task}]`, path: o.path });
    }
  }
  return out;
}

export interface MetricRow {
  /** "<step>:<port>/<metric>" */
  key: string;
  group: string;
  metric: string;
  title: string;
  a: number | null;
  b: number | null;
  /** Shown as in the Results panel. */
  aText: string;
  bText: string;
  differs: boolean;
  /** Which run did better, only where the metric's direction is known. */
  better: 'a' | 'b' | 'same' | null;
}

function numbers(metrics: unknown): Record<string, number> {
  if (!metrics || typeof metrics !== 'object' || Array.isArray(metrics)) return {};
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(metrics as Record<string, unknown>)) if (typeof v === 'number' && Number.isFinite(v)) out[k] = v;
  return out;
}

/**
 * Side-by-side rows for two runs' metrics files (parsed JSON by file key), in the order the
 * Results panel shows the cards; a metric only one run has still gets a row.
 */
export function compareMetrics(
  files: Array<{ key: string; label: string }>,
  a: Record<string, unknown>,
  b: Record<string, unknown>,
): MetricRow[] {
  const rows: MetricRow[] = [];
  for (const f of files) {
    const na = numbers(a[f.key]);
    const nb = numbers(b[f.key]);
    const cards = new Map([...metricsView(b[f.key]).cards, ...metricsView(a[f.key]).cards].map((c) => [c.key, c]));
    const viewA = new Map(metricsView(a[f.key]).cards.map((c) => [c.key, c.value]));
    const viewB = new Map(metricsView(b[f.key]).cards.map((c) => [c.key, c.value]));
    const keys = [...new Set([...metricsView(a[f.key]).cards.map((c) => c.key), ...metricsView(b[f.key]).cards.map((c) => c.key)])];
    for (const metric of keys) {
      const va = na[metric] ?? null;
      const vb = nb[metric] ?? null;
      const differs = va !== vb;
      const dir = DIRECTION[metric];
      const aText = viewA.get(metric) ?? '—';
      const bText = viewB.get(metric) ?? '—';
      let better: MetricRow['better'] = null;
      // Equal as shown is equal: a verdict on the fourth decimal would mislead.
      if (dir && va !== null && vb !== null) better = va === vb || aText === bText ? 'same' : (dir === 'higher') === va > vb ? 'a' : 'b';
      rows.push({ key: `${f.key}/${metric}`, group: f.label, metric, title: cards.get(metric)?.title ?? metric, a: va, b: vb, aText, bText, differs, better });
    }
  }
  return rows;
}

export interface PipelineChange {
  step: string;
  /** The setting's title, or null when the whole step was added or removed. */
  setting: string | null;
  from: string | null;
  to: string | null;
}

const shown = (v: unknown): string | null => (v === undefined || v === null ? null : typeof v === 'string' ? v : JSON.stringify(v));

/** What differs between the pipelines two runs ran: steps added or removed, settings and resources changed. */
export function pipelineChanges(a: PipelineDocument, b: PipelineDocument, blocks: ReadonlyMap<string, BlockDefinition>): PipelineChange[] {
  const out: PipelineChange[] = [];
  const label = (s: PipelineDocument['steps'][number]) => s.label || blocks.get(s.type)?.title || s.id;
  const inB = new Map(b.steps.map((s) => [s.id, s]));
  for (const sa of a.steps) {
    const sb = inB.get(sa.id);
    if (!sb || sb.type !== sa.type) {
      out.push({ step: label(sa), setting: null, from: label(sa), to: null });
      continue;
    }
    const block = blocks.get(sa.type);
    const keys = [...new Set([...Object.keys(sa.params), ...Object.keys(sb.params)])];
    for (const k of keys) {
      const from = shown(sa.params[k]);
      const to = shown(sb.params[k]);
      if (from === to) continue;
      const def = block?.params.find((p) => p.id === k);
      const choice = (v: string | null) => (v !== null && def?.type === 'choice' ? (def.choices?.find((c) => c.value === v)?.title ?? v) : v);
      out.push({ step: label(sb), setting: def?.title ?? k, from: choice(from), to: choice(to) });
    }
    const ra = (sa.resources ?? {}) as Record<string, unknown>;
    const rb = (sb.resources ?? {}) as Record<string, unknown>;
    for (const k of [...new Set([...Object.keys(ra), ...Object.keys(rb)])]) {
      if (shown(ra[k]) !== shown(rb[k])) out.push({ step: label(sb), setting: `resources.${k}`, from: shown(ra[k]), to: shown(rb[k]) });
    }
    if (shown(sa.sweep) !== shown(sb.sweep)) out.push({ step: label(sb), setting: 'sweep.', from: shown(sa.sweep), to: shown(sb.sweep) });
  }
  const inA = new Set(a.steps.map((s) => s.id));
  for (const sb of b.steps) if (!inA.has(sb.id) || a.steps.find((s) => s.id === sb.id)?.type !== sb.type) out.push({ step: label(sb), setting: null, from: null, to: label(sb) });
  return out;
}
