import { describe, expect, it } from 'vitest';
import type { Geo } from '../../events/event.js';
import { HOUR, MINUTE } from '../../features/feature-spec.js';
import { haversineKm } from '../../util/geo.js';
import { T0, createFakeFeatures, runDetector, testEvent } from '../testing/fake-features.js';
import {
  IMPOSSIBLE_TRAVEL_DEFAULTS,
  createImpossibleTravelDetector,
  impossibleTravelFeatures,
} from './impossible-travel.detector.js';

const LONDON: Geo = { lat: 51.5074, lon: -0.1278, country: 'GB' };
const NEW_YORK: Geo = { lat: 40.7128, lon: -74.006, country: 'US' };
const PARIS: Geo = { lat: 48.8566, lon: 2.3522, country: 'FR' };
const MOSCOW: Geo = { lat: 55.7558, lon: 37.6173, country: 'RU' };

const d = createImpossibleTravelDetector(IMPOSSIBLE_TRAVEL_DEFAULTS);
const f = impossibleTravelFeatures(IMPOSSIBLE_TRAVEL_DEFAULTS);
const previous = (value: Geo | string | number, at: number) =>
  createFakeFeatures(d.features).set(f.previous, { value, at });
const login = (geo: Geo | undefined, at = T0) =>
  testEvent({ type: 'login', user: 'u1', at, ...(geo === undefined ? {} : { geo }) });

describe('impossible-travel detector', () => {
  it("declares the user's previous geo among logins and money events", () => {
    expect(d.features).toEqual([f.previous]);
    expect(f.previous).toMatchObject({ kind: 'last', entity: 'user', field: 'geo' });
    expect(f.previous.types).toEqual(['login', 'payment', 'transfer', 'withdrawal']);
  });

  it('fires for London then New York one hour later', () => {
    const [s, ...rest] = runDetector(d, login(NEW_YORK), previous(LONDON, T0 - HOUR));
    expect(rest).toEqual([]);
    expect(s?.code).toBe('shield.impossible_travel.speed');
    expect(s?.category).toBe('identity');
    expect(s?.score).toBeCloseTo(0.7, 10); // 5570 km/h is past 4 x 900
    expect(s?.evidence).toMatchObject({
      distanceKm: 5570,
      elapsedMinutes: 60,
      speedKmh: 5570,
      outOfOrder: false,
      fromCountry: 'GB',
      toCountry: 'US',
    });
    expect(s?.reason).toBe(
      "User u1's login from US (40.71, -74.01) is 5570 km from their previous location GB (51.51, -0.13) " +
        'seen 60 min earlier: 5570 km/h, above the plausible 900 km/h; score 0.7.',
    );
  });

  it('grades a speed just above the limit lower', () => {
    // London to Moscow (~2500 km) in 2 hours.
    const km = haversineKm(LONDON, MOSCOW);
    const speed = km / 2;
    const [s] = runDetector(d, login(MOSCOW), previous(LONDON, T0 - 2 * HOUR));
    expect(s?.score).toBeCloseTo(0.7 * (0.6 + 0.4 * ((speed - 900) / 2700)), 10);
    expect(s?.severity).toBe('medium');
  });

  it('stays quiet for a flight at plausible speed', () => {
    expect(runDetector(d, login(NEW_YORK), previous(LONDON, T0 - 8 * HOUR))).toEqual([]);
  });

  it('ignores short jumps however fast (geo-IP jitter)', () => {
    expect(haversineKm(LONDON, PARIS)).toBeLessThan(500);
    expect(runDetector(d, login(PARIS), previous(LONDON, T0 - 2 * MINUTE))).toEqual([]);
  });

  it('needs a previous geo, a current geo and a user', () => {
    expect(runDetector(d, login(NEW_YORK), createFakeFeatures(d.features))).toEqual([]);
    expect(runDetector(d, login(undefined), previous(LONDON, T0 - HOUR))).toEqual([]);
    expect(runDetector(d, testEvent({ type: 'login', geo: NEW_YORK }), previous(LONDON, T0 - HOUR))).toEqual(
      [],
    );
    expect(runDetector(d, login(NEW_YORK), previous('GB', T0 - HOUR))).toEqual([]);
  });

  it('judges out-of-order events by the absolute time between them', () => {
    const [s] = runDetector(d, login(NEW_YORK), previous(LONDON, T0 + 30 * MINUTE));
    expect(s?.evidence).toMatchObject({ outOfOrder: true, elapsedMinutes: 30, speedKmh: 11140 });
    expect(s?.reason).toContain('seen 30 min later (arrived out of order)');
    expect(runDetector(d, login(NEW_YORK), previous(LONDON, T0 + 10 * HOUR))).toEqual([]);
  });

  it('gives simultaneous events a finite speed from the one-minute floor', () => {
    const [s] = runDetector(d, login(NEW_YORK), previous(LONDON, T0));
    expect(s?.evidence).toMatchObject({
      elapsedMinutes: 0,
      speedKmh: Math.round(haversineKm(LONDON, NEW_YORK) * 60),
    });
    expect(s?.score).toBeCloseTo(0.7, 10);
  });

  it('only checks its event types', () => {
    const fake = previous(LONDON, T0 - HOUR);
    expect(runDetector(d, testEvent({ type: 'social', user: 'u1', geo: NEW_YORK }), fake)).toEqual([]);
    expect(runDetector(d, testEvent({ type: 'withdrawal', user: 'u1', geo: NEW_YORK }), fake)).toHaveLength(
      1,
    );
  });

  it('follows maxSpeedKmh and minDistanceKm', () => {
    const opts = { ...IMPOSSIBLE_TRAVEL_DEFAULTS, maxSpeedKmh: 6000 };
    const lenient = createImpossibleTravelDetector(opts);
    const fake = createFakeFeatures(lenient.features).set(impossibleTravelFeatures(opts).previous, {
      value: LONDON,
      at: T0 - HOUR,
    });
    expect(runDetector(lenient, login(NEW_YORK), fake)).toEqual([]);
    const near = createImpossibleTravelDetector({ ...IMPOSSIBLE_TRAVEL_DEFAULTS, minDistanceKm: 100 });
    const nearFake = createFakeFeatures(near.features).set(f.previous, {
      value: LONDON,
      at: T0 - 2 * MINUTE,
    });
    expect(runDetector(near, login(PARIS), nearFake)[0]?.evidence['distanceKm']).toBe(344);
  });
});
