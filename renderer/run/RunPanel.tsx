import { Fragment, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useShallow } from 'zustand/react/shallow';
import type { StepRecord, TransferView } from '../../shared/api';
import { applyFix, rerunFrom } from '../actions/run';
import { useAppStore } from '../state/appStore';
import { RunLog } from '../editor/RunLog';
import { useSession } from '../state/hooks';
import { explanationOf } from './explain';
import { elapsedSeconds, formatBytes, formatSeconds, formatWhen, stateText } from './format';
import '../styles/run.css';

/** Whether the fix buttons can act now (see canFix), kept current from both stores. */
export function useCanFix(): boolean {
  const editor = useAppStore((s) => s.editor);
  const s = useSession(useShallow((x) => ({ docKey: x.docKey, busy: x.starting || x.run?.status === 'running', has: x.run !== null, past: x.pastRun !== null })));
  return !!editor && !editor.getState().readOnly && s.docKey === editor.getState().key && !s.busy && s.has && !s.past;
}

/** Re-renders every second while something is running, so durations grow. */
function useTick(active: boolean): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!active) return;
    const id = window.setInterval(() => setNow(Date.now()), 1000);
    return () => window.clearInterval(id);
  }, [active]);
  return now;
}

function TransferBar({ transfer }: { transfer: TransferView }) {
  const { t } = useTranslation('run');
  const { bytes, files } = transfer;
  const pct = bytes.total > 0 ? Math.min(100, Math.round((bytes.done / bytes.total) * 100)) : files.total > 0 ? Math.round((files.done / files.total) * 100) : 100;
  const title = transfer.direction === 'upload' ? t('transfer.upload') : t('transfer.download');
  const parts = [
    t('transfer.files', { done: files.done, total: files.total }),
    t('transfer.bytes', { done: formatBytes(bytes.done), total: formatBytes(bytes.total) }),
    ...(files.skipped > 0 ? [t('transfer.skipped', { count: files.skipped })] : []),
    ...(transfer.rate !== null ? [t('transfer.rate', { rate: formatBytes(transfer.rate) })] : []),
    ...(transfer.secondsLeft !== null ? [t('transfer.left', { time: formatSeconds(transfer.secondsLeft) })] : []),
  ];
  return (
    <div className="transfer" data-testid={`transfer-${transfer.direction}`}>
      <div className="transfer-head">
        <strong>{title}</strong> <span className="muted">{parts.join(' · ')}</span>
      </div>
      <progress max={100} value={pct} aria-label={t('transfer.label', { what: title, pct })} />
      {transfer.file && <div className="transfer-file muted small">{transfer.file}</div>}
    </div>
  );
}

/** Upload and download of a cluster run, and whether the cluster answers. */
export function RunConnection() {
  const { t } = useTranslation('run');
  const { remote, transfers, running } = useSession(useShallow((s) => ({ remote: s.run?.remote ?? null, transfers: s.transfers, running: s.run?.status === 'running' })));
  const list = (['upload', 'download'] as const).map((d) => transfers[d]).filter((x): x is TransferView => !!x);
  if (!remote && list.length === 0) return null;
  return (
    <div className="run-connection">
      {remote?.unreachable && running && (
        <p className="run-banner warning" role="status" data-testid="cluster-unreachable">
          <strong>{t('remote.notAnswering')}</strong> <span>{remote.unreachable}</span>
        </p>
      )}
      {list.map((x) => (
        <TransferBar key={x.direction} transfer={x} />
      ))}
    </div>
  );
}

/** What went wrong in a failed step, in plain words, with the fix as one button. */
export function FailureCard({ step }: { step: StepRecord }) {
  const { t } = useTranslation('run');
  const log = useSession((s) => s.logs[step.id] ?? '');
  const fixable = useCanFix();
  const [busy, setBusy] = useState(false);
  const e = explanationOf(step, log);
  const action = e.action;
  const act = async (f: () => Promise<boolean>) => {
    setBusy(true);
    try {
      await f();
    } finally {
      setBusy(false);
    }
  };
  const oneClick = action && (action.kind === 'retry-with-resources' || action.kind === 'retry' || action.kind === 'rerun-from-step');
  return (
    <section className="failure-card" aria-labelledby={`failure-${step.id}`} data-testid={`failure-${step.id}`}>
      <h3 id={`failure-${step.id}`}>
        <span aria-hidden="true">✕ </span>
        {e.title}
      </h3>
      <p>{e.message}</p>
      {e.evidence.length > 0 && (
        <details>
          <summary>{t('failure.evidence')}</summary>
          <div className="failure-evidence">{e.evidence.join('\n')}</div>
        </details>
      )}
      <div className="failure-actions">
        {oneClick && (
          <button type="button" className="button primary" disabled={!fixable || busy} onClick={() => void act(() => applyFix(step, action))}>
            {action.label}
          </button>
        )}
        {action && !oneClick && <p className="failure-todo">{t('failure.todo', { what: action.label })}</p>}
        {action?.kind !== 'rerun-from-step' && (
          <button type="button" className="button" disabled={!fixable || busy} onClick={() => void act(() => rerunFrom(step.id))}>
            {t('failure.rerunFromHere')}
          </button>
        )}
      </div>
      {!fixable && <p className="muted small">{t('failure.cannotFixHere')}</p>}
    </section>
  );
}

/** Every step of the run: state in words (with the queue reason), job, start, duration; arrays expand. */
export function RunSteps() {
  const { t } = useTranslation('run');
  const run = useSession((s) => s.run);
  const states = useSession((s) => s.steps);
  const fixable = useCanFix();
  const [open, setOpen] = useState<Record<string, boolean>>({});
  const now = useTick(run?.status === 'running');
  if (!run) return null;
  const steps = run.steps.map((s) => states[s.id] ?? s);
  const cluster = !!run.remote || steps.some((s) => s.job);
  const duration = (from: string | null, to: string | null, seconds: number | null) => {
    const s = seconds ?? elapsedSeconds(from, to, now);
    return s === null ? '—' : formatSeconds(s);
  };
  return (
    <table className="run-table run-steps" data-testid="run-steps">
      <caption className="visually-hidden">{t('steps.caption')}</caption>
      <thead>
        <tr>
          <th scope="col">{t('steps.step')}</th>
          {cluster && <th scope="col">{t('steps.job')}</th>}
          <th scope="col">{t('steps.state')}</th>
          <th scope="col">{t('steps.started')}</th>
          <th scope="col">{t('steps.duration')}</th>
          <th scope="col">
            <span className="visually-hidden">{t('steps.actions')}</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {steps.map((s) => (
          <Fragment key={s.id}>
            <tr data-testid={`run-step-${s.id}`} className={`state-${s.state}`}>
              <th scope="row">
                {s.tasks ? (
                  <button type="button" className="link-button" aria-expanded={!!open[s.id]} onClick={() => setOpen({ ...open, [s.id]: !open[s.id] })}>
                    {s.label} {t('steps.tasks', { count: s.tasks.length })}
                  </button>
                ) : (
                  s.label
                )}
              </th>
              {cluster && <td>{s.job?.id ?? '—'}</td>}
              <td>
                <span className={`state-chip ${s.cached ? 'cached' : s.state}`}>{stateText(s, s.cached)}</span>
              </td>
              <td>{formatWhen(s.startedAt)}</td>
              <td>{duration(s.startedAt, s.endedAt, s.seconds)}</td>
              <td>
                {fixable && (s.state === 'completed' || s.state === 'failed' || s.state === 'cancelled') && (
                  <button type="button" className="button small" onClick={() => void rerunFrom(s.id)} aria-label={t('steps.rerunFromNamed', { step: s.label })}>
                    {t('steps.rerunFrom')}
                  </button>
                )}
              </td>
            </tr>
            {s.tasks &&
              open[s.id] &&
              s.tasks.map((x) => (
                <tr key={`${s.id}-${x.index}`} className={`task-row state-${x.state}`} data-testid={`run-task-${s.id}-${x.index}`}>
                  <th scope="row" className="task-label">
                    {t('steps.taskLabel', { index: x.index })}{' '}
                    <span className="muted small">
                      {Object.entries(x.params)
                        .map(([k, v]) => `${k}=${String(v)}`)
                        .join(', ')}
                    </span>
                  </th>
                  {cluster && <td>{s.job ? `${s.job.id}_${x.index}` : '—'}</td>}
                  <td>
                    <span className={`state-chip ${x.state}`}>{stateText(x)}</span>
                  </td>
                  <td>{formatWhen(x.startedAt)}</td>
                  <td>{duration(x.startedAt, x.endedAt, x.seconds)}</td>
                  <td />
                </tr>
              ))}
          </Fragment>
        ))}
      </tbody>
    </table>
  );
}

/** The Log tab: the failure in words with its fix, transfers, the steps, and the streaming log. */
export function RunPanel() {
  const { t } = useTranslation('run');
  const run = useSession((s) => s.run);
  const states = useSession((s) => s.steps);
  if (!run) return <p className="panel-empty">{t('log.empty')}</p>;
  const failed = run.steps.map((s) => states[s.id] ?? s).filter((s) => s.state === 'failed');
  return (
    <div className="run-panel">
      <RunConnection />
      {failed.map((s) => (
        <FailureCard key={s.id} step={s} />
      ))}
      <div className="run-panel-body">
        <div className="run-panel-steps">
          <RunSteps />
        </div>
        <div className="run-panel-log">
          <RunLog />
        </div>
      </div>
    </div>
  );
}
