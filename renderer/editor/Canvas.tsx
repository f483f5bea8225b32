import type { Connection as FlowConnection, Edge, EdgeChange, FinalConnectionState, IsValidConnection, NodeChange, OnConnectEnd } from '@xyflow/react';
import { Background, Controls, MiniMap, ReactFlow, useReactFlow } from '@xyflow/react';
import { useCallback, useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { PortRef } from '../../shared/document';
import { useAppStore } from '../state/appStore';
import { useDocument, useDocumentStoreApi } from '../state/hooks';
import { isNoteNode, noteIdOf } from './canvas/canvasUi';
import { pointer, useCanvasCommands } from './canvas/commands';
import { ConnectMenu } from './canvas/ConnectMenu';
import type { FlowNode, StepNodeType } from './canvas/flowElements';
import { FlowElementCache } from './canvas/flowElements';
import { CANVAS_VIEW } from './canvasView';
import { NoteNode } from './canvas/NoteNode';
import { useCanvasShortcuts } from './canvas/shortcuts';
import { ShortcutsHelp } from './canvas/ShortcutsHelp';
import { StepNode } from './StepNode';
import '../styles/canvas.css';

// INVARIANT: module scope, so React Flow never sees a new node type object and remounts nodes.
const nodeTypes = { step: StepNode, note: NoteNode };
const DELETE_KEYS = ['Delete', 'Backspace'];
const MULTI_SELECT_KEYS = ['Shift', 'Meta', 'Control'];

/** MIME type of a palette item dragged onto the canvas. */
export const BLOCK_DRAG_TYPE = 'application/x-fluxo-block';

function ends(c: FlowConnection | Edge): { from: PortRef; to: PortRef } | null {
  if (!c.sourceHandle || !c.targetHandle) return null;
  return { from: { step: c.source, port: c.sourceHandle }, to: { step: c.target, port: c.targetHandle } };
}

/** Why nothing on the canvas can be moved or wired, when that is so. */
function LockBanner() {
  const { t } = useTranslation('canvas');
  const readOnly = useDocument((s) => s.readOnly);
  const lockMessage = useDocument((s) => (s.doc.lock ? s.doc.lock.message : null));
  if (!readOnly && lockMessage === null) return null;
  return (
    <div className="canvas-banner" role="note" data-testid="canvas-lock-banner">
      <svg className="canvas-banner-icon" viewBox="0 0 16 16" width="16" height="16" aria-hidden="true">
        <rect x="3" y="7" width="10" height="7" rx="1.5" fill="currentColor" />
        <path d="M5.5 7V5a2.5 2.5 0 0 1 5 0v2" fill="none" stroke="currentColor" strokeWidth="1.6" />
      </svg>
      <span className="canvas-banner-text">
        <strong>{readOnly ? t('banner.readOnly') : t('banner.locked')}</strong>
        {!readOnly && lockMessage && <span className="canvas-banner-message">{lockMessage}</span>}
      </span>
    </div>
  );
}

export function Canvas() {
  const { t } = useTranslation('canvas');
  const store = useDocumentStoreApi();
  const steps = useDocument((s) => s.doc.steps);
  const notes = useDocument((s) => s.doc.notes);
  const connections = useDocument((s) => s.doc.connections);
  const selection = useDocument((s) => s.selection);
  const measured = useDocument((s) => s.measured);
  const fitRequest = useDocument((s) => s.fitRequest);
  const editable = useDocument((s) => !s.readOnly && !s.doc.lock);
  const blocksById = useAppStore((s) => s.blocksById);
  const englishBlocks = useAppStore((s) => s.source.catalog?.blocks);
  const englishTitle = useMemo(() => {
    const titles = new Map((englishBlocks ?? []).map((b) => [b.id, b.title]));
    return (id: string) => titles.get(id);
  }, [englishBlocks]);
  const toast = useAppStore((s) => s.toast);
  const { screenToFlowPosition, fitView } = useReactFlow();
  const commands = useCanvasCommands();
  useCanvasShortcuts(commands, editable);

  // Per open canvas: keeps node and edge objects stable between renders (see FlowElementCache).
  const [cache] = useState(() => new FlowElementCache());

  const nodes = useMemo<FlowNode[]>(() => {
    const c = cache;
    const noteLabel = (n: { text: string }) => t('note.label', { text: n.text.trim().split('\n')[0]?.slice(0, 60) || t('note.empty') });
    // Notes first: drawn under the steps.
    return c.nodes(c.noteNodes(notes, new Set(selection.notes), noteLabel), c.stepNodes(steps, new Set(selection.steps), measured, blocksById, englishTitle));
  }, [cache, steps, notes, selection.steps, selection.notes, measured, blocksById, englishTitle, t]);

  // Not keyed on the steps: a drag changes steps every frame but no edge, and a new edges array
  // makes React Flow rebuild its connection lookup for every edge (the main cost at 1,000 steps).
  const edges = useMemo<Edge[]>(
    () => cache.edgeList(connections, store.getState().doc.steps, new Set(selection.connections), blocksById, (c) => t('edgeLabel', { from: c.from.step, fromPort: c.from.port, to: c.to.step, toPort: c.to.port })),
    [cache, store, connections, selection.connections, blocksById, t],
  );

  useEffect(() => {
    if (fitRequest > 0) void fitView({ padding: 0.08, maxZoom: 1, duration: 0 });
  }, [fitRequest, fitView]);

  const onNodesChange = useCallback(
    (changes: NodeChange<FlowNode>[]) => {
      const s = store.getState();
      let selectedSteps: Set<string> | null = null;
      let selectedNotes: Set<string> | null = null;
      const stepMoves: Record<string, { x: number; y: number }> = {};
      const noteMoves: Record<string, { x: number; y: number }> = {};
      let moved = false;
      let sizes: Record<string, { width: number; height: number }> | null = null;
      for (const change of changes) {
        if (change.type === 'position' && change.position) {
          const at = { x: Math.round(change.position.x), y: Math.round(change.position.y) };
          if (isNoteNode(change.id)) noteMoves[noteIdOf(change.id)] = at;
          else stepMoves[change.id] = at;
          moved = true;
        } else if (change.type === 'dimensions' && change.dimensions && !isNoteNode(change.id)) {
          (sizes ??= {})[change.id] = { width: change.dimensions.width, height: change.dimensions.height };
        } else if (change.type === 'select') {
          if (isNoteNode(change.id)) {
            selectedNotes ??= new Set(store.getState().selection.notes);
            if (change.selected) selectedNotes.add(noteIdOf(change.id));
            else selectedNotes.delete(noteIdOf(change.id));
          } else {
            selectedSteps ??= new Set(store.getState().selection.steps);
            if (change.selected) selectedSteps.add(change.id);
            else selectedSteps.delete(change.id);
          }
        }
        // 'remove' is handled once, in onDelete, together with the edges.
      }
      if (sizes) s.setMeasuredMany(sizes);
      // One edit per frame for every moved node; a drag gesture or a key-repeat burst is one entry.
      if (moved) s.moveMany({ steps: stepMoves, notes: noteMoves }, { burst: true });
      if (selectedSteps || selectedNotes) store.getState().select({ ...(selectedSteps ? { steps: [...selectedSteps] } : {}), ...(selectedNotes ? { notes: [...selectedNotes] } : {}) });
    },
    [store],
  );

  const onEdgesChange = useCallback(
    (changes: EdgeChange[]) => {
      let selected: Set<string> | null = null;
      for (const change of changes) {
        if (change.type !== 'select') continue;
        selected ??= new Set(store.getState().selection.connections);
        if (change.selected) selected.add(change.id);
        else selected.delete(change.id);
      }
      if (selected) store.getState().select({ connections: [...selected] });
    },
    [store],
  );

  const onDelete = useCallback(
    ({ nodes: gone, edges: cut }: { nodes: FlowNode[]; edges: Edge[] }) => {
      store.getState().removeElements({
        steps: gone.filter((n) => !isNoteNode(n.id)).map((n) => n.id),
        notes: gone.filter((n) => isNoteNode(n.id)).map((n) => noteIdOf(n.id)),
        connections: cut.map((e) => e.id),
      });
    },
    [store],
  );

  const beginGesture = useCallback(() => store.getState().beginGesture(), [store]);
  const endGesture = useCallback(() => store.getState().endGesture(), [store]);

  const isValidConnection = useCallback<IsValidConnection>(
    (c) => {
      const e = ends(c);
      return e ? store.getState().checkConnect(e.from, e.to).ok : false;
    },
    [store],
  );

  const onConnect = useCallback(
    (c: FlowConnection) => {
      const e = ends(c);
      if (!e) return;
      const check = store.getState().connect(e.from, e.to);
      if (!check.ok) toast({ kind: 'error', title: t('cannotConnect'), message: check.reason ?? '' });
    },
    [store, toast, t],
  );

  // Dropping on a handle that isValidConnection refused: say why, in words.
  const onConnectEnd = useCallback<OnConnectEnd>(
    (_event, state: FinalConnectionState) => {
      if (!state.toHandle || state.isValid !== false || !state.fromHandle) return;
      const a = { step: state.fromHandle.nodeId, port: state.fromHandle.id ?? '', type: state.fromHandle.type };
      const b = { step: state.toHandle.nodeId, port: state.toHandle.id ?? '', type: state.toHandle.type };
      if (a.type === b.type) return;
      const [from, to] = a.type === 'source' ? [a, b] : [b, a];
      const check = store.getState().checkConnect({ step: from.step, port: from.port }, { step: to.step, port: to.port });
      if (!check.ok) toast({ kind: 'error', title: t('cannotConnect'), message: check.reason ?? '' });
    },
    [store, toast, t],
  );

  const onDragOver = useCallback((e: React.DragEvent) => {
    if (!e.dataTransfer.types.includes(BLOCK_DRAG_TYPE)) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = 'copy';
  }, []);

  const onDrop = useCallback(
    (e: React.DragEvent) => {
      const blockId = e.dataTransfer.getData(BLOCK_DRAG_TYPE);
      if (!blockId) return;
      e.preventDefault();
      const at = screenToFlowPosition({ x: e.clientX, y: e.clientY });
      // The drop point is where the header is grabbed: a little inside the node's top-left corner.
      store.getState().addStep(blockId, { x: at.x - 100, y: at.y - 16 });
    },
    [screenToFlowPosition, store],
  );

  const onPointerMove = useCallback(
    (e: React.PointerEvent) => {
      pointer.at = screenToFlowPosition({ x: e.clientX, y: e.clientY });
    },
    [screenToFlowPosition],
  );
  const onPointerLeave = useCallback(() => {
    pointer.at = null;
  }, []);
  useEffect(
    () => () => {
      pointer.at = null;
    },
    [],
  );

  // Stable, so a drag frame re-renders only the moved node's minimap rectangle, not all of them.
  const minimapClass = useCallback(
    (n: FlowNode) => (n.type === 'note' ? 'minimap-note' : `minimap-node cat-${blocksById.get((n.data as StepNodeType['data']).blockId)?.category ?? 'unknown'}`),
    [blocksById],
  );

  const empty = steps.length === 0 && notes.length === 0;
  return (
    <section className="canvas" aria-label={t('region')} onDragOver={onDragOver} onDrop={onDrop} onPointerMove={onPointerMove} onPointerLeave={onPointerLeave}>
      <LockBanner />
      <ReactFlow
        nodes={nodes}
        edges={edges}
        nodeTypes={nodeTypes}
        onNodesChange={onNodesChange}
        onEdgesChange={onEdgesChange}
        onDelete={onDelete}
        onConnect={onConnect}
        onConnectEnd={onConnectEnd}
        onNodeDragStart={beginGesture}
        onNodeDragStop={endGesture}
        onSelectionDragStart={beginGesture}
        onSelectionDragStop={endGesture}
        isValidConnection={isValidConnection}
        deleteKeyCode={editable ? DELETE_KEYS : null}
        multiSelectionKeyCode={MULTI_SELECT_KEYS}
        selectionKeyCode="Shift"
        nodesDraggable={editable}
        nodesConnectable={editable}
        edgesReconnectable={false}
        onlyRenderVisibleElements={CANVAS_VIEW.onlyRenderVisibleElements}
        fitView
        fitViewOptions={{ padding: 0.08, maxZoom: 1 }}
        minZoom={CANVAS_VIEW.minZoom}
        maxZoom={CANVAS_VIEW.maxZoom}
        connectionRadius={24}
      >
        <Background gap={20} />
        <Controls />
        {!empty && (
          <MiniMap
            pannable
            zoomable
            ariaLabel={t('minimap')}
            nodeClassName={minimapClass}
          />
        )}
      </ReactFlow>
      {empty && (
        <div className="canvas-empty" aria-hidden="true">
          <p>{t('empty')}</p>
        </div>
      )}
      <ConnectMenu store={store} />
      <ShortcutsHelp />
    </section>
  );
}
