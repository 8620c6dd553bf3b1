import { describe, expect, it } from 'vitest';
import {
  COUNTRY_UTC_OFFSETS,
  countryOffsets,
  createTimezoneResolver,
  rangesApart,
} from './timezone-offsets.js';

describe('timezone offsets', () => {
  const resolve = createTimezoneResolver();

  it('resolves IANA zones with their DST range from Intl', () => {
    expect(resolve('America/New_York')).toEqual({ min: -300, max: -240 });
    expect(resolve('Europe/Paris')).toEqual({ min: 60, max: 120 });
    expect(resolve('Asia/Kolkata')).toEqual({ min: 330, max: 330 });
    expect(resolve('Australia/Sydney')).toEqual({ min: 600, max: 660 });
    // IANA's Etc/GMT+5 is UTC-5.
    expect(resolve('Etc/GMT+5')).toEqual({ min: -300, max: -300 });
  });

  it('accepts UTC/GMT labels and minutes east of UTC as number or numeric string', () => {
    expect(resolve('UTC')).toEqual({ min: 0, max: 0 });
    expect(resolve('GMT+5:30')).toEqual({ min: 330, max: 330 });
    expect(resolve(-300)).toEqual({ min: -300, max: -300 });
    expect(resolve('120')).toEqual({ min: 120, max: 120 });
    expect(resolve(-300)).toBe(resolve('-300'));
  });

  it('rejects unknown zones, junk and out-of-range offsets without throwing', () => {
    expect(resolve('Mars/Olympus_Mons')).toBeUndefined();
    expect(resolve('../../etc/passwd')).toBeUndefined();
    expect(resolve('')).toBeUndefined();
    expect(resolve(true)).toBeUndefined();
    expect(resolve(null)).toBeUndefined();
    expect(resolve(undefined)).toBeUndefined();
    expect(resolve(5000)).toBeUndefined();
    expect(resolve(1.5)).toBeUndefined();
    expect(resolve('x'.repeat(100))).toBeUndefined();
  });

  it('has sane country ranges and case-insensitive lookup', () => {
    for (const [code, r] of Object.entries(COUNTRY_UTC_OFFSETS)) {
      expect(code).toMatch(/^[A-Z]{2}$/);
      expect(r.min).toBeLessThanOrEqual(r.max);
      expect(r.min).toBeGreaterThanOrEqual(-12 * 60);
      expect(r.max).toBeLessThanOrEqual(14 * 60);
    }
    expect(countryOffsets('us')).toEqual({ min: -600, max: -240 });
    expect(countryOffsets('ZZ')).toBeUndefined();
    expect(countryOffsets('toString')).toBeUndefined();
  });

  it('compares ranges with a tolerance', () => {
    expect(rangesApart({ min: -300, max: -240 }, { min: 60, max: 120 }, 60)).toBe(true);
    expect(rangesApart({ min: 0, max: 60 }, { min: 60, max: 120 }, 0)).toBe(false);
    expect(rangesApart({ min: 0, max: 0 }, { min: 120, max: 180 }, 60)).toBe(true);
    expect(rangesApart({ min: 0, max: 0 }, { min: 60, max: 120 }, 60)).toBe(false);
  });
});
