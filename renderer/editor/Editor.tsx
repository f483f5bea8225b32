import { ReactFlowProvider } from '@xyflow/react';
import { useEffect } from 'react';
import { useTranslation } from 'react-i18next';
import type { DocumentStore } from '../state/documentStore';
import { DocumentStoreContext, useDocument } from '../state/hooks';
import { BottomPanel } from './BottomPanel';
import { Canvas } from './Canvas';
import { Inspector } from './Inspector';
import { Palette } from './Palette';
import { Toolbar } from './Toolbar';

/** Keeps the window title ("• name — Fluxo" when unsaved) and warns before closing with unsaved changes. */
function DocumentTitle() {
  const { t } = useTranslation('editor');
  const name = useDocument((s) => s.doc.metadata.name);
  const dirty = useDocument((s) => s.dirty);
  useEffect(() => {
    document.title = `${dirty ? '• ' : ''}${name || t('common:untitledPipeline')} — Fluxo`;
    return () => {
      document.title = 'Fluxo';
    };
  }, [name, dirty, t]);
  useEffect(() => {
    if (!dirty) return;
    const warn = (e: BeforeUnloadEvent) => {
      e.preventDefault();
      // Older Chromium (Electron) still needs returnValue set to show the prompt.
      e.returnValue = '';
    };
    window.addEventListener('beforeunload', warn);
    return () => window.removeEventListener('beforeunload', warn);
  }, [dirty]);
  return null;
}

/** The editor for one open pipeline; its store is provided to everything below. */
export function Editor({ store }: { store: DocumentStore }) {
  const { t } = useTranslation('editor');
  return (
    <DocumentStoreContext.Provider value={store}>
      <DocumentTitle />
      <ReactFlowProvider>
        <main className="editor" aria-label={t('region')}>
          <Toolbar />
          <div className="editor-main">
            <Palette />
            <Canvas />
            <Inspector />
          </div>
          <BottomPanel />
        </main>
      </ReactFlowProvider>
    </DocumentStoreContext.Provider>
  );
}
