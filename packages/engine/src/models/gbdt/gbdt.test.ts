import { describe, expect, it } from 'vitest';
import { rocAuc } from '../../metrics/ranking-metrics.js';
import { createSeededRandom } from '../../ports/clock.js';
import { loadGbdt, resolveGbdtParams, trainGbdt, type GbdtPackage } from './gbdt.js';

interface Data {
  x: Float64Array;
  y: Uint8Array;
  rows: number;
  cols: number;
}

/** XOR of the signs of x0 and x1, plus noise features and 5% label noise. */
function xorData(rows: number, seed: number): Data {
  const rnd = createSeededRandom(seed);
  const cols = 4;
  const x = new Float64Array(rows * cols);
  const y = new Uint8Array(rows);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) x[r * cols + c] = rnd.next() * 2 - 1;
    y[r] = x[r * cols]! > 0 !== x[r * cols + 1]! > 0 ? 1 : 0;
    if (rnd.next() < 0.02) y[r] = 1 - y[r]!;
  }
  return { x, y, rows, cols };
}

/** About 2% positives: fraud when amount is high and the account is new (x2 < 0.2), or x3 is missing. */
function rareData(rows: number, seed: number, missingSignal = false): Data {
  const rnd = createSeededRandom(seed);
  const cols = 4;
  const x = new Float64Array(rows * cols);
  const y = new Uint8Array(rows);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) x[r * cols + c] = rnd.next();
    let fraud = x[r * cols]! > 0.85 && x[r * cols + 2]! < 0.12;
    if (missingSignal && rnd.next() < 0.02) {
      x[r * cols + 3] = NaN;
      fraud = true;
    }
    y[r] = fraud ? 1 : 0;
  }
  return { x, y, rows, cols };
}

function auc(
  model: { predictBatch(x: { data: Float64Array; rows: number; cols: number }): Float64Array },
  d: Data,
): number {
  return rocAuc(model.predictBatch({ data: d.x, rows: d.rows, cols: d.cols }), d.y);
}

describe('trainGbdt', () => {
  it('learns an XOR-like interaction', () => {
    const train = xorData(3000, 1);
    const model = trainGbdt(train.x, train.y, { features: 4, rounds: 60, maxDepth: 3, learningRate: 0.3 });
    expect(auc(model, xorData(2000, 2))).toBeGreaterThan(0.95);
    expect(model.trees).toBe(60);
  });

  it('learns a rare-class problem', () => {
    const train = rareData(6000, 3);
    const positives = train.y.reduce((a, b) => a + b, 0);
    expect(positives / train.rows).toBeLessThan(0.03);
    const model = trainGbdt(train.x, train.y, { features: 4, rounds: 60, maxDepth: 4, learningRate: 0.2 });
    expect(auc(model, rareData(4000, 4))).toBeGreaterThan(0.95);
  });

  it('stops early when the validation metric stops improving', () => {
    const train = xorData(2000, 5);
    const model = trainGbdt(train.x, train.y, {
      features: 4,
      rounds: 500,
      learningRate: 0.5,
      maxDepth: 6,
      minChildWeight: 0,
      earlyStoppingRounds: 10,
    });
    expect(model.bestIteration).toBeLessThan(200);
    expect(model.trees).toBe(model.bestIteration);
    // It ran exactly `earlyStoppingRounds` rounds past the best one.
    expect(model.validationHistory.length).toBe(model.bestIteration + 10);
    const best = Math.min(...model.validationHistory);
    expect(model.validationHistory[model.bestIteration - 1]).toBe(best);
  });

  it('uses given validation data and an AUC metric for early stopping', () => {
    const train = xorData(1500, 6);
    const valid = xorData(500, 7);
    const model = trainGbdt(train.x, train.y, {
      features: 4,
      rounds: 300,
      learningRate: 0.3,
      earlyStoppingRounds: 5,
      evalMetric: 'auc',
      validation: { x: { data: valid.x, rows: valid.rows, cols: 4 }, y: valid.y },
    });
    expect(model.validationHistory.length).toBeLessThan(300);
    expect(Math.max(...model.validationHistory)).toBeGreaterThan(0.9);
  });

  it('raises recall on the rare class with class weighting', () => {
    // Fraud is never the majority anywhere: 30% of rows with x0 > 0.8, 0.5% elsewhere.
    const noisy = (rows: number, seed: number): Data => {
      const rnd = createSeededRandom(seed);
      const x = new Float64Array(rows * 4);
      const y = new Uint8Array(rows);
      for (let r = 0; r < rows; r++) {
        for (let c = 0; c < 4; c++) x[r * 4 + c] = rnd.next();
        y[r] = rnd.next() < (x[r * 4]! > 0.8 ? 0.3 : 0.005) ? 1 : 0;
      }
      return { x, y, rows, cols: 4 };
    };
    const train = noisy(5000, 8);
    const test = noisy(5000, 9);
    const recall = (spw: number): number => {
      const m = trainGbdt(train.x, train.y, {
        features: 4,
        rounds: 15,
        maxDepth: 2,
        scalePosWeight: spw,
        baseScore: 0.5,
      });
      const p = m.predictBatch({ data: test.x, rows: test.rows, cols: 4 });
      let tp = 0;
      let pos = 0;
      for (let i = 0; i < test.rows; i++) {
        if (test.y[i] === 1) {
          pos++;
          if (p[i]! >= 0.5) tp++;
        }
      }
      return tp / pos;
    };
    const plain = recall(1);
    const weighted = recall(10);
    expect(plain).toBeLessThan(0.1);
    expect(weighted).toBeGreaterThan(0.8);
  });

  it('routes missing values to a learned default direction', () => {
    const train = rareData(6000, 10, true);
    const model = trainGbdt(train.x, train.y, { features: 4, rounds: 40, maxDepth: 4, learningRate: 0.3 });
    expect(auc(model, rareData(4000, 11, true))).toBeGreaterThan(0.95);
    // A row that only differs by a missing x3 scores much higher.
    const row = [0.5, 0.5, 0.5, 0.5];
    expect(model.predict([0.5, 0.5, 0.5, NaN])).toBeGreaterThan(0.8);
    expect(model.predict(row)).toBeLessThan(0.05);
    // Missing values also work in a feature never missing in training (default: heavier side).
    expect(Number.isFinite(model.predict([NaN, 0.5, 0.5, 0.5]))).toBe(true);
  });

  it('is deterministic per seed and depends on the seed when sampling', () => {
    const d = xorData(1000, 12);
    const opts = {
      features: 4,
      rounds: 20,
      subsample: 0.7,
      colsampleByTree: 0.75,
      colsampleByNode: 0.5,
      seed: 3,
    };
    const a = JSON.stringify(trainGbdt(d.x, d.y, opts).toJSON());
    const b = JSON.stringify(trainGbdt(d.x, d.y, opts).toJSON());
    const c = JSON.stringify(trainGbdt(d.x, d.y, { ...opts, seed: 4 }).toJSON());
    expect(a).toBe(b);
    expect(a).not.toBe(c);
  });

  it('honours depth and leaf limits', () => {
    const d = xorData(1000, 13);
    const m = trainGbdt(d.x, d.y, { features: 4, rounds: 5, maxDepth: 3, maxLeaves: 4, minChildWeight: 0 });
    const e = m.ensemble;
    expect(e.maxDepth).toBeLessThanOrEqual(3);
    for (let t = 0; t < m.trees; t++) {
      const end = t + 1 < m.trees ? e.roots[t + 1]! : e.feature.length;
      let leaves = 0;
      for (let i = e.roots[t]!; i < end; i++) if (e.feature[i] === -1) leaves++;
      expect(leaves).toBeLessThanOrEqual(4);
    }
  });

  it('round-trips through JSON with identical scores and contributions', () => {
    const d = rareData(2000, 14, true);
    const m = trainGbdt(d.x, d.y, { features: 4, rounds: 30, featureNames: ['amount', 'a', 'age', 'b'] });
    const copy = loadGbdt(JSON.parse(JSON.stringify(m.toJSON())));
    expect(copy.featureNames).toEqual(['amount', 'a', 'age', 'b']);
    expect(copy.params).toEqual(m.params);
    for (let r = 0; r < 50; r++) {
      const row = d.x.subarray(r * 4, r * 4 + 4);
      expect(copy.score(row)).toBe(m.score(row));
      expect(Array.from(copy.contributions(row))).toEqual(Array.from(m.contributions(row)));
    }
  });

  it('rejects corrupt packages', () => {
    const d = xorData(500, 15);
    const pkg = trainGbdt(d.x, d.y, { features: 4, rounds: 3 }).toJSON();
    const mutate = (patch: Partial<Record<keyof GbdtPackage, unknown>>) =>
      ({ ...JSON.parse(JSON.stringify(pkg)), ...patch }) as unknown;
    expect(() => loadGbdt(null)).toThrow(/corrupt gbdt package: not an object/);
    expect(() => loadGbdt(mutate({ format: 'other' }))).toThrow(/format/);
    expect(() => loadGbdt(mutate({ version: 2 }))).toThrow(/unsupported version/);
    expect(() => loadGbdt(mutate({ checksum: pkg.checksum ^ 1 }))).toThrow(/checksum/);
    expect(() => loadGbdt(mutate({ threshold: pkg.threshold.slice(0, -8) }))).toThrow(/threshold/);
    expect(() => loadGbdt(mutate({ nodes: pkg.nodes + 1 }))).toThrow(/corrupt gbdt package/);
    expect(() => loadGbdt(mutate({ base: 'x' }))).toThrow(/base is not a finite number/);
    // A child pointer looping back to the root is caught before the checksum.
    const left = Buffer.from(pkg.left, 'base64');
    left.writeInt32LE(0, 0);
    expect(() => loadGbdt(mutate({ left: left.toString('base64') }))).toThrow(/children outside its tree/);
    expect(() => loadGbdt(mutate({ params: { ...pkg.params, evalMetric: 'magic' } }))).toThrow(/evalMetric/);
  });

  it('rejects bad input and options with clear messages', () => {
    const d = xorData(100, 16);
    expect(() =>
      trainGbdt(
        d.x,
        d.y.map(() => 0),
        { features: 4 },
      ),
    ).toThrow(/single class/);
    expect(() =>
      trainGbdt(
        d.x,
        Array.from(d.y, (v) => v * 2),
        { features: 4 },
      ),
    ).toThrow(/label 0 is 0|expected 0 or 1/);
    expect(() => trainGbdt(d.x, d.y.subarray(1), { features: 4 })).toThrow(/100 rows but 99 labels/);
    const inf = d.x.slice();
    inf[5] = Infinity;
    expect(() => trainGbdt(inf, d.y, { features: 4 })).toThrow(/row 1, column 1 is Infinity/);
    expect(() => resolveGbdtParams({ learningRate: 0 })).toThrow(/learningRate/);
    expect(() => resolveGbdtParams({ subsample: 1.5 })).toThrow(/subsample/);
    expect(() => resolveGbdtParams({ maxBins: 1 })).toThrow(/maxBins/);
    const m = trainGbdt(d.x, d.y, { features: 4, rounds: 2 });
    expect(() => m.predict([1, 2, 3])).toThrow(/3 values, the model expects 4/);
  });

  it('uses a Uint16 bin matrix above 255 bins', () => {
    const d = xorData(2000, 17);
    const m = trainGbdt(d.x, d.y, { features: 4, rounds: 20, maxDepth: 3, maxBins: 1000, learningRate: 0.3 });
    expect(auc(m, xorData(1000, 18))).toBeGreaterThan(0.95);
  });
});
