import { describe, expect, it } from 'vitest';
import { rocAuc } from '../../metrics/ranking-metrics.js';
import { createSeededRandom } from '../../ports/clock.js';
import { treeEnsembleLeaf } from '../gbdt/tree-ensemble.js';
import { loadRandomForest, trainRandomForest, type RandomForestPackage } from './random-forest.js';

function data(rows: number, seed: number, kind: 'xor' | 'rare') {
  const rnd = createSeededRandom(seed);
  const cols = 5;
  const x = new Float64Array(rows * cols);
  const y = new Uint8Array(rows);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) x[r * cols + c] = rnd.next();
    if (kind === 'xor') y[r] = x[r * cols]! > 0.5 !== x[r * cols + 1]! > 0.5 ? 1 : 0;
    else {
      if (rnd.next() < 0.03) x[r * cols + 4] = NaN;
      y[r] = (x[r * cols]! > 0.9 && x[r * cols + 2]! < 0.2) || Number.isNaN(x[r * cols + 4]!) ? 1 : 0;
    }
  }
  return { x: { data: x, rows, cols }, y };
}

describe('trainRandomForest', () => {
  it('learns an XOR-like interaction', () => {
    const train = data(2000, 1, 'xor');
    const test = data(1000, 2, 'xor');
    const forest = trainRandomForest(train.x, train.y, { trees: 30, maxFeatures: 'all' });
    expect(rocAuc(forest.predictBatch(test.x), test.y)).toBeGreaterThan(0.95);
  });

  it('learns a rare class with missing values, and its scores are probabilities', () => {
    const train = data(4000, 3, 'rare');
    const test = data(2000, 4, 'rare');
    const forest = trainRandomForest(train.x, train.y, { trees: 40, maxDepth: 12, criterion: 'entropy' });
    const p = forest.predictBatch(test.x);
    expect(rocAuc(p, test.y)).toBeGreaterThan(0.95);
    for (const v of p) {
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThanOrEqual(1 + 1e-12);
    }
  });

  it('grows pure leaves without a depth limit (fits the training data)', () => {
    const train = data(500, 5, 'xor');
    const forest = trainRandomForest(train.x, train.y, { trees: 1, bootstrap: false, maxFeatures: 'all' });
    const p = forest.predictBatch(train.x);
    for (let i = 0; i < 500; i++) expect(p[i]).toBe(train.y[i]);
  });

  it('weights the positive class', () => {
    const rnd = createSeededRandom(9);
    const rows = 3000;
    const x = new Float64Array(rows);
    const y = new Uint8Array(rows);
    for (let r = 0; r < rows; r++) {
      x[r] = rnd.next();
      y[r] = rnd.next() < (x[r]! > 0.8 ? 0.2 : 0.01) ? 1 : 0;
    }
    const plain = trainRandomForest(x, y, { features: 1, trees: 20, maxDepth: 3 });
    const balanced = trainRandomForest(x, y, {
      features: 1,
      trees: 20,
      maxDepth: 3,
      positiveWeight: 'balanced',
    });
    expect(plain.predict([0.9])).toBeLessThan(0.5);
    expect(balanced.predict([0.9])).toBeGreaterThan(0.5);
    expect(balanced.params.positiveWeight).toBeGreaterThan(10);
  });

  it('is deterministic per seed', () => {
    const d = data(800, 6, 'xor');
    const a = JSON.stringify(trainRandomForest(d.x, d.y, { trees: 5, seed: 2 }).toJSON());
    expect(JSON.stringify(trainRandomForest(d.x, d.y, { trees: 5, seed: 2 }).toJSON())).toBe(a);
    expect(JSON.stringify(trainRandomForest(d.x, d.y, { trees: 5, seed: 3 }).toJSON())).not.toBe(a);
  });

  it('explains the probability exactly with TreeSHAP', () => {
    const d = data(1000, 7, 'rare');
    const forest = trainRandomForest(d.x, d.y, { trees: 10, maxDepth: 8 });
    for (let r = 0; r < 50; r++) {
      const row = d.x.data.subarray(r * 5, r * 5 + 5);
      const phi = forest.contributions(row);
      expect(phi.reduce((a, b) => a + b, 0)).toBeCloseTo(forest.predict(row), 12);
    }
  });

  it('round-trips through JSON and rejects corrupt packages', () => {
    const d = data(800, 8, 'rare');
    const forest = trainRandomForest(d.x, d.y, { trees: 8, featureNames: ['a', 'b', 'c', 'd', 'e'] });
    const pkg = forest.toJSON();
    const copy = loadRandomForest(JSON.parse(JSON.stringify(pkg)));
    expect(Array.from(copy.predictBatch(d.x))).toEqual(Array.from(forest.predictBatch(d.x)));
    expect(copy.featureNames).toEqual(['a', 'b', 'c', 'd', 'e']);
    const mutate = (patch: Partial<Record<keyof RandomForestPackage, unknown>>) =>
      ({ ...JSON.parse(JSON.stringify(pkg)), ...patch }) as unknown;
    expect(() => loadRandomForest(mutate({ checksum: 1 }))).toThrow(
      /corrupt random forest package: checksum/,
    );
    expect(() => loadRandomForest(mutate({ params: { ...pkg.params, trees: 3 } }))).toThrow(/holds 8 trees/);
    expect(() => loadRandomForest(mutate({ feature: 'AAAA' }))).toThrow(/feature holds/);
    expect(() => loadRandomForest(mutate({ format: 'vigil.gbdt' }))).toThrow(/format/);
  });

  it("places a threshold halfway between the node's own values, as scikit-learn", () => {
    // Columns a, b. The root splits on a; among the a = 1 rows b is 0 (negative) or 10 (positive),
    // so that node splits at b < 5 even though b = 5 (a = 0 rows) lies between them globally.
    const rows: number[][] = [];
    const add = (n: number, a: number, b: number, label: number) => {
      for (let i = 0; i < n; i++) rows.push([a, b, label]);
    };
    add(10, 1, 0, 0);
    add(10, 1, 10, 1);
    add(10, 0, 5, 0);
    add(30, 0, 10, 0);
    const x = Float64Array.from(rows.flatMap((r) => [r[0]!, r[1]!]));
    const y = rows.map((r) => r[2]!);
    const forest = trainRandomForest(x, y, { features: 2, trees: 1, bootstrap: false, maxFeatures: 'all' });
    const e = forest.ensemble;
    expect([e.feature[0], e.threshold[0]]).toEqual([0, 0.5]);
    const thresholds = [1, 2].filter((i) => e.feature[i] === 1).map((i) => e.threshold[i]);
    expect(thresholds).toEqual([5]);
    expect(forest.predict([1, 4])).toBe(0);
    expect(forest.predict([1, 6])).toBe(1);
  });

  it('splits on exact values by default, so a few extreme rows get leaves of their own', () => {
    // 2,000 distinct values, the 3 largest positive: 255 equal-count bins put them in one bin
    // with 5 negatives; one bin per distinct value (the default) separates them.
    const n = 2000;
    const x = Float64Array.from({ length: n }, (_, i) => i / 7);
    const y = Array.from({ length: n }, (_, i) => (i >= n - 3 ? 1 : 0));
    const opts = { features: 1, trees: 1, bootstrap: false } as const;
    const exact = trainRandomForest(x, y, opts);
    expect(exact.params.maxBins).toBe(65_535);
    expect(Array.from(exact.predictBatch({ data: x, rows: n, cols: 1 }))).toEqual(y);
    expect(exact.predict([(n - 3.5) / 7])).toBe(1);
    expect(exact.predict([(n - 3.6) / 7])).toBe(0);
    const coarse = trainRandomForest(x, y, { ...opts, maxBins: 255 });
    expect(coarse.predict([(n - 5) / 7])).toBeGreaterThan(0);
  });

  it("averages the trees' leaf class fractions (not votes)", () => {
    const d = data(600, 10, 'xor');
    const trees = 7;
    // No bootstrap, one feature drawn per node, shallow: trees differ and leaves are mixed.
    const forest = trainRandomForest(d.x, d.y, { trees, bootstrap: false, maxFeatures: 1, maxDepth: 2 });
    const e = forest.ensemble;
    // A leaf holds (positive share of the training rows reaching it) / trees.
    const pos = new Map<number, number>();
    const all = new Map<number, number>();
    const rowOf = (r: number) => d.x.data.subarray(r * 5, r * 5 + 5);
    for (let r = 0; r < d.x.rows; r++) {
      for (let t = 0; t < trees; t++) {
        const leaf = treeEnsembleLeaf(e, t, rowOf(r));
        all.set(leaf, (all.get(leaf) ?? 0) + 1);
        pos.set(leaf, (pos.get(leaf) ?? 0) + d.y[r]!);
      }
    }
    let mixed = 0;
    for (const [leaf, count] of all) {
      const share = pos.get(leaf)! / count;
      expect(e.threshold[leaf]! * trees).toBeCloseTo(share, 12);
      if (share > 0.05 && share < 0.95) mixed++;
    }
    expect(mixed).toBeGreaterThan(0);
    for (let r = 0; r < 50; r++) {
      let mean = 0;
      for (let t = 0; t < trees; t++) mean += e.threshold[treeEnsembleLeaf(e, t, rowOf(r))]!;
      expect(forest.predict(rowOf(r))).toBeCloseTo(mean, 12);
    }
  });

  it('ranks rare extreme-value fraud as scikit-learn does (bootstrap, sqrt features)', () => {
    // Rows of standard normals; 2% get one feature moved to ±4-6 σ and are the positives. With
    // bootstrap, a node often lacks the rows next to its split, so the threshold has to sit
    // between the node's own values (255 bins and global edges scored 0.96-0.99 here).
    const table = (rows: number, seed: number) => {
      const rnd = createSeededRandom(seed);
      const cols = 6;
      const gauss = () => Math.sqrt(-2 * Math.log(1 - rnd.next())) * Math.cos(2 * Math.PI * rnd.next());
      const x = new Float64Array(rows * cols);
      const y = new Uint8Array(rows);
      for (let r = 0; r < rows; r++) {
        for (let c = 0; c < cols; c++) x[r * cols + c] = gauss();
        if (rnd.next() < 0.02) {
          x[r * cols + Math.floor(rnd.next() * cols)] = (rnd.next() < 0.5 ? -1 : 1) * (4 + 2 * rnd.next());
          y[r] = 1;
        }
      }
      return { x: { data: x, rows, cols }, y };
    };
    const train = table(3000, 11);
    const test = table(2000, 12);
    for (const seed of [1, 2]) {
      const forest = trainRandomForest(train.x, train.y, { trees: 30, seed });
      expect(rocAuc(forest.predictBatch(test.x), test.y)).toBeGreaterThan(0.998);
    }
  });

  it('loads and scores a package saved before exact splits (255 bins, same format version)', () => {
    // Written by the previous trainer: trees: 2, maxDepth: 2, seed: 3 on a 40-row table.
    const old = {
      format: 'vigil.random-forest',
      version: 1,
      features: 2,
      trees: 2,
      nodes: 10,
      base: 0,
      float32: false,
      roots: 'AAAAAAUAAAA=',
      feature: 'AQAAAP////8BAAAA//////////8AAAAA/////wEAAAD//////////w==',
      threshold:
        'AAAAAAAAGkAAAAAAAAAAAAAAAAAAACNARhdddNFFtz8AAAAAAADQPwAAAAAAAAxAAAAAAAAAAAAAAAAAAAASQAAAAAAAAAAAAAAAAAAA4D8=',
      left: 'AQAAAP////8DAAAA//////////8GAAAA/////wgAAAD//////////w==',
      defaultLeft: 'AQABAAABAAEAAA==',
      cover:
        'AAAAAAAAREAAAAAAAAA7QAAAAAAAACpAAAAAAAAAJkAAAAAAAAAAQAAAAAAAAERAAAAAAAAAOEAAAAAAAAAwQAAAAAAAACJAAAAAAAAAHEA=',
      params: {
        trees: 2,
        criterion: 'gini',
        maxDepth: 2,
        minSamplesLeaf: 1,
        minSamplesSplit: 2,
        featuresPerSplit: 1,
        bootstrap: true,
        maxSamples: 1,
        positiveWeight: 1,
        maxBins: 255,
        seed: 3,
      },
      checksum: 2495286744,
    };
    const forest = loadRandomForest(old);
    expect(forest.params.maxBins).toBe(255);
    const rows = [
      [5, 8],
      [1, 1],
      [6, 2],
      [NaN, 9],
    ];
    expect(rows.map((r) => forest.predict(r))).toEqual([0.5909090909090909, 0, 0, 0.09090909090909091]);
  });

  it('rejects bad options', () => {
    const d = data(100, 9, 'xor');
    expect(() => trainRandomForest(d.x, d.y, { trees: 0 })).toThrow(/trees/);
    expect(() => trainRandomForest(d.x, d.y, { maxFeatures: -1 })).toThrow(/maxFeatures/);
    expect(() => trainRandomForest(d.x, d.y, { maxSamples: 2 })).toThrow(/maxSamples/);
    expect(() =>
      trainRandomForest(
        d.x,
        d.y.map(() => 1),
      ),
    ).toThrow(/single class/);
  });
});
