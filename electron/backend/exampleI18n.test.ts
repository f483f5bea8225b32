// @vitest-environment node
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BLOCK_LANGUAGES, localizeExample } from '../../shared/catalog';
import { loadExampleIndex, summarizeExample } from './resources';

const examplesDir = path.resolve(__dirname, '../../resources/examples');

describe('example translations', () => {
  it('every shipped example has its title and description in Spanish and Galician', async () => {
    const entries = await loadExampleIndex(examplesDir);
    expect(entries.length).toBeGreaterThan(0);
    for (const entry of entries) {
      for (const lang of BLOCK_LANGUAGES) {
        const tr = entry.i18n?.[lang];
        expect(tr?.title?.trim(), `${entry.id} ${lang} title`).toBeTruthy();
        expect(tr?.description?.trim(), `${entry.id} ${lang} description`).toBeTruthy();
        expect(tr?.title, `${entry.id} ${lang} title is translated`).not.toBe(entry.title);
      }
    }
  });

  it('reach the renderer with the summary, which shows them per language with English as fallback', async () => {
    const entry = (await loadExampleIndex(examplesDir)).find((e) => e.id === 'breast-cancer-classifier')!;
    const summary = summarizeExample(entry, ['dataset']);
    expect(localizeExample(summary, 'gl').title).toBe('Clasificador de cancro de mama');
    expect(localizeExample(summary, 'en').title).toBe('Breast cancer classifier');
    expect(localizeExample({ ...summary, i18n: { gl: { title: 'Só o título' } } }, 'gl')).toMatchObject({ title: 'Só o título', description: summary.description });
  });

  it('refuses an unknown key in an example translation', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'fluxo-examples-'));
    try {
      writeFileSync(path.join(dir, 'index.json'), JSON.stringify([{ id: 'x', file: 'x.fluxo', title: 'X', description: 'D', targets: [], i18n: { gl: { titulo: 'X' } } }]));
      await expect(loadExampleIndex(dir)).rejects.toThrow(/titulo/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
