import { cleanup, fireEvent, render, screen, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createEmptyDocument } from '../../shared/document';
import { useAppStore } from '../state/appStore';
import { createDocumentStore } from '../state/documentStore';
import { DocumentStoreContext } from '../state/hooks';
import { exampleDocument, fixtureBlocks } from '../testing/fixtures';
import { Palette } from './Palette';
import { matchScore } from './palette/search';

const blocks = fixtureBlocks();
const block = (id: string) => blocks.find((b) => b.id === id)!;

function setup(doc = createEmptyDocument('T', new Date('2026-01-01T00:00:00Z')), readOnly = false) {
  const store = createDocumentStore({ doc, path: null, blocks, readOnly });
  render(
    <DocumentStoreContext.Provider value={store}>
      <Palette />
    </DocumentStoreContext.Provider>,
  );
  return store;
}

const search = (text: string) => fireEvent.change(screen.getByLabelText('Search blocks'), { target: { value: text } });
const shown = () => screen.queryAllByRole('button').filter((b) => b.classList.contains('palette-block')).map((b) => b.textContent);

describe('palette', () => {
  beforeEach(() => useAppStore.getState().setLoaded({ host: null, catalog: { blocks, problems: [] }, targets: [], examples: [] }));
  afterEach(cleanup);

  it('searching a port format finds every block that reads or writes it', () => {
    setup();
    search('image.nifti');
    const titles = shown();
    const expected = blocks.filter((b) => [...b.inputs, ...b.outputs].some((p) => p.format === 'image.nifti')).map((b) => b.title);
    expect(expected.length).toBeGreaterThan(0);
    expect([...titles].sort()).toEqual([...expected].sort());
  });

  it('ranks a title match above a match in the description, and needs every word to match', () => {
    expect(matchScore(block('split-train-test'), 'split')).toBeGreaterThan(matchScore(block('train-classifier'), 'split'));
    expect(matchScore(block('split-train-test'), 'split nonsense-word')).toBe(0);
  });

  it('says so when nothing matches', () => {
    setup();
    search('zzzz');
    expect(screen.getByText('No block matches “zzzz”.')).toBeTruthy();
  });

  it('the help of a block lists its inputs and outputs with their formats, and can add it', () => {
    const store = setup();
    const toggle = screen.getByRole('button', { name: 'About Train classifier' });
    expect(toggle.getAttribute('aria-expanded')).toBe('false');
    fireEvent.click(toggle);
    expect(toggle.getAttribute('aria-expanded')).toBe('true');
    const help = screen.getByRole('region', { name: 'About Train classifier' });
    for (const p of [...block('train-classifier').inputs, ...block('train-classifier').outputs]) expect(within(help).getByText(p.format)).toBeTruthy();
    expect(within(help).getByText(/Typical use/)).toBeTruthy();
    fireEvent.click(within(help).getByRole('button', { name: 'Add Train classifier' }));
    expect(store.getState().doc.steps.map((s) => s.type)).toEqual(['train-classifier']);
  });

  it('a locked pipeline cannot get new steps from the palette, and says why', () => {
    const doc = exampleDocument();
    doc.lock = { editable: [], message: '' };
    const store = setup(doc);
    const button = screen.getByRole('button', { name: 'Report' });
    expect((button as HTMLButtonElement).disabled).toBe(true);
    expect(screen.getByText(/locked by your instructor/)).toBeTruthy();
    fireEvent.click(button);
    expect(store.getState().doc.steps).toHaveLength(doc.steps.length);
  });
});
