import { useTranslation } from 'react-i18next';
import { useAppStore } from '../state/appStore';

/** Short notices. Errors are announced at once (role alert); others politely. */
export function Toasts() {
  const { t } = useTranslation('app');
  const toasts = useAppStore((s) => s.toasts);
  const dismiss = useAppStore((s) => s.dismissToast);
  return (
    <div className="toasts" aria-live="polite">
      {toasts.map((toast) => (
        <div key={toast.id} className={`toast toast-${toast.kind}`} role={toast.kind === 'error' ? 'alert' : 'status'}>
          <div className="toast-body">
            <p className="toast-title">{toast.title}</p>
            {toast.message && <p className="toast-message">{toast.message}</p>}
            {toast.hint && <p className="toast-hint">{toast.hint}</p>}
          </div>
          <button type="button" className="icon-button" aria-label={t('dismiss')} onClick={() => dismiss(toast.id)}>
            ×
          </button>
        </div>
      ))}
    </div>
  );
}
