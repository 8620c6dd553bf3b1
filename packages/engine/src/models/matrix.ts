/**
 * Dense numeric matrices for model training: one row-major Float64Array, so trainers walk rows
 * and columns without per-row objects. Every trainer takes a {@link MatrixInput} and converts it
 * once with {@link toDenseMatrix}, which also rejects non-finite values with a message naming
 * the row and column (missing values must be imputed by preprocessing before training).
 */

/** A row-major matrix: value (r, c) is `data[r * cols + c]`. */
export interface DenseMatrix {
  readonly data: Float64Array;
  readonly rows: number;
  readonly cols: number;
}

/** Training or scoring data: a dense matrix, an array of rows, or a flat row-major array. */
export type MatrixInput = DenseMatrix | Float64Array | readonly ArrayLike<number>[];

function isDense(x: MatrixInput): x is DenseMatrix {
  return !(x instanceof Float64Array) && !Array.isArray(x);
}

/**
 * Converts model input to a validated dense matrix. A flat Float64Array needs `cols`; an array
 * of rows must be rectangular. Throws on empty input, ragged rows, a column-count mismatch
 * (when `cols` is given) or, unless `checkFinite` is false (scoring, where such rows score NaN),
 * any NaN/±Infinity, naming the offending row and column.
 * @example
 * toDenseMatrix([[1, 2], [3, 4]]); // { data: Float64Array [1, 2, 3, 4], rows: 2, cols: 2 }
 * toDenseMatrix(new Float64Array([1, 2, 3, 4]), 2, 'scoring data');
 */
export function toDenseMatrix(
  x: MatrixInput,
  cols?: number,
  what = 'training data',
  checkFinite = true,
): DenseMatrix {
  let m: DenseMatrix;
  if (x instanceof Float64Array) {
    if (cols === undefined) throw new Error(`${what}: a flat Float64Array needs the number of columns`);
    if (!Number.isInteger(cols) || cols <= 0) throw new Error(`${what}: columns must be a positive integer`);
    if (x.length % cols !== 0) {
      throw new Error(`${what}: ${x.length} values are not a whole number of rows of ${cols} columns`);
    }
    m = { data: x, rows: x.length / cols, cols };
  } else if (isDense(x)) {
    if (x.data.length !== x.rows * x.cols) {
      throw new Error(`${what}: matrix has ${x.data.length} values, expected ${x.rows} x ${x.cols}`);
    }
    if (cols !== undefined && x.cols !== cols) {
      throw new Error(`${what}: ${x.cols} columns, the model expects ${cols}`);
    }
    m = x;
  } else {
    const rows = x.length;
    const first = x[0];
    const c = cols ?? first?.length ?? 0;
    const data = new Float64Array(rows * c);
    for (let r = 0; r < rows; r++) {
      const row = x[r]!;
      if (row.length !== c) throw new Error(`${what}: row ${r} has ${row.length} columns, expected ${c}`);
      for (let j = 0; j < c; j++) data[r * c + j] = row[j]!;
    }
    m = { data, rows, cols: c };
  }
  if (m.rows === 0 || m.cols === 0) throw new Error(`${what}: no rows or no columns`);
  if (!checkFinite) return m;
  const d = m.data;
  for (let i = 0; i < d.length; i++) {
    const v = d[i]!;
    if (!Number.isFinite(v)) {
      const r = Math.floor(i / m.cols);
      throw new Error(`${what}: row ${r}, column ${i - r * m.cols} is ${v}, not a finite number`);
    }
  }
  return m;
}

/**
 * Whether a row has the model's width and only finite values; models return NaN for a row that
 * fails this (the engine records a non-finite model score as a failure), and throw on a wrong width.
 * @example rowIsFinite([1, NaN], 2); // false
 */
export function rowIsFinite(row: ArrayLike<number>, cols: number): boolean {
  if (row.length !== cols) throw new Error(`row has ${row.length} values, the model expects ${cols}`);
  for (let j = 0; j < cols; j++) {
    const v = row[j]!;
    if (v - v !== 0) return false;
  }
  return true;
}

/**
 * The `q`-quantile (0..1) of an ascending array with linear interpolation between order
 * statistics (numpy's default `percentile` method).
 * @example quantileSorted(Float64Array.from([1, 2, 3, 4]), 0.5); // 2.5
 */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const pos = Math.min(Math.max(q, 0), 1) * (n - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, n - 1);
  const a = sorted[lo]!;
  return a + (sorted[hi]! - a) * (pos - lo);
}
