import { useTranslation } from 'react-i18next';
import { useStore } from 'zustand';
import type { DocumentStore } from '../state/documentStore';
import { isWorkshopCopy, resetToOriginal, unlock } from './actions';
import '../styles/workshop.css';

/** Says plainly that the pipeline is locked, what the instructor wrote, and the way out. */
export function WorkshopBanner({ store }: { store: DocumentStore }) {
  const { t } = useTranslation('workshop');
  const lock = useStore(store, (s) => s.doc.lock);
  const path = useStore(store, (s) => s.path);
  const readOnly = useStore(store, (s) => s.readOnly);
  const copy = isWorkshopCopy(path);
  if ((!lock && !copy) || readOnly) return null;
  return (
    <section className={`workshop-banner${lock ? ' locked' : ''}`} aria-label={t('banner.label')} data-testid="workshop-banner">
      <span className="workshop-banner-icon" aria-hidden="true">
        {lock ? '🔒' : '🎓'}
      </span>
      <div className="workshop-banner-text">
        <strong>{lock ? t('banner.locked', { count: lock.editable.length }) : t('banner.copy')}</strong>
        {lock?.message && <span className="workshop-banner-message">{lock.message}</span>}
      </div>
      <div className="workshop-banner-actions">
        {copy && (
          <button type="button" className="button" onClick={() => void resetToOriginal()}>
            {t('reset.button')}
          </button>
        )}
        {lock && (
          <button type="button" className="button subtle" onClick={() => void unlock()}>
            {t('unlock.button')}
          </button>
        )}
      </div>
    </section>
  );
}
