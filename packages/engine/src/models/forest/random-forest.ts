/**
 * Random forest for binary fraud scoring (Breiman 2001, as scikit-learn's
 * RandomForestClassifier): each tree grows on a bootstrap sample of the rows, choosing every
 * split among a fresh random subset of features (√features by default) by Gini impurity or
 * entropy decrease, down to pure leaves unless limited; the forest's probability is the mean of
 * the trees' leaf probabilities (each leaf holds the weighted share of positive rows that reached
 * it, not a vote). Trees are grown by the same histogram machinery as the boosted trees (binned
 * features, learned default direction for NaN), and stored in the same flat layout with leaves
 * pre-divided by the number of trees, so scoring is a sum and TreeSHAP explains the probability
 * directly.
 *
 * Splits are exact as scikit-learn's: by default every distinct training value of a feature gets
 * its own bin (up to 65,535 per feature, equal-count bins beyond), and each threshold sits halfway
 * between the largest value sent left and the smallest sent right among the node's own rows. Both
 * matter for rare, extreme fraud rows: 255 equal-count bins merge them with ordinary rows, and a
 * threshold at the bin edge next to the left side (rather than the middle of the node's gap,
 * which a bootstrap sample makes wide) misplaces held-out rows; together they cost 0.987 against
 * scikit-learn's 0.9998 ROC-AUC in bench:models (docs/benchmarks.md).
 */
import { createSeededRandom } from '../../ports/clock.js';
import { toDenseMatrix, type MatrixInput } from '../matrix.js';
import { createPackageReader } from '../model-package.js';
import { binMatrix, fitBins, MAX_BINS_WIDE, type BinnedMatrix } from '../gbdt/binning.js';
import { checkBinaryLabels } from '../gbdt/gbdt.js';
import {
  buildEnsemble,
  createTreeModel,
  decodeEnsemble,
  encodeEnsemble,
  ensembleChecksum,
  type EnsemblePackageFields,
  type TreeModel,
  type TreeNodes,
} from '../gbdt/tree-ensemble.js';
import { createGrowWorkspace, growTree, type GrownTree } from '../gbdt/tree-grower.js';

/** Impurity criteria of forest splits. */
export const FOREST_CRITERIA = ['gini', 'entropy'] as const;
/** A forest split criterion. */
export type ForestCriterion = (typeof FOREST_CRITERIA)[number];

/** Training options of {@link trainRandomForest}. */
export interface RandomForestOptions {
  /** Number of trees, default 100. */
  readonly trees?: number;
  /** Split criterion, default 'gini'. */
  readonly criterion?: ForestCriterion;
  /** Depth limit, default 0 = grow until leaves are pure. */
  readonly maxDepth?: number;
  /** Least rows in a leaf, default 1. */
  readonly minSamplesLeaf?: number;
  /** Least rows in a node to split it, default 2. */
  readonly minSamplesSplit?: number;
  /** Features tried per split: 'sqrt' (default), 'log2', 'all', a count (>= 1) or a share (< 1). */
  readonly maxFeatures?: 'sqrt' | 'log2' | 'all' | number;
  /** Bootstrap sample per tree (default true); false grows every tree on all rows. */
  readonly bootstrap?: boolean;
  /** Rows drawn per tree as a share of the rows, default 1. */
  readonly maxSamples?: number;
  /** Weight of positive rows relative to negatives ('balanced': n_neg / n_pos), default 1. */
  readonly positiveWeight?: number | 'balanced';
  /**
   * Bins per feature, 2..65535, default 65535: a feature with at most that many distinct training
   * values gets one bin per value, so splits are exact as scikit-learn's; beyond, equal-count bins.
   */
  readonly maxBins?: number;
  /** Seed, default 1. */
  readonly seed?: number;
  /** Number of columns, required when the data is a flat row-major Float64Array. */
  readonly features?: number;
  readonly featureNames?: readonly string[];
}

/** Resolved options, kept in the package. */
export interface RandomForestParams {
  readonly trees: number;
  readonly criterion: ForestCriterion;
  readonly maxDepth: number;
  readonly minSamplesLeaf: number;
  readonly minSamplesSplit: number;
  readonly featuresPerSplit: number;
  readonly bootstrap: boolean;
  readonly maxSamples: number;
  readonly positiveWeight: number;
  readonly maxBins: number;
  readonly seed: number;
}

/** Package format name and version written by {@link RandomForestModel.toJSON}. */
export const RANDOM_FOREST_FORMAT = 'vigil.random-forest';
/** Version of the random forest package format. */
export const RANDOM_FOREST_VERSION = 1;

/** The JSON-able saved form of a forest. */
export interface RandomForestPackage extends EnsemblePackageFields {
  readonly format: typeof RANDOM_FOREST_FORMAT;
  readonly version: typeof RANDOM_FOREST_VERSION;
  readonly featureNames?: readonly string[];
  readonly params: RandomForestParams;
  readonly checksum: number;
}

/** A trained random forest; `predict` is the mean leaf probability of its trees. */
export interface RandomForestModel extends TreeModel {
  readonly kind: 'random-forest';
  readonly params: RandomForestParams;
  toJSON(): RandomForestPackage;
}

function intIn(name: string, v: number, lo: number, hi: number): number {
  if (!Number.isInteger(v) || v < lo || v > hi)
    throw new Error(`${name} must be an integer in [${lo}, ${hi}], got ${v}`);
  return v;
}

function featuresPerSplit(maxFeatures: RandomForestOptions['maxFeatures'], cols: number): number {
  const m = maxFeatures ?? 'sqrt';
  if (m === 'sqrt') return Math.max(1, Math.floor(Math.sqrt(cols)));
  if (m === 'log2') return Math.max(1, Math.floor(Math.log2(cols)));
  if (m === 'all') return cols;
  if (typeof m !== 'number' || !(m > 0))
    throw new Error(`maxFeatures must be sqrt, log2, all or a positive number, got ${String(m)}`);
  return m < 1 ? Math.max(1, Math.floor(m * cols)) : Math.min(cols, intIn('maxFeatures', m, 1, cols));
}

/**
 * Trains a random forest on rows `x` (NaN = missing) and 0/1 labels `y`.
 * @example
 * const forest = trainRandomForest(x, y, { trees: 100, maxDepth: 20 });
 * forest.predict(row); // mean probability of fraud over the trees
 */
export function trainRandomForest(
  x: MatrixInput,
  y: ArrayLike<number>,
  options: RandomForestOptions = {},
): RandomForestModel {
  const m = toDenseMatrix(x, options.features, 'training data', false);
  for (let i = 0; i < m.data.length; i++) {
    const v = m.data[i]!;
    if (v === Infinity || v === -Infinity) {
      throw new Error(
        `training data: row ${Math.floor(i / m.cols)}, column ${i % m.cols} is ${v}; use NaN for a missing value`,
      );
    }
  }
  const labels = checkBinaryLabels(y, m.rows, 'training labels');
  const n = m.rows;
  const cols = m.cols;
  if (options.featureNames !== undefined && options.featureNames.length !== cols) {
    throw new Error(`featureNames has ${options.featureNames.length} names for ${cols} columns`);
  }
  let pos = 0;
  for (let i = 0; i < n; i++) pos += labels[i]!;
  const pw = options.positiveWeight ?? 1;
  const maxSamples = options.maxSamples ?? 1;
  if (!(maxSamples > 0 && maxSamples <= 1))
    throw new Error(`maxSamples must be in (0, 1], got ${maxSamples}`);
  const params: RandomForestParams = {
    trees: intIn('trees', options.trees ?? 100, 1, 100_000),
    criterion: options.criterion ?? 'gini',
    maxDepth: intIn('maxDepth', options.maxDepth ?? 0, 0, 1000),
    minSamplesLeaf: intIn('minSamplesLeaf', options.minSamplesLeaf ?? 1, 1, Number.MAX_SAFE_INTEGER),
    minSamplesSplit: intIn('minSamplesSplit', options.minSamplesSplit ?? 2, 2, Number.MAX_SAFE_INTEGER),
    featuresPerSplit: featuresPerSplit(options.maxFeatures, cols),
    bootstrap: options.bootstrap ?? true,
    maxSamples,
    positiveWeight: pw === 'balanced' ? (n - pos) / pos : pw,
    maxBins: intIn('maxBins', options.maxBins ?? MAX_BINS_WIDE, 2, MAX_BINS_WIDE),
    seed: intIn('seed', options.seed ?? 1, 0, 2 ** 32 - 1),
  };
  if (!(params.positiveWeight > 0) || !Number.isFinite(params.positiveWeight)) {
    throw new Error(`positiveWeight must be a positive number or 'balanced', got ${String(pw)}`);
  }
  if (!(FOREST_CRITERIA as readonly string[]).includes(params.criterion)) {
    throw new Error(
      `criterion must be one of ${FOREST_CRITERIA.join(', ')}, got ${String(params.criterion)}`,
    );
  }
  const random = createSeededRandom(params.seed);
  const binned = binMatrix(m.data, n, cols, fitBins(m.data, n, cols, { maxBins: params.maxBins, random }));
  const grad = new Float64Array(n);
  const hess = new Float64Array(n);
  const drawn = new Uint32Array(n);
  const idx = new Uint32Array(n);
  const ws = createGrowWorkspace(binned);
  const draws = Math.max(1, Math.round(params.maxSamples * n));
  const trees: TreeNodes[] = [];
  for (let t = 0; t < params.trees; t++) {
    drawn.fill(0);
    if (params.bootstrap) for (let k = 0; k < draws; k++) drawn[Math.floor(random.next() * n)]!++;
    else drawn.fill(1);
    let count = 0;
    for (let r = 0; r < n; r++) {
      const c = drawn[r]!;
      if (c === 0) continue;
      const w = c * (labels[r] === 1 ? params.positiveWeight : 1);
      hess[r] = w;
      grad[r] = labels[r] === 1 ? w : 0;
      idx[count++] = r;
    }
    const tree = growTree(
      binned,
      grad,
      hess,
      idx,
      count,
      {
        criterion: params.criterion,
        maxDepth: params.maxDepth === 0 ? Infinity : params.maxDepth,
        maxLeaves: Infinity,
        minChildWeight: 0,
        minSamplesLeaf: params.minSamplesLeaf,
        minSamplesSplit: params.minSamplesSplit,
        lambda: 0,
        minSplitGain: 1e-12,
        leafScale: 1 / params.trees,
        featuresPerNode: params.featuresPerSplit < cols ? params.featuresPerSplit : 0,
        perNodeHistograms: true,
        random,
      },
      ws,
    );
    trees.push({ ...tree, threshold: nodeThresholds(tree, binned, m.data, idx, count) });
  }
  return createForestModel(buildEnsemble(cols, trees, 0, false), params, options.featureNames);
}

/**
 * Thresholds of a grown tree as scikit-learn places them: halfway between the largest value that
 * went left and the smallest that went right among the node's own rows (not between two bins'
 * global neighbours, which leaves the gap to values the node never saw on one side). Routes the
 * tree's rows down it once, by their bins, to find those values; a split that sends every present
 * value left (missing right) keeps threshold Infinity.
 */
function nodeThresholds(
  tree: GrownTree,
  binned: BinnedMatrix,
  data: Float64Array,
  idx: Uint32Array,
  count: number,
): Float64Array {
  const nodes = tree.feature.length;
  const leftMax = new Float64Array(nodes).fill(-Infinity);
  const rightMin = new Float64Array(nodes).fill(Infinity);
  const { bins, binCounts, rows, cols } = binned;
  for (let i = 0; i < count; i++) {
    const r = idx[i]!;
    let node = 0;
    for (let f = tree.feature[0]!; f >= 0; f = tree.feature[node]!) {
      const b = bins[f * rows + r]!;
      const v = data[r * cols + f]!;
      const goLeft = b === binCounts[f]! ? tree.defaultLeft[node]! : b <= tree.splitBin[node]!;
      if (v === v) {
        if (goLeft) {
          if (v > leftMax[node]!) leftMax[node] = v;
        } else if (v < rightMin[node]!) rightMin[node] = v;
      }
      node = goLeft ? tree.left[node]! : tree.right[node]!;
    }
  }
  const thr = new Float64Array(nodes);
  for (let i = 0; i < nodes; i++) {
    const f = tree.feature[i]!;
    if (f < 0) continue;
    const a = leftMax[i]!;
    const b = rightMin[i]!;
    if (b === Infinity) thr[i] = Infinity;
    else if (a === -Infinity) thr[i] = b;
    else {
      // Left when x < threshold: a < threshold <= b.
      const mid = a / 2 + b / 2;
      thr[i] = mid > a ? mid : b;
    }
  }
  return thr;
}

function createForestModel(
  ensemble: ReturnType<typeof buildEnsemble>,
  params: RandomForestParams,
  featureNames: readonly string[] | undefined,
): RandomForestModel {
  return {
    ...createTreeModel(ensemble, 'identity', featureNames),
    kind: 'random-forest',
    params,
    toJSON(): RandomForestPackage {
      const fields = encodeEnsemble(ensemble);
      return {
        format: RANDOM_FOREST_FORMAT,
        version: RANDOM_FOREST_VERSION,
        ...fields,
        ...(featureNames === undefined ? {} : { featureNames }),
        params,
        checksum: ensembleChecksum(fields, forestExtra(params, featureNames)),
      };
    },
  };
}

function forestExtra(params: RandomForestParams, names: readonly string[] | undefined): string {
  return `random-forest|${JSON.stringify(params)}|${names?.join('\u0000') ?? ''}`;
}

/**
 * Rebuilds a forest from its package, validating everything (format, version, arrays, tree
 * structure, parameters, checksum). Throws `corrupt random forest package: <reason>`.
 * @example const copy = loadRandomForest(JSON.parse(JSON.stringify(forest.toJSON())));
 */
export function loadRandomForest(pkg: unknown): RandomForestModel {
  const r = createPackageReader(pkg, 'random forest');
  if (r.string('format') !== RANDOM_FOREST_FORMAT) r.fail(`format is not ${RANDOM_FOREST_FORMAT}`);
  const version = r.int('version', 0);
  if (version !== RANDOM_FOREST_VERSION) r.fail(`unsupported version ${version}`);
  const ensemble = decodeEnsemble(r);
  if (ensemble.float32) r.fail('float32 is set');
  if (ensemble.base !== 0) r.fail('base is not 0');
  const featureNames = r.stringsOrUndefined('featureNames', ensemble.features);
  const raw = r.object('params');
  const num = (k: string): number => {
    const v = raw[k];
    return typeof v === 'number' && Number.isFinite(v) ? v : r.fail(`params.${k} is not a number`);
  };
  const criterion = raw['criterion'];
  if (criterion !== 'gini' && criterion !== 'entropy') r.fail('params.criterion is not gini or entropy');
  const bootstrap = raw['bootstrap'];
  if (typeof bootstrap !== 'boolean') r.fail('params.bootstrap is not a boolean');
  const params: RandomForestParams = {
    trees: num('trees'),
    criterion: criterion === 'entropy' ? 'entropy' : 'gini',
    maxDepth: num('maxDepth'),
    minSamplesLeaf: num('minSamplesLeaf'),
    minSamplesSplit: num('minSamplesSplit'),
    featuresPerSplit: num('featuresPerSplit'),
    bootstrap: bootstrap === true,
    maxSamples: num('maxSamples'),
    positiveWeight: num('positiveWeight'),
    maxBins: num('maxBins'),
    seed: num('seed'),
  };
  if (params.trees !== ensemble.roots.length)
    r.fail(`params.trees is ${params.trees} but the package holds ${ensemble.roots.length} trees`);
  const checksum = r.int('checksum', 0, 2 ** 32 - 1);
  if (checksum !== ensembleChecksum(encodeEnsemble(ensemble), forestExtra(params, featureNames))) {
    r.fail('checksum does not match the content');
  }
  return createForestModel(ensemble, params, featureNames);
}
