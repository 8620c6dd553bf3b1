/**
 * The flat inference layout shared by every tree model (Vigil's gradient boosting, random
 * forest and imported XGBoost models): all nodes of all trees in parallel typed arrays, the two
 * children of a node always adjacent (right = left + 1), so scoring a row is one tight loop with no
 * allocation:
 *
 *   node = roots[t]; while (feature[node] >= 0) node = left[node] + (x < threshold ? 0 : x >= threshold ? 1 : missing ? ...)
 *
 * A node goes left when `x < threshold` (XGBoost's convention) and a missing value (NaN) follows
 * the node's learned default direction. Leaves keep their value in `threshold`. The score is
 * `base + Σ leaf values`, then the model's output transform (sigmoid for boosting, identity for
 * a forest whose leaves are pre-divided by the number of trees).
 *
 * Exact per-prediction contributions use TreeSHAP (Lundberg, Erion & Lee, "Consistent
 * Individualized Feature Attribution for Tree Ensembles", 2018, Algorithm 2, path-dependent):
 * φ_i over the features plus the expected value sum to the raw score. Node covers (training
 * hessian or weight per node) define the expectation.
 */
import { toDenseMatrix, type MatrixInput } from '../matrix.js';
import {
  base64ToBytes,
  bytesToBase64,
  checksumString,
  encodeFloat64,
  encodeInt32,
  type PackageReader,
} from '../model-package.js';

/** How the summed score becomes the model's output. */
export const OUTPUT_TRANSFORMS = ['sigmoid', 'identity'] as const;
/** An output transform. */
export type OutputTransform = (typeof OUTPUT_TRANSFORMS)[number];

/** All trees of a model in flat arrays (see the module comment). */
export interface TreeEnsemble {
  readonly features: number;
  /** First node of each tree; tree t owns nodes roots[t] .. roots[t+1]-1. */
  readonly roots: Int32Array;
  /** Split feature, -1 for a leaf. */
  readonly feature: Int32Array;
  /** Split threshold (left when x < threshold), or the leaf value. */
  readonly threshold: Float64Array;
  /** Left child (the right child is left + 1); -1 for a leaf. */
  readonly left: Int32Array;
  /** 1 when a missing value goes left. */
  readonly defaultLeft: Uint8Array;
  /** Training weight (sum of hessians or sample weights) that reached the node; 0 when unknown. */
  readonly cover: Float64Array;
  /** Added to the sum of leaf values. */
  readonly base: number;
  /** Compare features as float32 (models imported from XGBoost, which stores float32). */
  readonly float32: boolean;
  /** Depth of the deepest leaf. */
  readonly maxDepth: number;
}

/** One tree in any node order, node 0 the root; leaves have feature -1 and their value in `value`. */
export interface TreeNodes {
  readonly feature: ArrayLike<number>;
  readonly threshold: ArrayLike<number>;
  readonly left: ArrayLike<number>;
  readonly right: ArrayLike<number>;
  readonly defaultLeft: ArrayLike<boolean | number>;
  readonly value: ArrayLike<number>;
  readonly cover: ArrayLike<number>;
}

/**
 * Lays trees out in the flat format (breadth-first per tree, siblings adjacent). Throws on a
 * malformed tree (child out of range, a node reached twice, a cycle).
 * @example
 * const e = buildEnsemble(3, [{ feature: [0, -1, -1], threshold: [0.5, 0, 0], left: [1, -1, -1],
 *   right: [2, -1, -1], defaultLeft: [1, 0, 0], value: [0, -1, 1], cover: [2, 1, 1] }], 0, false);
 */
export function buildEnsemble(
  features: number,
  trees: readonly TreeNodes[],
  base: number,
  float32: boolean,
): TreeEnsemble {
  let total = 0;
  for (const t of trees) total += t.feature.length;
  const roots = new Int32Array(trees.length);
  const feature = new Int32Array(total);
  const threshold = new Float64Array(total);
  const left = new Int32Array(total);
  const defaultLeft = new Uint8Array(total);
  const cover = new Float64Array(total);
  let at = 0;
  let maxDepth = 0;
  for (let t = 0; t < trees.length; t++) {
    const tr = trees[t]!;
    const n = tr.feature.length;
    if (n === 0) throw new Error(`tree ${t} has no nodes`);
    roots[t] = at;
    const seen = new Uint8Array(n);
    // Breadth-first: queue of source node ids; slot[k] is where queue[k] goes.
    const queue = new Int32Array(n);
    const depth = new Int32Array(n);
    let head = 0;
    let tail = 0;
    queue[tail++] = 0;
    seen[0] = 1;
    let next = at + 1;
    while (head < tail) {
      const src = queue[head]!;
      const dst = at + head;
      const d = depth[head]!;
      head++;
      const f = tr.feature[src]!;
      if (f < 0) {
        feature[dst] = -1;
        threshold[dst] = tr.value[src]!;
        left[dst] = -1;
        cover[dst] = tr.cover[src]!;
        if (d > maxDepth) maxDepth = d;
        continue;
      }
      if (!Number.isInteger(f) || f >= features)
        throw new Error(`tree ${t} node ${src} splits on feature ${f} of ${features}`);
      const l = tr.left[src]!;
      const r = tr.right[src]!;
      for (const c of [l, r]) {
        if (!Number.isInteger(c) || c <= 0 || c >= n)
          throw new Error(`tree ${t} node ${src} has child ${c} outside the tree`);
        if (seen[c] === 1) throw new Error(`tree ${t} node ${c} is reached twice`);
        seen[c] = 1;
        depth[tail] = d + 1;
        queue[tail++] = c;
      }
      feature[dst] = f;
      threshold[dst] = tr.threshold[src]!;
      left[dst] = next;
      next += 2;
      defaultLeft[dst] = tr.defaultLeft[src] ? 1 : 0;
      cover[dst] = tr.cover[src]!;
    }
    if (tail !== n) throw new Error(`tree ${t} has ${n - tail} nodes not reachable from its root`);
    at += n;
  }
  return { features, roots, feature, threshold, left, defaultLeft, cover, base, float32, maxDepth };
}

/**
 * The summed score of one row over the first `treeLimit` trees (default all): base + Σ leaves.
 * @example scoreTreeEnsemble(e, [0.2, 1.5, 0]);
 */
export function scoreTreeEnsemble(
  e: TreeEnsemble,
  row: ArrayLike<number>,
  treeLimit = e.roots.length,
): number {
  const { roots, feature, threshold, left, defaultLeft } = e;
  let s = e.base;
  if (e.float32) {
    for (let t = 0; t < treeLimit; t++) {
      let i = roots[t]!;
      let f: number;
      while ((f = feature[i]!) >= 0) {
        const v = Math.fround(row[f]!);
        const thr = threshold[i]!;
        i = left[i]! + (v < thr ? 0 : v >= thr ? 1 : 1 - defaultLeft[i]!);
      }
      s += threshold[i]!;
    }
    return s;
  }
  for (let t = 0; t < treeLimit; t++) {
    let i = roots[t]!;
    let f: number;
    while ((f = feature[i]!) >= 0) {
      const v = row[f]!;
      const thr = threshold[i]!;
      i = left[i]! + (v < thr ? 0 : v >= thr ? 1 : 1 - defaultLeft[i]!);
    }
    s += threshold[i]!;
  }
  return s;
}

/**
 * Leaf reached by a row in tree t (node index in the flat arrays).
 * @example treeEnsembleLeaf(e, 0, row);
 */
export function treeEnsembleLeaf(e: TreeEnsemble, t: number, row: ArrayLike<number>): number {
  let i = e.roots[t]!;
  let f: number;
  while ((f = e.feature[i]!) >= 0) {
    const v = e.float32 ? Math.fround(row[f]!) : row[f]!;
    const thr = e.threshold[i]!;
    i = e.left[i]! + (v < thr ? 0 : v >= thr ? 1 : 1 - e.defaultLeft[i]!);
  }
  return i;
}

/**
 * Expected value of each tree under its covers (the TreeSHAP baseline): a leaf's value, else the
 * cover-weighted mean of its children. Throws if an internal node has no positive cover.
 * @example treeExpectations(e); // Float64Array, one per tree
 */
export function treeExpectations(e: TreeEnsemble): Float64Array {
  const out = new Float64Array(e.roots.length);
  for (let t = 0; t < e.roots.length; t++) out[t] = expectation(e, e.roots[t]!);
  return out;
}

function expectation(e: TreeEnsemble, i: number): number {
  if (e.feature[i]! < 0) return e.threshold[i]!;
  const w = e.cover[i]!;
  if (!(w > 0))
    throw new Error('the model has no node covers: contributions need the training cover of every node');
  const l = e.left[i]!;
  return (e.cover[l]! * expectation(e, l) + e.cover[l + 1]! * expectation(e, l + 1)) / w;
}

/** Scratch space of TreeSHAP for one ensemble (reused across calls). */
export interface ShapWorkspace {
  readonly fi: Int32Array;
  readonly zero: Float64Array;
  readonly one: Float64Array;
  readonly pw: Float64Array;
  readonly expectations: Float64Array;
  readonly expected: number;
}

/**
 * Allocates TreeSHAP scratch space and the expected values of an ensemble.
 * @example const ws = createShapWorkspace(e);
 */
export function createShapWorkspace(e: TreeEnsemble): ShapWorkspace {
  const maxd = e.maxDepth + 2;
  const size = ((maxd + 1) * (maxd + 2)) / 2 + 1;
  const expectations = treeExpectations(e);
  let expected = e.base;
  for (let t = 0; t < expectations.length; t++) expected += expectations[t]!;
  return {
    fi: new Int32Array(size),
    zero: new Float64Array(size),
    one: new Float64Array(size),
    pw: new Float64Array(size),
    expectations,
    expected,
  };
}

/**
 * TreeSHAP contributions of one row: `out[f]` for each feature and `out[features]` the expected
 * value, so that the entries sum to {@link scoreTreeEnsemble} (the raw score, before the output
 * transform).
 * @example
 * const phi = treeEnsembleContributions(e, row, createShapWorkspace(e));
 * phi.reduce((a, b) => a + b); // === scoreTreeEnsemble(e, row) (to rounding)
 */
export function treeEnsembleContributions(
  e: TreeEnsemble,
  row: ArrayLike<number>,
  ws: ShapWorkspace,
  out: Float64Array = new Float64Array(e.features + 1),
  treeLimit = e.roots.length,
): Float64Array {
  out.fill(0);
  let expected = e.base;
  for (let t = 0; t < treeLimit; t++) {
    expected += ws.expectations[t]!;
    recurse(e, row, out, ws, e.roots[t]!, 0, 0, 1, 1, -1);
  }
  out[e.features] = expected;
  return out;
}

function extendPath(ws: ShapWorkspace, off: number, d: number, z: number, o: number, f: number): void {
  const { fi, zero, one, pw } = ws;
  fi[off + d] = f;
  zero[off + d] = z;
  one[off + d] = o;
  pw[off + d] = d === 0 ? 1 : 0;
  for (let i = d - 1; i >= 0; i--) {
    pw[off + i + 1]! += (o * pw[off + i]! * (i + 1)) / (d + 1);
    pw[off + i] = (z * pw[off + i]! * (d - i)) / (d + 1);
  }
}

function unwindPath(ws: ShapWorkspace, off: number, d: number, pi: number): void {
  const { fi, zero, one, pw } = ws;
  const o = one[off + pi]!;
  const z = zero[off + pi]!;
  let next = pw[off + d]!;
  for (let i = d - 1; i >= 0; i--) {
    if (o !== 0) {
      const tmp = pw[off + i]!;
      pw[off + i] = (next * (d + 1)) / ((i + 1) * o);
      next = tmp - (pw[off + i]! * z * (d - i)) / (d + 1);
    } else {
      pw[off + i] = (pw[off + i]! * (d + 1)) / (z * (d - i));
    }
  }
  for (let i = pi; i < d; i++) {
    fi[off + i] = fi[off + i + 1]!;
    zero[off + i] = zero[off + i + 1]!;
    one[off + i] = one[off + i + 1]!;
  }
}

function unwoundPathSum(ws: ShapWorkspace, off: number, d: number, pi: number): number {
  const { zero, one, pw } = ws;
  const o = one[off + pi]!;
  const z = zero[off + pi]!;
  let next = pw[off + d]!;
  let total = 0;
  for (let i = d - 1; i >= 0; i--) {
    if (o !== 0) {
      const tmp = (next * (d + 1)) / ((i + 1) * o);
      total += tmp;
      next = pw[off + i]! - tmp * z * ((d - i) / (d + 1));
    } else if (z !== 0) {
      total += pw[off + i]! / z / ((d - i) / (d + 1));
    }
  }
  return total;
}

function recurse(
  e: TreeEnsemble,
  row: ArrayLike<number>,
  phi: Float64Array,
  ws: ShapWorkspace,
  node: number,
  depth: number,
  parentOff: number,
  pz: number,
  po: number,
  pf: number,
): void {
  // This node's path lives right after its parent's (which has depth + 1 elements).
  const off = parentOff + depth + 1;
  if (depth > 0 || parentOff > 0) {
    ws.fi.copyWithin(off, parentOff, parentOff + depth + 1);
    ws.zero.copyWithin(off, parentOff, parentOff + depth + 1);
    ws.one.copyWithin(off, parentOff, parentOff + depth + 1);
    ws.pw.copyWithin(off, parentOff, parentOff + depth + 1);
  }
  extendPath(ws, off, depth, pz, po, pf);
  const f = e.feature[node]!;
  if (f < 0) {
    const value = e.threshold[node]!;
    for (let i = 1; i <= depth; i++) {
      const w = unwoundPathSum(ws, off, depth, i);
      phi[ws.fi[off + i]!]! += w * (ws.one[off + i]! - ws.zero[off + i]!) * value;
    }
    return;
  }
  const l = e.left[node]!;
  const v = e.float32 ? Math.fround(row[f]!) : row[f]!;
  const thr = e.threshold[node]!;
  const hot = l + (v < thr ? 0 : v >= thr ? 1 : 1 - e.defaultLeft[node]!);
  const cold = hot === l ? l + 1 : l;
  const w = e.cover[node]!;
  const hz = e.cover[hot]! / w;
  const cz = e.cover[cold]! / w;
  let iz = 1;
  let io = 1;
  let d = depth;
  let pi = 0;
  for (; pi <= d; pi++) if (ws.fi[off + pi] === f) break;
  if (pi !== d + 1) {
    iz = ws.zero[off + pi]!;
    io = ws.one[off + pi]!;
    unwindPath(ws, off, d, pi);
    d -= 1;
  }
  recurse(e, row, phi, ws, hot, d + 1, off, hz * iz, io, f);
  recurse(e, row, phi, ws, cold, d + 1, off, cz * iz, 0, f);
}

/** Logistic function. @example sigmoid(0); // 0.5 */
export function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/** Output of a summed score under a transform. @example applyOutput('sigmoid', 0); // 0.5 */
export function applyOutput(t: OutputTransform, s: number): number {
  return t === 'sigmoid' ? 1 / (1 + Math.exp(-s)) : s;
}

/** What every tree model offers for scoring and explanation. */
export interface TreeModel {
  readonly features: number;
  readonly featureNames?: readonly string[];
  readonly trees: number;
  readonly output: OutputTransform;
  readonly ensemble: TreeEnsemble;
  /** The raw score of a row (log-odds for boosting, probability for a forest). NaN features follow default directions. */
  score(row: ArrayLike<number>): number;
  /** Probability of the positive class (fraud). */
  predict(row: ArrayLike<number>): number;
  /** Probabilities of every row of a matrix. */
  predictBatch(x: MatrixInput): Float64Array;
  /**
   * Exact TreeSHAP contributions in raw-score space: one per feature, then the expected value;
   * they sum to `score(row)`.
   */
  contributions(row: ArrayLike<number>): Float64Array;
}

/**
 * Wraps an ensemble with the scoring and explanation API.
 * @example const m = createTreeModel(e, 'sigmoid'); m.predict(row);
 */
export function createTreeModel(
  e: TreeEnsemble,
  output: OutputTransform,
  featureNames?: readonly string[],
): TreeModel {
  const cols = e.features;
  let shap: ShapWorkspace | undefined;
  const check = (row: ArrayLike<number>): void => {
    if (row.length !== cols) throw new Error(`row has ${row.length} values, the model expects ${cols}`);
  };
  const sig = output === 'sigmoid';
  const model: TreeModel = {
    features: cols,
    trees: e.roots.length,
    output,
    ensemble: e,
    score(row) {
      check(row);
      return scoreTreeEnsemble(e, row);
    },
    predict(row) {
      check(row);
      const s = scoreTreeEnsemble(e, row);
      return sig ? 1 / (1 + Math.exp(-s)) : s;
    },
    predictBatch(x) {
      const m = toDenseMatrix(x, cols, 'scoring data', false);
      const out = new Float64Array(m.rows);
      for (let r = 0; r < m.rows; r++) {
        const s = scoreTreeEnsemble(e, m.data.subarray(r * cols, (r + 1) * cols));
        out[r] = sig ? 1 / (1 + Math.exp(-s)) : s;
      }
      return out;
    },
    contributions(row) {
      check(row);
      shap ??= createShapWorkspace(e);
      return treeEnsembleContributions(e, row, shap);
    },
  };
  return featureNames === undefined ? model : { ...model, featureNames };
}

/** The ensemble fields of a saved tree model (typed arrays as little-endian base64). */
export interface EnsemblePackageFields {
  readonly features: number;
  readonly trees: number;
  readonly nodes: number;
  readonly base: number;
  readonly float32: boolean;
  readonly roots: string;
  readonly feature: string;
  readonly threshold: string;
  readonly left: string;
  readonly defaultLeft: string;
  readonly cover: string;
}

/**
 * The package fields of an ensemble.
 * @example const fields = encodeEnsemble(e);
 */
export function encodeEnsemble(e: TreeEnsemble): EnsemblePackageFields {
  return {
    features: e.features,
    trees: e.roots.length,
    nodes: e.feature.length,
    base: e.base,
    float32: e.float32,
    roots: encodeInt32(e.roots),
    feature: encodeInt32(e.feature),
    threshold: encodeFloat64(e.threshold),
    left: encodeInt32(e.left),
    defaultLeft: bytesToBase64(e.defaultLeft),
    cover: encodeFloat64(e.cover),
  };
}

/**
 * Checksum of an ensemble's package fields plus any extra text (names, parameters).
 * @example ensembleChecksum(encodeEnsemble(e), 'gbdt');
 */
export function ensembleChecksum(f: EnsemblePackageFields, extra: string): number {
  let h = checksumString(`${f.features}|${f.trees}|${f.nodes}|${f.base}|${f.float32}|${extra}`);
  for (const s of [f.roots, f.feature, f.threshold, f.left, f.defaultLeft, f.cover]) h = checksumString(s, h);
  return h;
}

/**
 * Reads and validates the ensemble fields of a package: sizes, base64 arrays, every tree a
 * proper binary tree inside its node range (children after their parent, each node reached
 * once, so scoring always ends), split features inside the row, non-NaN thresholds and finite
 * leaf values and covers. Failures go through the reader (`corrupt <what> package: ...`).
 * @example const e = decodeEnsemble(createPackageReader(pkg, 'gbdt'));
 */
export function decodeEnsemble(r: PackageReader): TreeEnsemble {
  const features = r.int('features', 1, 1 << 24);
  const trees = r.int('trees', 1, 1 << 24);
  const nodes = r.int('nodes', trees, 1 << 28);
  const base = r.number('base');
  const f32 = r.record['float32'];
  if (typeof f32 !== 'boolean') r.fail('float32 is not a boolean');
  const roots = r.int32('roots', trees);
  const feature = r.int32('feature', nodes);
  const threshold = r.float64('threshold', nodes);
  const left = r.int32('left', nodes);
  const cover = r.float64('cover', nodes);
  const dl = r.record['defaultLeft'];
  const defaultLeft = typeof dl === 'string' ? base64ToBytes(dl) : undefined;
  if (defaultLeft === undefined || defaultLeft.length !== nodes)
    r.fail('defaultLeft is not base64 of one byte per node');
  let maxDepth = 0;
  const depth = new Int32Array(nodes);
  const reached = new Uint8Array(nodes);
  for (let t = 0; t < trees; t++) {
    const start = roots[t]!;
    const end = t + 1 < trees ? roots[t + 1]! : nodes;
    if (start !== (t === 0 ? 0 : roots[t]!) || !(start < end) || end > nodes)
      r.fail(`tree ${t} has a bad node range`);
    if (t > 0 && start <= roots[t - 1]!) r.fail(`tree ${t} starts before tree ${t - 1}`);
    reached[start] = 1;
    depth[start] = 0;
    for (let i = start; i < end; i++) {
      if (reached[i] !== 1) r.fail(`node ${i} is not reached from its tree's root`);
      const f = feature[i]!;
      if (!Number.isFinite(cover[i]!) || cover[i]! < 0) r.fail(`node ${i} has a bad cover`);
      if (f < 0) {
        if (f !== -1 || left[i] !== -1) r.fail(`leaf ${i} is malformed`);
        if (!Number.isFinite(threshold[i]!)) r.fail(`leaf ${i} has a non-finite value`);
        if (depth[i]! > maxDepth) maxDepth = depth[i]!;
        continue;
      }
      if (f >= features) r.fail(`node ${i} splits on feature ${f} of ${features}`);
      if (Number.isNaN(threshold[i]!)) r.fail(`node ${i} has a NaN threshold`);
      if (defaultLeft[i]! > 1) r.fail(`node ${i} has a bad default direction`);
      const l = left[i]!;
      if (!(l > i) || l + 1 >= end) r.fail(`node ${i} has children outside its tree`);
      if (reached[l] === 1 || reached[l + 1] === 1) r.fail(`node ${l} is reached twice`);
      reached[l] = 1;
      reached[l + 1] = 1;
      depth[l] = depth[l + 1] = depth[i]! + 1;
    }
  }
  return { features, roots, feature, threshold, left, defaultLeft, cover, base, float32: f32, maxDepth };
}
