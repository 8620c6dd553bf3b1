import Compile from 'typebox/compile';
import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  BEHAVIOR_DEFAULTS,
  BehaviorOptionsSchema,
  createBehaviorDetectors,
  mergeSections,
  type BehaviorOptions,
  type BehaviorOptionsInput,
  type BehaviorOverrides,
} from './index.js';
import { createFakeFeatures, makeEvent, runDetectors } from '../testing/fake-features.js';

const check = Compile(BehaviorOptionsSchema);

describe('behaviour options', () => {
  it('defaults are frozen, section by section, and valid against the schema', () => {
    expect(Object.isFrozen(BEHAVIOR_DEFAULTS)).toBe(true);
    expect(Object.isFrozen(BEHAVIOR_DEFAULTS.fakeReferral)).toBe(true);
    expect(check.Check(BEHAVIOR_DEFAULTS)).toBe(true);
  });

  it('the schema accepts partial sections and rejects unknown keys and bad values', () => {
    expect(check.Check({})).toBe(true);
    expect(check.Check({ accountAge: { weight: 30 } })).toBe(true);
    expect(check.Check({ nope: {} })).toBe(false);
    expect(check.Check({ accountAge: { wieght: 30 } })).toBe(false);
    expect(check.Check({ accountAge: { weight: -1 } })).toBe(false);
    expect(check.Check({ fakeReferral: { signalAt: 2 } })).toBe(false);
    expect(check.Check({ devicesPerUser: { window: 0 } })).toBe(false);
  });

  it('the schema type fits the overrides type', () => {
    expectTypeOf<BehaviorOptionsInput>().toMatchTypeOf<BehaviorOverrides>();
    expectTypeOf<Partial<BehaviorOptions>>().toMatchTypeOf<BehaviorOverrides>();
  });

  it('merges overrides shallowly per section, ignoring undefined and unknown fields', () => {
    const o = mergeSections(BEHAVIOR_DEFAULTS, {
      ipSignups: { hard: 20 },
      fakeReferral: { signalAt: 0.7 },
    });
    expect(o.ipSignups).toEqual({ ...BEHAVIOR_DEFAULTS.ipSignups, hard: 20 });
    expect(o.fakeReferral.signalAt).toBe(0.7);
    expect(o.fakeReferral.velocityHard).toBe(BEHAVIOR_DEFAULTS.fakeReferral.velocityHard);
    expect(o.accountAge).toBe(BEHAVIOR_DEFAULTS.accountAge);
    expect(BEHAVIOR_DEFAULTS.ipSignups.hard).toBe(10);
    expect(mergeSections(BEHAVIOR_DEFAULTS, undefined)).toBe(BEHAVIOR_DEFAULTS);
  });

  it('createBehaviorDetectors returns both detectors with stable ids, using the overrides', () => {
    const ds = createBehaviorDetectors({ accountAge: { weight: 50 } });
    expect(ds.map((d) => d.id)).toEqual(['behavior.score', 'behavior.fake_referral']);
    const score = ds[0]!;
    const r = runDetectors(
      [score],
      makeEvent({ type: 'login', user: 'u1' }),
      createFakeFeatures(score.features),
    );
    expect(r.facets.behaviorScore).toBe(50);
  });
});
