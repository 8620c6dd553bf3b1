import { describe, expect, it } from 'vitest';
import type { VigilEvent } from '../../events/event.js';
import {
  ACTIVITY_TIMING_DEFAULTS,
  activityTimingFeatures,
  createActivityTimingDetector,
} from './activity-timing.detector.js';
import { DAY, HOUR } from '../../features/feature-spec.js';
import { T0, createFakeFeatures, runDetector, testEvent } from '../testing/fake-features.js';

const d = createActivityTimingDetector(ACTIVITY_TIMING_DEFAULTS);
const f = activityTimingFeatures(ACTIVITY_TIMING_DEFAULTS);

/** A profile with `perHour` past events in each of the given UTC hours. */
function profile(hours: readonly number[], perHour: number): number[] {
  const h = new Array<number>(24).fill(0);
  for (const hour of hours) h[hour] = perHour;
  return h;
}
const OFFICE = profile([9, 10, 11, 12, 13, 14, 15, 16, 17], 12); // 108 events, 09:00-17:59 UTC
const at = (hour: number) => Date.UTC(2026, 0, 5, hour, 17);
const MONTH_AGO = T0 - 30 * DAY;
const run = (hist: readonly number[], fields: Partial<VigilEvent>, firstSeen: number | null = MONTH_AGO) =>
  runDetector(
    d,
    testEvent({ type: 'login', user: 'u1', ...fields }),
    createFakeFeatures(d.features)
      .set(f.hours, hist)
      .set(f.firstSeen, firstSeen ?? undefined),
  );

describe('activity-timing detector', () => {
  it("declares the user's hour-of-day profile over logins and money events", () => {
    expect(d.features).toEqual([f.hours, f.firstSeen]);
    expect(f.hours).toMatchObject({ kind: 'hist', entity: 'user', of: 'hour' });
    expect(f.firstSeen).toMatchObject({ kind: 'first', entity: 'user' });
    expect(d.appliesTo).toEqual(['login', 'payment', 'transfer', 'withdrawal', 'game_bet']);
  });

  it('flags a 03:00 login by an office-hours user', () => {
    const [s, ...rest] = run(OFFICE, { at: at(3) });
    expect(rest).toEqual([]);
    expect(s?.code).toBe('shield.activity_timing.unusual_hour');
    expect(s?.category).toBe('timing');
    expect(s?.score).toBeCloseTo(0.5, 10);
    expect(s?.evidence).toMatchObject({
      utcHour: 3,
      localHour: 3,
      eventsThisHour: 0,
      history: 108,
      share: 0,
      night: true,
    });
    expect(s?.reason).toBe(
      'User u1 is active at 03:00 UTC (night), an hour that holds 0 of their 108 past events (0% with neighbouring hours, below 2%); score 0.5.',
    );
  });

  it('stays quiet inside and next to the usual hours', () => {
    expect(run(OFFICE, { at: at(10) })).toEqual([]);
    expect(run(OFFICE, { at: at(8) })).toEqual([]); // half of 09:00's 12 = 5.6%
    expect(run(OFFICE, { at: at(18) })).toEqual([]);
  });

  it('grades by how rare the hour is', () => {
    const h = profile([9, 10, 11, 12, 13, 14, 15, 16, 17], 11);
    h[2] = 1; // 1 of 100 events at 02:00: share 1%, half the 2% threshold
    const [s] = run(h, { at: at(2) });
    expect(s?.evidence['share']).toBe(0.01);
    expect(s?.score).toBeCloseTo(0.5 * (0.6 + 0.4 * 0.5), 10);
  });

  it('scores an unusual daytime hour at 40% of the night score: supporting evidence only', () => {
    // The office-hours user active at 21:00 UTC: outside the profile, but not at night.
    const [s] = run(OFFICE, { at: at(21) });
    expect(s?.code).toBe('shield.activity_timing.unusual_hour');
    expect(s?.evidence).toMatchObject({ localHour: 21, share: 0, night: false });
    expect(s?.score).toBeCloseTo(0.5 * 0.4, 10);
    expect(s?.severity).toBe('low');
    const full = createActivityTimingDetector({ ...ACTIVITY_TIMING_DEFAULTS, daytimeFactor: 1 });
    const fake = createFakeFeatures(full.features).set(f.hours, OFFICE).set(f.firstSeen, MONTH_AGO);
    expect(
      runDetector(full, testEvent({ type: 'login', user: 'u1', at: at(21) }), fake)[0]?.score,
    ).toBeCloseTo(0.5, 10);
  });

  it('leaves a habitual night owl alone', () => {
    expect(run(profile([1, 2, 3, 4], 20), { at: at(3) })).toEqual([]);
  });

  it('uses the longitude for local time', () => {
    // 16:00 UTC is 02:00 in Sydney (151°E, UTC+10).
    const [s] = run(OFFICE, { at: at(16), geo: { lat: -33.87, lon: 151.21 } });
    expect(s).toBeUndefined(); // 16:00 UTC is within this user's usual UTC hours
    const newcomer = run(profile([], 0), { at: at(16), geo: { lat: -33.87, lon: 151.21 } }, null);
    expect(newcomer[0]?.code).toBe('shield.activity_timing.night');
    expect(newcomer[0]?.evidence).toMatchObject({ utcHour: 16, localHour: 2, utcOffset: 10 });
    expect(newcomer[0]?.reason).toBe(
      'User u1 is active at 02:00 UTC+10, at night, with too little history (a new account) to know their usual hours; score 0.15.',
    );
  });

  it('gives a new user at night only the weak night signal, and nothing by day', () => {
    const few = profile([10, 11], 5);
    const [s] = run(few, { at: at(1) });
    expect(s?.code).toBe('shield.activity_timing.night');
    expect(s?.score).toBe(0.15);
    expect(s?.severity).toBe('info');
    expect(s?.reason).toContain('(10 events, account age 29 days)');
    expect(run(few, { at: at(14) })).toEqual([]);
  });

  it('does not judge the hours of a young account, however busy', () => {
    // 108 events in three days: the profile does not span enough days to call 03:00 unusual.
    const young = run(OFFICE, { at: at(3) }, at(3) - 3 * DAY - 2 * HOUR);
    expect(young.map((s) => s.code)).toEqual(['shield.activity_timing.night']);
    expect(young[0]?.reason).toContain('(108 events, account age 3 days)');
    expect(run(OFFICE, { at: at(3) }, at(3) - 20 * 60_000)[0]?.reason).toContain('account age under an hour');
    expect(run(OFFICE, { at: at(3) }, at(3) - 30 * HOUR)[0]?.reason).toContain('account age 30 hours');
    // A first-seen time after the event (clock skew) is no history either.
    expect(run(OFFICE, { at: at(3) }, at(3) + HOUR)[0]?.code).toBe('shield.activity_timing.night');
  });

  it('follows night options, including a night that wraps midnight, and can turn it off', () => {
    const wrap = createActivityTimingDetector({
      ...ACTIVITY_TIMING_DEFAULTS,
      nightStartHour: 22,
      nightEndHour: 6,
    });
    const fake = createFakeFeatures(wrap.features);
    const ev = (hour: number) => testEvent({ type: 'payment', user: 'u1', at: at(hour) });
    expect(runDetector(wrap, ev(23), fake)[0]?.code).toBe('shield.activity_timing.night');
    expect(runDetector(wrap, ev(5), fake)[0]?.code).toBe('shield.activity_timing.night');
    expect(runDetector(wrap, ev(6), fake)).toEqual([]);
    const off = createActivityTimingDetector({ ...ACTIVITY_TIMING_DEFAULTS, nightScore: 0 });
    expect(runDetector(off, ev(2), createFakeFeatures(off.features))).toEqual([]);
    const utc = createActivityTimingDetector({ ...ACTIVITY_TIMING_DEFAULTS, useGeoOffset: false });
    const sydney = testEvent({ type: 'login', user: 'u1', at: at(16), geo: { lat: -33.87, lon: 151.21 } });
    expect(runDetector(utc, sydney, createFakeFeatures(utc.features))).toEqual([]);
  });

  it('needs a user and one of its event types', () => {
    expect(
      runDetector(
        d,
        testEvent({ type: 'login', at: at(3) }),
        createFakeFeatures(d.features).set(f.hours, OFFICE),
      ),
    ).toEqual([]);
    expect(run(OFFICE, { type: 'social', at: at(3) })).toEqual([]);
  });

  it('handles times before 1970 without a negative hour', () => {
    const [s] = run(profile([], 0), { at: Date.UTC(1969, 11, 31, 2, 0) });
    expect(s?.evidence['utcHour']).toBe(2);
  });
});
