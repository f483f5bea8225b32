import { createStore } from 'zustand/vanilla';
import type { BlockDefinition } from '../../shared/catalog';
import { defaultParams } from '../../shared/catalog';
import type { Connection, Lock, ParamValue, PipelineDocument, PortRef, Step, StepResources } from '../../shared/document';
import { isParamEditable } from '../../shared/document';
import type { ConnectionCheck, Problem } from '../../shared/validate';
import { checkConnection, stepName, validatePipeline } from '../../shared/validate';
import { nextStepId } from './stepIds';

export interface Position {
  x: number;
  y: number;
}

/** What is selected on the canvas. View state: never saved, never makes the document dirty. */
export interface Selection {
  steps: string[];
  connections: string[];
}

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
  removeSteps(stepIds: string[]): void;
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
}

/**
 * One store per open pipeline (provided through React context). Edits go through actions that
 * keep `problems` current and set `dirty`; selection and sizes are view state beside the document.
 */
export function createDocumentStore(init: DocumentStoreInit) {
  const blocks = new Map(init.blocks.map((b) => [b.id, b]));
  const validate = (doc: PipelineDocument) => validatePipeline(doc, { blocks: init.blocks as BlockDefinition[] });
  storeCounter += 1;

  return createStore<DocumentState>()((set, get) => {
    /** Applies an edit to the document. INVARIANT: the only way `doc` changes after creation. */
    const edit = (next: PipelineDocument, extra: Partial<DocumentState> = {}) => {
      if (get().readOnly) return;
      set({ doc: next, dirty: true, problems: validate(next), ...extra });
    };
    /** INVARIANT: in a locked pipeline only marked params change; the graph and the rest are fixed. */
    const canEditGraph = () => !get().readOnly && !get().doc.lock;
    const updateStep = (stepId: string, change: (s: Step) => Step) => {
      const { doc } = get();
      let changed = false;
      const steps = doc.steps.map((s) => {
        if (s.id !== stepId) return s;
        const next = change(s);
        if (next !== s) changed = true;
        return next;
      });
      if (changed) edit({ ...doc, steps });
    };

    return {
      key: `doc-${storeCounter}`,
      doc: init.doc,
      path: init.path,
      dirty: init.dirty ?? false,
      problems: validate(init.doc),
      selection: { steps: [], connections: [] },
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
          { selection: { steps: [id], connections: [] }, fitRequest: position ? fitRequest : fitRequest + 1 },
        );
        return id;
      },

      moveStep(stepId, position) {
        if (!canEditGraph()) return;
        updateStep(stepId, (s) => (s.position.x === position.x && s.position.y === position.y ? s : { ...s, position: { x: position.x, y: position.y } }));
      },

      removeSteps(stepIds) {
        if (!canEditGraph()) return;
        const gone = new Set(stepIds);
        const { doc, selection, measured } = get();
        if (!doc.steps.some((s) => gone.has(s.id))) return;
        const connections = doc.connections.filter((c) => !gone.has(c.from.step) && !gone.has(c.to.step));
        const keptIds = new Set(connections.map(connectionId));
        const nextMeasured = { ...measured };
        for (const id of gone) delete nextMeasured[id];
        edit(
          { ...doc, steps: doc.steps.filter((s) => !gone.has(s.id)), connections },
          {
            selection: { steps: selection.steps.filter((id) => !gone.has(id)), connections: selection.connections.filter((id) => keptIds.has(id)) },
            measured: nextMeasured,
          },
        );
      },

      checkConnect(from, to) {
        const { doc } = get();
        const fromStep = doc.steps.find((s) => s.id === from.step);
        const toStep = doc.steps.find((s) => s.id === to.step);
        const fromBlock = fromStep && blocks.get(fromStep.type);
        const toBlock = toStep && blocks.get(toStep.type);
        if (!fromStep || !toStep || !fromBlock || !toBlock) return { ok: false, reason: 'One of these steps uses a block this Fluxo does not have' };
        const check = checkConnection({ block: fromBlock, port: from.port }, { block: toBlock, port: to.port });
        if (!check.ok) return check;
        if (wouldLoop(doc, from.step, to.step)) {
          return {
            ok: false,
            reason: `Connecting ${stepName(fromStep, fromBlock)} to ${stepName(toStep, toBlock)} would make a loop; a pipeline must flow in one direction`,
          };
        }
        return { ok: true, reason: null };
      },

      connect(from, to) {
        if (!canEditGraph()) return { ok: false, reason: get().readOnly ? 'This is a past run; it cannot be changed' : 'This pipeline is locked by your instructor' };
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
        if (!canEditGraph()) return;
        const gone = new Set(connectionIds);
        const { doc, selection } = get();
        if (!doc.connections.some((c) => gone.has(connectionId(c)))) return;
        edit(
          { ...doc, connections: doc.connections.filter((c) => !gone.has(connectionId(c))) },
          { selection: { ...selection, connections: selection.connections.filter((id) => !gone.has(id)) } },
        );
      },

      setParam(stepId, paramId, value) {
        if (!isParamEditable(get().doc, stepId, paramId)) return;
        updateStep(stepId, (s) => {
          const has = Object.prototype.hasOwnProperty.call(s.params, paramId);
          if (value === undefined) {
            if (!has) return s;
            const params = { ...s.params };
            delete params[paramId];
            return { ...s, params };
          }
          if (has && s.params[paramId] === value) return s;
          return { ...s, params: { ...s.params, [paramId]: value } };
        });
      },

      setLabel(stepId, label) {
        if (!canEditGraph()) return;
        updateStep(stepId, (s) => (s.label === label ? s : { ...s, label }));
      },

      setResources(stepId, patch) {
        if (!canEditGraph()) return;
        updateStep(stepId, (s) => {
          const next: Record<string, unknown> = { ...(s.resources ?? {}) };
          for (const [key, value] of Object.entries(patch)) {
            if (value === undefined || value === '') delete next[key];
            else next[key] = value;
          }
          const same = JSON.stringify(next) === JSON.stringify(s.resources ?? {});
          if (same) return s;
          const { resources: _old, ...rest } = s;
          return Object.keys(next).length ? { ...rest, resources: next as StepResources } : rest;
        });
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
        edit({ ...doc, metadata: { ...doc.metadata, name } });
      },

      select(selection) {
        const current = get().selection;
        const next = { steps: selection.steps ?? current.steps, connections: selection.connections ?? current.connections };
        if (sameList(next.steps, current.steps) && sameList(next.connections, current.connections)) return;
        set({ selection: next });
      },

      setMeasured(stepId, size) {
        const current = get().measured[stepId];
        if (current && current.width === size.width && current.height === size.height) return;
        set({ measured: { ...get().measured, [stepId]: size } });
      },

      markSaved(path, saved, basedOn) {
        if (get().doc === basedOn) set({ path, doc: saved, dirty: false, problems: validate(saved) });
        else set({ path, dirty: true });
      },
    };
  });
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** The document as it should be written or run: a blank name gets a placeholder, the stamp is now. */
export function documentForSaving(doc: PipelineDocument, now: Date): PipelineDocument {
  const name = doc.metadata.name.trim() || 'Untitled pipeline';
  return { ...doc, metadata: { ...doc.metadata, name, updated: now.toISOString() } };
}
