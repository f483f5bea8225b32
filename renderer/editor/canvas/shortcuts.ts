import { useEffect } from 'react';
import type { CanvasCommands } from './commands';
import { canvasUi, isNoteNode, noteIdOf } from './canvasUi';

/** Every shortcut, as the help overlay lists it (keys are i18n keys of the `canvas` namespace). */
export const SHORTCUTS: { keys: string[]; what: string }[] = [
  { keys: ['Ctrl', 'Z'], what: 'shortcut.undo' },
  { keys: ['Ctrl', 'Shift', 'Z'], what: 'shortcut.redo' },
  { keys: ['Ctrl', 'Y'], what: 'shortcut.redo' },
  { keys: ['Ctrl', 'C'], what: 'shortcut.copy' },
  { keys: ['Ctrl', 'X'], what: 'shortcut.cut' },
  { keys: ['Ctrl', 'V'], what: 'shortcut.paste' },
  { keys: ['Ctrl', 'D'], what: 'shortcut.duplicate' },
  { keys: ['Ctrl', 'A'], what: 'shortcut.selectAll' },
  { keys: ['Delete'], what: 'shortcut.delete' },
  { keys: ['Shift', 'L'], what: 'shortcut.tidy' },
  { keys: ['Shift', 'F'], what: 'shortcut.fit' },
  { keys: ['Shift', 'N'], what: 'shortcut.note' },
  { keys: ['Shift', 'Click'], what: 'shortcut.multiSelect' },
  { keys: ['Shift', 'Drag'], what: 'shortcut.boxSelect' },
  { keys: ['←', '↑', '→', '↓'], what: 'shortcut.move' },
  { keys: ['Enter'], what: 'shortcut.enter' },
  { keys: ['?'], what: 'shortcut.help' },
];

/** True when keys typed there are text, not commands (fields, editable notes, open dialogs). */
export function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable) return true;
  if (target.closest('input, textarea, select, [role="dialog"], [role="alertdialog"], [role="menu"]')) return true;
  return false;
}

/** The command a key press means on the canvas, or null. Exported for tests. */
export function commandFor(e: Pick<KeyboardEvent, 'key' | 'ctrlKey' | 'metaKey' | 'shiftKey' | 'altKey'>): keyof CanvasCommands | 'editNote' | null {
  const mod = e.ctrlKey || e.metaKey;
  const key = e.key.length === 1 ? e.key.toLowerCase() : e.key;
  if (e.altKey) return null;
  if (mod) {
    if (key === 'z') return e.shiftKey ? 'redo' : 'undo';
    if (key === 'y') return 'redo';
    if (e.shiftKey) return null;
    return ({ c: 'copy', x: 'cut', v: 'paste', d: 'duplicate', a: 'selectAll' } as const)[key as 'c'] ?? null;
  }
  if (e.key === '?') return 'openHelp';
  if (e.shiftKey) return ({ l: 'tidy', f: 'fit', n: 'addNote' } as const)[key as 'l'] ?? null;
  if (e.key === 'Enter') return 'editNote';
  return null;
}

const CANVAS_ONLY = new Set<string>(['copy', 'cut', 'paste', 'duplicate', 'selectAll']);

/** Listens for the canvas shortcuts anywhere in the editor, except while typing. */
export function useCanvasShortcuts(commands: CanvasCommands, enabled: boolean): void {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.defaultPrevented || isTyping(e.target)) return;
      if (document.querySelector('[aria-modal="true"]')) return;
      const command = commandFor(e);
      if (!command) return;
      if (command === 'editNote') {
        // Enter on a focused note opens its text for editing.
        const node = (e.target as HTMLElement | null)?.closest?.('.react-flow__node');
        const id = node?.getAttribute('data-id');
        if (!id || !isNoteNode(id) || !enabled) return;
        e.preventDefault();
        canvasUi.getState().setEditingNote(noteIdOf(id));
        return;
      }
      // Copy, paste and select-all belong to the canvas: elsewhere (a log, a results table) and
      // with text selected they keep their usual meaning.
      if (CANVAS_ONLY.has(command)) {
        const t = e.target as HTMLElement | null;
        const onCanvas = !t || t === document.body || !!t.closest?.('.canvas');
        if (!onCanvas || (window.getSelection()?.toString() ?? '') !== '') return;
      }
      // Reading and view commands work in a locked or past pipeline; edits are refused by the store.
      e.preventDefault();
      void commands[command]();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [commands, enabled]);
}
