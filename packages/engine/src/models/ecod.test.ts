import { describe, expect, it } from 'vitest';
import { rocAuc } from '../metrics/ranking-metrics.js';
import { gaussianBlobWithOutliers } from './anomaly-data.fixture.js';
import { loadEcod, trainEcod } from './ecod.js';

// Feature 0 is right-skewed (one large value), feature 1 symmetric (skewness exactly 0).
const TRAIN = [
  [1, 10],
  [2, 20],
  [3, 30],
  [4, 40],
  [100, 50],
];
const LN3 = Math.log(3);
const LN1_5 = Math.log(1.5);

describe('trainEcod', () => {
  it('measures skewness per feature', () => {
    const model = trainEcod(TRAIN);
    expect(model.skewness[0]).toBeGreaterThan(1);
    expect(model.skewness[1]).toBe(0);
  });

  it('computes tail probabilities (count + 1) / (n + 1) and the paper max-of-sums', () => {
    const model = trainEcod(TRAIN);
    // x = [100, 10]: f0 left -ln(6/6) = 0, right -ln(2/6) = ln 3; f1 left ln 3, right 0.
    // O_left = ln 3, O_right = ln 3, O_auto (both features right-tailed) = ln 3 + 0.
    expect(model.score([100, 10])).toBeCloseTo(LN3, 12);
    // x = [3, 30]: every tail holds 3 of 5: -ln(4/6) per feature and tail.
    expect(model.score([3, 30])).toBeCloseTo(2 * LN1_5, 12);
    // Beyond the training range: f0 right tail count 0 → -ln(1/6); f1 right count 0 → -ln(1/6).
    expect(model.score([1000, 60])).toBeCloseTo(2 * Math.log(6), 12);
    expect(Array.from(model.contributions([100, 10])).map((v) => +v.toFixed(12))).toEqual([
      +LN3.toFixed(12),
      0,
    ]);
  });

  it("offers PyOD's sum of per-feature maxima", () => {
    const model = trainEcod(TRAIN, { aggregation: 'sum-of-max' });
    expect(model.aggregation).toBe('sum-of-max');
    expect(model.score([100, 10])).toBeCloseTo(2 * LN3, 12);
    const c = model.contributions([100, 10]);
    expect(c[0]).toBeCloseTo(LN3, 12);
    expect(c[1]).toBeCloseTo(LN3, 12);
  });

  it('separates a planted-outlier blob (AUC > 0.95) and is deterministic', () => {
    const { x, labels } = gaussianBlobWithOutliers(2000, 5, 40, 11);
    const model = trainEcod(x);
    expect(rocAuc(model.scoreBatch(x), labels)).toBeGreaterThan(0.95);
    expect(model.score([6, 6, 6, 6, 6])).toBeGreaterThan(model.score([0, 0, 0, 0, 0]));
    expect(trainEcod(x).toJSON()).toEqual(model.toJSON());
    const c = model.contributions([0, 0, 7, 0, 0]);
    expect(c.indexOf(Math.max(...c))).toBe(2);
    expect(c.reduce((s, v) => s + v, 0)).toBeCloseTo(model.score([0, 0, 7, 0, 0]), 10);
  });

  it('sets thresholds and rejects bad input', () => {
    const { x } = gaussianBlobWithOutliers(1000, 3, 10, 2);
    const model = trainEcod(x, { contamination: 0.03 });
    const scores = model.scoreBatch(x);
    const flagged = scores.filter((s) => s >= model.threshold(0.05)).length / scores.length;
    expect(flagged).toBeCloseTo(0.05, 2);
    expect(model.threshold(0.03)).toBeGreaterThan(model.threshold(0.05));
    expect(() => trainEcod([[1, Infinity]])).toThrow(/row 0, column 1 is Infinity/);
    expect(() => model.score([1, 2])).toThrow(/row has 2 values, the model expects 3/);
    expect(model.score([1, NaN, 2])).toBeNaN();
  });
});

describe('ecod packages', () => {
  const model = trainEcod(TRAIN, { featureNames: ['amount', 'count'] });
  const pkg = model.toJSON();

  it('round-trips through JSON', () => {
    const copy = loadEcod(JSON.parse(JSON.stringify(pkg)));
    expect(copy.score([100, 10])).toBe(model.score([100, 10]));
    expect(copy.featureNames).toEqual(['amount', 'count']);
    expect(copy.toJSON()).toEqual(pkg);
  });

  it('rejects corrupt packages', () => {
    const bad = (patch: Record<string, unknown>): unknown => ({ ...pkg, ...patch });
    expect(() => loadEcod([])).toThrow('corrupt ecod package: not an object');
    expect(() => loadEcod(bad({ aggregation: 'mean' }))).toThrow(/unknown aggregation mean/);
    expect(() => loadEcod(bad({ rows: 6 }))).toThrow(/sorted holds 10 values, expected 12/);
    expect(() => loadEcod(bad({ featureNames: ['x'] }))).toThrow(/featureNames is not a list of 2 names/);
    const s = pkg.sorted;
    expect(() => loadEcod(bad({ sorted: s.slice(0, 4) + (s[4] === 'A' ? 'B' : 'A') + s.slice(5) }))).toThrow(
      /checksum mismatch/,
    );
  });
});
