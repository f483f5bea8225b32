import { useId } from 'react';
import { useTranslation } from 'react-i18next';
import { useShallow } from 'zustand/react/shallow';
import { hasErrors } from '../../shared/validate';
import { backToStart, newPipeline, openPipeline, save, saveAs } from '../actions/files';
import { cancelRun, openPreflight } from '../actions/run';
import { LanguagePicker } from '../components/LanguagePicker';
import { PastRunBanner } from '../run/HistoryPanel';
import { useAppStore } from '../state/appStore';
import { RunOptionsControl, SettingsEntry } from '../settings/entries';
import { useDocument, useDocumentStoreApi, useSession } from '../state/hooks';
import { WorkshopMenu } from '../workshop/WorkshopMenu';
import { CanvasToolbarButtons } from './canvas/CanvasToolbarButtons';

export function Toolbar() {
  const { t } = useTranslation('editor');
  const store = useDocumentStoreApi();
  const name = useDocument((s) => s.doc.metadata.name);
  const dirty = useDocument((s) => s.dirty);
  const errorCount = useDocument((s) => s.problems.filter((p) => p.severity === 'error').length);
  const blocked = useDocument((s) => hasErrors(s.problems));
  const { targets, targetId, setTarget } = useAppStore(useShallow((s) => ({ targets: s.targets, targetId: s.targetId, setTarget: s.setTarget })));
  const running = useSession((s) => s.starting || s.run?.status === 'running');
  const starting = useSession((s) => s.starting);
  const readOnly = useDocument((s) => s.readOnly);
  const nameId = useId();
  const targetFieldId = useId();
  const runHintId = useId();
  const runHint = blocked ? t('fixBeforeRunning', { count: errorCount }) : running ? t('runGoingOn') : '';

  return (
    <header className="toolbar" role="toolbar" aria-label={t('toolbar')}>
      {/* Two rows: what this pipeline is and where it runs; then what can be done to it. */}
      <div className="toolbar-row">
        <span className="toolbar-logo" aria-hidden="true">
          ◆
        </span>
        <div className="toolbar-name">
          <label htmlFor={nameId} className="visually-hidden">
            {t('pipelineName')}
          </label>
          <input id={nameId} type="text" value={name} maxLength={200} placeholder={t('common:untitledPipeline')} onChange={(e) => store.getState().renamePipeline(e.target.value)} />
          {dirty && (
            <span className="dirty-marker" title={t('unsaved')}>
              <span aria-hidden="true">•</span>
              <span className="visually-hidden">{t('unsaved')}</span>
            </span>
          )}
        </div>
        <PastRunBanner />
        <div className="toolbar-group toolbar-run">
          <label htmlFor={targetFieldId}>{t('runOn')}</label>
          <select id={targetFieldId} value={targetId} onChange={(e) => setTarget(e.target.value)} disabled={running}>
            {targets.map((t) => (
              <option key={t.id} value={t.id} title={t.description}>
                {t.title}
              </option>
            ))}
          </select>
          <RunOptionsControl disabled={running} />
          {running ? (
            <button type="button" className="button danger" onClick={() => void cancelRun()} disabled={starting}>
              {t('common:cancel')}
            </button>
          ) : null}
          <span className="tooltip-host" title={runHint || undefined}>
            <button type="button" className="button primary" onClick={() => void openPreflight()} disabled={blocked || running || readOnly} aria-describedby={runHint ? runHintId : undefined}>
              {t('run')}
            </button>
            {runHint && (
              <span id={runHintId} className="visually-hidden">
                {runHint}
              </span>
            )}
          </span>
        </div>
      </div>
      <div className="toolbar-row">
        <div className="toolbar-group">
          <button type="button" className="button" onClick={() => void newPipeline()}>
            {t('new')}
          </button>
          <button type="button" className="button" onClick={() => void openPipeline()}>
            {t('open')}
          </button>
          <button type="button" className="button" onClick={() => void save()}>
            {t('common:save')}
          </button>
          <button type="button" className="button" onClick={() => void saveAs()}>
            {t('saveAs')}
          </button>
        </div>
        <WorkshopMenu />
        <CanvasToolbarButtons />
        <span className="toolbar-spacer" />
        <LanguagePicker />
        <SettingsEntry compact />
        <button type="button" className="button subtle" onClick={() => void backToStart()}>
          {t('backToStart')}
        </button>
      </div>
    </header>
  );
}
