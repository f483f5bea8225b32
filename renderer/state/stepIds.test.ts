import { describe, expect, it } from 'vitest';
import { STEP_ID_PATTERN } from '../../shared/document';
import { nextStepId, stepIdBase } from './stepIds';

describe('step ids', () => {
  it('uses the word of the block id that names the step', () => {
    expect(stepIdBase('split-train-test')).toBe('split');
    expect(stepIdBase('clinical-dataset')).toBe('dataset');
    expect(stepIdBase('train-classifier')).toBe('train');
    expect(stepIdBase('evaluate-classifier')).toBe('evaluate');
    expect(stepIdBase('report')).toBe('report');
    expect(stepIdBase('load-csv')).toBe('csv');
  });

  it('numbers further steps of the same block from 2', () => {
    expect(nextStepId('split-train-test', new Set())).toBe('split');
    expect(nextStepId('split-train-test', new Set(['split']))).toBe('split-2');
    expect(nextStepId('split-train-test', new Set(['split', 'split-2']))).toBe('split-3');
  });

  it('always gives an id the document accepts', () => {
    for (const id of ['9lives', 'a', 'x'.repeat(80), 'load']) expect(nextStepId(id, new Set())).toMatch(STEP_ID_PATTERN);
  });
});
