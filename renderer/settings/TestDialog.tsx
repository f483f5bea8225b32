import { useId } from 'react';
import { useTranslation } from 'react-i18next';
import type { TargetTestReport } from '../../shared/api';
import { DialogFrame } from '../components/DialogFrame';
import { testTarget, useSettingsStore } from './settingsStore';
import '../styles/targets.css';

const MARK = { ok: '✓', failed: '✗', skipped: '–' } as const;

/** The checks of `fluxo targets test`, step by step, in words. */
export function TestDialog({ targetId, title, onClose }: { targetId: string; title: string; onClose(): void }) {
  const { t } = useTranslation('targets');
  const state = useSettingsStore((s) => s.tests[targetId]);
  const leadId = useId();
  const running = state === 'running' || state === undefined;
  const report = running ? null : (state as TargetTestReport);
  return (
    <DialogFrame title={t('test.title', { title })} describedBy={leadId} onEscape={onClose} className="targets-dialog" initialFocus="[data-default]">
      <p id={leadId} className={`dialog-message ${report ? (report.ok ? 'targets-ok' : 'targets-bad') : ''}`} role="status" aria-live="polite">
        {running ? (
          <>
            <span className="spinner" aria-hidden="true" /> {t('test.running', { title })}
          </>
        ) : report!.ok ? (
          t('test.allGood', { title })
        ) : (
          t('test.notGood')
        )}
      </p>
      {report && report.steps.length > 0 && (
        <ol className="targets-steps" aria-label={t('test.steps')}>
          {report.steps.map((s) => (
            <li key={s.id} className={`targets-step targets-step-${s.status}`} data-step-id={s.id} data-status={s.status}>
              <span className="targets-step-mark" aria-hidden="true">
                {MARK[s.status]}
              </span>
              <span className="targets-step-body">
                <strong>{t(`test.step_${s.id}`)}</strong> <span className="targets-step-status">{t(`test.${s.status}`)}</span>
                {s.status !== 'skipped' && <span className="targets-step-detail">{s.detail}</span>}
              </span>
            </li>
          ))}
        </ol>
      )}
      {report && report.steps.some((s) => s.status === 'skipped') && <p className="field-help">{t('test.skippedDetail')}</p>}
      {report?.error && (
        <div className="targets-error">
          {/* The failed step already says it in most cases; repeated only when no step does. */}
          {!report.steps.some((s) => s.detail === report.error!.message) && <p className="dialog-message">{report.error.message}</p>}
          {report.error.hint && <p className="dialog-hint">{report.error.hint}</p>}
          <p className="dialog-detail">{t('test.error', { code: report.error.code })}</p>
        </div>
      )}
      <div className="dialog-buttons">
        <button type="button" className="button" disabled={running} onClick={() => void testTarget(targetId)}>
          {t('test.again')}
        </button>
        <button type="button" className="button primary" data-default onClick={onClose}>
          {t('test.close')}
        </button>
      </div>
    </DialogFrame>
  );
}
