import type { DetectorContext } from '../detectors/detector.js';
import type { Signal } from '../detectors/signal.js';
import type { FeatureSpec } from '../features/feature-spec.js';

/** One feature's share of a model's score (positive pushes towards fraud). @example const c: ModelContribution = { feature: 'amount_z', value: 0.31 }; */
export interface ModelContribution {
  readonly feature: string;
  readonly value: number;
}

/** What a model answers for one event. @example const o: ModelOutput = { score: 0.82, contributions: [] }; */
export interface ModelOutput {
  /** 0..1, higher is riskier. A non-finite score is recorded as a failure and ignored. */
  readonly score: number;
  readonly contributions: readonly ModelContribution[];
}

/**
 * How a trained model plugs into the engine without the engine knowing which model it is. The
 * engine adds the model's features to the one feature plan, calls `score` after every detector
 * has run (so a model may read the signals), and reports the result in `decision.models`. Only
 * live models change the decision; shadow models (`live: false`, or set to shadow in the app's
 * configuration) are scored and reported but never counted. A model that throws or returns a
 * non-finite score is recorded in `decision.failures` and ignored.
 * @example
 * const hook: ModelHook = {
 *   id: 'amount-z', live: false, features: [stats({ entity: 'user', field: 'amount' })],
 *   score: (ctx) => ({ score: 0.2, contributions: [{ feature: 'amount_z', value: 0.2 }] }),
 * };
 * createEngine({ models: [hook] });
 */
export interface ModelHook {
  /** Stable id, also the key of its mode in `config.models.modes`. */
  readonly id: string;
  readonly version?: string;
  /** Whether the score counts towards the decision (false: shadow mode). */
  readonly live: boolean;
  /** Every feature the model reads; compiled into the engine's plan. */
  readonly features: readonly FeatureSpec[];
  score(ctx: DetectorContext, signals: readonly Signal[]): ModelOutput;
}
