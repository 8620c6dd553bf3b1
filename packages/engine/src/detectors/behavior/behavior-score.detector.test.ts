import { describe, expect, it } from 'vitest';
import { DAY, HOUR, cluster, count, distinct, first, type FeatureSpec } from '../../features/feature-spec.js';
import { BEHAVIOR_DEFAULTS, behaviorRiskLevel, createBehaviorScoreDetector, ramp } from './index.js';
import { mergeSections } from './merge-options.js';
import { T0, createFakeFeatures, makeEvent, runDetectors } from '../testing/fake-features.js';

const firstSeen = first({ entity: 'user' });
const devicesPerUser = distinct({ entity: 'user', of: 'device', window: DAY });
const ipsPerUser = distinct({ entity: 'user', of: 'ip', window: DAY });
const accountsPerDevice = distinct({ entity: 'device', of: 'user', window: 7 * DAY });
const accountsPerIp = distinct({ entity: 'ip', of: 'user', window: DAY });
const hourly = count({ entity: 'user', window: HOUR });
const daily = count({ entity: 'user', window: DAY });
const linked = cluster({ entity: 'user', via: ['device'] });
const referralsMade = distinct({
  entity: 'referrer',
  of: 'user',
  types: ['referral'],
  window: DAY,
  readAs: 'user',
});
const ipSignups = count({ entity: 'ip', types: ['signup'], window: HOUR });

const detector = createBehaviorScoreDetector();
const login = (extra: Partial<Parameters<typeof makeEvent>[0]> = {}) =>
  makeEvent({
    type: 'login',
    user: 'u1',
    ip: '203.0.113.7',
    userAgent: 'Mozilla/5.0',
    device: 'd1',
    ...extra,
  });

function score(values: readonly (readonly [FeatureSpec, unknown])[], event = login()) {
  return runDetectors([detector], event, createFakeFeatures(detector.features, values));
}

describe('behavior.score', () => {
  it('scores a login with ip and user agent and gives a risk level (spec example)', () => {
    const r = score([
      [firstSeen, T0 - 90 * DAY],
      [hourly, 2],
      [daily, 5],
      [devicesPerUser, 1],
      [ipsPerUser, 1],
      [accountsPerDevice, 1],
      [accountsPerIp, 1],
    ]);
    expect(r.facets.behaviorScore).toBe(100);
    expect(behaviorRiskLevel(r.facets.behaviorScore!)).toBe('SAFE');
    expect(r.signals).toEqual([]);
  });

  it('takes the full account-age penalty on the first event of a user and stays quiet', () => {
    const r = score([]);
    expect(r.facets.behaviorScore).toBe(80);
    expect(r.signals).toEqual([]);
  });

  it('recovers the age penalty linearly and ramps factors between soft and hard', () => {
    // 15 of 30 days old: 10 points; 4 devices (ramp 2 -> 6): 7.5 points.
    const r = score([
      [firstSeen, T0 - 15 * DAY],
      [devicesPerUser, 4],
    ]);
    expect(r.facets.behaviorScore).toBe(83);
  });

  it('emits a low-score signal naming the factors that lowered it, largest first', () => {
    const r = score([
      [accountsPerDevice, 8],
      [linked, { size: 10 }],
      [ipSignups, 10],
      [hourly, 1],
    ]);
    // 100 - 20 (new) - 20 (device) - 15 (linked) - 10 (ip signups)
    expect(r.facets.behaviorScore).toBe(35);
    expect(r.signals).toHaveLength(1);
    const s = r.signals[0]!;
    expect(s.code).toBe('behavior.low_score');
    expect(s.category).toBe('behavior');
    expect(s.score).toBeCloseTo(0.65);
    expect(s.severity).toBe('high');
    expect(s.evidence['factors']).toEqual([
      'account_age',
      'accounts_per_device',
      'linked_accounts',
      'ip_signups',
    ]);
    expect(s.evidence['penalties']).toEqual([20, 20, 15, 10]);
    expect(s.evidence['accounts_per_device']).toBe(8);
    expect(s.evidence['riskLevel']).toBe('HIGH');
    expect(s.reason).toContain('8 accounts on this device in 7d');
    expect(s.reason).toContain('10 signups from this IP in 1h');
    expect(s.reason).toContain('Behaviour score 35/100');
  });

  it('penalises activity velocity and referrals the user made (read via readAs)', () => {
    const r = score([
      [firstSeen, T0 - 400 * DAY],
      [hourly, 600],
      [daily, 5000],
      [referralsMade, 30],
    ]);
    expect(r.facets.behaviorScore).toBe(60);
    expect(r.signals).toEqual([]);
  });

  it('clamps at 0 when every factor is maxed', () => {
    const r = score([
      [devicesPerUser, 50],
      [ipsPerUser, 50],
      [accountsPerDevice, 50],
      [accountsPerIp, 50],
      [hourly, 5000],
      [daily, 50000],
      [linked, { size: 50 }],
      [referralsMade, 500],
      [ipSignups, 500],
    ]);
    expect(r.facets.behaviorScore).toBe(0);
    expect(r.signals[0]!.severity).toBe('critical');
    expect(r.signals[0]!.evidence['riskLevel']).toBe('CRITICAL');
  });

  it('writes nothing for an event without a user', () => {
    const r = score([[ipSignups, 50]], makeEvent({ type: 'signup', ip: '203.0.113.7' }));
    expect(r.facets.behaviorScore).toBeUndefined();
    expect(r.signals).toEqual([]);
  });

  it('treats an out-of-order event (older than first-seen) as a new account', () => {
    const r = score([[firstSeen, T0 + HOUR]]);
    expect(r.facets.behaviorScore).toBe(80);
  });

  it('honours overrides merged per section', () => {
    const d = createBehaviorScoreDetector(
      mergeSections(BEHAVIOR_DEFAULTS, {
        accountAge: { weight: 0 },
        score: { signalBelow: 95 },
        devicesPerUser: { hard: 3 },
      }),
    );
    const r = runDetectors([d], login(), createFakeFeatures(d.features, [[devicesPerUser, 3]]));
    expect(r.facets.behaviorScore).toBe(85);
    expect(r.signals[0]!.evidence['factors']).toEqual(['devices_per_user']);
  });
});

describe('ramp and behaviorRiskLevel', () => {
  it('ramps linearly and treats NaN and inverted bounds sanely', () => {
    expect(ramp(2, 2, 6)).toBe(0);
    expect(ramp(5, 2, 6)).toBe(0.75);
    expect(ramp(9, 2, 6)).toBe(1);
    expect(ramp(Number.NaN, 2, 6)).toBe(0);
    expect(ramp(3, 2, 1)).toBe(1);
  });

  it('maps scores onto the oracle bands of 100 - score', () => {
    expect([100, 80, 79, 60, 59, 40, 39, 20, 19, 0].map(behaviorRiskLevel)).toEqual([
      'SAFE',
      'SAFE',
      'LOW',
      'LOW',
      'MEDIUM',
      'MEDIUM',
      'HIGH',
      'HIGH',
      'CRITICAL',
      'CRITICAL',
    ]);
  });
});
