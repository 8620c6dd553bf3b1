import { describe, expect, it } from 'vitest';
import { DAY, distinct } from '../../features/feature-spec.js';
import { createFakeFeatures, makeEvent, runDetectors } from '../testing/fake-features.js';
import { createReferralSpamDetector } from './referral-spam.detector.js';

const types = ['referral'] as const;
const detector = createReferralSpamDetector();
const referrals = distinct({ entity: 'referrer', of: 'user', types, window: DAY });
const devices = distinct({ entity: 'referrer', of: 'device', types, window: DAY });
const ips = distinct({ entity: 'referrer', of: 'ip', types, window: DAY });
const referral = makeEvent({
  type: 'referral',
  user: 'new',
  referrer: 'alice',
  device: 'd',
  ip: '198.51.100.1',
});
const run = (n: number, d: number, i: number, e = referral) =>
  runDetectors(
    [detector],
    e,
    createFakeFeatures(detector.features, [
      [referrals, n],
      [devices, d],
      [ips, i],
    ]),
  );

describe('maf.referral_spam', () => {
  it('does not flag many referrals with diverse devices and IPs (real growth)', () => {
    expect(run(40, 38, 35).signals).toEqual([]);
  });

  it('does not flag few referrals however concentrated', () => {
    expect(run(4, 1, 1).signals).toEqual([]);
  });

  it('is YELLOW for 5+ referrals with diversity <= 0.5 and RED for 10+ with <= 0.3', () => {
    const y = run(6, 3, 6);
    expect(y.facets.anomalies).toEqual(['referral_spam']);
    expect(y.signals[0]!.evidence).toMatchObject({
      referrals: 6,
      devices: 3,
      ips: 6,
      diversity: 0.5,
      level: 'YELLOW',
    });
    const r = run(12, 2, 3);
    expect(r.signals[0]!.evidence).toMatchObject({ diversity: 0.167, level: 'RED' });
    expect(r.signals[0]!.alert).toBe('SYBIL_ATTACK');
    expect(r.signals[0]!.reason).toBe(
      '12 referrals by alice in 24h came from only 2 devices and 3 IPs (diversity 0.167).',
    );
  });

  it('10+ referrals with moderate diversity stay YELLOW', () => {
    expect(run(10, 4, 10).signals[0]!.evidence['level']).toBe('YELLOW');
  });

  it('skips a dimension no referral carried and cannot judge with neither', () => {
    expect(run(10, 0, 10).signals).toEqual([]);
    expect(run(10, 0, 2).signals[0]!.evidence['level']).toBe('RED');
    expect(run(10, 0, 0).signals).toEqual([]);
  });

  it('ignores referral events without a referrer', () => {
    expect(run(20, 1, 1, makeEvent({ type: 'referral', user: 'new' })).signals).toEqual([]);
  });
});
