/**
 * scikit-learn 1.2.1's `IsolationForest(n_estimators, max_samples, random_state=seed).fit(X)`,
 * replayed draw for draw, so a seed gives the very trees scikit-learn grows (same split
 * features, thresholds, node sizes, node order). Used by `trainIsolationForest` with
 * `random: { kind: 'sklearn', seed }`, e.g. to run a published protocol whose "seed" seeds
 * scikit-learn. What scikit-learn does, and this module with it:
 *
 * - `X` is cast to float32 (round to nearest); `y = RandomState(seed).uniform(size=n)` are the
 *   regression targets the trees' MSE criterion sees (they only decide leaves through
 *   `impurity <= EPSILON` and the improvement test, but they are replayed too);
 * - BaseBagging draws `seeds = RandomState(seed).randint(2^31 - 1, size=trees)` (a fresh
 *   generator with `random_state=seed`; with `np.random.seed(seed)` and `random_state=None`, as
 *   ADBench runs it, the same global stream right after the targets' draws); tree i gets
 *   `random_state = RandomState(seeds[i]).randint(2^31 - 1)` and its rows from a fresh
 *   `RandomState(seeds[i])`: `sample_without_replacement(n_features, n_features)` (no draw), then
 *   `sample_without_replacement(n, max_samples)` ('auto': a permutation prefix for
 *   0.01 < ratio < 0.99, tracking selection below 0.2, reservoir sampling above). The rows enter
 *   the tree as a 0/1 weight mask, so the tree sees them in ascending row order;
 * - each tree is an ExtraTreeRegressor (random splitter, max_features = 1, min_samples_split = 2,
 *   max_depth = ceil(log2(max_samples))) grown depth first (left child first). The splitter's
 *   xorshift state is `RandomState(random_state).randint(0, 2^31 - 1)`; a node draws features by
 *   Fisher–Yates over the features not known constant (the constant-feature bookkeeping passes
 *   from parent to children), a feature is constant when max <= min + 1e-7 (float32), the
 *   threshold is `rand_uniform(min, max)` with `threshold == max -> min`, rows `<=` go left.
 *
 * Scoring (`score_samples`) compares the float32 value of a row to the float64 threshold;
 * {@link float32CutAsFloat64} turns a threshold into the float64 cut that gives the same answer
 * on the float64 value, so the forest scores with the ordinary float64 loop.
 */
import type { NumpyLegacyRandom } from './numpy-random.js';
import { createNumpyLegacyRandom } from './numpy-random.js';

/** numpy's `np.iinfo(np.int32).max`, scikit-learn's MAX_INT for seeds. */
const MAX_INT = 0x7fffffff;
/** scikit-learn's RAND_R_MAX (the splitter seed is drawn in [0, RAND_R_MAX)). */
const RAND_R_MAX = 0x7fffffff;
/** `np.finfo('double').eps`, the tree builder's EPSILON. */
const EPSILON = Number.EPSILON;
/** The splitter's FEATURE_THRESHOLD, a float32. */
const FEATURE_THRESHOLD = Math.fround(1e-7);
/** scikit-learn's TREE_LEAF and TREE_UNDEFINED markers. */
const TREE_LEAF = -1;
const TREE_UNDEFINED = -2;
/** The largest finite float32. */
const FLOAT32_MAX = 3.4028234663852886e38;

/**
 * scikit-learn's `sample_without_replacement(nPopulation, nSamples, method='auto')` on a numpy
 * legacy generator: a permutation prefix when 0.01 < ratio < 0.99, otherwise tracking selection
 * (ratio < 0.2) or reservoir sampling (no draw at all when nSamples = nPopulation).
 * @example sampleWithoutReplacement(700, 256, createNumpyLegacyRandom(5)).length; // 256
 */
export function sampleWithoutReplacement(
  nPopulation: number,
  nSamples: number,
  rng: NumpyLegacyRandom,
): Int32Array {
  if (!Number.isInteger(nPopulation) || !Number.isInteger(nSamples) || nPopulation < 0 || nSamples < 0) {
    throw new Error('sample without replacement: sizes must be non-negative integers');
  }
  if (nSamples > nPopulation) {
    throw new Error(`sample without replacement: ${nSamples} samples from a population of ${nPopulation}`);
  }
  const ratio = nPopulation !== 0 ? nSamples / nPopulation : 1;
  if (ratio > 0.01 && ratio < 0.99) return rng.permutation(nPopulation).slice(0, nSamples);
  const out = new Int32Array(nSamples);
  if (ratio < 0.2) {
    const selected = new Set<number>();
    for (let i = 0; i < nSamples; i++) {
      let j = rng.randint(nPopulation, 1)[0]!;
      while (selected.has(j)) j = rng.randint(nPopulation, 1)[0]!;
      selected.add(j);
      out[i] = j;
    }
    return out;
  }
  for (let i = 0; i < nSamples; i++) out[i] = i;
  for (let i = nSamples; i < nPopulation; i++) {
    const j = rng.randint(i + 1, 1)[0]!;
    if (j < nSamples) out[j] = i;
  }
  return out;
}

const f32 = new Float32Array(1);
const f32Bits = new Int32Array(f32.buffer);
const f64 = new Float64Array(1);
const f64Bits = new BigInt64Array(f64.buffer);

/** The next float32 above (`dir` 1) or below (`dir` -1) a finite float32 value. */
function nextFloat32(f: number, dir: 1 | -1): number {
  if (f === 0) return dir * 2 ** -149;
  f32[0] = f;
  f32Bits[0] = f32Bits[0]! + (f > 0 ? dir : -dir);
  return f32[0];
}

/** The next float64 below a finite non-zero value. */
function nextFloat64Down(m: number): number {
  f64[0] = m;
  f64Bits[0] = m > 0 ? f64Bits[0]! - 1n : f64Bits[0]! + 1n;
  return f64[0];
}

/**
 * The float64 cut `c` with `x <= c` exactly when `Math.fround(x) <= t`, for every float64 `x`:
 * scikit-learn's trees compare the float32 value of a feature to a float64 threshold `t`, and
 * with `c` a float64 row takes the same branch without rounding each value at scoring time.
 * (`Math.fround` rounds to nearest, ties to even, and is monotone, so the set is a half-line
 * ending halfway between the largest float32 `<= t` and the next float32, that midpoint
 * included when it rounds down.)
 * @example float32CutAsFloat64(0.5); // 0.5 + 2^-25: that midpoint still rounds to 0.5 (ties to even)
 */
export function float32CutAsFloat64(t: number): number {
  if (!(Math.abs(t) <= FLOAT32_MAX))
    throw new Error(`float32 cut: threshold ${t} is outside the float32 range`);
  let f = Math.fround(t);
  if (f > t) f = nextFloat32(f, -1);
  const g = f === FLOAT32_MAX ? FLOAT32_MAX + 2 ** 104 : nextFloat32(f, 1);
  const m = (f + g) / 2;
  return Math.fround(m) <= t ? m : nextFloat64Down(m);
}

/** One tree as scikit-learn stores it in `estimator.tree_`, nodes in its order (depth first). */
export interface SklearnTree {
  /** Left child per node, -1 for a leaf. */
  readonly childrenLeft: Int32Array;
  /** Right child per node, -1 for a leaf. */
  readonly childrenRight: Int32Array;
  /** Split feature per node, -2 for a leaf. */
  readonly feature: Int32Array;
  /** Split threshold per node (rows with float32 value `<=` go left), -2 for a leaf. */
  readonly threshold: Float64Array;
  /** Training rows reaching each node. */
  readonly nNodeSamples: Int32Array;
}

/**
 * How the seed reaches scikit-learn: `random_state=seed` (each `check_random_state` makes a fresh
 * `RandomState(seed)`, so the targets and the bagging seeds both start from the seed), or
 * `np.random.seed(seed)` with `random_state=None` (one global stream: the bagging seeds follow
 * the targets' 2n draws). ADBench runs PyOD's IForest the second way.
 */
export const SKLEARN_SEEDINGS = ['random_state', 'np.random.seed'] as const;
export type SklearnSeeding = (typeof SKLEARN_SEEDINGS)[number];

/** Options of {@link growSklearnIsolationForest}, named as scikit-learn's. */
export interface SklearnIsolationForestOptions {
  /** The seed, an integer in [0, 2^32 - 1]. */
  readonly seed: number;
  /** How the seed is given to scikit-learn (default 'random_state'). */
  readonly seeding?: SklearnSeeding;
  /** `n_estimators` (default 100). */
  readonly trees?: number;
  /** `max_samples` as an integer, capped at the rows (default 256, i.e. 'auto'). */
  readonly maxSamples?: number;
  /** Depth limit (default ceil(log2(max(max_samples, 2))), as IsolationForest sets it). */
  readonly maxDepth?: number;
}

/** The trees of {@link growSklearnIsolationForest} with what scikit-learn derived. */
export interface SklearnIsolationForest {
  readonly trees: readonly SklearnTree[];
  /** `max_samples_`. */
  readonly maxSamples: number;
  readonly maxDepth: number;
  /** `_seeds`: the per-tree seeds BaseBagging drew. */
  readonly seeds: Int32Array;
}

/** The splitter's xorshift generator (`our_rand_r`, `rand_int`, `rand_uniform`). */
interface RandR {
  int(low: number, high: number): number;
  uniform(low: number, high: number): number;
}

function createRandR(seed: number): RandR {
  let s = seed >>> 0;
  const next = (): number => {
    if (s === 0) s = 1;
    s = (s ^ (s << 13)) >>> 0;
    s = (s ^ (s >>> 17)) >>> 0;
    s = (s ^ (s << 5)) >>> 0;
    return s % (RAND_R_MAX + 1);
  };
  return {
    int: (low, high) => low + (next() % (high - low)),
    uniform: (low, high) => ((high - low) * next()) / RAND_R_MAX + low,
  };
}

interface Growth {
  childrenLeft: number[];
  childrenRight: number[];
  feature: number[];
  threshold: number[];
  nNodeSamples: number[];
}

/**
 * Grows one ExtraTreeRegressor as scikit-learn's DepthFirstTreeBuilder with the random splitter
 * (max_features = 1, min_samples_leaf = 1, min_samples_split = 2, MSE on `y`).
 */
function growTree(
  X: Float32Array,
  cols: number,
  y: Float64Array,
  rows: Int32Array,
  maxDepth: number,
  rand: RandR,
): SklearnTree {
  const samples = Int32Array.from(rows);
  const n = samples.length;
  const weightedNSamples = n;
  const features = Int32Array.from({ length: cols }, (_, j) => j);
  const constantFeatures = new Int32Array(cols);
  const Xf = new Float32Array(n);
  const g: Growth = { childrenLeft: [], childrenRight: [], feature: [], threshold: [], nNodeSamples: [] };

  // Stack records: start, end, depth, parent, isLeft, impurity, nConstantFeatures.
  const stack: [number, number, number, number, boolean, number, number][] = [
    [0, n, 0, TREE_LEAF, false, Infinity, 0],
  ];
  let first = true;
  while (stack.length > 0) {
    const [start, end, depth, parent, isLeft, parentImpurity, nConst] = stack.pop()!;
    const nNode = end - start;
    // Criterion.init over samples[start:end] (all weights are 1).
    let sumTotal = 0;
    let sqSumTotal = 0;
    for (let p = start; p < end; p++) {
      const yi = y[samples[p]!]!;
      sumTotal += yi;
      sqSumTotal += yi * yi;
    }
    const wNode = nNode;
    let impurity = parentImpurity;
    let isLeaf = depth >= maxDepth || nNode < 2;
    if (first) {
      impurity = sqSumTotal / wNode - (sumTotal / wNode) ** 2;
      first = false;
    }
    isLeaf = isLeaf || impurity <= EPSILON;

    // RandomSplitter.node_split.
    let bestPos = end;
    let bestFeature = 0;
    let bestThreshold = 0;
    let bestImprovement = -Infinity;
    let bestImpLeft = Infinity;
    let bestImpRight = Infinity;
    let nTotal = nConst;
    if (!isLeaf) {
      let fI = cols;
      let nFound = 0;
      let nDrawn = 0;
      const nKnown = nConst;
      let nVisited = 0;
      let currentFeature = -1;
      while (fI > nTotal && (nVisited < 1 || nVisited <= nFound + nDrawn)) {
        nVisited++;
        let fJ = rand.int(nDrawn, fI - nFound);
        if (fJ < nKnown) {
          const t = features[nDrawn]!;
          features[nDrawn] = features[fJ]!;
          features[fJ] = t;
          nDrawn++;
          continue;
        }
        fJ += nFound;
        const f = features[fJ]!;
        currentFeature = f;
        let lo = X[samples[start]! * cols + f]!;
        let hi = lo;
        Xf[start] = lo;
        for (let p = start + 1; p < end; p++) {
          const v = X[samples[p]! * cols + f]!;
          Xf[p] = v;
          if (v < lo) lo = v;
          else if (v > hi) hi = v;
        }
        if (hi <= Math.fround(lo + FEATURE_THRESHOLD)) {
          features[fJ] = features[nTotal]!;
          features[nTotal] = f;
          nFound++;
          nTotal++;
          continue;
        }
        fI--;
        features[fJ] = features[fI]!;
        features[fI] = f;
        let thr = rand.uniform(lo, hi);
        if (thr === hi) thr = lo;
        let p = start;
        let pe = end;
        while (p < pe) {
          if (Xf[p]! <= thr) p++;
          else {
            pe--;
            const tv = Xf[p]!;
            Xf[p] = Xf[pe]!;
            Xf[pe] = tv;
            const ts = samples[p]!;
            samples[p] = samples[pe]!;
            samples[pe] = ts;
          }
        }
        // min_samples_leaf = 1 and min_weight_leaf = 0; the proxy improvement always beats -inf.
        if (pe - start < 1 || end - pe < 1) continue;
        bestPos = pe;
        bestFeature = f;
        bestThreshold = thr;
      }
      if (bestPos < end) {
        if (currentFeature !== bestFeature) {
          let p = start;
          let pe = end;
          while (p < pe) {
            if (X[samples[p]! * cols + bestFeature]! <= bestThreshold) p++;
            else {
              pe--;
              const ts = samples[p]!;
              samples[p] = samples[pe]!;
              samples[pe] = ts;
            }
          }
        }
        // Criterion reset + update(bestPos): sum from the nearer end, as RegressionCriterion does.
        let sumLeft: number;
        let wLeft: number;
        if (bestPos - start <= end - bestPos) {
          sumLeft = 0;
          wLeft = 0;
          for (let q = start; q < bestPos; q++) {
            sumLeft += y[samples[q]!]!;
            wLeft += 1;
          }
        } else {
          sumLeft = sumTotal;
          wLeft = wNode;
          for (let q = end - 1; q >= bestPos; q--) {
            sumLeft -= y[samples[q]!]!;
            wLeft -= 1;
          }
        }
        const wRight = wNode - wLeft;
        const sumRight = sumTotal - sumLeft;
        // MSE.children_impurity.
        let sqLeft = 0;
        for (let q = start; q < bestPos; q++) {
          const yi = y[samples[q]!]!;
          sqLeft += yi * yi;
        }
        const sqRight = sqSumTotal - sqLeft;
        bestImpLeft = sqLeft / wLeft - (sumLeft / wLeft) ** 2;
        bestImpRight = sqRight / wRight - (sumRight / wRight) ** 2;
        bestImprovement =
          (wNode / weightedNSamples) *
          (impurity - (wRight / wNode) * bestImpRight - (wLeft / wNode) * bestImpLeft);
      }
      // Keep features[:nKnown] in its original order for siblings and children; remember the
      // constants found here.
      features.set(constantFeatures.subarray(0, nKnown), 0);
      constantFeatures.set(features.subarray(nKnown, nKnown + nFound), nKnown);
      isLeaf = bestPos >= end || bestImprovement + EPSILON < 0;
    }

    const id = g.feature.length;
    if (parent !== TREE_LEAF) {
      if (isLeft) g.childrenLeft[parent] = id;
      else g.childrenRight[parent] = id;
    }
    g.childrenLeft.push(TREE_LEAF);
    g.childrenRight.push(TREE_LEAF);
    g.feature.push(isLeaf ? TREE_UNDEFINED : bestFeature);
    g.threshold.push(isLeaf ? TREE_UNDEFINED : bestThreshold);
    g.nNodeSamples.push(nNode);
    if (!isLeaf) {
      stack.push([bestPos, end, depth + 1, id, false, bestImpRight, nTotal]);
      stack.push([start, bestPos, depth + 1, id, true, bestImpLeft, nTotal]);
    }
  }
  return {
    childrenLeft: Int32Array.from(g.childrenLeft),
    childrenRight: Int32Array.from(g.childrenRight),
    feature: Int32Array.from(g.feature),
    threshold: Float64Array.from(g.threshold),
    nNodeSamples: Int32Array.from(g.nNodeSamples),
  };
}

function checkSeed(seed: number): number {
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new Error('scikit-learn random_state must be an integer in [0, 2^32 - 1]');
  }
  return seed;
}

/**
 * The trees of scikit-learn 1.2.1's `IsolationForest(n_estimators=trees, max_samples=maxSamples,
 * random_state=seed).fit(X)` for a row-major float64 matrix (see the module comment). Throws on
 * empty data or a value that is not finite as a float32.
 * @example
 * const { trees } = growSklearnIsolationForest(Float64Array.of(0, 1, 2, 3), 4, 1, { seed: 1, trees: 2 });
 * trees[0]!.nNodeSamples[0]; // 4
 */
export function growSklearnIsolationForest(
  data: Float64Array,
  rows: number,
  cols: number,
  opts: SklearnIsolationForestOptions,
): SklearnIsolationForest {
  const seed = checkSeed(opts.seed);
  if (rows < 1 || cols < 1 || data.length !== rows * cols) {
    throw new Error(`sklearn isolation forest: ${data.length} values for ${rows} x ${cols}`);
  }
  const trees = opts.trees ?? 100;
  const asked = opts.maxSamples ?? 256;
  if (!Number.isInteger(trees) || trees < 1) throw new Error('sklearn isolation forest: trees must be >= 1');
  if (!Number.isInteger(asked) || asked < 1) {
    throw new Error('sklearn isolation forest: maxSamples must be a positive integer');
  }
  const maxSamples = Math.min(asked, rows);
  const maxDepth = opts.maxDepth ?? Math.ceil(Math.log2(Math.max(maxSamples, 2)));
  const X = Float32Array.from(data);
  for (let i = 0; i < X.length; i++) {
    if (!Number.isFinite(X[i]!)) {
      throw new Error(
        `sklearn isolation forest: row ${Math.floor(i / cols)} has a value that is not finite as a float32`,
      );
    }
  }
  const targetsRng = createNumpyLegacyRandom(seed);
  const y = targetsRng.uniform(rows);
  const seeds = (opts.seeding === 'np.random.seed' ? targetsRng : createNumpyLegacyRandom(seed)).randint(
    MAX_INT,
    trees,
  );
  const out: SklearnTree[] = [];
  for (let t = 0; t < trees; t++) {
    const treeSeed = createNumpyLegacyRandom(seeds[t]!).randint(MAX_INT, 1)[0]!;
    const splitterSeed = createNumpyLegacyRandom(treeSeed).randint(RAND_R_MAX, 1)[0]!;
    const bag = createNumpyLegacyRandom(seeds[t]!);
    sampleWithoutReplacement(cols, cols, bag);
    const picked = sampleWithoutReplacement(rows, maxSamples, bag).sort();
    out.push(growTree(X, cols, y, picked, maxDepth, createRandR(splitterSeed)));
  }
  return { trees: out, maxSamples, maxDepth, seeds };
}
