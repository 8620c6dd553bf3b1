import { describe, expect, it } from 'vitest';
import { populationStabilityIndex, psiLevel, psiReport } from './psi.js';

const TEN = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];

describe('populationStabilityIndex', () => {
  it('is 0 for the same distribution', () => {
    expect(populationStabilityIndex(TEN, TEN)).toBe(0);
    expect(populationStabilityIndex(TEN, [...TEN, ...TEN], { bins: 5 })).toBe(0);
  });

  it('matches a hand computation with quantile bins', () => {
    // median edge 5.5: expected 0.5 / 0.5, actual 3/8 and 5/8
    const r = psiReport(TEN, [1, 2, 3, 8, 9, 10, 10, 10], { bins: 2 });
    expect(Array.from(r.edges)).toEqual([5.5]);
    expect(Array.from(r.actual)).toEqual([0.375, 0.625]);
    const want = (0.375 - 0.5) * Math.log(0.375 / 0.5) + (0.625 - 0.5) * Math.log(0.625 / 0.5);
    expect(r.psi).toBeCloseTo(want, 15);
    expect(r.psi).toBeCloseTo(0.0638532, 6);
  });

  it('uses epsilon for empty bins and supports uniform bins', () => {
    // uniform edges on [0, 10] with 2 bins: 5. Everything actual lands above.
    const r = psiReport([0, 10], [7, 8], { bins: 2, binning: 'uniform', epsilon: 0.01 });
    expect(Array.from(r.edges)).toEqual([5]);
    expect(Array.from(r.actual)).toEqual([0.01, 1]);
    expect(r.psi).toBeCloseTo((0.01 - 0.5) * Math.log(0.01 / 0.5) + (1 - 0.5) * Math.log(1 / 0.5), 15);
  });

  it('merges coinciding quantile edges (constant reference)', () => {
    const r = psiReport([3, 3, 3, 3], [3, 4], { bins: 4 });
    expect(Array.from(r.edges)).toEqual([3]);
    expect(r.psi).toBeGreaterThan(1);
  });

  it('rejects bad input and reads levels', () => {
    expect(() => populationStabilityIndex([], [1])).toThrow(/expected sample is empty/);
    expect(() => populationStabilityIndex([1], [NaN])).toThrow(/actual value 0 is not finite/);
    expect(() => populationStabilityIndex([1], [1], { bins: 1 })).toThrow(/bins must be >= 2/);
    expect(psiLevel(0.05)).toBe('stable');
    expect(psiLevel(0.2)).toBe('moderate');
    expect(psiLevel(0.3)).toBe('significant');
  });
});
