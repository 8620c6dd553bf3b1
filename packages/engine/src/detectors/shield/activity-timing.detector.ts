import Type from 'typebox';
import { SIGNAL_EVENT_IMPACTS, type BuiltinEventType } from '../../events/event-types.js';
import { DAY, HOUR, first, hist, type FirstSpec, type HistSpec } from '../../features/feature-spec.js';
import type { Detector, DetectorContext, DetectorOutput } from '../detector.js';
import type { EvidenceValue } from '../signal.js';
import { optCount, optDuration, optEnabled, optEventTypes, optHour, optUnit } from './shield-options.js';
import { formatDuration, graded, pushSignal, round } from './shield-signal.js';

/** Options of the activity-timing detector. */
export interface ActivityTimingOptions {
  /** Run this detector. */
  readonly enabled: boolean;
  /** Score of the rarest hour (spec base impact of behavioral_anomaly). */
  readonly impact: number;
  /** Event types whose hour of day is profiled and checked. */
  readonly types: readonly BuiltinEventType[];
  /** Events in the user's hour profile before unusual hours are judged. */
  readonly minHistory: number;
  /** Account age (since first seen) before unusual hours are judged: a profile must span days. */
  readonly minHistoryMs: number;
  /** The current hour (smoothed with its neighbours) is unusual below this share of the profile. */
  readonly rareShare: number;
  /** First local hour of the night (inclusive). */
  readonly nightStartHour: number;
  /** Local hour the night ends (exclusive); may be below the start (the night wraps midnight). */
  readonly nightEndHour: number;
  /** Local time from the event's longitude (15° per hour); UTC when false or without geo. */
  readonly useGeoOffset: boolean;
  /** Score of night-time activity by a user without enough history (0 turns it off). */
  readonly nightScore: number;
  /**
   * Share of the score an unusual hour keeps by day. People shift their days (a late lunch, an
   * evening off) far more than they start acting at 03:00, when account takeovers cluster, so an
   * unusual daytime hour is supporting evidence rather than a finding of its own.
   */
  readonly daytimeFactor: number;
}

/** Defaults: unusual below 2% of ≥ 30 past events over ≥ 7 days (40% of the score by day); night 00:00-05:00 local. @example ACTIVITY_TIMING_DEFAULTS.minHistory; // 30 */
export const ACTIVITY_TIMING_DEFAULTS: ActivityTimingOptions = Object.freeze({
  enabled: true,
  impact: SIGNAL_EVENT_IMPACTS.behavioral_anomaly,
  types: Object.freeze(['login', 'payment', 'transfer', 'withdrawal', 'game_bet'] as const),
  minHistory: 30,
  minHistoryMs: 7 * DAY,
  rareShare: 0.02,
  nightStartHour: 0,
  nightEndHour: 5,
  useGeoOffset: true,
  nightScore: 0.15,
  daytimeFactor: 0.4,
});

/** Schema of {@link ActivityTimingOptions} (every field optional). @example Compile(ActivityTimingOptionsSchema).Check({ nightStartHour: 23 }) */
export const ActivityTimingOptionsSchema = Type.Object(
  {
    enabled: optEnabled(),
    impact: optUnit('Score of the rarest hour (default 0.5)'),
    types: optEventTypes('Event types profiled (default login, payment, transfer, withdrawal, game_bet)'),
    minHistory: optCount('Past events before unusual hours are judged (default 30)'),
    minHistoryMs: optDuration('Account age before unusual hours are judged (default 7 days)'),
    rareShare: optUnit('Share of the profile below which an hour is unusual (default 0.02)'),
    nightStartHour: optHour('First local night hour (default 0)'),
    nightEndHour: optHour('Local hour the night ends, exclusive (default 5)'),
    useGeoOffset: Type.Optional(Type.Boolean({ description: 'Local time from longitude (default true)' })),
    nightScore: optUnit('Score of night activity without history, 0 = off (default 0.15)'),
    daytimeFactor: optUnit('Share of the score an unusual hour keeps by day (default 0.4)'),
  },
  { additionalProperties: false },
);

/** The features the activity-timing detector reads. */
export interface ActivityTimingFeatures {
  /** The user's past events per UTC hour of day. */
  readonly hours: HistSpec;
  /** When the user was first seen (any event type). */
  readonly firstSeen: FirstSpec;
}

/** @example activityTimingFeatures(ACTIVITY_TIMING_DEFAULTS).hours.of; // 'hour' */
export function activityTimingFeatures(opts: ActivityTimingOptions): ActivityTimingFeatures {
  return {
    hours: hist({ entity: 'user', of: 'hour', types: opts.types }),
    firstSeen: first({ entity: 'user' }),
  };
}

function historyLabel(total: number, firstSeen: number | undefined, at: number): string {
  if (firstSeen === undefined) return 'a new account';
  const age = at - firstSeen;
  const span =
    age < HOUR
      ? 'under an hour'
      : formatDuration(age < 2 * DAY ? Math.floor(age / HOUR) * HOUR : Math.floor(age / DAY) * DAY);
  return `${total} events, account age ${span}`;
}

function mod24(x: number): number {
  return ((x % 24) + 24) % 24;
}

function clock(h: number, offset: number): string {
  const zone = offset === 0 ? 'UTC' : `UTC${offset > 0 ? '+' : ''}${offset}`;
  return `${h < 10 ? '0' : ''}${h}:00 ${zone}`;
}

/**
 * Unusual activity timing (spec proactive rule 8). With enough history (`minHistory` events in
 * the user's UTC hour-of-day profile and an account at least `minHistoryMs` old, so the profile
 * spans days rather than one busy afternoon), activity in an hour holding less than `rareShare` of the
 * profile (the hour plus half of each neighbour, so a 09:00 habit also covers 08:xx) raises
 * `shield.activity_timing.unusual_hour`, scored by how rare, in full at local night and
 * `daytimeFactor` of it by day. Without enough history, activity
 * in the local night (longitude offset) raises a weak `shield.activity_timing.night`. A user
 * who habitually acts at night is left alone. Category `timing`.
 * @example const d = createActivityTimingDetector(ACTIVITY_TIMING_DEFAULTS); // 03:00 login of a 9-to-5 user -> fires
 */
export function createActivityTimingDetector(opts: ActivityTimingOptions): Detector {
  const f = activityTimingFeatures(opts);
  const start = opts.nightStartHour;
  const end = opts.nightEndHour;
  const isNight = (h: number): boolean => (start <= end ? h >= start && h < end : h >= start || h < end);
  return {
    id: 'shield.activity_timing',
    features: [f.hours, f.firstSeen],
    appliesTo: opts.types,
    detect(ctx: DetectorContext, out: DetectorOutput): void {
      const e = ctx.event;
      if (e.user === undefined || !Number.isFinite(e.at)) return;
      const utcHour = mod24(Math.floor(e.at / HOUR));
      const offset = opts.useGeoOffset && e.geo !== undefined ? Math.round(e.geo.lon / 15) : 0;
      const localHour = mod24(utcHour + offset);
      const night = isNight(localHour);
      const h = ctx.features.get(f.hours);
      let total = 0;
      for (let i = 0; i < h.length; i++) total += h[i] ?? 0;

      const firstSeen = ctx.features.get(f.firstSeen);
      const known =
        total >= opts.minHistory && firstSeen !== undefined && e.at - firstSeen >= opts.minHistoryMs;
      if (known) {
        const here = h[utcHour] ?? 0;
        const near = here + 0.5 * ((h[mod24(utcHour - 1)] ?? 0) + (h[mod24(utcHour + 1)] ?? 0));
        const share = near / total;
        if (!(share < opts.rareShare)) return;
        const score = graded(opts.impact, 1 - share / opts.rareShare) * (night ? 1 : opts.daytimeFactor);
        const evidence: Record<string, EvidenceValue> = {
          utcHour,
          localHour,
          utcOffset: offset,
          eventsThisHour: here,
          history: total,
          share: round(share, 4),
          night,
        };
        pushSignal(
          out,
          'shield.activity_timing.unusual_hour',
          score,
          'timing',
          `User ${e.user} is active at ${clock(localHour, offset)}${night ? ' (night)' : ''}, an hour that holds ` +
            `${here} of their ${total} past events (${round(share * 100, 1)}% with neighbouring hours, below ` +
            `${round(opts.rareShare * 100, 1)}%); score ${round(score, 2)}.`,
          evidence,
        );
        return;
      }

      if (!night || !(opts.nightScore > 0)) return;
      pushSignal(
        out,
        'shield.activity_timing.night',
        opts.nightScore,
        'timing',
        `User ${e.user} is active at ${clock(localHour, offset)}, at night, with too little history` +
          ` (${historyLabel(total, firstSeen, e.at)}) to know their usual hours; score ${round(opts.nightScore, 2)}.`,
        { utcHour, localHour, utcOffset: offset, history: total, night },
      );
    },
  };
}
