import { describe, expect, it } from 'vitest';
import { decodeBase64Text, formatMetric, metricsView } from './metrics';

describe('metrics cards', () => {
  const metrics = {
    accuracy: 0.965, roc_auc: 0.9951, precision: 0.9623, recall: 0.9444, f1: 0.9533, n_test: 143, n_positive: 53,
    model: 'logistic_regression', target: 'target', classes: [0, 1], positive_class: 1, averaging: 'binary',
  };

  it('shows fractions as percentages and scores as decimals, in a fixed order', () => {
    const { cards } = metricsView(metrics);
    expect(cards.map((c) => [c.title, c.value])).toEqual([
      ['Accuracy', '96.5 %'],
      ['ROC AUC', '0.995'],
      ['Precision', '96.2 %'],
      ['Recall (sensitivity)', '94.4 %'],
      ['F1 score', '0.953'],
      ['Test samples', '143'],
      ['Positive test samples', '53'],
    ]);
    expect(cards.every((c) => c.explanation.length > 0)).toBe(true);
  });

  it('lists the words (model, outcome, classes) as details', () => {
    expect(metricsView(metrics).details).toEqual([
      { title: 'Model', value: 'Logistic regression' },
      { title: 'Outcome column', value: 'target' },
      { title: 'Classes', value: '0, 1' },
      { title: 'Positive class', value: '1' },
      { title: 'Averaging', value: 'binary' },
    ]);
  });

  it('shows unknown numeric metrics with a readable name and skips nulls', () => {
    const { cards } = metricsView({ mean_error: 0.12345, n_positive: null, folds: 5 });
    expect(cards).toEqual([
      { key: 'mean_error', title: 'Mean error', value: '0.123', explanation: '' },
      { key: 'folds', title: 'Folds', value: '5', explanation: '' },
    ]);
  });

  it('copes with something that is not an object', () => {
    expect(metricsView([1, 2])).toEqual({ cards: [], details: [] });
    expect(metricsView(null)).toEqual({ cards: [], details: [] });
  });

  it('formats whole percentages without a trailing .0', () => {
    expect(formatMetric(1, 'percent')).toBe('100 %');
    expect(formatMetric(0.5, 'score')).toBe('0.5');
  });

  it('decodes UTF-8 from base64', () => {
    expect(decodeBase64Text(btoa(String.fromCharCode(...new TextEncoder().encode('{"ü":1}'))))).toBe('{"ü":1}');
  });
});
