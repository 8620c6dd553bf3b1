import type { Facets } from '../detectors/detector.js';
import { SIGNAL_CATEGORIES } from '../detectors/signal.js';
import type { Signal, SignalCategory } from '../detectors/signal.js';
import type { CombinationConfig } from '../config/policy-config.js';
import { assertNever } from '../util/assert-never.js';
import type { ModelScore } from './decision.js';

/** The oracle's five analyzer families, in the order of its ensemble formula. */
export const ANALYZER_CATEGORIES = ['velocity', 'amount', 'pattern', 'graph', 'timing'] as const;
export type AnalyzerCategory = (typeof ANALYZER_CATEGORIES)[number];

const N = SIGNAL_CATEGORIES.length;
const INDEX = Object.fromEntries(SIGNAL_CATEGORIES.map((c, i) => [c, i])) as Record<SignalCategory, number>;
const MODEL = INDEX.model;

// The decision stage runs synchronously, one event at a time: scratch buffers are reused.
const best = new Float64Array(N);
const evaluated = new Uint8Array(N);

function unit(x: number): number {
  // NaN fails both comparisons and becomes 0: a broken score never raises or lowers risk.
  return x > 0 ? (x < 1 ? x : 1) : 0;
}

/**
 * Per family, the strongest evidence: the maximum signal score, the analyzer facet (0..100 → 0..1)
 * and, for `model`, the maximum live model score. Families with no evidence are not evaluated.
 */
function collect(
  signals: readonly Signal[],
  models: readonly ModelScore[],
  analyzers: Facets['analyzers'] | undefined,
): void {
  best.fill(0);
  evaluated.fill(0);
  for (const s of signals) {
    const i = INDEX[s.category];
    const v = unit(s.score);
    evaluated[i] = 1;
    if (v > (best[i] ?? 0)) best[i] = v;
  }
  for (const m of models) {
    if (!m.live) continue;
    const v = unit(m.score);
    evaluated[MODEL] = 1;
    if (v > (best[MODEL] ?? 0)) best[MODEL] = v;
  }
  if (analyzers !== undefined) {
    for (const c of ANALYZER_CATEGORIES) {
      const a = analyzers[c];
      if (a === undefined) continue;
      const i = INDEX[c];
      const v = unit(a / 100);
      evaluated[i] = 1;
      if (v > (best[i] ?? 0)) best[i] = v;
    }
  }
}

/** The weighted ensemble over the evaluated families with a positive weight, or 0 when there are none. */
function ensemble(weights: Readonly<Record<SignalCategory, number>>): number {
  let num = 0;
  let den = 0;
  let i = 0;
  for (const c of SIGNAL_CATEGORIES) {
    const w = weights[c];
    if (evaluated[i] === 1 && w > 0) {
      num += w * (best[i] ?? 0);
      den += w;
    }
    i++;
  }
  return den > 0 ? num / den : 0;
}

/** Noisy-OR over the families outside the weighted ensemble (weight 0). */
function othersNoisyOr(weights: Readonly<Record<SignalCategory, number>>): number {
  let p = 1;
  let i = 0;
  for (const c of SIGNAL_CATEGORIES) {
    if (!(weights[c] > 0)) p *= 1 - (best[i] ?? 0);
    i++;
  }
  return 1 - p;
}

/**
 * The oracle's weighted ensemble over its analyzer scores (0..100): with the default weights,
 * velocity·0.25 + amount·0.25 + pattern·0.20 + graph·0.20 + timing·0.10, normalised over the
 * analyzers that ran. 0..1; 0 when none ran.
 * @example analyzerEnsemble({ velocity: 90, amount: 70, pattern: 40, graph: 20, timing: 10 }, DEFAULT_POLICY_CONFIG); // 0.53
 */
export function analyzerEnsemble(
  analyzers: Facets['analyzers'] | undefined,
  config: { readonly combination: CombinationConfig },
): number {
  if (analyzers === undefined) return 0;
  let num = 0;
  let den = 0;
  for (const c of ANALYZER_CATEGORIES) {
    const a = analyzers[c];
    const w = config.combination.weights[c];
    if (a === undefined || !(w > 0)) continue;
    num += w * unit(a / 100);
    den += w;
  }
  return den > 0 ? num / den : 0;
}

/**
 * Combines the evidence of one event into a risk 0..1. First, per signal family (category), the
 * strongest evidence is taken: the maximum signal score, the analyzer facet score / 100 for the five
 * analyzer families, and the maximum live model score for `model` (shadow models never count). Taking
 * the maximum per family first means one detector repeating itself does not compound. Then:
 *
 * - `max`: the largest family score.
 * - `noisy_or`: 1 − Π (1 − family score), the chance that at least one independent family is right.
 * - `weighted`: families with a positive weight form an ensemble Σ wᵢ·sᵢ / Σ wᵢ over the families
 *   that were evaluated (had a signal or an analyzer score, even 0). With the default weights that is
 *   exactly the oracle's overall = velocity·0.25 + amount·0.25 + pattern·0.20 + graph·0.20 +
 *   timing·0.10. Families with weight 0 (identity, behavior, reputation, list, report, rule, model by
 *   default) are outside the ensemble so a strong finding is not diluted by quiet analyzers: they
 *   combine by noisy-OR and the risk is max(ensemble, noisyOR(others)).
 *
 * @example
 * combine([sig('velocity', 0.9), sig('identity', 0.5)], [], { combination: { method: 'noisy_or', weights } }); // 0.95
 */
export function combine(
  signals: readonly Signal[],
  models: readonly ModelScore[],
  config: { readonly combination: CombinationConfig },
  analyzers?: Facets['analyzers'],
): number {
  collect(signals, models, analyzers);
  const { method, weights } = config.combination;
  switch (method) {
    case 'max': {
      let m = 0;
      for (let i = 0; i < N; i++) if ((best[i] ?? 0) > m) m = best[i] ?? 0;
      return m;
    }
    case 'noisy_or': {
      let p = 1;
      for (let i = 0; i < N; i++) p *= 1 - (best[i] ?? 0);
      return unit(1 - p);
    }
    case 'weighted': {
      const e = ensemble(weights);
      const o = othersNoisyOr(weights);
      return unit(e > o ? e : o);
    }
    default:
      return assertNever(method);
  }
}
