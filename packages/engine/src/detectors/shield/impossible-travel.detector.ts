import Type from 'typebox';
import { SIGNAL_EVENT_IMPACTS, type BuiltinEventType } from '../../events/event-types.js';
import { HOUR, MINUTE, last, type LastSpec } from '../../features/feature-spec.js';
import { haversineKm } from '../../util/geo.js';
import type { Detector, DetectorContext, DetectorOutput } from '../detector.js';
import type { EvidenceValue } from '../signal.js';
import { optDuration, optEnabled, optEventTypes, optPositive, optUnit } from './shield-options.js';
import { graded, pushSignal, ramp, round } from './shield-signal.js';

/** Options of the impossible-travel detector. */
export interface ImpossibleTravelOptions {
  /** Run this detector. */
  readonly enabled: boolean;
  /** Score when the speed saturates (spec base impact of impossible_travel). */
  readonly impact: number;
  /** Event types whose geo is compared (and remembered). */
  readonly types: readonly BuiltinEventType[];
  /** Fastest plausible travel in km/h (a long-haul flight). */
  readonly maxSpeedKmh: number;
  /** Jumps shorter than this are ignored (geo-IP jitter, VPN exits in the same region). */
  readonly minDistanceKm: number;
  /** The elapsed time is at least this, so simultaneous events give a finite speed. */
  readonly minElapsedMs: number;
  /** Speed as a multiple of `maxSpeedKmh` at which the score is the full impact. */
  readonly saturateFactor: number;
}

/** Defaults: faster than 900 km/h over at least 500 km. @example IMPOSSIBLE_TRAVEL_DEFAULTS.maxSpeedKmh; // 900 */
export const IMPOSSIBLE_TRAVEL_DEFAULTS: ImpossibleTravelOptions = Object.freeze({
  enabled: true,
  impact: SIGNAL_EVENT_IMPACTS.impossible_travel,
  types: Object.freeze(['login', 'payment', 'transfer', 'withdrawal'] as const),
  maxSpeedKmh: 900,
  minDistanceKm: 500,
  minElapsedMs: MINUTE,
  saturateFactor: 4,
});

/** Schema of {@link ImpossibleTravelOptions} (every field optional). @example Compile(ImpossibleTravelOptionsSchema).Check({ maxSpeedKmh: 1000 }) */
export const ImpossibleTravelOptionsSchema = Type.Object(
  {
    enabled: optEnabled(),
    impact: optUnit('Score when the speed saturates (default 0.7)'),
    types: optEventTypes('Event types whose geo is compared (default login, payment, transfer, withdrawal)'),
    maxSpeedKmh: optPositive('Fastest plausible travel in km/h (default 900)'),
    minDistanceKm: optPositive('Shorter jumps are ignored as geo-IP jitter (default 500)'),
    minElapsedMs: optDuration('Floor of the elapsed time (default 1 minute)'),
    saturateFactor: optPositive('Speed over the maximum at which the score is full (default 4)'),
  },
  { additionalProperties: false },
);

/** The features the impossible-travel detector reads. */
export interface ImpossibleTravelFeatures {
  /** The user's previous geo (and when) among the checked event types. */
  readonly previous: LastSpec;
}

/** @example impossibleTravelFeatures(IMPOSSIBLE_TRAVEL_DEFAULTS).previous.field; // 'geo' */
export function impossibleTravelFeatures(opts: ImpossibleTravelOptions): ImpossibleTravelFeatures {
  return { previous: last({ entity: 'user', field: 'geo', types: opts.types }) };
}

function place(g: { readonly lat: number; readonly lon: number; readonly country?: string }): string {
  const at = `(${round(g.lat, 2)}, ${round(g.lon, 2)})`;
  return g.country === undefined ? at : `${g.country} ${at}`;
}

/**
 * Impossible travel: the distance between this event's geo and the user's previous one, over
 * the time between them, is faster than a plane (spec proactive rule 3). Jumps under
 * `minDistanceKm` are ignored; a first event or a missing geo is skipped; events that arrive
 * out of order (previous geo is newer) are judged on the absolute time between them. Code
 * `shield.impossible_travel.speed`, category `identity` (account takeover or shared credentials).
 * @example const d = createImpossibleTravelDetector(IMPOSSIBLE_TRAVEL_DEFAULTS); // London then New York 1 h later -> fires
 */
export function createImpossibleTravelDetector(opts: ImpossibleTravelOptions): Detector {
  const f = impossibleTravelFeatures(opts);
  const maxSpeed = opts.maxSpeedKmh;
  return {
    id: 'shield.impossible_travel',
    features: [f.previous],
    appliesTo: opts.types,
    detect(ctx: DetectorContext, out: DetectorOutput): void {
      const e = ctx.event;
      const geo = e.geo;
      if (e.user === undefined || geo === undefined) return;
      const prev = ctx.features.get(f.previous);
      if (prev === undefined) return;
      const from = prev.value;
      if (typeof from !== 'object') return;
      if (!Number.isFinite(from.lat) || !Number.isFinite(from.lon)) return;
      if (!Number.isFinite(geo.lat) || !Number.isFinite(geo.lon)) return;
      const km = haversineKm(from, geo);
      if (!(km >= opts.minDistanceKm)) return;
      const dt = e.at - prev.at;
      const elapsed = Math.max(Math.abs(dt), opts.minElapsedMs);
      const speed = km / (elapsed / HOUR);
      if (!(speed > maxSpeed)) return;
      const score = graded(opts.impact, ramp(speed, maxSpeed, maxSpeed * opts.saturateFactor));
      const minutes = round(Math.abs(dt) / MINUTE, 1);
      const when = dt < 0 ? `${minutes} min later (arrived out of order)` : `${minutes} min earlier`;
      const evidence: Record<string, EvidenceValue> = {
        distanceKm: round(km),
        elapsedMinutes: minutes,
        speedKmh: round(speed),
        maxSpeedKmh: maxSpeed,
        outOfOrder: dt < 0,
        fromLat: from.lat,
        fromLon: from.lon,
        toLat: geo.lat,
        toLon: geo.lon,
      };
      if (from.country !== undefined) evidence['fromCountry'] = from.country;
      if (geo.country !== undefined) evidence['toCountry'] = geo.country;
      pushSignal(
        out,
        'shield.impossible_travel.speed',
        score,
        'identity',
        `User ${e.user}'s ${e.type} from ${place(geo)} is ${round(km)} km from their previous location ` +
          `${place(from)} seen ${when}: ${round(speed)} km/h, above the plausible ${maxSpeed} km/h; score ${round(score, 2)}.`,
        evidence,
      );
    },
  };
}
