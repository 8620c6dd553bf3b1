import Type from 'typebox';
import { SIGNAL_EVENT_IMPACTS, type BuiltinEventType } from '../../events/event-types.js';
import { DAY, HOUR, count, first, type CountSpec, type FirstSpec } from '../../features/feature-spec.js';
import type { Detector, DetectorContext, DetectorOutput } from '../detector.js';
import { optCount, optDuration, optEnabled, optEventTypes, optPositive, optUnit } from './shield-options.js';
import { formatDuration, formatPeriod, graded, pushSignal, ramp, round } from './shield-signal.js';

/** Options of the velocity-spike detector. */
export interface VelocitySpikeOptions {
  /** Run this detector. */
  readonly enabled: boolean;
  /** Score when the spike saturates (spec base impact of velocity_spike). */
  readonly impact: number;
  /** Transaction event types counted (and checked). */
  readonly types: readonly BuiltinEventType[];
  /** The short window whose count is compared with the user's usual rate. */
  readonly shortWindowMs: number;
  /** The long window that gives the user's usual rate. */
  readonly longWindowMs: number;
  /** Fewest events in the short window before a spike can be reported. */
  readonly minCount: number;
  /** Short-window count over the expected count (from the long-run rate) that is a spike. */
  readonly ratio: number;
  /**
   * Floor of the expected count per short window. People transact in sessions: a quiet user's
   * week averages a fraction of a transaction per hour, yet one shopping session holds several,
   * so a spike is judged against at least this many (the oracle analyzer's floor likewise).
   */
  readonly minExpectedPerWindow: number;
  /** Account history (time since first seen) needed before the long-run rate is trusted. */
  readonly minHistoryMs: number;
  /** Absolute cap: more events than this in the short window fire even without history. */
  readonly maxPerWindow: number;
}

/**
 * Defaults: payments, transfers and withdrawals (game bets are play, not money leaving: a game
 * session is dozens of bets); ≥ 5 in 1 h and ≥ 5x the 7-day hourly rate floored at 2 per hour
 * (so at least 10), or more than 30 in 1 h.
 * @example VELOCITY_SPIKE_DEFAULTS.ratio; // 5
 */
export const VELOCITY_SPIKE_DEFAULTS: VelocitySpikeOptions = Object.freeze({
  enabled: true,
  impact: SIGNAL_EVENT_IMPACTS.velocity_spike,
  types: Object.freeze(['payment', 'transfer', 'withdrawal'] as const),
  shortWindowMs: HOUR,
  longWindowMs: 7 * DAY,
  minCount: 5,
  ratio: 5,
  minExpectedPerWindow: 2,
  minHistoryMs: DAY,
  maxPerWindow: 30,
});

/** Schema of {@link VelocitySpikeOptions} (every field optional). @example Compile(VelocitySpikeOptionsSchema).Check({ ratio: 8 }) */
export const VelocitySpikeOptionsSchema = Type.Object(
  {
    enabled: optEnabled(),
    impact: optUnit('Score when the spike saturates (default 0.6)'),
    types: optEventTypes('Transaction event types counted (default payment, transfer, withdrawal)'),
    shortWindowMs: optDuration('Short window (default 1 hour)'),
    longWindowMs: optDuration('Long window giving the usual rate (default 7 days)'),
    minCount: optCount('Fewest events in the short window (default 5)'),
    ratio: optPositive('Count over the expected count that is a spike (default 5)'),
    minExpectedPerWindow: optPositive('Floor of the expected count per short window (default 2)'),
    minHistoryMs: optDuration('Account history needed to trust the usual rate (default 1 day)'),
    maxPerWindow: optCount('Absolute cap per short window (default 30)'),
  },
  { additionalProperties: false },
);

/** The features the velocity-spike detector reads. */
export interface VelocitySpikeFeatures {
  /** The user's transactions in the short window, including this one. */
  readonly recent: CountSpec;
  /** The user's transactions in the long window, including this one. */
  readonly longRun: CountSpec;
  /** When the user was first seen (any event type). */
  readonly firstSeen: FirstSpec;
}

/** @example velocitySpikeFeatures(VELOCITY_SPIKE_DEFAULTS).recent.window; // 3600000 */
export function velocitySpikeFeatures(opts: VelocitySpikeOptions): VelocitySpikeFeatures {
  return {
    recent: count({ entity: 'user', types: opts.types, window: opts.shortWindowMs }),
    longRun: count({ entity: 'user', types: opts.types, window: opts.longWindowMs }),
    firstSeen: first({ entity: 'user' }),
  };
}

/**
 * Velocity spike: a user's transaction count in a short window (1 h) against the user's own
 * long-run rate (7 days, or the account's age when younger, excluding the short window), floored
 * at `minExpectedPerWindow` per window, plus an absolute cap for accounts without history (spec
 * proactive rule 2). Code
 * `shield.velocity_spike.rate` (relative) or `shield.velocity_spike.cap` (absolute), category
 * `velocity`, alert VELOCITY_ANOMALY.
 * @example const d = createVelocitySpikeDetector(VELOCITY_SPIKE_DEFAULTS); // 12 payments in 1 h vs 0.1/h usual -> fires
 */
export function createVelocitySpikeDetector(opts: VelocitySpikeOptions): Detector {
  const f = velocitySpikeFeatures(opts);
  const what = opts.types.join('/');
  const shortLabel = formatPeriod(opts.shortWindowMs);
  const historyLabel = formatDuration(opts.minHistoryMs);
  return {
    id: 'shield.velocity_spike',
    features: [f.recent, f.longRun, f.firstSeen],
    appliesTo: opts.types,
    detect(ctx: DetectorContext, out: DetectorOutput): void {
      const e = ctx.event;
      if (e.user === undefined) return;
      const n = ctx.features.get(f.recent);
      if (!(n >= opts.minCount) && !(n > opts.maxPerWindow)) return;
      const capHit = n > opts.maxPerWindow;
      const firstSeen = ctx.features.get(f.firstSeen);
      const age = firstSeen === undefined ? 0 : e.at - firstSeen;
      const history = Math.min(opts.longWindowMs, age);
      let expected = -1;
      let ratio = 0;
      if (history >= opts.minHistoryMs) {
        // The long window includes the short one: the usual rate comes from the time before it.
        const before = Math.max(0, ctx.features.get(f.longRun) - n);
        const span = Math.max(history - opts.shortWindowMs, opts.shortWindowMs);
        expected = (before * opts.shortWindowMs) / span;
        ratio = n / Math.max(expected, opts.minExpectedPerWindow);
      }
      const spike = n >= opts.minCount && expected >= 0 && ratio >= opts.ratio;
      if (!spike && !capHit) return;
      const sRate = spike ? ramp(ratio, opts.ratio, opts.ratio * 4) : 0;
      const sCap = capHit ? ramp(n, opts.maxPerWindow, opts.maxPerWindow * 3) : 0;
      const score = graded(opts.impact, Math.max(sRate, sCap));
      let detail =
        expected >= 0
          ? `${round(ratio, 1)}x the usual ${round(expected, 2)} per ${shortLabel} (from the previous ${formatDuration(history)})`
          : `no usual rate yet (history under ${historyLabel})`;
      if (capHit) detail += `, above the cap of ${opts.maxPerWindow}`;
      pushSignal(
        out,
        spike ? 'shield.velocity_spike.rate' : 'shield.velocity_spike.cap',
        score,
        'velocity',
        `User ${e.user} made ${n} ${what} events in the last ${shortLabel}: ${detail}; score ${round(score, 2)}.`,
        {
          count: n,
          expected: expected >= 0 ? round(expected, 3) : null,
          ratio: expected >= 0 ? round(ratio, 2) : null,
          historyHours: round(Math.max(0, history) / HOUR, 1),
          cap: opts.maxPerWindow,
        },
        'VELOCITY_ANOMALY',
      );
    },
  };
}
