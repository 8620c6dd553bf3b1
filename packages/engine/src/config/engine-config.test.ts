import Compile from 'typebox/compile';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { EXAMPLE_RULES } from '../rules/index.js';
import { HOUR } from '../features/feature-spec.js';
import {
  DEFAULT_ENGINE_CONFIG,
  EngineConfigSchema,
  parseEngineConfig,
  type EngineConfig,
} from './engine-config.js';
import { DEFAULT_POLICY_CONFIG } from './policy-config.js';

function problemsOf(input: unknown) {
  const r = parseEngineConfig(input);
  if (r.ok) throw new Error('expected problems');
  return r.problems;
}

describe('DEFAULT_ENGINE_CONFIG', () => {
  it('is valid against its own schema and parses to itself', () => {
    expect(Compile(EngineConfigSchema).Check(DEFAULT_ENGINE_CONFIG)).toBe(true);
    const r = parseEngineConfig({});
    expect(r.ok && r.value).toEqual(DEFAULT_ENGINE_CONFIG);
    expect(parseEngineConfig(undefined).ok).toBe(true);
    expect(parseEngineConfig(null).ok).toBe(true);
  });

  it('carries the specs’ defaults', () => {
    const c = DEFAULT_ENGINE_CONFIG;
    expect(c.combination.weights).toMatchObject({
      velocity: 0.25,
      amount: 0.25,
      pattern: 0.2,
      graph: 0.2,
      timing: 0.1,
    });
    expect(c.levels.outcomes).toEqual({
      SAFE: 'allow',
      LOW: 'allow',
      MEDIUM: 'challenge',
      HIGH: 'review',
      CRITICAL: 'block',
    });
    expect(c.enforcement.bands).toEqual({ elevated: 0.6, high: 0.75, severe: 0.9 });
    expect(c.enforcement.defaultTier).toBe('guest');
    expect(c.access).toMatchObject({ full: 70, restricted: 50, limited: 30 });
    expect(c.captcha.threshold).toBe(50);
    expect(c.detectors.disabled).toEqual([]);
    expect(c.rules).toEqual([]);
    expect(Object.isFrozen(c.enforcement.tiers.vip.severe)).toBe(true);
  });

  it('types: the schema’s static type is an EngineConfig', () => {
    expectTypeOf(DEFAULT_POLICY_CONFIG).toMatchTypeOf<Omit<EngineConfig, 'detectors' | 'rules'>>();
  });
});

describe('parseEngineConfig', () => {
  it('deep-merges over the defaults: objects key by key, arrays replaced', () => {
    const r = parseEngineConfig({
      combination: { method: 'noisy_or' },
      enforcement: {
        tiers: { vip: { severe: { action: 'permanent_ban' } } },
        softRestrictFeatures: ['chat'],
      },
      detectors: { oracle: { amount: { structuringThreshold: 3000 } } },
      rules: EXAMPLE_RULES,
    });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const c = r.value;
    expect(c.combination.method).toBe('noisy_or');
    expect(c.combination.weights.velocity).toBe(0.25);
    // The VIP ban keeps the default cell's review: true, so it is allowed.
    expect(c.enforcement.tiers.vip.severe).toEqual({ action: 'permanent_ban', review: true });
    expect(c.enforcement.tiers.vip.high.action).toBe('soft_restrict');
    expect(c.enforcement.softRestrictFeatures).toEqual(['chat']);
    expect(c.detectors.oracle.amount?.structuringThreshold).toBe(3000);
    expect(c.detectors.oracle.amount?.dustMax).toBe(0.01);
    expect(c.rules.map((x) => x.id)).toEqual(['amount_threshold', 'velocity_check', 'location_anomaly']);
    expect(Object.isFrozen(c.rules)).toBe(true);
  });

  it('does not freeze or alias the caller’s objects', () => {
    const features = ['chat'];
    const input = { enforcement: { softRestrictFeatures: features } };
    const r = parseEngineConfig(input);
    expect(r.ok).toBe(true);
    expect(Object.isFrozen(features)).toBe(false);
    features.push('later');
    expect(r.ok && r.value.enforcement.softRestrictFeatures).toEqual(['chat']);
  });

  it('lists every problem with its path', () => {
    const problems = problemsOf({
      combination: { method: 'median', weights: { velocity: -1 } },
      levels: { bands: { LOW: 'x' } },
      flags: { red: 2 },
      enforcement: { tiers: { gold: { high: { action: 'explode' } } } },
      captcha: { threshold: 50, colour: 'red' },
      detectors: {
        oracle: { amount: { structuringThreshold: -5 } },
        shield: { velocitySpike: { types: ['login', 'teleport'] } },
      },
    });
    const paths = problems.map((p) => p.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        '/combination/method',
        '/combination/weights/velocity',
        '/levels/bands/LOW',
        '/flags/red',
        '/enforcement/tiers/gold/high/action',
        '/captcha/colour',
        '/detectors/oracle/amount/structuringThreshold',
        '/detectors/shield/velocitySpike/types/1',
      ]),
    );
    // More problems than TypeBox's default buffer of 8 errors: none is lost.
    expect(problems).toHaveLength(8);
    expect(problems.find((p) => p.path === '/combination/method')?.message).toBe(
      'must be one of "weighted", "noisy_or", "max"',
    );
    expect(problems.find((p) => p.path === '/captcha/colour')?.message).toBe('unknown field');
  });

  it('checks band order, which a schema cannot', () => {
    const problems = problemsOf({
      levels: { bands: { MEDIUM: 70 } },
      flags: { yellow: 0.8 },
      enforcement: { bands: { severe: 0.7 } },
      access: { limited: 60 },
    });
    expect(problems.map((p) => p.path).sort()).toEqual([
      '/access/restricted',
      '/enforcement/bands/severe',
      '/flags/red',
      '/levels/bands/HIGH',
    ]);
  });

  it('requires a duration for temp suspends and human approval for a VIP/platinum ban', () => {
    const problems = problemsOf({
      enforcement: {
        tiers: {
          vip: { elevated: { action: 'temp_suspend' } },
          platinum: { severe: { action: 'permanent_ban', review: false } },
          guest: { severe: { action: 'permanent_ban' } },
        },
      },
    });
    expect(problems).toEqual([
      {
        path: '/enforcement/tiers/vip/elevated/durationMs',
        message: 'a temp_suspend needs a duration (ms > 0)',
      },
      {
        path: '/enforcement/tiers/platinum/severe/review',
        message: 'a permanent ban of a platinum user needs human approval (review: true)',
      },
    ]);
    expect(
      parseEngineConfig({
        enforcement: { tiers: { vip: { elevated: { action: 'temp_suspend', durationMs: 6 * HOUR } } } },
      }).ok,
    ).toBe(true);
  });

  it('validates rules through compileRules, with their paths', () => {
    const problems = problemsOf({ rules: [{ id: 'bad', expression: 'amount >', score: 0.5 }] });
    expect(problems.length).toBeGreaterThan(0);
    expect(problems[0]?.path.startsWith('/rules/0')).toBe(true);
  });

  it('rejects unknown detector ids in disabled, naming the known ones', () => {
    const problems = problemsOf({ detectors: { disabled: ['oracle.timing', 'nope'] } });
    expect(problems).toHaveLength(1);
    expect(problems[0]?.path).toBe('/detectors/disabled/1');
    expect(problems[0]?.message).toContain("unknown detector 'nope'");
    expect(problems[0]?.message).toContain('oracle.timing');
  });

  it('never throws on hostile input', () => {
    expect(problemsOf('config')).toEqual([{ path: '/', message: 'must be an object' }]);
    expect(problemsOf([1, 2])).toEqual([{ path: '/', message: 'must be an object' }]);
    const combination: Record<string, unknown> = {};
    const cyclic = { combination };
    combination['weights'] = cyclic;
    expect(problemsOf(cyclic).some((p) => p.message === 'nested deeper than 16 levels')).toBe(true);
    const polluted: unknown = JSON.parse('{"__proto__": {"admin": true}, "flags": {"constructor": 1}}');
    const paths = problemsOf(polluted).map((p) => p.path);
    expect(paths).toEqual(expect.arrayContaining(['/__proto__', '/flags/constructor']));
    expect(Reflect.get({}, 'admin')).toBeUndefined();
  });
});
