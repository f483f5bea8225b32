import type { Edge, Node } from '@xyflow/react';
import type { BlockDefinition } from '../../../shared/catalog';
import type { Connection, Note, Step } from '../../../shared/document';
import { stepTitle } from '../../lib/stepTitle';
import { formatFamily } from '../../lib/visuals';
import type { Size } from '../../state/documentStore';
import { connectionId } from '../../state/documentStore';
import { noteNodeId } from './canvasUi';

/** Plain, serializable node data: the rest comes from the catalog and the stores by id. */
export type StepNodeData = { blockId: string; label: string };
export type StepNodeType = Node<StepNodeData, 'step'>;
export type NoteNodeData = { noteId: string; text: string; color: NonNullable<Note['color']> };
export type NoteNodeType = Node<NoteNodeData, 'note'>;
export type FlowNode = StepNodeType | NoteNodeType;

export const NOTE_SIZE: Size = { width: 220, height: 140 };

interface StepEntry {
  step: Step;
  selected: boolean;
  size: Size | undefined;
  title: string | undefined;
  node: StepNodeType;
}
interface NoteEntry {
  note: Note;
  selected: boolean;
  node: NoteNodeType;
}
interface EdgeEntry {
  conn: Connection;
  selected: boolean;
  edge: Edge;
}

/**
 * Builds React Flow's nodes and edges from the document, reusing the previous object of every
 * node and edge whose inputs did not change. INVARIANT: a drag frame replaces only the moved
 * nodes' objects, so React Flow and the memoized StepNode skip every other node (1,000+ steps).
 */
export class FlowElementCache {
  private lastNodes: FlowNode[] = [];
  private lastEdges: Edge[] = [];
  private steps = new Map<string, StepEntry>();
  private notes = new Map<string, NoteEntry>();
  private edges = new Map<string, EdgeEntry>();

  /** Notes (drawn first, under the steps) then steps; the previous array when no node changed. */
  nodes(notes: NoteNodeType[], steps: StepNodeType[]): FlowNode[] {
    const all: FlowNode[] = [...notes, ...steps];
    if (sameItems(all, this.lastNodes)) return this.lastNodes;
    this.lastNodes = all;
    return all;
  }

  /** `englishTitle` tells a default name (the block's English title) from one the user typed. */
  stepNodes(
    steps: readonly Step[],
    selected: ReadonlySet<string>,
    measured: Readonly<Record<string, Size>>,
    blocksById: ReadonlyMap<string, BlockDefinition>,
    englishTitle: (blockId: string) => string | undefined = () => undefined,
  ): StepNodeType[] {
    const next = new Map<string, StepEntry>();
    const out = steps.map((step) => {
      const isSelected = selected.has(step.id);
      const size = measured[step.id];
      const title = blocksById.get(step.type)?.title;
      const prev = this.steps.get(step.id);
      if (prev && prev.step === step && prev.selected === isSelected && prev.size === size && prev.title === title) {
        next.set(step.id, prev);
        return prev.node;
      }
      const label = stepTitle(step.label, blocksById.get(step.type), englishTitle(step.type)) || step.id;
      const node: StepNodeType = {
        id: step.id,
        type: 'step',
        position: step.position,
        data: prev && prev.node.data.label === label && prev.node.data.blockId === step.type ? prev.node.data : { blockId: step.type, label },
        selected: isSelected,
        ariaLabel: label,
        // data-* attributes pass through to the node element; the type only lists standard ones.
        domAttributes: { 'data-testid': `step-${step.id}` } as StepNodeType['domAttributes'],
        ...(size ? { measured: size } : {}),
      };
      next.set(step.id, { step, selected: isSelected, size, title, node });
      return node;
    });
    this.steps = next;
    return out;
  }

  noteNodes(notes: readonly Note[], selected: ReadonlySet<string>, noteLabel: (n: Note) => string): NoteNodeType[] {
    const next = new Map<string, NoteEntry>();
    const out = notes.map((note) => {
      const isSelected = selected.has(note.id);
      const prev = this.notes.get(note.id);
      if (prev && prev.note === note && prev.selected === isSelected) {
        next.set(note.id, prev);
        return prev.node;
      }
      const size = note.size ?? NOTE_SIZE;
      const node: NoteNodeType = {
        id: noteNodeId(note.id),
        type: 'note',
        position: note.position,
        data: { noteId: note.id, text: note.text, color: note.color ?? 'yellow' },
        selected: isSelected,
        width: size.width,
        height: size.height,
        // Notes sit under the steps and wires they explain.
        zIndex: -1,
        ariaLabel: noteLabel(note),
        domAttributes: { 'data-testid': `note-${note.id}` } as NoteNodeType['domAttributes'],
      };
      next.set(note.id, { note, selected: isSelected, node });
      return node;
    });
    this.notes = next;
    return out;
  }

  edgeList(connections: readonly Connection[], steps: readonly Step[], selected: ReadonlySet<string>, blocksById: ReadonlyMap<string, BlockDefinition>, edgeLabel: (c: Connection) => string): Edge[] {
    // Built only when an edge is new or changed: a drag frame reuses every edge object.
    let typeOf: Map<string, string> | null = null;
    const next = new Map<string, EdgeEntry>();
    const out = connections.map((c) => {
      const id = connectionId(c);
      const isSelected = selected.has(id);
      const prev = this.edges.get(id);
      if (prev && prev.conn === c && prev.selected === isSelected) {
        next.set(id, prev);
        return prev.edge;
      }
      typeOf ??= new Map(steps.map((s) => [s.id, s.type]));
      const type = typeOf.get(c.from.step);
      const family = formatFamily((type && blocksById.get(type)?.outputs.find((o) => o.id === c.from.port)?.format) ?? '');
      const label = edgeLabel(c);
      const edge: Edge = {
        id,
        source: c.from.step,
        sourceHandle: c.from.port,
        target: c.to.step,
        targetHandle: c.to.port,
        selected: isSelected,
        className: `fam-${family}`,
        ariaLabel: label,
      };
      next.set(id, { conn: c, selected: isSelected, edge });
      return edge;
    });
    this.edges = next;
    if (sameItems(out, this.lastEdges)) return this.lastEdges;
    this.lastEdges = out;
    return out;
  }
}

function sameItems<T>(a: readonly T[], b: readonly T[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
