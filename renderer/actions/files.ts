import type { OpenedDocument, Result } from '../../shared/api';
import { ErrorCode } from '../../shared/api';
import { createEmptyDocument, DOCUMENT_EXTENSION } from '../../shared/document';
import { getApi } from '../api/client';
import { useAppStore, showError } from '../state/appStore';
import type { DocumentStore } from '../state/documentStore';
import { createDocumentStore, documentForSaving } from '../state/documentStore';
import { sessionStore } from '../state/sessionStore';

/** A file name from a pipeline name: "Tumour study (v2)" → "Tumour study (v2).fluxo", unsafe characters removed. */
export function suggestedFileName(name: string): string {
  const printable = [...name].map((c) => (c.charCodeAt(0) < 32 ? ' ' : c)).join('');
  const safe = printable.replace(/[\\/:*?"<>|]+/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 120);
  return `${safe || 'Untitled pipeline'}${DOCUMENT_EXTENSION}`;
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
      title: 'Updated from an older Fluxo',
      message: `This file was written by an older Fluxo (format version ${opened.migratedFrom}) and was updated on opening.`,
      hint: 'Saving writes the new format; keep a copy if older Fluxo versions still need to open it.',
    });
  }
  return store;
}

/**
 * When the open pipeline has unsaved changes, asks whether to save them first. Resolves to true
 * when it is fine to go on (saved, or the user chose to discard), false to stay.
 */
export async function confirmLeave(action: string): Promise<boolean> {
  const store = useAppStore.getState().editor;
  if (!store || !store.getState().dirty) return true;
  const name = store.getState().doc.metadata.name || 'Untitled pipeline';
  const answer = await useAppStore.getState().ask({
    tone: 'confirm',
    title: 'Save changes?',
    message: `“${name}” has changes that are not saved. Save them before you ${action}?`,
    buttons: [
      { value: 'cancel', label: 'Cancel' },
      { value: 'discard', label: "Don't save" },
      { value: 'save', label: 'Save', primary: true },
    ],
  });
  if (answer === 'discard') return true;
  if (answer === 'save') return save();
  return false;
}

export async function newPipeline(): Promise<void> {
  if (!(await confirmLeave('start a new pipeline'))) return;
  openInEditor({ path: null, document: createEmptyDocument('Untitled pipeline', new Date()), migratedFrom: null }, false);
}

export async function openExample(id: string): Promise<void> {
  if (!(await confirmLeave('open the example'))) return;
  const result = await getApi().examples.open(id);
  if (!result.ok) return showError('Could not open the example', result.error);
  openInEditor(result.value, false);
}

export async function openPath(path: string): Promise<boolean> {
  const result = await getApi().documents.open(path);
  if (!result.ok) {
    showError('Could not open the pipeline', result.error);
    return false;
  }
  openInEditor(result.value, result.value.migratedFrom !== null);
  return true;
}

/** Native dialog where the host has one (Electron), the in-app dialog otherwise. */
async function choosePath(native: () => Promise<Result<string | null>>, inApp: () => Promise<string | null>): Promise<string | null> {
  if (useAppStore.getState().host?.nativeDialogs) {
    const result = await native();
    if (result.ok) return result.value;
    if (result.error.code !== ErrorCode.Unsupported) {
      showError('Could not show the file dialog', result.error);
      return null;
    }
  }
  return inApp();
}

export async function openPipeline(): Promise<void> {
  if (!(await confirmLeave('open another pipeline'))) return;
  const api = getApi();
  const app = useAppStore.getState();
  const path = await choosePath(
    () => api.dialogs.openPipeline(),
    () => app.askPath({ mode: 'open', title: 'Open pipeline', folder: folderOf(app.editor?.getState().path ?? null) }),
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
    () => app.askPath({ mode: 'save', title: 'Save pipeline as', folder: folderOf(current), suggestedName: current ? baseName(current) : name }),
  );
  if (!path) return false;
  return saveTo(store, path);
}

async function saveTo(store: DocumentStore, path: string): Promise<boolean> {
  const basedOn = store.getState().doc;
  const toWrite = documentForSaving(basedOn, new Date());
  const result = await getApi().documents.save(path, toWrite);
  if (!result.ok) {
    showError('Could not save the pipeline', result.error);
    return false;
  }
  store.getState().markSaved(result.value.path, toWrite, basedOn);
  useAppStore.getState().toast({ kind: 'success', title: 'Saved', message: result.value.path });
  return true;
}

export async function backToStart(): Promise<void> {
  if (!(await confirmLeave('go back to the start page'))) return;
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
