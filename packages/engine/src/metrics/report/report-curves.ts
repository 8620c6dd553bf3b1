/**
 * The curves an evaluation report draws: the ROC curve, the step-wise precision–recall curve
 * (the one whose area is average precision) and per-class score histograms. Curves are computed
 * exactly over the distinct score thresholds, then thinned for drawing.
 */
import { checkScoresAndLabels } from '../ranking-metrics.js';

/** Points of a curve as parallel arrays (x ascending for ROC and PR). */
export interface CurvePoints {
  readonly x: Float64Array;
  readonly y: Float64Array;
}

function orderDescending(scores: ArrayLike<number>): Uint32Array {
  const n = scores.length;
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  const s = Float64Array.from(scores);
  order.sort((a, b) => s[b]! - s[a]! || a - b);
  return order;
}

/**
 * ROC curve: (false-positive rate, true-positive rate) at every distinct threshold, from (0, 0)
 * to (1, 1). Throws unless both classes are present.
 * @example rocCurve([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]).y; // Float64Array [0, 0.5, 0.5, 1, 1]
 */
export function rocCurve(scores: ArrayLike<number>, labels: ArrayLike<number>): CurvePoints {
  const pos = checkScoresAndLabels(scores, labels, 'rocCurve');
  const n = scores.length;
  const neg = n - pos;
  if (pos === 0 || neg === 0) throw new Error('rocCurve: needs both positive and negative labels');
  const order = orderDescending(scores);
  const xs: number[] = [0];
  const ys: number[] = [0];
  let tp = 0;
  let fp = 0;
  for (let i = 0; i < n;) {
    const s = scores[order[i]!]!;
    while (i < n && scores[order[i]!]! === s) {
      if (labels[order[i]!] === 1) tp++;
      else fp++;
      i++;
    }
    xs.push(fp / neg);
    ys.push(tp / pos);
  }
  return { x: Float64Array.from(xs), y: Float64Array.from(ys) };
}

/**
 * Precision–recall curve as the step function whose area is average precision: for each
 * distinct threshold (high to low) a horizontal step at that threshold's precision from the
 * previous recall to its recall. Points come in pairs (start and end of each step).
 * @example prCurve([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]).y; // Float64Array [1, 1, 0.5, 0.5, ...]
 */
export function prCurve(scores: ArrayLike<number>, labels: ArrayLike<number>): CurvePoints {
  const pos = checkScoresAndLabels(scores, labels, 'prCurve');
  if (pos === 0) throw new Error('prCurve: needs at least one positive label');
  const n = scores.length;
  const order = orderDescending(scores);
  const xs: number[] = [];
  const ys: number[] = [];
  let tp = 0;
  let seen = 0;
  let prevRecall = 0;
  for (let i = 0; i < n;) {
    const s = scores[order[i]!]!;
    while (i < n && scores[order[i]!]! === s) {
      tp += labels[order[i]!]!;
      seen++;
      i++;
    }
    const recall = tp / pos;
    const precision = tp / seen;
    xs.push(prevRecall, recall);
    ys.push(precision, precision);
    prevRecall = recall;
  }
  return { x: Float64Array.from(xs), y: Float64Array.from(ys) };
}

/**
 * Thins a curve for drawing: keeps the first and last points and every point at least
 * `minStep` (in the unit square) away from the last kept one, plus the point just before any
 * such jump so steps keep their corners. A 10,000-threshold curve becomes a few hundred points.
 * @example thinCurve(rocCurve(scores, labels), 0.002);
 */
export function thinCurve(c: CurvePoints, minStep = 0.002): CurvePoints {
  const n = c.x.length;
  if (n <= 2) return c;
  const xs: number[] = [c.x[0]!];
  const ys: number[] = [c.y[0]!];
  let lx = c.x[0]!;
  let ly = c.y[0]!;
  for (let i = 1; i < n - 1; i++) {
    const x = c.x[i]!;
    const y = c.y[i]!;
    if (Math.abs(x - lx) + Math.abs(y - ly) < minStep) continue;
    const px = c.x[i - 1]!;
    const py = c.y[i - 1]!;
    if ((px !== lx || py !== ly) && (px !== x || py !== y)) {
      xs.push(px);
      ys.push(py);
    }
    xs.push(x);
    ys.push(y);
    lx = x;
    ly = y;
  }
  xs.push(c.x[n - 1]!);
  ys.push(c.y[n - 1]!);
  return { x: Float64Array.from(xs), y: Float64Array.from(ys) };
}

/** Score histograms of the two classes over shared bins. */
export interface ClassHistograms {
  /** Bin edges, `bins + 1` ascending values. */
  readonly edges: Float64Array;
  /** Share of negative rows in each bin (sums to 1 when there are negatives). */
  readonly negative: Float64Array;
  /** Share of positive rows in each bin (sums to 1 when there are positives). */
  readonly positive: Float64Array;
  readonly negativeCount: number;
  readonly positiveCount: number;
}

/**
 * Per-class score histograms over `bins` equal-width bins spanning [lo, hi] (default: [0, 1]
 * when every score lies there, else the scores' range); shares are per class, so a rare class
 * stays visible next to a common one. Scores outside the range go to the end bins.
 * @example classHistograms([0.1, 0.9], [0, 1], 10).positive[9]; // 1
 */
export function classHistograms(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  bins = 30,
  range?: readonly [number, number],
): ClassHistograms {
  checkScoresAndLabels(scores, labels, 'classHistograms');
  if (!Number.isInteger(bins) || bins < 1)
    throw new Error(`classHistograms: bins must be a positive integer`);
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < scores.length; i++) {
    const s = scores[i]!;
    if (s < lo) lo = s;
    if (s > hi) hi = s;
  }
  if (range !== undefined) [lo, hi] = range;
  else if (scores.length === 0 || (lo >= 0 && hi <= 1)) [lo, hi] = [0, 1];
  if (!(hi > lo)) {
    lo -= 0.5;
    hi += 0.5;
  }
  const edges = new Float64Array(bins + 1);
  for (let b = 0; b <= bins; b++) edges[b] = lo + ((hi - lo) * b) / bins;
  const negative = new Float64Array(bins);
  const positive = new Float64Array(bins);
  let nNeg = 0;
  let nPos = 0;
  for (let i = 0; i < scores.length; i++) {
    let b = Math.floor(((scores[i]! - lo) / (hi - lo)) * bins);
    if (b < 0) b = 0;
    if (b >= bins) b = bins - 1;
    if (labels[i] === 1) {
      positive[b]!++;
      nPos++;
    } else {
      negative[b]!++;
      nNeg++;
    }
  }
  for (let b = 0; b < bins; b++) {
    if (nNeg > 0) negative[b]! /= nNeg;
    if (nPos > 0) positive[b]! /= nPos;
  }
  return { edges, negative, positive, negativeCount: nNeg, positiveCount: nPos };
}
