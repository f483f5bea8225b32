import { describe, expect, it } from 'vitest';
import { stepTitle } from './stepTitle';

describe('step titles', () => {
  const localized = { title: 'Dividir adestramento/proba' };
  it('a label that is the English block title follows the language', () => {
    expect(stepTitle('Split train/test', localized, 'Split train/test')).toBe('Dividir adestramento/proba');
  });
  it('an empty label shows the block title in the language', () => {
    expect(stepTitle('', localized, 'Split train/test')).toBe('Dividir adestramento/proba');
  });
  it('a label of the user stays as written', () => {
    expect(stepTitle('Hold out 30 %', localized, 'Split train/test')).toBe('Hold out 30 %');
  });
  it('an unknown block keeps the label', () => {
    expect(stepTitle('Mystery', undefined, undefined)).toBe('Mystery');
  });
});
