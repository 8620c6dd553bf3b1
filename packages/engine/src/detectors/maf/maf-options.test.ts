import type { Static } from 'typebox';
import Compile from 'typebox/compile';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { HOUR, count } from '../../features/feature-spec.js';
import { createFakeFeatures, makeEvent, runDetectors } from '../testing/fake-features.js';
import {
  MAF_DEFAULTS,
  MafOptionsSchema,
  createMafDetectors,
  createMafFlagDetector,
  escalate,
  type MafOptions,
  type MafOptionsInput,
  type MafOverrides,
} from './index.js';

const check = Compile(MafOptionsSchema);

describe('MAF options', () => {
  it('defaults are frozen and valid against the schema', () => {
    expect(Object.isFrozen(MAF_DEFAULTS)).toBe(true);
    expect(Object.isFrozen(MAF_DEFAULTS.ipSignup)).toBe(true);
    expect(Object.isFrozen(MAF_DEFAULTS.escalation.matrix.RED)).toBe(true);
    expect(check.Check(MAF_DEFAULTS)).toBe(true);
    const asConfig: Static<typeof MafOptionsSchema> = MAF_DEFAULTS;
    expect(asConfig).toBe(MAF_DEFAULTS);
  });

  it('accepts partial sections; rejects unknown keys, bad levels and partial matrices', () => {
    expect(check.Check({})).toBe(true);
    expect(check.Check({ ipSignup: { redAt: 8 } })).toBe(true);
    expect(check.Check({ ipSignup: { redAt: 8, extra: 1 } })).toBe(false);
    expect(check.Check({ ipsignup: {} })).toBe(false);
    expect(check.Check({ duplicateUpload: { nearLevel: 'GREEN' } })).toBe(false);
    expect(check.Check({ fingerprint: { headlessScreens: ['800 x 600'] } })).toBe(false);
    expect(check.Check({ escalation: { matrix: { RED: MAF_DEFAULTS.escalation.matrix.RED } } })).toBe(false);
    expect(check.Check({ escalation: { matrix: { ...MAF_DEFAULTS.escalation.matrix } } })).toBe(true);
  });

  it('the schema type fits the overrides type', () => {
    expectTypeOf<MafOptionsInput>().toMatchTypeOf<MafOverrides>();
    expectTypeOf<Partial<MafOptions>>().toMatchTypeOf<MafOverrides>();
  });
});

describe('createMafDetectors', () => {
  it('returns the 7 patterns, fingerprint, and the flag detector last, with stable ids', () => {
    const ds = createMafDetectors();
    expect(ds.map((d) => d.id)).toEqual([
      'maf.ip_signup',
      'maf.device_signup',
      'maf.wallet_connect',
      'maf.nft_listing',
      'maf.referral_spam',
      'maf.duplicate_upload',
      'maf.login_velocity',
      'maf.fingerprint',
      'maf.flag',
    ]);
    expect(createMafFlagDetector().id).toBe(ds.at(-1)!.id);
  });

  it('spec example: a signup with ip, user agent and screen gets a flag colour and anomalies', () => {
    const ds = createMafDetectors({ ipSignup: { yellowAt: 4 } });
    const signups = count({ entity: 'ip', types: ['signup'], window: HOUR });
    const features = ds.flatMap((d) => d.features);
    const signup = makeEvent({
      type: 'signup',
      user: 'u1',
      ip: '203.0.113.5',
      userAgent: 'Mozilla/5.0',
      attrs: { screen: '1920x1080' },
    });
    const clean = runDetectors(ds, signup, createFakeFeatures(features, [[signups, 3]]));
    expect(clean.facets).toEqual({ flag: 'GREEN' });
    const flagged = runDetectors(ds, signup, createFakeFeatures(features, [[signups, 4]]));
    expect(flagged.facets).toEqual({ flag: 'YELLOW', anomalies: ['ip_signup_cluster'] });
    // behavior_score = 65 in the spec's example: a YELLOW flag at 65 is monitored.
    expect(escalate(flagged.facets.flag!, 65).action).toBe('monitor');
  });
});
