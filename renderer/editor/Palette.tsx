import { useId, useMemo, useState } from 'react';
import type { BlockDefinition } from '../../shared/catalog';
import { CATEGORY_ORDER, CATEGORY_TITLES } from '../lib/visuals';
import { useAppStore } from '../state/appStore';
import { useDocumentStoreApi } from '../state/hooks';
import { BLOCK_DRAG_TYPE } from './Canvas';

function matches(block: BlockDefinition, query: string): boolean {
  if (!query) return true;
  const q = query.toLowerCase();
  return [block.title, block.description, block.id, block.category].some((t) => t.toLowerCase().includes(q));
}

/** The blocks, grouped by category. Click or Enter adds a block; dragging drops it on the canvas. */
export function Palette() {
  const catalog = useAppStore((s) => s.catalog);
  const store = useDocumentStoreApi();
  const [query, setQuery] = useState('');
  const searchId = useId();
  const groups = useMemo(() => {
    const blocks = (catalog?.blocks ?? []).filter((b) => matches(b, query.trim()));
    return CATEGORY_ORDER.map((category) => ({ category, blocks: blocks.filter((b) => b.category === category) })).filter((g) => g.blocks.length > 0);
  }, [catalog, query]);

  return (
    <aside className="palette" aria-label="Palette">
      <div className="palette-search">
        <label htmlFor={searchId}>Search blocks</label>
        <input id={searchId} type="search" value={query} onChange={(e) => setQuery(e.target.value)} placeholder="Name or purpose" autoComplete="off" />
      </div>
      {groups.length === 0 && <p className="palette-empty">No block matches “{query}”.</p>}
      {groups.map((g) => (
        <section key={g.category} className="palette-group" aria-labelledby={`${searchId}-${g.category}`}>
          <h3 id={`${searchId}-${g.category}`} className={`palette-heading cat-${g.category}`}>
            {CATEGORY_TITLES[g.category]}
          </h3>
          <ul>
            {g.blocks.map((b) => (
              <li key={b.id} className="palette-item">
                <button
                  type="button"
                  className={`palette-block cat-${b.category}`}
                  aria-describedby={`${searchId}-${b.id}-desc`}
                  draggable
                  onDragStart={(e) => {
                    e.dataTransfer.setData(BLOCK_DRAG_TYPE, b.id);
                    e.dataTransfer.effectAllowed = 'copy';
                  }}
                  onClick={() => store.getState().addStep(b.id)}
                >
                  {b.title}
                </button>
                <div role="tooltip" id={`${searchId}-${b.id}-desc`} className="tooltip">
                  {b.description}
                </div>
              </li>
            ))}
          </ul>
        </section>
      ))}
    </aside>
  );
}
