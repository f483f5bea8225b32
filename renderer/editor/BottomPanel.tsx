import { useId, useState } from 'react';
import type { PanelTab } from '../state/appStore';
import { useAppStore } from '../state/appStore';
import { useDocument } from '../state/hooks';
import { ResultsPanel } from '../results/ResultsPanel';
import { ProblemsList } from './ProblemsList';
import { RunLog } from './RunLog';
import { RunStatus } from './RunStatus';

const TABS: Array<{ id: PanelTab; title: string; region: string }> = [
  { id: 'problems', title: 'Problems', region: 'Problems' },
  { id: 'log', title: 'Log', region: 'Run log' },
  { id: 'results', title: 'Results', region: 'Results' },
];

export function BottomPanel() {
  const tab = useAppStore((s) => s.panelTab);
  const showPanel = useAppStore((s) => s.showPanel);
  const problemCount = useDocument((s) => s.problems.length);
  const base = useId();
  const [tall, setTall] = useState(false);

  const onKeyDown = (e: React.KeyboardEvent) => {
    const i = TABS.findIndex((t) => t.id === tab);
    const next = e.key === 'ArrowRight' ? (i + 1) % TABS.length : e.key === 'ArrowLeft' ? (i + TABS.length - 1) % TABS.length : -1;
    if (next < 0) return;
    e.preventDefault();
    showPanel(TABS[next]!.id);
    document.getElementById(`${base}-tab-${TABS[next]!.id}`)?.focus();
  };

  return (
    <div className={`bottom-panel ${tall ? 'tall' : ''}`}>
      <div className="bottom-panel-bar">
        <div role="tablist" aria-label="Pipeline details" onKeyDown={onKeyDown}>
          {TABS.map((t) => (
            <button
              key={t.id}
              id={`${base}-tab-${t.id}`}
              type="button"
              role="tab"
              aria-selected={tab === t.id}
              aria-controls={`${base}-panel-${t.id}`}
              tabIndex={tab === t.id ? 0 : -1}
              className="tab"
              onClick={() => showPanel(t.id)}
            >
              {t.title}
              {t.id === 'problems' && problemCount > 0 && <span className="tab-count"> ({problemCount})</span>}
            </button>
          ))}
        </div>
        <span className="bar-spacer" />
        <RunStatus />
        <button type="button" className="button subtle small" aria-pressed={tall} onClick={() => setTall(!tall)}>
          {tall ? 'Shrink panel' : 'Enlarge panel'}
        </button>
      </div>
      {TABS.map((t) => (
        <div key={t.id} id={`${base}-panel-${t.id}`} role="tabpanel" aria-labelledby={`${base}-tab-${t.id}`} hidden={tab !== t.id} className="tab-panel">
          {tab === t.id && (
            <section aria-label={t.region} className="panel-region">
              {t.id === 'problems' ? <ProblemsList /> : t.id === 'log' ? <RunLog /> : <ResultsPanel />}
            </section>
          )}
        </div>
      ))}
    </div>
  );
}
