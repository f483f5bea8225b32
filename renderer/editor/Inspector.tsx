import { useId } from 'react';
import { useShallow } from 'zustand/react/shallow';
import type { BlockDefinition, ParamDef } from '../../shared/catalog';
import { checkParamValue, effectiveParams, effectiveParamValue, isParamVisible } from '../../shared/catalog';
import type { ParamValue, Step } from '../../shared/document';
import { Markdown } from '../lib/markdown';
import { CATEGORY_TITLES } from '../lib/visuals';
import { useAppStore } from '../state/appStore';
import { useDocument, useDocumentStoreApi } from '../state/hooks';
import { ParamWidget } from './paramWidgets';

/** Settings of the selected step, generated from its block definition. */
export function Inspector() {
  const selected = useDocument(useShallow((s) => s.selection.steps));
  const step = useDocument((s) => (s.selection.steps.length === 1 ? s.doc.steps.find((x) => x.id === s.selection.steps[0]) : undefined));
  const block = useAppStore((s) => (step ? s.blocksById.get(step.type) : undefined));

  return (
    <aside className="inspector" aria-label="Inspector">
      {step && block ? (
        <StepInspector key={step.id} step={step} block={block} />
      ) : step ? (
        <p className="inspector-empty">This step uses the block “{step.type}”, which this Fluxo does not have.</p>
      ) : selected.length > 1 ? (
        <p className="inspector-empty">{selected.length} steps selected. Press Delete to remove them.</p>
      ) : (
        <PipelineOverview />
      )}
    </aside>
  );
}

function PipelineOverview() {
  const description = useDocument((s) => s.doc.metadata.description);
  const count = useDocument((s) => s.doc.steps.length);
  return (
    <div className="inspector-overview">
      <h2>Pipeline</h2>
      {description ? <p className="inspector-description">{description}</p> : null}
      <p className="inspector-empty">
        {count === 0 ? 'Add blocks from the palette on the left.' : `${count} ${count === 1 ? 'step' : 'steps'}. Select a step to see and change its settings.`}
      </p>
    </div>
  );
}

function StepInspector({ step, block }: { step: Step; block: BlockDefinition }) {
  const store = useDocumentStoreApi();
  const problems = useDocument(useShallow((s) => s.problems.filter((p) => p.stepId === step.id && !p.field?.match(/^[a-z_0-9]+$/)).map((p) => p.message)));
  const labelId = useId();
  const values = effectiveParams(block, step.params);
  const visible = block.params.filter((def) => isParamVisible(def, values));

  return (
    <div className="step-inspector">
      <h2 className="inspector-title">{step.label || block.title}</h2>
      <p className="inspector-block">
        <span className={`category-chip cat-${block.category}`}>{CATEGORY_TITLES[block.category]}</span> {block.title} · step <code>{step.id}</code>
      </p>
      <p className="inspector-description">{block.description}</p>

      <div className="field">
        <label htmlFor={labelId}>Label</label>
        <input id={labelId} type="text" value={step.label} maxLength={200} placeholder={block.title} onChange={(e) => store.getState().setLabel(step.id, e.target.value)} />
      </div>

      {problems.length > 0 && (
        <ul className="inspector-problems" aria-label="Problems of this step">
          {problems.map((m, i) => (
            <li key={i}>{m}</li>
          ))}
        </ul>
      )}

      <h3 className="inspector-section">Settings</h3>
      {visible.length === 0 && <p className="inspector-empty">This block has no settings.</p>}
      <form className="param-form" onSubmit={(e) => e.preventDefault()} aria-label={`Settings of ${step.label || block.title}`}>
        {visible.map((def) => (
          <ParamField key={def.id} def={def} step={step} />
        ))}
      </form>

      {block.help && (
        <details className="inspector-help">
          <summary>About {block.title}</summary>
          <Markdown text={block.help} />
        </details>
      )}
    </div>
  );
}

function ParamField({ def, step }: { def: ParamDef; step: Step }) {
  const store = useDocumentStoreApi();
  const id = useId();
  const value = effectiveParamValue(def, step.params);
  const error = checkParamValue(def, value);
  const helpId = `${id}-help`;
  const errorId = `${id}-error`;
  const describedBy = [def.help ? helpId : null, error ? errorId : null].filter(Boolean).join(' ');
  const onChange = (v: ParamValue | undefined) => store.getState().setParam(step.id, def.id, v);

  return (
    <div className={`field field-${def.type} ${error ? 'invalid' : ''}`}>
      {def.type === 'boolean' ? (
        <div className="checkbox-row">
          <ParamWidget def={def} value={value} onChange={onChange} id={id} describedBy={describedBy} invalid={!!error} />
          <label htmlFor={id}>{def.title}</label>
        </div>
      ) : (
        <>
          <label htmlFor={id}>
            {def.title}
            {def.required ? '' : <span className="optional"> (optional)</span>}
          </label>
          <ParamWidget def={def} value={value} onChange={onChange} id={id} describedBy={describedBy} invalid={!!error} />
        </>
      )}
      {error && (
        <p id={errorId} className="field-error">
          {error}
        </p>
      )}
      {def.help && (
        <p id={helpId} className="field-help">
          {def.help}
        </p>
      )}
    </div>
  );
}
