import { describe, expect, it } from 'vitest';
import { EARTH_RADIUS_KM, haversineKm } from './geo.js';

const LONDON = { lat: 51.5074, lon: -0.1278 };
const NEW_YORK = { lat: 40.7128, lon: -74.006 };
const SYDNEY = { lat: -33.8688, lon: 151.2093 };

describe('haversineKm', () => {
  it('is zero for the same point', () => {
    expect(haversineKm(LONDON, LONDON)).toBe(0);
  });

  it('matches known city distances (great circle, mean radius)', () => {
    expect(haversineKm(LONDON, NEW_YORK)).toBeCloseTo(5570.2, 0);
    expect(haversineKm(LONDON, SYDNEY)).toBeCloseTo(16993.9, 0);
  });

  it('is symmetric', () => {
    expect(haversineKm(NEW_YORK, SYDNEY)).toBeCloseTo(haversineKm(SYDNEY, NEW_YORK), 9);
  });

  it('gives one degree of latitude as 2πR/360', () => {
    expect(haversineKm({ lat: 0, lon: 0 }, { lat: 1, lon: 0 })).toBeCloseTo(
      (2 * Math.PI * EARTH_RADIUS_KM) / 360,
      9,
    );
  });

  it('crosses the antimeridian the short way', () => {
    const d = haversineKm({ lat: 0, lon: 179.5 }, { lat: 0, lon: -179.5 });
    expect(d).toBeCloseTo((2 * Math.PI * EARTH_RADIUS_KM) / 360, 6);
  });

  it('returns half the circumference for antipodes, never NaN', () => {
    expect(haversineKm({ lat: 0, lon: 0 }, { lat: 0, lon: 180 })).toBeCloseTo(Math.PI * EARTH_RADIUS_KM, 6);
    expect(haversineKm({ lat: 90, lon: 0 }, { lat: -90, lon: 0 })).toBeCloseTo(Math.PI * EARTH_RADIUS_KM, 6);
  });
});
