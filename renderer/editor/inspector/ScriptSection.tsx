import { useEffect, useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { BlockDefinition } from '../../../shared/catalog';
import type { PipelineDocument } from '../../../shared/document';
import { useShallow } from 'zustand/react/shallow';
import { useDocument, useDocumentStoreApi } from '../../state/hooks';
import type { TargetProfile } from '../../../shared/targets';
import { NO_RUN_OPTIONS, useAppStore } from '../../state/appStore';
import type { StepScript } from './stepScript';
import { stepScript, upstreamOf } from './stepScript';

const NOTHING: unknown[] = [];

/** Every part of the document the step's script is made from, compared item by item. */
function scriptInputs(doc: PipelineDocument, stepId: string): unknown[] {
  const keep = upstreamOf(doc, stepId);
  const out: unknown[] = [doc.connections, doc.metadata.name];
  for (const s of doc.steps) if (keep.has(s.id)) out.push(s.id, s.type, s.version, s.label, s.params, s.resources, s.sweep);
  return out;
}

/** How long typing must pause before the script is compiled again. */
export const SCRIPT_DEBOUNCE_MS = 250;

/**
 * "Show script": the batch script of this step on the chosen target, compiled in the renderer
 * after typing pauses (never on the keystroke itself), read-only, with a Copy button.
 */
export function ScriptSection({ stepId, blocks, target }: { stepId: string; blocks: readonly BlockDefinition[]; target: TargetProfile | undefined }) {
  const { t } = useTranslation('inspector');
  const store = useDocumentStoreApi();
  const [open, setOpen] = useState(false);
  // What the script depends on: dragging a step on the canvas changes nothing here, so no recompile.
  const inputs = useDocument(useShallow((s) => (open ? scriptInputs(s.doc, stepId) : NOTHING)));
  const [shown, setShown] = useState<StepScript | null>(null);
  const [copied, setCopied] = useState<'idle' | 'copied' | 'failed'>('idle');
  const runOptions = useAppStore((s) => (target ? s.runOptions[target.id] : undefined));
  const base = useId();

  useEffect(() => {
    if (!open || !target) return;
    const timer = window.setTimeout(() => {
      setShown(stepScript(store.getState().doc, stepId, blocks, target, runOptions ?? NO_RUN_OPTIONS));
      setCopied('idle');
    }, SCRIPT_DEBOUNCE_MS);
    return () => window.clearTimeout(timer);
  }, [open, inputs, store, stepId, blocks, target, runOptions]);

  const copy = async () => {
    if (!shown?.ok) return;
    try {
      await navigator.clipboard.writeText(shown.script);
      setCopied('copied');
    } catch {
      setCopied('failed');
    }
  };

  return (
    <section className="inspector-script" aria-labelledby={`${base}-title`}>
      <h3 id={`${base}-title`} className="inspector-section">
        {t('script.title')}
      </h3>
      <button type="button" className="button small" aria-expanded={open} aria-controls={`${base}-body`} onClick={() => setOpen(!open)}>
        {open ? t('script.hide') : t('script.show')}
      </button>
      {open && (
        <div id={`${base}-body`} className="script-body">
          {!target ? (
            <p className="inspector-empty">{t('script.noTarget')}</p>
          ) : !shown ? (
            <p className="inspector-empty" aria-busy="true">
              {t('script.compiling')}
            </p>
          ) : shown.ok ? (
            <>
              <div className="script-toolbar">
                <span className="script-name">
                  {t('script.fileOn', { file: shown.fileName, target: target.title })}
                </span>
                <button type="button" className="button small" onClick={() => void copy()}>
                  {t('script.copy')}
                </button>
                <span role="status" className="script-copied">
                  {copied === 'copied' ? t('script.copied') : copied === 'failed' ? t('script.copyFailed') : ''}
                </span>
              </div>
              {/* Focusable so the keyboard can scroll it; read-only by nature. */}
              <pre className="script-viewer" tabIndex={0} role="region" aria-label={t('script.viewerLabel', { target: target.title })} data-testid="step-script">
                <code>{shown.script}</code>
              </pre>
            </>
          ) : (
            <div className="script-refused" role="status">
              <p>{t('script.refused', { target: target.title })}</p>
              <ul>
                {shown.reasons.map((r, i) => (
                  <li key={i}>{r}</li>
                ))}
              </ul>
            </div>
          )}
        </div>
      )}
    </section>
  );
}
