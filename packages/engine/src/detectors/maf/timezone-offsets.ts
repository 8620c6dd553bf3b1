import type { AttrValue } from '../../events/event.js';

/** A UTC-offset range in minutes east of UTC (UTC+2 → 120), standard time to daylight time. */
export interface OffsetRange {
  readonly min: number;
  readonly max: number;
}

const r = (min: number, max = min): OffsetRange => Object.freeze({ min, max });
const H = 60;

/**
 * Plausible UTC offsets (minutes, standard and daylight time, all regions) of common countries
 * by ISO 3166 alpha-2 code. Countries not listed are not checked.
 */
export const COUNTRY_UTC_OFFSETS: Readonly<Record<string, OffsetRange>> = Object.freeze({
  // Americas
  US: r(-10 * H, -4 * H),
  CA: r(-8 * H, -2.5 * H),
  MX: r(-8 * H, -5 * H),
  BR: r(-5 * H, -2 * H),
  AR: r(-3 * H),
  CL: r(-6 * H, -3 * H),
  CO: r(-5 * H),
  PE: r(-5 * H),
  EC: r(-6 * H, -5 * H),
  VE: r(-4 * H),
  BO: r(-4 * H),
  PY: r(-4 * H, -3 * H),
  UY: r(-3 * H),
  GT: r(-6 * H),
  CR: r(-6 * H),
  PA: r(-5 * H),
  DO: r(-4 * H),
  PR: r(-4 * H),
  CU: r(-5 * H, -4 * H),
  JM: r(-5 * H),
  // Europe
  GB: r(0, H),
  IE: r(0, H),
  PT: r(-H, H),
  IS: r(0),
  ES: r(0, 2 * H),
  FR: r(H, 2 * H),
  DE: r(H, 2 * H),
  IT: r(H, 2 * H),
  NL: r(H, 2 * H),
  BE: r(H, 2 * H),
  LU: r(H, 2 * H),
  CH: r(H, 2 * H),
  AT: r(H, 2 * H),
  DK: r(H, 2 * H),
  NO: r(H, 2 * H),
  SE: r(H, 2 * H),
  PL: r(H, 2 * H),
  CZ: r(H, 2 * H),
  SK: r(H, 2 * H),
  HU: r(H, 2 * H),
  SI: r(H, 2 * H),
  HR: r(H, 2 * H),
  RS: r(H, 2 * H),
  BA: r(H, 2 * H),
  MT: r(H, 2 * H),
  AL: r(H, 2 * H),
  FI: r(2 * H, 3 * H),
  EE: r(2 * H, 3 * H),
  LV: r(2 * H, 3 * H),
  LT: r(2 * H, 3 * H),
  UA: r(2 * H, 3 * H),
  RO: r(2 * H, 3 * H),
  BG: r(2 * H, 3 * H),
  GR: r(2 * H, 3 * H),
  CY: r(2 * H, 3 * H),
  MD: r(2 * H, 3 * H),
  BY: r(3 * H),
  RU: r(2 * H, 12 * H),
  TR: r(3 * H),
  // Middle East, Africa
  IL: r(2 * H, 3 * H),
  JO: r(3 * H),
  LB: r(2 * H, 3 * H),
  EG: r(2 * H, 3 * H),
  SA: r(3 * H),
  AE: r(4 * H),
  QA: r(3 * H),
  KW: r(3 * H),
  BH: r(3 * H),
  OM: r(4 * H),
  IQ: r(3 * H),
  IR: r(3.5 * H, 4.5 * H),
  ZA: r(2 * H),
  NG: r(H),
  KE: r(3 * H),
  GH: r(0),
  MA: r(0, H),
  DZ: r(H),
  TN: r(H),
  ET: r(3 * H),
  TZ: r(3 * H),
  UG: r(3 * H),
  SN: r(0),
  CI: r(0),
  CM: r(H),
  // Asia, Oceania
  GE: r(4 * H),
  AM: r(4 * H),
  AZ: r(4 * H),
  KZ: r(5 * H, 6 * H),
  UZ: r(5 * H),
  PK: r(5 * H),
  AF: r(4.5 * H),
  IN: r(5.5 * H),
  LK: r(5.5 * H),
  NP: r(5.75 * H),
  BD: r(6 * H),
  MM: r(6.5 * H),
  TH: r(7 * H),
  VN: r(7 * H),
  KH: r(7 * H),
  LA: r(7 * H),
  ID: r(7 * H, 9 * H),
  MY: r(8 * H),
  SG: r(8 * H),
  PH: r(8 * H),
  CN: r(8 * H),
  HK: r(8 * H),
  MO: r(8 * H),
  TW: r(8 * H),
  MN: r(7 * H, 8 * H),
  KR: r(9 * H),
  JP: r(9 * H),
  AU: r(8 * H, 11 * H),
  NZ: r(12 * H, 13.75 * H),
});

/**
 * The offset range of a country, or undefined when it is not in the table.
 * @example countryOffsets('fr'); // { min: 60, max: 120 }
 */
export function countryOffsets(country: string): OffsetRange | undefined {
  const hit = Object.prototype.hasOwnProperty.call(COUNTRY_UTC_OFFSETS, country)
    ? COUNTRY_UTC_OFFSETS[country]
    : undefined;
  if (hit !== undefined || country.length !== 2) return hit;
  const upper = country.toUpperCase();
  return Object.prototype.hasOwnProperty.call(COUNTRY_UTC_OFFSETS, upper)
    ? COUNTRY_UTC_OFFSETS[upper]
    : undefined;
}

/**
 * Whether two offset ranges are more than `tolerance` minutes apart.
 * @example rangesApart({ min: -300, max: -240 }, { min: 60, max: 120 }, 60); // true
 */
export function rangesApart(a: OffsetRange, b: OffsetRange, tolerance: number): boolean {
  return a.max + tolerance < b.min || b.max + tolerance < a.min;
}

const ZONE_RE = /^[A-Za-z][A-Za-z0-9_+-]*(?:\/[A-Za-z0-9_+-]+){0,2}$/;
const MINUTES_RE = /^[+-]?\d{1,3}$/;
const GMT_RE = /^(?:GMT|UTC)(?:([+-])(\d{1,2})(?::?(\d{2}))?)?$/;
const JANUARY = Date.UTC(2025, 0, 15);
const JULY = Date.UTC(2025, 6, 15);
const MAX_OFFSET = 14 * H;
const CACHE_LIMIT = 1024;

function gmtOffset(label: string): number | undefined {
  const m = GMT_RE.exec(label);
  if (m === null) return undefined;
  if (m[1] === undefined) return 0;
  const minutes = Number(m[2]) * H + Number(m[3] ?? '0');
  return m[1] === '-' ? -minutes : minutes;
}

function zoneOffsets(zone: string): OffsetRange | null {
  if (zone.length > 64 || !ZONE_RE.test(zone)) return null;
  try {
    const fmt = new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'longOffset' });
    let a: number | undefined;
    let b: number | undefined;
    for (const p of fmt.formatToParts(JANUARY)) if (p.type === 'timeZoneName') a = gmtOffset(p.value);
    for (const p of fmt.formatToParts(JULY)) if (p.type === 'timeZoneName') b = gmtOffset(p.value);
    if (a === undefined || b === undefined) return null;
    return r(Math.min(a, b), Math.max(a, b));
  } catch {
    return null; // not a zone this runtime knows
  }
}

/** Resolves a tracker's `attrs.timezone` to the UTC offsets it can mean. */
export type TimezoneResolver = (tz: AttrValue | undefined) => OffsetRange | undefined;

/**
 * A resolver with a bounded memo (zone rules come from the runtime's `Intl` data, computed once
 * per zone for mid-January and mid-July). Accepts an IANA name (`Europe/Paris` → 60..120),
 * `UTC`/`GMT`/`GMT+2`, or an offset in minutes east of UTC as a number or numeric string (`120`
 * for UTC+2: the opposite sign of `Date.prototype.getTimezoneOffset()`).
 * @example const resolve = createTimezoneResolver(); resolve('America/New_York'); // { min: -300, max: -240 }
 */
export function createTimezoneResolver(): TimezoneResolver {
  const zones = new Map<string, OffsetRange | null>();
  const minutes = new Map<number, OffsetRange>();
  const fromMinutes = (m: number): OffsetRange | undefined => {
    if (!Number.isInteger(m) || m < -MAX_OFFSET || m > MAX_OFFSET) return undefined;
    let hit = minutes.get(m);
    if (hit === undefined) {
      hit = r(m);
      minutes.set(m, hit);
    }
    return hit;
  };
  return (tz) => {
    if (typeof tz === 'number') return fromMinutes(tz);
    if (typeof tz !== 'string' || tz === '') return undefined;
    if (MINUTES_RE.test(tz)) return fromMinutes(Number(tz));
    let hit = zones.get(tz);
    if (hit === undefined) {
      const gmt = gmtOffset(tz);
      hit = gmt !== undefined ? (fromMinutes(gmt) ?? null) : zoneOffsets(tz);
      if (zones.size >= CACHE_LIMIT) zones.clear();
      zones.set(tz, hit);
    }
    return hit ?? undefined;
  };
}
