import type { Node, NodeProps } from '@xyflow/react';
import { Handle, Position } from '@xyflow/react';
import { memo } from 'react';
import type { StepState } from '../../shared/api';
import type { InputPort, OutputPort } from '../../shared/catalog';
import { formatFamily } from '../lib/visuals';
import { useAppStore } from '../state/appStore';
import { useDocument, useSession } from '../state/hooks';

/** Plain, serializable node data: the rest comes from the catalog and the stores by id. */
export type StepNodeData = { blockId: string; label: string };
export type StepNodeType = Node<StepNodeData, 'step'>;

export const STATE_TEXT: Record<StepState, string> = {
  waiting: 'Waiting',
  running: 'Running',
  completed: 'Completed',
  failed: 'Failed',
  cancelled: 'Cancelled',
  skipped: 'Skipped',
};

function portLabel(direction: 'Input' | 'Output', port: InputPort | OutputPort): string {
  return `${direction} ${port.title} (${port.format})`;
}

/** The one node type: any block, drawn from its definition. */
function StepNodeView({ id, data, selected }: NodeProps<StepNodeType>) {
  const block = useAppStore((s) => s.blocksById.get(data.blockId));
  const errorCount = useDocument((s) => s.problems.filter((p) => p.stepId === id && p.severity === 'error').length);
  const firstProblem = useDocument((s) => s.problems.find((p) => p.stepId === id)?.message ?? null);
  const docKey = useDocument((s) => s.key);
  const state = useSession((s) => (s.docKey === docKey ? (s.steps[id]?.state ?? null) : null));

  if (!block) {
    return (
      <div className="step-node unknown">
        <div className="step-node-header">
          <span className="step-node-title">{data.label}</span>
        </div>
        <p className="step-node-note">Unknown block “{data.blockId}”</p>
      </div>
    );
  }

  return (
    <div className={`step-node cat-${block.category} ${state ? `state-${state}` : ''} ${selected ? 'selected' : ''} ${errorCount ? 'has-problems' : ''}`}>
      <div className="step-node-header">
        <span className="step-node-title">{data.label}</span>
        {data.label !== block.title && <span className="step-node-block">{block.title}</span>}
      </div>
      {(state || errorCount > 0) && (
        <div className="step-node-badges">
          {state && (
            <span className={`state-badge state-${state}`} data-testid={`state-${id}`}>
              {state === 'running' && <span className="spinner" aria-hidden="true" />}
              {STATE_TEXT[state]}
            </span>
          )}
          {errorCount > 0 && (
            <span className="problem-badge" title={firstProblem ?? undefined}>
              ⚠ {errorCount} {errorCount === 1 ? 'problem' : 'problems'}
            </span>
          )}
        </div>
      )}
      <div className="step-node-ports">
        <div className="ports ports-in">
          {block.inputs.map((p) => (
            <div className="port port-in" key={p.id}>
              <Handle
                type="target"
                position={Position.Left}
                id={p.id}
                className={`fam-${formatFamily(p.format)} ${p.required ? '' : 'optional'}`}
                data-testid={`handle-${id}-in-${p.id}`}
                aria-label={portLabel('Input', p)}
                title={`${p.title} (${p.format})${p.required ? '' : ', optional'}${p.description ? `: ${p.description}` : ''}`}
              />
              <span className={`port-title ${p.required ? '' : 'optional'}`}>
                {p.title}
                {!p.required && <span className="visually-hidden"> (optional)</span>}
              </span>
            </div>
          ))}
        </div>
        <div className="ports ports-out">
          {block.outputs.map((p) => (
            <div className="port port-out" key={p.id}>
              <span className="port-title">{p.title}</span>
              <Handle
                type="source"
                position={Position.Right}
                id={p.id}
                className={`fam-${formatFamily(p.format)}`}
                data-testid={`handle-${id}-out-${p.id}`}
                aria-label={portLabel('Output', p)}
                title={`${p.title} (${p.format})${p.description ? `: ${p.description}` : ''}`}
              />
            </div>
          ))}
        </div>
      </div>
    </div>
  );
}

export const StepNode = memo(StepNodeView);
