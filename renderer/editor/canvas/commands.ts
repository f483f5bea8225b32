import { useMemo } from 'react';
import { useAppStore } from '../../state/appStore';
import type { Position } from '../../state/documentStore';
import { useDocumentStoreApi } from '../../state/hooks';
import { canvasUi } from './canvasUi';
import { copyFragment, fragmentOrigin, readClipboard, writeClipboard } from './clipboard';
import { layoutPositions } from './layout';

/** Where a paste lands when the pointer is not over the canvas: a little below-right of the copy. */
const PASTE_OFFSET = 40;

/** The pointer's last place on the canvas in flow coordinates, or null when it left the canvas. */
export const pointer: { at: Position | null } = { at: null };

export interface CanvasCommands {
  undo(): void;
  redo(): void;
  copy(): Promise<void>;
  cut(): Promise<void>;
  paste(): Promise<void>;
  duplicate(): void;
  selectAll(): void;
  deleteSelection(): void;
  tidy(): Promise<void>;
  fit(): void;
  addNote(): void;
  openHelp(): void;
}

/** Every canvas command, shared by the toolbar buttons and the keyboard shortcuts. */
export function useCanvasCommands(): CanvasCommands {
  const store = useDocumentStoreApi();
  return useMemo<CanvasCommands>(() => {
    const selected = () => {
      const { doc, selection } = store.getState();
      return copyFragment(doc, selection);
    };
    return {
      undo: () => store.getState().undo(),
      redo: () => store.getState().redo(),
      async copy() {
        const fragment = selected();
        if (fragment) await writeClipboard(fragment);
      },
      async cut() {
        const fragment = selected();
        if (!fragment) return;
        await writeClipboard(fragment);
        const { selection } = store.getState();
        store.getState().removeElements({ steps: selection.steps, notes: selection.notes });
      },
      async paste() {
        const fragment = await readClipboard();
        if (!fragment || (!fragment.steps.length && !fragment.notes.length)) return;
        const origin = fragmentOrigin(fragment);
        const offset = pointer.at ? { x: pointer.at.x - origin.x, y: pointer.at.y - origin.y } : { x: PASTE_OFFSET, y: PASTE_OFFSET };
        store.getState().paste(fragment, offset);
      },
      duplicate() {
        const fragment = selected();
        if (fragment) store.getState().paste(fragment, { x: PASTE_OFFSET, y: PASTE_OFFSET });
      },
      selectAll: () => store.getState().selectAll(),
      deleteSelection() {
        const { selection } = store.getState();
        store.getState().removeElements(selection);
      },
      async tidy() {
        const { doc, measured } = store.getState();
        const positions = await layoutPositions(doc, useAppStore.getState().blocksById, measured);
        // Edited while ELK was thinking: the layout would undo those edits' moves.
        if (store.getState().doc !== doc) return;
        store.getState().moveMany({ steps: positions });
        store.getState().requestFit();
      },
      fit: () => store.getState().requestFit(),
      addNote() {
        // A free place beside the steps (never on top of one), then into view like a new step.
        const id = store.getState().addNote();
        if (!id) return;
        store.getState().requestFit();
        canvasUi.getState().setEditingNote(id);
      },
      openHelp: () => canvasUi.getState().setHelpOpen(true),
    };
  }, [store]);
}
