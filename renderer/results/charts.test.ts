import { describe, expect, it } from 'vitest';
import { isLowerBetter, parseCurves, sweepComparison, sweepLabel, sweepMetrics, trainingCurves } from './charts';

describe('curve data', () => {
  const json = {
    positive_class: 1,
    n_test: 143,
    roc: [{ label: '1', auc: 0.9956, x: [0, 0, 0.02, 1], y: [0, 0.9, 1, 1] }],
    pr: [{ label: '1', average_precision: 0.997, chance: 0.63, x: [0, 0.5, 1], y: [1, 1, 0.63] }],
    calibration: [{ label: '1', brier: 0.03, x: [0.05, 0.5, 0.95], y: [0.0, 0.4, 1.0] }],
  };

  it('reads the ROC, precision-recall and calibration series of curves.json with their scores', () => {
    const c = parseCurves(json);
    expect(c.roc?.series[0]?.points).toEqual([{ x: 0, y: 0 }, { x: 0, y: 0.9 }, { x: 0.02, y: 1 }, { x: 1, y: 1 }]);
    expect(c.roc?.scores).toEqual([0.9956]);
    expect(c.pr?.chance).toEqual([0.63]);
    expect(c.calibration?.scores).toEqual([0.03]);
  });

  it('leaves out a malformed kind instead of drawing nonsense', () => {
    const c = parseCurves({ roc: [{ label: 'x', x: [0, 1], y: [0] }], pr: 'no', calibration: [{ x: [0.1, 'a'], y: [0, 1] }] });
    expect(c).toEqual({});
    expect(parseCurves(null)).toEqual({});
  });
});

describe('training curves', () => {
  const header = ['epoch', 'train_loss', 'train_accuracy', 'validation_loss', 'validation_accuracy'];
  const rows = [['1', '0.9', '0.6', '1.0', '0.55'], ['2', '0.5', '0.8', '0.7', '0.7'], ['3', '0.3', '0.9', '0.6', '']];

  it('splits an epoch history into loss and accuracy series, skipping empty cells', () => {
    const t = trainingCurves(header, rows);
    expect(t?.epochs).toBe(3);
    expect(t?.loss.map((s) => s.label)).toEqual(['train_loss', 'validation_loss']);
    expect(t?.accuracy[1]?.points).toEqual([{ x: 1, y: 0.55 }, { x: 2, y: 0.7 }]);
  });

  it('is not a training history without an epoch column', () => {
    expect(trainingCurves(['rank', 'loss'], [['1', '0.2']])).toBeNull();
    expect(trainingCurves(['epoch', 'lr'], [['1', '0.01']])).toBeNull();
  });
});

describe('sweep comparison', () => {
  const tasks = [0, 1, 2, 3].map((i) => ({ index: i, params: { c: [0.01, 0.1, 1, 10][i] } }));
  const metrics = [{ roc_auc: 0.98, brier: 0.05 }, { roc_auc: 0.995, brier: 0.03 }, { roc_auc: 0.996, brier: 0.031 }, null];

  it('puts one metric of every task side by side, labelled by its sweep values, and finds the best', () => {
    const { points, best } = sweepComparison(tasks, metrics, 'roc_auc');
    expect(points.map((p) => p.label)).toEqual(['c = 0.01', 'c = 0.1', 'c = 1', 'c = 10']);
    expect(points.map((p) => p.value)).toEqual([0.98, 0.995, 0.996, null]);
    expect(best?.task).toBe(2);
  });

  it('picks the lowest for errors and losses, like the Compare sweep block', () => {
    expect(sweepComparison(tasks, metrics, 'brier').best?.task).toBe(1);
    expect(isLowerBetter('log_loss')).toBe(true);
    expect(isLowerBetter('validation_loss')).toBe(true);
    expect(isLowerBetter('roc_auc')).toBe(false);
    expect(isLowerBetter('glossary')).toBe(false);
  });

  it('offers every numeric metric once, and names inherited params without their step', () => {
    expect(sweepMetrics(metrics)).toEqual(['roc_auc', 'brier']);
    expect(sweepMetrics([{ accuracy: 0.9, n_test: 143, positive_class: 1, model: 'x' }])).toEqual(['accuracy']);
    expect(sweepLabel({ 'train.c': 1, seed: 3 })).toBe('c = 1, seed = 3');
  });
});
