import { useReactFlow } from '@xyflow/react';
import { useId } from 'react';
import { useTranslation } from 'react-i18next';
import type { PreflightReport, PreflightStep } from '../../shared/api';
import type { Problem } from '../../shared/validate';
import { closePreflight, startRun } from '../actions/run';
import { DialogFrame } from '../components/DialogFrame';
import { useDocumentStoreApi, useSession } from '../state/hooks';
import { formatBytes, formatHours, formatMemoryMb, formatMinutes } from './format';
import '../styles/run.css';

const RESOURCE_FIELDS = ['cpus', 'memoryMb', 'timeMinutes', 'gpus'] as const;

function resourceText(field: (typeof RESOURCE_FIELDS)[number], v: number): string {
  if (field === 'memoryMb') return formatMemoryMb(v);
  if (field === 'timeMinutes') return formatMinutes(v);
  return String(v);
}

/** CSS.escape where the browser has it (jsdom does not); ids and field names are plain anyway. */
const cssEscape = (v: string) => (globalThis.CSS?.escape ? globalThis.CSS.escape(v) : v.replace(/["\\]/g, '\\$&'));

/** Shows the step a problem is on and, when it names one, focuses its field in the inspector. */
function useJump() {
  const store = useDocumentStoreApi();
  const { fitView } = useReactFlow();
  return (p: Problem) => {
    if (!p.stepId) return;
    closePreflight();
    store.getState().select({ steps: [p.stepId], connections: [] });
    void fitView({ nodes: [{ id: p.stepId }], maxZoom: 1, padding: 0.6, duration: 250 });
    if (p.field) {
      // The inspector renders the selected step on the next frame.
      window.setTimeout(() => document.querySelector<HTMLElement>(`[data-step="${cssEscape(p.stepId!)}"] [data-field="${cssEscape(p.field!)}"]`)?.focus(), 80);
    }
  };
}

function ProblemItems({ problems }: { problems: Problem[] }) {
  const { t } = useTranslation('run');
  const jump = useJump();
  return (
    <ul className="preflight-problems">
      {problems.map((p, i) => (
        <li key={`${p.code}-${i}`} className={`problem problem-${p.severity}`}>
          <span className={`problem-icon ${p.severity}`} aria-hidden="true">
            !
          </span>
          <span className="visually-hidden">{p.severity === 'error' ? t('preflight.errorPrefix') : t('preflight.warningPrefix')}</span>
          <div>
            <span>{p.message}</span> <span className="problem-fix">{p.fix}</span>{' '}
            {p.stepId && (
              <button type="button" className="link-button" onClick={() => jump(p)}>
                {t('preflight.showProblem')}
              </button>
            )}
          </div>
        </li>
      ))}
    </ul>
  );
}

function StepsTable({ report }: { report: PreflightReport }) {
  const { t } = useTranslation('run');
  const local = report.targetKind === 'local';
  return (
    <table className="run-table preflight-steps">
      <caption className="visually-hidden">{t('preflight.resourcesCaption')}</caption>
      <thead>
        <tr>
          <th scope="col">{t('preflight.col.step')}</th>
          <th scope="col">{t('preflight.col.cpus')}</th>
          <th scope="col">{t('preflight.col.memory')}</th>
          <th scope="col">{t('preflight.col.time')}</th>
          <th scope="col">{t('preflight.col.gpus')}</th>
          {!local && <th scope="col">{t('preflight.col.partition')}</th>}
          <th scope="col">{t('preflight.col.tasks')}</th>
          <th scope="col">{t('preflight.col.coreHours')}</th>
        </tr>
      </thead>
      <tbody>
        {report.steps.map((s: PreflightStep) => (
          <tr key={s.id} data-testid={`preflight-step-${s.id}`}>
            <th scope="row">{s.label}</th>
            {RESOURCE_FIELDS.map((f) => {
              const over = s.over.includes(f);
              const limit = s.limits[f];
              return (
                <td key={f} className={over ? 'over-limit' : undefined}>
                  {resourceText(f, s[f])}
                  {over && limit !== null && <span className="limit-note"> {t('preflight.overLimit', { limit: resourceText(f, limit) })}</span>}
                </td>
              );
            })}
            {!local && <td>{s.partition ?? '—'}</td>}
            <td>{s.tasks}</td>
            <td>{formatHours(s.coreHours)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Report({ report }: { report: PreflightReport }) {
  const { t } = useTranslation('run');
  const errors = report.problems.filter((p) => p.severity === 'error');
  const warnings = report.problems.filter((p) => p.severity === 'warning');
  const local = report.targetKind === 'local';
  return (
    <div className="preflight-body">
      <p className="preflight-summary">
        {local
          ? t('preflight.localSummary', { count: report.steps.length, cores: report.localCores ?? 1 })
          : t('preflight.clusterSummary', { count: report.steps.length, target: report.targetTitle })}
      </p>
      {errors.length > 0 && (
        <section aria-labelledby="preflight-blocking" className="preflight-section blocking">
          <h3 id="preflight-blocking">{t('preflight.blocking', { count: errors.length })}</h3>
          <ProblemItems problems={errors} />
        </section>
      )}
      {!local && (
        <section aria-labelledby="preflight-cost" className="preflight-section">
          <h3 id="preflight-cost">{t('preflight.cost')}</h3>
          <p data-testid="preflight-cost">
            <strong>{t('preflight.coreHours', { hours: formatHours(report.coreHours) })}</strong>
            {report.gpuHours > 0 && (
              <>
                {' · '}
                <strong>{t('preflight.gpuHours', { hours: formatHours(report.gpuHours) })}</strong>
              </>
            )}
          </p>
          <p className="muted small">{t('preflight.upperBound')}</p>
          <StepsTable report={report} />
        </section>
      )}
      {!local && report.upload && (
        <section aria-labelledby="preflight-upload" className="preflight-section">
          <h3 id="preflight-upload">{t('preflight.upload')}</h3>
          {report.upload.items.length === 0 ? (
            <p>{t('preflight.nothingToUpload')}</p>
          ) : (
            <>
              <p data-testid="preflight-upload">{t('preflight.uploadSummary', { count: report.upload.files, size: formatBytes(report.upload.bytes) })}</p>
              <ul className="preflight-uploads">
                {report.upload.items.map((u) => (
                  <li key={u.local}>
                    <code>{u.local}</code> — {t('preflight.files', { count: u.files })}, {formatBytes(u.bytes)}
                    {u.sentBefore && <span className="muted"> ({t('preflight.sentBefore')})</span>}
                  </li>
                ))}
              </ul>
            </>
          )}
        </section>
      )}
      {!local && (
        <section aria-labelledby="preflight-options" className="preflight-section">
          <h3 id="preflight-options">{t('preflight.options')}</h3>
          <dl className="preflight-options">
            <dt>{t('preflight.account')}</dt>
            <dd>{report.account ?? t('preflight.none')}</dd>
            <dt>{t('preflight.qos')}</dt>
            <dd>{report.qos ?? t('preflight.none')}</dd>
            <dt>{t('preflight.reservation')}</dt>
            <dd>{report.reservation ?? t('preflight.none')}</dd>
          </dl>
        </section>
      )}
      {local && (
        <details className="preflight-details">
          <summary>{t('preflight.perStep')}</summary>
          <p className="muted small">{t('preflight.localCoreHours', { hours: formatHours(report.coreHours) })}</p>
          <StepsTable report={report} />
        </details>
      )}
      {warnings.length > 0 && (
        <details className="preflight-details" open={!local}>
          <summary>{t('preflight.warnings', { count: warnings.length })}</summary>
          <ProblemItems problems={warnings} />
        </details>
      )}
    </div>
  );
}

/** Pressing Run shows this first: what will run, where, what it may cost, and what goes up. */
export function PreflightDialog() {
  const { t } = useTranslation('run');
  const store = useDocumentStoreApi();
  const preflight = useSession((s) => (s.preflight && s.preflight.docKey === store.getState().key ? s.preflight : null));
  const descId = useId();
  if (!preflight) return null;
  const canRun = preflight.state === 'ready' && preflight.report.canRun;
  return (
    <DialogFrame title={t('preflight.title')} describedBy={descId} onEscape={closePreflight} className="preflight-dialog" initialFocus={canRun ? ".preflight-run" : undefined}>
      <div id={descId} className="preflight-content" aria-busy={preflight.state === 'loading'}>
        {preflight.state === 'loading' && (
          <p role="status">
            <span className="spinner" aria-hidden="true" /> {t('preflight.checking')}
          </p>
        )}
        {preflight.state === 'error' && (
          <div role="alert">
            <p>{preflight.message}</p>
            {preflight.hint && <p className="muted">{preflight.hint}</p>}
          </div>
        )}
        {preflight.state === 'ready' && <Report report={preflight.report} />}
      </div>
      <div className="dialog-buttons">
        <button type="button" className="button" onClick={closePreflight}>
          {t('preflight.cancel')}
        </button>
        <button type="button" className="button primary preflight-run" disabled={!canRun} onClick={() => void startRun()}>
          {t('preflight.run')}
        </button>
      </div>
    </DialogFrame>
  );
}
