import { describe, expect, it } from 'vitest';
import { rocAuc } from '../../metrics/ranking-metrics.js';
import { createSeededRandom } from '../../ports/clock.js';
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
