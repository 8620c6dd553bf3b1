import { describe, expect, it } from 'vitest';
import { DAY, HOUR } from '../../features/feature-spec.js';
import { T0, createFakeFeatures, runDetector, testEvent } from '../testing/fake-features.js';
import {
  VELOCITY_SPIKE_DEFAULTS,
  createVelocitySpikeDetector,
  velocitySpikeFeatures,
} from './velocity-spike.detector.js';

const d = createVelocitySpikeDetector(VELOCITY_SPIKE_DEFAULTS);
const f = velocitySpikeFeatures(VELOCITY_SPIKE_DEFAULTS);
/** The detector with the expected count floored at 1 per hour (the floor before sessions counted). */
const floor1 = createVelocitySpikeDetector({ ...VELOCITY_SPIKE_DEFAULTS, minExpectedPerWindow: 1 });
const payment = testEvent({ type: 'payment', user: 'u1', amount: 20 });

function state(recent: number, longRun: number, firstSeen: number | undefined) {
  return createFakeFeatures(d.features)
    .set(f.recent, recent)
    .set(f.longRun, longRun)
    .set(f.firstSeen, firstSeen);
}

describe('velocity-spike detector', () => {
  it('declares per-user transaction counts over 1 h and 7 days and the first-seen time', () => {
    expect(d.features).toEqual([f.recent, f.longRun, f.firstSeen]);
    expect(f.recent).toMatchObject({ kind: 'count', entity: 'user', window: HOUR });
    expect(f.longRun).toMatchObject({ kind: 'count', entity: 'user', window: 7 * DAY });
    expect(f.recent.types).toEqual(['payment', 'transfer', 'withdrawal']);
    expect(d.appliesTo).toEqual(['payment', 'transfer', 'withdrawal']);
  });

  it('does not count game bets as transactions (a game session is dozens of bets)', () => {
    expect(VELOCITY_SPIKE_DEFAULTS.types).not.toContain('game_bet');
    const bet = testEvent({ type: 'game_bet', user: 'u1', amount: 5 });
    expect(d.appliesTo?.includes(bet.type)).toBe(false);
  });

  it("judges a quiet user's busy session against a floor of 2 per hour, not the weekly average", () => {
    // 7 payments a week (0.04 per hour), then a shopping session of 9 in the last hour: 4.5x the floor.
    expect(runDetector(d, payment, state(9, 7 + 9, T0 - 30 * DAY))).toEqual([]);
    // 12 in the hour is 6x the floor of 2.
    const [s] = runDetector(d, payment, state(12, 7 + 12, T0 - 30 * DAY));
    expect(s?.code).toBe('shield.velocity_spike.rate');
    expect(s?.evidence).toMatchObject({ count: 12, ratio: 6 });
    expect(s?.score).toBeCloseTo(0.6 * (0.6 + 0.4 * ((6 - 5) / 15)), 10);
  });

  it('fires when the last hour is far above the 7-day hourly rate', () => {
    // One payment per hour for a week (168 before the last hour), then 12 in the last hour.
    const [s, ...rest] = runDetector(floor1, payment, state(12, 168 + 12, T0 - 30 * DAY));
    expect(rest).toEqual([]);
    const expected = 168 / 167;
    const ratio = 12 / expected;
    expect(s?.code).toBe('shield.velocity_spike.rate');
    expect(s?.category).toBe('velocity');
    expect(s?.alert).toBe('VELOCITY_ANOMALY');
    expect(s?.score).toBeCloseTo(0.6 * (0.6 + 0.4 * ((ratio - 5) / 15)), 10);
    expect(s?.evidence).toMatchObject({ count: 12, ratio: 11.93, expected: 1.006, historyHours: 168 });
    expect(s?.reason).toBe(
      'User u1 made 12 payment/transfer/withdrawal events in the last hour: 11.9x the usual 1.01 per hour (from the previous 7 days); score 0.47.',
    );
  });

  it('stays quiet for a busy but steady trader', () => {
    // 20 an hour for a week, 25 in the last hour: 1.25x.
    expect(runDetector(d, payment, state(25, 20 * 167 + 25, T0 - 90 * DAY))).toEqual([]);
  });

  it('stays quiet below the minimum count even at a high ratio', () => {
    expect(runDetector(d, payment, state(4, 4, T0 - 30 * DAY))).toEqual([]);
  });

  it('fires for a user with no transaction history who suddenly makes several', () => {
    const [s] = runDetector(floor1, payment, state(6, 6, T0 - 30 * DAY));
    expect(s?.code).toBe('shield.velocity_spike.rate');
    expect(s?.evidence['expected']).toBe(0);
    expect(s?.evidence['ratio']).toBe(6);
  });

  it('uses the account age as the baseline of a young account', () => {
    // Two days old: 24 payments in the 47 hours before the last hour, then 10.
    const [s] = runDetector(floor1, payment, state(10, 34, T0 - 2 * DAY));
    expect(s?.evidence['historyHours']).toBe(48);
    expect(s?.evidence['expected']).toBeCloseTo(24 / 47, 3);
    expect(s?.evidence['ratio']).toBe(10);
  });

  it('does not judge the ratio of a first-day account, only the absolute cap', () => {
    expect(runDetector(d, payment, state(12, 12, T0 - 12 * HOUR))).toEqual([]);
    expect(runDetector(d, payment, state(30, 30, undefined))).toEqual([]);
    const [s] = runDetector(d, payment, state(31, 31, undefined));
    expect(s?.code).toBe('shield.velocity_spike.cap');
    expect(s?.score).toBeCloseTo(0.6 * (0.6 + 0.4 * (1 / 60)), 10);
    expect(s?.evidence['expected']).toBeNull();
    expect(s?.reason).toContain('no usual rate yet (history under 1 day), above the cap of 30');
  });

  it('reports the cap even for a steady heavy user', () => {
    const [s] = runDetector(d, payment, state(95, 90 * 167 + 95, T0 - 60 * DAY));
    expect(s?.code).toBe('shield.velocity_spike.cap');
    expect(s?.score).toBeCloseTo(0.6, 10);
  });

  it('treats a first-seen time after the event (clock skew) as no history', () => {
    expect(runDetector(d, payment, state(12, 12, T0 + HOUR))).toEqual([]);
  });

  it('ignores events without a user and event types it does not count', () => {
    const fake = state(50, 50, T0 - 30 * DAY);
    expect(runDetector(d, testEvent({ type: 'payment' }), fake)).toEqual([]);
    expect(runDetector(d, testEvent({ type: 'login', user: 'u1' }), fake)).toEqual([]);
  });
});
