import { useEffect, useId, useRef, useState } from 'react';
import { useSession } from '../state/hooks';
import { STATE_TEXT } from './StepNode';

const FOLLOW = '';

/** Step logs as they stream in; follows the running step unless the user picks one. */
export function RunLog() {
  const runSteps = useSession((s) => s.run?.steps);
  const states = useSession((s) => s.steps);
  const [chosen, setChosen] = useState(FOLLOW);
  const parsed = (runSteps ?? []).map((x) => ({ id: x.id, label: x.label, state: states[x.id]?.state ?? x.state }));
  const followed = parsed.find((s) => s.state === 'running') ?? parsed.find((s) => s.state === 'failed') ?? [...parsed].reverse().find((s) => s.state === 'completed') ?? parsed[0];
  const stepId = chosen && parsed.some((s) => s.id === chosen) ? chosen : (followed?.id ?? '');
  const text = useSession((s) => s.logs[stepId] ?? '');
  const pre = useRef<HTMLPreElement>(null);
  const atBottom = useRef(true);
  const selectId = useId();

  useEffect(() => {
    const el = pre.current;
    if (el && atBottom.current) el.scrollTop = el.scrollHeight;
  }, [text, stepId]);

  if (parsed.length === 0) return <p className="panel-empty">Run the pipeline to see what each step prints here.</p>;

  return (
    <div className="run-log">
      <div className="run-log-bar">
        <label htmlFor={selectId}>Step</label>
        <select id={selectId} value={chosen} onChange={(e) => setChosen(e.target.value)}>
          <option value={FOLLOW}>Follow the run{followed ? ` (${followed.label})` : ''}</option>
          {parsed.map((s) => (
            <option key={s.id} value={s.id}>
              {s.label} — {STATE_TEXT[s.state]}
            </option>
          ))}
        </select>
      </div>
      <pre
        ref={pre}
        className="log-text"
        tabIndex={0}
        aria-label={`Log of ${parsed.find((s) => s.id === stepId)?.label ?? 'the step'}`}
        onScroll={(e) => {
          const el = e.currentTarget;
          atBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < 24;
        }}
      >
        {text || <span className="muted">No output yet.</span>}
      </pre>
    </div>
  );
}
