/**
 * The shared synthetic table of `bench:models`: rows of standard-normal features (seeded),
 * with planted anomalies (a few features shifted by 4-6 standard deviations) and a supervised
 * label that marks the planted anomalies plus a nonlinear "fraud" rule, so unsupervised and
 * supervised models train on the same matrix.
 */
import { createSeededRandom } from '@vigil/engine';

/** A row-major table with labels. */
export interface SyntheticTable {
  readonly x: Float64Array;
  readonly rows: number;
  readonly cols: number;
  /** 1 for planted anomalies and rule-based fraud. */
  readonly y: Uint8Array;
  /** 1 for planted anomalies only. */
  readonly anomaly: Uint8Array;
}

/**
 * Builds the table: `anomalyRate` of rows planted as anomalies; the fraud rule is
 * x0 + x1 > 2.2 and x2 > 0.3 (about 2% of rows).
 * @example const t = syntheticTable(10_000, 10, 0.02, 1);
 */
export function syntheticTable(
  rows: number,
  cols: number,
  anomalyRate: number,
  seed: number,
): SyntheticTable {
  const rnd = createSeededRandom(seed);
  const gauss = (): number => Math.sqrt(-2 * Math.log(1 - rnd.next())) * Math.cos(2 * Math.PI * rnd.next());
  const x = new Float64Array(rows * cols);
  const y = new Uint8Array(rows);
  const anomaly = new Uint8Array(rows);
  for (let r = 0; r < rows; r++) {
    const o = r * cols;
    for (let c = 0; c < cols; c++) x[o + c] = gauss();
    if (rnd.next() < anomalyRate) {
      anomaly[r] = 1;
      const shifted = 1 + Math.floor(rnd.next() * 3);
      for (let k = 0; k < shifted; k++) {
        const c = Math.floor(rnd.next() * cols);
        x[o + c] = (rnd.next() < 0.5 ? -1 : 1) * (4 + 2 * rnd.next());
      }
    }
    y[r] = anomaly[r] === 1 || (x[o]! + x[o + 1]! > 2.2 && x[o + 2]! > 0.3) ? 1 : 0;
  }
  return { x, rows, cols, y, anomaly };
}

/**
 * Row range of a table as its own flat matrix.
 * @example const test = sliceRows(t.x, t.cols, 8000, 10_000);
 */
export function sliceRows(x: Float64Array, cols: number, from: number, to: number): Float64Array {
  return x.slice(from * cols, to * cols);
}
