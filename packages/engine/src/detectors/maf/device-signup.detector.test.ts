import { describe, expect, it } from 'vitest';
import { DAY, count } from '../../features/feature-spec.js';
import { createFakeFeatures, makeEvent, runDetectors } from '../testing/fake-features.js';
import { createDeviceSignupDetector } from './device-signup.detector.js';

const detector = createDeviceSignupDetector();
const signups = count({ entity: 'device', types: ['signup'], window: DAY });
const signup = makeEvent({ type: 'signup', user: 'u1', device: 'dev-1' });
const run = (n: number, e = signup) =>
  runDetectors([detector], e, createFakeFeatures(detector.features, [[signups, n]]));

describe('maf.device_signup', () => {
  it('stays quiet on the first signup of a device', () => {
    expect(run(1).signals).toEqual([]);
    expect(run(1).facets.anomalies).toBeUndefined();
  });

  it('is YELLOW at the second and RED at the third signup from one device in 24h', () => {
    expect(run(2).signals[0]).toMatchObject({
      code: 'maf.device_signup_cluster',
      category: 'identity',
      evidence: { device: 'dev-1', signups: 2, level: 'YELLOW' },
    });
    const r = run(3);
    expect(r.facets.anomalies).toEqual(['device_signup_cluster']);
    expect(r.signals[0]!.evidence['level']).toBe('RED');
    expect(r.signals[0]!.alert).toBe('SYBIL_ATTACK');
  });

  it('ignores signups without a device and other event types', () => {
    expect(run(5, makeEvent({ type: 'signup', user: 'u1' })).signals).toEqual([]);
    expect(run(5, makeEvent({ type: 'login', user: 'u1', device: 'dev-1' })).signals).toEqual([]);
  });
});
