import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { TEST_BLOCKS } from '../../test/fixtures/catalog';
import { BLOCK_LANGUAGES, buildCatalog, localizeBlock, missingTranslations } from './index';
import type { BlockSource } from './index';

const src = (folder: string, text: string, siblings: string[] = ['train.py']): BlockSource => ({ folder, file: 'block.yaml', text, siblings });

const TRANSLATED = `${TEST_BLOCKS.train!}
i18n:
  es:
    title: Entrenar
    inputs: { data: { title: Datos de entrenamiento } }
    params:
      model: { title: Modelo, choices: { rf: Bosque aleatorio } }
  gl:
    description: Adestra un modelo.
`;

const trainBlock = () => {
  const catalog = buildCatalog([src('train', TRANSLATED)]);
  expect(catalog.problems).toEqual([]);
  return catalog.blocks[0]!;
};

describe('block translations', () => {
  it('shows translated fields and falls back to English field by field', () => {
    const es = localizeBlock(trainBlock(), 'es');
    expect(es.title).toBe('Entrenar');
    expect(es.description).toBe('Trains a model.');
    expect(es.inputs[0]!.title).toBe('Datos de entrenamiento');
    expect(es.outputs[0]!.title).toBe('Model');
    const model = es.params.find((p) => p.id === 'model')!;
    expect(model.title).toBe('Modelo');
    expect(model.type === 'choice' && model.choices.map((c) => c.title)).toEqual(['Logistic regression', 'Bosque aleatorio']);
    expect(es.params.find((p) => p.id === 'trees')!.title).toBe('Trees');
  });

  it('never translates ids, formats or choice values', () => {
    const block = trainBlock();
    const gl = localizeBlock(block, 'es');
    expect(gl.id).toBe(block.id);
    expect(gl.inputs.map((p) => [p.id, p.format])).toEqual(block.inputs.map((p) => [p.id, p.format]));
    const model = gl.params.find((p) => p.id === 'model')!;
    expect(model.type === 'choice' && model.choices.map((c) => c.value)).toEqual(['lr', 'rf']);
  });

  it('leaves the definition untouched in English, in a language it lacks, and for an unknown language', () => {
    const block = trainBlock();
    expect(localizeBlock(block, 'en')).toBe(block);
    expect(localizeBlock(block, 'fr')).toBe(block);
    expect(localizeBlock(block, 'gl').title).toBe('Train');
    expect(localizeBlock(block, 'gl').description).toBe('Adestra un modelo.');
    expect(block.title).toBe('Train');
  });

  it('refuses an unknown key in a translation and names it', () => {
    const catalog = buildCatalog([src('train', `${TEST_BLOCKS.train!}\ni18n:\n  es:\n    titel: Entrenar\n`)]);
    expect(catalog.blocks).toEqual([]);
    expect(catalog.problems[0]).toMatchObject({ file: 'train/block.yaml', field: 'i18n.es.titel', message: expect.stringMatching(/unknown key "titel"/) });
  });

  it('refuses an unknown language', () => {
    const catalog = buildCatalog([src('train', `${TEST_BLOCKS.train!}\ni18n:\n  fr:\n    title: Entraîner\n`)]);
    expect(catalog.problems[0]).toMatchObject({ field: 'i18n.fr', message: expect.stringMatching(/unknown key "fr"/) });
  });

  it('refuses a translation of a port, param or choice the block does not have', () => {
    const text = `${TEST_BLOCKS.train!}\ni18n:\n  gl:\n    inputs: { table: { title: Táboa } }\n    params: { model: { choices: { svm: Máquina de vectores } } }\n`;
    const catalog = buildCatalog([src('train', text)]);
    expect(catalog.problems.map((p) => p.field).sort()).toEqual(['i18n.gl.inputs.table', 'i18n.gl.params.model.choices.svm']);
  });

  it('lists the fields a translation leaves out', () => {
    expect(missingTranslations(trainBlock(), 'gl')).toEqual(expect.arrayContaining(['title', 'inputs.data.title', 'params.model.choices.lr']));
    expect(missingTranslations(trainBlock(), 'gl')).not.toContain('description');
  });
});

describe('shipped blocks', () => {
  const dir = path.resolve(__dirname, '../../resources/blocks');
  const sources: BlockSource[] = fs.readdirSync(dir).map((folder) => ({
    folder,
    file: 'block.yaml',
    text: fs.readFileSync(path.join(dir, folder, 'block.yaml'), 'utf8'),
    siblings: fs.readdirSync(path.join(dir, folder)).filter((f) => f !== 'block.yaml'),
  }));
  const catalog = buildCatalog(sources);

  it('load without problems', () => {
    expect(catalog.problems).toEqual([]);
    expect(catalog.blocks.length).toBe(sources.length);
  });

  for (const lang of BLOCK_LANGUAGES) {
    it(`are translated completely into ${lang}`, () => {
      const missing = Object.fromEntries(catalog.blocks.map((b) => [b.id, missingTranslations(b, lang)]).filter(([, m]) => m!.length > 0));
      expect(missing).toEqual({});
    });
  }
});
