import { useEffect } from 'react';
import { t } from './i18n';
import { openFromSystem, openPath } from './actions/files';
import { startAutosave } from './actions/autosave';
import { connectSession } from './actions/run';
import { getApi } from './api/client';
import { ConnectionBanner } from './components/ConnectionBanner';
import { FileDialog } from './components/FileDialog';
import { Modal } from './components/Modal';
import { Toasts } from './components/Toasts';
import { Editor } from './editor/Editor';
import { StartScreen } from './start/StartScreen';
import { checkRecovery } from './start/recovery';
import { Tour } from './start/Tour';
import { LockDialog } from './workshop/LockDialog';
import { WorkshopBanner } from './workshop/WorkshopBanner';
import { LoginPrompts } from './settings/LoginPrompts';
import { SettingsScreen } from './settings/SettingsScreen';
import { connectPrompts, loadRunOptions } from './settings/settingsStore';
import { showError, useAppStore } from './state/appStore';

let loading: Promise<void> | null = null;

/** Loads what every screen needs, once: host facts, the catalog, targets and examples. */
function loadEverything(): Promise<void> {
  // Once per page, even when StrictMode runs the effect twice in development.
  return (loading ??= load());
}

async function load(): Promise<void> {
  const api = getApi();
  const [host, catalog, targets, examples] = await Promise.all([api.host.info(), api.catalog.list(), api.targets.list(), api.examples.list()]);
  for (const [what, r] of [
    ['host', host],
    ['catalog', catalog],
    ['targets', targets],
    ['examples', examples],
  ] as const) {
    if (!r.ok) showError(t(`app:load.${what}`), r.error);
  }
  useAppStore.getState().setLoaded({
    host: host.ok ? host.value : null,
    catalog: catalog.ok ? catalog.value : null,
    targets: targets.ok ? targets.value : [],
    examples: examples.ok ? examples.value : [],
  });
  await loadRunOptions();
  const open = new URLSearchParams(window.location.search).get('open');
  if (open && catalog.ok) await openPath(open);
  if (catalog.ok) await checkRecovery();
}

export function App() {
  const screen = useAppStore((s) => s.screen);
  const editor = useAppStore((s) => s.editor);

  useEffect(() => {
    const off = connectSession();
    const offPrompts = connectPrompts();
    void loadEverything();
    const stopAutosave = startAutosave();
    // The system asks to open a file (double-click, second launch): current changes come first.
    const offOpen = getApi().events.subscribe((batch) => {
      for (const e of batch) if (e.type === 'app.openFile') void openFromSystem(e.path);
    });
    return () => {
      off();
      stopAutosave();
      offOpen();
      offPrompts();
    };
  }, []);

  return (
    <div className="app">
      <ConnectionBanner />
      {screen === 'editor' && editor && <WorkshopBanner key={`banner-${editor.getState().key}`} store={editor} />}
      {screen === 'settings' ? <SettingsScreen /> : screen === 'editor' && editor ? <Editor key={editor.getState().key} store={editor} /> : <StartScreen />}
      <FileDialog />
      <LockDialog />
      <Tour />
      <LoginPrompts />
      <Modal />
      <Toasts />
    </div>
  );
}
