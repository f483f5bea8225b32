import type { NodeProps } from '@xyflow/react';
import { Handle, Position, useConnection } from '@xyflow/react';
import { memo, useCallback } from 'react';
import { useTranslation } from 'react-i18next';
import type { StepRecord } from '../../shared/api';
import type { InputPort, OutputPort } from '../../shared/catalog';
import type { Problem } from '../../shared/validate';
import { t as translate } from '../i18n';
import { formatFamily } from '../lib/visuals';
import { useAppStore } from '../state/appStore';
import { useDocument, useDocumentStoreApi, useSession } from '../state/hooks';
import { canvasUi } from './canvas/canvasUi';
import type { StepNodeType } from './canvas/flowElements';

export type { StepNodeData, StepNodeType } from './canvas/flowElements';

/** What the canvas shows of a step's run: a state class and its words (never the colour alone). */
export function runBadge(record: Pick<StepRecord, 'state' | 'cached' | 'scheduler'>): { kind: string; text: string; detail: string | null } {
  if (record.state === 'waiting' && record.scheduler) {
    const reason = record.scheduler.reasonText;
    return { kind: 'queued', text: translate('canvas:state.queued'), detail: reason };
  }
  if (record.state === 'completed' && record.cached) return { kind: 'cached', text: translate('canvas:state.completed'), detail: translate('canvas:state.cached') };
  return { kind: record.state, text: translate(`canvas:state.${record.state}`), detail: null };
}

/** Problems by step, computed once per validation (not once per node per store change). */
const problemIndex = new WeakMap<readonly Problem[], Map<string, { errors: number; first: string }>>();
function problemsOf(problems: readonly Problem[], stepId: string): { errors: number; first: string } | undefined {
  let index = problemIndex.get(problems);
  if (!index) {
    index = new Map();
    for (const p of problems) {
      if (!p.stepId) continue;
      const entry = index.get(p.stepId) ?? { errors: 0, first: p.message };
      if (p.severity === 'error') entry.errors += 1;
      index.set(p.stepId, entry);
    }
    problemIndex.set(problems, index);
  }
  return index.get(stepId);
}

/** Renders per step id; tests read it to prove a drag re-renders only the dragged node. */
export const stepNodeRenders = new Map<string, number>();

/** The port being dragged from, as one string (so a pointer move during a connection renders nothing). */
function connectingFrom(c: { inProgress: boolean; fromHandle?: { nodeId: string; id?: string | null; type: string } | null }): string | null {
  return c.inProgress && c.fromHandle ? `${c.fromHandle.nodeId}\u0000${c.fromHandle.id ?? ''}\u0000${c.fromHandle.type}` : null;
}

/** The one node type: any block, drawn from its definition. */
function StepNodeView({ id, data, selected }: NodeProps<StepNodeType>) {
  if (import.meta.env.MODE === 'test') stepNodeRenders.set(id, (stepNodeRenders.get(id) ?? 0) + 1);
  const { t } = useTranslation('canvas');
  const store = useDocumentStoreApi();
  const block = useAppStore((s) => s.blocksById.get(data.blockId));
  const errorCount = useDocument((s) => problemsOf(s.problems, id)?.errors ?? 0);
  const firstProblem = useDocument((s) => problemsOf(s.problems, id)?.first ?? null);
  const editable = useDocument((s) => !s.readOnly && !s.doc.lock);
  const docKey = useDocument((s) => s.key);
  const record = useSession((s) => (s.docKey === docKey ? (s.steps[id] ?? null) : null));
  const from = useConnection(connectingFrom);

  /** While a connection is dragged: whether this handle would accept it (null: not a candidate). */
  const compatible = useCallback(
    (direction: 'in' | 'out', port: string): boolean | null => {
      if (!from) return null;
      const [step, fromPort, type] = from.split('\u0000') as [string, string, string];
      if (step === id) return null;
      const fromOut = type === 'source';
      if ((direction === 'in') !== fromOut) return null;
      const check = fromOut ? store.getState().checkConnect({ step, port: fromPort }, { step: id, port }) : store.getState().checkConnect({ step: id, port }, { step, port: fromPort });
      return check.ok;
    },
    [from, id, store],
  );

  const openMenu = (e: React.KeyboardEvent, direction: 'in' | 'out', port: string) => {
    if (e.key !== 'Enter' && e.key !== ' ') return;
    // The node would take Enter/Space as "select me".
    e.preventDefault();
    e.stopPropagation();
    if (editable) canvasUi.getState().setConnectFrom({ step: id, port, direction });
  };

  if (!block) {
    return (
      <div className="step-node unknown">
        <div className="step-node-header">
          <span className="step-node-title">{data.label}</span>
        </div>
        <p className="step-node-note">{t('unknownBlock', { block: data.blockId })}</p>
      </div>
    );
  }

  const badge = record ? runBadge(record) : null;
  const handleClass = (direction: 'in' | 'out', port: InputPort | OutputPort, optional: boolean) => {
    const ok = compatible(direction, port.id);
    return `fam-${formatFamily(port.format)} ${optional ? 'optional' : ''} ${ok === true ? 'can-connect' : ok === false ? 'cannot-connect' : ''}`;
  };

  return (
    <div className={`step-node cat-${block.category} ${badge ? `state-${badge.kind === 'queued' || badge.kind === 'cached' ? record!.state : badge.kind}` : ''} ${selected ? 'selected' : ''} ${errorCount ? 'has-problems' : ''} ${from ? 'connecting' : ''}`}>
      <div className="step-node-header">
        <span className="step-node-title">{data.label}</span>
        {data.label !== block.title && <span className="step-node-block">{block.title}</span>}
      </div>
      {(badge || errorCount > 0) && (
        <div className="step-node-badges">
          {badge && (
            <span className={`state-badge state-${badge.kind}`} data-testid={`state-${id}`} title={badge.detail ?? undefined}>
              {badge.kind === 'running' && <span className="spinner" aria-hidden="true" />}
              {badge.kind === 'queued' && <span aria-hidden="true">⏳</span>}
              <span>{badge.text}</span>
              {badge.detail && <span className="state-detail">{badge.kind === 'cached' ? `(${badge.detail})` : `· ${badge.detail}`}</span>}
            </span>
          )}
          {errorCount > 0 && (
            <span className="problem-badge" title={firstProblem ?? undefined}>
              ⚠ {t('problemCount', { count: errorCount })}
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
                className={handleClass('in', p, !p.required)}
                data-testid={`handle-${id}-in-${p.id}`}
                aria-label={t('port.input', { title: p.title, format: p.format })}
                aria-haspopup="dialog"
                aria-keyshortcuts="Enter"
                tabIndex={0}
                role="button"
                onKeyDown={(e) => openMenu(e, 'in', p.id)}
                title={`${p.title} (${p.format})${p.required ? '' : t('port.optionalSuffix')}${p.description ? `: ${p.description}` : ''}`}
              />
              <span className={`port-title ${p.required ? '' : 'optional'}`}>
                {p.title}
                {!p.required && <span className="visually-hidden"> {t('port.optional')}</span>}
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
                className={handleClass('out', p, false)}
                data-testid={`handle-${id}-out-${p.id}`}
                aria-label={t('port.output', { title: p.title, format: p.format })}
                aria-haspopup="dialog"
                aria-keyshortcuts="Enter"
                tabIndex={0}
                role="button"
                onKeyDown={(e) => openMenu(e, 'out', p.id)}
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
