import type { FlagColor } from '../detectors/detector.js';
import type { AlertType, Outcome, Signal } from '../detectors/signal.js';
import type { Tier } from '../events/event-types.js';

/** Oracle risk levels over the 0..100 score: SAFE 0-20, LOW 21-40, MEDIUM 41-60, HIGH 61-80, CRITICAL 81-100. */
export const RISK_LEVELS = ['SAFE', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL'] as const;
export type RiskLevel = (typeof RISK_LEVELS)[number];

/** Asset gatekeeper access levels, most open first. */
export const ACCESS_LEVELS = ['FULL', 'RESTRICTED', 'LIMITED', 'MINIMAL'] as const;
export type AccessLevel = (typeof ACCESS_LEVELS)[number];

/** Shield enforcement actions, weakest first. */
export const ENFORCEMENT_ACTIONS = [
  'observe',
  'soft_restrict',
  'suspend_features',
  'temp_suspend',
  'auto_block',
  'permanent_ban',
] as const;
export type EnforcementAction = (typeof ENFORCEMENT_ACTIONS)[number];

/** The enforcement the tier matrix asks for. */
export interface EnforcementPlan {
  readonly action: EnforcementAction;
  readonly tier: Tier;
  /** How long it lasts; absent means until lifted. */
  readonly durationMs?: number;
  /** Features restricted by soft_restrict / suspend_features. */
  readonly features?: readonly string[];
  /** Whether a human must review (auto-block + review, high tiers). */
  readonly requiresReview: boolean;
  /** Review deadline after the decision, from the tier's SLA. */
  readonly reviewSlaMs: number;
}

/** A deployed model's score for this event. */
export interface ModelScore {
  readonly model: string;
  readonly version?: string;
  /** 0..1 */
  readonly score: number;
  /** Whether it counted towards the decision (false in shadow mode). */
  readonly live: boolean;
  /** Per-feature contributions, largest absolute first. */
  readonly contributions: readonly { readonly feature: string; readonly value: number }[];
}

/** A detector that failed on this event; its configured default was used instead. */
export interface DetectorFailure {
  readonly detector: string;
  readonly error: string;
}

/** The engine's answer to one event. */
export interface Decision {
  readonly eventId: string;
  readonly app: string;
  readonly user?: string;
  /** Combined risk 0..1. */
  readonly risk: number;
  /** risk × 100, rounded. */
  readonly score: number;
  readonly level: RiskLevel;
  readonly flag: FlagColor;
  readonly outcome: Outcome;
  /** 0..1: how sure the engine is of the outcome (agreement and strength of evidence). */
  readonly confidence: number;
  /** Behaviour score 0..100, higher is more trustworthy. */
  readonly behaviorScore: number;
  readonly accessLevel: AccessLevel;
  readonly captcha: boolean;
  readonly enforcement: EnforcementPlan;
  /** Per-analyzer scores 0..100 where the transaction analyzers ran. */
  readonly analyzers?: Readonly<
    Partial<Record<'velocity' | 'amount' | 'pattern' | 'graph' | 'timing', number>>
  >;
  readonly anomalies: readonly string[];
  readonly alerts: readonly AlertType[];
  /** Strongest first. */
  readonly signals: readonly Signal[];
  readonly models: readonly ModelScore[];
  /** Plain sentences, the signals and model contributions that moved the score, strongest first. */
  readonly explanation: readonly string[];
  readonly failures: readonly DetectorFailure[];
}
