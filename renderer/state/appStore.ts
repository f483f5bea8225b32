import { create } from 'zustand';
import type { CatalogSnapshot, ExampleSummary, FluxoError, HostInfo, TargetProfile } from '../../shared/api';
import type { BlockDefinition } from '../../shared/catalog';
import type { Language } from '../i18n';
import { currentLanguage, onLanguageChange, setLanguage as switchLanguage } from '../i18n';
import { localizeSnapshot } from './localize';
import type { DocumentStore } from './documentStore';

export type Screen = 'start' | 'editor' | 'settings';
export type PanelTab = 'problems' | 'log' | 'results' | 'history';

export interface Toast {
  id: number;
  kind: 'info' | 'success' | 'error';
  title: string;
  message?: string;
  hint?: string;
}

export interface ModalButton {
  value: string;
  label: string;
  primary?: boolean;
}

/** A question or notice that needs an answer before going on (confirm, alert). */
export interface ModalRequest {
  id: number;
  title: string;
  message: string;
  hint?: string;
  detail?: string;
  buttons: ModalButton[];
  /** Role of the dialog: alerts interrupt, confirms ask. */
  tone: 'alert' | 'confirm';
  resolve(value: string): void;
}

/** The in-app file dialog (the browser host has no native one). */
export interface FileDialogRequest {
  id: number;
  /** "folder": choose a folder (a path param of kind folder). */
  mode: 'open' | 'save' | 'pick' | 'folder';
  title: string;
  /** Folder to start in; null = the pipelines folder. */
  folder: string | null;
  /** For save: the suggested file name. */
  suggestedName?: string;
  /** For pick: extensions the file should have, e.g. [".csv"]. */
  extensions?: string[];
  /** For save: the extension added when missing (default ".fluxo"). */
  extension?: string;
  resolve(path: string | null): void;
}

/** Slurm choices for runs on one cluster target (never stored in the pipeline). Empty = none. */
export interface RunOptions {
  account: string;
  qos: string;
  reservation: string;
}

export const NO_RUN_OPTIONS: RunOptions = { account: '', qos: '', reservation: '' };

export interface AppState {
  screen: Screen;
  ready: boolean;
  host: HostInfo | null;
  catalog: CatalogSnapshot | null;
  blocksById: ReadonlyMap<string, BlockDefinition>;
  targets: TargetProfile[];
  examples: ExampleSummary[];
  targetId: string;
  /** The open pipeline; one at a time in this version. */
  editor: DocumentStore | null;
  toasts: Toast[];
  modal: ModalRequest | null;
  fileDialog: FileDialogRequest | null;
  /** The tab shown in the editor's bottom panel. */
  panelTab: PanelTab;
  /** Account, QoS and reservation chosen per cluster target id. */
  runOptions: Record<string, RunOptions>;
  /** The UI language; catalog, blocksById and examples above are shown in it. */
  language: Language;
  /** The catalog and examples as the backend sent them (English plus their i18n sections). */
  source: { catalog: CatalogSnapshot | null; examples: ExampleSummary[] };

  setLoaded(data: { host: HostInfo | null; catalog: CatalogSnapshot | null; targets: TargetProfile[]; examples: ExampleSummary[] }): void;
  openEditor(store: DocumentStore): void;
  showStart(): void;
  setTarget(id: string): void;
  setRunOptions(targetId: string, patch: Partial<RunOptions>): void;
  /** The "Clusters and connections" screen. */
  showSettings(): void;
  /** The targets after one was added, changed or deleted; keeps the chosen one when it still exists. */
  setTargets(targets: TargetProfile[]): void;
  showPanel(tab: PanelTab): void;
  toast(t: Omit<Toast, 'id'>): number;
  dismissToast(id: number): void;
  ask(request: Omit<ModalRequest, 'id' | 'resolve'>): Promise<string>;
  answer(value: string): void;
  askPath(request: Omit<FileDialogRequest, 'id' | 'resolve'>): Promise<string | null>;
  answerPath(path: string | null): void;
  /** Switches the UI language now, remembers it, and shows blocks and examples in it. */
  setLanguage(lang: Language): void;
}

let ids = 0;
const TOAST_MS = { info: 6000, success: 5000, error: 12000 } as const;

export const useAppStore = create<AppState>()((set, get) => ({
  screen: 'start',
  ready: false,
  host: null,
  catalog: null,
  blocksById: new Map(),
  targets: [],
  examples: [],
  targetId: 'local',
  editor: null,
  toasts: [],
  modal: null,
  fileDialog: null,
  panelTab: 'problems',
  runOptions: {},
  language: currentLanguage(),
  source: { catalog: null, examples: [] },

  setLoaded({ host, catalog, targets, examples }) {
    const targetId = targets.some((t) => t.id === get().targetId) ? get().targetId : (targets[0]?.id ?? 'local');
    set({ ready: true, host, catalog, targets, examples, targetId, blocksById: new Map((catalog?.blocks ?? []).map((b) => [b.id, b])) });
    set({ source: { catalog, examples }, ...localizeSnapshot(catalog, examples, get().language) });
  },
  openEditor(store) {
    set({ editor: store, screen: 'editor' });
  },
  showStart() {
    set({ screen: 'start' });
  },
  setTarget(id) {
    set({ targetId: id });
  },
  setRunOptions(targetId, patch) {
    const current = get().runOptions[targetId] ?? NO_RUN_OPTIONS;
    set({ runOptions: { ...get().runOptions, [targetId]: { ...current, ...patch } } });
  },
  showPanel(tab) {
    set({ panelTab: tab });
  },
  showSettings() {
    set({ screen: 'settings' });
  },
  setTargets(targets) {
    set({ targets, targetId: targets.some((t) => t.id === get().targetId) ? get().targetId : (targets[0]?.id ?? 'local') });
  },
  toast(t) {
    const id = ++ids;
    set({ toasts: [...get().toasts, { ...t, id }].slice(-5) });
    if (typeof window !== 'undefined') window.setTimeout(() => get().dismissToast(id), TOAST_MS[t.kind]);
    return id;
  },
  dismissToast(id) {
    if (get().toasts.some((t) => t.id === id)) set({ toasts: get().toasts.filter((t) => t.id !== id) });
  },
  ask(request) {
    return new Promise<string>((resolve) => {
      get().modal?.resolve('cancel');
      set({ modal: { ...request, id: ++ids, resolve } });
    });
  },
  answer(value) {
    const m = get().modal;
    if (!m) return;
    set({ modal: null });
    m.resolve(value);
  },
  askPath(request) {
    return new Promise<string | null>((resolve) => {
      get().fileDialog?.resolve(null);
      set({ fileDialog: { ...request, id: ++ids, resolve } });
    });
  },
  answerPath(path) {
    const d = get().fileDialog;
    if (!d) return;
    set({ fileDialog: null });
    d.resolve(path);
  },
  setLanguage(lang) {
    void switchLanguage(lang);
  },
}));

// Whoever switches the language (the picker, a test, i18next itself), blocks and examples follow.
onLanguageChange((language) => {
  const { source } = useAppStore.getState();
  useAppStore.setState({ language, ...localizeSnapshot(source.catalog, source.examples, language) });
});

/** Shows a backend error plainly: what went wrong, and how to fix it when there is a hint. */
export function showError(title: string, error: FluxoError): void {
  useAppStore.getState().toast({ kind: 'error', title, message: capitalize(error.message), ...(error.hint ? { hint: error.hint } : {}) });
}

export function capitalize(s: string): string {
  return s ? s[0]!.toUpperCase() + s.slice(1) : s;
}
