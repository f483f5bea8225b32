import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { RunRecord } from '../../shared/api';
import { getApi } from '../api/client';
import { closePastRun, openPastRun } from '../actions/run';
import { useAppStore } from '../state/appStore';
import { useDocument, useSession } from '../state/hooks';
import { CompareDialog } from './CompareDialog';
import { elapsedSeconds, formatSeconds, formatWhen, whereText } from './format';
import { runsOfPipeline } from './history';
import '../styles/run.css';

type Loaded = { state: 'loading' } | { state: 'ok'; runs: RunRecord[] } | { state: 'error'; message: string };

/** The runs of this pipeline, newest first: open one read-only, or compare two. */
export function HistoryPanel() {
  const { t } = useTranslation('run');
  const name = useDocument((s) => s.doc.metadata.name);
  const readOnly = useDocument((s) => s.readOnly);
  const ownPath = useDocument((s) => s.path);
  const pastRun = useSession((s) => s.pastRun);
  const shown = useSession((s) => s.run);
  const busy = useSession((s) => s.starting || s.run?.status === 'running');
  // A past run's pipeline has no file of its own: its history is that of the file it ran from.
  const pipelinePath = readOnly && pastRun ? (shown?.pipelinePath ?? null) : ownPath;
  const targets = useAppStore((s) => s.targets);
  const [loaded, setLoaded] = useState<Loaded>({ state: 'loading' });
  const [picked, setPicked] = useState<string[]>([]);
  const [comparing, setComparing] = useState(false);
  // Reload when a run ends, so the newest one is listed.
  const lastStatus = useSession((s) => `${s.run?.id ?? ''}:${s.run?.status ?? ''}`);

  useEffect(() => {
    let live = true;
    void getApi()
      .runs.list()
      .then((r) => {
        if (live) setLoaded(r.ok ? { state: 'ok', runs: runsOfPipeline(r.value, pipelinePath, name) } : { state: 'error', message: r.error.message });
      });
    return () => {
      live = false;
    };
  }, [pipelinePath, name, lastStatus]);

  if (loaded.state === 'loading') return <p className="panel-empty">{t('history.loading')}</p>;
  if (loaded.state === 'error') return <p className="panel-empty">{loaded.message}</p>;
  if (loaded.runs.length === 0) return <p className="panel-empty">{t('history.empty')}</p>;
  const runs = loaded.runs;
  const toggle = (id: string) => setPicked((p) => (p.includes(id) ? p.filter((x) => x !== id) : [...p.slice(-1), id]));
  const pair = picked.map((id) => runs.find((r) => r.id === id)).filter((r): r is RunRecord => !!r);

  return (
    <div className="history">
      <div className="history-bar">
        <span className="muted">{t('history.count', { count: runs.length })}</span>
        <span className="bar-spacer" />
        {pastRun && (
          <button type="button" className="button small" onClick={closePastRun}>
            {t('past.back')}
          </button>
        )}
        {pair.length !== 2 && <span className="muted small">{t('history.pickTwo')}</span>}
        <button type="button" className="button small" disabled={pair.length !== 2} onClick={() => setComparing(true)}>
          {t('history.compare')}
        </button>
      </div>
      <table className="run-table history-table" data-testid="run-history">
        <caption className="visually-hidden">{t('history.caption')}</caption>
        <thead>
          <tr>
            <th scope="col">{t('history.pick')}</th>
            <th scope="col">{t('history.started')}</th>
            <th scope="col">{t('history.status')}</th>
            <th scope="col">{t('history.where')}</th>
            <th scope="col">{t('history.duration')}</th>
            <th scope="col">
              <span className="visually-hidden">{t('history.actions')}</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {runs.map((r) => {
            const when = formatWhen(r.createdAt);
            const seconds = elapsedSeconds(r.createdAt, r.endedAt);
            const target = targets.find((x) => x.id === r.targetId)?.title;
            const current = pastRun?.runId === r.id;
            return (
              <tr key={r.id} data-testid={`history-run-${r.id}`} className={current ? 'current' : undefined}>
                <td>
                  <input type="checkbox" checked={picked.includes(r.id)} onChange={() => toggle(r.id)} aria-label={t('history.pickRun', { when })} />
                </td>
                <td>{when}</td>
                <td>
                  <span className={`state-chip ${r.status}`}>{t(`history.runStatus.${r.status}`)}</span>
                  {r.rerunOf && <span className="muted small"> {t('history.rerun')}</span>}
                </td>
                <td>
                  {target ?? r.targetId}
                  {r.remote && <span className="muted small"> · {whereText(r)}</span>}
                </td>
                <td>{r.status === 'running' ? '—' : seconds === null ? '—' : formatSeconds(seconds)}</td>
                <td>
                  {current ? (
                    <span className="muted small">{t('history.shown')}</span>
                  ) : (
                    <button type="button" className="button small" disabled={busy} onClick={() => void openPastRun(r.id)} aria-label={t('history.openNamed', { when })}>
                      {t('history.open')}
                    </button>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {comparing && pair.length === 2 && <CompareDialog a={pair[1]!.createdAt < pair[0]!.createdAt ? pair[1]! : pair[0]!} b={pair[1]!.createdAt < pair[0]!.createdAt ? pair[0]! : pair[1]!} onClose={() => setComparing(false)} />}
    </div>
  );
}

/** Says a past run is shown read-only, and leads back to the pipeline. */
export function PastRunBanner() {
  const { t } = useTranslation('run');
  const pastRun = useSession((s) => s.pastRun);
  const run = useSession((s) => s.run);
  const readOnly = useDocument((s) => s.readOnly);
  if (!pastRun || !readOnly || !run) return null;
  return (
    <div className="past-run-banner" role="note" data-testid="past-run-banner">
      <span>
        <strong>{t('past.title', { when: formatWhen(run.createdAt) })}</strong> {t('past.readOnly')}
      </span>
      <button type="button" className="button small" onClick={closePastRun}>
        {t('past.back')}
      </button>
    </div>
  );
}
