/**
 * ADBench's data protocol (Han et al., NeurIPS 2022, §4.1 and `adbench/datasets/data_generator.py`):
 * datasets under 1,000 rows are resampled with replacement to 1,000 rows, datasets over 10,000
 * rows are subsampled without replacement to 10,000, then a stratified 70/30 train/test split
 * (test size ceil(0.3 n), as scikit-learn's `train_test_split`), then min-max scaling fitted on
 * the training part and applied to both. The random draws replay ADBench's own: `np.random.seed(seed)`
 * (numpy's legacy MT19937, ported in numpy-random.ts), `np.random.choice` for the size bounds and
 * scikit-learn's stratified `train_test_split` on the same global generator, so for a seed the
 * rows in train and test are the rows ADBench used (for files shipped in full; the `_10k` files
 * are already a different 10,000-row subset).
 */
import type { DenseMatrix } from '../../../packages/engine/src/models/matrix.js';
import {
  createNumpyLegacyRandom,
  type NumpyLegacyRandom,
} from '../../../packages/engine/src/models/numpy-random.js';

/** Row bounds of the protocol. */
export const ADBENCH_MIN_ROWS = 1000;
export const ADBENCH_MAX_ROWS = 10_000;
export const ADBENCH_TEST_SIZE = 0.3;

/** Features and 0/1 labels of a dataset or one side of a split. */
export interface LabelledData {
  readonly x: DenseMatrix;
  readonly labels: Float64Array;
}

/** One protocol split. */
export interface AdbenchSplit {
  readonly train: LabelledData;
  readonly test: LabelledData;
}

/**
 * Takes the given rows (indices may repeat) of a dataset.
 * @example takeRows(data, Int32Array.of(0, 0, 2));
 */
export function takeRows(d: LabelledData, idx: ArrayLike<number>): LabelledData {
  const { cols } = d.x;
  const data = new Float64Array(idx.length * cols);
  const labels = new Float64Array(idx.length);
  for (let i = 0; i < idx.length; i++) {
    const r = idx[i]!;
    data.set(d.x.data.subarray(r * cols, (r + 1) * cols), i * cols);
    labels[i] = d.labels[r]!;
  }
  return { x: { data, rows: idx.length, cols }, labels };
}

/**
 * Row indices after ADBench's size bounds, as its data generator draws them: re-seed, then
 * `np.random.choice(n, 1000, replace=True)` below 1,000 rows or
 * `np.random.choice(n, 10000, replace=False)` above 10,000; otherwise all rows in order.
 * @example boundedRowIndices(500, createNumpyLegacyRandom(1)).length; // 1000
 */
export function boundedRowIndices(n: number, rng: NumpyLegacyRandom): Int32Array {
  if (n < ADBENCH_MIN_ROWS) return rng.choice(n, ADBENCH_MIN_ROWS, true);
  if (n > ADBENCH_MAX_ROWS) return rng.choice(n, ADBENCH_MAX_ROWS, false);
  return Int32Array.from({ length: n }, (_, i) => i);
}

/**
 * scikit-learn's `_approximate_mode`: per-class counts summing to `draws`, proportional to
 * `counts`, remainders given out by size with ties broken by `rng.choice`.
 * @example approximateMode([90, 10], 70, rng); // [63, 7]
 */
export function approximateMode(counts: readonly number[], draws: number, rng: NumpyLegacyRandom): number[] {
  const total = counts.reduce((a, b) => a + b, 0);
  const continuous = counts.map((c) => (c / total) * draws);
  const floored = continuous.map((c) => Math.floor(c));
  let need = Math.trunc(draws - floored.reduce((a, b) => a + b, 0));
  if (need > 0) {
    const remainder = continuous.map((c, i) => c - floored[i]!);
    const values = [...new Set(remainder)].sort((a, b) => b - a);
    for (const value of values) {
      const inds = remainder.flatMap((r, i) => (r === value ? [i] : []));
      const addNow = Math.min(inds.length, need);
      for (const k of rng.choice(inds.length, addNow, false)) floored[inds[k]!]!++;
      need -= addNow;
      if (need === 0) break;
    }
  }
  return floored;
}

/**
 * `train_test_split(X, y, test_size, shuffle=True, stratify=y)` with the global numpy generator,
 * i.e. scikit-learn's StratifiedShuffleSplit: n_test = ceil(testSize * n), per-class train and
 * test counts by {@link approximateMode}, a permutation per class, then both sides permuted.
 * @example const { train, test } = stratifiedSplitIndices(labels, 0.3, rng);
 */
export function stratifiedSplitIndices(
  labels: Float64Array,
  testSize: number,
  rng: NumpyLegacyRandom,
): { readonly train: Int32Array; readonly test: Int32Array } {
  const n = labels.length;
  const nTest = Math.ceil(testSize * n);
  const nTrain = n - nTest;
  // Class indices in ascending row order (a stable argsort of the labels).
  const classIndices: number[][] = [[], []];
  for (let i = 0; i < n; i++) classIndices[labels[i] === 1 ? 1 : 0]!.push(i);
  const counts = classIndices.map((c) => c.length);
  if (Math.min(...counts) < 2) throw new Error('stratified split: each class needs at least 2 rows');
  const nI = approximateMode(counts, nTrain, rng);
  const tI = approximateMode(
    counts.map((c, i) => c - nI[i]!),
    nTest,
    rng,
  );
  const train: number[] = [];
  const test: number[] = [];
  classIndices.forEach((idx, c) => {
    const perm = rng.permutation(idx.length);
    for (let k = 0; k < nI[c]! + tI[c]!; k++) (k < nI[c]! ? train : test).push(idx[perm[k]!]!);
  });
  const trainOut = Int32Array.from(train);
  const testOut = Int32Array.from(test);
  rng.shuffle(trainOut);
  rng.shuffle(testOut);
  return { train: trainOut, test: testOut };
}

/**
 * Min-max scaling fitted on `fit` and applied to `x` (scikit-learn's MinMaxScaler: a constant
 * column gets scale 1, test values may fall outside [0, 1]).
 * @example minMaxScale(train.x, test.x);
 */
export function minMaxScale(fit: DenseMatrix, x: DenseMatrix): DenseMatrix {
  const { cols } = fit;
  const lo = new Float64Array(cols).fill(Infinity);
  const hi = new Float64Array(cols).fill(-Infinity);
  for (let r = 0; r < fit.rows; r++) {
    for (let j = 0; j < cols; j++) {
      const v = fit.data[r * cols + j]!;
      if (v < lo[j]!) lo[j] = v;
      if (v > hi[j]!) hi[j] = v;
    }
  }
  const data = new Float64Array(x.data.length);
  for (let r = 0; r < x.rows; r++) {
    for (let j = 0; j < cols; j++) {
      const range = hi[j]! - lo[j]!;
      data[r * cols + j] = (x.data[r * cols + j]! - lo[j]!) / (range === 0 ? 1 : range);
    }
  }
  return { data, rows: x.rows, cols };
}

/**
 * The whole protocol for one seed: bounds, stratified 70/30 split, min-max scaling.
 * @example const { train, test } = adbenchSplit(dataset, 1);
 */
export function adbenchSplit(d: LabelledData, seed: number): AdbenchSplit {
  const rng = createNumpyLegacyRandom(seed);
  const bounded = takeRows(d, boundedRowIndices(d.x.rows, rng));
  const { train, test } = stratifiedSplitIndices(bounded.labels, ADBENCH_TEST_SIZE, rng);
  const tr = takeRows(bounded, train);
  const te = takeRows(bounded, test);
  return {
    train: { x: minMaxScale(tr.x, tr.x), labels: tr.labels },
    test: { x: minMaxScale(tr.x, te.x), labels: te.labels },
  };
}
