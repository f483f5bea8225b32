import { useEffect, useId } from 'react';
import type { OutputFile, RunRecord, StepRecord } from '../../shared/api';
import { getApi } from '../api/client';
import { capitalize, useAppStore } from '../state/appStore';
import { useSession } from '../state/hooks';
import type { LoadedFile } from '../state/sessionStore';
import { fileKey, sessionStore } from '../state/sessionStore';
import { decodeBase64Text, metricsView } from './metrics';

/** Loads a run file once per run and caches it in the session store. */
function useRunFile(runId: string, path: string): LoadedFile | undefined {
  const loaded = useSession((s) => s.files[fileKey(runId, path)]);
  useEffect(() => {
    if (sessionStore.getState().files[fileKey(runId, path)]) return;
    sessionStore.getState().setFile(runId, path, { state: 'loading' });
    void getApi()
      .runs.readFile(runId, path)
      .then((r) => sessionStore.getState().setFile(runId, path, r.ok ? { state: 'ok', file: r.value } : { state: 'error', message: capitalize(r.error.message) }));
  }, [runId, path]);
  return loaded;
}

function sizeText(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

function FileState({ loaded, what }: { loaded: LoadedFile | undefined; what: string }) {
  if (!loaded || loaded.state === 'loading') return <p className="muted" aria-busy="true">Loading {what}…</p>;
  if (loaded.state === 'error') return <p className="field-error">Could not show {what}: {loaded.message}</p>;
  return null;
}

function MetricsOutput({ runId, output, title }: { runId: string; output: OutputFile; title: string }) {
  const loaded = useRunFile(runId, output.path);
  if (loaded?.state !== 'ok') return <FileState loaded={loaded} what={title.toLowerCase()} />;
  let parsed: unknown;
  try {
    parsed = JSON.parse(decodeBase64Text(loaded.file.base64));
  } catch {
    return <p className="field-error">{title} is not valid JSON.</p>;
  }
  const view = metricsView(parsed);
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
    </div>
  );
}

function FigureOutput({ runId, output, title }: { runId: string; output: OutputFile; title: string }) {
  const loaded = useRunFile(runId, output.path);
  if (loaded?.state !== 'ok') return <FileState loaded={loaded} what={title.toLowerCase()} />;
  return (
    <figure className="figure">
      <img src={`data:${loaded.file.mime};base64,${loaded.file.base64}`} alt={title} />
      <figcaption>{title}</figcaption>
    </figure>
  );
}

function ReportOutput({ runId, output }: { runId: string; output: OutputFile }) {
  const loaded = useRunFile(runId, output.path);
  if (loaded?.state !== 'ok') return <FileState loaded={loaded} what="the report" />;
  // sandbox="" : the report is shown, never run (no scripts, no forms, no navigation).
  return <iframe className="report-frame" sandbox="" srcDoc={decodeBase64Text(loaded.file.base64)} title="Report" />;
}

function OutputView({ run, output, title }: { run: RunRecord; output: OutputFile; title: string }) {
  if (!output.exists) return null;
  const family = output.format.split('.')[0];
  if (output.format === 'metrics.json') return <MetricsOutput runId={run.id} output={output} title={title} />;
  if (family === 'figure' && /\.(png|jpe?g|svg)$/i.test(output.path)) return <FigureOutput runId={run.id} output={output} title={title} />;
  if (output.format === 'report.html') return <ReportOutput runId={run.id} output={output} />;
  return null;
}

function StepResults({ run, step }: { run: RunRecord; step: StepRecord }) {
  const block = useAppStore((s) => s.blocksById.get(step.blockId));
  const headingId = useId();
  // An array step has each output once per task; the task index tells the sweep points apart.
  const title = (o: OutputFile) => `${block?.outputs.find((p) => p.id === o.port)?.title ?? o.port}${o.task === null ? '' : ` (task ${o.task})`}`;
  return (
    <section className="step-results" aria-labelledby={headingId}>
      <h3 id={headingId}>{step.label}</h3>
      <div className="step-results-views">
        {step.outputs.map((o) => (
          <OutputView key={o.path} run={run} output={o} title={title(o)} />
        ))}
      </div>
      <ul className="output-files">
        {step.outputs.map((o) => (
          <li key={o.path}>
            <span className="output-title">{title(o)}</span> <code>{o.path}</code>{' '}
            <span className="muted">{o.exists ? sizeText(o.size) : 'not written'}</span>
          </li>
        ))}
      </ul>
    </section>
  );
}

/** What the last run produced: metrics as cards, figures as images, the report in a sandbox. */
export function ResultsPanel() {
  const run = useSession((s) => s.run);
  if (!run) return <p className="panel-empty">Run the pipeline to see its results here.</p>;
  if (run.status === 'running') return <p className="panel-empty">Results appear here when the run has finished.</p>;
  // Steps with something to look at (metrics, figures, a report) first, then the plain files.
  const viewable = (s: StepRecord) => s.outputs.some((o) => o.exists && /^(metrics|figure|report)(\.|$)/.test(o.format));
  const withFiles = run.steps.filter((s) => s.outputs.some((o) => o.exists));
  const steps = [...withFiles.filter(viewable), ...withFiles.filter((s) => !viewable(s))];
  return (
    <div className="results">
      <p className="run-folder">
        Run folder: <code>{run.runDir}</code>
      </p>
      {steps.length === 0 && <p className="panel-empty">This run produced no output files.</p>}
      {steps.map((s) => (
        <StepResults key={s.id} run={run} step={s} />
      ))}
    </div>
  );
}
