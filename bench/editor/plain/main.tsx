// The editor benchmark's baseline: React Flow as its documentation shows it, default nodes and
// edges, controlled with applyNodeChanges, showing the same graph as the Fluxo editor.
import type { Edge, Node, NodeChange } from '@xyflow/react';
import { applyNodeChanges, ReactFlow } from '@xyflow/react';
import '@xyflow/react/dist/style.css';
import { useCallback, useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';

interface Graph {
  nodes: Node[];
  edges: Edge[];
  /** The same viewport options the Fluxo canvas uses, so both show the same part of the graph. */
  view: { fitView: boolean; minZoom: number; maxZoom: number; onlyRenderVisibleElements: boolean };
}

function Flow({ graph }: { graph: Graph }) {
  const [nodes, setNodes] = useState(graph.nodes);
  const onNodesChange = useCallback((changes: NodeChange[]) => setNodes((ns) => applyNodeChanges(changes, ns)), []);
  return (
    <ReactFlow
      nodes={nodes}
      edges={graph.edges}
      onNodesChange={onNodesChange}
      fitView={graph.view.fitView}
      minZoom={graph.view.minZoom}
      maxZoom={graph.view.maxZoom}
      onlyRenderVisibleElements={graph.view.onlyRenderVisibleElements}
    />
  );
}

function App() {
  const [graph, setGraph] = useState<Graph | null>(null);
  useEffect(() => {
    const file = new URLSearchParams(location.search).get('graph') ?? 'graph.json';
    void fetch(file)
      .then((r) => r.json() as Promise<Graph>)
      .then(setGraph);
  }, []);
  return graph ? <Flow graph={graph} /> : null;
}

createRoot(document.getElementById('root')!).render(<App />);
