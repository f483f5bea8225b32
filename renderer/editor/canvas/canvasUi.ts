import { createStore } from 'zustand/vanilla';

/** A port whose "Connect to…" menu is open. */
export interface PortAnchor {
  step: string;
  port: string;
  direction: 'in' | 'out';
}

/** Canvas view state that is neither document nor selection: which overlay is open. */
export interface CanvasUiState {
  helpOpen: boolean;
  connectFrom: PortAnchor | null;
  /** The note whose text is being edited, by note id. */
  editingNote: string | null;
  setHelpOpen(open: boolean): void;
  setConnectFrom(anchor: PortAnchor | null): void;
  setEditingNote(noteId: string | null): void;
}

// One editor is open at a time, so one module-level store is enough.
export const canvasUi = createStore<CanvasUiState>()((set) => ({
  helpOpen: false,
  connectFrom: null,
  editingNote: null,
  setHelpOpen: (helpOpen) => set({ helpOpen }),
  setConnectFrom: (connectFrom) => set({ connectFrom }),
  setEditingNote: (editingNote) => set({ editingNote }),
}));

/** Node ids of notes on the canvas: a ":" never occurs in step ids, so the two never clash. */
export const NOTE_PREFIX = 'note:';
export const noteNodeId = (noteId: string) => `${NOTE_PREFIX}${noteId}`;
export const isNoteNode = (nodeId: string) => nodeId.startsWith(NOTE_PREFIX);
export const noteIdOf = (nodeId: string) => nodeId.slice(NOTE_PREFIX.length);
