import { describe, expect, it } from 'vitest';
import { DAY, HOUR, count } from '../../features/feature-spec.js';
import { createFakeFeatures, makeEvent, runDetectors } from '../testing/fake-features.js';
import { createIpSignupDetector } from './ip-signup.detector.js';
import { MAF_DEFAULTS } from './maf-options.js';

const detector = createIpSignupDetector();
const signups = count({ entity: 'ip', types: ['signup'], window: HOUR });
const signup = makeEvent({ type: 'signup', user: 'u9', ip: '203.0.113.9' });
const run = (n: number, e = signup, d = detector) =>
  runDetectors([d], e, createFakeFeatures(d.features, [[signups, n]]));

describe('maf.ip_signup', () => {
  it('declares one windowed signup count per IP and only looks at signups', () => {
    expect(detector.features.map((f) => f.key)).toEqual([signups.key]);
    expect(detector.appliesTo).toEqual(['signup']);
  });

  it('stays GREEN below the yellow threshold (first and second signup)', () => {
    expect(run(1).facets.anomalies).toBeUndefined();
    expect(run(2).signals).toEqual([]);
  });

  it('is YELLOW at 3 and RED at 5 signups from one IP in an hour', () => {
    const y = run(3);
    expect(y.facets.anomalies).toEqual(['ip_signup_cluster']);
    expect(y.signals[0]).toMatchObject({
      code: 'maf.ip_signup_cluster',
      category: 'pattern',
      score: 0.45,
      severity: 'medium',
      evidence: { ip: '203.0.113.9', signups: 3, level: 'YELLOW', anomaly: 'ip_signup_cluster' },
    });
    expect(y.signals[0]!.alert).toBeUndefined();
    const r = run(5);
    expect(r.signals[0]).toMatchObject({ score: 0.75, severity: 'high', alert: 'SYBIL_ATTACK' });
    expect(r.signals[0]!.evidence['level']).toBe('RED');
    expect(r.signals[0]!.reason).toBe('5 signups from IP 203.0.113.9 in 1h (RED at 5).');
  });

  it('appends to existing anomalies without duplicating', () => {
    const out = { signals: [], facets: { anomalies: ['login_velocity', 'ip_signup_cluster'] } };
    runDetectors([detector], signup, createFakeFeatures(detector.features, [[signups, 4]]), signup.at, out);
    expect(out.facets.anomalies).toEqual(['login_velocity', 'ip_signup_cluster']);
  });

  it('ignores signups without an IP', () => {
    expect(run(9, makeEvent({ type: 'signup', user: 'u9' })).signals).toEqual([]);
  });

  it('uses configured windows and thresholds', () => {
    const d = createIpSignupDetector({ ...MAF_DEFAULTS, ipSignup: { window: DAY, yellowAt: 10, redAt: 20 } });
    const daily = count({ entity: 'ip', types: ['signup'], window: DAY });
    expect(d.features[0]!.key).toBe(daily.key);
    const r = runDetectors([d], signup, createFakeFeatures(d.features, [[daily, 12]]));
    expect(r.signals[0]!.evidence['level']).toBe('YELLOW');
    expect(r.signals[0]!.reason).toContain('in 24h');
  });
});
