import { useId, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import type { BlockDefinition, InputPort, OutputPort } from '../../shared/catalog';
import { Markdown } from '../lib/markdown';
import { CATEGORY_ORDER, CATEGORY_TITLES, formatFamily } from '../lib/visuals';
import { useAppStore } from '../state/appStore';
import { useDocument, useDocumentStoreApi } from '../state/hooks';
import '../styles/palette.css';
import { BLOCK_DRAG_TYPE } from './Canvas';
import { matchScore } from './palette/search';

/**
 * The blocks, grouped by category. Click or Enter adds a block; dragging drops it on the canvas;
 * the ⓘ button beside each opens its help (what it does, inputs, outputs, a typical use).
 */
export function Palette() {
  const { t } = useTranslation('palette');
  const catalog = useAppStore((s) => s.catalog);
  const store = useDocumentStoreApi();
  const frozen = useDocument((s) => s.readOnly || s.doc.lock !== undefined);
  const readOnly = useDocument((s) => s.readOnly);
  const [query, setQuery] = useState('');
  const [open, setOpen] = useState<string | null>(null);
  const searchId = useId();
  const groups = useMemo(() => {
    const q = query.trim();
    const scored = (catalog?.blocks ?? [])
      .map((b) => ({ b, score: matchScore(b, q, CATEGORY_TITLES[b.category]) }))
      .filter((x) => x.score > 0)
      .sort((x, y) => y.score - x.score || x.b.title.localeCompare(y.b.title));
    return CATEGORY_ORDER.map((category) => ({ category, blocks: scored.filter((x) => x.b.category === category).map((x) => x.b) })).filter((g) => g.blocks.length > 0);
  }, [catalog, query]);

  return (
    <aside className="palette" aria-label={t('region')}>
      <div className="palette-search">
        <label htmlFor={searchId}>{t('search')}</label>
        <input id={searchId} type="search" value={query} onChange={(e) => setQuery(e.target.value)} placeholder={t('searchPlaceholder')} autoComplete="off" />
      </div>
      {frozen && <p className="palette-frozen">{readOnly ? t('readOnly') : t('locked')}</p>}
      {groups.length === 0 && <p className="palette-empty">{t('noMatch', { query })}</p>}
      {groups.map((g) => (
        <section key={g.category} className="palette-group" aria-labelledby={`${searchId}-${g.category}`}>
          <h3 id={`${searchId}-${g.category}`} className={`palette-heading cat-${g.category}`}>
            {CATEGORY_TITLES[g.category]}
          </h3>
          <ul>
            {g.blocks.map((b) => (
              <PaletteItem
                key={b.id}
                block={b}
                idBase={`${searchId}-${b.id}`}
                disabled={frozen}
                helpOpen={open === b.id}
                onToggleHelp={() => setOpen(open === b.id ? null : b.id)}
                onAdd={() => store.getState().addStep(b.id)}
              />
            ))}
          </ul>
        </section>
      ))}
    </aside>
  );
}

interface ItemProps {
  block: BlockDefinition;
  idBase: string;
  disabled: boolean;
  helpOpen: boolean;
  onToggleHelp(): void;
  onAdd(): void;
}

function PaletteItem({ block: b, idBase, disabled, helpOpen, onToggleHelp, onAdd }: ItemProps) {
  const { t } = useTranslation('palette');
  const helpId = `${idBase}-help`;
  return (
    <li className="palette-item">
      <div className="palette-row">
        <button
          type="button"
          className={`palette-block cat-${b.category}`}
          aria-describedby={`${idBase}-desc`}
          draggable={!disabled}
          disabled={disabled}
          onDragStart={(e) => {
            e.dataTransfer.setData(BLOCK_DRAG_TYPE, b.id);
            e.dataTransfer.effectAllowed = 'copy';
          }}
          onClick={onAdd}
        >
          {b.title}
        </button>
        <button type="button" className="palette-info" aria-expanded={helpOpen} aria-controls={helpId} aria-label={t('about', { title: b.title })} title={t('about', { title: b.title })} onClick={onToggleHelp}>
          <span aria-hidden="true">i</span>
        </button>
      </div>
      <div role="tooltip" id={`${idBase}-desc`} className="tooltip">
        {b.description}
      </div>
      {helpOpen && (
        <section id={helpId} className="palette-help" aria-label={t('about', { title: b.title })}>
          <p className="palette-help-description">{b.description}</p>
          <PortList title={t('inputs')} ports={b.inputs} none={t('noInputs')} />
          <PortList title={t('outputs')} ports={b.outputs} none={t('noOutputs')} />
          {b.help && <Markdown className="palette-help-text" text={b.help} />}
          {!disabled && (
            <button type="button" className="button small" onClick={onAdd}>
              {t('add', { title: b.title })}
            </button>
          )}
        </section>
      )}
    </li>
  );
}

function PortList({ title, ports, none }: { title: string; ports: ReadonlyArray<InputPort | OutputPort>; none: string }) {
  return (
    <>
      <h4 className="palette-help-heading">{title}</h4>
      {ports.length === 0 ? (
        <p className="palette-help-none">{none}</p>
      ) : (
        <ul className="palette-ports">
          {ports.map((p) => (
            <li key={p.id}>
              <span className={`format-dot fam-${formatFamily(p.format)}`} aria-hidden="true" /> {p.title} <code>{p.format}</code>
            </li>
          ))}
        </ul>
      )}
    </>
  );
}
