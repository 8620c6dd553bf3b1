import { quantileSorted, type MatrixInput } from './matrix.js';
import type { PackageReader } from './model-package.js';

/** The unsupervised anomaly models Vigil trains. */
export const ANOMALY_MODEL_KINDS = ['isolation-forest', 'ecod', 'anomaly-ensemble'] as const;
export type AnomalyModelKind = (typeof ANOMALY_MODEL_KINDS)[number];

/** Contamination levels every anomaly model gets a threshold for (the spec's classic mode). */
export const CONTAMINATION_LEVELS = [0.01, 0.05, 0.1] as const;

/** Score threshold flagging the top `contamination` fraction of the training data. */
export interface ContaminationThreshold {
  /** Expected fraction of anomalies, in (0, 0.5]. */
  readonly contamination: number;
  /** Scores `>=` this are anomalies at that contamination level. */
  readonly threshold: number;
}

/**
 * What every trained anomaly model offers: higher scores are more anomalous.
 * @example
 * const model = trainIsolationForest(rows, { seed: 1 });
 * model.score(row) >= model.threshold(0.05); // anomaly at 5 % contamination
 */
export interface AnomalyModel<P> {
  readonly kind: AnomalyModelKind;
  readonly features: number;
  readonly featureNames: readonly string[] | undefined;
  readonly thresholds: readonly ContaminationThreshold[];
  /** Score of one row (NaN if the row holds a non-finite value; throws on a wrong width). */
  score(row: ArrayLike<number>): number;
  /** Scores of every row of a matrix. */
  scoreBatch(x: MatrixInput): Float64Array;
  /** Per-feature shares of the score of one row (see each model for the exact meaning). */
  contributions(row: ArrayLike<number>): Float64Array;
  /** Threshold for a contamination level given at training time; throws for any other level. */
  threshold(contamination: number): number;
  /** A JSON-able package that `load*` turns back into the same model. */
  toJSON(): P;
}

/**
 * Checks a contamination level: a number in (0, 0.5].
 * @example checkContamination(0.05); // 0.05
 */
export function checkContamination(c: number): number {
  if (!(c > 0 && c <= 0.5)) throw new Error(`contamination must be in (0, 0.5], got ${c}`);
  return c;
}

/**
 * Thresholds at the (1 - c) quantile of the training scores (linear interpolation, as
 * scikit-learn's `offset_`) for the standard levels plus an optional extra one.
 * @example contaminationThresholds(Float64Array.from([0.1, 0.2, 0.9]), 0.2);
 */
export function contaminationThresholds(
  trainScores: Float64Array,
  extra?: number,
): readonly ContaminationThreshold[] {
  const sorted = Float64Array.from(trainScores).sort();
  const levels: number[] = [...CONTAMINATION_LEVELS];
  if (extra !== undefined && !levels.includes(checkContamination(extra))) levels.push(extra);
  levels.sort((a, b) => a - b);
  return levels.map((c) => ({ contamination: c, threshold: quantileSorted(sorted, 1 - c) }));
}

/**
 * Looks up the threshold of a contamination level (exact match).
 * @example thresholdFor([{ contamination: 0.05, threshold: 0.6 }], 0.05); // 0.6
 */
export function thresholdFor(thresholds: readonly ContaminationThreshold[], contamination: number): number {
  for (const t of thresholds) if (t.contamination === contamination) return t.threshold;
  const known = thresholds.map((t) => t.contamination).join(', ');
  throw new Error(`no threshold for contamination ${contamination} (trained for: ${known})`);
}

/**
 * Reads and validates the `thresholds` field of a package (pairs `[contamination, threshold]`).
 * @example readThresholds(createPackageReader({ thresholds: [[0.05, 0.6]] }, 'ecod'));
 */
export function readThresholds(r: PackageReader): readonly ContaminationThreshold[] {
  const v = r.record['thresholds'];
  if (!Array.isArray(v) || v.length === 0) return r.fail('thresholds is not a non-empty list');
  const out: ContaminationThreshold[] = [];
  for (const pair of v) {
    if (!Array.isArray(pair) || pair.length !== 2) return r.fail('thresholds holds a malformed entry');
    const c: unknown = pair[0];
    const t: unknown = pair[1];
    if (typeof c !== 'number' || !(c > 0 && c <= 0.5) || typeof t !== 'number' || !Number.isFinite(t)) {
      return r.fail('thresholds holds a malformed entry');
    }
    out.push({ contamination: c, threshold: t });
  }
  return out;
}

/**
 * Thresholds as stored in a package: `[contamination, threshold]` pairs.
 * @example writeThresholds([{ contamination: 0.05, threshold: 0.6 }]); // [[0.05, 0.6]]
 */
export function writeThresholds(t: readonly ContaminationThreshold[]): [number, number][] {
  return t.map((x) => [x.contamination, x.threshold]);
}
