/**
 * Grows one decision tree on a binned matrix from per-row statistics, the machinery shared by
 * gradient boosting and the random forest:
 *
 * - every node keeps a histogram of (g, h, count) per feature and bin; a split is found by one
 *   scan over the bins, trying the missing-value bin on each side (the better side becomes the
 *   node's default direction);
 * - only the smaller child's histogram is built from its rows; the larger one is the parent's
 *   minus the smaller (the histogram subtraction trick), so each level costs about half a pass;
 * - rows of a node are a contiguous range of one index array, split stably in place;
 * - growth is best-first (highest gain next) up to `maxLeaves`, which with no leaf limit grows
 *   the same tree as depth-wise growth.
 *
 * Criteria: 'newton' (boosting: g = gradient, h = hessian; gain ½[G_L²/(H_L+λ) + G_R²/(H_R+λ) −
 * G²/(H+λ)], leaf −G/(H+λ)); 'gini' and 'entropy' (forest: g = weight × label, h = weight; gain =
 * weighted impurity decrease, leaf = positive fraction g/h).
 */
import type { Random } from '../../ports/clock.js';
import { assertNever } from '../../util/assert-never.js';
import type { BinnedMatrix } from './binning.js';

/** Split criteria. */
export const SPLIT_CRITERIA = ['newton', 'gini', 'entropy'] as const;
/** A split criterion. */
export type SplitCriterion = (typeof SPLIT_CRITERIA)[number];

/** Parameters of {@link growTree}. */
export interface GrowParams {
  readonly criterion: SplitCriterion;
  readonly maxDepth: number;
  /** Most leaves (Infinity: no limit). */
  readonly maxLeaves: number;
  /** Least sum of h in a child. */
  readonly minChildWeight: number;
  /** Least rows in a child. */
  readonly minSamplesLeaf: number;
  /** Least rows in a node for it to be split (default 2). */
  readonly minSamplesSplit?: number;
  /** L2 regularisation λ of leaf values (newton only). */
  readonly lambda: number;
  /** Least gain for a split. */
  readonly minSplitGain: number;
  /** Multiplier of leaf values (the learning rate; 1 for forests). */
  readonly leafScale: number;
  /** Features usable in this tree (all when undefined). */
  readonly allowed?: Int32Array;
  /** Features drawn per node among the allowed ones (0: all of them). */
  readonly featuresPerNode: number;
  /**
   * Build a histogram per node for the drawn features only (no subtraction), sorting the rows
   * of small nodes instead: cheaper when few features are drawn per node and bins are many
   * (random forests). Default false (boosting: full histograms with subtraction).
   */
  readonly perNodeHistograms?: boolean;
  readonly random?: Random;
}

/** A grown tree in growth order (node 0 is the root). Leaves have feature -1. */
export interface GrownTree {
  readonly feature: number[];
  /** Split bin: rows with bin <= splitBin go left. */
  readonly splitBin: number[];
  readonly defaultLeft: boolean[];
  readonly left: number[];
  readonly right: number[];
  /** Leaf value (scaled by leafScale); internal nodes keep their would-be leaf value. */
  readonly value: number[];
  /** Sum of h in the node. */
  readonly cover: number[];
  /** Gain of the node's split (0 for leaves). */
  readonly gain: number[];
}

/** Buffers reused across trees of one training run. */
export interface GrowWorkspace {
  readonly tmp: Uint32Array;
  readonly pool: Float64Array[];
  readonly histSize: number;
  readonly order: Int32Array;
  /** Per-node mode: one feature's histogram, sort keys and bin groups. */
  readonly featureHist: Float64Array;
  readonly keys: Float64Array;
  readonly groupBin: Int32Array;
  readonly groupStats: Float64Array;
}

/**
 * Workspace for trees over `rows` rows and `cols` features.
 * @example const ws = createGrowWorkspace(binned);
 */
export function createGrowWorkspace(data: BinnedMatrix): GrowWorkspace {
  let widest = 1;
  for (let f = 0; f < data.cols; f++) widest = Math.max(widest, data.binCounts[f]! + 1);
  const groups = Math.min(widest, data.rows + 1);
  return {
    tmp: new Uint32Array(data.rows),
    pool: [],
    histSize: data.histSlots * 3,
    order: new Int32Array(data.cols),
    featureHist: new Float64Array(widest * 3),
    keys: new Float64Array(data.rows),
    groupBin: new Int32Array(groups),
    groupStats: new Float64Array(groups * 3),
  };
}

interface Pending {
  node: number;
  start: number;
  end: number;
  depth: number;
  g: number;
  h: number;
  c: number;
  hist: Float64Array;
  gain: number;
  feature: number;
  bin: number;
  defaultLeft: boolean;
  lg: number;
  lh: number;
  lc: number;
}

/**
 * Grows one tree over the rows `idx[0..count)` (reordered in place).
 * @example
 * const tree = growTree(binned, grad, hess, idx, n, params, createGrowWorkspace(binned));
 */
export function growTree(
  data: BinnedMatrix,
  grad: Float64Array,
  hess: Float64Array,
  idx: Uint32Array,
  count: number,
  p: GrowParams,
  ws: GrowWorkspace,
): GrownTree {
  const cols = data.cols;
  const allowed = p.allowed ?? Int32Array.from({ length: cols }, (_, i) => i);
  const tree: GrownTree = {
    feature: [],
    splitBin: [],
    defaultLeft: [],
    left: [],
    right: [],
    value: [],
    cover: [],
    gain: [],
  };
  const acquire = (): Float64Array => {
    const b = ws.pool.pop();
    if (b === undefined) return new Float64Array(ws.histSize);
    for (let k = 0; k < allowed.length; k++) {
      const f = allowed[k]!;
      b.fill(0, data.histOffsets[f]! * 3, (data.histOffsets[f]! + data.binCounts[f]! + 1) * 3);
    }
    return b;
  };
  const release = (b: Float64Array): void => {
    if (b.length > 0) ws.pool.push(b);
  };
  const perNode = p.perNodeHistograms === true;
  const addNode = (g: number, h: number): number => {
    const id = tree.feature.length;
    tree.feature.push(-1);
    tree.splitBin.push(0);
    tree.defaultLeft.push(true);
    tree.left.push(-1);
    tree.right.push(-1);
    tree.value.push(leafValue(p, g, h));
    tree.cover.push(h);
    tree.gain.push(0);
    return id;
  };

  let g0 = 0;
  let h0 = 0;
  for (let i = 0; i < count; i++) {
    const r = idx[i]!;
    g0 += grad[r]!;
    h0 += hess[r]!;
  }
  const root: Pending = newPending(addNode(g0, h0), 0, count, 0, g0, h0, count);
  const pending: Pending[] = [];
  if (canSplit(p, root)) {
    if (perNode) findSplitPerNode(data, grad, hess, idx, p, root, allowed, ws);
    else {
      root.hist = acquire();
      buildHistogram(data, grad, hess, idx, 0, count, allowed, root.hist);
      findSplit(data, p, root, allowed, ws.order);
    }
    pending.push(root);
  }
  let leaves = 1;
  const bestFirst = Number.isFinite(p.maxLeaves);
  while (pending.length > 0) {
    let k = pending.length - 1;
    if (bestFirst)
      for (let j = 0; j < pending.length - 1; j++) if (pending[j]!.gain > pending[k]!.gain) k = j;
    const nd = pending[k]!;
    pending[k] = pending[pending.length - 1]!;
    pending.pop();
    if (!(nd.gain > p.minSplitGain) || nd.feature < 0 || leaves >= p.maxLeaves) {
      release(nd.hist);
      continue;
    }
    const mid = partition(data, idx, nd, ws.tmp);
    const rg = nd.g - nd.lg;
    const rh = nd.h - nd.lh;
    const rc = nd.c - nd.lc;
    const L = newPending(addNode(nd.lg, nd.lh), nd.start, mid, nd.depth + 1, nd.lg, nd.lh, nd.lc);
    const R = newPending(addNode(rg, rh), mid, nd.end, nd.depth + 1, rg, rh, rc);
    tree.feature[nd.node] = nd.feature;
    tree.splitBin[nd.node] = nd.bin;
    tree.defaultLeft[nd.node] = nd.defaultLeft;
    tree.left[nd.node] = L.node;
    tree.right[nd.node] = R.node;
    tree.gain[nd.node] = nd.gain;
    leaves++;
    if (perNode) {
      for (const child of [L, R]) {
        if (!canSplit(p, child)) continue;
        findSplitPerNode(data, grad, hess, idx, p, child, allowed, ws);
        pending.push(child);
      }
      continue;
    }
    const splitL = canSplit(p, L);
    const splitR = canSplit(p, R);
    if (!splitL && !splitR) {
      release(nd.hist);
      continue;
    }
    const small = L.c <= R.c ? L : R;
    const large = small === L ? R : L;
    small.hist = acquire();
    buildHistogram(data, grad, hess, idx, small.start, small.end, allowed, small.hist);
    large.hist = nd.hist;
    subtractHistogram(data, large.hist, small.hist, allowed);
    for (const child of [L, R]) {
      if (canSplit(p, child)) {
        findSplit(data, p, child, allowed, ws.order);
        pending.push(child);
      } else release(child.hist);
    }
  }
  return tree;
}

const EMPTY = new Float64Array(0);

function newPending(
  node: number,
  start: number,
  end: number,
  depth: number,
  g: number,
  h: number,
  c: number,
): Pending {
  return {
    node,
    start,
    end,
    depth,
    g,
    h,
    c,
    hist: EMPTY,
    gain: 0,
    feature: -1,
    bin: 0,
    defaultLeft: true,
    lg: 0,
    lh: 0,
    lc: 0,
  };
}

function canSplit(p: GrowParams, n: Pending): boolean {
  return (
    n.depth < p.maxDepth &&
    n.c >= 2 * p.minSamplesLeaf &&
    n.c >= (p.minSamplesSplit ?? 2) &&
    n.h >= 2 * p.minChildWeight &&
    !isPure(p, n)
  );
}

function isPure(p: GrowParams, n: Pending): boolean {
  if (p.criterion === 'newton') return false;
  return n.g <= 1e-12 * n.h || n.h - n.g <= 1e-12 * n.h;
}

function leafValue(p: GrowParams, g: number, h: number): number {
  if (p.criterion === 'newton') return (-g / (h + p.lambda)) * p.leafScale;
  return h > 0 ? (g / h) * p.leafScale : 0;
}

/** The split score of a child or parent; a split's gain is score(L) + score(R) − score(P). */
function score(criterion: SplitCriterion, lambda: number, g: number, h: number): number {
  switch (criterion) {
    case 'newton':
      return (0.5 * g * g) / (h + lambda);
    case 'gini':
      // −(weighted Gini impurity) = −h·2p(1−p) with p = g/h.
      return h > 0 ? (-2 * g * (h - g)) / h : 0;
    case 'entropy': {
      if (h <= 0) return 0;
      const q = h - g;
      return (g > 0 ? g * Math.log(g / h) : 0) + (q > 0 ? q * Math.log(q / h) : 0);
    }
    default:
      return assertNever(criterion);
  }
}

function buildHistogram(
  data: BinnedMatrix,
  grad: Float64Array,
  hess: Float64Array,
  idx: Uint32Array,
  start: number,
  end: number,
  allowed: Int32Array,
  hist: Float64Array,
): void {
  const rows = data.rows;
  const bins = data.bins;
  for (let k = 0; k < allowed.length; k++) {
    const f = allowed[k]!;
    const off = f * rows;
    const base = data.histOffsets[f]! * 3;
    for (let i = start; i < end; i++) {
      const r = idx[i]!;
      const at = base + bins[off + r]! * 3;
      hist[at]! += grad[r]!;
      hist[at + 1]! += hess[r]!;
      hist[at + 2]! += 1;
    }
  }
}

function subtractHistogram(
  data: BinnedMatrix,
  target: Float64Array,
  small: Float64Array,
  allowed: Int32Array,
): void {
  for (let k = 0; k < allowed.length; k++) {
    const f = allowed[k]!;
    const base = data.histOffsets[f]! * 3;
    const end = base + (data.binCounts[f]! + 1) * 3;
    for (let j = base; j < end; j++) target[j]! -= small[j]!;
  }
}

function findSplit(
  data: BinnedMatrix,
  p: GrowParams,
  nd: Pending,
  allowed: Int32Array,
  order: Int32Array,
): void {
  const hist = nd.hist;
  const { criterion, lambda, minChildWeight, minSamplesLeaf } = p;
  const parent = score(criterion, lambda, nd.g, nd.h);
  const G = nd.g;
  const H = nd.h;
  const C = nd.c;
  let best = 0;
  const m = allowed.length;
  let limit = m;
  if (p.featuresPerNode > 0 && p.featuresPerNode < m && p.random !== undefined) {
    order.set(allowed);
    limit = p.featuresPerNode;
  }
  const sampling = limit < m;
  let visited = 0;
  for (let k = 0; k < m && visited < limit; k++) {
    let f: number;
    if (sampling) {
      // Draw the next feature without replacement (partial Fisher–Yates over `order`).
      const j = k + Math.floor(p.random!.next() * (m - k));
      f = order[j]!;
      order[j] = order[k]!;
      order[k] = f;
    } else f = allowed[k]!;
    const nb = data.binCounts[f]!;
    if (nb < 2) continue;
    const base = data.histOffsets[f]! * 3;
    const mAt = base + nb * 3;
    const gm = hist[mAt]!;
    const hm = hist[mAt + 1]!;
    const cm = hist[mAt + 2]!;
    // A feature constant in this node (one non-empty real bin, no missing) does not count
    // towards the features drawn, as in scikit-learn.
    let nonEmpty = 0;
    for (let b = 0; b < nb && nonEmpty < 2; b++) if (hist[base + b * 3 + 2]! > 0) nonEmpty++;
    if (nonEmpty + (cm > 0 ? 1 : 0) < 2) continue;
    visited++;
    let gl = 0;
    let hl = 0;
    let cl = 0;
    for (let b = 0; b < nb - 1; b++) {
      const at = base + b * 3;
      const cb = hist[at + 2]!;
      if (cb === 0) continue;
      gl += hist[at]!;
      hl += hist[at + 1]!;
      cl += cb;
      // Every non-missing row is left: the split "missing or not" is tried below, once.
      if (cl === C - cm) break;
      // Missing values to the right.
      let gr = G - gl;
      let hr = H - hl;
      let cr = C - cl;
      if (cl >= minSamplesLeaf && cr >= minSamplesLeaf && hl >= minChildWeight && hr >= minChildWeight) {
        const gain = score(criterion, lambda, gl, hl) + score(criterion, lambda, gr, hr) - parent;
        if (gain > best) {
          best = gain;
          nd.feature = f;
          nd.bin = b;
          // With no missing value in the node, unseen missing values follow the heavier side.
          nd.defaultLeft = cm > 0 ? false : hl >= hr;
          nd.lg = gl;
          nd.lh = hl;
          nd.lc = cl;
        }
      }
      if (cm > 0) {
        // Missing values to the left.
        const gl2 = gl + gm;
        const hl2 = hl + hm;
        const cl2 = cl + cm;
        gr = G - gl2;
        hr = H - hl2;
        cr = C - cl2;
        if (cl2 >= minSamplesLeaf && cr >= minSamplesLeaf && hl2 >= minChildWeight && hr >= minChildWeight) {
          const gain = score(criterion, lambda, gl2, hl2) + score(criterion, lambda, gr, hr) - parent;
          if (gain > best) {
            best = gain;
            nd.feature = f;
            nd.bin = b;
            nd.defaultLeft = true;
            nd.lg = gl2;
            nd.lh = hl2;
            nd.lc = cl2;
          }
        }
      }
    }
    // All non-missing rows left, missing rows right (a split on "is missing").
    if (cm > 0 && cm < C) {
      const glA = G - gm;
      const hlA = H - hm;
      const clA = C - cm;
      if (clA >= minSamplesLeaf && cm >= minSamplesLeaf && hlA >= minChildWeight && hm >= minChildWeight) {
        const gain = score(criterion, lambda, glA, hlA) + score(criterion, lambda, gm, hm) - parent;
        if (gain > best) {
          best = gain;
          nd.feature = f;
          nd.bin = nb - 1;
          nd.defaultLeft = false;
          nd.lg = glA;
          nd.lh = hlA;
          nd.lc = clA;
        }
      }
    }
  }
  nd.gain = best;
}

/** Sort keys pack (bin, position in node) into one double: bin × 2^22 + position. */
const KEY_SCALE = 4_194_304;

/**
 * Best split of a node over freshly drawn features, each from its own histogram: a dense one
 * for large nodes, or, for nodes with few rows relative to the feature's bins, the node's rows
 * sorted by bin. Same candidates, constraints and missing-value handling as {@link findSplit}.
 */
function findSplitPerNode(
  data: BinnedMatrix,
  grad: Float64Array,
  hess: Float64Array,
  idx: Uint32Array,
  p: GrowParams,
  nd: Pending,
  allowed: Int32Array,
  ws: GrowWorkspace,
): void {
  const { criterion, lambda, minChildWeight, minSamplesLeaf } = p;
  const parent = score(criterion, lambda, nd.g, nd.h);
  const G = nd.g;
  const H = nd.h;
  const C = nd.c;
  const rows = data.rows;
  const bins = data.bins;
  const count = nd.end - nd.start;
  const { order, featureHist, keys, groupBin, groupStats } = ws;
  const m = allowed.length;
  const limit =
    p.featuresPerNode > 0 && p.featuresPerNode < m && p.random !== undefined ? p.featuresPerNode : m;
  const sampling = limit < m;
  if (sampling) order.set(allowed);
  let best = 0;
  let visited = 0;
  for (let k = 0; k < m && visited < limit; k++) {
    let f: number;
    if (sampling) {
      const j = k + Math.floor(p.random!.next() * (m - k));
      f = order[j]!;
      order[j] = order[k]!;
      order[k] = f;
    } else f = allowed[k]!;
    const nb = data.binCounts[f]!;
    if (nb < 2) continue;
    const off = f * rows;
    // Non-empty real bins of the node in ascending order, as groups (bin, g, h, c).
    let groups = 0;
    let gm = 0;
    let hm = 0;
    let cm = 0;
    if (count * 4 >= nb || count >= KEY_SCALE) {
      featureHist.fill(0, 0, (nb + 1) * 3);
      for (let i = nd.start; i < nd.end; i++) {
        const r = idx[i]!;
        const at = bins[off + r]! * 3;
        featureHist[at]! += grad[r]!;
        featureHist[at + 1]! += hess[r]!;
        featureHist[at + 2]! += 1;
      }
      for (let b = 0; b < nb; b++) {
        const c = featureHist[b * 3 + 2]!;
        if (c === 0) continue;
        groupBin[groups] = b;
        groupStats[groups * 3] = featureHist[b * 3]!;
        groupStats[groups * 3 + 1] = featureHist[b * 3 + 1]!;
        groupStats[groups * 3 + 2] = c;
        groups++;
      }
      gm = featureHist[nb * 3]!;
      hm = featureHist[nb * 3 + 1]!;
      cm = featureHist[nb * 3 + 2]!;
    } else {
      for (let i = nd.start; i < nd.end; i++)
        keys[i - nd.start] = bins[off + idx[i]!]! * KEY_SCALE + (i - nd.start);
      const sorted = keys.subarray(0, count).sort();
      let prev = -1;
      for (let j = 0; j < count; j++) {
        const key = sorted[j]!;
        const b = Math.floor(key / KEY_SCALE);
        const r = idx[nd.start + (key - b * KEY_SCALE)]!;
        if (b >= nb) {
          gm += grad[r]!;
          hm += hess[r]!;
          cm += 1;
          continue;
        }
        if (b !== prev) {
          groupBin[groups] = b;
          groupStats[groups * 3] = 0;
          groupStats[groups * 3 + 1] = 0;
          groupStats[groups * 3 + 2] = 0;
          groups++;
          prev = b;
        }
        const at = (groups - 1) * 3;
        groupStats[at]! += grad[r]!;
        groupStats[at + 1]! += hess[r]!;
        groupStats[at + 2]! += 1;
      }
    }
    if (groups + (cm > 0 ? 1 : 0) < 2) continue; // constant in this node
    visited++;
    let gl = 0;
    let hl = 0;
    let cl = 0;
    for (let j = 0; j + 1 < groups; j++) {
      gl += groupStats[j * 3]!;
      hl += groupStats[j * 3 + 1]!;
      cl += groupStats[j * 3 + 2]!;
      const b = groupBin[j]!;
      let gr = G - gl;
      let hr = H - hl;
      let cr = C - cl;
      if (cl >= minSamplesLeaf && cr >= minSamplesLeaf && hl >= minChildWeight && hr >= minChildWeight) {
        const gain = score(criterion, lambda, gl, hl) + score(criterion, lambda, gr, hr) - parent;
        if (gain > best) {
          best = gain;
          nd.feature = f;
          nd.bin = b;
          nd.defaultLeft = cm > 0 ? false : hl >= hr;
          nd.lg = gl;
          nd.lh = hl;
          nd.lc = cl;
        }
      }
      if (cm > 0) {
        const gl2 = gl + gm;
        const hl2 = hl + hm;
        const cl2 = cl + cm;
        gr = G - gl2;
        hr = H - hl2;
        cr = C - cl2;
        if (cl2 >= minSamplesLeaf && cr >= minSamplesLeaf && hl2 >= minChildWeight && hr >= minChildWeight) {
          const gain = score(criterion, lambda, gl2, hl2) + score(criterion, lambda, gr, hr) - parent;
          if (gain > best) {
            best = gain;
            nd.feature = f;
            nd.bin = b;
            nd.defaultLeft = true;
            nd.lg = gl2;
            nd.lh = hl2;
            nd.lc = cl2;
          }
        }
      }
    }
    if (cm > 0 && cm < C) {
      const glA = G - gm;
      const hlA = H - hm;
      const clA = C - cm;
      if (clA >= minSamplesLeaf && cm >= minSamplesLeaf && hlA >= minChildWeight && hm >= minChildWeight) {
        const gain = score(criterion, lambda, glA, hlA) + score(criterion, lambda, gm, hm) - parent;
        if (gain > best) {
          best = gain;
          nd.feature = f;
          nd.bin = nb - 1;
          nd.defaultLeft = false;
          nd.lg = glA;
          nd.lh = hlA;
          nd.lc = clA;
        }
      }
    }
  }
  nd.gain = best;
}

function partition(data: BinnedMatrix, idx: Uint32Array, nd: Pending, tmp: Uint32Array): number {
  const bins = data.bins;
  const off = nd.feature * data.rows;
  const split = nd.bin;
  const dl = nd.defaultLeft;
  const missing = data.binCounts[nd.feature]!;
  let l = nd.start;
  let r = 0;
  for (let i = nd.start; i < nd.end; i++) {
    const row = idx[i]!;
    const b = bins[off + row]!;
    if (b === missing ? dl : b <= split) idx[l++] = row;
    else tmp[r++] = row;
  }
  idx.set(tmp.subarray(0, r), l);
  return l;
}
