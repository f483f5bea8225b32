import { create } from 'zustand';
import type { FluxoError, RunOptionsSetting, SshPrompt, TargetsOverview, TargetTestReport } from '../../shared/api';
import { getApi } from '../api/client';
import { t } from '../i18n';
import type { Screen } from '../state/appStore';
import { showError, useAppStore } from '../state/appStore';

/** What the "Clusters and connections" screen and the login dialogs share. Never holds a secret. */
export interface SettingsState {
  overview: TargetsOverview | null;
  loading: boolean;
  /** The last connection test per target id, this session. */
  tests: Record<string, TargetTestReport | 'running'>;
  /** The login question shown now (one at a time). */
  prompt: SshPrompt | null;
  /** A refused changed host key to warn about (E500), from a run or a test. */
  hostKeyChanged: FluxoError | null;
  /** Where "Back" goes. */
  returnTo: Screen;
  setPrompt(p: SshPrompt | null): void;
  warnHostKeyChanged(e: FluxoError | null): void;
}

export const useSettingsStore = create<SettingsState>()((set) => ({
  overview: null,
  loading: false,
  tests: {},
  prompt: null,
  hostKeyChanged: null,
  returnTo: 'start',
  setPrompt: (prompt) => set({ prompt }),
  warnHostKeyChanged: (hostKeyChanged) => set({ hostKeyChanged }),
}));

/** Opens the settings screen, remembering where "Back" returns. */
export function openSettings(): void {
  const app = useAppStore.getState();
  if (app.screen !== 'settings') useSettingsStore.setState({ returnTo: app.screen });
  app.showSettings();
  void refreshOverview();
}

export function closeSettings(): void {
  const app = useAppStore.getState();
  const back = useSettingsStore.getState().returnTo;
  if (back === 'editor' && app.editor) app.openEditor(app.editor);
  else app.showStart();
}

/** Reloads the profiles for the screen and the "Run on" list. */
export async function refreshOverview(): Promise<void> {
  useSettingsStore.setState({ loading: true });
  const api = getApi();
  const [overview, list] = await Promise.all([api.targets.overview(), api.targets.list()]);
  useSettingsStore.setState({ loading: false });
  if (!overview.ok) return showError(t('targets:errors.loadFailed'), overview.error);
  useSettingsStore.setState({ overview: overview.value });
  if (list.ok) useAppStore.getState().setTargets(list.value);
}

/** The account/QoS/reservation saved per target, into the app store (at start). */
export async function loadRunOptions(): Promise<void> {
  const r = await getApi().settings.runOptions();
  if (!r.ok) return showError(t('targets:errors.runOptionsLoad'), r.error);
  const app = useAppStore.getState();
  for (const [id, o] of Object.entries(r.value)) app.setRunOptions(id, o);
}

/** Saves one target's choices; the app store follows only once they are on disk. */
export async function saveRunOptions(targetId: string, options: RunOptionsSetting): Promise<boolean> {
  const r = await getApi().settings.setRunOptions(targetId, options);
  if (!r.ok) {
    showError(t('targets:errors.runOptionsSave'), r.error);
    return false;
  }
  useAppStore.getState().setRunOptions(targetId, options);
  return true;
}

export async function testTarget(id: string): Promise<TargetTestReport | null> {
  useSettingsStore.setState((s) => ({ tests: { ...s.tests, [id]: 'running' } }));
  const r = await getApi().targets.test(id);
  if (!r.ok) {
    useSettingsStore.setState((s) => {
      const tests = { ...s.tests };
      delete tests[id];
      return { tests };
    });
    showError(t('targets:errors.testFailed'), r.error);
    return null;
  }
  useSettingsStore.setState((s) => ({ tests: { ...s.tests, [id]: r.value } }));
  if (r.value.error?.code === 'E500') useSettingsStore.getState().warnHostKeyChanged(r.value.error);
  return r.value;
}

/**
 * Feeds login questions from the backend into the store, and asks for one already waiting (a
 * window that opened after the login started). A changed host key that stopped a run is warned about.
 */
export function connectPrompts(): () => void {
  const api = getApi();
  const off = api.events.subscribe((batch) => {
    for (const e of batch) {
      if (e.type === 'ssh.promptRequested') useSettingsStore.getState().setPrompt(e.prompt);
      else if (e.type === 'ssh.promptClosed') {
        if (useSettingsStore.getState().prompt?.id !== e.id) continue;
        useSettingsStore.getState().setPrompt(null);
        if (e.reason === 'timeout') useAppStore.getState().toast({ kind: 'error', title: t('targets:prompt.timedOut') });
      } else if (e.type === 'run.finished' && e.run.error?.code === 'E500') useSettingsStore.getState().warnHostKeyChanged(e.run.error);
    }
  });
  void api.prompts.pending().then((r) => {
    if (r.ok && r.value && useSettingsStore.getState().prompt === null) useSettingsStore.getState().setPrompt(r.value);
  });
  return off;
}

/** Answers the question shown; the dialog closes at once (the backend confirms with promptClosed). */
export async function answerPrompt(answer: Parameters<ReturnType<typeof getApi>['prompts']['answer']>[1]): Promise<void> {
  const prompt = useSettingsStore.getState().prompt;
  if (!prompt) return;
  useSettingsStore.getState().setPrompt(null);
  const r = await getApi().prompts.answer(prompt.id, answer);
  // Gone: another window answered it, or it timed out; nothing to tell.
  if (!r.ok && r.error.code !== 'E514') showError(t('targets:errors.answerFailed'), r.error);
}
