import { describe, expect, it } from 'vitest';
import { DAY, HOUR, distinct, last, type FeatureSpec } from '../../features/feature-spec.js';
import { REFERRAL_ACTIVITY_TYPES, createFakeReferralDetector } from './index.js';
import { T0, createFakeFeatures, makeEvent, runDetectors } from '../testing/fake-features.js';

const referred = (window: number) =>
  distinct({ entity: 'referrer', of: 'user', types: ['referral'], window });
const velocity = referred(HOUR);
const referrals = referred(DAY);
const referredDevices = distinct({ entity: 'referrer', of: 'device', types: ['referral'], window: DAY });
const referredIps = distinct({ entity: 'referrer', of: 'ip', types: ['referral'], window: DAY });
const referrerLastDevice = last({ entity: 'user', field: 'device', readAs: 'referrer' });
const referrerLastIp = last({ entity: 'user', field: 'ip', readAs: 'referrer' });
const referralsLong = referred(30 * DAY);
const referralsGrace = referred(3 * DAY);
const activeReferred = distinct({
  entity: 'referrer',
  of: 'user',
  types: REFERRAL_ACTIVITY_TYPES,
  window: 30 * DAY,
});
const attributing = distinct({
  entity: 'app',
  of: 'referrer',
  types: REFERRAL_ACTIVITY_TYPES,
  window: 7 * DAY,
});

const detector = createFakeReferralDetector();
const referral = (extra: Partial<Parameters<typeof makeEvent>[0]> = {}) =>
  makeEvent({
    type: 'referral',
    user: 'new1',
    referrer: 'alice',
    device: 'dev-new1',
    ip: '198.51.100.20',
    ...extra,
  });

function run(values: readonly (readonly [FeatureSpec, unknown])[], event = referral()) {
  return runDetectors([detector], event, createFakeFeatures(detector.features, values));
}

describe('behavior.fake_referral', () => {
  it('only looks at referral events', () => {
    expect(detector.appliesTo).toEqual(['referral']);
    expect(REFERRAL_ACTIVITY_TYPES).not.toContain('signup');
    expect(REFERRAL_ACTIVITY_TYPES).not.toContain('referral');
    expect(REFERRAL_ACTIVITY_TYPES).toContain('login');
  });

  it('stays quiet on an ordinary referral', () => {
    const r = run([
      [velocity, 1],
      [referrals, 2],
      [referredDevices, 2],
      [referredIps, 2],
      [referrerLastDevice, { value: 'dev-alice', at: T0 - DAY }],
      [referrerLastIp, { value: '192.0.2.1', at: T0 - DAY }],
    ]);
    expect(r.signals).toEqual([]);
  });

  it('flags a self-referral from the referrer’s own device', () => {
    const r = run([[referrerLastDevice, { value: 'dev-new1', at: T0 - HOUR }]]);
    expect(r.signals).toHaveLength(1);
    const s = r.signals[0]!;
    expect(s.code).toBe('behavior.fake_referral');
    expect(s.category).toBe('pattern');
    expect(s.score).toBe(0.9);
    expect(s.evidence['factors']).toEqual(['self_device']);
    expect(s.evidence['referrer']).toBe('alice');
    expect(s.reason).toContain("referrer's own device");
  });

  it('a shared IP alone is not enough (households), with velocity it is', () => {
    const ipOnly = run([[referrerLastIp, { value: '198.51.100.20', at: T0 - HOUR }]]);
    expect(ipOnly.signals).toEqual([]);
    const both = run([
      [referrerLastIp, { value: '198.51.100.20', at: T0 - HOUR }],
      [velocity, 6],
    ]);
    // 1 - (1 - 0.4) * (1 - 0.6 * 3/7)
    expect(both.signals[0]!.score).toBeCloseTo(0.554, 3);
    expect(both.signals[0]!.evidence['factors']).toEqual(['self_ip', 'velocity']);
  });

  it('flags referral velocity at the hard limit', () => {
    const r = run([
      [velocity, 10],
      [referrals, 10],
      [referredDevices, 10],
      [referredIps, 10],
    ]);
    expect(r.signals[0]!.score).toBe(0.6);
    expect(r.signals[0]!.reason).toContain('10 referrals in 1h');
  });

  it('flags many referrals from few devices/IPs (low diversity)', () => {
    const r = run([
      [referrals, 6],
      [referredDevices, 1],
      [referredIps, 3],
    ]);
    expect(r.signals[0]!.score).toBe(0.8);
    expect(r.signals[0]!.evidence['diversity']).toBe(0.167);
    expect(r.signals[0]!.evidence['factors']).toEqual(['low_diversity']);
  });

  it('does not judge diversity below minReferrals or on a dimension no event carried', () => {
    expect(
      run([
        [referrals, 3],
        [referredDevices, 1],
        [referredIps, 1],
      ]).signals,
    ).toEqual([]);
    // No referral carried a device: only IPs count, and they are diverse.
    expect(
      run([
        [referrals, 6],
        [referredDevices, 0],
        [referredIps, 6],
      ]).signals,
    ).toEqual([]);
  });

  it('flags referrers whose matured referrals never became active', () => {
    const r = run([
      [attributing, 40],
      [referralsLong, 12],
      [referralsGrace, 2],
      [activeReferred, 1],
    ]);
    expect(r.signals[0]!.score).toBe(0.7);
    expect(r.signals[0]!.evidence['maturedReferrals']).toBe(10);
    expect(r.signals[0]!.evidence['activeReferred']).toBe(1);
    expect(r.signals[0]!.reason).toContain('9 of 10 referrals older than 3d');
  });

  it('does not judge inactivity when the app never attributes activity, or too few matured', () => {
    const base = [
      [referralsLong, 12],
      [referralsGrace, 2],
      [activeReferred, 0],
    ] as const;
    expect(run([...base, [attributing, 0]]).signals).toEqual([]);
    expect(
      run([
        [attributing, 5],
        [referralsLong, 6],
        [referralsGrace, 2],
      ]).signals,
    ).toEqual([]);
  });

  it('ignores events without a referrer or user', () => {
    const values = [[referrerLastDevice, { value: 'dev-new1', at: T0 }]] as const;
    const noReferrer = makeEvent({ type: 'referral', user: 'new1', device: 'dev-new1' });
    expect(run(values, noReferrer).signals).toEqual([]);
    const noUser = makeEvent({ type: 'referral', referrer: 'alice', device: 'dev-new1' });
    expect(run(values, noUser).signals).toEqual([]);
  });
});
