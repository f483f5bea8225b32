import { useShallow } from 'zustand/react/shallow';
import { useAppStore } from '../state/appStore';
import { useSession } from '../state/hooks';

function duration(from: string, to: string | null): string {
  if (!to) return '';
  const s = Math.max(0, Math.round((Date.parse(to) - Date.parse(from)) / 1000));
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${s % 60} s`;
}

/** One line about the current run: running with progress, or how it ended and why. */
export function RunStatus() {
  const { run, starting } = useSession(useShallow((s) => ({ run: s.run, starting: s.starting })));
  const showPanel = useAppStore((s) => s.showPanel);
  if (starting) {
    return (
      <div className="run-status running" role="status">
        <span className="spinner" aria-hidden="true" /> Starting the run…
      </div>
    );
  }
  if (!run) return null;
  const done = run.steps.filter((s) => s.state === 'completed').length;
  if (run.status === 'running') {
    return (
      <div className="run-status running" role="status">
        <span className="spinner" aria-hidden="true" /> Running… {done} of {run.steps.length} steps done
      </div>
    );
  }
  if (run.status === 'completed') {
    return (
      <div className="run-status completed" role="status">
        ✓ Run completed in {duration(run.createdAt, run.endedAt)}.{' '}
        <button type="button" className="link-button" onClick={() => showPanel('results')}>
          See the results
        </button>
      </div>
    );
  }
  if (run.status === 'cancelled') {
    return (
      <div className="run-status cancelled" role="status">
        Run cancelled after {done} of {run.steps.length} steps.
      </div>
    );
  }
  const failed = run.steps.find((s) => s.state === 'failed');
  return (
    <div className="run-status failed" role="status">
      ✕ Run failed{failed ? `: step “${failed.label}” failed${failed.exitCode !== null ? ` (exit code ${failed.exitCode})` : ''}` : ''}.
      {run.error && !failed && <> {run.error.message}</>}{' '}
      <button type="button" className="link-button" onClick={() => showPanel('log')}>
        Read its log
      </button>
    </div>
  );
}
