import { useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { PanelTab } from '../state/appStore';
import { useAppStore } from '../state/appStore';
import { useDocument } from '../state/hooks';
import { ResultsPanel } from '../results/ResultsPanel';
import { HistoryPanel } from '../run/HistoryPanel';
import { PreflightDialog } from '../run/PreflightDialog';
import { RunPanel } from '../run/RunPanel';
import { ProblemsList } from './ProblemsList';
import { RunStatus } from './RunStatus';

// Titles and region names are i18n keys of the "run" namespace; the English ones are what tests find.
const TABS: Array<{ id: PanelTab; title: string; region: string }> = [
  { id: 'problems', title: 'tabs.problems', region: 'tabs.problemsRegion' },
  { id: 'log', title: 'tabs.log', region: 'tabs.logRegion' },
  { id: 'results', title: 'tabs.results', region: 'tabs.resultsRegion' },
  { id: 'history', title: 'tabs.history', region: 'tabs.historyRegion' },
];

export function BottomPanel() {
  const { t } = useTranslation('run');
  const tab = useAppStore((s) => s.panelTab);
  const showPanel = useAppStore((s) => s.showPanel);
  const problemCount = useDocument((s) => s.problems.length);
  const base = useId();
  const [tall, setTall] = useState(false);

  const onKeyDown = (e: React.KeyboardEvent) => {
    const i = TABS.findIndex((x) => x.id === tab);
    const next = e.key === 'ArrowRight' ? (i + 1) % TABS.length : e.key === 'ArrowLeft' ? (i + TABS.length - 1) % TABS.length : -1;
    if (next < 0) return;
    e.preventDefault();
    showPanel(TABS[next]!.id);
    document.getElementById(`${base}-tab-${TABS[next]!.id}`)?.focus();
  };

  return (
    <div className={`bottom-panel ${tall ? 'tall' : ''}`}>
      <div className="bottom-panel-bar">
        <div role="tablist" aria-label={t('tabs.label')} onKeyDown={onKeyDown}>
          {TABS.map((x) => (
            <button
              key={x.id}
              id={`${base}-tab-${x.id}`}
              type="button"
              role="tab"
              aria-selected={tab === x.id}
              aria-controls={`${base}-panel-${x.id}`}
              tabIndex={tab === x.id ? 0 : -1}
              className="tab"
              onClick={() => showPanel(x.id)}
            >
              {t(x.title)}
              {x.id === 'problems' && problemCount > 0 && <span className="tab-count"> ({problemCount})</span>}
            </button>
          ))}
        </div>
        <span className="bar-spacer" />
        <RunStatus />
        <button type="button" className="button subtle small" aria-pressed={tall} onClick={() => setTall(!tall)}>
          {tall ? t('tabs.shrink') : t('tabs.enlarge')}
        </button>
      </div>
      {TABS.map((x) => (
        <div key={x.id} id={`${base}-panel-${x.id}`} role="tabpanel" tabIndex={0} aria-labelledby={`${base}-tab-${x.id}`} hidden={tab !== x.id} className="tab-panel">
          {tab === x.id && (
            <section aria-label={t(x.region)} className="panel-region">
              {x.id === 'problems' ? <ProblemsList /> : x.id === 'log' ? <RunPanel /> : x.id === 'results' ? <ResultsPanel /> : <HistoryPanel />}
            </section>
          )}
        </div>
      ))}
      <PreflightDialog />
    </div>
  );
}
