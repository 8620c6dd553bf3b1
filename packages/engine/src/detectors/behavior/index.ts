import type { Detector } from '../detector.js';
import { BEHAVIOR_DEFAULTS, type BehaviorOptions, type BehaviorOverrides } from './behavior-options.js';
import { createBehaviorScoreDetector } from './behavior-score.detector.js';
import { createFakeReferralDetector } from './fake-referral.detector.js';
import { mergeSections } from './merge-options.js';

export {
  BEHAVIOR_DEFAULTS,
  BehaviorOptionsSchema,
  type BehaviorOptions,
  type BehaviorOptionsInput,
  type BehaviorOverrides,
  type RampFactorOptions,
  type WindowedFactorOptions,
} from './behavior-options.js';
export {
  BEHAVIOR_FACTORS,
  behaviorRiskLevel,
  createBehaviorScoreDetector,
  ramp,
  type BehaviorFactor,
} from './behavior-score.detector.js';
export {
  FAKE_REFERRAL_FACTORS,
  REFERRAL_ACTIVITY_TYPES,
  createFakeReferralDetector,
  type FakeReferralFactor,
} from './fake-referral.detector.js';
export { mergeSections, type SectionOverrides } from './merge-options.js';

/**
 * The behaviour detectors: `behavior.score` (BSE) and `behavior.fake_referral`. Overrides are
 * merged per section with {@link BEHAVIOR_DEFAULTS}.
 * @example
 * const detectors = createBehaviorDetectors({ accountAge: { weight: 30 } });
 */
export function createBehaviorDetectors(opts?: Partial<BehaviorOptions> | BehaviorOverrides): Detector[] {
  const o = mergeSections(BEHAVIOR_DEFAULTS, opts);
  return [createBehaviorScoreDetector(o), createFakeReferralDetector(o)];
}
