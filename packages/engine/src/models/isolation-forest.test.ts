import { describe, expect, it } from 'vitest';
import { rocAuc } from '../metrics/ranking-metrics.js';
import { gaussianBlobWithOutliers } from './anomaly-data.fixture.js';
import { averagePathLength, loadIsolationForest, trainIsolationForest } from './isolation-forest.js';

const blob = gaussianBlobWithOutliers(2000, 5, 40, 11);

function row(r: number): number[] {
  return Array.from(blob.x.data.subarray(r * 5, r * 5 + 5));
}

describe('averagePathLength (c(n))', () => {
  it('matches the closed form, with c(1) = 0 and c(2) = 1', () => {
    expect(averagePathLength(1)).toBe(0);
    expect(averagePathLength(2)).toBe(1);
    // 2 (ln 2 + γ) - 4/3
    expect(averagePathLength(3)).toBeCloseTo(1.2073921, 6);
    // 2 (ln 255 + γ) - 2 * 255 / 256
    expect(averagePathLength(256)).toBeCloseTo(10.24477092011992, 12);
  });
});

describe('trainIsolationForest', () => {
  it('scores 2^(-1) when every path is exactly c(psi) long', () => {
    // Two rows: the root splits them, both leaves hold one row at depth 1: h = 1 = c(2).
    const two = trainIsolationForest([[0], [1]], { trees: 3, seed: 5 });
    expect(two.score([0.5])).toBe(0.5);
    expect(two.pathLength([7])).toBe(1);
    // Identical rows: the root is a leaf of size psi, h = c(psi).
    const same = trainIsolationForest(
      [
        [2, 2],
        [2, 2],
        [2, 2],
        [2, 2],
      ],
      { trees: 4 },
    );
    expect(same.pathLength([2, 2])).toBeCloseTo(averagePathLength(4), 12);
    expect(same.score([9, -9])).toBeCloseTo(0.5, 12);
  });

  it('uses psi = min(256, n) and depth ceil(log2 psi)', () => {
    expect(trainIsolationForest(blob.x).sampleSize).toBe(256);
    expect(trainIsolationForest(blob.x).maxDepth).toBe(8);
    const small = trainIsolationForest(Array.from({ length: 100 }, (_, i) => [i, i % 7]));
    expect(small.sampleSize).toBe(100);
    expect(small.maxDepth).toBe(7);
    expect(small.trees).toBe(100);
  });

  it('scores clear outliers higher and separates a planted-outlier blob (AUC > 0.95)', () => {
    const model = trainIsolationForest(blob.x, { seed: 1 });
    expect(model.score([6, 6, 6, 6, 6])).toBeGreaterThan(0.65);
    expect(model.score([0, 0, 0, 0, 0])).toBeLessThan(0.45);
    expect(model.score([0, 0, 0, 0, 8])).toBeGreaterThan(model.score([0, 0, 0, 0, 0]));
    const scores = model.scoreBatch(blob.x);
    expect(rocAuc(scores, blob.labels)).toBeGreaterThan(0.95);
    for (let r = 0; r < 50; r++) expect(scores[r]).toBe(model.score(row(r)));
  });

  it('is deterministic per seed and differs across seeds', () => {
    const a = trainIsolationForest(blob.x, { seed: 7, trees: 20 });
    const b = trainIsolationForest(blob.x, { seed: 7, trees: 20 });
    const c = trainIsolationForest(blob.x, { seed: 8, trees: 20 });
    expect(b.toJSON()).toEqual(a.toJSON());
    expect(c.toJSON().value).not.toEqual(a.toJSON().value);
    expect(b.score(row(3))).toBe(a.score(row(3)));
  });

  it('accepts a flat row-major Float64Array with the column count', () => {
    const flat = trainIsolationForest(blob.x.data, { features: 5, seed: 3, trees: 10 });
    const dense = trainIsolationForest(blob.x, { seed: 3, trees: 10 });
    expect(flat.toJSON()).toEqual(dense.toJSON());
    expect(() => trainIsolationForest(blob.x.data, { seed: 3 })).toThrow(/number of columns/);
  });

  it('sets contamination thresholds at training-score quantiles', () => {
    const model = trainIsolationForest(blob.x, { seed: 1, contamination: 0.02 });
    expect(model.thresholds.map((t) => t.contamination)).toEqual([0.01, 0.02, 0.05, 0.1]);
    const scores = model.scoreBatch(blob.x);
    for (const c of [0.01, 0.02, 0.05, 0.1]) {
      const flagged = scores.filter((s) => s >= model.threshold(c)).length / scores.length;
      expect(flagged).toBeGreaterThanOrEqual(c - 0.002);
      expect(flagged).toBeLessThanOrEqual(c + 0.002);
    }
    expect(model.threshold(0.01)).toBeGreaterThan(model.threshold(0.1));
    expect(() => model.threshold(0.2)).toThrow(/no threshold for contamination 0.2/);
    expect(() => trainIsolationForest(blob.x, { contamination: 0.7 })).toThrow(/contamination/);
  });

  it('explains: contributions sum to 1 + log2(score) and point at the odd feature', () => {
    const model = trainIsolationForest(blob.x, { seed: 1 });
    const odd = [0.1, -0.2, 7.5, 0, 0.3];
    const c = model.contributions(odd);
    const sum = c.reduce((s, v) => s + v, 0);
    expect(sum).toBeCloseTo(1 + Math.log2(model.score(odd)), 10);
    const top = c.indexOf(Math.max(...c));
    expect(top).toBe(2);
    expect(c[2]).toBeGreaterThan(3 * Math.max(c[0]!, c[1]!, c[3]!, c[4]!));
  });

  it('rejects bad training data and bad rows clearly', () => {
    expect(() => trainIsolationForest([])).toThrow(/no rows/);
    expect(() => trainIsolationForest([[1, 2], [3]])).toThrow(/row 1 has 1 columns, expected 2/);
    expect(() =>
      trainIsolationForest([
        [1, 2],
        [3, NaN],
      ]),
    ).toThrow(/row 1, column 1 is NaN/);
    expect(() => trainIsolationForest([[1]], { trees: 0 })).toThrow(/trees must be a positive integer/);
    const model = trainIsolationForest(blob.x, { trees: 5 });
    expect(() => model.score([1, 2, 3])).toThrow(/row has 3 values, the model expects 5/);
    expect(model.score([0, 0, NaN, 0, 0])).toBeNaN();
    expect(model.scoreBatch([[0, 0, NaN, 0, 0]])[0]).toBeNaN();
  });

  it("random: 'vigil' is the default stream; 'sklearn' grows a different, equally good forest", () => {
    const byOption = trainIsolationForest(blob.x, { seed: 7, trees: 20 });
    const byRandom = trainIsolationForest(blob.x, { random: { kind: 'vigil', seed: 7 }, trees: 20 });
    expect(byRandom.toJSON()).toEqual(byOption.toJSON());
    const sk = trainIsolationForest(blob.x, { random: { kind: 'sklearn', seed: 7 } });
    expect(sk.toJSON().value).not.toEqual(trainIsolationForest(blob.x, { seed: 7 }).toJSON().value);
    expect(sk.sampleSize).toBe(256);
    expect(sk.maxDepth).toBe(8);
    expect(rocAuc(sk.scoreBatch(blob.x), blob.labels)).toBeGreaterThan(0.95);
    const again = trainIsolationForest(blob.x, {
      random: { kind: 'sklearn', seed: 7, seeding: 'random_state' },
    });
    expect(again.toJSON()).toEqual(sk.toJSON());
    const global = trainIsolationForest(blob.x, {
      random: { kind: 'sklearn', seed: 7, seeding: 'np.random.seed' },
    });
    expect(global.toJSON().value).not.toEqual(sk.toJSON().value);
    // The package format is unchanged: a scikit-learn-stream forest saves and loads as any other.
    const copy = loadIsolationForest(JSON.parse(JSON.stringify(sk.toJSON())));
    expect(Array.from(copy.scoreBatch(blob.x))).toEqual(Array.from(sk.scoreBatch(blob.x)));
    for (let r = 0; r < 20; r++) expect(sk.score(row(r))).toBe(sk.scoreBatch(blob.x)[r]);
  });

  it('rejects ambiguous or out-of-range random options clearly', () => {
    expect(() => trainIsolationForest(blob.x, { seed: 1, random: { kind: 'sklearn', seed: 1 } })).toThrow(
      /seed or random, not both/,
    );
    expect(() => trainIsolationForest(blob.x, { random: { kind: 'sklearn', seed: -3 } })).toThrow(
      /scikit-learn seed is an integer in \[0, 2\^32 - 1\]/,
    );
    expect(() => trainIsolationForest(blob.x, { random: { kind: 'sklearn', seed: 1.5 } })).toThrow(
      /scikit-learn seed/,
    );
    expect(() => trainIsolationForest([[0], [1e39]], { random: { kind: 'sklearn', seed: 1 } })).toThrow(
      /not finite as a float32/,
    );
  });

  it('single-row inference with 100 trees stays far below 50 µs p50', () => {
    const model = trainIsolationForest(blob.x, { seed: 1 });
    const rows = Array.from({ length: 200 }, (_, i) => row(i));
    const times: number[] = [];
    let sink = 0;
    for (let k = 0; k < 20_000; k++) {
      const t0 = process.hrtime.bigint();
      sink += model.score(rows[k % 200]!);
      times.push(Number(process.hrtime.bigint() - t0));
    }
    times.sort((a, b) => a - b);
    expect(sink).toBeGreaterThan(0);
    expect(times[10_000]!).toBeLessThan(50_000);
  });
});

describe('isolation forest packages', () => {
  const model = trainIsolationForest(blob.x, { seed: 2, trees: 30, featureNames: ['a', 'b', 'c', 'd', 'e'] });
  const pkg = model.toJSON();

  it('round-trips through JSON with identical scores', () => {
    const copy = loadIsolationForest(JSON.parse(JSON.stringify(pkg)));
    expect(copy.featureNames).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(copy.thresholds).toEqual(model.thresholds);
    expect(Array.from(copy.scoreBatch(blob.x))).toEqual(Array.from(model.scoreBatch(blob.x)));
    expect(copy.toJSON()).toEqual(pkg);
  });

  it('rejects corrupt packages with a clear error', () => {
    const bad = (patch: Record<string, unknown>): unknown => ({ ...pkg, ...patch });
    expect(() => loadIsolationForest('nope')).toThrow('corrupt isolation forest package: not an object');
    expect(() => loadIsolationForest(bad({ format: 'x' }))).toThrow(/format is not vigil.isolation-forest/);
    expect(() => loadIsolationForest(bad({ version: 9 }))).toThrow(/unsupported version 9/);
    expect(() => loadIsolationForest(bad({ nodes: pkg.nodes + 2 }))).toThrow(/feature holds/);
    expect(() => loadIsolationForest(bad({ value: pkg.value.slice(0, -8) }))).toThrow(/value holds/);
    expect(() => loadIsolationForest(bad({ left: '!!!!' }))).toThrow(/left is not valid base64/);
    expect(() => loadIsolationForest(bad({ thresholds: [[2, 0.5]] }))).toThrow(/thresholds/);
    // One changed character inside the tree data: same length, caught by the checksum.
    const v = pkg.value;
    const flipped = v.slice(0, 100) + (v[100] === 'A' ? 'B' : 'A') + v.slice(101);
    expect(() => loadIsolationForest(bad({ value: flipped }))).toThrow(/checksum mismatch/);
    const { checksum: _drop, ...noSum } = pkg;
    expect(() => loadIsolationForest(noSum)).toThrow(/checksum is not an integer/);
  });
});
