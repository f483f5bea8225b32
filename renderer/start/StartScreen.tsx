import { useShallow } from 'zustand/react/shallow';
import { newPipeline, openExample, openPipeline } from '../actions/files';
import { useAppStore } from '../state/appStore';
import { ExampleThumbnail } from './ExampleThumbnail';
import { SettingsEntry } from '../settings/entries';

export function StartScreen() {
  const { examples, targets, blocksById, catalog, ready, editor } = useAppStore(
    useShallow((s) => ({ examples: s.examples, targets: s.targets, blocksById: s.blocksById, catalog: s.catalog, ready: s.ready, editor: s.editor })),
  );
  const showEditor = useAppStore((s) => s.openEditor);
  const targetTitle = (id: string) => targets.find((t) => t.id === id)?.title ?? id;

  return (
    <main className="start" aria-labelledby="start-title">
      <header className="start-header">
        <div>
          <h1 id="start-title">
            <span className="logo" aria-hidden="true">◆</span> Fluxo
          </h1>
          <p className="start-tagline">Build health-AI pipelines from blocks and run them on this computer.</p>
        </div>
        <div className="start-actions">
          <button type="button" className="button primary" onClick={() => void newPipeline()} disabled={!ready}>
            New pipeline
          </button>
          <button type="button" className="button" onClick={() => void openPipeline()} disabled={!ready}>
            Open…
          </button>
          <SettingsEntry />
          {editor && (
            <button type="button" className="button" onClick={() => showEditor(editor)}>
              Back to “{editor.getState().doc.metadata.name || 'Untitled pipeline'}”
            </button>
          )}
        </div>
      </header>

      {catalog && catalog.problems.length > 0 && (
        <section className="catalog-problems" aria-labelledby="catalog-problems-title">
          <h2 id="catalog-problems-title">Some blocks could not be loaded</h2>
          <p>The other blocks work. Fix these definitions and restart Fluxo:</p>
          <ul>
            {catalog.problems.map((p, i) => (
              <li key={i}>
                <code>{p.file}</code>
                {p.field && (
                  <>
                    {' '}
                    field <code>{p.field}</code>
                  </>
                )}
                : {p.message}
              </li>
            ))}
          </ul>
        </section>
      )}

      <section aria-labelledby="examples-title" className="examples">
        <h2 id="examples-title">Examples</h2>
        <p className="section-lead">Open one, press Run, and look at the results. Nothing is changed until you save it under a name of your own.</p>
        {!ready && <p aria-busy="true">Loading…</p>}
        {ready && examples.length === 0 && <p>No examples are installed.</p>}
        <ul className="example-grid">
          {examples.map((ex) => (
            <li key={ex.id} className="example-card">
              <article aria-labelledby={`ex-${ex.id}`}>
                <ExampleThumbnail blocks={ex.blocks} blocksById={blocksById} />
                <h3 id={`ex-${ex.id}`}>{ex.title}</h3>
                <p className="example-description">{ex.description}</p>
                <p className="example-targets">
                  Runs on: {ex.targets.map(targetTitle).join(', ') || '—'} · {ex.blocks.length} steps
                </p>
                <button type="button" className="button primary" aria-label={`Open example ${ex.title}`} onClick={() => void openExample(ex.id)}>
                  Open
                </button>
              </article>
            </li>
          ))}
        </ul>
      </section>
    </main>
  );
}
