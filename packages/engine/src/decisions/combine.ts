import type { Facets } from '../detectors/detector.js';
import { SIGNAL_CATEGORIES } from '../detectors/signal.js';
import type { Signal, SignalCategory } from '../detectors/signal.js';
import type { CombinationConfig } from '../config/policy-config.js';
import { assertNever } from '../util/assert-never.js';
import type { ModelScore } from './decision.js';

/** The oracle's five analyzer families, in the order of its ensemble formula. @example ANALYZER_CATEGORIES[0]; // 'velocity' */
export const ANALYZER_CATEGORIES = ['velocity', 'amount', 'pattern', 'graph', 'timing'] as const;
export type AnalyzerCategory = (typeof ANALYZER_CATEGORIES)[number];

const N = SIGNAL_CATEGORIES.length;
const INDEX = new Map<string, number>(SIGNAL_CATEGORIES.map((c, i) => [c, i]));
const at = (c: SignalCategory): number => INDEX.get(c) ?? 0;
const MODEL = at('model');
const VELOCITY = at('velocity');
const AMOUNT = at('amount');
const PATTERN = at('pattern');
const GRAPH = at('graph');
const TIMING = at('timing');

function unit(x: number): number {
  // NaN fails both comparisons and becomes 0: a broken score never raises or lowers risk.
  return x > 0 ? (x < 1 ? x : 1) : 0;
}

/**
 * The combination compiled for one configuration (weights as an array). Its per-family scratch
 * is reused between calls: it is not reentrant, which the synchronous engine never needs.
 * @example const c: Combiner = createCombiner(DEFAULT_POLICY_CONFIG); c.risk([], []); // 0
 */
export interface Combiner {
  /** The risk 0..1 of one event's evidence (see {@link combine} for the maths). */
  risk(signals: readonly Signal[], models: readonly ModelScore[], analyzers?: Facets['analyzers']): number;
  /** After `risk`: how many families had evidence at or above `threshold` (0..1). */
  families(threshold: number): number;
}

/**
 * Compiles {@link combine} for a configuration, so the hot path reads weights from an array.
 * @example const c = createCombiner(DEFAULT_POLICY_CONFIG); c.risk(signals, [], facets.analyzers);
 */
export function createCombiner(config: { readonly combination: CombinationConfig }): Combiner {
  const method = config.combination.method;
  // Analyzer facets are the oracle ensemble's inputs: only the weighted method reads them.
  const liftAnalyzers = method === 'weighted';
  const weights = new Float64Array(N);
  SIGNAL_CATEGORIES.forEach((c, i) => {
    const w = config.combination.weights[c];
    weights[i] = w > 0 ? w : 0;
  });
  const best = new Float64Array(N);
  const evaluated = new Uint8Array(N);

  function lift(i: number, score: number | undefined): void {
    if (score === undefined) return;
    const v = unit(score / 100);
    evaluated[i] = 1;
    if (v > (best[i] ?? 0)) best[i] = v;
  }

  /**
   * Per family, the strongest evidence: the maximum signal score, for `model` the maximum live
   * model score and, in the weighted method only, the analyzer facet (0..100 → 0..1). Families
   * with no evidence are not evaluated.
   */
  function collect(
    signals: readonly Signal[],
    models: readonly ModelScore[],
    analyzers: Facets['analyzers'] | undefined,
  ): void {
    for (let i = 0; i < N; i++) {
      best[i] = 0;
      evaluated[i] = 0;
    }
    for (let k = 0; k < signals.length; k++) {
      const s = signals[k];
      if (s === undefined) continue;
      const i = INDEX.get(s.category) ?? 0;
      const v = unit(s.score);
      evaluated[i] = 1;
      if (v > (best[i] ?? 0)) best[i] = v;
    }
    for (let k = 0; k < models.length; k++) {
      const m = models[k];
      if (m === undefined || !m.live) continue;
      const v = unit(m.score);
      evaluated[MODEL] = 1;
      if (v > (best[MODEL] ?? 0)) best[MODEL] = v;
    }
    if (liftAnalyzers && analyzers !== undefined) {
      lift(VELOCITY, analyzers.velocity);
      lift(AMOUNT, analyzers.amount);
      lift(PATTERN, analyzers.pattern);
      lift(GRAPH, analyzers.graph);
      lift(TIMING, analyzers.timing);
    }
  }

  function risk(
    signals: readonly Signal[],
    models: readonly ModelScore[],
    analyzers?: Facets['analyzers'],
  ): number {
    collect(signals, models, analyzers);
    switch (method) {
      case 'max': {
        let m = 0;
        for (let i = 0; i < N; i++) {
          const v = best[i] ?? 0;
          if (v > m) m = v;
        }
        return m;
      }
      case 'noisy_or': {
        let p = 1;
        for (let i = 0; i < N; i++) p *= 1 - (best[i] ?? 0);
        return unit(1 - p);
      }
      case 'weighted': {
        let num = 0;
        let den = 0;
        let p = 1;
        for (let i = 0; i < N; i++) {
          const w = weights[i] ?? 0;
          const v = best[i] ?? 0;
          if (w === 0) p *= 1 - v;
          else if (evaluated[i] === 1) {
            num += w * v;
            den += w;
          }
        }
        const e = den > 0 ? num / den : 0;
        const o = 1 - p;
        return unit(e > o ? e : o);
      }
      default:
        return assertNever(method);
    }
  }

  function families(threshold: number): number {
    let n = 0;
    for (let i = 0; i < N; i++) if (evaluated[i] === 1 && (best[i] ?? 0) >= threshold) n++;
    return n;
  }

  return { risk, families };
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

const combiners = new WeakMap<CombinationConfig, Combiner>();

/**
 * Combines the evidence of one event into a risk 0..1. First, per signal family (category), the
 * strongest evidence is taken: the maximum signal score, the maximum live model score for `model`
 * (shadow models never count) and, in the `weighted` method only, the analyzer facet score / 100
 * for the five analyzer families (the oracle ensemble's inputs; every analyzer finding is also a
 * signal, so `noisy_or` and `max` see it through its signal). Taking the maximum per family first
 * means one detector repeating itself does not compound. Then:
 *
 * - `max`: the largest family score.
 * - `noisy_or` (Vigil's default, see docs/adr/0003-default-combination.md): 1 − Π (1 − family
 *   score), the chance that at least one independent family is right. A strong finding of any
 *   family (a structuring amount, a round trip, a sanctioned counterparty) stands on its own.
 * - `weighted`: families with a positive weight form an ensemble Σ wᵢ·sᵢ / Σ wᵢ over the families
 *   that were evaluated (had a signal or an analyzer score, even 0). With the default weights that is
 *   exactly the oracle's overall = velocity·0.25 + amount·0.25 + pattern·0.20 + graph·0.20 +
 *   timing·0.10. Families with weight 0 (identity, behavior, reputation, list, report, rule, model by
 *   default) are outside the ensemble so a strong finding is not diluted by quiet analyzers: they
 *   combine by noisy-OR and the risk is max(ensemble, noisyOR(others)).
 *
 * The decision stage uses a {@link createCombiner} compiled once per configuration.
 * @example
 * combine([sig('velocity', 0.9), sig('identity', 0.5)], [], { combination: { method: 'noisy_or', weights } }); // 0.95
 */
export function combine(
  signals: readonly Signal[],
  models: readonly ModelScore[],
  config: { readonly combination: CombinationConfig },
  analyzers?: Facets['analyzers'],
): number {
  let c = combiners.get(config.combination);
  if (c === undefined) {
    c = createCombiner(config);
    combiners.set(config.combination, c);
  }
  return c.risk(signals, models, analyzers);
}
