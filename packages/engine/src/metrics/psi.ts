/**
 * Population stability index: how far a live ("actual") sample of a score or feature has
 * drifted from a reference ("expected") sample, usually the training data:
 *   PSI = Σ_bins (a_i − e_i) · ln(a_i / e_i)
 * over bins defined on the expected sample (quantile bins by default, so each holds about the
 * same share of it), with e_i, a_i the fractions of each sample in bin i. An empty bin's fraction
 * is replaced by `epsilon` so the sum stays finite. Bin i covers (edge_{i−1}, edge_i].
 * Common reading: < 0.1 stable, 0.1–0.25 moderate shift, > 0.25 significant shift.
 */
import { assertNever } from '../util/assert-never.js';

/** How bin edges are placed on the expected sample. */
export const PSI_BINNINGS = ['quantile', 'uniform'] as const;
export type PsiBinning = (typeof PSI_BINNINGS)[number];

/** Drift levels of {@link psiLevel}. */
export const PSI_LEVELS = ['stable', 'moderate', 'significant'] as const;
export type PsiLevel = (typeof PSI_LEVELS)[number];

/** Options of {@link populationStabilityIndex}. */
export interface PsiOptions {
  /** Number of bins (default 10; fewer if quantile edges coincide). */
  readonly bins?: number;
  /** 'quantile' (default: equal shares of the expected sample) or 'uniform' (equal widths). */
  readonly binning?: PsiBinning;
  /** Fraction used for an empty bin (default 1e-4). */
  readonly epsilon?: number;
}

/** PSI with its bins. */
export interface PsiReport {
  readonly psi: number;
  /** Inner bin edges, ascending (bins = edges + 1). */
  readonly edges: Float64Array;
  /** Fraction of the expected sample per bin. */
  readonly expected: Float64Array;
  /** Fraction of the actual sample per bin. */
  readonly actual: Float64Array;
}

function finiteSorted(x: ArrayLike<number>, what: string): Float64Array {
  if (x.length === 0) throw new Error(`populationStabilityIndex: the ${what} sample is empty`);
  const s = Float64Array.from(x);
  for (let i = 0; i < s.length; i++) {
    if (!Number.isFinite(s[i]!))
      throw new Error(`populationStabilityIndex: ${what} value ${i} is not finite`);
  }
  return s.sort();
}

function quantile(sorted: Float64Array, q: number): number {
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

function proportions(sorted: Float64Array, edges: Float64Array, epsilon: number): Float64Array {
  const out = new Float64Array(edges.length + 1);
  let b = 0;
  for (let i = 0; i < sorted.length; i++) {
    while (b < edges.length && sorted[i]! > edges[b]!) b++;
    out[b]!++;
  }
  for (let i = 0; i < out.length; i++) out[i] = out[i]! === 0 ? epsilon : out[i]! / sorted.length;
  return out;
}

/**
 * PSI of `actual` against `expected` with the bins and fractions (see the module comment).
 * @example psiReport([1, 2, 3, 4], [3, 4, 4, 4], { bins: 2 }).psi;
 */
export function psiReport(
  expected: ArrayLike<number>,
  actual: ArrayLike<number>,
  opts: PsiOptions = {},
): PsiReport {
  const bins = opts.bins ?? 10;
  const epsilon = opts.epsilon ?? 1e-4;
  if (!Number.isInteger(bins) || bins < 2)
    throw new Error(`populationStabilityIndex: bins must be >= 2, got ${bins}`);
  if (!(epsilon > 0 && epsilon < 1)) throw new Error('populationStabilityIndex: epsilon must be in (0, 1)');
  const e = finiteSorted(expected, 'expected');
  const a = finiteSorted(actual, 'actual');
  const raw: number[] = [];
  const binning = opts.binning ?? 'quantile';
  switch (binning) {
    case 'quantile':
      for (let i = 1; i < bins; i++) raw.push(quantile(e, i / bins));
      break;
    case 'uniform': {
      const lo = e[0]!;
      const hi = e[e.length - 1]!;
      for (let i = 1; i < bins; i++) raw.push(lo + ((hi - lo) * i) / bins);
      break;
    }
    default:
      return assertNever(binning);
  }
  const edges = Float64Array.from(raw.filter((v, i) => i === 0 || v > raw[i - 1]!));
  const pe = proportions(e, edges, epsilon);
  const pa = proportions(a, edges, epsilon);
  let psi = 0;
  for (let i = 0; i < pe.length; i++) psi += (pa[i]! - pe[i]!) * Math.log(pa[i]! / pe[i]!);
  return { psi, edges, expected: pe, actual: pa };
}

/**
 * Population stability index of `actual` against `expected` (see the module comment).
 * @example populationStabilityIndex(trainingScores, liveScores); // e.g. 0.03: stable
 */
export function populationStabilityIndex(
  expected: ArrayLike<number>,
  actual: ArrayLike<number>,
  opts: PsiOptions = {},
): number {
  return psiReport(expected, actual, opts).psi;
}

/**
 * Conventional reading of a PSI value: < 0.1 stable, < 0.25 moderate, else significant.
 * @example psiLevel(0.3); // 'significant'
 */
export function psiLevel(psi: number): PsiLevel {
  if (psi < 0.1) return 'stable';
  if (psi < 0.25) return 'moderate';
  return 'significant';
}
