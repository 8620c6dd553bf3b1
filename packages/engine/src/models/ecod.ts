/**
 * ECOD, "Unsupervised Outlier Detection Using Empirical Cumulative Distribution Functions"
 * (Li, Zhao, Hu, Botta, Ionescu & Chen, IEEE TKDE 2022): parameter-free.
 *
 * Training keeps, per feature, the sorted training values (the empirical CDF) and the sign of
 * the sample skewness. For a row x, per feature j:
 *   left tail  F_l(x_j) = (#{train_j <= x_j} + 1) / (n + 1)
 *   right tail F_r(x_j) = (#{train_j >= x_j} + 1) / (n + 1)
 * (the +1 counts the scored row itself, as PyOD does by fitting the ECDF on train + scored rows,
 * and keeps a value outside the training range finite). The three aggregated scores are
 *   O_left = -Σ log F_l,  O_right = -Σ log F_r,
 *   O_auto = -Σ log (skew_j < 0 ? F_l : F_r)   (the tail the skewness points to),
 * and the ECOD score is max(O_left, O_right, O_auto) (paper, Algorithm 1). PyOD's code instead
 * sums the per-feature maximum of the tail terms; that variant is available as
 * `aggregation: 'sum-of-max'` (ADBench's published ECOD figures come from it).
 *
 * The model stores n x d floats (the sorted training columns); scoring a row costs d binary
 * searches.
 */
import { assertNever } from '../util/assert-never.js';
import {
  checkContamination,
  contaminationThresholds,
  readThresholds,
  thresholdFor,
  writeThresholds,
  type AnomalyModel,
  type ContaminationThreshold,
} from './anomaly-model.js';
import { toDenseMatrix, type MatrixInput } from './matrix.js';
import { checksumString, createPackageReader, encodeFloat64 } from './model-package.js';

/** How per-feature tail terms become one score (see the module comment). */
export const ECOD_AGGREGATIONS = ['max-of-sums', 'sum-of-max'] as const;
export type EcodAggregation = (typeof ECOD_AGGREGATIONS)[number];

/** Options of {@link trainEcod}. ECOD itself has no hyper-parameters. */
export interface EcodOptions {
  /** 'max-of-sums' (the paper, default) or 'sum-of-max' (PyOD's implementation). */
  readonly aggregation?: EcodAggregation;
  /** An extra contamination level to compute a threshold for (0.01, 0.05, 0.1 always are). */
  readonly contamination?: number;
  /** Number of columns, required when the data is a flat row-major Float64Array. */
  readonly features?: number;
  /** Column names, kept in the package for explanations. */
  readonly featureNames?: readonly string[];
}

/** Package format name and version written by {@link EcodModel.toJSON}. */
export const ECOD_FORMAT = 'vigil.ecod';
export const ECOD_VERSION = 1;

/** The JSON-able saved form of an ECOD model. */
export interface EcodPackage {
  readonly format: typeof ECOD_FORMAT;
  readonly version: typeof ECOD_VERSION;
  readonly features: number;
  readonly featureNames?: readonly string[];
  readonly rows: number;
  readonly aggregation: EcodAggregation;
  /** Float64, column-major: the sorted training values of feature j at [j*rows, (j+1)*rows). */
  readonly sorted: string;
  /** Float64 sample skewness per feature. */
  readonly skewness: string;
  readonly thresholds: readonly (readonly [number, number])[];
  readonly checksum: number;
}

/** A trained ECOD model. */
export interface EcodModel extends AnomalyModel<EcodPackage> {
  readonly kind: 'ecod';
  readonly aggregation: EcodAggregation;
  /** Sample skewness of each training column (0 for a constant column). */
  readonly skewness: Float64Array;
  /**
   * Per-feature terms of the winning aggregate (-log of the chosen tail probability, >= 0);
   * they sum to the score.
   */
  contributions(row: ArrayLike<number>): Float64Array;
}

interface Ecod {
  readonly features: number;
  readonly featureNames: readonly string[] | undefined;
  readonly rows: number;
  readonly aggregation: EcodAggregation;
  readonly sorted: Float64Array;
  readonly skewness: Float64Array;
  readonly thresholds: readonly ContaminationThreshold[];
}

/**
 * Fits ECOD on training rows: sorts each column and measures its skewness, then scores the
 * training rows for the contamination thresholds. Throws on empty data or non-finite values.
 * @example
 * const model = trainEcod([[1], [2], [2], [3], [40]]);
 * model.score([40]) > model.score([2]); // true
 */
export function trainEcod(x: MatrixInput, opts: EcodOptions = {}): EcodModel {
  const m = toDenseMatrix(x, opts.features);
  const { rows: n, cols: d, data: X } = m;
  if (opts.contamination !== undefined) checkContamination(opts.contamination);
  if (opts.featureNames !== undefined && opts.featureNames.length !== d) {
    throw new Error(`ecod: ${opts.featureNames.length} feature names for ${d} columns`);
  }
  const sorted = new Float64Array(n * d);
  const skewness = new Float64Array(d);
  const col = new Float64Array(n);
  for (let j = 0; j < d; j++) {
    let mean = 0;
    for (let r = 0; r < n; r++) {
      const v = X[r * d + j]!;
      col[r] = v;
      mean += v;
    }
    mean /= n;
    let m2 = 0;
    let m3 = 0;
    for (let r = 0; r < n; r++) {
      const e = col[r]! - mean;
      m2 += e * e;
      m3 += e * e * e;
    }
    m2 /= n;
    m3 /= n;
    // Biased sample skewness g1 = m3 / m2^1.5 (scipy.stats.skew's default); relative guard
    // against a column that is constant up to rounding.
    skewness[j] = m2 > 1e-24 * (mean * mean + 1) ? m3 / Math.pow(m2, 1.5) : 0;
    col.sort();
    sorted.set(col, j * n);
  }
  const base: Omit<Ecod, 'thresholds'> = {
    features: d,
    featureNames: opts.featureNames,
    rows: n,
    aggregation: opts.aggregation ?? 'max-of-sums',
    sorted,
    skewness,
  };
  const model = createModel({ ...base, thresholds: [] });
  const trainScores = model.scoreBatch(m);
  return createModel({ ...base, thresholds: contaminationThresholds(trainScores, opts.contamination) });
}

/** Number of entries of a[off, off+n) that are <= v (a sorted ascending). */
function countLE(a: Float64Array, off: number, n: number, v: number): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[off + mid]! <= v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Number of entries of a[off, off+n) that are < v. */
function countLT(a: Float64Array, off: number, n: number, v: number): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[off + mid]! < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function createModel(e: Ecod): EcodModel {
  const { features: d, rows: n, sorted, aggregation } = e;
  // negLog[c] = -ln((c + 1) / (n + 1)): the tail term for a count c of training values.
  const negLog = new Float64Array(n + 1);
  for (let c = 0; c <= n; c++) negLog[c] = -Math.log((c + 1) / (n + 1));
  const leftTail = new Uint8Array(d);
  for (let j = 0; j < d; j++) leftTail[j] = e.skewness[j]! < 0 ? 1 : 0;
  const checkWidth = (row: ArrayLike<number>): void => {
    if (row.length !== d) throw new Error(`ecod: row has ${row.length} values, the model expects ${d}`);
  };
  // Fills the per-feature terms when `out` is given; returns the score.
  const scoreAt = (row: ArrayLike<number>, off: number, out?: Float64Array): number => {
    let sumL = 0;
    let sumR = 0;
    let sumA = 0;
    let sumMax = 0;
    for (let j = 0; j < d; j++) {
      const v = row[off + j]!;
      if (v - v !== 0) return NaN;
      const ul = negLog[countLE(sorted, j * n, n, v)]!;
      const ur = negLog[n - countLT(sorted, j * n, n, v)]!;
      sumL += ul;
      sumR += ur;
      sumA += leftTail[j] === 1 ? ul : ur;
      sumMax += ul > ur ? ul : ur;
    }
    switch (aggregation) {
      case 'max-of-sums': {
        const best = Math.max(sumL, sumR, sumA);
        if (out !== undefined) {
          const which = best === sumA ? 2 : best === sumL ? 0 : 1;
          for (let j = 0; j < d; j++) {
            const v = row[off + j]!;
            const ul = negLog[countLE(sorted, j * n, n, v)]!;
            const ur = negLog[n - countLT(sorted, j * n, n, v)]!;
            out[j] = which === 0 ? ul : which === 1 ? ur : leftTail[j] === 1 ? ul : ur;
          }
        }
        return best;
      }
      case 'sum-of-max':
        if (out !== undefined) {
          for (let j = 0; j < d; j++) {
            const v = row[off + j]!;
            const ul = negLog[countLE(sorted, j * n, n, v)]!;
            const ur = negLog[n - countLT(sorted, j * n, n, v)]!;
            out[j] = ul > ur ? ul : ur;
          }
        }
        return sumMax;
      default:
        return assertNever(aggregation);
    }
  };
  return {
    kind: 'ecod',
    features: d,
    featureNames: e.featureNames,
    thresholds: e.thresholds,
    aggregation,
    skewness: e.skewness,
    score(row) {
      checkWidth(row);
      return scoreAt(row, 0);
    },
    scoreBatch(x) {
      const m = toDenseMatrix(x, d, 'scoring data', false);
      const out = new Float64Array(m.rows);
      for (let r = 0; r < m.rows; r++) out[r] = scoreAt(m.data, r * d);
      return out;
    },
    contributions(row) {
      checkWidth(row);
      const out = new Float64Array(d);
      if (Number.isNaN(scoreAt(row, 0, out))) out.fill(NaN);
      return out;
    },
    threshold(c) {
      return thresholdFor(e.thresholds, c);
    },
    toJSON() {
      const body = {
        features: d,
        rows: n,
        aggregation,
        sorted: encodeFloat64(sorted),
        skewness: encodeFloat64(e.skewness),
        thresholds: writeThresholds(e.thresholds),
      };
      return {
        format: ECOD_FORMAT,
        version: ECOD_VERSION,
        ...body,
        ...(e.featureNames === undefined ? {} : { featureNames: e.featureNames }),
        checksum: ecodChecksum(body, e.featureNames),
      };
    },
  };
}

function ecodChecksum(
  b: {
    features: number;
    rows: number;
    aggregation: string;
    sorted: string;
    skewness: string;
    thresholds: readonly (readonly [number, number])[];
  },
  names: readonly string[] | undefined,
): number {
  const head = [
    ECOD_FORMAT,
    ECOD_VERSION,
    b.features,
    b.rows,
    b.aggregation,
    b.thresholds.map((p) => p.join(':')).join(','),
    names?.join('\u0000') ?? '',
  ].join('|');
  return checksumString(b.skewness, checksumString(b.sorted, checksumString(head)));
}

function isAggregation(s: string): s is EcodAggregation {
  return (ECOD_AGGREGATIONS as readonly string[]).includes(s);
}

/**
 * Rebuilds an ECOD model from its package, validating format, version, sizes, base64 arrays,
 * sorted finite columns, thresholds and the checksum; throws `corrupt ecod package: <reason>`.
 * @example
 * const copy = loadEcod(JSON.parse(JSON.stringify(model.toJSON())));
 */
export function loadEcod(pkg: unknown): EcodModel {
  const r = createPackageReader(pkg, 'ecod');
  if (r.string('format') !== ECOD_FORMAT) r.fail(`format is not ${ECOD_FORMAT}`);
  const version = r.int('version', 0);
  if (version !== ECOD_VERSION) r.fail(`unsupported version ${version}`);
  const features = r.int('features', 1);
  const rows = r.int('rows', 1);
  const aggregation = r.string('aggregation');
  if (!isAggregation(aggregation)) return r.fail(`unknown aggregation ${aggregation}`);
  const featureNames = r.stringsOrUndefined('featureNames', features);
  const sorted = r.float64('sorted', rows * features);
  const skewness = r.float64('skewness', features);
  const thresholds = readThresholds(r);
  const sum = ecodChecksum(
    {
      features,
      rows,
      aggregation,
      sorted: r.string('sorted'),
      skewness: r.string('skewness'),
      thresholds: writeThresholds(thresholds),
    },
    featureNames,
  );
  if (r.int('checksum', 0, 0xffffffff) !== sum)
    r.fail('checksum mismatch (package was altered or truncated)');
  for (let j = 0; j < features; j++) {
    if (!Number.isFinite(skewness[j]!)) r.fail(`skewness of feature ${j} is not finite`);
    for (let i = j * rows; i < (j + 1) * rows; i++) {
      const v = sorted[i]!;
      if (!Number.isFinite(v) || (i > j * rows && v < sorted[i - 1]!)) {
        r.fail(`column ${j} is not a sorted list of finite numbers`);
      }
    }
  }
  return createModel({ features, featureNames, rows, aggregation, sorted, skewness, thresholds });
}
