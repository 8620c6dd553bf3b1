import Type from 'typebox';
import { ENTITY_KINDS, type EntityKind } from '../../features/entities.js';
import { DAY, HOUR, MINUTE } from '../../features/feature-spec.js';

/** Options of the velocity analyzer (`oracle.velocity`). */
export interface VelocityOptions {
  /** The short window whose count is compared with the baseline rate. Default 1 hour. */
  readonly windowMs: number;
  /** The long window the expected rate comes from. Default 7 days. */
  readonly baselineMs: number;
  /** How long a wallet must have been seen before its baseline counts. Default 1 day. */
  readonly minHistoryMs: number;
  /** How many transactions before the short window the baseline needs. Default 5. */
  readonly minHistoryTx: number;
  /**
   * Floor of the expected count per window, so a quiet wallet's first busy hour is not 50x. People
   * transact in sessions (a week averaging 0.1 per hour still has hours with several), so the
   * expected count in an active hour is at least this. Default 2.
   */
  readonly minExpectedPerWindow: number;
  /** Ratio of observed to expected that scores 40 (elevated). Default 3. */
  readonly elevatedRatio: number;
  /** Ratio that scores 70 (spec: > 5x is high). Default 5. */
  readonly highRatio: number;
  /** Ratio that scores 90 (spec: > 10x is critical). Default 10. */
  readonly criticalRatio: number;
  /** Window of the burst check, which needs no history. Default 1 minute. */
  readonly burstWindowMs: number;
  /** Transactions within the burst window that score 70 (twice as many score 85). Default 10. */
  readonly burstCount: number;
  /** Transactions per window before a steady cadence counts as bot-like. Default 30. */
  readonly botMinPerWindow: number;
  /** How close (share of the mean gap) the last gap must be to the window's mean gap. Default 0.1. */
  readonly botGapTolerance: number;
  /** Borrow and repay closer than this are a flash loan. Default 1 minute. */
  readonly flashLoanWindowMs: number;
  /** Smallest amount of a flash-loan leg. Default 100,000. */
  readonly flashLoanMinAmount: number;
  /** Largest relative difference between the two legs. Default 0.05. */
  readonly flashLoanTolerance: number;
}

/** Scales the amount analyzer can judge outliers on. @example OUTLIER_SCALES.includes('log'); // true */
export const OUTLIER_SCALES = ['log', 'linear'] as const;
export type OutlierScale = (typeof OUTLIER_SCALES)[number];

/** Options of the amount analyzer (`oracle.amount`). */
export interface AmountOptions {
  /**
   * Transactions in the wallet's running stats before z-score / IQR checks apply. Default 20: a
   * heavy-tailed wallet's spread is underestimated from a handful of amounts, which inflates z.
   */
  readonly minHistory: number;
  /** Half-life of the running amount stats; 0 keeps plain (undecayed) stats. Default 0. */
  readonly statsHalfLifeMs: number;
  /** Amounts below this are never outliers (too small to matter). Default 100. */
  readonly minOutlierAmount: number;
  /** Standard deviation floor as a share of the mean, so a wallet that always sends 100 is not 1e9 sigma off at 101. Default 0.05. */
  readonly minStdShare: number;
  /** z-score from which the z check scores 50 (+10 per extra sigma, at most 85). Default 3. */
  readonly zThreshold: number;
  /**
   * Scale of the z-score and IQR checks. `log` (default): amounts are log-normal (a few large
   * payments among many small ones), so the wallet's running mean/std are matched to a log-normal
   * (σ² = ln(1 + std²/mean²), μ = ln(mean) − σ²/2) and the checks run on ln(amount); on the raw
   * scale a heavy-tailed wallet throws 3σ "outliers" every few dozen transactions. `linear`: the
   * raw amounts, as the oracle computed them.
   */
  readonly outlierScale: OutlierScale;
  /** Tukey inner fence multiplier (Q3 + k·IQR scores 45). Default 1.5. */
  readonly iqrInner: number;
  /** Tukey outer fence multiplier (Q3 + k·IQR scores 70). Default 3. */
  readonly iqrOuter: number;
  /** Amounts below this are dust. Default 0.01. */
  readonly dustMax: number;
  /** Window of the dust check. Default 1 hour. */
  readonly dustWindowMs: number;
  /** Distinct recipients within the window that make dust an attack (3x scores higher). Default 10. */
  readonly dustMinRecipients: number;
  /** The window's mean amount must be at most this (the wallet is mostly sending dust). Default 1. */
  readonly dustMeanMax: number;
  /** The reporting threshold structuring stays under. Default 10,000. */
  readonly structuringThreshold: number;
  /** Band under the threshold, as a share of it: 0.1 means 9,000 <= amount < 10,000. Default 0.1. */
  readonly structuringBand: number;
  /** Window in which repeated near-threshold amounts raise the structuring score. Default 1 day. */
  readonly structuringWindowMs: number;
}

/** Options of the pattern analyzer (`oracle.pattern`). */
export interface PatternOptions {
  /** Window of the mixing and layering checks. Default 1 hour. */
  readonly windowMs: number;
  /** Distinct recipients within the window that look like mixing. Default 15. */
  readonly mixingMinCounterparties: number;
  /** A reverse transfer within this long makes a round trip. Default 1 day. */
  readonly roundTripWindowMs: number;
  /** Largest relative difference between the two legs of a round trip. Default 0.1. */
  readonly roundTripTolerance: number;
  /** Distinct recipients of the same amount within the window that look like layering. Default 5. */
  readonly layeringMinRecipients: number;
  /** Relative difference under which two amounts count as the same. Default 0.01. */
  readonly layeringTolerance: number;
  /** Funds forwarded within this long after they arrived pass through the wallet. Default 10 minutes. */
  readonly passThroughWindowMs: number;
  /** Share of the received amount that must be forwarded. Default 0.9. */
  readonly passThroughMinShare: number;
  /** Smallest forwarded amount that counts. Default 1,000. */
  readonly passThroughMinAmount: number;
}

/** Options of the graph analyzer (`oracle.graph`). */
export interface GraphOptions {
  /** Block-list labels that mean sanctioned. Default ['sanctioned']. */
  readonly sanctionedLabels: readonly string[];
  /** Block-list labels that mean a mixer. Default ['mixer', 'tumbler']. */
  readonly mixerLabels: readonly string[];
  /** Recent neighbours kept per wallet and direction for the one-hop check. Default 8. */
  readonly neighborMax: number;
  /**
   * Entities that link users into one cluster. Default ['device', 'wallet']: IPs are left out
   * because carrier-grade NAT and shared Wi-Fi would chain unrelated users together, and the
   * union-find never splits a cluster again.
   */
  readonly sybilVia: readonly EntityKind[];
  /** Users in one cluster that make a Sybil cluster (2x and 4x score higher). Default 5. */
  readonly sybilMinCluster: number;
}

/** Options of the timing analyzer (`oracle.timing`). */
export interface TimingOptions {
  /** Transactions in the wallet's hour/day profile before deviation counts. Default 20. */
  readonly minHistory: number;
  /**
   * How long the wallet must have been seen before its profile counts: twenty transactions in two
   * sessions say nothing about which hours and weekdays are usual. Default 7 days.
   */
  readonly minHistoryMs: number;
  /**
   * Judge late night in the sender's local solar time from the event's longitude (15° per hour)
   * when the event has a geo; UTC otherwise. Default true: 03:00 UTC is mid-afternoon in Tokyo.
   */
  readonly useGeoOffset: boolean;
  /** First late-night hour (UTC, inclusive). Default 0. */
  readonly lateStartHour: number;
  /** End of the late night (UTC, exclusive); may be below the start to wrap midnight. Default 5. */
  readonly lateEndHour: number;
  /** Share of the profile within ±1 hour of now under which the hour is unusual. Default 0.02. */
  readonly rareHourShare: number;
  /** Share of the profile on this weekday under which the day is unusual. Default 0.03. */
  readonly rareDayShare: number;
  /**
   * Share of the unusual-hour score kept outside the late night: a wallet used at a new daytime
   * hour is weak evidence, one used in the small hours when it never is, the takeover pattern.
   * Default 0.5.
   */
  readonly unusualDaytimeFactor: number;
}

/** All options of the oracle's five analyzers, one object per analyzer. */
export interface OracleOptions {
  readonly velocity: VelocityOptions;
  readonly amount: AmountOptions;
  readonly pattern: PatternOptions;
  readonly graph: GraphOptions;
  readonly timing: TimingOptions;
}

/**
 * What callers may pass: any analyzer's object, each field optional (merged shallowly with the
 * defaults; undefined keeps the default). Every `Partial<OracleOptions>` is one.
 */
export type OracleOptionsInput = {
  readonly [K in keyof OracleOptions]?: OptionGroupInput<OracleOptions[K]> | undefined;
};
type OptionGroupInput<T> = { readonly [P in keyof T]?: T[P] | undefined };

/**
 * Default options of the oracle analyzers (deeply frozen).
 * @example ORACLE_DEFAULTS.amount.structuringThreshold // 10000
 */
export const ORACLE_DEFAULTS: OracleOptions = Object.freeze({
  velocity: Object.freeze({
    windowMs: HOUR,
    baselineMs: 7 * DAY,
    minHistoryMs: DAY,
    minHistoryTx: 5,
    minExpectedPerWindow: 2,
    elevatedRatio: 3,
    highRatio: 5,
    criticalRatio: 10,
    burstWindowMs: MINUTE,
    burstCount: 10,
    botMinPerWindow: 30,
    botGapTolerance: 0.1,
    flashLoanWindowMs: MINUTE,
    flashLoanMinAmount: 100_000,
    flashLoanTolerance: 0.05,
  }),
  amount: Object.freeze({
    minHistory: 20,
    statsHalfLifeMs: 0,
    minOutlierAmount: 100,
    minStdShare: 0.05,
    zThreshold: 3,
    outlierScale: 'log',
    iqrInner: 1.5,
    iqrOuter: 3,
    dustMax: 0.01,
    dustWindowMs: HOUR,
    dustMinRecipients: 10,
    dustMeanMax: 1,
    structuringThreshold: 10_000,
    structuringBand: 0.1,
    structuringWindowMs: DAY,
  }),
  pattern: Object.freeze({
    windowMs: HOUR,
    mixingMinCounterparties: 15,
    roundTripWindowMs: DAY,
    roundTripTolerance: 0.1,
    layeringMinRecipients: 5,
    layeringTolerance: 0.01,
    passThroughWindowMs: 10 * MINUTE,
    passThroughMinShare: 0.9,
    passThroughMinAmount: 1000,
  }),
  graph: Object.freeze({
    sanctionedLabels: Object.freeze(['sanctioned']),
    mixerLabels: Object.freeze(['mixer', 'tumbler']),
    neighborMax: 8,
    sybilVia: Object.freeze<EntityKind[]>(['device', 'wallet']),
    sybilMinCluster: 5,
  }),
  timing: Object.freeze({
    minHistory: 20,
    minHistoryMs: 7 * DAY,
    useGeoOffset: true,
    lateStartHour: 0,
    lateEndHour: 5,
    rareHourShare: 0.02,
    rareDayShare: 0.03,
    unusualDaytimeFactor: 0.5,
  }),
});

const Ms = Type.Optional(Type.Integer({ minimum: 1 }));
const Ms0 = Type.Optional(Type.Integer({ minimum: 0 }));
const Count = Type.Optional(Type.Integer({ minimum: 1 }));
const Positive = Type.Optional(Type.Number({ exclusiveMinimum: 0 }));
const NonNegative = Type.Optional(Type.Number({ minimum: 0 }));
const Share = Type.Optional(Type.Number({ minimum: 0, maximum: 1 }));
const Hour = Type.Optional(Type.Integer({ minimum: 0, maximum: 24 }));
const Labels = Type.Optional(
  Type.Immutable(Type.Array(Type.String({ minLength: 1, maxLength: 80 }), { maxItems: 50 })),
);
const closed = { additionalProperties: false } as const;

/**
 * JSON Schema of the oracle options an app may configure: every field optional, unknown fields
 * rejected. Values that pass are a valid {@link OracleOptionsInput}, and a full
 * {@link OracleOptions} (such as the defaults) is a valid value of its static type.
 * @example Compile(OracleOptionsSchema).Check({ amount: { structuringThreshold: 3000 } }) // true
 */
export const OracleOptionsSchema = Type.Object(
  {
    velocity: Type.Optional(
      Type.Object(
        {
          windowMs: Ms,
          baselineMs: Ms,
          minHistoryMs: Ms0,
          minHistoryTx: Type.Optional(Type.Integer({ minimum: 0 })),
          minExpectedPerWindow: Positive,
          elevatedRatio: Positive,
          highRatio: Positive,
          criticalRatio: Positive,
          burstWindowMs: Ms,
          burstCount: Count,
          botMinPerWindow: Count,
          botGapTolerance: Share,
          flashLoanWindowMs: Ms,
          flashLoanMinAmount: NonNegative,
          flashLoanTolerance: Share,
        },
        closed,
      ),
    ),
    amount: Type.Optional(
      Type.Object(
        {
          minHistory: Count,
          statsHalfLifeMs: Ms0,
          minOutlierAmount: NonNegative,
          minStdShare: Share,
          zThreshold: Positive,
          outlierScale: Type.Optional(Type.Enum(OUTLIER_SCALES)),
          iqrInner: Positive,
          iqrOuter: Positive,
          dustMax: Positive,
          dustWindowMs: Ms,
          dustMinRecipients: Count,
          dustMeanMax: Positive,
          structuringThreshold: Positive,
          structuringBand: Share,
          structuringWindowMs: Ms,
        },
        closed,
      ),
    ),
    pattern: Type.Optional(
      Type.Object(
        {
          windowMs: Ms,
          mixingMinCounterparties: Count,
          roundTripWindowMs: Ms,
          roundTripTolerance: Share,
          layeringMinRecipients: Count,
          layeringTolerance: Share,
          passThroughWindowMs: Ms,
          passThroughMinShare: Share,
          passThroughMinAmount: NonNegative,
        },
        closed,
      ),
    ),
    graph: Type.Optional(
      Type.Object(
        {
          sanctionedLabels: Labels,
          mixerLabels: Labels,
          neighborMax: Type.Optional(Type.Integer({ minimum: 0, maximum: 64 })),
          sybilVia: Type.Optional(
            Type.Immutable(Type.Array(Type.Enum(ENTITY_KINDS), { minItems: 1, maxItems: 8 })),
          ),
          sybilMinCluster: Type.Optional(Type.Integer({ minimum: 2 })),
        },
        closed,
      ),
    ),
    timing: Type.Optional(
      Type.Object(
        {
          minHistory: Count,
          minHistoryMs: Ms0,
          useGeoOffset: Type.Optional(Type.Boolean()),
          lateStartHour: Hour,
          lateEndHour: Hour,
          rareHourShare: Share,
          rareDayShare: Share,
          unusualDaytimeFactor: Share,
        },
        closed,
      ),
    ),
  },
  closed,
);

/**
 * Merges caller options over {@link ORACLE_DEFAULTS}, one level deep (each analyzer's object
 * shallowly). Fields set to undefined keep their default.
 * @example resolveOracleOptions({ amount: { dustMax: 0.001 } }).amount.dustMax // 0.001
 */
export function resolveOracleOptions(opts: OracleOptionsInput = {}): OracleOptions {
  return Object.freeze({
    velocity: merge(ORACLE_DEFAULTS.velocity, opts.velocity),
    amount: merge(ORACLE_DEFAULTS.amount, opts.amount),
    pattern: merge(ORACLE_DEFAULTS.pattern, opts.pattern),
    graph: merge(ORACLE_DEFAULTS.graph, opts.graph),
    timing: merge(ORACLE_DEFAULTS.timing, opts.timing),
  });
}

function merge<T extends object>(defaults: T, over: OptionGroupInput<T> | undefined): T {
  if (over === undefined) return defaults;
  const out: T = { ...defaults };
  for (const k of Object.keys(over)) {
    if (!Object.prototype.hasOwnProperty.call(defaults, k)) continue;
    const key = k as keyof T;
    const v = over[key];
    if (v !== undefined) out[key] = v;
  }
  return Object.freeze(out);
}
