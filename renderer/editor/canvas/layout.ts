import type { ElkNode } from 'elkjs/lib/elk-api';
import type { BlockDefinition } from '../../../shared/catalog';
import type { PipelineDocument } from '../../../shared/document';
import type { Position, Size } from '../../state/documentStore';

const DEFAULT_SIZE: Size = { width: 210, height: 140 };

/** The ELK graph of a pipeline: one node per step with its ports in the order the block lists them. */
export function elkGraph(doc: PipelineDocument, blocksById: ReadonlyMap<string, BlockDefinition>, measured: Readonly<Record<string, Size>>): ElkNode {
  const portId = (step: string, dir: 'in' | 'out', port: string) => `${step}\u0000${dir}\u0000${port}`;
  return {
    id: 'root',
    layoutOptions: {
      'elk.algorithm': 'layered',
      'elk.direction': 'RIGHT',
      'elk.spacing.nodeNode': '40',
      'elk.layered.spacing.nodeNodeBetweenLayers': '70',
      'elk.layered.nodePlacement.strategy': 'BRANDES_KOEPF',
      'elk.layered.crossingMinimization.semiInteractive': 'true',
    },
    children: doc.steps.map((s) => {
      const block = blocksById.get(s.type);
      const size = measured[s.id] ?? DEFAULT_SIZE;
      return {
        id: s.id,
        width: size.width,
        height: size.height,
        // Ports keep the block's order, so wires leave and enter in the order they are drawn.
        layoutOptions: { 'elk.portConstraints': 'FIXED_ORDER' },
        ports: [
          ...(block?.inputs ?? []).map((p, i) => ({ id: portId(s.id, 'in', p.id), width: 1, height: 1, layoutOptions: { 'elk.port.side': 'WEST', 'elk.port.index': String(i) } })),
          ...(block?.outputs ?? []).map((p, i) => ({ id: portId(s.id, 'out', p.id), width: 1, height: 1, layoutOptions: { 'elk.port.side': 'EAST', 'elk.port.index': String(i) } })),
        ],
      };
    }),
    edges: doc.connections
      .filter((c) => blocksById.has(doc.steps.find((s) => s.id === c.from.step)?.type ?? '') && blocksById.has(doc.steps.find((s) => s.id === c.to.step)?.type ?? ''))
      .map((c, i) => ({ id: `e${i}`, sources: [portId(c.from.step, 'out', c.from.port)], targets: [portId(c.to.step, 'in', c.to.port)] })),
  };
}

/** Left-to-right layered positions of every step (elkjs, loaded on first use). */
export async function layoutPositions(doc: PipelineDocument, blocksById: ReadonlyMap<string, BlockDefinition>, measured: Readonly<Record<string, Size>>): Promise<Record<string, Position>> {
  if (!doc.steps.length) return {};
  const { default: ELK } = await import('elkjs/lib/elk.bundled.js');
  const elk = new ELK();
  const out = await elk.layout(elkGraph(doc, blocksById, measured));
  const positions: Record<string, Position> = {};
  for (const child of out.children ?? []) positions[child.id] = { x: Math.round(child.x ?? 0), y: Math.round(child.y ?? 0) };
  return positions;
}
