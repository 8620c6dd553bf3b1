import { describe, expect, it } from 'vitest';
import { DAY, HOUR, MINUTE } from '../../features/feature-spec.js';
import { T0, createPipeline } from '../testing/fake-features.js';
import { createBehaviorDetectors } from './index.js';

describe('behaviour detectors on the in-memory feature store', () => {
  it('a genuine user earns trust with account age', () => {
    const next = createPipeline(createBehaviorDetectors());
    const base = { user: 'ann', device: 'ann-phone', ip: '192.0.2.10' };
    const scores = [0, 1, 7, 15, 31].map(
      (day, i) =>
        next({ ...base, type: i === 0 ? 'signup' : 'login', at: T0 + day * DAY }).facets.behaviorScore,
    );
    // 100 - 20 × (1 - age / 30 d): 80, 80.7, 84.7, 90, then fully mature.
    expect(scores).toEqual([80, 81, 85, 90, 100]);
  });

  it('an account farm on one device and IP scores low and says why', () => {
    const next = createPipeline(createBehaviorDetectors());
    const results = [];
    for (let i = 1; i <= 8; i++) {
      results.push(
        next({
          type: 'signup',
          user: `bot${i}`,
          device: 'farm-1',
          ip: '198.51.100.66',
          at: T0 + i * MINUTE,
        }),
      );
    }
    const last = results.at(-1)!;
    // 100 - 20 (new) - 20 (8 accounts on the device) - 10.7 (cluster of 8) - 7.1 (8 IP signups)
    // - 1.2 (8 accounts on the IP) = 40.9
    expect(last.facets.behaviorScore).toBe(41);
    const s = last.signals.find((x) => x.code === 'behavior.low_score')!;
    expect(s.evidence['factors']).toEqual([
      'account_age',
      'accounts_per_device',
      'linked_accounts',
      'ip_signups',
      'accounts_per_ip',
    ]);
    expect(s.evidence['accounts_per_device']).toBe(8);
    expect(s.evidence['linked_accounts']).toBe(8);
  });

  it('a self-referral from the referrer’s own device is a fake referral', () => {
    const next = createPipeline(createBehaviorDetectors());
    next({ type: 'login', user: 'alice', device: 'alice-laptop', ip: '192.0.2.1', at: T0 });
    const r = next({
      type: 'referral',
      user: 'alice-alt',
      referrer: 'alice',
      device: 'alice-laptop',
      ip: '203.0.113.50',
      at: T0 + HOUR,
    });
    const s = r.signals.find((x) => x.code === 'behavior.fake_referral');
    expect(s?.evidence['factors']).toEqual(['self_device']);
    expect(s?.score).toBe(0.9);
  });

  it('referrals that never become active are flagged once they mature; active ones are not', () => {
    const next = createPipeline(createBehaviorDetectors());
    const refer = (referrer: string, i: number, day: number) =>
      next({
        type: 'referral',
        user: `${referrer}-r${i}`,
        referrer,
        device: `${referrer}-dev${i}`,
        ip: `10.${referrer.length}.0.${i}`,
        at: T0 + day * DAY + i * MINUTE,
      });
    // Two referrers, ten referrals each over the first days.
    for (let i = 0; i < 10; i++) {
      refer('mallory', i, i % 3);
      refer('bob', i, i % 3);
    }
    // Bob's referred users log in (the app attributes their events to bob); one of mallory's does.
    for (let i = 0; i < 10; i++) {
      next({
        type: 'login',
        user: `bob-r${i}`,
        referrer: 'bob',
        device: `bob-dev${i}`,
        at: T0 + 5 * DAY + i * MINUTE,
      });
    }
    next({
      type: 'login',
      user: 'mallory-r0',
      referrer: 'mallory',
      device: 'mallory-dev0',
      at: T0 + 5 * DAY,
    });
    const m = refer('mallory', 10, 10);
    const b = refer('bob', 10, 10);
    const s = m.signals.find((x) => x.code === 'behavior.fake_referral');
    expect(s?.evidence).toMatchObject({
      factors: ['inactive_referrals'],
      maturedReferrals: 10,
      activeReferred: 1,
    });
    expect(b.signals.filter((x) => x.code === 'behavior.fake_referral')).toEqual([]);
  });
});
