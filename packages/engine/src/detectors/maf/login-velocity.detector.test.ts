import { describe, expect, it } from 'vitest';
import { HOUR, count, distinct } from '../../features/feature-spec.js';
import { createFakeFeatures, makeEvent, runDetectors } from '../testing/fake-features.js';
import { createLoginVelocityDetector } from './login-velocity.detector.js';

const types = ['login'] as const;
const detector = createLoginVelocityDetector();
const logins = count({ entity: 'user', types, window: HOUR });
const devices = distinct({ entity: 'user', of: 'device', types, window: HOUR });
const login = makeEvent({ type: 'login', user: 'u1', device: 'd1' });
const run = (values: Parameters<typeof createFakeFeatures>[1], e = login) =>
  runDetectors([detector], e, createFakeFeatures(detector.features, values));

describe('maf.login_velocity', () => {
  it('stays quiet for a few logins from one or two devices', () => {
    expect(
      run([
        [logins, 4],
        [devices, 2],
      ]).signals,
    ).toEqual([]);
  });

  it('flags login velocity: YELLOW at 10, RED at 20 logins an hour', () => {
    const y = run([
      [logins, 10],
      [devices, 1],
    ]);
    expect(y.facets.anomalies).toEqual(['login_velocity']);
    expect(y.signals[0]!.reason).toBe('10 logins for one account in 1h.');
    expect(y.signals[0]!.evidence).toMatchObject({
      loginVelocity: true,
      deviceSwitching: false,
      level: 'YELLOW',
    });
    expect(
      run([
        [logins, 20],
        [devices, 1],
      ]).signals[0]!.evidence['level'],
    ).toBe('RED');
  });

  it('flags device switching: YELLOW at 3, RED at 5 devices an hour', () => {
    const y = run([
      [logins, 3],
      [devices, 3],
    ]);
    expect(y.signals[0]!.reason).toBe('Logins from 3 different devices for one account in 1h.');
    expect(y.signals[0]!.evidence).toMatchObject({
      loginVelocity: false,
      deviceSwitching: true,
      level: 'YELLOW',
    });
    const both = run([
      [logins, 12],
      [devices, 5],
    ]);
    expect(both.signals[0]!.evidence['level']).toBe('RED');
    expect(both.signals[0]!.reason).toBe('12 logins from 5 different devices for one account in 1h.');
  });

  it('ignores logins without a user', () => {
    expect(run([[logins, 50]], makeEvent({ type: 'login', device: 'd1' })).signals).toEqual([]);
  });
});
