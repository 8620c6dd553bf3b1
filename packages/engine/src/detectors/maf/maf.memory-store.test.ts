import { describe, expect, it } from 'vitest';
import { DAY, HOUR, MINUTE } from '../../features/feature-spec.js';
import { createBehaviorDetectors } from '../behavior/index.js';
import { T0, createPipeline } from '../testing/fake-features.js';
import { createMafDetectors, createMafStats, escalate } from './index.js';

describe('MAF detectors on the in-memory feature store', () => {
  it('same-IP signups go GREEN, GREEN, YELLOW, YELLOW, RED; another IP stays GREEN', () => {
    const next = createPipeline(createMafDetectors());
    const flags = [1, 2, 3, 4, 5].map(
      (i) =>
        next({ type: 'signup', user: `s${i}`, ip: '203.0.113.77', device: `dev${i}`, at: T0 + i * MINUTE })
          .facets.flag,
    );
    expect(flags).toEqual(['GREEN', 'GREEN', 'YELLOW', 'YELLOW', 'RED']);
    const other = next({ type: 'signup', user: 's9', ip: '192.0.2.9', device: 'dev9', at: T0 + 6 * MINUTE });
    expect(other.facets).toEqual({ flag: 'GREEN' });
    // An hour later the window has emptied.
    const later = next({
      type: 'signup',
      user: 's10',
      ip: '203.0.113.77',
      device: 'dev10',
      at: T0 + 2 * HOUR,
    });
    expect(later.facets.flag).toBe('GREEN');
  });

  it('a device creating accounts is YELLOW at the second signup and RED at the third', () => {
    const next = createPipeline(createMafDetectors());
    next({ type: 'signup', user: 'a1', device: 'emu', ip: '10.0.0.1', at: T0 });
    const second = next({ type: 'signup', user: 'a2', device: 'emu', ip: '10.0.0.2', at: T0 + MINUTE });
    expect(second.facets).toEqual({ flag: 'YELLOW', anomalies: ['device_signup_cluster'] });
    const third = next({ type: 'signup', user: 'a3', device: 'emu', ip: '10.0.0.1', at: T0 + 2 * MINUTE });
    expect(third.facets.flag).toBe('RED');
  });

  it('duplicate and near-duplicate meme uploads', () => {
    const next = createPipeline(createMafDetectors());
    expect(next({ type: 'upload', user: 'u1', contentHash: 'f0f0f0f0aaaa5555', at: T0 }).facets.flag).toBe(
      'GREEN',
    );
    const stolen = next({ type: 'upload', user: 'u2', contentHash: 'f0f0f0f0aaaa5555', at: T0 + HOUR });
    expect(stolen.facets).toEqual({ flag: 'RED', anomalies: ['duplicate_upload'] });
    const tweaked = next({ type: 'upload', user: 'u3', contentHash: 'f0f0f0f0aaaa5557', at: T0 + 2 * HOUR });
    expect(tweaked.facets.flag).toBe('YELLOW');
    expect(tweaked.signals[0]!.evidence).toMatchObject({ kind: 'near', distance: 1 });
    const fresh = next({ type: 'upload', user: 'u4', contentHash: '0f0f0f0f5555aaaa', at: T0 + 3 * HOUR });
    expect(fresh.facets.flag).toBe('GREEN');
  });

  it('login velocity, device switching and a canvas change on one device', () => {
    const next = createPipeline(createMafDetectors());
    const login = (i: number, device: string, canvas = 'c1') =>
      next({ type: 'login', user: 'u1', device, attrs: { canvas, webgl: 'w1' }, at: T0 + i * MINUTE });
    const flags = [0, 1, 2, 3, 4, 5, 6, 7, 8].map((i) => login(i, 'phone').facets.flag);
    expect(flags.every((f) => f === 'GREEN')).toBe(true);
    expect(login(9, 'phone').facets).toEqual({ flag: 'YELLOW', anomalies: ['login_velocity'] });
    const spoofed = login(10, 'phone', 'c2');
    expect(spoofed.facets).toEqual({ flag: 'RED', anomalies: ['login_velocity', 'fingerprint_change'] });
  });

  it('referral spam from one device farm', () => {
    const next = createPipeline(createMafDetectors());
    const results = [];
    for (let i = 0; i < 10; i++) {
      results.push(
        next({
          type: 'referral',
          user: `ref${i}`,
          referrer: 'spammer',
          device: `farm-${i % 2}`,
          ip: '198.51.100.5',
          at: T0 + i * MINUTE,
        }),
      );
    }
    const last = results.at(-1)!;
    expect(last.facets.anomalies).toEqual(['referral_spam']);
    expect(last.signals.find((s) => s.code === 'maf.referral_spam')!.evidence).toMatchObject({
      referrals: 10,
      devices: 2,
      ips: 1,
      level: 'RED',
    });
  });

  it('several events about one referral are not referral spam', () => {
    const next = createPipeline(createMafDetectors());
    const flags = [0, 1, 2, 3, 4, 5].map(
      (i) =>
        next({
          type: 'referral',
          user: 'friend',
          referrer: 'alice',
          device: 'friend-phone',
          ip: '198.51.100.8',
          at: T0 + i * MINUTE,
        }).facets.flag,
    );
    expect(flags).toEqual(['GREEN', 'GREEN', 'GREEN', 'GREEN', 'GREEN', 'GREEN']);
  });

  it('with the behaviour score: a farm signup escalates and stats count the patterns', () => {
    const next = createPipeline([...createBehaviorDetectors(), ...createMafDetectors()]);
    const stats = createMafStats();
    const actions: string[] = [];
    const scores: number[] = [];
    for (let i = 1; i <= 7; i++) {
      const r = next({
        type: 'signup',
        user: `f${i}`,
        device: 'farm',
        ip: '198.51.100.66',
        attrs: { screen: '800x600', timezone: 'UTC' },
        geo: { lat: 40.7, lon: -74, country: 'US' },
        at: T0 + i * MINUTE,
      });
      stats.record(r.facets.anomalies ?? [], r.facets.flag);
      scores.push(r.facets.behaviorScore!);
      actions.push(escalate(r.facets.flag!, r.facets.behaviorScore!).action);
    }
    // Fingerprint findings alone make every signup RED (two findings); the behaviour score falls
    // as the farm grows, and RED with a low score (< 50) restricts.
    expect(scores).toEqual([80, 80, 75, 66, 58, 49, 45]);
    expect(actions).toEqual([
      'challenge',
      'challenge',
      'challenge',
      'challenge',
      'challenge',
      'restrict',
      'restrict',
    ]);
    const s = stats.snapshot();
    expect(s.events).toBe(7);
    expect(s.flags.RED).toBe(7);
    expect(s.patterns['headless_screen']).toEqual({ count: 7, hitRate: 1 });
    expect(s.patterns['timezone_mismatch']!.count).toBe(7);
    expect(s.patterns['device_signup_cluster']!.count).toBe(6);
    expect(s.patterns['ip_signup_cluster']!.count).toBe(5);
    expect(s.patterns['login_velocity']!.count).toBe(0);
  });

  it('a day later a clean device and IP are GREEN again', () => {
    const next = createPipeline(createMafDetectors());
    for (let i = 0; i < 3; i++)
      next({ type: 'signup', user: `x${i}`, device: 'd', ip: '10.1.1.1', at: T0 + i });
    expect(
      next({ type: 'signup', user: 'y', device: 'd', ip: '10.1.1.1', at: T0 + 2 * DAY }).facets.flag,
    ).toBe('GREEN');
  });
});
