import { describe, expect, it } from 'vitest';
import {
  adbenchSplit,
  approximateMode,
  boundedRowIndices,
  minMaxScale,
  stratifiedSplitIndices,
  type LabelledData,
} from './adbench-protocol.js';
import { createNumpyLegacyRandom } from '../../../packages/engine/src/models/numpy-random.js';

function dataset(rows: number, anomalies: number): LabelledData {
  const data = new Float64Array(rows * 2);
  const labels = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    data[r * 2] = r;
    data[r * 2 + 1] = r % 3;
    labels[r] = r < anomalies ? 1 : 0;
  }
  return { x: { data, rows, cols: 2 }, labels };
}

describe('ADBench protocol', () => {
  it('resamples small data to 1,000 rows and subsamples big data to 10,000', () => {
    expect(boundedRowIndices(768, createNumpyLegacyRandom(1)).slice(0, 4)).toEqual(
      Int32Array.of(37, 235, 72, 767),
    );
    const big = boundedRowIndices(49097, createNumpyLegacyRandom(3));
    expect(big.length).toBe(10_000);
    expect(Array.from(big.slice(0, 3))).toEqual([4585, 25371, 47163]);
    expect(new Set(big).size).toBe(10_000);
    expect(boundedRowIndices(5000, createNumpyLegacyRandom(1))).toEqual(
      Int32Array.from({ length: 5000 }, (_, i) => i),
    );
  });

  it('allocates class counts like scikit-learn _approximate_mode', () => {
    const rng = createNumpyLegacyRandom(1);
    // 700 * 0.9 = 630, 700 * 0.1 = 70: exact
    expect(approximateMode([900, 100], 700, rng)).toEqual([630, 70]);
    // cardio: 176 anomalies in 1831 rows, 1281 train: 1281 * 1655/1831 = 1157.89…, 1281 * 176/1831 = 123.11…
    expect(approximateMode([1655, 176], 1281, rng)).toEqual([1158, 123]);
    // Equal remainders (0.5, 0.5) with one to add: a random pick of one class
    const tie = approximateMode([3, 3], 3, createNumpyLegacyRandom(5));
    expect(tie[0]! + tie[1]!).toBe(3);
    expect(tie.every((c) => c === 1 || c === 2)).toBe(true);
  });

  it('splits 70/30 stratified with test size ceil(0.3 n), disjoint and complete', () => {
    const labels = dataset(1831, 176).labels;
    const { train, test } = stratifiedSplitIndices(labels, 0.3, createNumpyLegacyRandom(1));
    expect(test.length).toBe(550);
    expect(train.length).toBe(1281);
    expect(new Set([...train, ...test]).size).toBe(1831);
    expect(Array.from(train).filter((i) => labels[i] === 1).length).toBe(123);
    expect(Array.from(test).filter((i) => labels[i] === 1).length).toBe(53);
    const again = stratifiedSplitIndices(labels, 0.3, createNumpyLegacyRandom(1));
    expect(again.train).toEqual(train);
    expect(() => stratifiedSplitIndices(Float64Array.of(0, 0, 1), 0.3, createNumpyLegacyRandom(1))).toThrow(
      /at least 2 rows/,
    );
  });

  it('min-max scales with the training range (constant column: scale 1)', () => {
    const fit = { data: Float64Array.of(0, 5, 10, 5), rows: 2, cols: 2 };
    const x = { data: Float64Array.of(5, 7, 20, 5), rows: 2, cols: 2 };
    expect(Array.from(minMaxScale(fit, x).data)).toEqual([0.5, 2, 2, 0]);
  });

  it('runs the whole protocol per seed', () => {
    const d = dataset(300, 30);
    const a = adbenchSplit(d, 1);
    expect(a.train.x.rows).toBe(700);
    expect(a.test.x.rows).toBe(300);
    expect(a.test.labels.reduce((s, v) => s + v, 0)).toBeGreaterThan(20);
    expect(Math.min(...a.train.x.data)).toBe(0);
    expect(Math.max(...a.train.x.data)).toBe(1);
    expect(adbenchSplit(d, 1).test.x.data).toEqual(a.test.x.data);
    expect(adbenchSplit(d, 2).test.x.data).not.toEqual(a.test.x.data);
  });
});
