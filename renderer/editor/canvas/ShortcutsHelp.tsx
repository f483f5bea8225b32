import { Fragment } from 'react';
import { useTranslation } from 'react-i18next';
import { useStore } from 'zustand';
import { DialogFrame } from '../../components/DialogFrame';
import { canvasUi } from './canvasUi';
import { SHORTCUTS } from './shortcuts';

/** "?": every canvas shortcut, in the person's language. */
export function ShortcutsHelp() {
  const { t } = useTranslation('canvas');
  const open = useStore(canvasUi, (s) => s.helpOpen);
  if (!open) return null;
  const close = () => canvasUi.getState().setHelpOpen(false);
  const mac = typeof navigator !== 'undefined' && /Mac/.test(navigator.platform);
  const keyName = (k: string) => (k === 'Ctrl' && mac ? '⌘' : ['Ctrl', 'Shift', 'Delete', 'Enter', 'Click', 'Drag'].includes(k) ? t(`key.${k}`) : k);
  return (
    <DialogFrame title={t('help.title')} onEscape={close} className="shortcuts-help">
      <table className="shortcuts-table">
        <thead>
          <tr>
            <th scope="col">{t('help.keys')}</th>
            <th scope="col">{t('help.action')}</th>
          </tr>
        </thead>
        <tbody>
          {SHORTCUTS.map((s, i) => (
            <tr key={i}>
              <td>
                {s.keys.map((k, j) => (
                  <Fragment key={j}>
                    {j > 0 && (s.what === 'shortcut.move' ? ' ' : ' + ')}
                    <kbd>{keyName(k)}</kbd>
                  </Fragment>
                ))}
              </td>
              <td>{t(s.what)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="shortcuts-note">{t('help.connectHint')}</p>
      <div className="dialog-buttons">
        <button type="button" className="button primary" onClick={close}>
          {t('close')}
        </button>
      </div>
    </DialogFrame>
  );
}
