import { useEffect } from 'react';
import { openPath } from './actions/files';
import { connectSession } from './actions/run';
import { getApi } from './api/client';
import { ConnectionBanner } from './components/ConnectionBanner';
import { FileDialog } from './components/FileDialog';
import { Modal } from './components/Modal';
import { Toasts } from './components/Toasts';
import { Editor } from './editor/Editor';
import { StartScreen } from './start/StartScreen';
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
    ['host information', host],
    ['the blocks', catalog],
    ['the run targets', targets],
    ['the examples', examples],
  ] as const) {
    if (!r.ok) showError(`Could not load ${what}`, r.error);
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
}

export function App() {
  const screen = useAppStore((s) => s.screen);
  const editor = useAppStore((s) => s.editor);

  useEffect(() => {
    const off = connectSession();
    const offPrompts = connectPrompts();
    void loadEverything();
    return () => {
      off();
      offPrompts();
    };
  }, []);

  return (
    <div className="app">
      <ConnectionBanner />
      {screen === 'settings' ? <SettingsScreen /> : screen === 'editor' && editor ? <Editor key={editor.getState().key} store={editor} /> : <StartScreen />}
      <FileDialog />
      <LoginPrompts />
      <Modal />
      <Toasts />
    </div>
  );
}
