import { useTranslation } from 'react-i18next';
import { useStore } from 'zustand';
import type { DocumentStore } from '../state/documentStore';
import { isWorkshopCopy, resetToOriginal, unlock } from './actions';
import '../styles/workshop.css';

// Drawn, not emoji: headless and some Linux desktops have no emoji font.
function LockIcon() {
  return (
    <svg className="workshop-banner-icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false">
      <rect x="5" y="10.5" width="14" height="10" rx="2" fill="currentColor" />
      <path d="M8 10.5V7.5a4 4 0 0 1 8 0v3" fill="none" stroke="currentColor" strokeWidth="2.2" />
    </svg>
  );
}

function PackIcon() {
  return (
    <svg className="workshop-banner-icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false">
      <path d="M3 8l9-4 9 4-9 4z" fill="currentColor" />
      <path d="M7 10.5V15c0 1.6 2.2 3 5 3s5-1.4 5-3v-4.5" fill="none" stroke="currentColor" strokeWidth="2" />
    </svg>
  );
}

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
      {lock ? <LockIcon /> : <PackIcon />}
      <div className="workshop-banner-text">
        <strong>{lock ? t(copy ? 'banner.locked' : 'banner.lockedForStudents', { count: lock.editable.length }) : t('banner.copy')}</strong>
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
