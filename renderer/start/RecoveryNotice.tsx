import { useTranslation } from 'react-i18next';
import { discardWork, restoreWork, useRecovery } from './recovery';
import '../styles/start.css';

/**
 * "Fluxo closed before these changes were saved": one row per pipeline, Restore or Discard. A
 * notice at the top of the start screen rather than a modal: it never blocks opening something
 * else, and the work stays offered until the person decides.
 */
export function RecoveryNotice() {
  const { t, i18n } = useTranslation('files');
  const items = useRecovery((s) => s.items);
  if (items.length === 0) return null;
  const when = (iso: string) => {
    const d = new Date(iso);
    return Number.isNaN(d.getTime()) ? iso : d.toLocaleString(i18n.language);
  };
  return (
    <section className="recovery" aria-labelledby="recovery-title" data-testid="recovery">
      <h2 id="recovery-title">{t('recovery.title')}</h2>
      <p>{t('recovery.lead')}</p>
      <ul className="recovery-list">
        {items.map((w) => (
          <li key={w.session} className="recovery-item">
            <div className="recovery-text">
              <strong>{w.name || t('common:untitledPipeline')}</strong>
              <span className="recovery-path">{w.path ?? t('recovery.neverSaved')}</span>
              <span className="recovery-time">{t('recovery.changedAt', { time: when(w.savedAt) })}</span>
            </div>
            <div className="recovery-actions">
              <button type="button" className="button" aria-label={t('recovery.discardNamed', { name: w.name })} onClick={() => void discardWork(w)}>
                {t('recovery.discard')}
              </button>
              <button type="button" className="button primary" aria-label={t('recovery.restoreNamed', { name: w.name })} onClick={() => void restoreWork(w)}>
                {t('recovery.restore')}
              </button>
            </div>
          </li>
        ))}
      </ul>
    </section>
  );
}
