import { describe, expect, it } from 'vitest';
import { averagePrecision, precisionAtK, rocAuc } from './ranking-metrics.js';

// scikit-learn's documentation example: roc_auc_score = 0.75, average_precision_score = 0.8333...
const S = [0.1, 0.4, 0.35, 0.8];
const Y = [0, 0, 1, 1];

describe('rocAuc', () => {
  it('matches hand-computed pair counts', () => {
    expect(rocAuc(S, Y)).toBe(0.75);
    expect(rocAuc([0.9, 0.8, 0.2], [1, 1, 0])).toBe(1);
    expect(rocAuc([0.9, 0.8, 0.2], [0, 0, 1])).toBe(0);
  });

  it('counts ties as one half (average ranks)', () => {
    // pairs (pos, neg): (2,1) 1, (2,2) 0.5, (3,1) 1, (3,2) 1 → 3.5 / 4
    expect(rocAuc([1, 2, 2, 3], [0, 0, 1, 1])).toBe(0.875);
    expect(rocAuc([0.5, 0.5, 0.5, 0.5], [0, 1, 0, 1])).toBe(0.5);
    expect(rocAuc(Float64Array.from([Infinity, Infinity, 0]), [1, 0, 0])).toBe(0.75);
  });

  it('rejects unusable input', () => {
    expect(() => rocAuc([0.1, 0.2], [1, 1])).toThrow(/both positive and negative/);
    expect(() => rocAuc([0.1], [1, 0])).toThrow(/1 scores but 2 labels/);
    expect(() => rocAuc([0.1, 0.2], [1, 2])).toThrow(/label 1 is 2/);
    expect(() => rocAuc([0.1, NaN], [1, 0])).toThrow(/score 1 is NaN/);
  });
});

describe('averagePrecision', () => {
  it('matches sklearn on hand-computed curves', () => {
    expect(averagePrecision(S, Y)).toBeCloseTo(5 / 6, 15);
    // P@1 = 1 (R 0.5), P@4 = 0.5 (R 1): 0.5 * 1 + 0.5 * 0.5
    expect(averagePrecision([0.9, 0.8, 0.7, 0.6], [1, 0, 0, 1])).toBe(0.75);
    // Tied scores form one threshold: {3}: P 1, R 0.5; {2, 2}: P 2/3, R 1.
    expect(averagePrecision([1, 2, 2, 3], [0, 0, 1, 1])).toBeCloseTo(0.5 + 1 / 3, 15);
    // All tied: one threshold, precision = prevalence.
    expect(averagePrecision([1, 1, 1, 1], [1, 0, 0, 0])).toBe(0.25);
  });

  it('needs a positive label', () => {
    expect(() => averagePrecision([0.1, 0.2], [0, 0])).toThrow(/at least one positive/);
  });
});

describe('precisionAtK', () => {
  it('takes the k highest scores', () => {
    expect(precisionAtK(S, Y, 1)).toBe(1);
    expect(precisionAtK(S, Y, 2)).toBe(0.5);
    expect(precisionAtK(S, Y, 3)).toBeCloseTo(2 / 3, 15);
    expect(precisionAtK(S, Y, 10)).toBe(0.5);
    expect(() => precisionAtK(S, Y, 0)).toThrow(/k must be a positive integer/);
  });
});
