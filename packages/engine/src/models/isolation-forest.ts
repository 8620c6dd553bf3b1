/**
 * Isolation Forest (Liu, Ting & Zhou, "Isolation Forest", ICDM 2008), with scikit-learn's
 * choices where the paper leaves room, so scores match `sklearn.ensemble.IsolationForest`:
 *
 * - each tree grows on `psi = min(sampleSize, n)` rows drawn without replacement, to depth
 *   `ceil(log2(psi))`; a node splits on a feature drawn uniformly among those not constant in
 *   the node, at a threshold uniform in [min, max) of that feature (rows `<=` go left); a node
 *   with one row, all rows identical, or at the depth limit is a leaf;
 * - path length h(x) = depth of the leaf + c(size of the leaf), where c(n) is the average path
 *   length of an unsuccessful binary-search-tree search, c(n) = 2H(n-1) - 2(n-1)/n with
 *   H(i) ≈ ln(i) + γ, c(2) = 1, c(1) = 0;
 * - anomaly score s(x) = 2^(-E[h(x)] / c(psi)), in (0, 1]: near 1 anomalous, below 0.5 normal.
 *
 * By default the forest draws from Vigil's own generator (`seed`). With
 * `random: { kind: 'sklearn', seed }` it replays scikit-learn 1.2.1's random stream instead and
 * grows exactly the trees of `IsolationForest(n_estimators=trees, max_samples=sampleSize,
 * random_state=seed)`, or with `seeding: 'np.random.seed'` those of `np.random.seed(seed)` then
 * `random_state=None` (sklearn-isolation-forest.ts; scikit-learn's float32 comparisons become
 * float64 cuts), so the scores equal scikit-learn's `-score_samples` up to float rounding; the
 * trained model has the same layout and scores as fast.
 *
 * All trees live in three flat typed arrays (`feature`, `value`, `left`; the right child is
 * always `left + 1`; a leaf has feature -1 and stores its path length in `value`), so scoring a
 * row is a tight loop with no allocation.
 */
import { createSeededRandom } from '../ports/clock.js';
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
import { checksumString, createPackageReader, encodeFloat64, encodeInt32 } from './model-package.js';
import {
  float32CutAsFloat64,
  growSklearnIsolationForest,
  type SklearnSeeding,
} from './sklearn-isolation-forest.js';

/** Euler–Mascheroni constant, for the harmonic-number approximation H(i) ≈ ln(i) + γ. */
export const EULER_GAMMA = 0.5772156649015329;

/**
 * c(n): average path length of an unsuccessful search in a binary search tree of n nodes, the
 * normaliser of isolation depths (c(1) = 0, c(2) = 1, else 2(ln(n-1) + γ) - 2(n-1)/n).
 * @example averagePathLength(256); // ≈ 10.2448
 */
export function averagePathLength(n: number): number {
  if (n <= 1) return 0;
  if (n === 2) return 1;
  return 2 * (Math.log(n - 1) + EULER_GAMMA) - (2 * (n - 1)) / n;
}

/**
 * Where an isolation forest's randomness comes from: Vigil's generator (the default, same as
 * `seed`) or scikit-learn 1.2.1's stream (numpy's legacy RandomState seeded with `seed`, as
 * `IsolationForest(random_state=seed)`, or with `seeding: 'np.random.seed'` as
 * `np.random.seed(seed)` then `random_state=None`), which grows scikit-learn's very trees.
 */
export type IsolationForestRandom =
  | { readonly kind: 'vigil'; readonly seed: number }
  | { readonly kind: 'sklearn'; readonly seed: number; readonly seeding?: SklearnSeeding };

/** Training options of {@link trainIsolationForest}. */
export interface IsolationForestOptions {
  /** Number of trees (default 100). */
  readonly trees?: number;
  /** Rows per tree, capped at the number of rows (default 256). */
  readonly sampleSize?: number;
  /** Depth limit (default ceil(log2(sample size))). */
  readonly maxDepth?: number;
  /** Seed of the random generator (default 1): same data and seed, same forest. */
  readonly seed?: number;
  /** The random stream instead of `seed` (not both): `{ kind: 'sklearn', seed }` grows scikit-learn's trees. */
  readonly random?: IsolationForestRandom;
  /** An extra contamination level to compute a threshold for (0.01, 0.05, 0.1 always are). */
  readonly contamination?: number;
  /** Number of columns, required when the data is a flat row-major Float64Array. */
  readonly features?: number;
  /** Column names, kept in the package for explanations. */
  readonly featureNames?: readonly string[];
}

/** Package format name and version written by {@link IsolationForestModel.toJSON}. */
export const ISOLATION_FOREST_FORMAT = 'vigil.isolation-forest';
export const ISOLATION_FOREST_VERSION = 1;

/** The JSON-able saved form of an isolation forest (typed arrays as little-endian base64). */
export interface IsolationForestPackage {
  readonly format: typeof ISOLATION_FOREST_FORMAT;
  readonly version: typeof ISOLATION_FOREST_VERSION;
  readonly features: number;
  readonly featureNames?: readonly string[];
  readonly sampleSize: number;
  readonly maxDepth: number;
  readonly trees: number;
  readonly nodes: number;
  /** Int32 root node of each tree. */
  readonly roots: string;
  /** Int32 split feature per node, -1 for a leaf. */
  readonly feature: string;
  /** Int32 left child per node (right = left + 1), 0 for a leaf. */
  readonly left: string;
  /** Float64 split threshold per node, or the leaf's path length (depth + c(size)). */
  readonly value: string;
  readonly thresholds: readonly (readonly [number, number])[];
  readonly checksum: number;
}

/** A trained isolation forest. */
export interface IsolationForestModel extends AnomalyModel<IsolationForestPackage> {
  readonly kind: 'isolation-forest';
  /** Rows per tree actually used (psi). */
  readonly sampleSize: number;
  readonly trees: number;
  readonly maxDepth: number;
  /** Mean path length E[h(x)] over the trees (NaN for a row with a non-finite value). */
  pathLength(row: ArrayLike<number>): number;
  /**
   * Per-feature contributions, summing to 1 - E[h(x)]/c(psi) = 1 + log2(score): in each tree
   * the path's shortfall (c(psi) - h(x)) / c(psi) is shared among the splits on the row's path
   * with weight 1/(depth + 1), so a feature that isolates the row near the root gets most of the
   * credit; the shares are averaged over trees. Positive means "made the row easier to isolate".
   * This attribution is a heuristic (like DIFFI); only the sum has an exact meaning.
   */
  contributions(row: ArrayLike<number>): Float64Array;
}

interface Forest {
  readonly features: number;
  readonly featureNames: readonly string[] | undefined;
  readonly sampleSize: number;
  readonly maxDepth: number;
  readonly roots: Int32Array;
  readonly feature: Int32Array;
  readonly left: Int32Array;
  readonly value: Float64Array;
  readonly thresholds: readonly ContaminationThreshold[];
}

function positiveInt(name: string, v: number): number {
  if (!Number.isInteger(v) || v < 1) throw new Error(`isolation forest: ${name} must be a positive integer`);
  return v;
}

/**
 * Trains an isolation forest (see the module comment for the algorithm) and computes the
 * contamination thresholds from the training rows' scores. Throws on empty data or non-finite
 * values (impute missing values first).
 * @example
 * const model = trainIsolationForest([[0, 0], [0.1, 0], [0, 0.1], [5, 5]], { seed: 7 });
 * model.score([5, 5]) > model.score([0, 0]); // true
 * // scikit-learn's IsolationForest(random_state=3) on the same rows, tree for tree:
 * const same = trainIsolationForest([[0, 0], [0.1, 0], [0, 0.1], [5, 5]], { random: { kind: 'sklearn', seed: 3 } });
 */
export function trainIsolationForest(
  x: MatrixInput,
  opts: IsolationForestOptions = {},
): IsolationForestModel {
  const m = toDenseMatrix(x, opts.features);
  const { rows: n, cols: d, data: X } = m;
  const trees = positiveInt('trees', opts.trees ?? 100);
  const psi = Math.min(positiveInt('sampleSize', opts.sampleSize ?? 256), n);
  const maxDepth = opts.maxDepth ?? Math.ceil(Math.log2(Math.max(psi, 2)));
  if (!Number.isInteger(maxDepth) || maxDepth < 0) throw new Error('isolation forest: maxDepth must be >= 0');
  if (opts.contamination !== undefined) checkContamination(opts.contamination);
  if (opts.featureNames !== undefined && opts.featureNames.length !== d) {
    throw new Error(`isolation forest: ${opts.featureNames.length} feature names for ${d} columns`);
  }
  if (opts.random !== undefined && opts.seed !== undefined) {
    throw new Error('isolation forest: give seed or random, not both');
  }
  const random = opts.random ?? { kind: 'vigil', seed: opts.seed ?? 1 };
  const built =
    random.kind === 'sklearn'
      ? sklearnForest(X, n, d, trees, psi, maxDepth, random.seed, random.seeding ?? 'random_state')
      : vigilForest(X, n, d, trees, psi, maxDepth, random.seed);

  const forest: Omit<Forest, 'thresholds'> = {
    features: d,
    featureNames: opts.featureNames,
    sampleSize: psi,
    maxDepth,
    ...built,
  };
  const trainScores = scoreRows(forest, X, n);
  return createModel({ ...forest, thresholds: contaminationThresholds(trainScores, opts.contamination) });
}

type ForestArrays = Pick<Forest, 'roots' | 'feature' | 'left' | 'value'>;

/**
 * scikit-learn's trees (sklearn-isolation-forest.ts) in Vigil's layout: children next to each
 * other, thresholds as the float64 cuts equivalent to scikit-learn's float32 comparison, leaves
 * holding depth + c(rows in the leaf) as scikit-learn's `score_samples` adds them.
 */
function sklearnForest(
  X: Float64Array,
  n: number,
  d: number,
  trees: number,
  psi: number,
  maxDepth: number,
  seed: number,
  seeding: SklearnSeeding,
): ForestArrays {
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new Error('isolation forest: a scikit-learn seed is an integer in [0, 2^32 - 1]');
  }
  const sk = growSklearnIsolationForest(X, n, d, { seed, seeding, trees, maxSamples: psi, maxDepth });
  let total = 0;
  for (const t of sk.trees) total += t.feature.length;
  const feature = new Int32Array(total);
  const left = new Int32Array(total);
  const value = new Float64Array(total);
  const roots = new Int32Array(trees);
  const stack: number[] = [];
  let next = 0;
  sk.trees.forEach((t, i) => {
    roots[i] = next;
    // (scikit-learn node, Vigil node, depth) triples, left child popped first.
    stack.push(0, next++, 0);
    while (stack.length > 0) {
      const depth = stack.pop()!;
      const node = stack.pop()!;
      const skNode = stack.pop()!;
      const l = t.childrenLeft[skNode]!;
      if (l < 0) {
        feature[node] = -1;
        left[node] = 0;
        value[node] = depth + averagePathLength(t.nNodeSamples[skNode]!);
        continue;
      }
      const vl = next;
      next += 2;
      feature[node] = t.feature[skNode]!;
      value[node] = float32CutAsFloat64(t.threshold[skNode]!);
      left[node] = vl;
      stack.push(t.childrenRight[skNode]!, vl + 1, depth + 1, l, vl, depth + 1);
    }
  });
  return { roots, feature, left, value };
}

/** Vigil's own forest: Mulberry32 draws, partial Fisher–Yates row samples. */
function vigilForest(
  X: Float64Array,
  n: number,
  d: number,
  trees: number,
  psi: number,
  maxDepth: number,
  seed: number,
): ForestArrays {
  const rnd = createSeededRandom(seed);

  const cap = trees * (2 * psi - 1);
  const feature = new Int32Array(cap);
  const left = new Int32Array(cap);
  const value = new Float64Array(cap);
  const roots = new Int32Array(trees);
  const perm = new Int32Array(n);
  for (let i = 0; i < n; i++) perm[i] = i;
  const fperm = new Int32Array(d);
  for (let j = 0; j < d; j++) fperm[j] = j;
  const idx = new Int32Array(psi);
  // Explicit stack (node, start, end, depth): a tree has at most 2*psi - 1 nodes.
  const sNode = new Int32Array(2 * psi);
  const sStart = new Int32Array(2 * psi);
  const sEnd = new Int32Array(2 * psi);
  const sDepth = new Int32Array(2 * psi);
  let next = 0;

  for (let t = 0; t < trees; t++) {
    // Partial Fisher–Yates: the first psi entries of perm are a uniform sample without replacement.
    for (let i = 0; i < psi; i++) {
      const j = i + Math.floor(rnd.next() * (n - i));
      const tmp = perm[i]!;
      perm[i] = perm[j]!;
      perm[j] = tmp;
      idx[i] = perm[i]! * d;
    }
    const root = next++;
    roots[t] = root;
    let sp = 0;
    sNode[0] = root;
    sStart[0] = 0;
    sEnd[0] = psi;
    sDepth[0] = 0;
    sp = 1;
    while (sp > 0) {
      sp--;
      const node = sNode[sp]!;
      const start = sStart[sp]!;
      const end = sEnd[sp]!;
      const depth = sDepth[sp]!;
      const size = end - start;
      let f = -1;
      let lo = 0;
      let hi = 0;
      if (depth < maxDepth && size > 1) {
        // Draw features without replacement until one is not constant in this node.
        for (let remaining = d; remaining > 0; remaining--) {
          const k = Math.floor(rnd.next() * remaining);
          const cand = fperm[k]!;
          fperm[k] = fperm[remaining - 1]!;
          fperm[remaining - 1] = cand;
          lo = Infinity;
          hi = -Infinity;
          for (let i = start; i < end; i++) {
            const v = X[idx[i]! + cand]!;
            if (v < lo) lo = v;
            if (v > hi) hi = v;
          }
          if (hi > lo) {
            f = cand;
            break;
          }
        }
      }
      if (f < 0) {
        feature[node] = -1;
        left[node] = 0;
        value[node] = depth + averagePathLength(size);
        continue;
      }
      let thr = lo + rnd.next() * (hi - lo);
      if (thr >= hi) thr = lo;
      // Partition idx[start, end): values <= thr first. Both sides are non-empty (lo <= thr < hi).
      let a = start;
      let b = end - 1;
      while (a <= b) {
        if (X[idx[a]! + f]! <= thr) a++;
        else {
          const tmp = idx[a]!;
          idx[a] = idx[b]!;
          idx[b] = tmp;
          b--;
        }
      }
      const l = next;
      next += 2;
      feature[node] = f;
      value[node] = thr;
      left[node] = l;
      sNode[sp] = l + 1;
      sStart[sp] = a;
      sEnd[sp] = end;
      sDepth[sp] = depth + 1;
      sp++;
      sNode[sp] = l;
      sStart[sp] = start;
      sEnd[sp] = a;
      sDepth[sp] = depth + 1;
      sp++;
    }
  }

  return {
    roots,
    feature: feature.slice(0, next),
    left: left.slice(0, next),
    value: value.slice(0, next),
  };
}

/** Sum of path lengths over all trees for the row at `off` in `row` (NaN if a value is not finite). */
function pathSum(f: Omit<Forest, 'thresholds'>, row: ArrayLike<number>, off: number): number {
  const { roots, feature, left, value, features } = f;
  for (let j = 0; j < features; j++) {
    const v = row[off + j]!;
    if (v - v !== 0) return NaN;
  }
  let sum = 0;
  for (let t = 0; t < roots.length; t++) {
    let node = roots[t]!;
    let ft = feature[node]!;
    while (ft >= 0) {
      node = row[off + ft]! <= value[node]! ? left[node]! : left[node]! + 1;
      ft = feature[node]!;
    }
    sum += value[node]!;
  }
  return sum;
}

function scoreRows(f: Omit<Forest, 'thresholds'>, data: Float64Array, rows: number): Float64Array {
  const out = new Float64Array(rows);
  const k = -1 / (f.roots.length * averagePathLength(f.sampleSize) || 1);
  for (let r = 0; r < rows; r++) out[r] = Math.pow(2, pathSum(f, data, r * f.features) * k);
  return out;
}

function createModel(f: Forest): IsolationForestModel {
  const nTrees = f.roots.length;
  const cPsi = averagePathLength(f.sampleSize);
  // c(1) = 0 (a one-row forest): every path is 0 and every score 2^0 = 1.
  const k = -1 / (nTrees * cPsi || 1);
  const checkWidth = (row: ArrayLike<number>): void => {
    if (row.length !== f.features) {
      throw new Error(`isolation forest: row has ${row.length} values, the model expects ${f.features}`);
    }
  };
  return {
    kind: 'isolation-forest',
    features: f.features,
    featureNames: f.featureNames,
    thresholds: f.thresholds,
    sampleSize: f.sampleSize,
    trees: nTrees,
    maxDepth: f.maxDepth,
    score(row) {
      checkWidth(row);
      return Math.pow(2, pathSum(f, row, 0) * k);
    },
    pathLength(row) {
      checkWidth(row);
      return pathSum(f, row, 0) / nTrees;
    },
    scoreBatch(x) {
      const m = toDenseMatrix(x, f.features, 'scoring data', false);
      return scoreRows(f, m.data, m.rows);
    },
    contributions(row) {
      checkWidth(row);
      const out = new Float64Array(f.features);
      for (let j = 0; j < f.features; j++) {
        const v = row[j]!;
        if (v - v !== 0) return out.fill(NaN);
      }
      if (cPsi === 0) return out;
      const pathF = new Int32Array(f.maxDepth + 1);
      const { roots, feature, left, value } = f;
      for (let t = 0; t < nTrees; t++) {
        let node = roots[t]!;
        let depth = 0;
        let wSum = 0;
        while (feature[node]! >= 0) {
          const ft = feature[node]!;
          pathF[depth] = ft;
          wSum += 1 / (depth + 1);
          node = row[ft]! <= value[node]! ? left[node]! : left[node]! + 1;
          depth++;
        }
        if (depth === 0) continue;
        const shortfall = (cPsi - value[node]!) / cPsi / nTrees / wSum;
        for (let i = 0; i < depth; i++) out[pathF[i]!]! += shortfall / (i + 1);
      }
      return out;
    },
    threshold(c) {
      return thresholdFor(f.thresholds, c);
    },
    toJSON() {
      const body = {
        features: f.features,
        sampleSize: f.sampleSize,
        maxDepth: f.maxDepth,
        trees: nTrees,
        nodes: f.feature.length,
        roots: encodeInt32(f.roots),
        feature: encodeInt32(f.feature),
        left: encodeInt32(f.left),
        value: encodeFloat64(f.value),
        thresholds: writeThresholds(f.thresholds),
      };
      return {
        format: ISOLATION_FOREST_FORMAT,
        version: ISOLATION_FOREST_VERSION,
        ...body,
        ...(f.featureNames === undefined ? {} : { featureNames: f.featureNames }),
        checksum: forestChecksum(body, f.featureNames),
      };
    },
  };
}

function forestChecksum(
  b: {
    features: number;
    sampleSize: number;
    maxDepth: number;
    trees: number;
    nodes: number;
    roots: string;
    feature: string;
    left: string;
    value: string;
    thresholds: readonly (readonly [number, number])[];
  },
  names: readonly string[] | undefined,
): number {
  const head = [
    ISOLATION_FOREST_FORMAT,
    ISOLATION_FOREST_VERSION,
    b.features,
    b.sampleSize,
    b.maxDepth,
    b.trees,
    b.nodes,
    b.thresholds.map((p) => p.join(':')).join(','),
    names?.join('\u0000') ?? '',
  ].join('|');
  let h = checksumString(head);
  for (const s of [b.roots, b.feature, b.left, b.value]) h = checksumString(s, h);
  return h;
}

/**
 * Rebuilds an isolation forest from its package, validating everything: format and version,
 * sizes, base64 arrays, tree structure (children after their parent and inside the arrays, so
 * traversal always ends; split features inside the row), finite values, thresholds and the
 * checksum. Throws `corrupt isolation forest package: <reason>` on any problem.
 * @example
 * const copy = loadIsolationForest(JSON.parse(JSON.stringify(model.toJSON())));
 */
export function loadIsolationForest(pkg: unknown): IsolationForestModel {
  const r = createPackageReader(pkg, 'isolation forest');
  if (r.string('format') !== ISOLATION_FOREST_FORMAT) r.fail(`format is not ${ISOLATION_FOREST_FORMAT}`);
  const version = r.int('version', 0);
  if (version !== ISOLATION_FOREST_VERSION) r.fail(`unsupported version ${version}`);
  const features = r.int('features', 1);
  const sampleSize = r.int('sampleSize', 1);
  const maxDepth = r.int('maxDepth', 0, 64);
  const trees = r.int('trees', 1);
  const nodes = r.int('nodes', trees);
  const featureNames = r.stringsOrUndefined('featureNames', features);
  const roots = r.int32('roots', trees);
  const feature = r.int32('feature', nodes);
  const left = r.int32('left', nodes);
  const value = r.float64('value', nodes);
  const thresholds = readThresholds(r);
  const sum = forestChecksum(
    {
      features,
      sampleSize,
      maxDepth,
      trees,
      nodes,
      roots: r.string('roots'),
      feature: r.string('feature'),
      left: r.string('left'),
      value: r.string('value'),
      thresholds: writeThresholds(thresholds),
    },
    featureNames,
  );
  if (r.int('checksum', 0, 0xffffffff) !== sum)
    r.fail('checksum mismatch (package was altered or truncated)');
  for (let t = 0; t < trees; t++) {
    const root = roots[t]!;
    if (root < 0 || root >= nodes) r.fail(`tree ${t} has root ${root} outside the ${nodes} nodes`);
  }
  // Children come after their parent, so one pass in index order sees every depth before use.
  // A node reachable from two parents keeps the deeper of the two depths.
  const depth = new Int32Array(nodes);
  for (let i = 0; i < nodes; i++) {
    const ft = feature[i]!;
    if (!Number.isFinite(value[i]!)) r.fail(`node ${i} has a non-finite value`);
    if (ft === -1) continue;
    if (ft < -1 || ft >= features) r.fail(`node ${i} splits on feature ${ft} of ${features}`);
    const l = left[i]!;
    if (l <= i || l + 1 >= nodes) r.fail(`node ${i} has children ${l}, ${l + 1} out of order or range`);
    const dc = depth[i]! + 1;
    if (dc > maxDepth) r.fail(`node ${l} is deeper than maxDepth ${maxDepth}`);
    if (dc > depth[l]!) depth[l] = dc;
    if (dc > depth[l + 1]!) depth[l + 1] = dc;
  }
  return createModel({
    features,
    featureNames,
    sampleSize,
    maxDepth,
    roots,
    feature,
    left,
    value,
    thresholds,
  });
}
