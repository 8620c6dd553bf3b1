import fc from 'fast-check';
import Compile from 'typebox/compile';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { BUILTIN_EVENT_TYPES } from '../../events/event-types.js';
import type { AttrValue, VigilEvent } from '../../events/event.js';
import type { FeatureSpec } from '../../features/feature-spec.js';
import { assertNever } from '../../util/assert-never.js';
import { SEVERITIES, SIGNAL_CATEGORIES, severityOf } from '../signal.js';
import { T0, createFakeFeatures, runDetector, type FakeFeatures } from '../testing/fake-features.js';
import {
  SHIELD_DEFAULTS,
  SHIELD_DETECTOR_IDS,
  ShieldOptionsSchema,
  createShieldDetectors,
  resolveShieldOptions,
  type ShieldOptions,
  type ShieldOptionsConfig,
  type ShieldOptionsInput,
} from './index.js';

const check = Compile(ShieldOptionsSchema);

describe('shield options', () => {
  it('has deeply frozen defaults', () => {
    expect(Object.isFrozen(SHIELD_DEFAULTS)).toBe(true);
    for (const [key, value] of Object.entries(SHIELD_DEFAULTS)) {
      expect(Object.isFrozen(value), key).toBe(true);
      for (const inner of Object.values(value as object)) {
        if (typeof inner === 'object' && inner !== null) expect(Object.isFrozen(inner), key).toBe(true);
      }
    }
  });

  it('validates its own defaults and an empty configuration', () => {
    expect(check.Check(SHIELD_DEFAULTS)).toBe(true);
    expect(check.Check({})).toBe(true);
    expect(check.Check({ deviceReuse: {}, winRate: { enabled: false } })).toBe(true);
  });

  it('rejects unknown detectors, unknown fields and out-of-range values', () => {
    expect(check.Check({ deviceReus: {} })).toBe(false);
    expect(check.Check({ deviceReuse: { minAcounts: 3 } })).toBe(false);
    expect(check.Check({ deviceReuse: { impact: 1.5 } })).toBe(false);
    expect(check.Check({ deviceReuse: { minAccounts: 2.5 } })).toBe(false);
    expect(check.Check({ impossibleTravel: { maxSpeedKmh: 0 } })).toBe(false);
    expect(check.Check({ velocitySpike: { types: ['payment', 'not_a_type'] } })).toBe(false);
    expect(check.Check({ velocitySpike: { types: [] } })).toBe(false);
    expect(check.Check({ activityTiming: { nightStartHour: 24 } })).toBe(false);
    expect(check.Check({ signalEvents: { impacts: { fraud_signal: 2 } } })).toBe(false);
    expect(check.Check({ signalEvents: { impacts: { login: 0.5 } } })).toBe(false);
    expect(check.Check({ velocitySpike: { shortWindowMs: 10 } })).toBe(false);
  });

  it('keeps its schema and its types in step', () => {
    expectTypeOf<ShieldOptionsConfig>().toExtend<ShieldOptionsInput>();
    expectTypeOf<keyof ShieldOptionsConfig>().toEqualTypeOf<keyof ShieldOptions>();
    type Fields<K extends keyof ShieldOptions> = keyof NonNullable<ShieldOptionsConfig[K]>;
    expectTypeOf<Fields<'deviceReuse'>>().toEqualTypeOf<keyof ShieldOptions['deviceReuse']>();
    expectTypeOf<Fields<'velocitySpike'>>().toEqualTypeOf<keyof ShieldOptions['velocitySpike']>();
    expectTypeOf<Fields<'impossibleTravel'>>().toEqualTypeOf<keyof ShieldOptions['impossibleTravel']>();
    expectTypeOf<Fields<'winRate'>>().toEqualTypeOf<keyof ShieldOptions['winRate']>();
    expectTypeOf<Fields<'paymentRisk'>>().toEqualTypeOf<keyof ShieldOptions['paymentRisk']>();
    expectTypeOf<Fields<'botBehavior'>>().toEqualTypeOf<keyof ShieldOptions['botBehavior']>();
    expectTypeOf<Fields<'ipReputation'>>().toEqualTypeOf<keyof ShieldOptions['ipReputation']>();
    expectTypeOf<Fields<'activityTiming'>>().toEqualTypeOf<keyof ShieldOptions['activityTiming']>();
    expectTypeOf<Fields<'signalEvents'>>().toEqualTypeOf<keyof ShieldOptions['signalEvents']>();
    expectTypeOf<Fields<'accountTakeover'>>().toEqualTypeOf<keyof ShieldOptions['accountTakeover']>();
    expectTypeOf(createShieldDetectors).parameter(0).toEqualTypeOf<ShieldOptionsInput | undefined>();
    expectTypeOf<Partial<ShieldOptions>>().toExtend<ShieldOptionsInput>();
  });

  it('merges each detector shallowly with its defaults, skipping undefined', () => {
    const o = resolveShieldOptions({
      impossibleTravel: { maxSpeedKmh: 1200 },
      signalEvents: { impacts: { user_report: 0.2 } },
    });
    expect(o.impossibleTravel).toEqual({ ...SHIELD_DEFAULTS.impossibleTravel, maxSpeedKmh: 1200 });
    expect(o.deviceReuse).toEqual(SHIELD_DEFAULTS.deviceReuse);
    expect(o.signalEvents.impacts).toEqual({ user_report: 0.2 });
    // A JavaScript caller's undefined and unknown keys keep the defaults.
    const js: unknown = { deviceReuse: { minAccounts: undefined, bogus: 1 } };
    const fromJs = resolveShieldOptions(js as ShieldOptionsInput);
    expect(fromJs.deviceReuse).toEqual(SHIELD_DEFAULTS.deviceReuse);
    expect(Object.isFrozen(o.impossibleTravel)).toBe(true);
  });
});

describe('createShieldDetectors', () => {
  it("creates the spec's nine detectors in rule order, then the account-takeover one, with stable ids", () => {
    const ids = createShieldDetectors().map((d) => d.id);
    expect(ids).toEqual([
      'shield.signal_event',
      'shield.device_reuse',
      'shield.velocity_spike',
      'shield.impossible_travel',
      'shield.win_rate_anomaly',
      'shield.payment_risk',
      'shield.bot_behavior',
      'shield.ip_reputation',
      'shield.activity_timing',
      'shield.account_takeover',
    ]);
    expect(ids).toEqual(Object.values(SHIELD_DETECTOR_IDS));
  });

  it('leaves out disabled detectors', () => {
    const ids = createShieldDetectors({ winRate: { enabled: false }, botBehavior: { enabled: false } }).map(
      (d) => d.id,
    );
    expect(ids).toHaveLength(8);
    expect(ids).not.toContain('shield.win_rate_anomaly');
    expect(ids).not.toContain('shield.bot_behavior');
  });

  it('applies overrides to the detector that owns them', () => {
    const [reuse] = createShieldDetectors({ deviceReuse: { minAccounts: 5 } }).filter(
      (d) => d.id === 'shield.device_reuse',
    );
    const fake = createFakeFeatures(reuse!.features).set(reuse!.features[0]!, 4);
    const e: VigilEvent = { id: 'e', app: 'a', type: 'login', at: T0, user: 'u', device: 'd' };
    expect(runDetector(reuse!, e, fake)).toEqual([]);
    fake.set(reuse!.features[0]!, 5);
    expect(runDetector(reuse!, e, fake)).toHaveLength(1);
  });
});

// ---------------------------------------------------------------------------------------------
// Robustness: any event and any feature values, never a throw, always a well-formed signal.

const attrValue: fc.Arbitrary<AttrValue> = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.double(),
  fc.integer({ min: -3, max: 3 }),
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom('failed', 'declined', 'webdriver', 'none', 'critical', 'low'),
);
const ATTR_NAMES = [
  'confidence',
  'severity',
  'reason',
  'payout',
  'won',
  'status',
  'automation',
  'webdriver',
  'headless',
  'ip_vpn',
  'ip_proxy',
  'ip_hosting',
  'iphub_block',
] as const;
const geo = fc.record({
  lat: fc.double({ min: -90, max: 90, noNaN: true }),
  lon: fc.double({ min: -180, max: 180, noNaN: true }),
});
const event: fc.Arbitrary<VigilEvent> = fc
  .record(
    {
      type: fc.constantFrom(...BUILTIN_EVENT_TYPES),
      at: fc.integer({ min: 0, max: 4_102_444_800_000 }),
      user: fc.constantFrom('u1', 'u2'),
      amount: fc.double({ min: 0, max: 1e15, noNaN: true }),
      ip: fc.constantFrom('203.0.113.7', '10.0.0.1', '::1', '2001:db8::1'),
      device: fc.constantFrom('d1', 'd2'),
      userAgent: fc.oneof(
        fc.string({ maxLength: 40 }),
        fc.constantFrom('curl/8', 'HeadlessChrome/1', 'Cubot'),
      ),
      geo,
      wallet: fc.constant('w1'),
      merchant: fc.constant('m1'),
      attrs: fc.dictionary(fc.constantFrom(...ATTR_NAMES), attrValue),
    },
    { requiredKeys: ['type', 'at'] },
  )
  .map((r) => ({ id: 'e', app: 'casino', ...r }));

function randomValue(spec: FeatureSpec, seed: number): unknown {
  const big = seed * 7919;
  switch (spec.kind) {
    case 'count':
    case 'distinct':
      return seed % 100;
    case 'sum':
      return big;
    case 'stats':
      return { n: seed % 2000, mean: (seed % 101) / 100, std: 1 };
    case 'last':
      return seed % 3 === 0
        ? undefined
        : { value: seed % 3 === 1 ? { lat: (seed % 180) - 90, lon: 5 } : 'x', at: big };
    case 'first':
      return seed % 2 === 0 ? undefined : big;
    case 'hist':
      return Array.from({ length: spec.of === 'hour' ? 24 : 7 }, (_, i) => (seed * (i + 1)) % 9);
    case 'neighbors':
      return [];
    case 'cluster':
      return { size: 1 + (seed % 5) };
    default:
      return assertNever(spec);
  }
}

describe('every shield detector on arbitrary input', () => {
  const detectors = createShieldDetectors();
  const lists = {
    lookup: (kind: string, value: string) =>
      kind === 'ip' && value === '203.0.113.7'
        ? { verdict: 'block' as const, label: 'bad_ip', weight: 3, match: value }
        : undefined,
  };

  it('never throws and writes well-formed signals', () => {
    const fired = new Set<string>();
    fc.assert(
      fc.property(event, fc.nat(1_000_000), (e, seed) => {
        for (const d of detectors) {
          const fake: FakeFeatures = createFakeFeatures(d.features);
          d.features.forEach((spec, i) => {
            // Test-only: random values shaped like each kind's value.
            fake.set(spec, randomValue(spec, seed + i) as never);
          });
          for (const s of runDetector(d, e, fake, lists)) {
            fired.add(d.id);
            expect(s.code.startsWith(`${d.id}.`)).toBe(true);
            expect(s.score).toBeGreaterThanOrEqual(0);
            expect(s.score).toBeLessThanOrEqual(1);
            expect(Number.isNaN(s.score)).toBe(false);
            expect(s.severity).toBe(severityOf(s.score));
            expect(SEVERITIES).toContain(s.severity);
            expect(SIGNAL_CATEGORIES).toContain(s.category);
            expect(s.reason).toMatch(/^[A-Z].*\.$/);
            expect(s.reason).not.toMatch(/NaN|undefined|Infinity/);
          }
        }
      }),
      { numRuns: 2000, seed: 42 },
    );
    // The inputs reach every detector's findings, so the checks above were exercised.
    expect([...fired].sort()).toEqual(detectors.map((d) => d.id).sort());
  });
});
