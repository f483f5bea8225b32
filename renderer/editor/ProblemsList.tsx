import { useReactFlow } from '@xyflow/react';
import { useTranslation } from 'react-i18next';
import { useShallow } from 'zustand/react/shallow';
import type { Problem } from '../../shared/validate';
import { useDocument, useDocumentStoreApi } from '../state/hooks';

/** The element a problem's field is shown in: an inspector input, or the port's handle on the canvas. */
export function fieldElement(stepId: string, field: string): HTMLElement | null {
  const q = (v: string) => `"${v.replace(/["\\]/g, '\\$&')}"`;
  const port = /^(inputs|outputs)\.(.+)$/.exec(field);
  if (port) return document.querySelector<HTMLElement>(`[data-testid=${q(`handle-${stepId}-${port[1] === 'inputs' ? 'in' : 'out'}-${port[2]}`)}]`);
  return document.querySelector<HTMLElement>(`[data-step=${q(stepId)}] [data-field=${q(field)}]`);
}

/** Every validation problem; a button per problem selects and centres its step, then focuses its field. */
export function ProblemsList() {
  const { t } = useTranslation('canvas');
  const store = useDocumentStoreApi();
  const problems = useDocument(useShallow((s) => s.problems));
  const { setCenter } = useReactFlow();
  const reveal = (p: Problem) => {
    const stepId = p.stepId!;
    const { doc, measured } = store.getState();
    const step = doc.steps.find((s) => s.id === stepId);
    store.getState().select({ steps: [stepId], connections: [], notes: [] });
    // Centred from the document, not React Flow's measurements: in a big pipeline a step out of
    // view is not rendered, so it has never been measured.
    if (step) {
      const size = measured[stepId] ?? { width: 210, height: 140 };
      void setCenter(step.position.x + size.width / 2, step.position.y + size.height / 2, { zoom: 1, duration: 250 });
    }
    if (!p.field) return;
    // The inspector renders the step's fields after the selection: look for a few frames.
    let tries = 0;
    const focus = () => {
      const el = fieldElement(stepId, p.field!);
      if (el) {
        el.focus();
        el.scrollIntoView?.({ block: 'nearest' });
      } else if (++tries < 20) requestAnimationFrame(focus);
    };
    requestAnimationFrame(focus);
  };
  if (problems.length === 0) return <p className="panel-empty">{t('problems.none')}</p>;
  return (
    <ul className="problems">
      {problems.map((p, i) => (
        <li key={`${p.code}-${i}`} className={`problem problem-${p.severity}`}>
          <span className={`problem-icon ${p.severity}`} aria-hidden="true">
            !
          </span>
          <span className="visually-hidden">{p.severity === 'error' ? t('problems.error') : t('problems.warning')}</span>
          <div>
            {p.stepId ? (
              <button type="button" className="link-button" onClick={() => reveal(p)}>
                {p.message}
              </button>
            ) : (
              <span>{p.message}</span>
            )}
            <p className="problem-fix">
              {p.fix} <span className="problem-code">{p.code}</span>
            </p>
          </div>
        </li>
      ))}
    </ul>
  );
}
