/**
 * Ensemble of an isolation forest and ECOD: the mean of the two models' rank-normalised scores.
 * Each member's score is mapped to [0, 1] by the empirical CDF of its scores on the training
 * rows (stored as at most 1,025 quantiles, linearly interpolated; below the training minimum 0,
 * at or above the maximum 1), so neither model's scale dominates and the result reads as "the
 * average training percentile of this row". Fitted on training data only.
 */
import {
  checkContamination,
  contaminationThresholds,
  readThresholds,
  thresholdFor,
  writeThresholds,
  type AnomalyModel,
  type ContaminationThreshold,
} from './anomaly-model.js';
import { loadEcod, trainEcod, type EcodModel, type EcodOptions, type EcodPackage } from './ecod.js';
import {
  loadIsolationForest,
  trainIsolationForest,
  type IsolationForestModel,
  type IsolationForestOptions,
  type IsolationForestPackage,
} from './isolation-forest.js';
import { toDenseMatrix, type MatrixInput } from './matrix.js';
import { checksumString, createPackageReader, encodeFloat64 } from './model-package.js';

/** Most quantiles kept per member to rank-normalise its scores. */
export const ENSEMBLE_GRID_SIZE = 1025;

/** Options of {@link trainAnomalyEnsemble}. */
export interface AnomalyEnsembleOptions {
  /** Isolation forest options (trees, sampleSize, maxDepth, seed). */
  readonly iforest?: Pick<IsolationForestOptions, 'trees' | 'sampleSize' | 'maxDepth' | 'seed'>;
  /** ECOD options (aggregation). */
  readonly ecod?: Pick<EcodOptions, 'aggregation'>;
  /** An extra contamination level to compute a threshold for (0.01, 0.05, 0.1 always are). */
  readonly contamination?: number;
  /** Number of columns, required when the data is a flat row-major Float64Array. */
  readonly features?: number;
  /** Column names, kept in the packages for explanations. */
  readonly featureNames?: readonly string[];
}

/** Package format name and version written by {@link AnomalyEnsembleModel.toJSON}. */
export const ANOMALY_ENSEMBLE_FORMAT = 'vigil.anomaly-ensemble';
export const ANOMALY_ENSEMBLE_VERSION = 1;

/** The JSON-able saved form of an ensemble: both member packages and their normalisers. */
export interface AnomalyEnsemblePackage {
  readonly format: typeof ANOMALY_ENSEMBLE_FORMAT;
  readonly version: typeof ANOMALY_ENSEMBLE_VERSION;
  readonly iforest: IsolationForestPackage;
  readonly ecod: EcodPackage;
  readonly gridSize: number;
  /** Float64 ascending quantiles of the forest's training scores. */
  readonly iforestGrid: string;
  /** Float64 ascending quantiles of ECOD's training scores. */
  readonly ecodGrid: string;
  readonly thresholds: readonly (readonly [number, number])[];
  readonly checksum: number;
}

/** A trained isolation-forest + ECOD ensemble; scores are in [0, 1]. */
export interface AnomalyEnsembleModel extends AnomalyModel<AnomalyEnsemblePackage> {
  readonly kind: 'anomaly-ensemble';
  readonly iforest: IsolationForestModel;
  readonly ecod: EcodModel;
  /**
   * Per-feature contributions: each member's contributions rescaled so their absolute values
   * sum to the member's normalised score, then averaged over the two members.
   */
  contributions(row: ArrayLike<number>): Float64Array;
}

/**
 * Ascending quantile grid (at most `size` points, evenly spaced in probability) of scores.
 * @example quantileGrid(Float64Array.from([3, 1, 2]), 1025); // Float64Array [1, 2, 3]
 */
export function quantileGrid(scores: Float64Array, size = ENSEMBLE_GRID_SIZE): Float64Array {
  const sorted = Float64Array.from(scores).sort();
  const n = sorted.length;
  if (n <= size) return sorted;
  const g = new Float64Array(size);
  for (let i = 0; i < size; i++) g[i] = sorted[Math.round((i * (n - 1)) / (size - 1))]!;
  return g;
}

/**
 * Empirical-CDF position of `s` in an ascending grid, linearly interpolated: 0 below the first
 * point, 1 at or above the last, NaN for NaN.
 * @example rankNormalise(Float64Array.from([0, 1, 2]), 1.5); // 0.75
 */
export function rankNormalise(grid: Float64Array, s: number): number {
  const m = grid.length;
  if (Number.isNaN(s)) return NaN;
  if (m < 2) return m === 1 && s >= grid[0]! ? 1 : 0;
  if (s < grid[0]!) return 0;
  if (s >= grid[m - 1]!) return 1;
  // Last i with grid[i] <= s (i < m - 1 here, so grid[i + 1] > s).
  let lo = 0;
  let hi = m - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >>> 1;
    if (grid[mid]! <= s) lo = mid;
    else hi = mid;
  }
  const a = grid[lo]!;
  return (lo + (s - a) / (grid[lo + 1]! - a)) / (m - 1);
}

/**
 * Trains both members on the same rows, builds their normalisers from their training scores
 * and the ensemble's contamination thresholds.
 * @example
 * const model = trainAnomalyEnsemble(rows, { iforest: { seed: 1 } });
 * model.score(rows[0]); // in [0, 1]
 */
export function trainAnomalyEnsemble(
  x: MatrixInput,
  opts: AnomalyEnsembleOptions = {},
): AnomalyEnsembleModel {
  const m = toDenseMatrix(x, opts.features);
  if (opts.contamination !== undefined) checkContamination(opts.contamination);
  const names = opts.featureNames === undefined ? {} : { featureNames: opts.featureNames };
  const iforest = trainIsolationForest(m, { ...opts.iforest, ...names });
  const ecod = trainEcod(m, { ...opts.ecod, ...names });
  return combineAnomalyModels(iforest, ecod, m, opts.contamination);
}

/**
 * Builds the ensemble from members already trained on `x` (the same training rows): fits the
 * normalisers and thresholds without retraining either model.
 * @example
 * const ensemble = combineAnomalyModels(trainIsolationForest(x), trainEcod(x), x);
 */
export function combineAnomalyModels(
  iforest: IsolationForestModel,
  ecod: EcodModel,
  x: MatrixInput,
  contamination?: number,
): AnomalyEnsembleModel {
  if (iforest.features !== ecod.features) throw new Error('anomaly ensemble: members disagree on features');
  const m = toDenseMatrix(x, iforest.features);
  if (contamination !== undefined) checkContamination(contamination);
  const a = iforest.scoreBatch(m);
  const b = ecod.scoreBatch(m);
  const iforestGrid = quantileGrid(a);
  const ecodGrid = quantileGrid(b);
  const train = new Float64Array(m.rows);
  for (let i = 0; i < m.rows; i++) {
    train[i] = (rankNormalise(iforestGrid, a[i]!) + rankNormalise(ecodGrid, b[i]!)) / 2;
  }
  const thresholds = contaminationThresholds(train, contamination);
  return createModel(iforest, ecod, iforestGrid, ecodGrid, thresholds);
}

function createModel(
  iforest: IsolationForestModel,
  ecod: EcodModel,
  iforestGrid: Float64Array,
  ecodGrid: Float64Array,
  thresholds: readonly ContaminationThreshold[],
): AnomalyEnsembleModel {
  const d = iforest.features;
  return {
    kind: 'anomaly-ensemble',
    features: d,
    featureNames: iforest.featureNames,
    thresholds,
    iforest,
    ecod,
    score(row) {
      return (rankNormalise(iforestGrid, iforest.score(row)) + rankNormalise(ecodGrid, ecod.score(row))) / 2;
    },
    scoreBatch(x) {
      const a = iforest.scoreBatch(x);
      const b = ecod.scoreBatch(x);
      const out = new Float64Array(a.length);
      for (let i = 0; i < a.length; i++) {
        out[i] = (rankNormalise(iforestGrid, a[i]!) + rankNormalise(ecodGrid, b[i]!)) / 2;
      }
      return out;
    },
    contributions(row) {
      const out = new Float64Array(d);
      const members: readonly [Float64Array, number][] = [
        [iforest.contributions(row), rankNormalise(iforestGrid, iforest.score(row))],
        [ecod.contributions(row), rankNormalise(ecodGrid, ecod.score(row))],
      ];
      for (const [c, s] of members) {
        let abs = 0;
        for (let j = 0; j < d; j++) abs += Math.abs(c[j]!);
        if (abs === 0 || !Number.isFinite(abs)) {
          if (!Number.isFinite(abs)) out.fill(NaN);
          continue;
        }
        for (let j = 0; j < d; j++) out[j]! += (c[j]! / abs) * s * 0.5;
      }
      return out;
    },
    threshold(c) {
      return thresholdFor(thresholds, c);
    },
    toJSON() {
      const body = {
        iforest: iforest.toJSON(),
        ecod: ecod.toJSON(),
        gridSize: ENSEMBLE_GRID_SIZE,
        iforestGrid: encodeFloat64(iforestGrid),
        ecodGrid: encodeFloat64(ecodGrid),
        thresholds: writeThresholds(thresholds),
      };
      return {
        format: ANOMALY_ENSEMBLE_FORMAT,
        version: ANOMALY_ENSEMBLE_VERSION,
        ...body,
        checksum: ensembleChecksum(body),
      };
    },
  };
}

function ensembleChecksum(b: {
  iforest: { checksum: number };
  ecod: { checksum: number };
  gridSize: number;
  iforestGrid: string;
  ecodGrid: string;
  thresholds: readonly (readonly [number, number])[];
}): number {
  const head = [
    ANOMALY_ENSEMBLE_FORMAT,
    ANOMALY_ENSEMBLE_VERSION,
    b.iforest.checksum,
    b.ecod.checksum,
    b.gridSize,
    b.thresholds.map((p) => p.join(':')).join(','),
  ].join('|');
  return checksumString(b.ecodGrid, checksumString(b.iforestGrid, checksumString(head)));
}

function gridLength(b64: string): number {
  return (b64.length / 4) * 3 - (b64.endsWith('==') ? 2 : b64.endsWith('=') ? 1 : 0);
}

/**
 * Rebuilds an ensemble from its package, validating it and both member packages; throws
 * `corrupt anomaly ensemble package: <reason>` (or the member's own corrupt-package error).
 * @example
 * const copy = loadAnomalyEnsemble(JSON.parse(JSON.stringify(model.toJSON())));
 */
export function loadAnomalyEnsemble(pkg: unknown): AnomalyEnsembleModel {
  const r = createPackageReader(pkg, 'anomaly ensemble');
  if (r.string('format') !== ANOMALY_ENSEMBLE_FORMAT) r.fail(`format is not ${ANOMALY_ENSEMBLE_FORMAT}`);
  const version = r.int('version', 0);
  if (version !== ANOMALY_ENSEMBLE_VERSION) r.fail(`unsupported version ${version}`);
  const iforest = loadIsolationForest(r.object('iforest'));
  const ecod = loadEcod(r.object('ecod'));
  if (iforest.features !== ecod.features) r.fail('members disagree on the number of features');
  const gridSize = r.int('gridSize', 1);
  const sizeOf = (key: string): number => {
    const len = gridLength(r.string(key)) / 8;
    if (!Number.isInteger(len) || len < 1 || len > gridSize) r.fail(`${key} has a bad length`);
    return len;
  };
  const iforestGrid = r.float64('iforestGrid', sizeOf('iforestGrid'));
  const ecodGrid = r.float64('ecodGrid', sizeOf('ecodGrid'));
  for (const g of [iforestGrid, ecodGrid]) {
    for (let i = 0; i < g.length; i++) {
      if (!Number.isFinite(g[i]!) || (i > 0 && g[i]! < g[i - 1]!))
        r.fail('a grid is not ascending and finite');
    }
  }
  const thresholds = readThresholds(r);
  // The members were validated (checksums included) by their loaders above.
  const memberSum = (key: string): { checksum: number } => ({
    checksum: createPackageReader(r.object(key), key).int('checksum', 0, 0xffffffff),
  });
  const sum = ensembleChecksum({
    iforest: memberSum('iforest'),
    ecod: memberSum('ecod'),
    gridSize,
    iforestGrid: r.string('iforestGrid'),
    ecodGrid: r.string('ecodGrid'),
    thresholds: writeThresholds(thresholds),
  });
  if (r.int('checksum', 0, 0xffffffff) !== sum)
    r.fail('checksum mismatch (package was altered or truncated)');
  return createModel(iforest, ecod, iforestGrid, ecodGrid, thresholds);
}
