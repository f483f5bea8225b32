import type { TemporalState } from 'zundo';
import { temporal } from 'zundo';
import type { StoreApi } from 'zustand';
import { createStore } from 'zustand/vanilla';
import type { BlockDefinition } from '../../shared/catalog';
import { defaultParams } from '../../shared/catalog';
import type { Connection, Lock, Note, ParamValue, PipelineDocument, PortRef, Step, StepResources } from '../../shared/document';
import { isParamEditable } from '../../shared/document';
import type { ConnectionCheck, Problem } from '../../shared/validate';
import { checkConnection, stepName, validatePipeline } from '../../shared/validate';
import { t } from '../i18n';
import { nextStepId } from './stepIds';

export interface Position {
  x: number;
  y: number;
}

/** What is selected on the canvas. View state: never saved, never makes the document dirty. */
export interface Selection {
  steps: string[];
  connections: string[];
  /** Sticky notes, by note id. */
  notes: string[];
}

/** Steps, the connections among them and notes, as copied to the clipboard and pasted back. */
export interface Fragment {
  steps: Step[];
  connections: Connection[];
  notes: Note[];
}

/** Consecutive edits of one field closer together than this are one undo entry (a typing burst). */
export const BURST_MS = 600;

export type NotePatch = Partial<Pick<Note, 'text' | 'position' | 'size' | 'color'>>;

export interface Size {
  width: number;
  height: number;
}

export interface DocumentState {
  /** Identifies this open pipeline for the lifetime of the window (run state is keyed by it). */
  key: string;
  doc: PipelineDocument;
  /** The file it was opened from or saved to; null for a new pipeline or an example. */
  path: string | null;
  /** True when the document differs from what is on disk. */
  dirty: boolean;
  /** validatePipeline(doc), kept in step with every edit. */
  problems: Problem[];
  selection: Selection;
  /** Rendered node sizes reported by the canvas; used to find free spots. View state. */
  measured: Record<string, Size>;
  /** Bumped when the canvas should fit the whole pipeline into view (after adding by click). */
  fitRequest: number;
  /**
   * A past run's pipeline shown as it ran: nothing can change. (A locked pipeline is different:
   * `doc.lock` lets a student change the params the instructor marked; see isParamEditable.)
   */
  readOnly: boolean;

  addStep(blockId: string, position?: Position): string | null;
  moveStep(stepId: string, position: Position): void;
  /** Moves several steps and notes as one edit (a keyboard nudge, a drag frame, an auto-layout). */
  moveMany(moves: { steps?: Record<string, Position>; notes?: Record<string, Position> }, options?: { burst?: boolean }): void;
  removeSteps(stepIds: string[]): void;
  /** Removes steps (with their connections), connections and notes as ONE undo entry. */
  removeElements(gone: Partial<Selection>): void;
  addNote(position?: Position, text?: string): string | null;
  updateNote(noteId: string, patch: NotePatch): void;
  /** Adds a copied fragment with fresh ids, offset by `offset`; selects and returns what was added. */
  paste(fragment: Fragment, offset: Position): Selection | null;
  /** Selects every step and note. */
  selectAll(): void;
  /**
   * A pointer gesture (a drag of one or many nodes, a resize): edits in between are one undo
   * entry, recorded when it ends. Nothing is recorded when nothing changed.
   */
  beginGesture(): void;
  endGesture(): void;
  undo(): void;
  redo(): void;
  /** Asks the canvas to fit everything into view (after a layout, on Shift+F). */
  requestFit(): void;
  /** Whether connect(from, to) would be accepted, and why not; changes nothing. */
  checkConnect(from: PortRef, to: PortRef): ConnectionCheck;
  connect(from: PortRef, to: PortRef): ConnectionCheck;
  disconnect(connectionIds: string[]): void;
  setParam(stepId: string, paramId: string, value: ParamValue | undefined): void;
  setLabel(stepId: string, label: string): void;
  /** Merges into the step's resource overrides; an undefined field goes back to the block's default. */
  setResources(stepId: string, patch: Partial<Record<keyof StepResources, StepResources[keyof StepResources] | undefined>>): void;
  /** Locks the pipeline for students (only `lock.editable` params can change), or unlocks it (null). */
  setLock(lock: Lock | null): void;
  renamePipeline(name: string): void;
  select(selection: Partial<Selection>): void;
  setMeasured(stepId: string, size: Size): void;
  /** Many sizes at once (React Flow measures every node on open): one update, not one per node. */
  setMeasuredMany(sizes: Record<string, Size>): void;
  /**
   * After a successful save of `basedOn` (as `saved`, with its new time stamp): when nothing was
   * edited meanwhile, the saved document becomes the clean state; otherwise it stays dirty.
   */
  markSaved(path: string, saved: PipelineDocument, basedOn: PipelineDocument): void;
}

export type DocumentStore = ReturnType<typeof createDocumentStore>;

/** Stable id of a connection, also used as the canvas edge id. */
export function connectionId(c: Connection): string {
  return `${c.from.step}:${c.from.port}->${c.to.step}:${c.to.port}`;
}

const DEFAULT_SIZE: Size = { width: 210, height: 140 };
const GRID = { x: 260, y: 200, columns: 3 };
const GAP = 50;

/**
 * Where a step added by click goes: right of the step it follows (the selected one) when that
 * place is free, else lower in that column, else the first free slot of a three-column grid.
 */
export function findFreeSpot(steps: readonly Step[], measured: Readonly<Record<string, Size>>, after?: string): Position {
  const boxes = steps.map((s) => ({ ...s.position, ...(measured[s.id] ?? DEFAULT_SIZE) }));
  const margin = 20;
  const isFree = (x: number, y: number) =>
    boxes.every((b) => x + DEFAULT_SIZE.width + margin <= b.x || b.x + b.width + margin <= x || y + DEFAULT_SIZE.height + margin <= b.y || b.y + b.height + margin <= y);
  const anchor = after ? steps.find((s) => s.id === after) : undefined;
  if (anchor) {
    const x = anchor.position.x + (measured[anchor.id]?.width ?? DEFAULT_SIZE.width) + GAP;
    for (let row = 0; row < 8; row++) {
      const y = anchor.position.y + row * GRID.y;
      if (isFree(x, y)) return { x, y };
    }
  }
  for (let i = 0; ; i++) {
    const x = (i % GRID.columns) * GRID.x;
    const y = Math.floor(i / GRID.columns) * GRID.y;
    if (isFree(x, y)) return { x, y };
  }
}

/** Whether `to` can already reach `from`, i.e. a connection from → to would close a loop. */
function wouldLoop(doc: PipelineDocument, from: string, to: string): boolean {
  if (from === to) return true;
  const seen = new Set<string>();
  const stack = [to];
  while (stack.length) {
    const id = stack.pop()!;
    if (id === from) return true;
    if (seen.has(id)) continue;
    seen.add(id);
    for (const c of doc.connections) if (c.from.step === id) stack.push(c.to.step);
  }
  return false;
}

let storeCounter = 0;

export interface DocumentStoreInit {
  doc: PipelineDocument;
  path: string | null;
  blocks: readonly BlockDefinition[];
  /** Opening an example or a migrated file yields a document that is not yet on disk as shown. */
  dirty?: boolean;
  /** A past run's pipeline: shown, never changed. */
  readOnly?: boolean;
  /** The clock typing bursts are measured with (tests pass a fake one). */
  now?: () => number;
}

/**
 * One store per open pipeline (provided through React context). Edits go through actions that
 * keep `problems` current and set `dirty`; selection and sizes are view state beside the document.
 */
export function createDocumentStore(init: DocumentStoreInit) {
  const blocks = new Map(init.blocks.map((b) => [b.id, b]));
  const validate = (doc: PipelineDocument) => validatePipeline(doc, { blocks: init.blocks as BlockDefinition[] });
  const now = init.now ?? (() => Date.now());
  storeCounter += 1;

  // Capture policy (see ARCHITECTURE "State in the renderer"): only edit() may record an undo
  // entry, and only when `capture` is set; undo/redo, saving, selection, sizes, fit requests and
  // run status go through plain set() and are never recorded.
  let capture = false;
  /** The last edit's burst key and time: a following edit of the same field within BURST_MS merges. */
  let last: { key: string | null; at: number } = { key: null, at: 0 };
  /** The document before the current pointer gesture, or null when none is going on. */
  let gestureBefore: PipelineDocument | null = null;
  /** The document as on disk (a reference: undo restores the very objects); null when never saved. */
  let savedDoc: PipelineDocument | null = init.dirty ? null : init.doc;

  return createStore<DocumentState>()(
    temporal(
      (set, get, api) => {
        /**
         * Applies an edit to the document. INVARIANT: the only way `doc` changes, besides undo/redo.
         * `burst` names the field for typing bursts; `revalidate: false` for moves (positions are
         * never a problem, and a 1,000-step drag must not validate every frame).
         */
        const edit = (next: PipelineDocument, extra: Partial<DocumentState> = {}, opts: { burst?: string; revalidate?: boolean } = {}) => {
          if (get().readOnly) return;
          const at = now();
          const key = opts.burst ?? null;
          const merge = key !== null && key === last.key && at - last.at <= BURST_MS;
          last = { key, at };
          capture = gestureBefore === null && !merge;
          try {
            set({ doc: next, dirty: next !== savedDoc, problems: opts.revalidate === false ? get().problems : validate(next), ...extra });
          } finally {
            capture = false;
          }
        };
        /** After undo/redo: derived state follows the restored document; selection drops what is gone. */
        const restored = () => {
          last = { key: null, at: 0 };
          const { doc, selection } = get();
          const steps = new Set(doc.steps.map((s) => s.id));
          const notes = new Set(doc.notes.map((n) => n.id));
          const conns = new Set(doc.connections.map(connectionId));
          set({
            dirty: doc !== savedDoc,
            problems: validate(doc),
            selection: {
              steps: selection.steps.filter((id) => steps.has(id)),
              connections: selection.connections.filter((id) => conns.has(id)),
              notes: selection.notes.filter((id) => notes.has(id)),
            },
          });
        };
        /** INVARIANT: in a locked pipeline only marked params change; the graph and the rest are fixed. */
        const canEditGraph = () => !get().readOnly && !get().doc.lock;
        const updateStep = (stepId: string, change: (s: Step) => Step, opts?: { burst?: string; revalidate?: boolean }) => {
          const { doc } = get();
          let changed = false;
          const steps = doc.steps.map((s) => {
            if (s.id !== stepId) return s;
            const next = change(s);
            if (next !== s) changed = true;
            return next;
          });
          if (changed) edit({ ...doc, steps }, {}, opts);
        };

        return {
          key: `doc-${storeCounter}`,
          doc: init.doc,
          path: init.path,
          dirty: init.dirty ?? false,
          problems: validate(init.doc),
          selection: { steps: [], connections: [], notes: [] },
          measured: {},
          fitRequest: 0,
          readOnly: init.readOnly ?? false,

          addStep(blockId, position) {
            const block = blocks.get(blockId);
            if (!block || !canEditGraph()) return null;
            const { doc, measured, fitRequest, selection } = get();
            const id = nextStepId(block.id, new Set(doc.steps.map((s) => s.id)));
            const after = selection.steps.length === 1 ? selection.steps[0] : undefined;
            const at = position ?? findFreeSpot(doc.steps, measured, after);
            const step: Step = { id, type: block.id, version: block.version, label: block.title, params: defaultParams(block), position: { x: Math.round(at.x), y: Math.round(at.y) } };
            edit(
              { ...doc, steps: [...doc.steps, step] },
              { selection: { steps: [id], connections: [], notes: [] }, fitRequest: position ? fitRequest : fitRequest + 1 },
            );
            return id;
          },

          moveStep(stepId, position) {
            get().moveMany({ steps: { [stepId]: position } }, { burst: true });
          },

          moveMany(moves, options) {
            if (!canEditGraph()) return;
            const { doc } = get();
            const same = (a: Position, b: Position | undefined) => !b || (a.x === b.x && a.y === b.y);
            let changed = false;
            const steps = doc.steps.map((s) => {
              const to = moves.steps?.[s.id];
              if (same(s.position, to)) return s;
              changed = true;
              return { ...s, position: { x: to!.x, y: to!.y } };
            });
            const notes = doc.notes.map((n) => {
              const to = moves.notes?.[n.id];
              if (same(n.position, to)) return n;
              changed = true;
              return { ...n, position: { x: to!.x, y: to!.y } };
            });
            if (!changed) return;
            edit({ ...doc, steps, notes }, {}, { revalidate: false, ...(options?.burst ? { burst: 'move' } : {}) });
          },

          removeSteps(stepIds) {
            get().removeElements({ steps: stepIds });
          },

          removeElements(gone) {
            if (!canEditGraph()) return;
            const steps = new Set(gone.steps ?? []);
            const notes = new Set(gone.notes ?? []);
            const cut = new Set(gone.connections ?? []);
            const { doc, selection, measured } = get();
            const connections = doc.connections.filter((c) => !steps.has(c.from.step) && !steps.has(c.to.step) && !cut.has(connectionId(c)));
            const nextSteps = doc.steps.filter((s) => !steps.has(s.id));
            const nextNotes = doc.notes.filter((n) => !notes.has(n.id));
            if (nextSteps.length === doc.steps.length && nextNotes.length === doc.notes.length && connections.length === doc.connections.length) return;
            const keptIds = new Set(connections.map(connectionId));
            const nextMeasured = { ...measured };
            for (const id of steps) delete nextMeasured[id];
            edit(
              { ...doc, steps: nextSteps, connections, notes: nextNotes },
              {
                selection: {
                  steps: selection.steps.filter((id) => !steps.has(id)),
                  connections: selection.connections.filter((id) => keptIds.has(id)),
                  notes: selection.notes.filter((id) => !notes.has(id)),
                },
                measured: nextMeasured,
              },
            );
          },

          addNote(position, text = '') {
            if (!canEditGraph()) return null;
            const { doc, measured } = get();
            const taken = new Set(doc.notes.map((n) => n.id));
            let n = doc.notes.length + 1;
            while (taken.has(`note-${n}`)) n++;
            const id = `note-${n}`;
            const at = position ?? findFreeSpot([...doc.steps, ...doc.notes.map((x) => ({ id: `note:${x.id}`, position: x.position }) as Step)], measured);
            const note: Note = { id, text, position: { x: Math.round(at.x), y: Math.round(at.y) }, color: 'yellow' };
            edit({ ...doc, notes: [...doc.notes, note] }, { selection: { steps: [], connections: [], notes: [id] } }, { revalidate: false });
            return id;
          },

          updateNote(noteId, patch) {
            if (!canEditGraph()) return;
            const { doc } = get();
            const note = doc.notes.find((n) => n.id === noteId);
            if (!note) return;
            const next: Note = { ...note, ...patch };
            if (JSON.stringify(next) === JSON.stringify(note)) return;
            const onlyText = Object.keys(patch).every((k) => k === 'text');
            edit({ ...doc, notes: doc.notes.map((n) => (n.id === noteId ? next : n)) }, {}, { revalidate: false, ...(onlyText ? { burst: `note:${noteId}` } : {}) });
          },

          paste(fragment, offset) {
            if (!canEditGraph()) return null;
            const { doc } = get();
            const taken = new Set(doc.steps.map((s) => s.id));
            const ids = new Map<string, string>();
            const steps: Step[] = [];
            for (const s of fragment.steps) {
              // A step of a block this Fluxo does not have would only be an error on the canvas.
              if (!blocks.has(s.type)) continue;
              const id = nextStepId(s.type, taken);
              taken.add(id);
              ids.set(s.id, id);
              steps.push({ ...structuredClone(s), id, position: { x: Math.round(s.position.x + offset.x), y: Math.round(s.position.y + offset.y) } });
            }
            const connections = fragment.connections
              .filter((c) => ids.has(c.from.step) && ids.has(c.to.step))
              .map((c) => ({ from: { step: ids.get(c.from.step)!, port: c.from.port }, to: { step: ids.get(c.to.step)!, port: c.to.port } }));
            const noteIds = new Set(doc.notes.map((n) => n.id));
            let k = doc.notes.length + 1;
            const notes: Note[] = fragment.notes.map((n) => {
              while (noteIds.has(`note-${k}`)) k++;
              const id = `note-${k}`;
              noteIds.add(id);
              return { ...structuredClone(n), id, position: { x: Math.round(n.position.x + offset.x), y: Math.round(n.position.y + offset.y) } };
            });
            if (!steps.length && !notes.length) return null;
            const selection: Selection = { steps: steps.map((s) => s.id), connections: connections.map(connectionId), notes: notes.map((n) => n.id) };
            edit({ ...doc, steps: [...doc.steps, ...steps], connections: [...doc.connections, ...connections], notes: [...doc.notes, ...notes] }, { selection });
            return selection;
          },

          selectAll() {
            const { doc } = get();
            get().select({ steps: doc.steps.map((s) => s.id), notes: doc.notes.map((n) => n.id), connections: [] });
          },

          beginGesture() {
            if (gestureBefore === null) gestureBefore = get().doc;
          },

          endGesture() {
            const before = gestureBefore;
            gestureBefore = null;
            last = { key: null, at: 0 };
            if (!before || before === get().doc) return;
            const past = history(api).getState().pastStates;
            history(api).setState({ pastStates: [...past, { doc: before }], futureStates: [] });
          },

          undo() {
            if (gestureBefore !== null || get().readOnly) return;
            history(api).getState().undo();
            restored();
          },

          redo() {
            if (gestureBefore !== null || get().readOnly) return;
            history(api).getState().redo();
            restored();
          },

          requestFit() {
            set({ fitRequest: get().fitRequest + 1 });
          },

          checkConnect(from, to) {
            const { doc } = get();
            const fromStep = doc.steps.find((s) => s.id === from.step);
            const toStep = doc.steps.find((s) => s.id === to.step);
            const fromBlock = fromStep && blocks.get(fromStep.type);
            const toBlock = toStep && blocks.get(toStep.type);
            if (!fromStep || !toStep || !fromBlock || !toBlock) return { ok: false, reason: t('canvas:reason.unknownBlock') };
            const check = checkConnection({ block: fromBlock, port: from.port }, { block: toBlock, port: to.port });
            if (!check.ok) return check;
            if (wouldLoop(doc, from.step, to.step)) {
              return { ok: false, reason: t('canvas:reason.loop', { from: stepName(fromStep, fromBlock), to: stepName(toStep, toBlock) }) };
            }
            return { ok: true, reason: null };
          },

          connect(from, to) {
            if (!canEditGraph()) return { ok: false, reason: get().readOnly ? t('canvas:reason.pastRun') : t('canvas:reason.locked') };
            const check = get().checkConnect(from, to);
            if (!check.ok) return check;
            const { doc } = get();
            const conn: Connection = { from: { step: from.step, port: from.port }, to: { step: to.step, port: to.port } };
            const id = connectionId(conn);
            if (doc.connections.some((c) => connectionId(c) === id)) return { ok: true, reason: null };
            // An input takes one connection: a new one replaces the old.
            const others = doc.connections.filter((c) => !(c.to.step === to.step && c.to.port === to.port));
            edit({ ...doc, connections: [...others, conn] });
            return { ok: true, reason: null };
          },

          disconnect(connectionIds) {
            get().removeElements({ connections: connectionIds });
          },

          setParam(stepId, paramId, value) {
            if (get().readOnly || !isParamEditable(get().doc, stepId, paramId)) return;
            updateStep(
              stepId,
              (s) => {
                const has = Object.prototype.hasOwnProperty.call(s.params, paramId);
                if (value === undefined) {
                  if (!has) return s;
                  const params = { ...s.params };
                  delete params[paramId];
                  return { ...s, params };
                }
                if (has && s.params[paramId] === value) return s;
                return { ...s, params: { ...s.params, [paramId]: value } };
              },
              { burst: `param:${stepId}:${paramId}` },
            );
          },

          setLabel(stepId, label) {
            if (!canEditGraph()) return;
            updateStep(stepId, (s) => (s.label === label ? s : { ...s, label }), { burst: `label:${stepId}` });
          },

          setResources(stepId, patch) {
            if (!canEditGraph()) return;
            updateStep(
              stepId,
              (s) => {
                const next: Record<string, unknown> = { ...(s.resources ?? {}) };
                for (const [key, value] of Object.entries(patch)) {
                  if (value === undefined || value === '') delete next[key];
                  else next[key] = value;
                }
                const same = JSON.stringify(next) === JSON.stringify(s.resources ?? {});
                if (same) return s;
                const { resources: _old, ...rest } = s;
                return Object.keys(next).length ? { ...rest, resources: next as StepResources } : rest;
              },
              { burst: `resources:${stepId}:${Object.keys(patch).sort().join(',')}` },
            );
          },

          setLock(lock) {
            const { doc } = get();
            if (lock === null) {
              if (!doc.lock) return;
              const { lock: _old, ...rest } = doc;
              edit(rest);
              return;
            }
            edit({ ...doc, lock: { editable: [...new Set(lock.editable)].sort(), message: lock.message } });
          },

          renamePipeline(name) {
            if (!canEditGraph()) return;
            const { doc } = get();
            if (doc.metadata.name === name) return;
            edit({ ...doc, metadata: { ...doc.metadata, name } }, {}, { burst: 'name', revalidate: false });
          },

          select(selection) {
            const current = get().selection;
            const next = { steps: selection.steps ?? current.steps, connections: selection.connections ?? current.connections, notes: selection.notes ?? current.notes };
            if (sameList(next.steps, current.steps) && sameList(next.connections, current.connections) && sameList(next.notes, current.notes)) return;
            set({ selection: next });
          },

          setMeasured(stepId, size) {
            const current = get().measured[stepId];
            if (current && current.width === size.width && current.height === size.height) return;
            set({ measured: { ...get().measured, [stepId]: size } });
          },

          setMeasuredMany(sizes) {
            const current = get().measured;
            let next: Record<string, Size> | null = null;
            for (const [id, size] of Object.entries(sizes)) {
              const had = current[id];
              if (had && had.width === size.width && had.height === size.height) continue;
              next ??= { ...current };
              next[id] = size;
            }
            if (next) set({ measured: next });
          },

          markSaved(path, saved, basedOn) {
            if (get().doc === basedOn) {
              savedDoc = saved;
              // The saved copy (new time stamp) takes the current document's place in history.
              set({ path, doc: saved, dirty: false, problems: validate(saved) });
            } else {
              savedDoc = basedOn;
              set({ path, dirty: true });
            }
          },
        };
      },
      {
        partialize: (s): { doc: PipelineDocument } => ({ doc: s.doc }),
        equality: (a, b) => a.doc === b.doc,
        limit: 200,
        handleSet: (record) => (pastState, replace, currentState, deltaState) => {
          if (capture) (record as unknown as (p: unknown, r: unknown, c: unknown, d: unknown) => void)(pastState, replace, currentState, deltaState);
        },
      },
    ),
  );
}

/** The undo history of a document store: what the toolbar's Undo/Redo buttons follow. */
export type DocumentHistory = StoreApi<TemporalState<{ doc: PipelineDocument }>>;

export function history(store: unknown): DocumentHistory {
  return (store as { temporal: DocumentHistory }).temporal;
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** The document as it should be written or run: a blank name gets a placeholder, the stamp is now. */
export function documentForSaving(doc: PipelineDocument, now: Date): PipelineDocument {
  const name = doc.metadata.name.trim() || t('common:untitledPipeline');
  return { ...doc, metadata: { ...doc.metadata, name, updated: now.toISOString() } };
}
