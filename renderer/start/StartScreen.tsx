import { useTranslation } from 'react-i18next';
import { useShallow } from 'zustand/react/shallow';
import { newPipeline, openExample, openPipeline } from '../actions/files';
import { LanguagePicker } from '../components/LanguagePicker';
import { useAppStore } from '../state/appStore';
import { ExampleThumbnail } from './ExampleThumbnail';
import { SettingsEntry } from '../settings/entries';
import { RecentFiles } from './RecentFiles';
import { RecoveryNotice } from './RecoveryNotice';
import { startTour } from './startTour';
import { useTour } from './tourState';
import '../styles/start.css';

/** The first-run invitation to the tour; after it was taken or skipped, a link restarts it. */
function TourInvitation() {
  const { t } = useTranslation('start');
  const outcome = useTour((s) => s.outcome);
  if (outcome !== null) return null;
  return (
    <section className="tour-invitation" aria-labelledby="tour-invitation-title">
      <div>
        <h2 id="tour-invitation-title">{t('tourInvitation.title')}</h2>
        <p>{t('tourInvitation.body')}</p>
      </div>
      <div className="tour-invitation-actions">
        <button type="button" className="button subtle" onClick={() => useTour.getState().skip()}>
          {t('tourInvitation.skip')}
        </button>
        <button type="button" className="button primary" onClick={() => void startTour()}>
          {t('tourInvitation.start')}
        </button>
      </div>
    </section>
  );
}

export function StartScreen() {
  const { t } = useTranslation('start');
  const { examples, targets, blocksById, catalog, ready, editor } = useAppStore(
    useShallow((s) => ({ examples: s.examples, targets: s.targets, blocksById: s.blocksById, catalog: s.catalog, ready: s.ready, editor: s.editor })),
  );
  const tourOutcome = useTour((s) => s.outcome);
  const showEditor = useAppStore((s) => s.openEditor);
  const targetTitle = (id: string) => targets.find((x) => x.id === id)?.title ?? id;
  const targetWords = (ids: readonly string[]) => {
    const titles = ids.map(targetTitle);
    if (titles.length === 0) return t('examples.noTargets');
    if (titles.length === 1) return titles[0]!;
    return t('examples.targetList', { first: titles.slice(0, -1).join(', '), last: titles.at(-1) });
  };

  return (
    <main className="start" aria-labelledby="start-title">
      <header className="start-header">
        <div>
          <h1 id="start-title">
            <span className="logo" aria-hidden="true">◆</span> Fluxo
          </h1>
          <p className="start-tagline">{t('tagline')}</p>
        </div>
        <div className="start-actions">
          <button type="button" className="button primary" onClick={() => void newPipeline()} disabled={!ready}>
            {t('newPipeline')}
          </button>
          <button type="button" className="button" onClick={() => void openPipeline()} disabled={!ready}>
            {t('open')}
          </button>
          <SettingsEntry />
          {editor && (
            <button type="button" className="button" onClick={() => showEditor(editor)}>
              {t('backTo', { name: editor.getState().doc.metadata.name || t('common:untitledPipeline') })}
            </button>
          )}
          {tourOutcome !== null && (
            <button type="button" className="link-button start-tour-link" onClick={() => void startTour()} disabled={!ready}>
              {t('takeTour')}
            </button>
          )}
          <LanguagePicker />
        </div>
      </header>

      <RecoveryNotice />
      {ready && <TourInvitation />}

      {catalog && catalog.problems.length > 0 && (
        <section className="catalog-problems" aria-labelledby="catalog-problems-title">
          <h2 id="catalog-problems-title">{t('catalogProblems.title')}</h2>
          <p>{t('catalogProblems.lead')}</p>
          <ul>
            {catalog.problems.map((p, i) => (
              <li key={i}>
                <code>{p.file}</code>
                {p.field && (
                  <>
                    {' '}
                    {t('catalogProblems.field')} <code>{p.field}</code>
                  </>
                )}
                : {p.message}
              </li>
            ))}
          </ul>
        </section>
      )}

      {ready && <RecentFiles />}

      <section aria-labelledby="examples-title" className="examples">
        <h2 id="examples-title">{t('examples.title')}</h2>
        <p className="section-lead">{t('examples.lead')}</p>
        {!ready && <p aria-busy="true">{t('loading')}</p>}
        {ready && examples.length === 0 && <p>{t('examples.none')}</p>}
        <ul className="example-grid">
          {examples.map((ex) => (
            <li key={ex.id} className="example-card">
              <article aria-labelledby={`ex-${ex.id}`}>
                <ExampleThumbnail blocks={ex.blocks} blocksById={blocksById} />
                <h3 id={`ex-${ex.id}`}>{ex.title}</h3>
                <p className="example-description">{ex.description}</p>
                <p className="example-targets">
                  {t('examples.runsOn', { targets: targetWords(ex.targets) })} · {t('examples.steps', { count: ex.blocks.length })}
                </p>
                <button type="button" className="button primary" aria-label={t('examples.openNamed', { title: ex.title })} onClick={() => void openExample(ex.id)}>
                  {t('examples.open')}
                </button>
              </article>
            </li>
          ))}
        </ul>
      </section>
    </main>
  );
}
