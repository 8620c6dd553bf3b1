import { describe, expect, it } from 'vitest';
import { DAY } from '../../features/feature-spec.js';
import {
  DEVICE_REUSE_DEFAULTS,
  createDeviceReuseDetector,
  deviceReuseFeatures,
} from './device-reuse.detector.js';
import { createFakeFeatures, runDetector, testEvent } from '../testing/fake-features.js';

const d = createDeviceReuseDetector(DEVICE_REUSE_DEFAULTS);
const f = deviceReuseFeatures(DEVICE_REUSE_DEFAULTS);
const withAccounts = (n: number) => createFakeFeatures(d.features).set(f.accounts, n);
const login = testEvent({ type: 'login', user: 'u5', device: 'dev-1' });

describe('device-reuse detector', () => {
  it('declares distinct users per device over 7 days', () => {
    expect(d.id).toBe('shield.device_reuse');
    expect(d.features).toEqual([f.accounts]);
    expect(f.accounts).toMatchObject({ kind: 'distinct', entity: 'device', of: 'user', window: 7 * DAY });
  });

  it('fires when a device carries several accounts', () => {
    const [s, ...rest] = runDetector(d, login, withAccounts(5));
    expect(rest).toEqual([]);
    expect(s?.code).toBe('shield.device_reuse.accounts');
    expect(s?.score).toBeCloseTo(0.8 * (0.6 + 0.4 * (2 / 7)), 10);
    expect(s?.severity).toBe('medium');
    expect(s?.category).toBe('identity');
    expect(s?.alert).toBe('SYBIL_ATTACK');
    expect(s?.reason).toBe(
      'Device dev-1 was used by 5 accounts in the last 7 days (threshold 3); score 0.57.',
    );
    expect(s?.evidence).toEqual({ device: 'dev-1', accounts: 5, threshold: 3, windowMs: 7 * DAY });
  });

  it('scores the threshold at 60% and saturation at the full base impact', () => {
    expect(runDetector(d, login, withAccounts(3))[0]?.score).toBeCloseTo(0.48, 10);
    expect(runDetector(d, login, withAccounts(10))[0]?.score).toBeCloseTo(0.8, 10);
    expect(runDetector(d, login, withAccounts(400))[0]?.score).toBeCloseTo(0.8, 10);
  });

  it('stays quiet for a household (two accounts) and a first event', () => {
    expect(runDetector(d, login, withAccounts(2))).toEqual([]);
    expect(runDetector(d, login, withAccounts(1))).toEqual([]);
    expect(runDetector(d, login, createFakeFeatures(d.features))).toEqual([]);
  });

  it('needs both a device and a user', () => {
    expect(runDetector(d, testEvent({ user: 'u5' }), withAccounts(9))).toEqual([]);
    expect(runDetector(d, testEvent({ device: 'dev-1' }), withAccounts(9))).toEqual([]);
  });

  it('follows its options', () => {
    const opts = { ...DEVICE_REUSE_DEFAULTS, minAccounts: 6, windowMs: DAY };
    const strict = createDeviceReuseDetector(opts);
    const sf = deviceReuseFeatures(opts);
    expect(sf.accounts.key).not.toBe(f.accounts.key);
    const fake = createFakeFeatures(strict.features).set(sf.accounts, 5);
    expect(runDetector(strict, login, fake)).toEqual([]);
    fake.set(sf.accounts, 6);
    expect(runDetector(strict, login, fake)[0]?.reason).toContain('in the last day (threshold 6)');
  });
});
