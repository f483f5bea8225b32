import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { TargetEntry } from '../../shared/api';
import { getApi } from '../api/client';
import { t as tr } from '../i18n';
import { showError, useAppStore } from '../state/appStore';
import { ImportDialog } from './ImportDialog';
import type { ProfileDialogMode } from './ProfileDialog';
import { ProfileDialog } from './ProfileDialog';
import { isCluster } from './profileForm';
import { RunOptionsDialog, runOptionsSummary } from './RunOptions';
import { closeSettings, refreshOverview, testTarget, useSettingsStore } from './settingsStore';
import { TestDialog } from './TestDialog';
import '../styles/targets.css';

type Open = { kind: 'profile'; mode: ProfileDialogMode } | { kind: 'import' } | { kind: 'test'; id: string; title: string } | { kind: 'runOptions'; id: string } | null;

/** "Clusters and connections": where pipelines can run, and how Fluxo logs in there. */
export function SettingsScreen() {
  const { t } = useTranslation('targets');
  const overview = useSettingsStore((s) => s.overview);
  const tests = useSettingsStore((s) => s.tests);
  const runOptions = useAppStore((s) => s.runOptions);
  const [open, setOpen] = useState<Open>(null);

  useEffect(() => {
    if (!useSettingsStore.getState().overview) void refreshOverview();
  }, []);

  const entries = overview?.entries ?? [];
  const remove = async (e: TargetEntry) => {
    const answer = await useAppStore.getState().ask({
      tone: 'confirm',
      title: tr('targets:screen.deleteTitle', { title: e.profile.title }),
      message: tr('targets:screen.deleteMessage', { file: e.file }),
      buttons: [
        { value: 'cancel', label: tr('targets:profile.cancel') },
        { value: 'delete', label: tr('targets:screen.deleteConfirm'), primary: true },
      ],
    });
    if (answer !== 'delete') return;
    const r = await getApi().targets.remove(e.profile.id);
    if (!r.ok) return showError(tr('targets:errors.deleteFailed'), r.error);
    await refreshOverview();
    useAppStore.getState().toast({ kind: 'success', title: tr('targets:screen.deleted', { title: e.profile.title }) });
  };

  const status = (e: TargetEntry) => {
    if (!isCluster(e.profile)) return <span className="targets-status">{t('screen.localReady')}</span>;
    const s = tests[e.profile.id];
    if (s === 'running') return <span className="targets-status">{t('screen.testing')}</span>;
    if (!s) return <span className="targets-status muted">{t('screen.notTested')}</span>;
    return (
      <span className={`targets-status ${s.ok ? 'targets-ok' : 'targets-bad'}`}>
        <span aria-hidden="true">{s.ok ? '✓ ' : '✗ '}</span>
        {s.ok ? t('screen.works') : t('screen.failed')}
      </span>
    );
  };

  return (
    <main className="targets-screen" aria-labelledby="targets-title">
      <header className="targets-header">
        <button type="button" className="button subtle" onClick={closeSettings}>
          ← {t('screen.back')}
        </button>
        <h1 id="targets-title">{t('screen.title')}</h1>
      </header>
      <p className="section-lead">{t('screen.lead', { folder: overview?.userFolder ?? '~/Fluxo/targets' })}</p>
      <div className="targets-actions">
        <button type="button" className="button primary" disabled={!overview} onClick={() => setOpen({ kind: 'profile', mode: { kind: 'add' } })}>
          {t('screen.add')}
        </button>
        <button type="button" className="button" disabled={!overview} onClick={() => setOpen({ kind: 'import' })}>
          {t('screen.import')}
        </button>
      </div>
      {overview && <p className="field-help targets-secrets">{overview.secretsUnavailable ? t('screen.secretsNo', { reason: overview.secretsUnavailable }) : t('screen.secretsYes')}</p>}
      {!overview && <p aria-busy="true">{t('screen.loading')}</p>}
      {overview && (
        <table className="targets-table" aria-label={t('screen.listLabel')}>
          <thead>
            <tr>
              <th scope="col">{t('screen.colName')}</th>
              <th scope="col">{t('screen.colHost')}</th>
              <th scope="col">{t('screen.colUser')}</th>
              <th scope="col">{t('screen.colSource')}</th>
              <th scope="col">{t('screen.colStatus')}</th>
              <th scope="col">{t('screen.colActions')}</th>
            </tr>
          </thead>
          <tbody>
            {entries.map((e) => {
              const p = e.profile;
              const cluster = isCluster(p) ? p : null;
              const own = e.source === 'user';
              return (
                <tr key={p.id} data-target={p.id}>
                  <th scope="row">
                    <span className="targets-name">{p.title}</span>
                    <span className="targets-id">{p.id}</span>
                    {cluster && <span className="targets-choices">{runOptionsSummary(runOptions[p.id], '')}</span>}
                  </th>
                  <td className="targets-mono">{cluster ? `${cluster.login.hosts[0] ?? ''}${cluster.login.port !== 22 ? `:${cluster.login.port}` : ''}` : '—'}</td>
                  <td className="targets-mono">{cluster ? (cluster.login.user ?? <span className="muted targets-plain">{t('screen.noUser')}</span>) : '—'}</td>
                  <td>
                    <span className={`targets-badge ${own ? 'targets-badge-own' : ''}`}>{own ? (e.overrides ? t('screen.ownOverrides') : t('screen.own')) : t('screen.shipped')}</span>
                  </td>
                  <td>{status(e)}</td>
                  <td>
                    {cluster && (
                      <div className="targets-row-actions">
                        <button
                          type="button"
                          className="button small"
                          aria-label={t('screen.testNamed', { title: p.title })}
                          disabled={tests[p.id] === 'running'}
                          onClick={() => {
                            setOpen({ kind: 'test', id: p.id, title: p.title });
                            void testTarget(p.id);
                          }}
                        >
                          {t('screen.test')}
                        </button>
                        {own ? (
                          <>
                            <button type="button" className="button small" aria-label={t('screen.editNamed', { title: p.title })} onClick={() => setOpen({ kind: 'profile', mode: { kind: 'edit', entry: e } })}>
                              {t('screen.edit')}
                            </button>
                            <button type="button" className="button small danger" aria-label={t('screen.deleteNamed', { title: p.title })} onClick={() => void remove(e)}>
                              {t('screen.delete')}
                            </button>
                          </>
                        ) : (
                          <>
                            <button type="button" className="button small" aria-label={t('screen.copyNamed', { title: p.title })} onClick={() => setOpen({ kind: 'profile', mode: { kind: 'copy', entry: e } })}>
                              {t('screen.copy')}
                            </button>
                            <button type="button" className="button small" aria-label={t('screen.runOptionsNamed', { title: p.title })} onClick={() => setOpen({ kind: 'runOptions', id: p.id })}>
                              {t('screen.runOptions')}
                            </button>
                          </>
                        )}
                      </div>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      {overview && overview.problems.length > 0 && (
        <section className="catalog-problems" aria-labelledby="targets-problems-title">
          <h2 id="targets-problems-title">{t('screen.problemsTitle')}</h2>
          <ul>
            {overview.problems.map((p, i) => (
              <li key={i}>
                <code>{p.file}</code>
                {p.field && (
                  <>
                    {' '}
                    <code>{p.field}</code>
                  </>
                )}
                : {p.message}
              </li>
            ))}
          </ul>
        </section>
      )}
      {open?.kind === 'profile' && <ProfileDialog mode={open.mode} entries={entries} onClose={() => setOpen(null)} />}
      {open?.kind === 'import' && <ImportDialog entries={entries} onClose={() => setOpen(null)} />}
      {open?.kind === 'test' && <TestDialog targetId={open.id} title={open.title} onClose={() => setOpen(null)} />}
      {open?.kind === 'runOptions' && <RunOptionsDialog targetId={open.id} onClose={() => setOpen(null)} />}
    </main>
  );
}
