import { describe, expect, it } from 'vitest';
import type { VigilEvent } from '../../events/event.js';
import { createFakeFeatures, runDetectorOutput } from '../testing/fake-features.js';
import { resolveOracleOptions } from './oracle-options.js';
import {
  createTimingDetector,
  isLateHour,
  localHour,
  timingFeatures,
  utcHour,
  utcWeekday,
} from './timing.detector.js';

const opts = resolveOracleOptions();
const d = createTimingDetector(opts);
const F = timingFeatures();

// Tuesday 2026-03-10.
const tuesdayAt = (hour: number) => Date.UTC(2026, 2, 10, hour, 15);
/** First seen two months before the test dates: a profile that spans weeks. */
const LONG_AGO = Date.UTC(2026, 0, 10);

function tx(at: number): VigilEvent {
  return { id: 'e1', app: 'app', type: 'payment', at, wallet: 'A', counterparty: 'B', amount: 100 };
}

/** A wallet active 09:00-17:59 UTC on weekdays only: 10 transactions per hour slot. */
function officeHours() {
  const hours = new Array<number>(24).fill(0);
  for (let h = 9; h <= 17; h++) hours[h] = 10;
  const days = [0, 18, 18, 18, 18, 18, 0];
  return createFakeFeatures(d.features).set(F.hours, hours).set(F.days, days).set(F.firstSeen, LONG_AGO);
}

describe('time helpers', () => {
  it('derive UTC hour and weekday', () => {
    expect(utcHour(tuesdayAt(3))).toBe(3);
    expect(utcHour(Date.UTC(2026, 0, 1, 23, 59))).toBe(23);
    expect(utcWeekday(Date.UTC(2026, 0, 4))).toBe(0);
    expect(utcWeekday(tuesdayAt(12))).toBe(2);
    expect(utcWeekday(Date.UTC(1969, 11, 31, 12))).toBe(3);
    expect(utcHour(Date.UTC(1969, 11, 31, 22))).toBe(22);
  });
  it('late-night windows may wrap midnight', () => {
    expect(isLateHour(0, 0, 5)).toBe(true);
    expect(isLateHour(4, 0, 5)).toBe(true);
    expect(isLateHour(5, 0, 5)).toBe(false);
    expect(isLateHour(23, 22, 4)).toBe(true);
    expect(isLateHour(3, 22, 4)).toBe(true);
    expect(isLateHour(12, 22, 4)).toBe(false);
  });
});

describe('oracle.timing', () => {
  it('a usual hour and day scores 0', () => {
    const out = runDetectorOutput(d, tx(tuesdayAt(11)), officeHours());
    expect(out.facets.analyzers).toEqual({ timing: 0 });
    expect(out.signals).toEqual([]);
  });

  it('an hour the wallet never uses scores 60 (in full by day with unusualDaytimeFactor 1)', () => {
    const d = createTimingDetector(resolveOracleOptions({ timing: { unusualDaytimeFactor: 1 } }));
    const out = runDetectorOutput(d, tx(tuesdayAt(21)), officeHours());
    expect(out.facets.analyzers?.timing).toBe(60);
    expect(out.signals[0]).toMatchObject({
      code: 'oracle.timing.unusual_hour',
      category: 'timing',
      alert: 'PATTERN_ANOMALY',
      evidence: { hour: 21, share: 0, history: 90 },
    });
  });

  it('by default halves an unusual hour outside the late night', () => {
    const day = runDetectorOutput(d, tx(tuesdayAt(21)), officeHours());
    expect(day.facets.analyzers?.timing).toBe(30);
    expect(day.signals[0]).toMatchObject({ code: 'oracle.timing.unusual_hour', score: 0.3 });
    // The same wallet at 03:00 on a weekday: the full 60, plus late night.
    const night = runDetectorOutput(d, tx(tuesdayAt(3)), officeHours());
    expect(night.signals.map((x) => [x.code, x.score])).toEqual([
      ['oracle.timing.unusual_hour', 0.6],
      ['oracle.timing.late_night', 0.3],
    ]);
  });

  it('smooths over neighbouring hours', () => {
    // Nothing at 18:00 itself, but 17:00 is busy: an hour next to the usual ones is not unusual.
    expect(runDetectorOutput(d, tx(tuesdayAt(18)), officeHours()).facets.analyzers?.timing).toBe(0);
  });

  it('a rare hour scores 40 (20 by day)', () => {
    const hours = new Array<number>(24).fill(0);
    hours[12] = 99;
    hours[21] = 1;
    const snap = createFakeFeatures(d.features).set(F.hours, hours).set(F.firstSeen, LONG_AGO);
    expect(runDetectorOutput(d, tx(tuesdayAt(21)), snap).facets.analyzers?.timing).toBe(20);
    const full = createTimingDetector(resolveOracleOptions({ timing: { unusualDaytimeFactor: 1 } }));
    expect(runDetectorOutput(full, tx(tuesdayAt(21)), snap).facets.analyzers?.timing).toBe(40);
  });

  it('a weekday the wallet never uses scores 30, a rare one 15', () => {
    const saturday = Date.UTC(2026, 2, 14, 11);
    const out = runDetectorOutput(d, tx(saturday), officeHours());
    expect(out.facets.analyzers?.timing).toBe(30);
    expect(out.signals[0]).toMatchObject({ code: 'oracle.timing.unusual_day', evidence: { weekday: 6 } });
    const days = [2, 20, 20, 20, 20, 20, 0];
    const snap = createFakeFeatures(d.features).set(F.days, days).set(F.firstSeen, LONG_AGO);
    expect(runDetectorOutput(d, tx(Date.UTC(2026, 2, 15, 11)), snap).facets.analyzers?.timing).toBe(15);
  });

  it('late-night activity outside the profile adds up, capped at 100', () => {
    const sunday3am = Date.UTC(2026, 2, 15, 3);
    const out = runDetectorOutput(d, tx(sunday3am), officeHours());
    expect(out.facets.analyzers?.timing).toBe(100);
    expect(out.signals.map((s) => s.code)).toEqual([
      'oracle.timing.unusual_hour',
      'oracle.timing.unusual_day',
      'oracle.timing.late_night',
    ]);
  });

  it('late night counts less for a night owl', () => {
    const hours = new Array<number>(24).fill(0);
    for (let h = 0; h < 6; h++) hours[h] = 10;
    const days = [10, 10, 10, 10, 10, 10, 0];
    const snap = createFakeFeatures(d.features)
      .set(F.hours, hours)
      .set(F.days, days)
      .set(F.firstSeen, LONG_AGO);
    const out = runDetectorOutput(d, tx(tuesdayAt(3)), snap);
    expect(out.facets.analyzers?.timing).toBe(10);
    expect(out.signals[0]).toMatchObject({ code: 'oracle.timing.late_night', evidence: { usual: true } });
    expect(out.signals[0]?.alert).toBeUndefined();
  });

  it('without enough history only late night counts', () => {
    const hours = new Array<number>(24).fill(0);
    hours[12] = 19;
    const snap = createFakeFeatures(d.features).set(F.hours, hours).set(F.days, [0, 0, 19, 0, 0, 0, 0]);
    expect(runDetectorOutput(d, tx(tuesdayAt(21)), snap).facets.analyzers?.timing).toBe(0);
    expect(runDetectorOutput(d, tx(tuesdayAt(2)), snap).facets.analyzers?.timing).toBe(30);
    // The first transaction of a wallet.
    expect(
      runDetectorOutput(d, tx(tuesdayAt(2)), createFakeFeatures(d.features)).facets.analyzers?.timing,
    ).toBe(30);
    expect(runDetectorOutput(d, tx(tuesdayAt(12)), createFakeFeatures(d.features)).signals).toEqual([]);
  });

  it('judges no profile of a wallet seen for less than 7 days, however many transactions', () => {
    // Ninety office-hour transactions, but all within the last two days.
    const young = officeHours().set(F.firstSeen, tuesdayAt(11) - 2 * 24 * 3_600_000);
    const out = runDetectorOutput(d, tx(tuesdayAt(21)), young);
    expect(out.facets.analyzers?.timing).toBe(0);
    expect(out.signals).toEqual([]);
    expect(opts.timing.minHistoryMs).toBe(7 * 24 * 3_600_000);
  });

  it('judges late night in local solar time when the event has a geo', () => {
    expect(localHour(Date.UTC(2026, 0, 1, 3), 139.7)).toBe(12);
    expect(localHour(Date.UTC(2026, 0, 1, 3), -74)).toBe(22);
    // 03:15 UTC is 12:15 in Tokyo: not late night there.
    const tokyo = { ...tx(tuesdayAt(3)), geo: { lat: 35.7, lon: 139.7 } };
    expect(runDetectorOutput(d, tokyo, createFakeFeatures(d.features)).signals).toEqual([]);
    // 18:15 UTC is 03:15 in Tokyo.
    const night = runDetectorOutput(d, { ...tokyo, at: tuesdayAt(18) }, createFakeFeatures(d.features));
    expect(night.facets.analyzers?.timing).toBe(30);
    expect(night.signals[0]).toMatchObject({
      code: 'oracle.timing.late_night',
      evidence: { hour: 3, local: true, usual: false },
    });
    expect(night.signals[0]?.reason).toContain('3:00 local time');
    // Switched off: UTC as before.
    const utc = createTimingDetector(resolveOracleOptions({ timing: { useGeoOffset: false } }));
    expect(runDetectorOutput(utc, tokyo, createFakeFeatures(utc.features)).facets.analyzers?.timing).toBe(30);
  });

  it('follows a configured late-night window', () => {
    const d2 = createTimingDetector(resolveOracleOptions({ timing: { lateStartHour: 22, lateEndHour: 4 } }));
    const snap = createFakeFeatures(d2.features);
    expect(runDetectorOutput(d2, tx(tuesdayAt(23)), snap).facets.analyzers?.timing).toBe(30);
    expect(runDetectorOutput(d2, tx(tuesdayAt(4)), snap).facets.analyzers?.timing).toBe(0);
  });

  it('writes 0 without a wallet', () => {
    const { wallet: _w, ...event } = tx(tuesdayAt(3));
    expect(runDetectorOutput(d, event, createFakeFeatures(d.features)).facets.analyzers).toEqual({
      timing: 0,
    });
  });
});
