import { MONEY_EVENT_TYPES } from '../../events/event-types.js';
import type { LastValue, Seen } from '../../features/feature-spec.js';
import type { DetectorOutput } from '../detector.js';
import { severityOf, type AlertType, type EvidenceValue, type Outcome, type Signal } from '../signal.js';
import type { AnalyzerName } from './oracle-ensemble.js';

/**
 * The event types every oracle analyzer and feature looks at (payments, transfers, withdrawals).
 * @example ORACLE_TYPES.includes('transfer') // true
 */
export const ORACLE_TYPES = MONEY_EVENT_TYPES;

/**
 * Writes an analyzer's 0..100 score into the output's facets, creating the map if needed.
 * @example setAnalyzerScore(out, 'velocity', 70); out.facets.analyzers?.velocity // 70
 */
export function setAnalyzerScore(out: DetectorOutput, name: AnalyzerName, score: number): void {
  const map = out.facets.analyzers ?? (out.facets.analyzers = {});
  map[name] = score;
}

/**
 * Appends an analyzer finding: `score` is the finding's 0..100 score (the signal carries it as
 * 0..1), the category is the analyzer's name.
 * @example emitFinding(out, 'amount', 'oracle.amount.structuring', 70, 'AMOUNT_ANOMALY', 'just under 10k', { amount: 9500 });
 */
export function emitFinding(
  out: DetectorOutput,
  category: AnalyzerName,
  code: string,
  score: number,
  alert: AlertType | undefined,
  reason: string,
  evidence: Readonly<Record<string, EvidenceValue>>,
  action?: Outcome,
): void {
  const s = score / 100;
  const signal: Signal =
    alert === undefined
      ? { code, score: s, severity: severityOf(s), category, reason, evidence }
      : { code, score: s, severity: severityOf(s), category, reason, evidence, alert };
  out.signals.push(action === undefined ? signal : { ...signal, action });
}

/**
 * The amount of a remembered value, or undefined when it is missing or not a number.
 * @example seenAmount({ value: 5, at: 0 }) // 5
 */
export function seenAmount(seen: Seen<LastValue> | undefined): number | undefined {
  return seen !== undefined && typeof seen.value === 'number' ? seen.value : undefined;
}

/**
 * Whether two amounts differ by at most `tolerance` relative to the larger one.
 * @example nearlyEqual(100, 96, 0.05) // true
 */
export function nearlyEqual(a: number, b: number, tolerance: number): boolean {
  const m = a > b ? a : b;
  if (m <= 0) return a === b;
  return Math.abs(a - b) <= tolerance * m;
}

/**
 * Rounds to at most 4 decimals, for readable evidence.
 * @example round4(1.234567) // 1.2346
 */
export function round4(x: number): number {
  return Math.round(x * 10_000) / 10_000;
}
