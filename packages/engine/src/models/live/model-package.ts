/**
 * The registry's model package: one JSON document holding a trained model, the preprocessor
 * fitted with it, the input columns, evaluation metrics, a training data summary and a sample of
 * the model's training scores (the reference for drift). A checksum over the model, preprocessor
 * and columns rejects an edited or truncated package; loading validates every part and throws a
 * `corrupt_package` {@link DataError} naming the problem, so a broken package is never scored.
 */
import { DataError } from '../../data/data-error.js';
import { getColumn, selectRows, type Cell, type DataTable } from '../../data/data-table.js';
import { parseDateTime } from '../../data/column-types.js';
import {
  fitPreprocessor,
  loadPreprocessor,
  type Preprocessor,
  type PreprocessorPackage,
} from '../../data/preprocessor.js';
import { averagePrecision, rocAuc } from '../../metrics/ranking-metrics.js';
import { thresholdMetrics } from '../../metrics/threshold-metrics.js';
import { assertNever } from '../../util/assert-never.js';
import { trainRandomForest, loadRandomForest } from '../forest/random-forest.js';
import { loadGbdt, trainGbdt } from '../gbdt/gbdt.js';
import type { TreeModel } from '../gbdt/tree-ensemble.js';
import { loadIsolationForest, trainIsolationForest } from '../isolation-forest.js';
import { checksumString, isRecord } from '../model-package.js';
import { importXgboostModel } from '../xgboost/xgboost-import.js';

/** Model kinds the registry stores (xgboost: imported, never trained here; gru: a sequence model over events). */
export const MODEL_KINDS = ['iforest', 'gbdt', 'rf', 'xgboost', 'gru'] as const;
/** One model kind. */
export type ModelKind = (typeof MODEL_KINDS)[number];
/** Kinds scored row by row through a preprocessor (every kind but gru). */
export type TabularKind = Exclude<ModelKind, 'gru'>;
/** Tabular kinds trained here by {@link trainModelPackage} (gru: trainSequencePackage). */
export const TRAINABLE_KINDS = ['iforest', 'gbdt', 'rf'] as const;
/** A kind trained here. */
export type TrainableKind = (typeof TRAINABLE_KINDS)[number];

/**
 * Whether a string is a model kind.
 * @example isModelKind('gbdt'); // true
 */
export function isModelKind(x: unknown): x is ModelKind {
  return typeof x === 'string' && (MODEL_KINDS as readonly string[]).includes(x);
}

/** Package format name and version. */
export const MODEL_PACKAGE_FORMAT = 'vigil.model-package';
/** Version of {@link MODEL_PACKAGE_FORMAT}. */
export const MODEL_PACKAGE_VERSION = 1;

/** Evaluation figures of a model on labelled data (null where not computable). */
export interface ModelMetrics {
  readonly rows: number;
  readonly positives: number;
  readonly rocAuc: number | null;
  readonly prAuc: number | null;
  readonly threshold: number;
  readonly precision: number | null;
  readonly recall: number | null;
  readonly f1: number | null;
  readonly tp: number | null;
  readonly fp: number | null;
  readonly tn: number | null;
  readonly fn: number | null;
}

/** What the model was trained on. */
export interface TrainingSummary {
  readonly rows: number;
  readonly testRows: number;
  readonly positives: number | null;
  readonly columns: readonly string[];
  readonly split: string;
}

/** Held-out scores and labels kept for the evaluation report (at most {@link EVALUATION_SAMPLE_MAX} rows). */
export interface StoredEvaluation {
  readonly scores: readonly number[];
  readonly labels: readonly number[];
  readonly threshold: number;
}

/** Held-out rows kept in a package for its evaluation report. */
export const EVALUATION_SAMPLE_MAX = 5000;

/** The stored package. */
export interface ModelPackage {
  readonly format: typeof MODEL_PACKAGE_FORMAT;
  readonly version: typeof MODEL_PACKAGE_VERSION;
  readonly kind: ModelKind;
  readonly label: string | null;
  /** Input columns, in the preprocessor's order (gru: user, type, amount, at). */
  readonly features: readonly string[];
  /** The fitted preprocessing; null for a gru package (its encoder is inside the model). */
  readonly preprocessor: PreprocessorPackage | null;
  readonly model: unknown;
  /** Sorted raw training scores at 101 quantiles (iforest calibration: raw score → 0..1). */
  readonly calibration: readonly number[] | null;
  readonly metrics: ModelMetrics | null;
  readonly training: TrainingSummary;
  /** Up to 1,000 output scores (0..1) on the training rows: the drift reference. */
  readonly trainingScores: readonly number[];
  /** Held-out scores and labels (capped) for the evaluation report; absent in older packages. */
  readonly evaluation?: StoredEvaluation;
  readonly checksum: number;
}

/** A loaded tabular package, ready to score. */
export interface LoadedModel {
  readonly kind: TabularKind;
  readonly pkg: ModelPackage;
  readonly preprocessor: Preprocessor;
  /** Output score 0..1 (higher riskier) of one preprocessed row. */
  scoreRow(row: Float64Array): number;
  /** Per output feature contribution of one preprocessed row (feature names: preprocessor.featureNames). */
  contributions(row: Float64Array): Float64Array;
  /** Scores every row of a table (throws DataError on mismatched columns or garbage). */
  scoreTable(table: DataTable): Float64Array;
  /** Scores one record keyed by column. */
  scoreRecord(record: Readonly<Record<string, Cell>>): number;
}

/**
 * The package's checksum over the parts that decide its scores.
 * @example packageChecksum(pkg) === pkg.checksum;
 */
export function packageChecksum(
  p: Pick<ModelPackage, 'kind' | 'label' | 'features' | 'preprocessor' | 'model' | 'calibration'>,
): number {
  return checksumString(
    JSON.stringify([p.kind, p.label, p.features, p.preprocessor, p.model, p.calibration]),
  );
}

/** Raw → 0..1 by the training scores' quantiles: p ≤ 0.9 → 0, then linear to 1 at the maximum. */
function calibrate(quantiles: readonly number[], s: number): number {
  const n = quantiles.length;
  if (n < 2 || !Number.isFinite(s)) return s;
  let lo = 0;
  let hi = n - 1;
  if (s <= quantiles[0]!) return 0;
  if (s >= quantiles[hi]!) return 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (quantiles[mid]! <= s) lo = mid;
    else hi = mid;
  }
  const a = quantiles[lo]!;
  const b = quantiles[hi]!;
  const p = (lo + (b > a ? (s - a) / (b - a) : 0)) / (n - 1);
  return p <= 0.9 ? 0 : (p - 0.9) / 0.1;
}

interface Scorer {
  readonly raw: (row: Float64Array) => number;
  readonly contributions: (row: Float64Array) => Float64Array;
}

function treeScorer(m: TreeModel): Scorer {
  return {
    raw: (row) => m.predict(row),
    contributions: (row) => m.contributions(row).subarray(0, m.features),
  };
}

function scorerOf(kind: TabularKind, model: unknown): Scorer {
  switch (kind) {
    case 'iforest': {
      const m = loadIsolationForest(model);
      return { raw: (row) => m.score(row), contributions: (row) => m.contributions(row) };
    }
    case 'gbdt':
      return treeScorer(loadGbdt(model));
    case 'rf':
      return treeScorer(loadRandomForest(model));
    case 'xgboost':
      return treeScorer(importXgboostModel(model));
    default:
      return assertNever(kind);
  }
}

function corrupt(why: string): never {
  throw new DataError('corrupt_package', `corrupt model package: ${why}`);
}

function numbers(x: unknown, what: string): number[] {
  if (!Array.isArray(x)) return corrupt(`${what} is not a list of numbers`);
  const out: number[] = [];
  for (const v of x)
    out.push(typeof v === 'number' && Number.isFinite(v) ? v : corrupt(`${what} holds a non-number`));
  return out;
}

function build(pkg: ModelPackage): LoadedModel {
  let preprocessor: Preprocessor;
  let scorer: Scorer;
  const kind = pkg.kind;
  if (kind === 'gru') {
    throw new DataError(
      'corrupt_package',
      'a gru package is a sequence model: load it with loadSequencePackage',
    );
  }
  if (pkg.preprocessor === null) return corrupt('preprocessor is missing');
  try {
    preprocessor = loadPreprocessor(pkg.preprocessor);
    scorer = scorerOf(kind, pkg.model);
  } catch (err) {
    if (err instanceof DataError) throw err;
    return corrupt(err instanceof Error ? err.message : String(err));
  }
  const cal = pkg.calibration;
  const scoreRow = cal === null ? scorer.raw : (row: Float64Array) => calibrate(cal, scorer.raw(row));
  return {
    kind,
    pkg,
    preprocessor,
    scoreRow,
    contributions: scorer.contributions,
    scoreTable(table) {
      const x = preprocessor.transform(table);
      const out = new Float64Array(x.rows);
      for (let r = 0; r < x.rows; r++) out[r] = scoreRow(x.data.subarray(r * x.cols, (r + 1) * x.cols));
      return out;
    },
    scoreRecord: (record) => scoreRow(preprocessor.transformRecord(record)),
  };
}

function storedEvaluation(x: unknown): StoredEvaluation | undefined {
  if (x === undefined) return undefined;
  if (!isRecord(x)) return corrupt('evaluation is not an object');
  const scores = numbers(x['scores'], 'evaluation.scores');
  const labels = numbers(x['labels'], 'evaluation.labels');
  const threshold = x['threshold'];
  if (scores.length !== labels.length || labels.some((v) => v !== 0 && v !== 1))
    return corrupt('evaluation scores and 0/1 labels do not match');
  if (typeof threshold !== 'number' || !Number.isFinite(threshold))
    return corrupt('evaluation.threshold is not a number');
  return { scores, labels, threshold };
}

/**
 * Validates a package's envelope (parsed JSON or its text) and its checksum, without building
 * the model. Throws a `corrupt_package` DataError.
 * @example parseModelPackage(row.package).kind; // 'gbdt'
 */
export function parseModelPackage(input: unknown): ModelPackage {
  let o: unknown = input;
  if (typeof input === 'string') {
    try {
      o = JSON.parse(input);
    } catch {
      return corrupt('not valid JSON');
    }
  }
  if (!isRecord(o)) return corrupt('not an object');
  if (o['format'] !== MODEL_PACKAGE_FORMAT) return corrupt(`format is not ${MODEL_PACKAGE_FORMAT}`);
  if (o['version'] !== MODEL_PACKAGE_VERSION) return corrupt(`unsupported version ${String(o['version'])}`);
  const kind = o['kind'];
  if (!isModelKind(kind)) return corrupt(`kind must be one of ${MODEL_KINDS.join(', ')}`);
  const label = o['label'];
  if (label !== null && typeof label !== 'string') return corrupt('label is not a string or null');
  const featuresRaw = o['features'];
  if (!Array.isArray(featuresRaw) || featuresRaw.length === 0)
    return corrupt('features is not a list of names');
  const features: string[] = [];
  for (const f of featuresRaw)
    features.push(typeof f === 'string' ? f : corrupt('features holds a non-string'));
  const pre = o['preprocessor'];
  if (kind === 'gru' ? pre !== null : !isRecord(pre))
    return corrupt(kind === 'gru' ? 'a gru package has no preprocessor' : 'preprocessor is not an object');
  if (!isRecord(o['model'])) return corrupt('model is not an object');
  const calibration = o['calibration'] === null ? null : numbers(o['calibration'], 'calibration');
  const trainingScores = numbers(o['trainingScores'], 'trainingScores');
  const training = o['training'];
  if (!isRecord(training)) return corrupt('training is not an object');
  const metrics = o['metrics'];
  if (metrics !== null && !isRecord(metrics)) return corrupt('metrics is not an object');
  const checksum = o['checksum'];
  // The parsed parts keep their stored key order, so the checksum recomputes exactly.
  const parts = {
    kind,
    label,
    features,
    preprocessor: pre as PreprocessorPackage | null,
    model: o['model'],
    calibration,
  };
  if (typeof checksum !== 'number' || packageChecksum(parts) !== checksum)
    return corrupt('checksum mismatch');
  const pkg: ModelPackage = {
    format: MODEL_PACKAGE_FORMAT,
    version: MODEL_PACKAGE_VERSION,
    ...parts,
    metrics: metrics as unknown as ModelMetrics | null,
    training: training as unknown as TrainingSummary,
    trainingScores,
    ...(o['evaluation'] === undefined ? {} : { evaluation: storedEvaluation(o['evaluation'])! }),
    checksum,
  };
  return pkg;
}

/**
 * Validates and loads a tabular package (parsed JSON or its text). Throws a `corrupt_package`
 * DataError (also for a gru package: see loadSequencePackage).
 * @example const m = loadModelPackage(row.package); m.scoreRecord({ amount: 120 });
 */
export function loadModelPackage(input: unknown): LoadedModel {
  const pkg = parseModelPackage(input);
  const features = pkg.features;
  const loaded = build(pkg);
  const missing = features.filter((f) => !loaded.preprocessor.inputColumns.includes(f));
  if (missing.length > 0 || loaded.preprocessor.inputColumns.length !== features.length) {
    return corrupt(`features do not match the preprocessor's columns`);
  }
  return loaded;
}

/** Options of {@link trainModelPackage}. */
export interface TrainModelOptions {
  readonly kind: TrainableKind;
  /** Label column: required for gbdt and rf; optional for iforest (then used to evaluate). */
  readonly label?: string;
  /** `column:YYYY-MM-DD`: rows before the date train, the rest test. Default: a seeded 80/20 split. */
  readonly timeSplit?: string;
  /** Columns left out of the features. */
  readonly drop?: readonly string[];
  /** Seed of the split and the model (default 1). */
  readonly seed?: number;
  /** Trees (default: 100 for iforest and rf, 200 rounds for gbdt). */
  readonly trees?: number;
  /** Threshold of the stored metrics (default 0.5). */
  readonly threshold?: number;
}

/** Result of {@link trainModelPackage}. */
export interface TrainedModel {
  readonly package: ModelPackage;
  readonly model: LoadedModel;
}

function lcg(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

/**
 * Splits a table into train and test rows: by a date (`col:YYYY-MM-DD`) or a seeded 80/20 split.
 * Throws a DataError when the column is missing or one side is empty.
 * @example const { train, test } = splitTable(table, 'at:2026-01-01', 1);
 */
export function splitTable(
  table: DataTable,
  timeSplit: string | undefined,
  seed: number,
): { readonly train: DataTable; readonly test: DataTable; readonly split: string } {
  const trainRows: number[] = [];
  const testRows: number[] = [];
  let split: string;
  if (timeSplit !== undefined) {
    const at = timeSplit.lastIndexOf(':');
    const col = timeSplit.slice(0, at);
    const cut = Date.parse(timeSplit.slice(at + 1));
    if (at <= 0 || !Number.isFinite(cut)) {
      throw new DataError('column_mismatch', `--time-split must be column:YYYY-MM-DD, got "${timeSplit}"`);
    }
    if (!table.columns.includes(col)) {
      throw new DataError('column_mismatch', `time-split column "${col}" is not in the data`, [col]);
    }
    const cells = getColumn(table, col);
    for (let r = 0; r < table.rows; r++) {
      const t = parseDateTime(cells[r]);
      if (!Number.isFinite(t))
        throw new DataError('non_numeric', `row ${r + 1}: "${String(cells[r])}" in ${col} is not a date`, [
          col,
        ]);
      (t < cut ? trainRows : testRows).push(r);
    }
    split = `time ${timeSplit}`;
  } else {
    const rnd = lcg(seed);
    for (let r = 0; r < table.rows; r++) (rnd() < 0.8 || table.rows < 10 ? trainRows : testRows).push(r);
    split = 'random 80/20';
  }
  if (trainRows.length === 0)
    throw new DataError('empty_table', `the split (${split}) leaves no training rows`);
  return { train: selectRows(table, trainRows), test: selectRows(table, testRows), split };
}

/**
 * Evaluation figures of scores against 0/1 labels.
 * @example modelMetrics(Float64Array.of(0.9, 0.1), Uint8Array.of(1, 0), 0.5).rocAuc; // 1
 */
export function modelMetrics(
  scores: ArrayLike<number>,
  y: ArrayLike<number>,
  threshold: number,
): ModelMetrics {
  let positives = 0;
  for (let i = 0; i < y.length; i++) positives += y[i]!;
  const both = positives > 0 && positives < y.length;
  const t = y.length > 0 ? thresholdMetrics(scores, y, threshold) : undefined;
  return {
    rows: y.length,
    positives,
    rocAuc: both ? rocAuc(scores, y) : null,
    prAuc: both ? averagePrecision(scores, y) : null,
    threshold,
    precision: t?.precision ?? null,
    recall: t?.recall ?? null,
    f1: t?.f1 ?? null,
    tp: t?.tp ?? null,
    fp: t?.fp ?? null,
    tn: t?.tn ?? null,
    fn: t?.fn ?? null,
  };
}

/**
 * Held-out scores and labels capped at {@link EVALUATION_SAMPLE_MAX} rows (an even stride keeps
 * both classes' share).
 * @example capEvaluation(Float64Array.of(0.9, 0.1), Uint8Array.of(1, 0), 0.5).scores.length; // 2
 */
export function capEvaluation(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  threshold: number,
): StoredEvaluation {
  const n = scores.length;
  const step = n <= EVALUATION_SAMPLE_MAX ? 1 : n / EVALUATION_SAMPLE_MAX;
  const s: number[] = [];
  const y: number[] = [];
  for (let i = 0; i < n && s.length < EVALUATION_SAMPLE_MAX; i++) {
    const r = Math.floor(i * step);
    if (r >= n) break;
    s.push(scores[r]!);
    y.push(labels[r]!);
  }
  return { scores: s, labels: y, threshold };
}

/**
 * Up to `max` values of the sorted scores at even quantiles (the drift reference).
 * @example sampleSorted(Float64Array.of(3, 1, 2), 10); // [1, 2, 3]
 */
export function sampleSorted(scores: Float64Array, max: number): number[] {
  const s = Float64Array.from(scores).sort();
  if (s.length <= max) return [...s];
  const out: number[] = [];
  for (let i = 0; i < max; i++) out.push(s[Math.round((i * (s.length - 1)) / (max - 1))]!);
  return out;
}

/**
 * Trains a model with its preprocessor on a table, evaluates it on the held-out split and
 * returns the package. Every data problem is a DataError (no label in supervised mode, a single
 * class, an all-missing column, garbage in a numeric column, ...).
 * @example const { package: pkg } = trainModelPackage(table, { kind: 'gbdt', label: 'is_fraud' });
 */
export function trainModelPackage(table: DataTable, opts: TrainModelOptions): TrainedModel {
  const seed = opts.seed ?? 1;
  const supervised = opts.kind !== 'iforest';
  if (supervised && opts.label === undefined) {
    throw new DataError('no_label', `a ${opts.kind} model is supervised: name the label column`);
  }
  const { train, test, split } = splitTable(table, opts.timeSplit, seed);
  const drop = [...(opts.drop ?? [])];
  if (opts.timeSplit !== undefined) {
    const col = opts.timeSplit.slice(0, opts.timeSplit.lastIndexOf(':'));
    if (!drop.includes(col)) drop.push(col);
  }
  const label = opts.label;
  const pre = fitPreprocessor(train, {
    supervised,
    ...(label !== undefined ? { label } : {}),
    drop,
    impute: true,
  });
  const x = pre.transform(train);
  const names = pre.featureNames;
  let model: unknown;
  let calibration: number[] | null = null;
  let y: Uint8Array | undefined;
  if (label !== undefined) y = pre.labels(train).y;
  switch (opts.kind) {
    case 'iforest': {
      const m = trainIsolationForest(x, { seed, trees: opts.trees ?? 100, featureNames: names });
      model = m.toJSON();
      calibration = sampleSorted(m.scoreBatch(x), 101);
      break;
    }
    case 'gbdt':
      model = trainGbdt(x, y!, {
        seed,
        rounds: opts.trees ?? 200,
        scalePosWeight: 1,
        featureNames: names,
        ...(train.rows >= 200 ? { earlyStoppingRounds: 20 } : {}),
      }).toJSON();
      break;
    case 'rf':
      model = trainRandomForest(x, y!, { seed, trees: opts.trees ?? 100, featureNames: names }).toJSON();
      break;
    default:
      return assertNever(opts.kind);
  }
  const parts = {
    kind: opts.kind,
    label: label ?? null,
    features: [...pre.inputColumns],
    preprocessor: JSON.parse(JSON.stringify(pre.toJSON())) as PreprocessorPackage,
    model: JSON.parse(JSON.stringify(model)) as unknown,
    calibration,
  };
  const draft: ModelPackage = {
    format: MODEL_PACKAGE_FORMAT,
    version: MODEL_PACKAGE_VERSION,
    ...parts,
    metrics: null,
    training: {
      rows: train.rows,
      testRows: test.rows,
      positives: y === undefined ? null : countOnes(y),
      columns: [...table.columns],
      split,
    },
    trainingScores: [],
    checksum: packageChecksum(parts),
  };
  const loaded = build(draft);
  const trainScores = loaded.scoreTable(train);
  const threshold = opts.threshold ?? 0.5;
  let metrics: ModelMetrics | null = null;
  if (label !== undefined && test.rows > 0) {
    metrics = modelMetrics(loaded.scoreTable(test), pre.labels(test).y, threshold);
  } else if (label !== undefined && y !== undefined) {
    metrics = modelMetrics(trainScores, y, threshold);
  }
  let evaluation: StoredEvaluation | undefined;
  if (label !== undefined && test.rows > 0) {
    evaluation = capEvaluation(loaded.scoreTable(test), pre.labels(test).y, threshold);
  }
  const pkg: ModelPackage = {
    ...draft,
    metrics,
    trainingScores: sampleSorted(trainScores, 1000),
    ...(evaluation === undefined ? {} : { evaluation }),
  };
  return { package: pkg, model: { ...loaded, pkg } };
}

function countOnes(y: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < y.length; i++) n += y[i]!;
  return n;
}
