/** How bad a signal is on its own. */
export const SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

/**
 * The family a signal belongs to. The weighted combination weighs families: the stablecoin
 * analyzers' velocity 0.25, amount 0.25, pattern 0.20, graph 0.20, timing 0.10.
 */
export const SIGNAL_CATEGORIES = [
  'velocity',
  'amount',
  'pattern',
  'graph',
  'timing',
  'identity',
  'behavior',
  'reputation',
  'list',
  'report',
  'rule',
  'model',
] as const;
export type SignalCategory = (typeof SIGNAL_CATEGORIES)[number];

/** The oracle spec's 10 alert types. */
export const ALERT_TYPES = [
  'VELOCITY_ANOMALY',
  'AMOUNT_ANOMALY',
  'PATTERN_ANOMALY',
  'MIXING_DETECTED',
  'SANCTIONED_INTERACTION',
  'DUST_ATTACK',
  'SYBIL_ATTACK',
  'FLASH_LOAN_ATTACK',
  'WASH_TRADING',
  'LAYERING',
] as const;
export type AlertType = (typeof ALERT_TYPES)[number];

/** The outcome a signal asks for on its own (a block-list hit asks for block). */
export const OUTCOMES = ['allow', 'challenge', 'review', 'block'] as const;
export type Outcome = (typeof OUTCOMES)[number];

export type EvidenceValue = string | number | boolean | null | readonly (string | number)[];

/** One finding of a detector or rule. */
export interface Signal {
  /** Stable machine code, `detector.finding`, e.g. `travel.impossible`. */
  readonly code: string;
  /** 0..1: how strongly this finding indicates fraud or abuse. */
  readonly score: number;
  readonly severity: Severity;
  readonly category: SignalCategory;
  /** One sentence an analyst can read: what was seen and why it matters. */
  readonly reason: string;
  readonly evidence: Readonly<Record<string, EvidenceValue>>;
  /** The alert type this finding raises, when it is one of the oracle's 10. */
  readonly alert?: AlertType;
  /** An outcome this finding demands regardless of the combined score (lists). */
  readonly action?: Outcome;
}

/** Severity that goes with a 0..1 score by default. @example severityOf(0.85) // 'critical' */
export function severityOf(score: number): Severity {
  if (score >= 0.8) return 'critical';
  if (score >= 0.6) return 'high';
  if (score >= 0.4) return 'medium';
  if (score >= 0.2) return 'low';
  return 'info';
}
