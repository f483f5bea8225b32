import type { StartRunRequest, StepRecord, SuggestedAction } from '../../shared/api';
import { getApi, getConnection } from '../api/client';
import { t } from '../i18n';
import { hasErrors } from '../../shared/validate';
import { capitalize, NO_RUN_OPTIONS, useAppStore, showError } from '../state/appStore';
import type { DocumentStore } from '../state/documentStore';
import { createDocumentStore, documentForSaving } from '../state/documentStore';
import { sessionStore } from '../state/sessionStore';

/** The request for the open pipeline on the chosen target, with that target's Slurm choices. */
function requestFor(store: DocumentStore, targetId: string): StartRunRequest {
  const app = useAppStore.getState();
  const { doc, path } = store.getState();
  const options = app.runOptions[targetId] ?? NO_RUN_OPTIONS;
  const slurm = app.targets.find((x) => x.id === targetId)?.kind === 'slurm';
  return {
    document: documentForSaving(doc, new Date()),
    targetId,
    pipelinePath: path,
    ...(slurm ? { account: options.account || null, qos: options.qos || null, reservation: options.reservation || null } : {}),
  };
}

function isBusy(): boolean {
  const s = sessionStore.getState();
  return s.starting || s.run?.status === 'running';
}

/**
 * Pressing Run: shows the pre-flight check (what will run, where, at what cost) before anything
 * starts. The run itself starts from the dialog's "Run now" (startRun).
 */
export async function openPreflight(): Promise<void> {
  const app = useAppStore.getState();
  const store = app.editor;
  if (!store || isBusy()) return;
  const { key, problems, readOnly } = store.getState();
  if (readOnly) return;
  if (hasErrors(problems)) {
    app.toast({ kind: 'error', title: t('run:errors.hasProblems'), message: t('run:errors.hasProblemsHint') });
    return;
  }
  sessionStore.getState().setPreflight({ state: 'loading', docKey: key });
  const result = await getApi().runs.preflight(requestFor(store, app.targetId));
  // The dialog may have been closed (or reopened for another pipeline) while the backend answered.
  if (sessionStore.getState().preflight?.docKey !== key) return;
  sessionStore
    .getState()
    .setPreflight(result.ok ? { state: 'ready', docKey: key, report: result.value } : { state: 'error', docKey: key, message: capitalize(result.error.message), hint: result.error.hint ?? null });
}

export function closePreflight(): void {
  sessionStore.getState().setPreflight(null);
}

/** Starts the open pipeline on the chosen target; `rerun` reruns part of an earlier run. */
export async function startRun(rerun: StartRunRequest['rerun'] = null, targetId?: string): Promise<boolean> {
  const app = useAppStore.getState();
  const store = app.editor;
  if (!store || isBusy() || store.getState().readOnly) return false;
  const { key, problems } = store.getState();
  if (hasErrors(problems)) {
    app.toast({ kind: 'error', title: t('run:errors.hasProblems'), message: t('run:errors.hasProblemsHint') });
    return false;
  }
  const session = sessionStore.getState();
  session.setPreflight(null);
  session.beginStart(key);
  app.showPanel('log');
  const request = { ...requestFor(store, targetId ?? app.targetId), ...(rerun ? { rerun } : {}) };
  const result = await getApi().runs.start(request);
  if (!result.ok) {
    sessionStore.getState().startFailed();
    await app.ask({
      tone: 'alert',
      title: t('run:errors.couldNotStart'),
      message: capitalize(result.error.message),
      ...(result.error.hint ? { hint: result.error.hint } : {}),
      detail: t('run:errors.code', { code: result.error.code }),
      buttons: [{ value: 'ok', label: t('common:ok'), primary: true }],
    });
    return false;
  }
  sessionStore.getState().setRun(result.value, key);
  return true;
}

/** Cancel, after the user confirms: steps already done stay done, the rest stop. */
export async function cancelRun(): Promise<void> {
  const run = sessionStore.getState().run;
  if (!run || run.status !== 'running') return;
  const answer = await useAppStore.getState().ask({
    tone: 'confirm',
    title: t('run:cancel.title'),
    message: t('run:cancel.message'),
    buttons: [
      { value: 'keep', label: t('run:cancel.keep') },
      { value: 'cancel-run', label: t('run:cancel.confirm'), primary: true },
    ],
  });
  if (answer !== 'cancel-run') return;
  const result = await getApi().runs.cancel(run.id);
  if (!result.ok) return showError(t('run:errors.couldNotCancel'), result.error);
  sessionStore.getState().refreshRun(result.value);
}

/**
 * Whether the fix buttons of a failed run can act: the run is the open pipeline's (not a past run
 * shown read-only) and nothing is running.
 */
export function canFix(): boolean {
  const store = useAppStore.getState().editor;
  const s = sessionStore.getState();
  return !!store && !store.getState().readOnly && s.docKey === store.getState().key && !isBusy() && s.run !== null && s.pastRun === null;
}

/** Reruns `stepId` and what follows it, reusing the finished steps before it, on the run's own target. */
export async function rerunFrom(stepId: string): Promise<boolean> {
  const run = sessionStore.getState().run;
  if (!run || !canFix()) return false;
  return startRun({ runId: run.id, from: { step: stepId } }, run.targetId);
}

/**
 * The one-click fix of a failure: new resources go into the pipeline as an ordinary edit (seen in
 * the inspector, undoable), then the step reruns with them.
 */
export async function applyFix(step: StepRecord, action: SuggestedAction): Promise<boolean> {
  const store = useAppStore.getState().editor;
  if (!store || !canFix()) return false;
  if (action.kind === 'retry-with-resources' && action.resources) {
    store.getState().setResources(step.id, action.resources);
    store.getState().select({ steps: [step.id], connections: [] });
  }
  return rerunFrom(step.id);
}

/** Opens a past run read-only with the exact pipeline that ran; the open pipeline waits behind it. */
let returnTo: DocumentStore | null = null;

export async function openPastRun(runId: string): Promise<void> {
  const app = useAppStore.getState();
  if (isBusy()) {
    app.toast({ kind: 'info', title: t('run:history.busy') });
    return;
  }
  const result = await getApi().runs.document(runId);
  if (!result.ok) return showError(t('run:history.couldNotOpen'), result.error);
  const current = app.editor;
  const store = createDocumentStore({ doc: result.value.document, path: null, blocks: app.catalog?.blocks ?? [], readOnly: true });
  if (!sessionStore.getState().pastRun) returnTo = current && !current.getState().readOnly ? current : null;
  sessionStore.getState().showPastRun(result.value.run, store.getState().key);
  app.openEditor(store);
  app.showPanel(result.value.run.status === 'completed' ? 'results' : 'log');
}

/** Back from a past run to the pipeline that was open, with its last run. */
export function closePastRun(): void {
  sessionStore.getState().closePastRun();
  const app = useAppStore.getState();
  const back = returnTo;
  returnTo = null;
  if (back) app.openEditor(back);
  else app.showStart();
  app.showPanel('history');
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
