import type { OpenedDocument, RecoverableWork, Result } from '../../shared/api';
import { ErrorCode } from '../../shared/api';
import { createEmptyDocument, DOCUMENT_EXTENSION } from '../../shared/document';
import { getApi } from '../api/client';
import { t } from '../i18n';
import { useAppStore, showError } from '../state/appStore';
import type { DocumentStore } from '../state/documentStore';
import { createDocumentStore, documentForSaving } from '../state/documentStore';
import { sessionStore } from '../state/sessionStore';

/** Workshop packs: one file with a pipeline, its small data and instructions (see workshops.ts). */
export const PACK_EXTENSION = '.fluxopack';

export function isPackPath(path: string): boolean {
  return path.toLowerCase().endsWith(PACK_EXTENSION);
}

const untitled = () => t('common:untitledPipeline');

/** A file name from a pipeline name: "Tumour study (v2)" → "Tumour study (v2).fluxo", unsafe characters removed. */
export function suggestedFileName(name: string, extension: string = DOCUMENT_EXTENSION): string {
  const printable = [...name].map((c) => (c.charCodeAt(0) < 32 ? ' ' : c)).join('');
  const safe = printable.replace(/[\\/:*?"<>|]+/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 120);
  return `${safe || untitled()}${extension}`;
}

function openInEditor(opened: OpenedDocument, dirty: boolean): DocumentStore {
  const app = useAppStore.getState();
  const store = createDocumentStore({ doc: opened.document, path: opened.path, blocks: app.catalog?.blocks ?? [], dirty });
  // A finished run belongs to the pipeline it came from; a running one keeps going, shown until it ends.
  if (sessionStore.getState().run?.status !== 'running') sessionStore.getState().clear();
  app.openEditor(store);
  if (opened.migratedFrom !== null) {
    app.toast({
      kind: 'info',
      title: t('files:migrated.title'),
      message: t('files:migrated.message', { version: opened.migratedFrom }),
      hint: t('files:migrated.hint'),
    });
  }
  return store;
}

/**
 * When the open pipeline has unsaved changes, asks whether to save them first. Resolves to true
 * when it is fine to go on (saved, or the user chose to discard), false to stay. `action` is a
 * translated phrase ("open another pipeline").
 */
export async function confirmLeave(action: string): Promise<boolean> {
  const store = useAppStore.getState().editor;
  if (!store || !store.getState().dirty) return true;
  const name = store.getState().doc.metadata.name || untitled();
  const answer = await useAppStore.getState().ask({
    tone: 'confirm',
    title: t('files:leave.title'),
    message: t('files:leave.message', { name, action }),
    buttons: [
      { value: 'cancel', label: t('common:cancel') },
      { value: 'discard', label: t('common:dontSave') },
      { value: 'save', label: t('common:save'), primary: true },
    ],
  });
  if (answer === 'discard') return true;
  if (answer === 'save') return save();
  return false;
}

export async function newPipeline(): Promise<void> {
  if (!(await confirmLeave(t('files:leave.new')))) return;
  openInEditor({ path: null, document: createEmptyDocument(untitled(), new Date()), migratedFrom: null }, false);
}

export async function openExample(id: string): Promise<void> {
  if (!(await confirmLeave(t('files:leave.example')))) return;
  const result = await getApi().examples.open(id);
  if (!result.ok) return showError(t('files:errors.example'), result.error);
  openInEditor(result.value, false);
}

/** Opens a pipeline, or unpacks a workshop pack and opens its student copy. */
export async function openPath(path: string): Promise<boolean> {
  if (isPackPath(path)) return openPack(path);
  const result = await getApi().documents.open(path);
  if (!result.ok) {
    showError(t('files:errors.open'), result.error);
    return false;
  }
  openInEditor(result.value, result.value.migratedFrom !== null);
  return true;
}

export async function openPack(path: string): Promise<boolean> {
  const result = await getApi().workshops.open(path);
  if (!result.ok) {
    showError(t('files:errors.pack'), result.error);
    return false;
  }
  openInEditor(result.value, false);
  useAppStore.getState().toast({ kind: 'success', title: t('files:packOpened.title'), message: t('files:packOpened.message', { folder: result.value.folder }) });
  return true;
}

/** A file handed over by the system (double-click, second launch): the current changes come first. */
export async function openFromSystem(path: string): Promise<boolean> {
  if (!(await confirmLeave(t('files:leave.open')))) return false;
  return openPath(path);
}

/** Opens work found in the autosave folder: unsaved (dirty), at the path it had. */
export function openRecovered(work: RecoverableWork): DocumentStore {
  return openInEditor({ path: work.path, document: work.document, migratedFrom: null }, true);
}

/** Replaces the open pipeline's content by another document (Reset to the original), undoably dirty. */
export function replaceOpenDocument(opened: OpenedDocument): DocumentStore {
  return openInEditor(opened, true);
}

/** Native dialog where the host has one (Electron), the in-app dialog otherwise. */
export async function choosePath(native: () => Promise<Result<string | null>>, inApp: () => Promise<string | null>): Promise<string | null> {
  if (useAppStore.getState().host?.nativeDialogs) {
    const result = await native();
    if (result.ok) return result.value;
    if (result.error.code !== ErrorCode.Unsupported) {
      showError(t('files:errors.dialog'), result.error);
      return null;
    }
  }
  return inApp();
}

export async function openPipeline(): Promise<void> {
  if (!(await confirmLeave(t('files:leave.open')))) return;
  const api = getApi();
  const app = useAppStore.getState();
  const path = await choosePath(
    () => api.dialogs.openPipeline(),
    () => app.askPath({ mode: 'open', title: t('files:dialogs.open'), folder: folderOf(app.editor?.getState().path ?? null), extensions: [DOCUMENT_EXTENSION, PACK_EXTENSION] }),
  );
  if (path) await openPath(path);
}

export async function save(): Promise<boolean> {
  const store = useAppStore.getState().editor;
  if (!store) return false;
  const path = store.getState().path;
  return path ? saveTo(store, path) : saveAs();
}

export async function saveAs(): Promise<boolean> {
  const app = useAppStore.getState();
  const store = app.editor;
  if (!store) return false;
  const { doc, path: current } = store.getState();
  const name = suggestedFileName(doc.metadata.name);
  const api = getApi();
  const path = await choosePath(
    () => api.dialogs.savePipeline(name),
    () => app.askPath({ mode: 'save', title: t('files:dialogs.saveAs'), folder: folderOf(current), suggestedName: current ? baseName(current) : name }),
  );
  if (!path) return false;
  return saveTo(store, path);
}

async function saveTo(store: DocumentStore, path: string): Promise<boolean> {
  const basedOn = store.getState().doc;
  const toWrite = documentForSaving(basedOn, new Date());
  const result = await getApi().documents.save(path, toWrite);
  if (!result.ok) {
    showError(t('files:errors.save'), result.error);
    return false;
  }
  store.getState().markSaved(result.value.path, toWrite, basedOn);
  useAppStore.getState().toast({ kind: 'success', title: t('files:saved'), message: result.value.path });
  return true;
}

export async function backToStart(): Promise<void> {
  if (!(await confirmLeave(t('files:leave.start')))) return;
  const app = useAppStore.getState();
  // Changes the user chose not to save are dropped, so nothing unsaved lingers behind the start page.
  if (app.editor?.getState().dirty) useAppStore.setState({ editor: null });
  app.showStart();
}

/** The folder part of a path, for either separator; null when there is none. */
export function folderOf(path: string | null): string | null {
  if (!path) return null;
  const i = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
  return i > 0 ? path.slice(0, i) : i === 0 ? path.slice(0, 1) : null;
}

export function baseName(path: string): string {
  const i = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
  return path.slice(i + 1);
}

/** Joins a folder and a file name with the folder's own separator. */
export function joinPath(folder: string, name: string): string {
  const sep = folder.includes('\\') && !folder.includes('/') ? '\\' : '/';
  return folder.endsWith(sep) ? `${folder}${name}` : `${folder}${sep}${name}`;
}
