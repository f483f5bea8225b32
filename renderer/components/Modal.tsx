import { useId } from 'react';
import { useTranslation } from 'react-i18next';
import { useAppStore } from '../state/appStore';
import { DialogFrame } from './DialogFrame';

/** Confirm and alert dialogs requested through the app store's ask(). */
export function Modal() {
  const { t } = useTranslation('app');
  const modal = useAppStore((s) => s.modal);
  const answer = useAppStore((s) => s.answer);
  const messageId = useId();
  if (!modal) return null;
  const escapeValue = modal.buttons.some((b) => b.value === 'cancel') ? 'cancel' : (modal.buttons[0]?.value ?? 'ok');
  return (
    <DialogFrame
      key={modal.id}
      title={modal.title}
      role={modal.tone === 'alert' ? 'alertdialog' : 'dialog'}
      describedBy={messageId}
      onEscape={() => answer(escapeValue)}
      initialFocus=".button.primary"
    >
      <div id={messageId}>
        <p className="dialog-message">{modal.message}</p>
        {modal.hint && (
          <p className="dialog-hint">
            <strong>{t('whatToDo')}</strong>
            {modal.hint}
          </p>
        )}
      </div>
      {modal.detail && <p className="dialog-detail">{modal.detail}</p>}
      <div className="dialog-buttons">
        {modal.buttons.map((b) => (
          <button key={b.value} type="button" className={`button ${b.primary ? 'primary' : ''}`} onClick={() => answer(b.value)}>
            {b.label}
          </button>
        ))}
      </div>
    </DialogFrame>
  );
}
