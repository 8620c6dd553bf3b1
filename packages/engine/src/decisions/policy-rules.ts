import type { FlagColor } from '../detectors/detector.js';
import type { Outcome } from '../detectors/signal.js';
import type { Tier } from '../events/event-types.js';
import type {
  AccessConfig,
  EnforcementBand,
  EnforcementCell,
  EnforcementConfig,
  FlagBands,
  RiskBands,
} from '../config/policy-config.js';
import type { AccessLevel, EnforcementPlan, RiskLevel } from './decision.js';

/**
 * Slack for float comparisons against configured band edges: 1 − (1 − 0.6) is 0.6000000000000001 or
 * 0.5999999999999999 depending on the path, and must land in the same band as 0.6.
 * @example enforcementBandOf(0.6 - BAND_EPSILON / 2, DEFAULT_POLICY_CONFIG.enforcement.bands); // 'elevated'
 */
export const BAND_EPSILON = 1e-9;

const OUTCOME_RANK = { allow: 0, challenge: 1, review: 2, block: 3 } as const satisfies Record<
  Outcome,
  number
>;
const FLAG_RANK = { GREEN: 0, YELLOW: 1, RED: 2 } as const satisfies Record<FlagColor, number>;

/**
 * The stricter of two outcomes (allow < challenge < review < block).
 * @example maxOutcome('challenge', 'review'); // 'review'
 */
export function maxOutcome(a: Outcome, b: Outcome): Outcome {
  return OUTCOME_RANK[b] > OUTCOME_RANK[a] ? b : a;
}

/**
 * The more severe of two flags (GREEN < YELLOW < RED).
 * @example maxFlag('YELLOW', 'RED'); // 'RED'
 */
export function maxFlag(a: FlagColor, b: FlagColor): FlagColor {
  return FLAG_RANK[b] > FLAG_RANK[a] ? b : a;
}

/**
 * Risk level of a 0..100 score given the lowest score of each level (defaults: SAFE 0-20, LOW
 * 21-40, MEDIUM 41-60, HIGH 61-80, CRITICAL 81-100). NaN is CRITICAL: an unknown risk is never
 * approved automatically.
 * @example riskLevelFor(20, { LOW: 21, MEDIUM: 41, HIGH: 61, CRITICAL: 81 }); // 'SAFE'
 */
export function riskLevelFor(score: number, bands: RiskBands): RiskLevel {
  if (Number.isNaN(score)) return 'CRITICAL';
  if (score >= bands.CRITICAL) return 'CRITICAL';
  if (score >= bands.HIGH) return 'HIGH';
  if (score >= bands.MEDIUM) return 'MEDIUM';
  if (score >= bands.LOW) return 'LOW';
  return 'SAFE';
}

/**
 * Flag derived from risk alone: GREEN below `yellow`, YELLOW below `red`, else RED.
 * @example flagOfRisk(0.4, { yellow: 0.4, red: 0.7 }); // 'YELLOW'
 */
export function flagOfRisk(risk: number, flags: FlagBands): FlagColor {
  if (risk >= flags.red - BAND_EPSILON) return 'RED';
  if (risk >= flags.yellow - BAND_EPSILON) return 'YELLOW';
  return 'GREEN';
}

/**
 * The tier-matrix band of a risk, or undefined below the first band (observe).
 * @example enforcementBandOf(0.75, { elevated: 0.6, high: 0.75, severe: 0.9 }); // 'high'
 */
export function enforcementBandOf(
  risk: number,
  bands: Readonly<Record<EnforcementBand, number>>,
): EnforcementBand | undefined {
  if (!(risk >= bands.elevated - BAND_EPSILON)) return undefined;
  if (risk >= bands.severe - BAND_EPSILON) return 'severe';
  if (risk >= bands.high - BAND_EPSILON) return 'high';
  return 'elevated';
}

/**
 * Access level from the behaviour score: FULL ≥ full, RESTRICTED ≥ restricted, LIMITED ≥ limited,
 * else MINIMAL.
 * @example accessLevelOf(55, { full: 70, restricted: 50, limited: 30, defaultBehaviorScore: 60 }); // 'RESTRICTED'
 */
export function accessLevelOf(behaviorScore: number, access: AccessConfig): AccessLevel {
  if (behaviorScore >= access.full) return 'FULL';
  if (behaviorScore >= access.restricted) return 'RESTRICTED';
  if (behaviorScore >= access.limited) return 'LIMITED';
  return 'MINIMAL';
}

function planOf(
  tier: Tier,
  cell: EnforcementCell | undefined,
  config: EnforcementConfig,
  reviewSlaMs: number,
): EnforcementPlan {
  if (cell === undefined)
    return Object.freeze({ action: 'observe', tier, requiresReview: false, reviewSlaMs });
  const plan: { -readonly [K in keyof EnforcementPlan]: EnforcementPlan[K] } = {
    action: cell.action,
    tier,
    requiresReview: cell.review,
    reviewSlaMs,
  };
  if (cell.durationMs !== undefined) plan.durationMs = cell.durationMs;
  if (cell.action === 'soft_restrict' || cell.action === 'suspend_features') {
    const features =
      cell.features ??
      (cell.action === 'soft_restrict' ? config.softRestrictFeatures : config.suspendFeatures);
    plan.features = Object.freeze([...features]);
  } else if (cell.features !== undefined) {
    plan.features = Object.freeze([...cell.features]);
  }
  return Object.freeze(plan);
}

/** Every plan of one tier: observe, then one per band. Frozen and shared by all decisions. @example compileEnforcement(cfg).guest.high.durationMs; // 259200000 */
export type TierPlans = Readonly<Record<EnforcementBand | 'observe', EnforcementPlan>>;

/**
 * Precomputes the enforcement plan of every tier and band (frozen, shared between decisions).
 * @example compileEnforcement(DEFAULT_POLICY_CONFIG.enforcement).vip.severe.action; // 'suspend_features'
 */
export function compileEnforcement(config: EnforcementConfig): Readonly<Record<Tier, TierPlans>> {
  const row = (tier: Tier): TierPlans => {
    const r = config.tiers[tier];
    return Object.freeze({
      observe: planOf(tier, undefined, config, r.reviewSlaMs),
      elevated: planOf(tier, r.elevated, config, r.reviewSlaMs),
      high: planOf(tier, r.high, config, r.reviewSlaMs),
      severe: planOf(tier, r.severe, config, r.reviewSlaMs),
    });
  };
  return Object.freeze({
    guest: row('guest'),
    bronze: row('bronze'),
    silver: row('silver'),
    gold: row('gold'),
    vip: row('vip'),
    platinum: row('platinum'),
  });
}

/**
 * The tier matrix's enforcement for a user of `tier` at `risk` (observe below the first band).
 * Builds the plan on each call; the decision stage uses {@link compileEnforcement} instead.
 * @example enforcementFor('guest', 0.8, DEFAULT_POLICY_CONFIG.enforcement); // { action: 'auto_block', durationMs: 259200000, ... }
 */
export function enforcementFor(tier: Tier, risk: number, config: EnforcementConfig): EnforcementPlan {
  const band = enforcementBandOf(risk, config.bands);
  const row = config.tiers[tier];
  return planOf(tier, band === undefined ? undefined : row[band], config, row.reviewSlaMs);
}
