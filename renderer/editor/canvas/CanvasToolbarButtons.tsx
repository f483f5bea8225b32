import { useTranslation } from 'react-i18next';
import { useStore } from 'zustand';
import { history } from '../../state/documentStore';
import { useDocument, useDocumentStoreApi } from '../../state/hooks';
import { useCanvasCommands } from './commands';

/** Undo, Redo, Tidy up, Add note and the shortcuts list, for the editor's toolbar. */
export function CanvasToolbarButtons() {
  const { t } = useTranslation('canvas');
  const store = useDocumentStoreApi();
  const commands = useCanvasCommands();
  const editable = useDocument((s) => !s.readOnly && !s.doc.lock);
  const readOnly = useDocument((s) => s.readOnly);
  const canUndo = useStore(history(store), (s) => s.pastStates.length > 0) && !readOnly;
  const canRedo = useStore(history(store), (s) => s.futureStates.length > 0) && !readOnly;
  return (
    <div className="toolbar-group" role="group" aria-label={t('toolbar.group')}>
      <button type="button" className="button canvas-icon-button" onClick={commands.undo} disabled={!canUndo} aria-keyshortcuts="Control+Z" aria-label={t('toolbar.undo')} title={t('toolbar.undoHint')}>
        <span aria-hidden="true">↶</span>
      </button>
      <button type="button" className="button canvas-icon-button" onClick={commands.redo} disabled={!canRedo} aria-keyshortcuts="Control+Shift+Z" aria-label={t('toolbar.redo')} title={t('toolbar.redoHint')}>
        <span aria-hidden="true">↷</span>
      </button>
      <button type="button" className="button" onClick={() => void commands.tidy()} disabled={!editable} aria-keyshortcuts="Shift+L" title={t('toolbar.tidyHint')}>
        {t('toolbar.tidy')}
      </button>
      <button type="button" className="button" onClick={commands.addNote} disabled={!editable} aria-keyshortcuts="Shift+N">
        {t('toolbar.addNote')}
      </button>
      <button type="button" className="button canvas-icon-button" onClick={commands.openHelp} aria-keyshortcuts="Shift+?" aria-label={t('toolbar.shortcuts')} title={t('toolbar.shortcuts')}>
        <span aria-hidden="true">?</span>
      </button>
    </div>
  );
}
