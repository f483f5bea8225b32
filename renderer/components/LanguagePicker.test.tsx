import { act, cleanup, fireEvent, render, screen } from '@testing-library/react';
import { useTranslation } from 'react-i18next';
import { afterEach, describe, expect, it } from 'vitest';
import { buildCatalog } from '../../shared/catalog';
import { initialLanguage, setLanguage } from '../i18n';
import gl from '../i18n/locales/gl/catalog.json';
import glApp from '../i18n/locales/gl/app.json';
import { CATEGORY_TITLES } from '../lib/visuals';
import { useAppStore } from '../state/appStore';
import { LanguagePicker } from './LanguagePicker';

const TRAIN = `
id: train
version: 1
title: Train
category: train
description: Trains a model.
params:
  - { id: model, type: string, title: Model, default: lr }
command: ["{{python}}", "train.py", "{{params.model}}"]
`;

const catalog = buildCatalog([
  {
    folder: 'train',
    file: 'block.yaml',
    siblings: [],
    text: `${TRAIN}\ni18n:\n  gl:\n    title: Adestrar\n    params: { model: { title: Modelo } }\n  es:\n    title: Entrenar\n`,
  },
]);

/** Stands for the rest of the UI: a translated string, a block title and a category name. */
function Sample() {
  const { t } = useTranslation('app');
  const block = useAppStore((s) => s.blocksById.get('train'));
  return (
    <div>
      <p data-testid="string">{t('fileDialog.replace')}</p>
      <p data-testid="block">{block?.title}</p>
      <p data-testid="param">{block?.params[0]?.title}</p>
      <p data-testid="category">{CATEGORY_TITLES.train}</p>
      <p data-testid="example">{useAppStore((s) => s.examples[0]?.title)}</p>
    </div>
  );
}

function load() {
  useAppStore.getState().setLoaded({
    host: null,
    catalog: { blocks: catalog.blocks, problems: [] },
    targets: [],
    examples: [{ id: 'ex', title: 'Breast cancer classifier', description: 'd', targets: [], blocks: ['train'], i18n: { gl: { title: 'Clasificador de cancro de mama' } } }],
  });
}

afterEach(async () => {
  cleanup();
  await act(() => setLanguage('en'));
  localStorage.clear();
});

describe('language picker', () => {
  it('lists every language in its own name under a label', () => {
    render(<LanguagePicker />);
    const select = screen.getByLabelText('Language');
    expect([...select.querySelectorAll('option')].map((o) => o.textContent)).toEqual(['English', 'Español', 'Galego']);
    expect(select).toHaveProperty('value', 'en');
  });

  it('switching to Galego re-renders strings, blocks, categories and examples at once', () => {
    load();
    render(
      <>
        <LanguagePicker />
        <Sample />
      </>,
    );
    expect(screen.getByTestId('block').textContent).toBe('Train');
    expect(screen.getByTestId('string').textContent).toBe('Replace');
    fireEvent.change(screen.getByLabelText('Language'), { target: { value: 'gl' } });
    expect(screen.getByTestId('string').textContent).toBe(glApp.fileDialog.replace);
    expect(screen.getByTestId('block').textContent).toBe('Adestrar');
    expect(screen.getByTestId('param').textContent).toBe('Modelo');
    expect(screen.getByTestId('category').textContent).toBe(gl.category.train);
    expect(screen.getByTestId('example').textContent).toBe('Clasificador de cancro de mama');
    expect(useAppStore.getState().blocksById.get('train')?.id).toBe('train');
    expect(document.documentElement.lang).toBe('gl');
  });

  it('falls back to English for a field a language does not translate', () => {
    load();
    render(
      <>
        <LanguagePicker />
        <Sample />
      </>,
    );
    fireEvent.change(screen.getByLabelText('Language'), { target: { value: 'es' } });
    expect(screen.getByTestId('block').textContent).toBe('Entrenar');
    expect(screen.getByTestId('param').textContent).toBe('Model');
    expect(screen.getByTestId('example').textContent).toBe('Breast cancer classifier');
  });

  it('remembers the choice for the next start', () => {
    render(<LanguagePicker />);
    fireEvent.change(screen.getByLabelText('Language'), { target: { value: 'es' } });
    expect(localStorage.getItem('fluxo.language')).toBe('es');
    expect(initialLanguage()).toBe('es');
    expect(screen.getByLabelText('Idioma')).toHaveProperty('value', 'es');
  });

  it('switching back to English restores the English block titles', () => {
    load();
    render(
      <>
        <LanguagePicker />
        <Sample />
      </>,
    );
    fireEvent.change(screen.getByLabelText('Language'), { target: { value: 'gl' } });
    fireEvent.change(screen.getByLabelText('Idioma'), { target: { value: 'en' } });
    expect(screen.getByTestId('block').textContent).toBe('Train');
    expect(document.documentElement.lang).toBe('en');
  });
});
