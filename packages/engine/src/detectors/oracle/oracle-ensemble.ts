import type { RiskLevel } from '../../decisions/decision.js';

/** The oracle's five transaction analyzers, in the spec's order. */
export const ANALYZER_NAMES = ['velocity', 'amount', 'pattern', 'graph', 'timing'] as const;
export type AnalyzerName = (typeof ANALYZER_NAMES)[number];

/**
 * The spec's ensemble weights (they sum to 1).
 * @example ANALYZER_WEIGHTS.velocity // 0.25
 */
export const ANALYZER_WEIGHTS = Object.freeze({
  velocity: 0.25,
  amount: 0.25,
  pattern: 0.2,
  graph: 0.2,
  timing: 0.1,
} as const satisfies Record<AnalyzerName, number>);

function clampScore(x: number | undefined): number {
  // NaN and missing both count as "nothing found": `!(x > 0)` is true for both.
  if (x === undefined || !(x > 0)) return 0;
  return x > 100 ? 100 : x;
}

/**
 * Overall oracle score 0..100: velocity·0.25 + amount·0.25 + pattern·0.20 + graph·0.20 +
 * timing·0.10. Missing (or NaN) analyzers count as 0; each score is clamped to 0..100.
 * @example ensembleScore({ velocity: 90, amount: 70 }) // 40
 */
export function ensembleScore(a: Partial<Record<AnalyzerName, number>>): number {
  return (
    clampScore(a.velocity) * ANALYZER_WEIGHTS.velocity +
    clampScore(a.amount) * ANALYZER_WEIGHTS.amount +
    clampScore(a.pattern) * ANALYZER_WEIGHTS.pattern +
    clampScore(a.graph) * ANALYZER_WEIGHTS.graph +
    clampScore(a.timing) * ANALYZER_WEIGHTS.timing
  );
}

/**
 * Oracle risk level of a 0..100 score, per the spec's table: SAFE 0-20, LOW 21-40, MEDIUM 41-60,
 * HIGH 61-80, CRITICAL 81-100. The score is rounded to an integer first (like `Decision.score`),
 * so 20.4 is SAFE and 20.5 is LOW. Below 0 is SAFE, above 100 CRITICAL, and NaN is CRITICAL
 * (an unknown risk must never be approved automatically).
 * @example riskLevelOf(20) // 'SAFE'   riskLevelOf(21) // 'LOW'   riskLevelOf(81) // 'CRITICAL'
 */
export function riskLevelOf(score: number): RiskLevel {
  if (Number.isNaN(score)) return 'CRITICAL';
  const s = Math.round(score);
  if (s <= 20) return 'SAFE';
  if (s <= 40) return 'LOW';
  if (s <= 60) return 'MEDIUM';
  if (s <= 80) return 'HIGH';
  return 'CRITICAL';
}

/** What the oracle does at each risk level, weakest first. */
export const RISK_ACTIONS = [
  'approve',
  'approve_monitor',
  'approve_flag',
  'manual_approval',
  'block',
] as const;
export type RiskAction = (typeof RISK_ACTIONS)[number];

/** The spec's action for a risk level, with the `approved` / `flagged` / `blocked` flags of its API. */
export interface RiskVerdict {
  readonly level: RiskLevel;
  readonly action: RiskAction;
  /** The payment may go ahead without a human. */
  readonly approved: boolean;
  /** Someone should look at it (review queue or manual approval). */
  readonly flagged: boolean;
  readonly blocked: boolean;
}

/**
 * The spec's action per level: SAFE approve; LOW approve, normal monitoring; MEDIUM approve, flag
 * for review; HIGH require manual approval; CRITICAL block automatically.
 * @example RISK_LEVEL_ACTIONS.HIGH.action // 'manual_approval'
 */
export const RISK_LEVEL_ACTIONS: Readonly<Record<RiskLevel, RiskVerdict>> = Object.freeze({
  SAFE: Object.freeze({ level: 'SAFE', action: 'approve', approved: true, flagged: false, blocked: false }),
  LOW: Object.freeze({
    level: 'LOW',
    action: 'approve_monitor',
    approved: true,
    flagged: false,
    blocked: false,
  }),
  MEDIUM: Object.freeze({
    level: 'MEDIUM',
    action: 'approve_flag',
    approved: true,
    flagged: true,
    blocked: false,
  }),
  HIGH: Object.freeze({
    level: 'HIGH',
    action: 'manual_approval',
    approved: false,
    flagged: true,
    blocked: false,
  }),
  CRITICAL: Object.freeze({
    level: 'CRITICAL',
    action: 'block',
    approved: false,
    flagged: true,
    blocked: true,
  }),
});

/**
 * Level and action of a 0..100 score (see {@link riskLevelOf} for the bands).
 * @example riskVerdictOf(55) // { level: 'MEDIUM', action: 'approve_flag', approved: true, flagged: true, blocked: false }
 */
export function riskVerdictOf(score: number): RiskVerdict {
  return RISK_LEVEL_ACTIONS[riskLevelOf(score)];
}
