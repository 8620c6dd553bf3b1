/** Mean Earth radius in km (IUGG). */
export const EARTH_RADIUS_KM = 6371.0088;

const RAD = Math.PI / 180;

/** A point in degrees. */
export interface LatLon {
  readonly lat: number;
  readonly lon: number;
}

/**
 * Great-circle distance in km between two points (haversine formula on a sphere of the mean
 * Earth radius; within 0.5% of the ellipsoidal distance, plenty for travel checks).
 * @example haversineKm({ lat: 51.5074, lon: -0.1278 }, { lat: 40.7128, lon: -74.006 }); // ≈ 5570
 */
export function haversineKm(a: LatLon, b: LatLon): number {
  const dLat = (b.lat - a.lat) * RAD;
  const dLon = (b.lon - a.lon) * RAD;
  const s1 = Math.sin(dLat / 2);
  const s2 = Math.sin(dLon / 2);
  const h = s1 * s1 + Math.cos(a.lat * RAD) * Math.cos(b.lat * RAD) * s2 * s2;
  // Rounding can push h a hair above 1 for antipodes; asin would then return NaN.
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.sqrt(Math.min(1, h)));
}
