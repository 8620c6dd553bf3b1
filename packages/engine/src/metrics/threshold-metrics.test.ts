import { describe, expect, it } from 'vitest';
import { confusionMatrix, thresholdMetrics } from './threshold-metrics.js';

const S = [0.2, 0.6, 0.7, 0.9, 0.4];
const Y = [0, 0, 1, 1, 1];

describe('confusionMatrix', () => {
  it('flags scores >= threshold', () => {
    expect(confusionMatrix(S, Y, 0.6)).toEqual({ tp: 2, fp: 1, tn: 1, fn: 1 });
    expect(confusionMatrix(S, Y, 0.61)).toEqual({ tp: 2, fp: 0, tn: 2, fn: 1 });
  });
});

describe('thresholdMetrics', () => {
  it('computes precision, recall, F1, accuracy and FPR', () => {
    const m = thresholdMetrics(S, Y, 0.6);
    expect(m.precision).toBeCloseTo(2 / 3, 15);
    expect(m.recall).toBeCloseTo(2 / 3, 15);
    expect(m.f1).toBeCloseTo(2 / 3, 15);
    expect(m.accuracy).toBe(0.6);
    expect(m.falsePositiveRate).toBe(0.5);
    const strict = thresholdMetrics(S, Y, 0.65);
    expect(strict.precision).toBe(1);
    expect(strict.f1).toBeCloseTo((2 * 1 * (2 / 3)) / (1 + 2 / 3), 15);
  });

  it('uses 0 for empty denominators', () => {
    const none = thresholdMetrics(S, Y, 2);
    expect(none).toMatchObject({ tp: 0, fp: 0, precision: 0, recall: 0, f1: 0 });
  });
});
