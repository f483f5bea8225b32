import { getApi, getConnection } from '../api/client';
import { hasErrors } from '../../shared/validate';
import { capitalize, useAppStore, showError } from '../state/appStore';
import { documentForSaving } from '../state/documentStore';
import { sessionStore } from '../state/sessionStore';

export async function startRun(): Promise<void> {
  const app = useAppStore.getState();
  const store = app.editor;
  if (!store) return;
  const session = sessionStore.getState();
  if (session.starting || session.run?.status === 'running') return;
  const { doc, path, key, problems } = store.getState();
  if (hasErrors(problems)) {
    app.toast({ kind: 'error', title: 'The pipeline has problems', message: 'Fix the problems listed below the canvas, then run again.' });
    return;
  }
  session.beginStart(key);
  app.showPanel('log');
  const result = await getApi().runs.start({ document: documentForSaving(doc, new Date()), targetId: app.targetId, pipelinePath: path });
  if (!result.ok) {
    sessionStore.getState().startFailed();
    await app.ask({
      tone: 'alert',
      title: 'The run could not start',
      message: capitalize(result.error.message),
      ...(result.error.hint ? { hint: result.error.hint } : {}),
      detail: `Error ${result.error.code}`,
      buttons: [{ value: 'ok', label: 'OK', primary: true }],
    });
    return;
  }
  sessionStore.getState().setRun(result.value, key);
}

export async function cancelRun(): Promise<void> {
  const run = sessionStore.getState().run;
  if (!run || run.status !== 'running') return;
  const result = await getApi().runs.cancel(run.id);
  if (!result.ok) return showError('Could not cancel the run', result.error);
  sessionStore.getState().refreshRun(result.value);
}

/** Feeds backend events into the session store; after a reconnect, fetches what was missed. */
export function connectSession(): () => void {
  const api = getApi();
  const off = api.events.subscribe((batch) => {
    const before = sessionStore.getState().run;
    sessionStore.getState().applyEvents(batch);
    const after = sessionStore.getState().run;
    // The moment a run ends, show what it produced (or, when it failed, why).
    if (before?.status === 'running' && after && after.id === before.id && after.status !== 'running') {
      useAppStore.getState().showPanel(after.status === 'completed' ? 'results' : 'log');
    }
  });
  const connection = getConnection();
  const offStatus = connection?.onStatusChange(async (status) => {
    const run = sessionStore.getState().run;
    if (status !== 'open' || !run) return;
    const fresh = await api.runs.get(run.id);
    if (fresh.ok) sessionStore.getState().refreshRun(fresh.value);
  });
  return () => {
    off();
    offStatus?.();
  };
}
