import { describe, expect, it } from 'vitest';
import { rocAuc } from '../metrics/ranking-metrics.js';
import { gaussianBlobWithOutliers } from './anomaly-data.fixture.js';
import {
  loadAnomalyEnsemble,
  quantileGrid,
  rankNormalise,
  trainAnomalyEnsemble,
} from './anomaly-ensemble.js';

describe('rank normalisation', () => {
  it('keeps all scores up to the grid size, else evenly spaced order statistics', () => {
    expect(Array.from(quantileGrid(Float64Array.from([3, 1, 2])))).toEqual([1, 2, 3]);
    const many = Float64Array.from({ length: 101 }, (_, i) => 100 - i);
    expect(Array.from(quantileGrid(many, 5))).toEqual([0, 25, 50, 75, 100]);
  });

  it('interpolates the empirical CDF and clamps outside the training range', () => {
    const g = Float64Array.from([0, 1, 2]);
    expect(rankNormalise(g, -1)).toBe(0);
    expect(rankNormalise(g, 0)).toBe(0);
    expect(rankNormalise(g, 0.5)).toBe(0.25);
    expect(rankNormalise(g, 1.5)).toBe(0.75);
    expect(rankNormalise(g, 2)).toBe(1);
    expect(rankNormalise(g, 9)).toBe(1);
    expect(rankNormalise(g, NaN)).toBeNaN();
    // Ties: the last tied grid point decides.
    expect(rankNormalise(Float64Array.from([0, 1, 1, 3]), 1)).toBeCloseTo(2 / 3, 12);
  });
});

describe('trainAnomalyEnsemble', () => {
  const { x, labels } = gaussianBlobWithOutliers(1500, 4, 30, 5);
  const model = trainAnomalyEnsemble(x, { iforest: { seed: 3, trees: 50 } });

  it('averages the members’ normalised scores, in [0, 1]', () => {
    const r = [0.2, -0.1, 0.4, 0];
    const s = model.score(r);
    expect(s).toBeGreaterThanOrEqual(0);
    expect(s).toBeLessThanOrEqual(1);
    expect(model.score([9, 9, 9, 9])).toBe(1);
    const scores = model.scoreBatch(x);
    expect(rocAuc(scores, labels)).toBeGreaterThan(0.95);
    expect(scores[7]).toBe(model.score(Array.from(x.data.subarray(28, 32))));
    expect(model.threshold(0.05)).toBeLessThan(model.threshold(0.01));
  });

  it('explains with both members’ contributions', () => {
    const c = model.contributions([0, 0, 0, 7]);
    expect(c.indexOf(Math.max(...c))).toBe(3);
    // Each member's shares have absolute sum = its normalised score / 2; signs may cancel.
    const abs = c.reduce((s, v) => s + Math.abs(v), 0);
    expect(abs).toBeLessThanOrEqual(model.score([0, 0, 0, 7]) + 1e-12);
    expect(abs).toBeGreaterThan(0.5 * model.score([0, 0, 0, 7]));
  });

  it('round-trips and rejects corrupt packages', () => {
    const pkg = model.toJSON();
    const copy = loadAnomalyEnsemble(JSON.parse(JSON.stringify(pkg)));
    expect(Array.from(copy.scoreBatch(x))).toEqual(Array.from(model.scoreBatch(x)));
    expect(() => loadAnomalyEnsemble({ ...pkg, ecod: 1 })).toThrow(
      'corrupt anomaly ensemble package: ecod is not an object',
    );
    expect(() => loadAnomalyEnsemble({ ...pkg, ecodGrid: pkg.iforestGrid.slice(0, 8) })).toThrow(
      /ecodGrid has a bad length/,
    );
    expect(() => loadAnomalyEnsemble({ ...pkg, iforest: { ...pkg.iforest, trees: 2 } })).toThrow(
      /corrupt isolation forest package/,
    );
    expect(() => loadAnomalyEnsemble({ ...pkg, thresholds: [[0.05, 0.9]] })).toThrow(/checksum mismatch/);
  });
});
