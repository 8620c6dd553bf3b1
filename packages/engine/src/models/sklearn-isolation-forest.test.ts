import { describe, expect, it } from 'vitest';
import { trainIsolationForest } from './isolation-forest.js';
import { createNumpyLegacyRandom } from './numpy-random.js';
import { sklearnFixtureMatrix, sklearnFixtureProbes } from './sklearn-fixture-data.fixture.js';
import { SKLEARN_IFOREST_GOLDEN } from './sklearn-isolation-forest-golden.fixture.js';
import {
  float32CutAsFloat64,
  growSklearnIsolationForest,
  sampleWithoutReplacement,
  type SklearnSeeding,
  type SklearnTree,
} from './sklearn-isolation-forest.js';

const plain = (t: SklearnTree): Record<keyof SklearnTree, number[]> => ({
  childrenLeft: Array.from(t.childrenLeft),
  childrenRight: Array.from(t.childrenRight),
  feature: Array.from(t.feature),
  threshold: Array.from(t.threshold),
  nNodeSamples: Array.from(t.nNodeSamples),
});

// Golden values from scikit-learn 1.2.1 (bench/src/eval/sklearn-iforest-golden.ts).
describe.each(SKLEARN_IFOREST_GOLDEN)('scikit-learn IsolationForest replay: $name', (g) => {
  const x = sklearnFixtureMatrix(g.rows, g.cols, g.dataSeed);
  const seeding: SklearnSeeding = g.seeding ?? 'random_state';
  const opts = {
    seed: g.seed,
    seeding,
    trees: g.trees,
    ...(g.maxSamples === undefined ? {} : { maxSamples: g.maxSamples }),
  };

  it('grows the same trees: seeds, node counts, every array of the first and last tree', () => {
    const forest = growSklearnIsolationForest(x.data, x.rows, x.cols, opts);
    expect(Array.from(forest.seeds)).toEqual(g.seeds);
    expect(forest.trees.map((t) => t.feature.length)).toEqual(g.nodes);
    expect(plain(forest.trees[0]!)).toEqual(g.firstTree);
    expect(plain(forest.trees[g.trees - 1]!)).toEqual(g.lastTree);
  });

  it('scores as -score_samples, also on values at float32 rounding ties', () => {
    const model = trainIsolationForest(x, {
      trees: g.trees,
      random: { kind: 'sklearn', seed: g.seed, seeding },
      ...(g.maxSamples === undefined ? {} : { sampleSize: g.maxSamples }),
    });
    const train = model.scoreBatch({
      data: x.data.subarray(0, g.trainScores.length * x.cols),
      rows: g.trainScores.length,
      cols: x.cols,
    });
    const probes = model.scoreBatch(sklearnFixtureProbes(x, g.probes));
    const worst = (a: Float64Array, b: readonly number[]): number =>
      b.reduce((m, v, i) => Math.max(m, Math.abs(v - a[i]!)), 0);
    expect(probes.length).toBe(g.probeScores.length);
    expect(worst(train, g.trainScores)).toBeLessThan(1e-12);
    expect(worst(probes, g.probeScores)).toBeLessThan(1e-12);
  });
});

describe('float32CutAsFloat64', () => {
  it('gives x <= cut exactly when fround(x) <= t, at ties and around them', () => {
    const rng = createNumpyLegacyRandom(5);
    const f32 = new Float32Array(1);
    const bits = new Int32Array(f32.buffer);
    for (let k = 0; k < 20_000; k++) {
      const scale = 10 ** Math.floor(rng.randomSample() * 16 - 8);
      const t = (rng.randomSample() * 2 - 1) * scale;
      const cut = float32CutAsFloat64(t);
      // Candidates: the float32 values around t, the midpoints between them, and their neighbours.
      f32[0] = t;
      const base = bits[0]!;
      for (let d = -2; d <= 2; d++) {
        bits[0] = base + d;
        const a = f32[0];
        bits[0] = base + d + 1;
        const mid = (a + f32[0]) / 2;
        for (const v of [a, mid, mid * (1 + 2 ** -52), mid * (1 - 2 ** -52), cut]) {
          expect(v <= cut).toBe(Math.fround(v) <= t);
        }
      }
    }
  });

  it('keeps exact float32 thresholds reachable and rejects thresholds outside the float32 range', () => {
    expect(float32CutAsFloat64(0.5)).toBe(0.5 + 2 ** -25);
    expect(Math.fround(float32CutAsFloat64(0))).toBe(0);
    expect(float32CutAsFloat64(-1)).toBe(-1 + 2 ** -25);
    expect(float32CutAsFloat64(-1 + 2 ** -24)).toBe(-1 + 2 ** -24 + 2 ** -25 - 2 ** -53);
    expect(Math.fround(float32CutAsFloat64(3.4028234663852886e38))).toBe(3.4028234663852886e38);
    expect(() => float32CutAsFloat64(1e39)).toThrow(/float32 range/);
    expect(() => float32CutAsFloat64(NaN)).toThrow(/float32 range/);
  });
});

describe('sampleWithoutReplacement', () => {
  it('draws distinct indices in range by each method', () => {
    for (const [n, k] of [
      [700, 256],
      [3000, 20],
      [257, 256],
      [60, 60],
      [0, 0],
    ] as const) {
      const s = sampleWithoutReplacement(n, k, createNumpyLegacyRandom(3));
      expect(s.length).toBe(k);
      expect(new Set(s).size).toBe(k);
      expect(s.every((v) => v >= 0 && v < n)).toBe(true);
    }
  });

  it('rejects impossible sizes clearly', () => {
    expect(() => sampleWithoutReplacement(5, 6, createNumpyLegacyRandom(1))).toThrow(
      /6 samples from a population of 5/,
    );
    expect(() => sampleWithoutReplacement(-1, 0, createNumpyLegacyRandom(1))).toThrow(
      /non-negative integers/,
    );
  });
});

describe('growSklearnIsolationForest', () => {
  it('rejects bad options and data clearly', () => {
    const x = Float64Array.of(0, 1, 2, 3);
    expect(() => growSklearnIsolationForest(x, 4, 1, { seed: -1 })).toThrow(/random_state/);
    expect(() => growSklearnIsolationForest(x, 4, 1, { seed: 2 ** 32 })).toThrow(/random_state/);
    expect(() => growSklearnIsolationForest(x, 3, 1, { seed: 1 })).toThrow(/4 values for 3 x 1/);
    expect(() => growSklearnIsolationForest(x, 4, 1, { seed: 1, trees: 0 })).toThrow(/trees/);
    expect(() => growSklearnIsolationForest(x, 4, 1, { seed: 1, maxSamples: 1.5 })).toThrow(/maxSamples/);
    expect(() => growSklearnIsolationForest(Float64Array.of(0, 1e39), 2, 1, { seed: 1 })).toThrow(
      /row 1 has a value that is not finite as a float32/,
    );
  });

  it('makes a one-row forest of single leaves', () => {
    const { trees, maxDepth } = growSklearnIsolationForest(Float64Array.of(4, 2), 1, 2, {
      seed: 1,
      trees: 2,
    });
    expect(maxDepth).toBe(1);
    expect(trees.map(plain)).toEqual([
      { childrenLeft: [-1], childrenRight: [-1], feature: [-2], threshold: [-2], nNodeSamples: [1] },
      { childrenLeft: [-1], childrenRight: [-1], feature: [-2], threshold: [-2], nNodeSamples: [1] },
    ]);
  });
});
