import { useTranslation } from 'react-i18next';
import { useShallow } from 'zustand/react/shallow';
import { formatSeconds } from '../run/format';
import { useAppStore } from '../state/appStore';
import { useSession } from '../state/hooks';

function duration(from: string, to: string | null): string {
  if (!to) return '';
  return formatSeconds((Date.parse(to) - Date.parse(from)) / 1000);
}

/** One line about the current run: running with progress, or how it ended and why. */
export function RunStatus() {
  const { t } = useTranslation('run');
  const { run, starting } = useSession(useShallow((s) => ({ run: s.run, starting: s.starting })));
  const showPanel = useAppStore((s) => s.showPanel);
  if (starting) {
    return (
      <div className="run-status running" role="status">
        <span className="spinner" aria-hidden="true" /> {t('status.starting')}
      </div>
    );
  }
  if (!run) return null;
  const done = run.steps.filter((s) => s.state === 'completed').length;
  if (run.status === 'running') {
    const queued = run.steps.find((s) => s.state === 'waiting' && s.scheduler?.state === 'PENDING');
    return (
      <div className="run-status running" role="status">
        <span className="spinner" aria-hidden="true" /> {t('status.running', { done, total: run.steps.length })}
        {queued?.scheduler?.reasonText && <span className="muted"> · {t('status.queued', { reason: queued.scheduler.reasonText })}</span>}
      </div>
    );
  }
  if (run.status === 'completed') {
    return (
      <div className="run-status completed" role="status">
        {t('status.completed', { time: duration(run.createdAt, run.endedAt) })}{' '}
        <button type="button" className="link-button" onClick={() => showPanel('results')}>
          {t('status.seeResults')}
        </button>
      </div>
    );
  }
  if (run.status === 'cancelled') {
    return (
      <div className="run-status cancelled" role="status">
        {t('status.cancelled', { done, total: run.steps.length })}
      </div>
    );
  }
  const failed = run.steps.find((s) => s.state === 'failed');
  const why = failed ? (failed.exitCode !== null ? t('status.failedStepCode', { step: failed.label, code: failed.exitCode }) : t('status.failedStep', { step: failed.label })) : '';
  return (
    <div className="run-status failed" role="status">
      {t('status.failed', { why })}
      {run.error && !failed && <> {run.error.message}</>}{' '}
      <button type="button" className="link-button" onClick={() => showPanel('log')}>
        {t('status.readLog')}
      </button>
    </div>
  );
}
