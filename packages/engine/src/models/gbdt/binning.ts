/**
 * Quantile binning of training features for histogram-based tree learning. Each feature gets at
 * most `maxBins` bins (default 255) cut at "edges" (midpoints between adjacent distinct training
 * values); a value v falls in bin b = (number of edges <= v), so `v < edges[b]` is exactly
 * `bin(v) <= b` and a split found on bins is a split on raw values with threshold `edges[b]`
 * (left when `x < threshold`). A missing value (NaN) of a feature with nb real bins gets the
 * code nb, right after them. Bins are stored column-major (`bins[f * rows + r]`) in one
 * Uint8Array (up to 255 bins, the default) or Uint16Array (more bins, for features whose fine
 * structure matters), so building a feature's histogram walks one column.
 */
import type { Random } from '../../ports/clock.js';

/** Default and most bins per feature that fit a Uint8Array bin matrix (codes 0..254, missing 255 at most). */
export const MAX_BINS = 255;
/** Most bins per feature with a Uint16Array bin matrix. */
export const MAX_BINS_WIDE = 65_535;

/** Bin edges of every feature. */
export interface FeatureBins {
  /** Per feature, ascending edges; the feature has `edges[f].length + 1` bins. */
  readonly edges: readonly Float64Array[];
}

/** A binned training matrix. */
export interface BinnedMatrix {
  readonly rows: number;
  readonly cols: number;
  /** Column-major bin codes: `bins[f * rows + r]`; code binCounts[f] means missing. */
  readonly bins: Uint8Array | Uint16Array;
  /** Real bins per feature (1 for a feature constant on the training rows). */
  readonly binCounts: Int32Array;
  /** Start of each feature's histogram slots (binCounts[f] + 1 slots, the missing one last). */
  readonly histOffsets: Int32Array;
  /** Total histogram slots. */
  readonly histSlots: number;
  readonly edges: readonly Float64Array[];
}

/** Options of {@link fitBins}. */
export interface BinningOptions {
  /** Most bins per feature, 2..65535 (default 255; above 255 the bin matrix is a Uint16Array). */
  readonly maxBins?: number;
  /** Per-feature bin limits overriding `maxBins` (LightGBM's max_bin_by_feature). */
  readonly maxBinsByFeature?: readonly number[];
  /** Rows sampled to place the edges when there are more (default 200,000). */
  readonly sampleRows?: number;
  /** Randomness for that sample. */
  readonly random?: Random;
}

/**
 * Places bin edges for every column of a row-major matrix (NaN ignored). With at most `maxBins`
 * distinct values every value gets its own bin; otherwise values are grouped greedily so bins
 * hold about equal numbers of rows, a heavy single value keeping a bin of its own.
 * @example
 * const bins = fitBins(Float64Array.of(1, 2, 3, 4), 4, 1); // edges[0]: [1.5, 2.5, 3.5]
 */
export function fitBins(
  data: Float64Array,
  rows: number,
  cols: number,
  options: BinningOptions = {},
): FeatureBins {
  const maxBins = options.maxBins ?? MAX_BINS;
  if (!Number.isInteger(maxBins) || maxBins < 2 || maxBins > MAX_BINS_WIDE) {
    throw new Error(`maxBins must be an integer in [2, ${MAX_BINS_WIDE}], got ${maxBins}`);
  }
  const byFeature = options.maxBinsByFeature;
  if (byFeature !== undefined) {
    if (byFeature.length !== cols)
      throw new Error(`maxBinsByFeature has ${byFeature.length} entries for ${cols} columns`);
    for (const b of byFeature) {
      if (!Number.isInteger(b) || b < 2 || b > MAX_BINS_WIDE)
        throw new Error(`maxBinsByFeature holds ${b}, not an integer in [2, ${MAX_BINS_WIDE}]`);
    }
  }
  const sampleRows = options.sampleRows ?? 200_000;
  let sample: Uint32Array | undefined;
  if (rows > sampleRows) {
    if (options.random === undefined) throw new Error('fitBins: sampling rows needs a random source');
    // Partial Fisher–Yates: a uniform sample without replacement, sorted for memory order.
    const all = new Uint32Array(rows);
    for (let i = 0; i < rows; i++) all[i] = i;
    for (let i = 0; i < sampleRows; i++) {
      const j = i + Math.floor(options.random.next() * (rows - i));
      const t = all[i]!;
      all[i] = all[j]!;
      all[j] = t;
    }
    sample = all.subarray(0, sampleRows).sort();
  }
  const m = sample === undefined ? rows : sample.length;
  const buf = new Float64Array(m);
  const edges: Float64Array[] = [];
  for (let f = 0; f < cols; f++) {
    let k = 0;
    for (let i = 0; i < m; i++) {
      const v = data[(sample === undefined ? i : sample[i]!) * cols + f]!;
      if (v === v) buf[k++] = v;
    }
    edges.push(edgesOfSorted(buf.subarray(0, k).sort(), byFeature?.[f] ?? maxBins));
  }
  return { edges };
}

function edgesOfSorted(sorted: Float64Array, maxBins: number): Float64Array {
  const n = sorted.length;
  if (n === 0) return new Float64Array(0);
  // Distinct values and their counts.
  const values: number[] = [];
  const counts: number[] = [];
  for (let i = 0; i < n;) {
    const v = sorted[i]!;
    let j = i + 1;
    while (j < n && sorted[j] === v) j++;
    values.push(v);
    counts.push(j - i);
    i = j;
  }
  const d = values.length;
  const cuts: number[] = [];
  if (d <= maxBins) {
    for (let i = 0; i + 1 < d; i++) cuts.push(i);
  } else {
    let remaining = n;
    let binsLeft = maxBins;
    let acc = 0;
    for (let i = 0; i + 1 < d && binsLeft > 1; i++) {
      acc += counts[i]!;
      const target = remaining / binsLeft;
      // Close the bin once it is full, or before a value that alone fills a bin.
      if (acc >= target || counts[i + 1]! >= target) {
        cuts.push(i);
        remaining -= acc;
        acc = 0;
        binsLeft--;
      }
    }
  }
  const out = new Float64Array(cuts.length);
  for (let k = 0; k < cuts.length; k++) {
    const i = cuts[k]!;
    const a = values[i]!;
    const b = values[i + 1]!;
    let mid = a / 2 + b / 2;
    // The edge must separate a (bin below) from b (bin above): a < edge <= b.
    if (!(mid > a)) mid = b;
    out[k] = mid;
  }
  return out;
}

/**
 * Bin code of one value: the number of edges <= v (binary search), or edges.length + 1 (the
 * missing code) for NaN.
 * @example binOf(Float64Array.of(1.5, 2.5), 2); // 1
 */
export function binOf(edges: Float64Array, v: number): number {
  if (v !== v) return edges.length + 1;
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (edges[mid]! <= v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Bins a row-major matrix with fitted edges into a column-major Uint8Array.
 * @example const m = binMatrix(x, rows, cols, fitBins(x, rows, cols));
 */
export function binMatrix(data: Float64Array, rows: number, cols: number, bins: FeatureBins): BinnedMatrix {
  if (bins.edges.length !== cols)
    throw new Error(`binMatrix: ${bins.edges.length} binned features for ${cols} columns`);
  let widest = 0;
  for (const e of bins.edges) widest = Math.max(widest, e.length + 1);
  if (widest > MAX_BINS_WIDE)
    throw new Error(`binMatrix: a feature has ${widest} bins, at most ${MAX_BINS_WIDE}`);
  const out = widest <= MAX_BINS ? new Uint8Array(rows * cols) : new Uint16Array(rows * cols);
  const binCounts = new Int32Array(cols);
  const histOffsets = new Int32Array(cols);
  let slots = 0;
  for (let f = 0; f < cols; f++) {
    const e = bins.edges[f]!;
    binCounts[f] = e.length + 1;
    histOffsets[f] = slots;
    slots += e.length + 2;
    const base = f * rows;
    for (let r = 0; r < rows; r++) out[base + r] = binOf(e, data[r * cols + f]!);
  }
  return { rows, cols, bins: out, binCounts, edges: bins.edges, histOffsets, histSlots: slots };
}
