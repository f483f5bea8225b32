import { Suspense, lazy, useId, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { OutputFile, RunRecord, StepRecord } from '../../shared/api';
import { useShallow } from 'zustand/react/shallow';
import { useStepTitle } from '../lib/stepTitle';
import { useAppStore } from '../state/appStore';
import { fileKey } from '../state/sessionStore';
import { useDocument, useSession } from '../state/hooks';
import '../styles/results.css';
import { isLowerBetter, parseCurves, sweepComparison, sweepMetrics } from './charts';
import { decodeBase64Text } from './metrics';
import type { PortGroup } from './outputs';
import { curveKindOf, curvesPathFor, groupOutputs, sizeText, viewerFor } from './outputs';
import { RunActions } from './RunActions';
import { useRunFile } from './useRunData';

// Each viewer is its own chunk: charts (recharts) and volumes (DICOM/NIfTI decoders) load only
// when a run has something for them.
const MetricsViewer = lazy(() => import('./viewers/MetricsViewer'));
const TableViewer = lazy(() => import('./viewers/TableViewer'));
const ImageViewer = lazy(() => import('./viewers/ImageViewer'));
const ReportViewer = lazy(() => import('./viewers/ReportViewer'));
const VolumeViewer = lazy(() => import('./viewers/VolumeViewer'));
const FolderImages = lazy(() => import('./viewers/FolderImages'));
const CurveChart = lazy(() => import('./viewers/Charts').then((m) => ({ default: m.CurveChart })));
const SweepChart = lazy(() => import('./viewers/Charts').then((m) => ({ default: m.SweepChart })));

function Loading() {
  const { t } = useTranslation('results');
  return (
    <p className="muted" aria-busy="true">
      {t('loadingViewer')}
    </p>
  );
}

/** A figure the block also wrote the points of: the app draws it, the block's picture beside it. */
function CurveOutput({ run, step, output, title }: { run: RunRecord; step: StepRecord; output: OutputFile; title: string }) {
  const kind = curveKindOf(output.port);
  const curvesPath = kind ? curvesPathFor(step, output) : null;
  const loaded = useRunFile(run.id, curvesPath);
  const chart = useMemo(() => {
    if (!kind || loaded?.state !== 'ok') return null;
    try {
      return parseCurves(JSON.parse(decodeBase64Text(loaded.file.base64)))[kind] ?? null;
    } catch {
      return null;
    }
  }, [kind, loaded]);
  // Runs from before curves.json (or cached ones) still show the picture, as before.
  if (!chart) return loaded?.state === 'loading' ? <Loading /> : <ImageViewer runId={run.id} output={output} title={title} />;
  return (
    <div className="curve-output">
      <CurveChart data={chart} />
      <ImageViewer runId={run.id} output={output} title={title} compact />
    </div>
  );
}

/** The image a mask was made from: the image-like input of the step, from the pipeline's connections. */
function useMaskImage(run: RunRecord, step: StepRecord): OutputFile | null {
  const connections = useDocument((s) => s.doc.connections);
  return useMemo(() => {
    for (const c of connections) {
      if (c.to.step !== step.id) continue;
      const from = run.steps.find((s) => s.id === c.from.step)?.outputs.find((o) => o.port === c.from.port && o.exists);
      if (from && (viewerFor(from) === 'nifti' || viewerFor(from) === 'dicom')) return from;
    }
    return null;
  }, [connections, run, step.id]);
}

function OutputView({ run, step, output, title }: { run: RunRecord; step: StepRecord; output: OutputFile; title: string }) {
  const maskImage = useMaskImage(run, step);
  if (!output.exists) return null;
  const kind = viewerFor(output);
  switch (kind) {
    case 'metrics':
      return <MetricsViewer runId={run.id} output={output} title={title} />;
    case 'report':
      return <ReportViewer runId={run.id} output={output} />;
    case 'image':
      return curveKindOf(output.port) ? <CurveOutput run={run} step={step} output={output} title={title} /> : <ImageViewer runId={run.id} output={output} title={title} />;
    case 'table':
      return <TableViewer runId={run.id} output={output} title={title} />;
    case 'nifti':
      return <VolumeViewer runId={run.id} title={title} imageKind="nifti" imagePath={output.path} />;
    case 'dicom':
      return <VolumeViewer runId={run.id} title={title} imageKind={output.path.toLowerCase().endsWith('.dcm') ? 'dicom-file' : 'dicom-folder'} imagePath={output.path} />;
    case 'mask':
      return (
        <VolumeViewer
          runId={run.id}
          title={title}
          imageKind={maskImage ? (viewerFor(maskImage) === 'nifti' ? 'nifti' : maskImage.path.toLowerCase().endsWith('.dcm') ? 'dicom-file' : 'dicom-folder') : null}
          imagePath={maskImage?.path ?? null}
          mask={output.path}
        />
      );
    case 'images':
      return <FolderImages runId={run.id} path={output.path} title={title} />;
    default:
      return null;
  }
}

/** One output port: a title line with the file and its size, a task picker for a sweep, and the viewer. */
function PortResults({ run, step, group }: { run: RunRecord; step: StepRecord; group: PortGroup }) {
  const { t } = useTranslation('results');
  const [taskIndex, setTaskIndex] = useState(0);
  const headingId = useId();
  const pickerId = useId();
  const existing = group.files.filter((f) => f.output.exists);
  const current = existing[Math.min(taskIndex, existing.length - 1)] ?? group.files[0]!;
  const kind = viewerFor(current.output);
  const title = current.label ? `${group.title} (${current.label})` : group.title;
  return (
    <section className="port-results" aria-labelledby={headingId} data-port={group.port}>
      <div className="port-header">
        <h4 id={headingId}>{group.title}</h4>
        {existing.length > 1 && (
          <label className="task-picker" htmlFor={pickerId}>
            {t('sweepPoint')}{' '}
            <select id={pickerId} value={Math.min(taskIndex, existing.length - 1)} onChange={(e) => setTaskIndex(Number(e.target.value))}>
              {existing.map((f, i) => (
                <option key={f.output.path} value={i}>
                  {f.label}
                </option>
              ))}
            </select>
          </label>
        )}
        <span className="port-file">
          <code>{current.output.path}</code> {/* A folder output's own size says nothing about its contents: only files show one. */}
          {!current.output.exists ? <span className="muted">{t('notWritten')}</span> : kind !== 'images' && !(kind === 'dicom' && !current.output.path.toLowerCase().endsWith('.dcm')) && <span className="muted">{sizeText(current.output.size)}</span>}
        </span>
      </div>
      {kind !== 'none' && (
        <Suspense fallback={<Loading />}>
          <OutputView key={current.output.path} run={run} step={step} output={current.output} title={title} />
        </Suspense>
      )}
    </section>
  );
}

/** An array step's metrics side by side: one metric across its tasks, labelled by sweep values. */
function SweepComparison({ run, step }: { run: RunRecord; step: StepRecord }) {
  const { t } = useTranslation('results');
  const files = step.outputs.filter((o) => o.format === 'metrics.json' && o.exists && o.task !== null);
  const loadedAll = useSession(useShallow((s) => files.map((f) => s.files[fileKey(run.id, f.path)])));
  const parsed = loadedAll.map((l) => {
    if (l?.state !== 'ok') return null;
    try {
      return JSON.parse(decodeBase64Text(l.file.base64)) as Record<string, unknown>;
    } catch {
      return null;
    }
  });
  const metrics = sweepMetrics(parsed);
  const [metric, setMetric] = useState<string | null>(null);
  const selectId = useId();
  const chosen = metric && metrics.includes(metric) ? metric : (metrics.find((m) => m === 'roc_auc') ?? metrics.find((m) => m === 'accuracy') ?? metrics[0]);
  if (!chosen || files.length < 2) return null;
  const tasks = files.map((f) => ({ index: f.task!, params: step.tasks?.find((x) => x.index === f.task)?.params ?? {} }));
  const lower = isLowerBetter(chosen);
  const { points, best } = sweepComparison(tasks, parsed, chosen, lower);
  return (
    <Suspense fallback={<Loading />}>
      <SweepChart points={points} best={best} metric={chosen} lowerIsBetter={lower}>
        <label className="sweep-metric" htmlFor={selectId}>
          {t('chart.sweep.metric')}{' '}
          <select id={selectId} value={chosen} onChange={(e) => setMetric(e.target.value)}>
            {metrics.map((m) => (
              <option key={m} value={m}>
                {m}
              </option>
            ))}
          </select>
        </label>
      </SweepChart>
    </Suspense>
  );
}

/** Asks for every task's metrics so the comparison can be drawn (they are cached per run). */
function MetricsPreload({ run, files }: { run: RunRecord; files: OutputFile[] }) {
  return files.map((f) => <Preload key={f.path} runId={run.id} path={f.path} />);
}
function Preload({ runId, path }: { runId: string; path: string }) {
  useRunFile(runId, path);
  return null;
}

function StepResults({ run, step }: { run: RunRecord; step: StepRecord }) {
  const { t } = useTranslation('results');
  const block = useAppStore((s) => s.blocksById.get(step.blockId));
  const headingId = useId();
  const stepTitle = useStepTitle(step.label, step.blockId);
  const groups = groupOutputs(step, block?.outputs ?? [], (i) => t('task', { index: i }));
  const sweep = step.tasks !== null && step.outputs.filter((o) => o.format === 'metrics.json' && o.exists).length > 1;
  return (
    <section className="step-results" aria-labelledby={headingId} data-step-results={step.id}>
      <h3 id={headingId}>{stepTitle}</h3>
      {sweep && (
        <>
          <SweepComparison run={run} step={step} />
          <MetricsPreload run={run} files={step.outputs.filter((o) => o.format === 'metrics.json' && o.exists)} />
        </>
      )}
      <div className="step-results-views">
        {groups
          .filter((g) => g.files.some((f) => f.output.exists))
          .map((g) => (
            <PortResults key={g.port} run={run} step={step} group={g} />
          ))}
      </div>
    </section>
  );
}

/** What the last run produced: every step's outputs, each with a viewer chosen by its format. */
export function ResultsPanel() {
  const { t } = useTranslation('results');
  const run = useSession((s) => s.run);
  if (!run) return <p className="panel-empty">{t('empty')}</p>;
  if (run.status === 'running') return <p className="panel-empty">{t('whenFinished')}</p>;
  // Steps with something to look at (metrics, figures, a report) first, then the plain files.
  const viewable = (s: StepRecord) => s.outputs.some((o) => o.exists && /^(metrics|figure|report)(\.|$)/.test(o.format));
  const withFiles = run.steps.filter((s) => s.outputs.some((o) => o.exists));
  const steps = [...withFiles.filter(viewable), ...withFiles.filter((s) => !viewable(s))];
  return (
    <div className="results">
      <RunActions run={run} />
      {steps.length === 0 && <p className="panel-empty">{t('noOutputs')}</p>}
      {steps.map((s) => (
        <StepResults key={s.id} run={run} step={s} />
      ))}
    </div>
  );
}
