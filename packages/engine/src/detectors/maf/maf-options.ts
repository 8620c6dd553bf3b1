import Type, { type Static } from 'typebox';
import { DAY, HOUR, MINUTE } from '../../features/feature-spec.js';
import { freezeSections, type SectionOverrides } from '../behavior/merge-options.js';
import type { FlagColor } from '../detector.js';
import type { FindingLevel } from './maf-finding.js';

/** Behaviour-score bands of the escalation matrix, lowest score first. */
export const SCORE_BANDS = ['critical', 'low', 'medium', 'high'] as const;
export type ScoreBand = (typeof SCORE_BANDS)[number];

/** What the escalation matrix asks for, weakest first. */
export const ESCALATION_ACTIONS = ['allow', 'monitor', 'challenge', 'restrict', 'block'] as const;
export type EscalationAction = (typeof ESCALATION_ACTIONS)[number];

/** One action per flag colour and score band. */
export type EscalationMatrix = Readonly<Record<FlagColor, Readonly<Record<ScoreBand, EscalationAction>>>>;

/** A count-in-window pattern: YELLOW at `yellowAt`, RED at `redAt` events in `window` ms. */
export interface ThresholdOptions {
  readonly window: number;
  readonly yellowAt: number;
  readonly redAt: number;
}

/**
 * Options of the MAF detectors and of {@link escalate}, one section per detector (the key is
 * the detector id without `maf.`, camel-cased).
 */
export interface MafOptions {
  /** `maf.ip_signup`: signups from one IP in the window. */
  readonly ipSignup: ThresholdOptions;
  /** `maf.device_signup`: signups from one device in the window. */
  readonly deviceSignup: ThresholdOptions;
  /** `maf.wallet_connect`: wallet connects per user (or device) in `window`, and distinct wallets per user (or device) in `walletsWindow`. */
  readonly walletConnect: ThresholdOptions & {
    readonly walletsWindow: number;
    readonly walletsYellowAt: number;
    readonly walletsRedAt: number;
  };
  /** `maf.nft_listing`: NFT listings per user (or wallet) in the window. */
  readonly nftListing: ThresholdOptions;
  /**
   * `maf.referral_spam`: YELLOW when a referrer has ≥ `yellowAt` referrals in the window with a
   * diversity (distinct referred devices or IPs, the lower, / referrals) ≤ `yellowDiversity`;
   * RED at ≥ `redAt` referrals with diversity ≤ `redDiversity`.
   */
  readonly referralSpam: ThresholdOptions & {
    readonly yellowDiversity: number;
    readonly redDiversity: number;
  };
  /** `maf.duplicate_upload`: exact (`contentHash` seen before) and near (pHash Hamming distance) duplicates. */
  readonly duplicateUpload: {
    /** Level when the same user uploaded this exact content before. */
    readonly sameUserLevel: FindingLevel;
    /** Level when another user uploaded this exact content before. */
    readonly otherUserLevel: FindingLevel;
    /** Level of a near duplicate (64-bit hex pHash within `maxDistance` bits of a recent upload). */
    readonly nearLevel: FindingLevel;
    /** Largest Hamming distance (bits of 64) that counts as a near duplicate; 0 disables. */
    readonly maxDistance: number;
    /** How many recent distinct upload hashes of the app are compared. */
    readonly recent: number;
  };
  /** `maf.login_velocity`: logins per user in the window, and distinct login devices (device switching). */
  readonly loginVelocity: ThresholdOptions & {
    readonly devicesYellowAt: number;
    readonly devicesRedAt: number;
  };
  /** `maf.fingerprint`: timezone vs geo, canvas/WebGL changes on a device, headless screens. */
  readonly fingerprint: {
    /** Slack (minutes) around a country's UTC-offset range before a timezone mismatches. */
    readonly toleranceMinutes: number;
    readonly timezoneLevel: FindingLevel;
    /** Level when a device's canvas or WebGL hash differs from its previous one. */
    readonly changeLevel: FindingLevel;
    /** Only a previous hash seen within this many ms counts (drivers and browsers update). */
    readonly changeWindow: number;
    /** Level of a 0-sized screen. */
    readonly zeroScreenLevel: FindingLevel;
    /** Level of a headless-default screen without WebGL, or an implausible size. */
    readonly headlessLevel: FindingLevel;
    /** Screens (`WxH`) that headless browsers report by default; suspicious without WebGL. */
    readonly headlessScreens: readonly string[];
    /** Smallest and largest plausible screen side in pixels. */
    readonly minSide: number;
    readonly maxSide: number;
  };
  /** `maf.flag`: RED from this many findings on one event even when each is only YELLOW. */
  readonly flag: { readonly redAtFindings: number };
  /**
   * {@link escalate}: score bands (critical below `criticalBelow`, low below `lowBelow`, medium
   * below `mediumBelow`, else high) and the flag × band matrix. An override replaces the whole
   * matrix.
   */
  readonly escalation: {
    readonly criticalBelow: number;
    readonly lowBelow: number;
    readonly mediumBelow: number;
    readonly matrix: EscalationMatrix;
  };
}

/** Overrides accepted by {@link createMafDetectors}: every section and field optional. */
export type MafOverrides = SectionOverrides<MafOptions>;

/**
 * Default escalation matrix (rows: flag; columns: behaviour-score band).
 *
 * | flag   | critical (<20) | low (<50) | medium (<70) | high (≥70) |
 * |--------|----------------|-----------|--------------|------------|
 * | GREEN  | challenge      | monitor   | allow        | allow      |
 * | YELLOW | restrict       | challenge | monitor      | monitor    |
 * | RED    | block          | restrict  | challenge    | challenge  |
 */
export const DEFAULT_ESCALATION_MATRIX: EscalationMatrix = Object.freeze({
  GREEN: Object.freeze({ critical: 'challenge', low: 'monitor', medium: 'allow', high: 'allow' }),
  YELLOW: Object.freeze({
    critical: 'restrict',
    low: 'challenge',
    medium: 'monitor',
    high: 'monitor',
  }),
  RED: Object.freeze({ critical: 'block', low: 'restrict', medium: 'challenge', high: 'challenge' }),
});

/**
 * Defaults of the MAF detectors (thresholds are inclusive: `yellowAt: 3` means the third signup
 * in the window is YELLOW).
 * @example MAF_DEFAULTS.ipSignup; // { window: 3600000, yellowAt: 3, redAt: 5 }
 */
export const MAF_DEFAULTS: MafOptions = freezeSections({
  ipSignup: { window: HOUR, yellowAt: 3, redAt: 5 },
  deviceSignup: { window: DAY, yellowAt: 2, redAt: 3 },
  walletConnect: {
    window: 10 * MINUTE,
    yellowAt: 3,
    redAt: 5,
    walletsWindow: HOUR,
    walletsYellowAt: 3,
    walletsRedAt: 5,
  },
  nftListing: { window: 10 * MINUTE, yellowAt: 10, redAt: 25 },
  referralSpam: { window: DAY, yellowAt: 5, redAt: 10, yellowDiversity: 0.5, redDiversity: 0.3 },
  duplicateUpload: {
    sameUserLevel: 'YELLOW',
    otherUserLevel: 'RED',
    nearLevel: 'YELLOW',
    maxDistance: 8,
    recent: 64,
  },
  loginVelocity: { window: HOUR, yellowAt: 10, redAt: 20, devicesYellowAt: 3, devicesRedAt: 5 },
  fingerprint: {
    toleranceMinutes: 60,
    timezoneLevel: 'YELLOW',
    changeLevel: 'YELLOW',
    changeWindow: 30 * DAY,
    zeroScreenLevel: 'RED',
    headlessLevel: 'YELLOW',
    headlessScreens: Object.freeze(['800x600']),
    minSide: 200,
    maxSide: 16384,
  },
  flag: { redAtFindings: 2 },
  escalation: {
    criticalBelow: 20,
    lowBelow: 50,
    mediumBelow: 70,
    matrix: DEFAULT_ESCALATION_MATRIX,
  },
});

const closed = { additionalProperties: false } as const;
const Ms = Type.Optional(Type.Integer({ minimum: 1, description: 'milliseconds' }));
const Count = Type.Optional(Type.Integer({ minimum: 1 }));
const Unit = Type.Optional(Type.Number({ minimum: 0, maximum: 1 }));
const LevelSchema = Type.Optional(Type.Union([Type.Literal('YELLOW'), Type.Literal('RED')]));
const Score = Type.Optional(Type.Number({ minimum: 0, maximum: 100 }));
const ActionSchema = Type.Enum(ESCALATION_ACTIONS);
const Row = Type.Object(
  { critical: ActionSchema, low: ActionSchema, medium: ActionSchema, high: ActionSchema },
  closed,
);
const threshold = Type.Optional(Type.Object({ window: Ms, yellowAt: Count, redAt: Count }, closed));

/**
 * TypeBox schema of {@link MafOverrides}, to validate an app's configuration: every section and
 * field optional (an escalation `matrix`, when given, must be complete), unknown keys rejected.
 * @example Compile(MafOptionsSchema).Check({ ipSignup: { redAt: 8 } }); // true
 */
export const MafOptionsSchema = Type.Object(
  {
    ipSignup: threshold,
    deviceSignup: threshold,
    walletConnect: Type.Optional(
      Type.Object(
        {
          window: Ms,
          yellowAt: Count,
          redAt: Count,
          walletsWindow: Ms,
          walletsYellowAt: Count,
          walletsRedAt: Count,
        },
        closed,
      ),
    ),
    nftListing: threshold,
    referralSpam: Type.Optional(
      Type.Object(
        {
          window: Ms,
          yellowAt: Count,
          redAt: Count,
          yellowDiversity: Unit,
          redDiversity: Unit,
        },
        closed,
      ),
    ),
    duplicateUpload: Type.Optional(
      Type.Object(
        {
          sameUserLevel: LevelSchema,
          otherUserLevel: LevelSchema,
          nearLevel: LevelSchema,
          maxDistance: Type.Optional(Type.Integer({ minimum: 0, maximum: 32 })),
          recent: Type.Optional(Type.Integer({ minimum: 1, maximum: 1024 })),
        },
        closed,
      ),
    ),
    loginVelocity: Type.Optional(
      Type.Object(
        {
          window: Ms,
          yellowAt: Count,
          redAt: Count,
          devicesYellowAt: Count,
          devicesRedAt: Count,
        },
        closed,
      ),
    ),
    fingerprint: Type.Optional(
      Type.Object(
        {
          toleranceMinutes: Type.Optional(Type.Integer({ minimum: 0, maximum: 720 })),
          timezoneLevel: LevelSchema,
          changeLevel: LevelSchema,
          changeWindow: Ms,
          zeroScreenLevel: LevelSchema,
          headlessLevel: LevelSchema,
          headlessScreens: Type.Optional(
            Type.Immutable(Type.Array(Type.String({ pattern: '^[0-9]{1,5}x[0-9]{1,5}$' }), { maxItems: 64 })),
          ),
          minSide: Type.Optional(Type.Integer({ minimum: 0 })),
          maxSide: Type.Optional(Type.Integer({ minimum: 1 })),
        },
        closed,
      ),
    ),
    flag: Type.Optional(Type.Object({ redAtFindings: Count }, closed)),
    escalation: Type.Optional(
      Type.Object(
        {
          criticalBelow: Score,
          lowBelow: Score,
          mediumBelow: Score,
          matrix: Type.Optional(Type.Object({ GREEN: Row, YELLOW: Row, RED: Row }, closed)),
        },
        closed,
      ),
    ),
  },
  closed,
);

/** The static type of {@link MafOptionsSchema} (what a valid configuration looks like). */
export type MafOptionsInput = Static<typeof MafOptionsSchema>;
