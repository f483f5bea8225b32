import { create } from 'zustand';
import type { RecoverableWork } from '../../shared/api';
import { confirmLeave, openRecovered } from '../actions/files';
import { adoptAutosave, sessionId } from '../actions/autosave';
import { getApi } from '../api/client';
import { t } from '../i18n';
import { showError } from '../state/appStore';

interface RecoveryState {
  /** Unsaved work left by windows that are gone, offered at start. */
  items: RecoverableWork[];
}

export const useRecovery = create<RecoveryState>()(() => ({ items: [] }));

/** Asks the backend once at start for work Fluxo closed on before it was saved. */
export async function checkRecovery(): Promise<void> {
  const r = await getApi().autosave.recoverable(sessionId());
  if (r.ok) useRecovery.setState({ items: r.value });
}

function drop(work: RecoverableWork): void {
  useRecovery.setState({ items: useRecovery.getState().items.filter((w) => w.session !== work.session) });
}

/**
 * Opens the work unsaved, at its original path. Its old autosave goes once this window has its
 * own (a restore from this same window keeps the file: it is this window's autosave now).
 */
export async function restoreWork(work: RecoverableWork): Promise<void> {
  if (!(await confirmLeave(t('files:leave.restore')))) return;
  drop(work);
  openRecovered(work);
  // After opening: the switch to the restored pipeline must not delete the file it came from.
  if (work.session === sessionId()) adoptAutosave();
  if (work.session !== sessionId()) {
    const r = await getApi().autosave.discard(work.session);
    if (!r.ok) showError(t('files:errors.discard'), r.error);
  }
}

export async function discardWork(work: RecoverableWork): Promise<void> {
  drop(work);
  const r = await getApi().autosave.discard(work.session);
  if (!r.ok) showError(t('files:errors.discard'), r.error);
}
