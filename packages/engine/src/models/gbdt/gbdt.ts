/**
 * Gradient-boosted decision trees for binary fraud scoring (logistic loss), trained in
 * TypeScript over typed arrays the way XGBoost's `hist` and LightGBM train: features are
 * quantile-binned once (≤ 255 bins, column-major Uint8Array), each round fits a tree to the
 * gradient and hessian of the log-loss with histogram split finding (see tree-grower.ts), and the
 * tree's leaves, shrunk by the learning rate, are added to the model.
 *
 * Options follow XGBoost's names and defaults where they exist (learning rate 0.1 and 100 rounds
 * as in the ML spec; max depth 6; L2 λ = 1; min child weight 1); row subsampling and column
 * subsampling per tree and per node (seeded through `createSeededRandom`); `scalePosWeight` for
 * rare fraud; early stopping on a validation set (given, or a seeded stratified share of the
 * training rows). Missing values (NaN) are binned apart and sent to the side that gains most at
 * each split. The model scores raw float rows through the flat layout of tree-ensemble.ts and
 * explains them with TreeSHAP.
 */
import { createSeededRandom, type Random } from '../../ports/clock.js';
import { assertNever } from '../../util/assert-never.js';
import { averagePrecision, rocAuc } from '../../metrics/ranking-metrics.js';
import { toDenseMatrix, type MatrixInput } from '../matrix.js';
import { createPackageReader } from '../model-package.js';
import { binMatrix, binOf, fitBins, MAX_BINS, MAX_BINS_WIDE, type BinnedMatrix } from './binning.js';
import {
  buildEnsemble,
  createTreeModel,
  decodeEnsemble,
  encodeEnsemble,
  ensembleChecksum,
  type EnsemblePackageFields,
  type TreeModel,
  type TreeNodes,
} from './tree-ensemble.js';
import { createGrowWorkspace, growTree, type GrownTree } from './tree-grower.js';

/** Metrics early stopping can watch on the validation set. */
export const GBDT_EVAL_METRICS = ['logloss', 'auc', 'average-precision'] as const;
/** A validation metric. */
export type GbdtEvalMetric = (typeof GBDT_EVAL_METRICS)[number];

/** Training options of {@link trainGbdt}. Every option has a default. */
export interface GbdtOptions {
  /** Boosting rounds (trees), default 100. */
  readonly rounds?: number;
  /** Shrinkage of every tree (eta), default 0.1. */
  readonly learningRate?: number;
  /** Depth limit, default 6. */
  readonly maxDepth?: number;
  /** Leaf limit per tree (best-first growth), default 0 = only the depth limit. */
  readonly maxLeaves?: number;
  /** Least hessian sum in a child (XGBoost's min_child_weight), default 1. */
  readonly minChildWeight?: number;
  /** Least rows in a child, default 1. */
  readonly minSamplesLeaf?: number;
  /** L2 regularisation of leaf values (λ), default 1. */
  readonly lambda?: number;
  /** Least loss reduction for a split (γ), default 0. */
  readonly minSplitGain?: number;
  /** Share of rows drawn (without replacement) for each tree, default 1. */
  readonly subsample?: number;
  /** Share of features drawn for each tree, default 1. */
  readonly colsampleByTree?: number;
  /** Share of the tree's features drawn at each node, default 1. */
  readonly colsampleByNode?: number;
  /** Weight of positive rows (XGBoost's scale_pos_weight; e.g. negatives / positives), default 1. */
  readonly scalePosWeight?: number;
  /** Per-row weights, default all 1. */
  readonly sampleWeight?: ArrayLike<number>;
  /** Initial probability (default: the weighted positive rate of the training rows). */
  readonly baseScore?: number;
  /** Bins per feature, 2..65535, default 255 (a Uint8Array bin matrix; more bins use a Uint16Array). */
  readonly maxBins?: number;
  /** Per-feature bin limits overriding maxBins. */
  readonly maxBinsByFeature?: readonly number[];
  /** Seed of the sampling, default 1: the same data, options and seed give the same model. */
  readonly seed?: number;
  /** Stop after this many rounds without a better validation metric (0: no early stopping), default 0. */
  readonly earlyStoppingRounds?: number;
  /** Validation data for early stopping (default: `validationFraction` of the training rows). */
  readonly validation?: { readonly x: MatrixInput; readonly y: ArrayLike<number> };
  /** Share of training rows held out for early stopping when no validation data is given, default 0.1. */
  readonly validationFraction?: number;
  /** Validation metric, default 'logloss'. */
  readonly evalMetric?: GbdtEvalMetric;
  /** Number of columns, required when the data is a flat row-major Float64Array. */
  readonly features?: number;
  /** Column names, kept in the package for explanations. */
  readonly featureNames?: readonly string[];
}

/** The options a model was trained with (resolved defaults), kept in its package. */
export interface GbdtParams {
  readonly rounds: number;
  readonly learningRate: number;
  readonly maxDepth: number;
  readonly maxLeaves: number;
  readonly minChildWeight: number;
  readonly minSamplesLeaf: number;
  readonly lambda: number;
  readonly minSplitGain: number;
  readonly subsample: number;
  readonly colsampleByTree: number;
  readonly colsampleByNode: number;
  readonly scalePosWeight: number;
  readonly maxBins: number;
  readonly seed: number;
  readonly earlyStoppingRounds: number;
  readonly evalMetric: GbdtEvalMetric;
}

/** Package format name and version written by {@link GbdtModel.toJSON}. */
export const GBDT_FORMAT = 'vigil.gbdt';
/** Version of the gbdt package format. */
export const GBDT_VERSION = 1;

/** The JSON-able saved form of a boosted model. */
export interface GbdtPackage extends EnsemblePackageFields {
  readonly format: typeof GBDT_FORMAT;
  readonly version: typeof GBDT_VERSION;
  readonly featureNames?: readonly string[];
  readonly params: GbdtParams;
  readonly bestIteration: number;
  readonly checksum: number;
}

/** A trained gradient-boosted model. */
export interface GbdtModel extends TreeModel {
  readonly kind: 'gbdt';
  readonly params: GbdtParams;
  /** Rounds kept (the best validation round when early stopping ran). */
  readonly bestIteration: number;
  /** Validation metric after each round (empty without validation). */
  readonly validationHistory: readonly number[];
  toJSON(): GbdtPackage;
}

function checkRange(name: string, v: number, lo: number, hi: number, integer = false): number {
  if (typeof v !== 'number' || Number.isNaN(v) || v < lo || v > hi || (integer && !Number.isInteger(v))) {
    throw new Error(`${name} must be ${integer ? 'an integer' : 'a number'} in [${lo}, ${hi}], got ${v}`);
  }
  return v;
}

/**
 * Resolves and checks options (defaults filled in); throws naming a bad option.
 * @example resolveGbdtParams({ rounds: 50 }).learningRate; // 0.1
 */
export function resolveGbdtParams(o: GbdtOptions): GbdtParams {
  return {
    rounds: checkRange('rounds', o.rounds ?? 100, 1, 100_000, true),
    learningRate: checkRange('learningRate', o.learningRate ?? 0.1, 1e-6, 10),
    maxDepth: checkRange('maxDepth', o.maxDepth ?? 6, 1, 64, true),
    maxLeaves: checkRange('maxLeaves', o.maxLeaves ?? 0, 0, 1 << 20, true),
    minChildWeight: checkRange('minChildWeight', o.minChildWeight ?? 1, 0, Infinity),
    minSamplesLeaf: checkRange('minSamplesLeaf', o.minSamplesLeaf ?? 1, 1, Number.MAX_SAFE_INTEGER, true),
    lambda: checkRange('lambda', o.lambda ?? 1, 0, Infinity),
    minSplitGain: checkRange('minSplitGain', o.minSplitGain ?? 0, 0, Infinity),
    subsample: checkRange('subsample', o.subsample ?? 1, 1e-6, 1),
    colsampleByTree: checkRange('colsampleByTree', o.colsampleByTree ?? 1, 1e-6, 1),
    colsampleByNode: checkRange('colsampleByNode', o.colsampleByNode ?? 1, 1e-6, 1),
    scalePosWeight: checkRange('scalePosWeight', o.scalePosWeight ?? 1, 1e-9, 1e9),
    maxBins: checkRange('maxBins', o.maxBins ?? MAX_BINS, 2, MAX_BINS_WIDE, true),
    seed: checkRange('seed', o.seed ?? 1, 0, 2 ** 32 - 1, true),
    earlyStoppingRounds: checkRange('earlyStoppingRounds', o.earlyStoppingRounds ?? 0, 0, 100_000, true),
    evalMetric: o.evalMetric ?? 'logloss',
  };
}

/**
 * Checks a label vector: 0/1 only, same length as the data, both classes present.
 * @example checkBinaryLabels([0, 1, 1], 3, 'gbdt');
 */
export function checkBinaryLabels(y: ArrayLike<number>, rows: number, what: string): Uint8Array {
  if (y.length !== rows) throw new Error(`${what}: ${rows} rows but ${y.length} labels`);
  const out = new Uint8Array(rows);
  let pos = 0;
  for (let i = 0; i < rows; i++) {
    const v = y[i];
    if (v !== 0 && v !== 1) throw new Error(`${what}: label ${i} is ${String(v)}, expected 0 or 1`);
    out[i] = v;
    pos += v;
  }
  if (pos === 0 || pos === rows)
    throw new Error(`${what}: the labels hold a single class; training needs both`);
  return out;
}

/** Rejects ±Infinity (NaN is a missing value and allowed). */
function checkNoInfinity(data: Float64Array, cols: number, what: string): void {
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (v === Infinity || v === -Infinity) {
      const r = Math.floor(i / cols);
      throw new Error(`${what}: row ${r}, column ${i - r * cols} is ${v}; use NaN for a missing value`);
    }
  }
}

/** Indices of a seeded stratified split: `fraction` of each class to the second part. */
function stratifiedSplit(
  y: Uint8Array,
  fraction: number,
  random: Random,
): { train: Uint32Array; valid: Uint32Array } {
  const byClass: number[][] = [[], []];
  for (let i = 0; i < y.length; i++) byClass[y[i]!]!.push(i);
  const train: number[] = [];
  const valid: number[] = [];
  for (const list of byClass) {
    for (let i = list.length - 1; i > 0; i--) {
      const j = Math.floor(random.next() * (i + 1));
      const t = list[i]!;
      list[i] = list[j]!;
      list[j] = t;
    }
    const k = Math.max(list.length > 1 ? 1 : 0, Math.round(list.length * fraction));
    for (let i = 0; i < list.length; i++) (i < k ? valid : train).push(list[i]!);
  }
  return {
    train: Uint32Array.from(train.sort((a, b) => a - b)),
    valid: Uint32Array.from(valid.sort((a, b) => a - b)),
  };
}

function selectRows(data: Float64Array, cols: number, rows: Uint32Array): Float64Array {
  const out = new Float64Array(rows.length * cols);
  for (let i = 0; i < rows.length; i++)
    out.set(data.subarray(rows[i]! * cols, (rows[i]! + 1) * cols), i * cols);
  return out;
}

function logit(p: number): number {
  return Math.log(p / (1 - p));
}

/** Converts a grown tree (split bins) to ensemble nodes (raw thresholds). */
function toTreeNodes(t: GrownTree, binned: BinnedMatrix): TreeNodes {
  const n = t.feature.length;
  const threshold = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const f = t.feature[i]!;
    if (f < 0) continue;
    const edges = binned.edges[f]!;
    const b = t.splitBin[i]!;
    // Bins <= b go left; the last real bin going left means "non-missing left": every value.
    threshold[i] = b < edges.length ? edges[b]! : Infinity;
  }
  return {
    feature: t.feature,
    threshold,
    left: t.left,
    right: t.right,
    defaultLeft: t.defaultLeft,
    value: t.value,
    cover: t.cover,
  };
}

/** Adds a grown tree's leaf values to the margins of binned rows. */
function addTreeBinned(t: GrownTree, binned: BinnedMatrix, margin: Float64Array): void {
  const rows = binned.rows;
  const bins = binned.bins;
  for (let r = 0; r < rows; r++) {
    let i = 0;
    let f: number;
    while ((f = t.feature[i]!) >= 0) {
      const b = bins[f * rows + r]!;
      i = (b === binned.binCounts[f] ? t.defaultLeft[i]! : b <= t.splitBin[i]!) ? t.left[i]! : t.right[i]!;
    }
    margin[r]! += t.value[i]!;
  }
}

function evaluate(metric: GbdtEvalMetric, margin: Float64Array, y: Uint8Array): number {
  switch (metric) {
    case 'logloss': {
      let s = 0;
      for (let i = 0; i < y.length; i++) {
        const m = margin[i]!;
        // log(1 + e^-m) for y = 1, log(1 + e^m) for y = 0, computed stably.
        const z = y[i] === 1 ? -m : m;
        s += z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z));
      }
      return s / y.length;
    }
    case 'auc':
      return rocAuc(margin, y);
    case 'average-precision':
      return averagePrecision(margin, y);
    default:
      return assertNever(metric);
  }
}

function isEvalMetric(x: unknown): x is GbdtEvalMetric {
  return typeof x === 'string' && (GBDT_EVAL_METRICS as readonly string[]).includes(x);
}

/**
 * Trains a gradient-boosted model on rows `x` (NaN = missing) and 0/1 labels `y`.
 * @example
 * const model = trainGbdt(x, y, { rounds: 200, learningRate: 0.1, maxDepth: 6, scalePosWeight: 10 });
 * model.predict(row); // probability of fraud
 * model.contributions(row); // TreeSHAP per feature, then the expected value (log-odds)
 */
export function trainGbdt(x: MatrixInput, y: ArrayLike<number>, options: GbdtOptions = {}): GbdtModel {
  const p = resolveGbdtParams(options);
  const m = toDenseMatrix(x, options.features, 'training data', false);
  checkNoInfinity(m.data, m.cols, 'training data');
  const labels = checkBinaryLabels(y, m.rows, 'training labels');
  const cols = m.cols;
  if (options.featureNames !== undefined && options.featureNames.length !== cols) {
    throw new Error(`featureNames has ${options.featureNames.length} names for ${cols} columns`);
  }
  let weights: Float64Array | undefined;
  if (options.sampleWeight !== undefined) {
    if (options.sampleWeight.length !== m.rows)
      throw new Error(`sampleWeight has ${options.sampleWeight.length} values for ${m.rows} rows`);
    weights = Float64Array.from(options.sampleWeight);
    for (const w of weights) if (!(w >= 0) || !Number.isFinite(w)) throw new Error(`sampleWeight holds ${w}`);
  }
  const random = createSeededRandom(p.seed);

  // Training and validation rows.
  let trainX = m.data;
  let trainY = labels;
  let trainW = weights;
  let validX: Float64Array | undefined;
  let validY: Uint8Array | undefined;
  if (p.earlyStoppingRounds > 0 || options.validation !== undefined) {
    if (options.validation !== undefined) {
      const v = toDenseMatrix(options.validation.x, cols, 'validation data', false);
      validX = v.data;
      validY = checkBinaryLabels(options.validation.y, v.rows, 'validation labels');
    } else {
      const fraction = checkRange('validationFraction', options.validationFraction ?? 0.1, 0.01, 0.9);
      const split = stratifiedSplit(labels, fraction, random);
      validX = selectRows(m.data, cols, split.valid);
      validY = Uint8Array.from(split.valid, (i) => labels[i]!);
      trainX = selectRows(m.data, cols, split.train);
      trainY = Uint8Array.from(split.train, (i) => labels[i]!);
      if (weights !== undefined) trainW = Float64Array.from(split.train, (i) => weights[i]!);
      checkBinaryLabels(trainY, trainY.length, 'training labels after the validation split');
    }
  }
  const n = trainY.length;
  const binned = binMatrix(
    trainX,
    n,
    cols,
    fitBins(trainX, n, cols, {
      maxBins: p.maxBins,
      random,
      ...(options.maxBinsByFeature ? { maxBinsByFeature: options.maxBinsByFeature } : {}),
    }),
  );

  // Row weights including the positive-class weight.
  const w = new Float64Array(n);
  let sw = 0;
  let swPos = 0;
  for (let r = 0; r < n; r++) {
    const wr = (trainW?.[r] ?? 1) * (trainY[r] === 1 ? p.scalePosWeight : 1);
    w[r] = wr;
    sw += wr;
    if (trainY[r] === 1) swPos += wr;
  }
  const baseScore = options.baseScore ?? Math.min(Math.max(swPos / sw, 1e-6), 1 - 1e-6);
  checkRange('baseScore', baseScore, 1e-9, 1 - 1e-9);
  const base = logit(baseScore);

  const margin = new Float64Array(n).fill(base);
  const grad = new Float64Array(n);
  const hess = new Float64Array(n);
  const idx = new Uint32Array(n);
  const ws = createGrowWorkspace(binned);
  const allFeatures = Int32Array.from({ length: cols }, (_, i) => i);
  const perTree = Math.max(1, Math.round(p.colsampleByTree * cols));
  const grown: GrownTree[] = [];

  const validMargin = validX === undefined ? undefined : new Float64Array(validY!.length).fill(base);
  const history: number[] = [];
  const higherIsBetter = p.evalMetric !== 'logloss';
  let best = higherIsBetter ? -Infinity : Infinity;
  let bestRound = 0;

  for (let round = 0; round < p.rounds; round++) {
    for (let r = 0; r < n; r++) {
      const prob = 1 / (1 + Math.exp(-margin[r]!));
      const wr = w[r]!;
      grad[r] = (prob - trainY[r]!) * wr;
      hess[r] = Math.max(prob * (1 - prob), 1e-16) * wr;
    }
    let count = 0;
    if (p.subsample < 1) {
      for (let r = 0; r < n; r++) if (random.next() < p.subsample) idx[count++] = r;
      if (count === 0) idx[count++] = Math.floor(random.next() * n);
    } else {
      for (let r = 0; r < n; r++) idx[r] = r;
      count = n;
    }
    let allowed = allFeatures;
    if (perTree < cols) {
      const order = allFeatures.slice();
      for (let i = 0; i < perTree; i++) {
        const j = i + Math.floor(random.next() * (cols - i));
        const t = order[i]!;
        order[i] = order[j]!;
        order[j] = t;
      }
      allowed = order.subarray(0, perTree).slice().sort();
    }
    const perNode = p.colsampleByNode < 1 ? Math.max(1, Math.round(p.colsampleByNode * allowed.length)) : 0;
    const tree = growTree(
      binned,
      grad,
      hess,
      idx,
      count,
      {
        criterion: 'newton',
        maxDepth: p.maxDepth,
        maxLeaves: p.maxLeaves > 0 ? p.maxLeaves : Infinity,
        minChildWeight: p.minChildWeight,
        minSamplesLeaf: p.minSamplesLeaf,
        lambda: p.lambda,
        minSplitGain: p.minSplitGain,
        leafScale: p.learningRate,
        allowed,
        featuresPerNode: perNode,
        random,
      },
      ws,
    );
    grown.push(tree);
    addTreeBinned(tree, binned, margin);
    if (validX !== undefined && validMargin !== undefined && validY !== undefined) {
      addTreeRaw(tree, binned, validX, cols, validMargin);
      const v = evaluate(p.evalMetric, validMargin, validY);
      history.push(v);
      if (higherIsBetter ? v > best : v < best) {
        best = v;
        bestRound = round + 1;
      } else if (p.earlyStoppingRounds > 0 && round + 1 - bestRound >= p.earlyStoppingRounds) break;
    }
  }
  const kept = validX !== undefined && p.earlyStoppingRounds > 0 ? Math.max(1, bestRound) : grown.length;
  const ensemble = buildEnsemble(
    cols,
    grown.slice(0, kept).map((t) => toTreeNodes(t, binned)),
    base,
    false,
  );
  return createGbdtModel(ensemble, p, kept, history, options.featureNames);
}

/** Adds a grown tree's leaf values to the margins of raw rows (validation). */
function addTreeRaw(
  t: GrownTree,
  binned: BinnedMatrix,
  x: Float64Array,
  cols: number,
  margin: Float64Array,
): void {
  const rows = margin.length;
  for (let r = 0; r < rows; r++) {
    let i = 0;
    let f: number;
    while ((f = t.feature[i]!) >= 0) {
      const b = binOf(binned.edges[f]!, x[r * cols + f]!);
      i = (b === binned.binCounts[f] ? t.defaultLeft[i]! : b <= t.splitBin[i]!) ? t.left[i]! : t.right[i]!;
    }
    margin[r]! += t.value[i]!;
  }
}

function createGbdtModel(
  ensemble: ReturnType<typeof buildEnsemble>,
  params: GbdtParams,
  bestIteration: number,
  validationHistory: readonly number[],
  featureNames: readonly string[] | undefined,
): GbdtModel {
  const base = createTreeModel(ensemble, 'sigmoid', featureNames);
  return {
    ...base,
    kind: 'gbdt',
    params,
    bestIteration,
    validationHistory,
    toJSON(): GbdtPackage {
      const fields = encodeEnsemble(ensemble);
      return {
        format: GBDT_FORMAT,
        version: GBDT_VERSION,
        ...fields,
        ...(featureNames === undefined ? {} : { featureNames }),
        params,
        bestIteration,
        checksum: ensembleChecksum(fields, gbdtExtra(params, bestIteration, featureNames)),
      };
    },
  };
}

function gbdtExtra(params: GbdtParams, bestIteration: number, names: readonly string[] | undefined): string {
  return `gbdt|${JSON.stringify(params)}|${bestIteration}|${names?.join('\u0000') ?? ''}`;
}

/**
 * Rebuilds a boosted model from its package, validating format, version, every array and the
 * tree structure (see `decodeEnsemble`), the parameters and the checksum. Throws
 * `corrupt gbdt package: <reason>`.
 * @example const copy = loadGbdt(JSON.parse(JSON.stringify(model.toJSON())));
 */
export function loadGbdt(pkg: unknown): GbdtModel {
  const r = createPackageReader(pkg, 'gbdt');
  if (r.string('format') !== GBDT_FORMAT) r.fail(`format is not ${GBDT_FORMAT}`);
  const version = r.int('version', 0);
  if (version !== GBDT_VERSION) r.fail(`unsupported version ${version}`);
  const ensemble = decodeEnsemble(r);
  if (ensemble.float32) r.fail('float32 is set (only imported XGBoost models compare as float32)');
  const featureNames = r.stringsOrUndefined('featureNames', ensemble.features);
  const bestIteration = r.int('bestIteration', 1, ensemble.roots.length);
  let params: GbdtParams;
  try {
    const raw = r.object('params');
    const metric = raw['evalMetric'];
    if (!isEvalMetric(metric)) return r.fail('params.evalMetric is not a known metric');
    const num = (k: string): number => {
      const v = raw[k];
      return typeof v === 'number' ? v : r.fail(`params.${k} is not a number`);
    };
    params = resolveGbdtParams({
      rounds: num('rounds'),
      learningRate: num('learningRate'),
      maxDepth: num('maxDepth'),
      maxLeaves: num('maxLeaves'),
      minChildWeight: num('minChildWeight'),
      minSamplesLeaf: num('minSamplesLeaf'),
      lambda: num('lambda'),
      minSplitGain: num('minSplitGain'),
      subsample: num('subsample'),
      colsampleByTree: num('colsampleByTree'),
      colsampleByNode: num('colsampleByNode'),
      scalePosWeight: num('scalePosWeight'),
      maxBins: num('maxBins'),
      seed: num('seed'),
      earlyStoppingRounds: num('earlyStoppingRounds'),
      evalMetric: metric,
    });
  } catch (e) {
    if (e instanceof Error && e.message.startsWith('corrupt')) throw e;
    return r.fail(`bad params: ${e instanceof Error ? e.message : String(e)}`);
  }
  const fields = encodeEnsemble(ensemble);
  const checksum = r.int('checksum', 0, 2 ** 32 - 1);
  if (checksum !== ensembleChecksum(fields, gbdtExtra(params, bestIteration, featureNames))) {
    r.fail('checksum does not match the content');
  }
  return createGbdtModel(ensemble, params, bestIteration, [], featureNames);
}
