import { act, cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createEmptyDocument } from '../../shared/document';
import { useAppStore } from '../state/appStore';
import { createDocumentStore } from '../state/documentStore';
import { DocumentStoreContext } from '../state/hooks';
import { fixtureBlocks } from '../testing/fixtures';
import { Inspector } from './Inspector';
import { Palette } from './Palette';

const blocks = fixtureBlocks();

function setup() {
  const store = createDocumentStore({ doc: createEmptyDocument('T', new Date()), path: null, blocks });
  render(
    <DocumentStoreContext.Provider value={store}>
      <Palette />
      <Inspector />
    </DocumentStoreContext.Provider>,
  );
  return store;
}

describe('palette and inspector', () => {
  beforeEach(() => {
    useAppStore.getState().setLoaded({ host: null, catalog: { blocks, problems: [] }, targets: [], examples: [] });
  });
  afterEach(cleanup);

  it('each palette item is a button named exactly by the block title, and clicking it adds and selects the step', () => {
    const store = setup();
    fireEvent.click(screen.getByRole('button', { name: 'Train classifier' }));
    expect(store.getState().doc.steps.map((s) => s.id)).toEqual(['train']);
    expect(screen.getByRole('heading', { level: 2, name: 'Train classifier' })).toBeTruthy();
  });

  it('searching the palette keeps only matching blocks', () => {
    setup();
    fireEvent.change(screen.getByLabelText('Search blocks'), { target: { value: 'split' } });
    expect(screen.getByRole('button', { name: 'Split train/test' })).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Report' })).toBeNull();
  });

  it('the form follows the definition: choosing Random forest shows Number of trees and hides C', () => {
    const store = setup();
    fireEvent.click(screen.getByRole('button', { name: 'Train classifier' }));
    expect(screen.getByLabelText('Regularisation (C)')).toBeTruthy();
    expect(screen.queryByLabelText('Number of trees')).toBeNull();
    fireEvent.click(screen.getByRole('radio', { name: 'Random forest' }));
    expect(screen.queryByLabelText('Regularisation (C)')).toBeNull();
    const trees = screen.getByLabelText('Number of trees') as HTMLInputElement;
    expect(trees.value).toBe('200');
    expect(trees.getAttribute('aria-valuemin')).toBe('10');
    expect(store.getState().doc.steps[0]!.params.model).toBe('random_forest');
  });

  it('an invalid value is marked invalid, with its message linked to the field', () => {
    setup();
    fireEvent.click(screen.getByRole('button', { name: 'Split train/test' }));
    const fraction = screen.getByLabelText('Test fraction');
    fireEvent.change(fraction, { target: { value: '2' } });
    expect(fraction.getAttribute('aria-invalid')).toBe('true');
    const ids = fraction.getAttribute('aria-describedby')!.split(' ');
    const texts = ids.map((id) => document.getElementById(id)?.textContent);
    expect(texts).toContain('Test fraction must be at most 0.9 (it is 2)');
    expect(texts.some((t) => t?.startsWith('Share of the rows kept aside'))).toBe(true);
  });

  it('a boolean is a checkbox and an emptied number field says it is required', () => {
    const store = setup();
    fireEvent.click(screen.getByRole('button', { name: 'Split train/test' }));
    const stratify = screen.getByRole('checkbox', { name: 'Stratify' }) as HTMLInputElement;
    expect(stratify.checked).toBe(true);
    fireEvent.click(stratify);
    expect(store.getState().doc.steps[0]!.params.stratify).toBe(false);
    fireEvent.change(screen.getByLabelText('Random seed'), { target: { value: '' } });
    expect(screen.getByText('Random seed is required')).toBeTruthy();
  });

  it('renaming a step updates its heading; the block title shows when the label is cleared', () => {
    const store = setup();
    fireEvent.click(screen.getByRole('button', { name: 'Report' }));
    fireEvent.change(screen.getByLabelText('Label'), { target: { value: 'Findings' } });
    expect(screen.getByRole('heading', { level: 2, name: 'Findings' })).toBeTruthy();
    act(() => store.getState().setLabel('report', ''));
    expect(screen.getByRole('heading', { level: 2, name: 'Report' })).toBeTruthy();
  });
});
