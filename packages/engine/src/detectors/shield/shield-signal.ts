import type { VigilEvent } from '../../events/event.js';
import type { DetectorOutput } from '../detector.js';
import {
  severityOf,
  type AlertType,
  type EvidenceValue,
  type Signal,
  type SignalCategory,
} from '../signal.js';
import { DAY, HOUR, MINUTE, SECOND } from '../../features/feature-spec.js';

/**
 * Share of a finding's full score given at its threshold; the rest grows with strength. A finding
 * that just crosses its threshold is already meaningful, one far past it earns the full impact.
 */
export const GRADE_FLOOR = 0.6;

/**
 * Clamps to 0..1; NaN becomes 0.
 * @example clamp01(1.7); // 1
 */
export function clamp01(x: number): number {
  return x > 1 ? 1 : x > 0 ? x : 0;
}

/**
 * Where x sits between lo (0) and hi (1), clamped; NaN gives 0, and hi <= lo gives 1 above lo.
 * @example ramp(15, 10, 20); // 0.5
 */
export function ramp(x: number, lo: number, hi: number): number {
  if (!(x > lo)) return 0;
  if (!(hi > lo) || x >= hi) return 1;
  return (x - lo) / (hi - lo);
}

/**
 * Score of a finding: `GRADE_FLOOR` of `max` at strength 0, all of it at strength 1.
 * @example graded(0.8, 0); // 0.48   graded(0.8, 1); // 0.8
 */
export function graded(max: number, strength: number): number {
  return clamp01(max * (GRADE_FLOOR + (1 - GRADE_FLOOR) * clamp01(strength)));
}

/**
 * Rounds for reasons and evidence.
 * @example round(2.3456, 2); // 2.35
 */
export function round(x: number, digits = 0): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/**
 * A numeric attribute of the event, or undefined when absent, not a number or not finite.
 * @example attrNumber({ ...e, attrs: { payout: 50 } }, 'payout'); // 50
 */
export function attrNumber(e: VigilEvent, name: string): number | undefined {
  const v = e.attrs?.[name];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/**
 * A string attribute of the event, or undefined.
 * @example attrString({ ...e, attrs: { status: 'failed' } }, 'status'); // 'failed'
 */
export function attrString(e: VigilEvent, name: string): string | undefined {
  const v = e.attrs?.[name];
  return typeof v === 'string' ? v : undefined;
}

/**
 * True when an attribute is set as a flag: `true`, `1`, or the strings 'true' / '1'.
 * @example attrFlag({ ...e, attrs: { ip_vpn: 1 } }, 'ip_vpn'); // true
 */
export function attrFlag(e: VigilEvent, name: string): boolean {
  const v = e.attrs?.[name];
  return v === true || v === 1 || v === 'true' || v === '1';
}

/**
 * A duration in words, for reasons (computed once per detector, not per event).
 * @example formatDuration(7 * DAY); // '7 days'   formatDuration(HOUR); // '1 hour'
 */
export function formatDuration(ms: number): string {
  const unit = (n: number, word: string) => `${round(n, 1)} ${word}${n === 1 ? '' : 's'}`;
  if (ms >= DAY && ms % DAY === 0) return unit(ms / DAY, 'day');
  if (ms >= HOUR) return unit(ms / HOUR, 'hour');
  if (ms >= MINUTE) return unit(ms / MINUTE, 'minute');
  return unit(ms / SECOND, 'second');
}

/**
 * A window in words for "in the last …" and "per …": a single unit drops its "1".
 * @example formatPeriod(HOUR); // 'hour'   formatPeriod(7 * DAY); // '7 days'
 */
export function formatPeriod(ms: number): string {
  const s = formatDuration(ms);
  return s.startsWith('1 ') ? s.slice(2) : s;
}

/**
 * Writes one signal; severity follows the score.
 * @example pushSignal(out, 'shield.device_reuse.accounts', 0.7, 'identity', 'Device used by 5 accounts.', { accounts: 5 });
 */
export function pushSignal(
  out: DetectorOutput,
  code: string,
  score: number,
  category: SignalCategory,
  reason: string,
  evidence: Readonly<Record<string, EvidenceValue>>,
  alert?: AlertType,
): void {
  const s = clamp01(score);
  const signal: Signal =
    alert === undefined
      ? { code, score: s, severity: severityOf(s), category, reason, evidence }
      : { code, score: s, severity: severityOf(s), category, reason, evidence, alert };
  out.signals.push(signal);
}
