import type { Connection as FlowConnection, Edge, EdgeChange, FinalConnectionState, IsValidConnection, NodeChange, OnConnectEnd } from '@xyflow/react';
import { Background, Controls, MiniMap, ReactFlow, useReactFlow } from '@xyflow/react';
import { useCallback, useEffect, useMemo } from 'react';
import type { PortRef } from '../../shared/document';
import { formatFamily } from '../lib/visuals';
import { useAppStore } from '../state/appStore';
import { connectionId } from '../state/documentStore';
import { useDocument, useDocumentStoreApi } from '../state/hooks';
import type { StepNodeType } from './StepNode';
import { StepNode } from './StepNode';

// INVARIANT: module scope, so React Flow never sees a new node type object and remounts nodes.
const nodeTypes = { step: StepNode };
const DELETE_KEYS = ['Delete', 'Backspace'];

/** MIME type of a palette item dragged onto the canvas. */
export const BLOCK_DRAG_TYPE = 'application/x-fluxo-block';

function ends(c: FlowConnection | Edge): { from: PortRef; to: PortRef } | null {
  if (!c.sourceHandle || !c.targetHandle) return null;
  return { from: { step: c.source, port: c.sourceHandle }, to: { step: c.target, port: c.targetHandle } };
}

export function Canvas() {
  const store = useDocumentStoreApi();
  const steps = useDocument((s) => s.doc.steps);
  const connections = useDocument((s) => s.doc.connections);
  const selection = useDocument((s) => s.selection);
  const measured = useDocument((s) => s.measured);
  const fitRequest = useDocument((s) => s.fitRequest);
  const blocksById = useAppStore((s) => s.blocksById);
  const toast = useAppStore((s) => s.toast);
  const { screenToFlowPosition, fitView } = useReactFlow();

  const nodes = useMemo<StepNodeType[]>(() => {
    const selected = new Set(selection.steps);
    return steps.map((s) => {
      const label = s.label || blocksById.get(s.type)?.title || s.id;
      const size = measured[s.id];
      return {
        id: s.id,
        type: 'step',
        position: s.position,
        data: { blockId: s.type, label },
        selected: selected.has(s.id),
        ariaLabel: label,
        // data-* attributes pass through to the node element; the type only lists standard ones.
        domAttributes: { 'data-testid': `step-${s.id}` } as StepNodeType['domAttributes'],
        ...(size ? { measured: size } : {}),
      };
    });
  }, [steps, selection.steps, measured, blocksById]);

  const edges = useMemo<Edge[]>(() => {
    const selected = new Set(selection.connections);
    const outFormat = (step: string, port: string) => {
      const type = steps.find((s) => s.id === step)?.type;
      return (type && blocksById.get(type)?.outputs.find((o) => o.id === port)?.format) ?? '';
    };
    return connections.map((c) => {
      const id = connectionId(c);
      return {
        id,
        source: c.from.step,
        sourceHandle: c.from.port,
        target: c.to.step,
        targetHandle: c.to.port,
        selected: selected.has(id),
        className: `fam-${formatFamily(outFormat(c.from.step, c.from.port))}`,
        ariaLabel: `Connection from ${c.from.step} ${c.from.port} to ${c.to.step} ${c.to.port}`,
      };
    });
  }, [connections, selection.connections, steps, blocksById]);

  useEffect(() => {
    if (fitRequest > 0) void fitView({ padding: 0.08, maxZoom: 1, duration: 0 });
  }, [fitRequest, fitView]);

  const onNodesChange = useCallback(
    (changes: NodeChange<StepNodeType>[]) => {
      const s = store.getState();
      let selected: Set<string> | null = null;
      for (const change of changes) {
        if (change.type === 'position' && change.position) {
          s.moveStep(change.id, { x: Math.round(change.position.x), y: Math.round(change.position.y) });
        } else if (change.type === 'dimensions' && change.dimensions) {
          s.setMeasured(change.id, { width: change.dimensions.width, height: change.dimensions.height });
        } else if (change.type === 'select') {
          selected ??= new Set(store.getState().selection.steps);
          if (change.selected) selected.add(change.id);
          else selected.delete(change.id);
        }
        // 'remove' is handled once, in onDelete, together with the edges.
      }
      if (selected) store.getState().select({ steps: [...selected] });
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
    ({ nodes: gone, edges: cut }: { nodes: StepNodeType[]; edges: Edge[] }) => {
      const s = store.getState();
      if (cut.length) s.disconnect(cut.map((e) => e.id));
      if (gone.length) s.removeSteps(gone.map((n) => n.id));
    },
    [store],
  );

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
      if (!check.ok) toast({ kind: 'error', title: 'These ports cannot be connected', message: check.reason ?? '' });
    },
    [store, toast],
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
      if (!check.ok) toast({ kind: 'error', title: 'These ports cannot be connected', message: check.reason ?? '' });
    },
    [store, toast],
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

  return (
    <section className="canvas" aria-label="Canvas" onDragOver={onDragOver} onDrop={onDrop}>
      <ReactFlow
        nodes={nodes}
        edges={edges}
        nodeTypes={nodeTypes}
        onNodesChange={onNodesChange}
        onEdgesChange={onEdgesChange}
        onDelete={onDelete}
        onConnect={onConnect}
        onConnectEnd={onConnectEnd}
        isValidConnection={isValidConnection}
        deleteKeyCode={DELETE_KEYS}
        fitView
        fitViewOptions={{ padding: 0.08, maxZoom: 1 }}
        minZoom={0.2}
        maxZoom={2}
        connectionRadius={24}
      >
        <Background gap={20} />
        <Controls />
        {steps.length > 0 && <MiniMap pannable zoomable ariaLabel="Overview of the pipeline" nodeClassName={(n) => `minimap-node cat-${blocksById.get((n.data as StepNodeType['data']).blockId)?.category ?? 'unknown'}`} />}
      </ReactFlow>
      {steps.length === 0 && (
        <div className="canvas-empty" aria-hidden="true">
          <p>Click a block in the palette, or drag it here, to start your pipeline.</p>
        </div>
      )}
    </section>
  );
}
