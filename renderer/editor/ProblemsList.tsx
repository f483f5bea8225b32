import { useReactFlow } from '@xyflow/react';
import { useShallow } from 'zustand/react/shallow';
import { useDocument, useDocumentStoreApi } from '../state/hooks';

/** Every validation problem; a button per problem selects the step it is on. */
export function ProblemsList() {
  const store = useDocumentStoreApi();
  const problems = useDocument(useShallow((s) => s.problems));
  const { fitView } = useReactFlow();
  const reveal = (stepId: string) => {
    store.getState().select({ steps: [stepId], connections: [] });
    void fitView({ nodes: [{ id: stepId }], maxZoom: 1, padding: 0.6, duration: 250 });
  };
  if (problems.length === 0) return <p className="panel-empty">No problems: the pipeline is ready to run.</p>;
  return (
    <ul className="problems">
      {problems.map((p, i) => (
        <li key={`${p.code}-${i}`} className={`problem problem-${p.severity}`}>
          <span className={`problem-icon ${p.severity}`} aria-hidden="true">
            !
          </span>
          <span className="visually-hidden">{p.severity === 'error' ? 'Error:' : 'Warning:'}</span>
          <div>
            {p.stepId ? (
              <button type="button" className="link-button" onClick={() => reveal(p.stepId!)}>
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
