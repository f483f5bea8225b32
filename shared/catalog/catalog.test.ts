import { describe, expect, it } from 'vitest';
import { TEST_BLOCKS, testCatalog } from '../../test/fixtures/catalog';
import { buildCatalog, checkParamValue, isFormatCompatible, isParamVisible, parseTemplateArg } from './index';
import type { BlockSource } from './index';

const src = (folder: string, text: string, siblings: string[] = ['train.py']): BlockSource => ({ folder, file: 'block.yaml', text, siblings });

describe('block catalog', () => {
  it('loads valid definitions with defaults filled in', () => {
    const catalog = testCatalog();
    expect(catalog.blocks.map((b) => b.id)).toEqual(expect.arrayContaining(['report', 'source', 'train']));
    const train = catalog.blocks.find((b) => b.id === 'train')!;
    expect(train.resources).toEqual({ cpus: 1, memoryMb: 2048, timeMinutes: 30, gpus: 0 });
    expect(train.inputs[0]?.required).toBe(true);
  });

  it('reports a broken definition with its file and field while the rest still loads', () => {
    const broken = TEST_BLOCKS.train!.replace('default: 100, min: 10', 'default: 5, min: 10');
    const catalog = buildCatalog([src('train', broken), src('source', TEST_BLOCKS.source!, ['make.py'])]);
    expect(catalog.blocks.map((b) => b.id)).toEqual(['source']);
    expect(catalog.problems).toEqual([{ file: 'train/block.yaml', field: 'params[1].default', message: 'Trees must be at least 10 (it is 5)' }]);
  });

  it('names the field when the schema itself is violated', () => {
    const catalog = buildCatalog([src('train', TEST_BLOCKS.train!.replace('category: train', 'category: magic'))]);
    expect(catalog.problems[0]).toMatchObject({ file: 'train/block.yaml', field: 'category' });
  });

  it('reports YAML syntax errors, missing script files, folder/id mismatches and unknown template references', () => {
    const catalog = buildCatalog([
      src('bad-yaml', 'id: [unclosed'),
      src('train', TEST_BLOCKS.train!, []),
      src('other', TEST_BLOCKS.train!),
      src('ref', TEST_BLOCKS.train!.replace('id: train', 'id: ref').replace('{{params.rate}}', '{{params.nope}}')),
    ]);
    const byFile = Object.fromEntries(catalog.problems.map((p) => [p.file, p]));
    expect(byFile['bad-yaml/block.yaml']?.message).toMatch(/not valid YAML/);
    expect(byFile['train/block.yaml']).toMatchObject({ field: 'files', message: expect.stringMatching(/train\.py/) });
    expect(byFile['other/block.yaml']).toMatchObject({ field: 'id' });
    expect(byFile['ref/block.yaml']).toMatchObject({ field: 'command[7]', message: 'unknown param "nope"' });
    expect(catalog.blocks).toEqual([]);
  });

  it('matches port formats by family', () => {
    expect(isFormatCompatible('table.csv', 'table.csv')).toBe(true);
    expect(isFormatCompatible('table.csv', 'table')).toBe(true);
    expect(isFormatCompatible('table', 'table.csv')).toBe(false);
    expect(isFormatCompatible('tablet.csv', 'table')).toBe(false);
    expect(isFormatCompatible('model.sklearn', 'table.csv')).toBe(false);
  });

  it('lets an "any" input take every output, but never makes "any" an output that fits everything', () => {
    expect(isFormatCompatible('model.sklearn', 'any')).toBe(true);
    expect(isFormatCompatible('report.html', 'any')).toBe(true);
    expect(isFormatCompatible('any', 'table.csv')).toBe(false);
  });

  it('shows a param only when its condition holds', () => {
    const trees = testCatalog().blocks.find((b) => b.id === 'train')!.params[1]!;
    expect(isParamVisible(trees, { model: 'rf' })).toBe(true);
    expect(isParamVisible(trees, { model: 'lr' })).toBe(false);
  });

  it('explains an invalid param value in words', () => {
    const [model, trees, rate] = testCatalog().blocks.find((b) => b.id === 'train')!.params;
    expect(checkParamValue(trees!, 7)).toBe('Trees must be at least 10 (it is 7)');
    expect(checkParamValue(trees!, 12.5)).toBe('Trees must be a whole number');
    expect(checkParamValue(model!, 'svm')).toBe('Model must be one of: Logistic regression, Random forest');
    expect(checkParamValue(rate!, undefined)).toBe('Rate is required');
  });

  it('parses argv templates and refuses unknown placeholders', () => {
    expect(parseTemplateArg('--model={{params.model}}')).toEqual({ ok: true, parts: [{ kind: 'text', text: '--model=' }, { kind: 'param', id: 'model' }] });
    expect(parseTemplateArg('{{env.HOME}}').ok).toBe(false);
    expect(parseTemplateArg('{{params.x').ok).toBe(false);
  });
});
