import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { RecentFile } from '../../shared/api';
import { confirmLeave, isPackPath, openPath } from '../actions/files';
import { getApi } from '../api/client';
import { t as translate } from '../i18n';
import { showError } from '../state/appStore';

/** Recently opened or saved pipelines, newest first; a file that is gone says so and can be removed. */
export function RecentFiles() {
  const { t, i18n } = useTranslation('start');
  const [files, setFiles] = useState<RecentFile[] | null>(null);

  const [version, setVersion] = useState(0);
  const load = () => setVersion((v) => v + 1);
  useEffect(() => {
    let live = true;
    void getApi()
      .documents.recent()
      .then((r) => {
        if (live) setFiles(r.ok ? r.value : []);
      });
    return () => {
      live = false;
    };
  }, [version]);

  const open = async (file: RecentFile) => {
    if (!(await confirmLeave(translate('files:leave.open')))) return;
    if (!(await openPath(file.path))) load();
  };
  const forget = async (file: RecentFile) => {
    const r = await getApi().documents.forgetRecent(file.path);
    if (!r.ok) showError(translate('start:recent.forgetFailed'), r.error);
    load();
  };

  if (files === null || files.length === 0) return null;
  const when = (iso: string) => {
    const d = new Date(iso);
    return Number.isNaN(d.getTime()) ? '' : d.toLocaleDateString(i18n.language, { day: 'numeric', month: 'short', year: 'numeric' });
  };

  return (
    <section aria-labelledby="recent-title" className="recent">
      <h2 id="recent-title">{t('recent.title')}</h2>
      <ul className="recent-list">
        {files.map((f) => (
          <li key={f.path} className={`recent-item${f.exists ? '' : ' missing'}`}>
            {f.exists ? (
              <button type="button" className="recent-open" onClick={() => void open(f)} aria-label={t('recent.openNamed', { name: f.name })}>
                <span className="recent-name">{f.name}</span>
                <span className="recent-path">{f.path}</span>
              </button>
            ) : (
              <div className="recent-open" aria-disabled="true">
                <span className="recent-name">
                  {f.name} <span className="recent-missing">{t('recent.missing')}</span>
                </span>
                <span className="recent-path">{f.path}</span>
              </div>
            )}
            <span className="recent-meta">{isPackPath(f.path) ? t('recent.pack') : when(f.openedAt)}</span>
            <button type="button" className="button subtle recent-forget" onClick={() => void forget(f)} aria-label={t('recent.forgetNamed', { name: f.name })} title={t('recent.forget')}>
              {t('recent.forget')}
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}
