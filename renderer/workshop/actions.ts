import { create } from 'zustand';
import type { Lock } from '../../shared/document';
import { choosePath, folderOf, PACK_EXTENSION, replaceOpenDocument, suggestedFileName } from '../actions/files';
import { getApi } from '../api/client';
import { t } from '../i18n';
import { showError, useAppStore } from '../state/appStore';

interface WorkshopUi {
  /** The "Lock for students…" dialog is open. */
  lockDialog: boolean;
}

export const useWorkshopUi = create<WorkshopUi>()(() => ({ lockDialog: false }));

/** A student's copy unpacked from a pack: <home>/workshops/<name>-<n>/pipeline.fluxo. */
export function isWorkshopCopy(path: string | null): boolean {
  return path !== null && /[\\/]workshops[\\/][^\\/]+[\\/]pipeline\.fluxo$/.test(path);
}

export function openLockDialog(): void {
  useWorkshopUi.setState({ lockDialog: true });
}

export function closeLockDialog(): void {
  useWorkshopUi.setState({ lockDialog: false });
}

export function applyLock(lock: Lock): void {
  useAppStore.getState().editor?.getState().setLock(lock);
  closeLockDialog();
}

/** Unlocking lets anyone change everything, so it asks first. */
export async function unlock(): Promise<void> {
  const store = useAppStore.getState().editor;
  if (!store?.getState().doc.lock) return;
  const answer = await useAppStore.getState().ask({
    tone: 'confirm',
    title: t('workshop:unlock.title'),
    message: t('workshop:unlock.message'),
    buttons: [
      { value: 'cancel', label: t('common:cancel') },
      { value: 'unlock', label: t('workshop:unlock.confirm'), primary: true },
    ],
  });
  if (answer === 'unlock') store.getState().setLock(null);
}

export async function exportPack(): Promise<void> {
  const app = useAppStore.getState();
  const store = app.editor;
  if (!store) return;
  const { doc, path: current } = store.getState();
  const name = suggestedFileName(doc.metadata.name, PACK_EXTENSION);
  const api = getApi();
  const packPath = await choosePath(
    () => api.dialogs.savePack(name),
    () => app.askPath({ mode: 'save', title: t('workshop:export.dialogTitle'), folder: folderOf(current), suggestedName: name, extension: PACK_EXTENSION }),
  );
  if (!packPath) return;
  const r = await api.workshops.export(doc, packPath);
  if (!r.ok) return showError(t('workshop:export.failed'), r.error);
  const kb = Math.max(1, Math.round(r.value.bytes / 1024));
  app.toast({ kind: 'success', title: t('workshop:export.done'), message: t('workshop:export.doneMessage', { path: r.value.path, size: kb }) });
}

/** Goes back to the pack's original pipeline (the student's changes are lost, so it asks). */
export async function resetToOriginal(): Promise<void> {
  const app = useAppStore.getState();
  const path = app.editor?.getState().path ?? null;
  if (!path || !isWorkshopCopy(path)) return;
  const answer = await app.ask({
    tone: 'confirm',
    title: t('workshop:reset.title'),
    message: t('workshop:reset.message'),
    buttons: [
      { value: 'cancel', label: t('common:cancel') },
      { value: 'reset', label: t('workshop:reset.confirm'), primary: true },
    ],
  });
  if (answer !== 'reset') return;
  const r = await getApi().workshops.original(path);
  if (!r.ok) return showError(t('workshop:reset.failed'), r.error);
  replaceOpenDocument(r.value);
  app.toast({ kind: 'info', title: t('workshop:reset.done'), message: t('workshop:reset.doneMessage') });
}
