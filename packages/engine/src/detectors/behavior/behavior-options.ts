import Type, { type Static } from 'typebox';
import { DAY, HOUR } from '../../features/feature-spec.js';
import { freezeSections, type SectionOverrides } from './merge-options.js';

/**
 * One penalty of the behaviour score: no penalty while the measured value is at or below `soft`
 * (a sane level), the full `weight` (score points) at or above `hard`, linear in between.
 */
export interface RampFactorOptions {
  /** Score points taken at or above `hard`. */
  readonly weight: number;
  /** Highest value that costs nothing. */
  readonly soft: number;
  /** Value that costs the full weight. */
  readonly hard: number;
}

/** A ramp factor measured over a sliding window. */
export interface WindowedFactorOptions extends RampFactorOptions {
  /** Window of the measure, ms. */
  readonly window: number;
}

/**
 * Options of the behaviour detectors. The factor sections (`accountAge` .. `ipSignups`) and
 * `score` belong to `behavior.score`; `fakeReferral` to `behavior.fake_referral`.
 */
export interface BehaviorOptions {
  readonly score: {
    /** A `behavior.low_score` signal is emitted when the score is below this. */
    readonly signalBelow: number;
  };
  /** New accounts lose up to `weight` points, linearly recovered until `matureAfter` ms of age. */
  readonly accountAge: { readonly weight: number; readonly matureAfter: number };
  /** Distinct devices used by the user in the window. */
  readonly devicesPerUser: WindowedFactorOptions;
  /** Distinct IPs used by the user in the window. */
  readonly ipsPerUser: WindowedFactorOptions;
  /** Distinct accounts seen on the event's device in the window. */
  readonly accountsPerDevice: WindowedFactorOptions;
  /** Distinct accounts seen on the event's IP in the window (NATs: keep `soft` generous). */
  readonly accountsPerIp: WindowedFactorOptions;
  /** Events of the user in the last hour-ish window. */
  readonly hourlyEvents: WindowedFactorOptions;
  /** Events of the user in the day-ish window. */
  readonly dailyEvents: WindowedFactorOptions;
  /** Size of the user's account cluster linked through shared devices (all history). */
  readonly linkedAccounts: RampFactorOptions;
  /** Distinct accounts the user referred (as referrer) in the window. */
  readonly referralsMade: WindowedFactorOptions;
  /** Signups from the event's IP in the window. */
  readonly ipSignups: WindowedFactorOptions;
  /** `behavior.fake_referral`: factor strengths combine by noisy-OR into a 0..1 signal score. */
  readonly fakeReferral: {
    /** Window of the referral velocity, ms. */
    readonly velocityWindow: number;
    /** Referrals by one referrer in `velocityWindow` that cost nothing / give full strength. */
    readonly velocitySoft: number;
    readonly velocityHard: number;
    /** Strength (0..1) of the velocity factor at `velocityHard`. */
    readonly velocityWeight: number;
    /** Window over which the diversity of referred devices/IPs is measured, ms. */
    readonly window: number;
    /** Referrals in `window` needed before diversity is judged. */
    readonly minReferrals: number;
    /** Diversity (distinct devices or IPs / referrals) at or above which there is no finding. */
    readonly diverseAbove: number;
    /** Diversity at or below which the factor has full strength. */
    readonly uniformAt: number;
    readonly diversityWeight: number;
    /** Strength when the referred account uses the referrer's own last device (self-referral). */
    readonly selfDeviceWeight: number;
    /** Strength when the referred account uses the referrer's own last IP. */
    readonly selfIpWeight: number;
    /** Window of the inactive-referrals measure, ms. */
    readonly inactiveWindow: number;
    /** Referrals younger than this are not judged for inactivity yet, ms. */
    readonly grace: number;
    /** Matured referrals (older than `grace`, within `inactiveWindow`) needed before judging. */
    readonly minMatured: number;
    /** Inactive share of matured referrals that costs nothing / gives full strength. */
    readonly inactiveSoft: number;
    readonly inactiveHard: number;
    readonly inactiveWeight: number;
    /**
     * The inactivity factor only runs when the app attributes activity to referrers (some
     * non-signup event carried `referrer` within this window, ms); otherwise it would flag every
     * referrer.
     */
    readonly attributionWindow: number;
    /** The signal is emitted when the combined strength reaches this. */
    readonly signalAt: number;
  };
}

/** Overrides accepted by {@link createBehaviorDetectors}: every section and field optional. */
export type BehaviorOverrides = SectionOverrides<BehaviorOptions>;

/**
 * Defaults of the behaviour detectors. Weights of `behavior.score` are score points out of 100
 * (they may sum above 100: the score is clamped at 0).
 * @example BEHAVIOR_DEFAULTS.accountAge.weight; // 20
 */
export const BEHAVIOR_DEFAULTS: BehaviorOptions = freezeSections({
  score: { signalBelow: 50 },
  accountAge: { weight: 20, matureAfter: 30 * DAY },
  devicesPerUser: { weight: 15, window: DAY, soft: 2, hard: 6 },
  ipsPerUser: { weight: 10, window: DAY, soft: 3, hard: 10 },
  accountsPerDevice: { weight: 20, window: 7 * DAY, soft: 2, hard: 6 },
  accountsPerIp: { weight: 10, window: DAY, soft: 5, hard: 30 },
  hourlyEvents: { weight: 15, window: HOUR, soft: 120, hard: 600 },
  dailyEvents: { weight: 10, window: DAY, soft: 1000, hard: 5000 },
  linkedAccounts: { weight: 15, soft: 3, hard: 10 },
  referralsMade: { weight: 15, window: DAY, soft: 5, hard: 30 },
  ipSignups: { weight: 10, window: HOUR, soft: 3, hard: 10 },
  fakeReferral: {
    velocityWindow: HOUR,
    velocitySoft: 3,
    velocityHard: 10,
    velocityWeight: 0.6,
    window: DAY,
    minReferrals: 4,
    diverseAbove: 0.8,
    uniformAt: 0.25,
    diversityWeight: 0.8,
    selfDeviceWeight: 0.9,
    selfIpWeight: 0.4,
    inactiveWindow: 30 * DAY,
    grace: 3 * DAY,
    minMatured: 5,
    inactiveSoft: 0.5,
    inactiveHard: 0.9,
    inactiveWeight: 0.7,
    attributionWindow: 7 * DAY,
    signalAt: 0.5,
  },
});

const Points = Type.Optional(Type.Number({ minimum: 0, maximum: 100 }));
const Ms = Type.Optional(Type.Integer({ minimum: 1, description: 'milliseconds' }));
const Level = Type.Optional(Type.Number({ minimum: 0 }));
const Unit = Type.Optional(Type.Number({ minimum: 0, maximum: 1 }));
const Count = Type.Optional(Type.Integer({ minimum: 0 }));
const closed = { additionalProperties: false } as const;

const ramp = Type.Optional(Type.Object({ weight: Points, soft: Level, hard: Level }, closed));
const windowed = Type.Optional(Type.Object({ weight: Points, window: Ms, soft: Level, hard: Level }, closed));

/**
 * TypeBox schema of {@link BehaviorOverrides}, to validate an app's configuration: every section
 * and field optional, unknown keys rejected.
 * @example Compile(BehaviorOptionsSchema).Check({ accountAge: { weight: 10 } }); // true
 */
export const BehaviorOptionsSchema = Type.Object(
  {
    score: Type.Optional(Type.Object({ signalBelow: Points }, closed)),
    accountAge: Type.Optional(Type.Object({ weight: Points, matureAfter: Ms }, closed)),
    devicesPerUser: windowed,
    ipsPerUser: windowed,
    accountsPerDevice: windowed,
    accountsPerIp: windowed,
    hourlyEvents: windowed,
    dailyEvents: windowed,
    linkedAccounts: ramp,
    referralsMade: windowed,
    ipSignups: windowed,
    fakeReferral: Type.Optional(
      Type.Object(
        {
          velocityWindow: Ms,
          velocitySoft: Level,
          velocityHard: Level,
          velocityWeight: Unit,
          window: Ms,
          minReferrals: Count,
          diverseAbove: Unit,
          uniformAt: Unit,
          diversityWeight: Unit,
          selfDeviceWeight: Unit,
          selfIpWeight: Unit,
          inactiveWindow: Ms,
          grace: Ms,
          minMatured: Count,
          inactiveSoft: Unit,
          inactiveHard: Unit,
          inactiveWeight: Unit,
          attributionWindow: Ms,
          signalAt: Unit,
        },
        closed,
      ),
    ),
  },
  closed,
);

/** The static type of {@link BehaviorOptionsSchema} (what a valid configuration looks like). */
export type BehaviorOptionsInput = Static<typeof BehaviorOptionsSchema>;
