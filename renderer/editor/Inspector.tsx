import { useId } from 'react';
import { useTranslation } from 'react-i18next';
import { useShallow } from 'zustand/react/shallow';
import type { BlockDefinition } from '../../shared/catalog';
import { effectiveParams, isParamVisible } from '../../shared/catalog';
import type { Step } from '../../shared/document';
import { isParamEditable } from '../../shared/document';
import { CATEGORY_TITLES } from '../lib/visuals';
import { useStepTitle } from '../lib/stepTitle';
import { useAppStore } from '../state/appStore';
import { useDocument, useDocumentStoreApi } from '../state/hooks';
import '../styles/inspector.css';
import { BlockHelp } from './inspector/BlockHelp';
import { EnvironmentSection } from './inspector/EnvironmentSection';
import type { FieldLock } from './inspector/ParamField';
import { ParamField } from './inspector/ParamField';
import { ResourcesSection } from './inspector/ResourcesSection';
import { ScriptSection } from './inspector/ScriptSection';
import { useChosenTarget } from './inspector/useTarget';
import { LockIcon } from './inspector/LockIcon';

const NO_BLOCKS: BlockDefinition[] = [];

/** Settings of the selected step, generated from its block definition. */
export function Inspector() {
  const { t } = useTranslation('inspector');
  const selected = useDocument(useShallow((s) => s.selection.steps));
  const step = useDocument((s) => (s.selection.steps.length === 1 ? s.doc.steps.find((x) => x.id === s.selection.steps[0]) : undefined));
  const block = useAppStore((s) => (step ? s.blocksById.get(step.type) : undefined));

  return (
    <aside className="inspector" aria-label={t('label')}>
      {step && block ? (
        <StepInspector key={step.id} step={step} block={block} />
      ) : step ? (
        <p className="inspector-empty">{t('unknownBlock', { type: step.type })}</p>
      ) : selected.length > 1 ? (
        <p className="inspector-empty">{t('manySelected', { count: selected.length })}</p>
      ) : (
        <PipelineOverview />
      )}
    </aside>
  );
}

function PipelineOverview() {
  const { t } = useTranslation('inspector');
  const description = useDocument((s) => s.doc.metadata.description);
  const count = useDocument((s) => s.doc.steps.length);
  return (
    <div className="inspector-overview">
      <h2>{t('pipeline')}</h2>
      {description ? <p className="inspector-description">{description}</p> : null}
      <p className="inspector-empty">{count === 0 ? t('emptyPipeline') : t('stepCount', { count })}</p>
    </div>
  );
}

function StepInspector({ step, block }: { step: Step; block: BlockDefinition }) {
  const { t } = useTranslation('inspector');
  const store = useDocumentStoreApi();
  const lock = useDocument((s) => s.doc.lock);
  const readOnly = useDocument((s) => s.readOnly);
  const blocks = useAppStore((s) => s.catalog?.blocks ?? NO_BLOCKS);
  const target = useChosenTarget();
  const problems = useDocument(useShallow((s) => s.problems.filter((p) => p.stepId === step.id && !p.field?.match(/^[a-z_0-9]+$/)).map((p) => p.message)));
  const labelId = useId();
  const values = effectiveParams(block, step.params);
  const visible = block.params.filter((def) => isParamVisible(def, values));
  // A past run is read-only as a whole; a locked pipeline keeps the marked params live.
  const graphLock: FieldLock = readOnly ? 'past-run' : lock ? 'instructor' : 'none';
  const paramLock = (paramId: string): FieldLock => (readOnly ? 'past-run' : isParamEditable({ lock }, step.id, paramId) ? 'none' : 'instructor');
  const stepName = useStepTitle(step.label, step.type);

  return (
    <div className="step-inspector" data-step={step.id}>
      <h2 className="inspector-title">{stepName}</h2>
      <p className="inspector-block">
        <span className={`category-chip cat-${block.category}`}>{CATEGORY_TITLES[block.category]}</span> {block.title} · {t('stepWord')} <code>{step.id}</code>
      </p>
      <p className="inspector-description">{block.description}</p>
      {graphLock !== 'none' && (
        <p className="inspector-lock-banner" role="note">
          <LockIcon /> 
          {graphLock === 'instructor' ? (lock?.message ? t('lock.bannerWithMessage', { message: lock.message }) : t('lock.banner')) : t('lock.pastRunBanner')}
        </p>
      )}

      <div className="field">
        <label htmlFor={labelId}>{t('stepLabel')}</label>
        <input id={labelId} type="text" data-field="label" value={step.label} maxLength={200} placeholder={block.title} disabled={graphLock !== 'none'} onChange={(e) => store.getState().setLabel(step.id, e.target.value)} />
      </div>

      {problems.length > 0 && (
        <ul className="inspector-problems" aria-label={t('problemsOfStep')}>
          {problems.map((m, i) => (
            <li key={i}>{m}</li>
          ))}
        </ul>
      )}

      <h3 className="inspector-section">{t('settings')}</h3>
      {visible.length === 0 && <p className="inspector-empty">{t('noSettings')}</p>}
      <form className="param-form" onSubmit={(e) => e.preventDefault()} aria-label={t('settingsOf', { name: stepName })}>
        {visible.map((def) => (
          <ParamField key={def.id} def={def} step={step} lock={paramLock(def.id)} />
        ))}
      </form>

      <ResourcesSection step={step} block={block} target={target} blocks={blocks} lock={graphLock} />
      <EnvironmentSection step={step} block={block} target={target} />
      <ScriptSection stepId={step.id} blocks={blocks} target={target} />
      <BlockHelp block={block} />
    </div>
  );
}
