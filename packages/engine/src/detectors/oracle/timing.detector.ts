import { DAY, HOUR, first, hist, type FirstSpec, type HistSpec } from '../../features/feature-spec.js';
import type { Detector, DetectorContext, DetectorOutput } from '../detector.js';
import type { OracleOptions } from './oracle-options.js';
import { emitFinding, ORACLE_TYPES, round4, setAnalyzerScore } from './oracle-shared.js';

/** The features the timing analyzer reads. */
export interface TimingFeatures {
  /** Sender's transactions per UTC hour of day (before this one). */
  readonly hours: HistSpec;
  /** Sender's transactions per UTC weekday, Sunday first (before this one). */
  readonly days: HistSpec;
  /** Sender's first money event (the velocity analyzer's spec: shared state). */
  readonly firstSeen: FirstSpec;
}

/**
 * The feature specs of the timing analyzer.
 * @example timingFeatures().hours.of // 'hour'
 */
export function timingFeatures(): TimingFeatures {
  return {
    hours: hist({ entity: 'wallet', of: 'hour', types: ORACLE_TYPES }),
    days: hist({ entity: 'wallet', of: 'dow', types: ORACLE_TYPES }),
    firstSeen: first({ entity: 'wallet', types: ORACLE_TYPES }),
  };
}

/**
 * UTC hour of day (0..23) of an epoch-ms time.
 * @example utcHour(Date.UTC(2026, 0, 1, 3, 30)) // 3
 */
export function utcHour(at: number): number {
  const h = Math.floor(at / HOUR) % 24;
  return h < 0 ? h + 24 : h;
}

/**
 * UTC weekday (0 = Sunday .. 6) of an epoch-ms time.
 * @example utcWeekday(Date.UTC(2026, 0, 4)) // 0 (a Sunday)
 */
export function utcWeekday(at: number): number {
  // 1970-01-01 was a Thursday (4).
  const d = (Math.floor(at / DAY) + 4) % 7;
  return d < 0 ? d + 7 : d;
}

/**
 * Whether an hour lies in the late-night window [start, end), which may wrap midnight.
 * @example isLateHour(3, 0, 5) // true   isLateHour(23, 22, 4) // true
 */
export function isLateHour(hour: number, start: number, end: number): boolean {
  return start <= end ? hour >= start && hour < end : hour >= start || hour < end;
}

/**
 * Local solar hour of day (0..23) at a longitude: UTC plus one hour per 15° east, rounded to the
 * nearest whole hour offset (time zones are whole hours almost everywhere).
 * @example localHour(Date.UTC(2026, 0, 1, 3), 139.7) // 12 (Tokyo)
 */
export function localHour(at: number, lon: number): number {
  const h = (utcHour(at) + Math.round(lon / 15)) % 24;
  return h < 0 ? h + 24 : h;
}

function total(counts: readonly number[]): number {
  let t = 0;
  for (let i = 0; i < counts.length; i++) t += counts[i] ?? 0;
  return t;
}

/**
 * The timing analyzer (`oracle.timing`). Scores 0..100 as the capped sum of:
 * - unusual hour (needs `minHistory` transactions in the wallet's profile, over at least
 *   `minHistoryMs` since the wallet was first seen): the share of the profile within ±1 hour of
 *   now is 0 → 60, under `rareHourShare` → 40, times `unusualDaytimeFactor` outside the late
 *   night (PATTERN_ANOMALY);
 * - unusual weekday (same history needs): this weekday's share is 0 → 30, under `rareDayShare` →
 *   15 (PATTERN_ANOMALY);
 * - late night (`lateStartHour`..`lateEndHour`, local solar time from the event's longitude when
 *   it has a geo and `useGeoOffset`, else UTC) → 30, or 10 when the profile shows the wallet is
 *   usually active at this UTC hour.
 * @example createTimingDetector(resolveOracleOptions()).id // 'oracle.timing'
 */
export function createTimingDetector(opts: OracleOptions): Detector {
  const o = opts.timing;
  const F = timingFeatures();
  return {
    id: 'oracle.timing',
    features: Object.freeze([F.hours, F.days, F.firstSeen]),
    appliesTo: ORACLE_TYPES,
    detect(ctx: DetectorContext, out: DetectorOutput): void {
      const e = ctx.event;
      if (e.wallet === undefined) {
        setAnalyzerScore(out, 'timing', 0);
        return;
      }
      const f = ctx.features;
      const hour = utcHour(e.at);
      let score = 0;

      const lon = e.geo?.lon;
      const local = o.useGeoOffset && lon !== undefined && Number.isFinite(lon);
      const clock = local ? localHour(e.at, lon) : hour;
      const late = isLateHour(clock, o.lateStartHour, o.lateEndHour);
      const firstAt = f.get(F.firstSeen);
      const spans = firstAt !== undefined && e.at - firstAt >= o.minHistoryMs;
      const hours = f.get(F.hours);
      const hTotal = total(hours);
      const profiled = spans && hTotal >= o.minHistory;
      let hourUsual = false;
      if (profiled) {
        const near = (hours[(hour + 23) % 24] ?? 0) + (hours[hour] ?? 0) + (hours[(hour + 1) % 24] ?? 0);
        const share = near / hTotal;
        const base = near === 0 ? 60 : share < o.rareHourShare ? 40 : 0;
        hourUsual = base === 0;
        const s = late ? base : Math.round(base * o.unusualDaytimeFactor);
        if (s > 0) {
          score += s;
          emitFinding(
            out,
            'timing',
            'oracle.timing.unusual_hour',
            s,
            'PATTERN_ANOMALY',
            `The wallet rarely transacts around ${hour}:00 UTC (${round4(share * 100)}% of ${hTotal} past transactions).`,
            { hour, share: round4(share), history: hTotal },
          );
        }
      }

      const days = f.get(F.days);
      const dTotal = total(days);
      if (spans && dTotal >= o.minHistory) {
        const day = utcWeekday(e.at);
        const n = days[day] ?? 0;
        const share = n / dTotal;
        const s = n === 0 ? 30 : share < o.rareDayShare ? 15 : 0;
        if (s > 0) {
          score += s;
          emitFinding(
            out,
            'timing',
            'oracle.timing.unusual_day',
            s,
            'PATTERN_ANOMALY',
            `The wallet rarely transacts on this weekday (${round4(share * 100)}% of ${dTotal} past transactions).`,
            { weekday: day, share: round4(share), history: dTotal },
          );
        }
      }

      if (late) {
        const s = hourUsual ? 10 : 30;
        score += s;
        emitFinding(
          out,
          'timing',
          'oracle.timing.late_night',
          s,
          undefined,
          hourUsual
            ? `Late-night activity (${clock}:00 ${local ? 'local time' : 'UTC'}), though usual for this wallet.`
            : `Late-night activity (${clock}:00 ${local ? 'local time' : 'UTC'}), when account takeovers and drains cluster.`,
          { hour: clock, local, usual: hourUsual },
        );
      }

      setAnalyzerScore(out, 'timing', score > 100 ? 100 : score);
    },
  };
}
