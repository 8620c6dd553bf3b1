import Type from 'typebox';
import { ENFORCEMENT_ACTIONS, RISK_LEVELS } from '../decisions/decision.js';
import type { EnforcementAction, RiskLevel } from '../decisions/decision.js';
import { OUTCOMES, SIGNAL_CATEGORIES } from '../detectors/signal.js';
import type { Outcome, SignalCategory } from '../detectors/signal.js';
import { TIERS } from '../events/event-types.js';
import type { Tier } from '../events/event-types.js';
import { HOUR } from '../features/feature-spec.js';

/** How signals, analyzer scores and live model scores are combined into one risk. @example COMBINATION_METHODS.includes('max'); // true */
export const COMBINATION_METHODS = ['weighted', 'noisy_or', 'max'] as const;
export type CombinationMethod = (typeof COMBINATION_METHODS)[number];

/**
 * Combination settings. See `combine` for the exact maths of each method.
 * @example const c: CombinationConfig = { method: 'max', weights: DEFAULT_POLICY_CONFIG.combination.weights };
 */
export interface CombinationConfig {
  /**
   * Default `noisy_or` over family maxima (docs/adr/0003-default-combination.md). `weighted` is the
   * oracle's ensemble over the analyzer families, noisy-OR over the rest.
   */
  readonly method: CombinationMethod;
  /**
   * Weight of each signal family in the `weighted` method. Families with weight 0 (every family but
   * the five analyzer families by default) are not part of the weighted ensemble: they combine by
   * noisy-OR and the risk is the larger of the two. Ignored by `noisy_or` and `max`.
   */
  readonly weights: Readonly<Record<SignalCategory, number>>;
}

/**
 * Lowest 0..100 score of each risk level above SAFE (the oracle table: SAFE 0-20, LOW 21-40,
 * MEDIUM 41-60, HIGH 61-80, CRITICAL 81-100).
 * @example const b: RiskBands = { LOW: 21, MEDIUM: 41, HIGH: 61, CRITICAL: 81 };
 */
export interface RiskBands {
  readonly LOW: number;
  readonly MEDIUM: number;
  readonly HIGH: number;
  readonly CRITICAL: number;
}

/**
 * Risk levels and the outcome each asks for.
 * @example DEFAULT_POLICY_CONFIG.levels.outcomes.HIGH; // 'review'
 */
export interface LevelsConfig {
  readonly bands: RiskBands;
  readonly outcomes: Readonly<Record<RiskLevel, Outcome>>;
}

/**
 * Risk at which the risk-derived flag turns YELLOW and RED (GREEN below `yellow`).
 * @example const f: FlagBands = { yellow: 0.4, red: 0.7 };
 */
export interface FlagBands {
  readonly yellow: number;
  readonly red: number;
}

/** The three risk bands of the shield's tier matrix, lowest first; below the first: observe. @example ENFORCEMENT_BANDS[0]; // 'elevated' */
export const ENFORCEMENT_BANDS = ['elevated', 'high', 'severe'] as const;
export type EnforcementBand = (typeof ENFORCEMENT_BANDS)[number];

/** The shield's tier groups. @example DEFAULT_POLICY_CONFIG.enforcement.tiers.vip.group; // 'high' */
export const TIER_GROUPS = ['low', 'mid', 'high'] as const;
export type TierGroup = (typeof TIER_GROUPS)[number];

/**
 * One cell of the tier matrix.
 * @example const c: EnforcementCell = { action: 'temp_suspend', durationMs: 24 * HOUR, review: false };
 */
export interface EnforcementCell {
  readonly action: EnforcementAction;
  /** How long the action lasts; absent means until lifted. Required for temp_suspend. */
  readonly durationMs?: number;
  /** Whether a human must review it within the tier's SLA. Required for a VIP/platinum permanent ban. */
  readonly review: boolean;
  /** Features restricted by soft_restrict / suspend_features; absent means the config-wide lists. */
  readonly features?: readonly string[];
}

/**
 * One row of the tier matrix.
 * @example DEFAULT_POLICY_CONFIG.enforcement.tiers.vip.severe.action; // 'suspend_features'
 */
export interface TierPolicy {
  readonly group: TierGroup;
  /** Review deadline after the decision, in ms. */
  readonly reviewSlaMs: number;
  readonly elevated: EnforcementCell;
  readonly high: EnforcementCell;
  readonly severe: EnforcementCell;
}

/**
 * The shield's tier-aware enforcement matrix.
 * @example DEFAULT_POLICY_CONFIG.enforcement.bands; // { elevated: 0.6, high: 0.75, severe: 0.9 }
 */
export interface EnforcementConfig {
  /** Tier used when the event has none. */
  readonly defaultTier: Tier;
  /** Lowest risk (0..1) of each band; below `elevated` the action is observe. */
  readonly bands: Readonly<Record<EnforcementBand, number>>;
  /** Features a soft_restrict cell restricts unless the cell lists its own. */
  readonly softRestrictFeatures: readonly string[];
  /** Features a suspend_features cell suspends unless the cell lists its own. */
  readonly suspendFeatures: readonly string[];
  readonly tiers: Readonly<Record<Tier, TierPolicy>>;
}

/**
 * Asset gatekeeper thresholds over the behaviour score (0..100, higher is more trustworthy).
 * @example const a: AccessConfig = { full: 70, restricted: 50, limited: 30, defaultBehaviorScore: 60 };
 */
export interface AccessConfig {
  /** Lowest behaviour score with FULL access. */
  readonly full: number;
  /** Lowest behaviour score with RESTRICTED access. */
  readonly restricted: number;
  /** Lowest behaviour score with LIMITED access; below it MINIMAL. */
  readonly limited: number;
  /** Behaviour score reported when no behaviour detector scored the event (e.g. disabled). */
  readonly defaultBehaviorScore: number;
}

/**
 * When a captcha is asked for.
 * @example const c: CaptchaConfig = { threshold: 50, onChallenge: true };
 */
export interface CaptchaConfig {
  /** Captcha when the behaviour (trust) score is at or below this (bot detection: 50). */
  readonly threshold: number;
  /** Also ask for a captcha whenever the outcome is challenge. */
  readonly onChallenge: boolean;
}

/** Whether a model's score counts (live) or is only reported (shadow). @example MODEL_MODES; // ['live', 'shadow'] */
export const MODEL_MODES = ['live', 'shadow'] as const;
export type ModelMode = (typeof MODEL_MODES)[number];

/**
 * Per-model overrides of the mode a model hook declares.
 * @example const m: ModelsConfig = { modes: { 'iforest-v2': 'shadow' } };
 */
export interface ModelsConfig {
  /** Model id → mode; models not listed keep their hook's `live` flag. */
  readonly modes: Readonly<Record<string, ModelMode>>;
}

/**
 * How long the decision's explanation is.
 * @example const e: ExplanationConfig = { maxItems: 5, maxContributions: 3 };
 */
export interface ExplanationConfig {
  /** Signals and live models explained, strongest first. */
  readonly maxItems: number;
  /** Feature contributions named per model. */
  readonly maxContributions: number;
}

/**
 * Everything the decision stage reads: combination, levels, flags, tier enforcement, access,
 * captcha, model modes and explanation length.
 * @example const p: PolicyConfig = DEFAULT_POLICY_CONFIG;
 */
export interface PolicyConfig {
  readonly combination: CombinationConfig;
  readonly levels: LevelsConfig;
  readonly flags: FlagBands;
  readonly enforcement: EnforcementConfig;
  readonly access: AccessConfig;
  readonly captcha: CaptchaConfig;
  readonly models: ModelsConfig;
  readonly explanation: ExplanationConfig;
}

const Unit = (description: string) => Type.Number({ minimum: 0, maximum: 1, description });
const Score100 = (description: string) => Type.Number({ minimum: 0, maximum: 100, description });
const Duration = (description: string) => Type.Integer({ minimum: 0, description });
const FeatureNames = (description: string) =>
  Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { maxItems: 64, description });
const Closed = { additionalProperties: false } as const;

const CellSchema = Type.Object(
  {
    action: Type.Enum(ENFORCEMENT_ACTIONS),
    durationMs: Type.Optional(Duration('How long the action lasts; absent means until lifted')),
    review: Type.Boolean({ description: 'Whether a human must review it within the SLA' }),
    features: Type.Optional(FeatureNames('Features restricted; absent means the config-wide list')),
  },
  Closed,
);

const TierPolicySchema = Type.Object(
  {
    group: Type.Enum(TIER_GROUPS),
    reviewSlaMs: Duration('Review deadline after the decision'),
    elevated: CellSchema,
    high: CellSchema,
    severe: CellSchema,
  },
  Closed,
);

/** The same schema under every key of a closed vocabulary. */
function recordOf<K extends string, S>(keys: readonly K[], value: S): Record<K, S> {
  // Every key of the vocabulary is set below, which is what the cast asserts.
  const props = {} as Record<K, S>;
  for (const k of keys) props[k] = value;
  return props;
}

/**
 * TypeBox schemas of each policy section (JSON Schema for the server's config API).
 * @example Compile(PolicySchemas.levels).Check(DEFAULT_POLICY_CONFIG.levels); // true
 */
export const PolicySchemas = {
  combination: Type.Object(
    {
      method: Type.Enum(COMBINATION_METHODS),
      weights: Type.Object(recordOf(SIGNAL_CATEGORIES, Type.Number({ minimum: 0, maximum: 100 })), Closed),
    },
    Closed,
  ),
  levels: Type.Object(
    {
      bands: Type.Object(
        {
          LOW: Type.Integer({ minimum: 1, maximum: 100 }),
          MEDIUM: Type.Integer({ minimum: 1, maximum: 100 }),
          HIGH: Type.Integer({ minimum: 1, maximum: 100 }),
          CRITICAL: Type.Integer({ minimum: 1, maximum: 100 }),
        },
        Closed,
      ),
      outcomes: Type.Object(recordOf(RISK_LEVELS, Type.Enum(OUTCOMES)), Closed),
    },
    Closed,
  ),
  flags: Type.Object(
    { yellow: Unit('Risk at which the flag turns YELLOW'), red: Unit('Risk at which the flag turns RED') },
    Closed,
  ),
  enforcement: Type.Object(
    {
      defaultTier: Type.Enum(TIERS),
      bands: Type.Object(
        {
          elevated: Unit('Lowest risk of the first enforcement band'),
          high: Unit('Lowest risk of the second enforcement band'),
          severe: Unit('Lowest risk of the third enforcement band'),
        },
        Closed,
      ),
      softRestrictFeatures: FeatureNames('Features soft_restrict restricts'),
      suspendFeatures: FeatureNames('Features suspend_features suspends'),
      tiers: Type.Object(recordOf(TIERS, TierPolicySchema), Closed),
    },
    Closed,
  ),
  access: Type.Object(
    {
      full: Score100('Lowest behaviour score with FULL access'),
      restricted: Score100('Lowest behaviour score with RESTRICTED access'),
      limited: Score100('Lowest behaviour score with LIMITED access'),
      defaultBehaviorScore: Score100('Behaviour score when no behaviour detector scored the event'),
    },
    Closed,
  ),
  captcha: Type.Object(
    {
      threshold: Score100('Captcha at or below this behaviour score'),
      onChallenge: Type.Boolean({ description: 'Captcha whenever the outcome is challenge' }),
    },
    Closed,
  ),
  models: Type.Object(
    {
      modes: Type.Record(Type.String({ minLength: 1, maxLength: 128 }), Type.Enum(MODEL_MODES), {
        maxProperties: 256,
      }),
    },
    Closed,
  ),
  explanation: Type.Object(
    {
      maxItems: Type.Integer({ minimum: 0, maximum: 50 }),
      maxContributions: Type.Integer({ minimum: 0, maximum: 20 }),
    },
    Closed,
  ),
} as const;

const cell = (action: EnforcementAction, review: boolean, durationMs?: number): EnforcementCell =>
  durationMs === undefined ? { action, review } : { action, review, durationMs };

const LOW_TIER = (): TierPolicy => ({
  group: 'low',
  reviewSlaMs: 24 * HOUR,
  elevated: cell('temp_suspend', false, 24 * HOUR),
  high: cell('auto_block', false, 72 * HOUR),
  severe: cell('auto_block', false),
});
const MID_TIER = (): TierPolicy => ({
  group: 'mid',
  reviewSlaMs: 12 * HOUR,
  elevated: cell('temp_suspend', false, 12 * HOUR),
  high: cell('temp_suspend', false, 48 * HOUR),
  severe: cell('auto_block', true),
});
const HIGH_TIER = (reviewSlaMs: number): TierPolicy => ({
  group: 'high',
  reviewSlaMs,
  elevated: cell('soft_restrict', true),
  high: cell('soft_restrict', true),
  severe: cell('suspend_features', true),
});

/**
 * The defaults from the specs: oracle weights (used when the method is `weighted`; the default
 * method is `noisy_or`, see docs/adr/0003-default-combination.md) and levels, the shield's tier matrix (guest/bronze
 * 24 h temp suspend, 72 h auto-block, immediate block; silver/gold 12 h and 48 h temp suspend,
 * auto-block + review; vip/platinum soft restrict, soft restrict, suspend features, always
 * reviewed; SLAs 24/24/12/12/4/2 h), access thresholds 70/50/30 and captcha at trust ≤ 50.
 * @example DEFAULT_POLICY_CONFIG.enforcement.tiers.guest.high; // { action: 'auto_block', review: false, durationMs: 259200000 }
 */
export const DEFAULT_POLICY_CONFIG: PolicyConfig = {
  combination: {
    method: 'noisy_or',
    weights: {
      velocity: 0.25,
      amount: 0.25,
      pattern: 0.2,
      graph: 0.2,
      timing: 0.1,
      identity: 0,
      behavior: 0,
      reputation: 0,
      list: 0,
      report: 0,
      rule: 0,
      model: 0,
    },
  },
  levels: {
    bands: { LOW: 21, MEDIUM: 41, HIGH: 61, CRITICAL: 81 },
    outcomes: { SAFE: 'allow', LOW: 'allow', MEDIUM: 'challenge', HIGH: 'review', CRITICAL: 'block' },
  },
  flags: { yellow: 0.4, red: 0.7 },
  enforcement: {
    defaultTier: 'guest',
    bands: { elevated: 0.6, high: 0.75, severe: 0.9 },
    softRestrictFeatures: ['withdrawals', 'betting'],
    suspendFeatures: ['withdrawals', 'betting', 'transfers', 'trading'],
    tiers: {
      guest: LOW_TIER(),
      bronze: LOW_TIER(),
      silver: MID_TIER(),
      gold: MID_TIER(),
      vip: HIGH_TIER(4 * HOUR),
      platinum: HIGH_TIER(2 * HOUR),
    },
  },
  access: { full: 70, restricted: 50, limited: 30, defaultBehaviorScore: 60 },
  captcha: { threshold: 50, onChallenge: true },
  models: { modes: {} },
  explanation: { maxItems: 5, maxContributions: 3 },
};
