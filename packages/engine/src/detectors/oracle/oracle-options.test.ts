import Compile from 'typebox/compile';
import type { Static } from 'typebox';
import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  ORACLE_DEFAULTS,
  OracleOptionsSchema,
  resolveOracleOptions,
  type OracleOptions,
  type OracleOptionsInput,
} from './oracle-options.js';
import { createOracleDetectors } from './index.js';

const checker = Compile(OracleOptionsSchema);

describe('ORACLE_DEFAULTS', () => {
  it('is deeply frozen', () => {
    expect(Object.isFrozen(ORACLE_DEFAULTS)).toBe(true);
    for (const v of Object.values(ORACLE_DEFAULTS)) expect(Object.isFrozen(v)).toBe(true);
    expect(Object.isFrozen(ORACLE_DEFAULTS.graph.sybilVia)).toBe(true);
  });
  it('passes its own schema', () => {
    expect(checker.Check(ORACLE_DEFAULTS)).toBe(true);
  });
  it('has a schema property for every option and no other', () => {
    const p = OracleOptionsSchema.properties;
    const schemaKeys: Record<keyof OracleOptions, string[]> = {
      velocity: Object.keys(p.velocity.properties),
      amount: Object.keys(p.amount.properties),
      pattern: Object.keys(p.pattern.properties),
      graph: Object.keys(p.graph.properties),
      timing: Object.keys(p.timing.properties),
    };
    for (const name of Object.keys(schemaKeys) as (keyof OracleOptions)[]) {
      expect(schemaKeys[name].sort()).toEqual(Object.keys(ORACLE_DEFAULTS[name]).sort());
    }
  });
});

describe('OracleOptionsSchema', () => {
  it('accepts partial groups', () => {
    expect(checker.Check({})).toBe(true);
    expect(checker.Check({ amount: { structuringThreshold: 3000 } })).toBe(true);
    expect(checker.Check({ graph: { sybilVia: ['device', 'ip'] } })).toBe(true);
  });
  it('rejects unknown fields, bad types and out-of-range values', () => {
    expect(checker.Check({ speed: {} })).toBe(false);
    expect(checker.Check({ amount: { threshold: 1 } })).toBe(false);
    expect(checker.Check({ amount: { structuringThreshold: 'x' } })).toBe(false);
    expect(checker.Check({ amount: { structuringBand: 2 } })).toBe(false);
    expect(checker.Check({ velocity: { windowMs: 0 } })).toBe(false);
    expect(checker.Check({ graph: { sybilVia: ['planet'] } })).toBe(false);
    expect(checker.Check({ timing: { lateEndHour: 25 } })).toBe(false);
  });
  it('validated values are valid inputs', () => {
    expectTypeOf<Static<typeof OracleOptionsSchema>>().toExtend<OracleOptionsInput>();
    expectTypeOf<Partial<OracleOptions>>().toExtend<OracleOptionsInput>();
    // A full options object (what the engine config stores) is a value of the schema's type.
    const asConfig: Static<typeof OracleOptionsSchema> = ORACLE_DEFAULTS;
    expect(asConfig).toBe(ORACLE_DEFAULTS);
  });
});

describe('resolveOracleOptions', () => {
  it('returns the defaults when nothing is given', () => {
    expect(resolveOracleOptions()).toEqual(ORACLE_DEFAULTS);
  });
  it('merges each group shallowly and ignores undefined and unknown fields', () => {
    const o = resolveOracleOptions({
      amount: { dustMax: 0.001, structuringThreshold: undefined },
      timing: { lateEndHour: 6 },
    });
    expect(o.amount.dustMax).toBe(0.001);
    expect(o.amount.structuringThreshold).toBe(10_000);
    expect(o.amount.zThreshold).toBe(ORACLE_DEFAULTS.amount.zThreshold);
    expect(o.timing).toEqual({ ...ORACLE_DEFAULTS.timing, lateEndHour: 6 });
    expect(o.velocity).toBe(ORACLE_DEFAULTS.velocity);
    expect(ORACLE_DEFAULTS.amount.dustMax).toBe(0.01);
    expect(Object.isFrozen(o.amount)).toBe(true);
  });
});

describe('createOracleDetectors', () => {
  it('builds the five analyzers in the spec order, each for money events', () => {
    const ds = createOracleDetectors();
    expect(ds.map((d) => d.id)).toEqual([
      'oracle.velocity',
      'oracle.amount',
      'oracle.pattern',
      'oracle.graph',
      'oracle.timing',
    ]);
    for (const d of ds) expect(d.appliesTo).toEqual(['payment', 'transfer', 'withdrawal']);
  });
  it('passes options through to the feature specs', () => {
    const [velocity] = createOracleDetectors({ velocity: { windowMs: 600_000 } });
    expect(velocity?.features.some((s) => s.kind === 'count' && s.window === 600_000)).toBe(true);
  });
  it('the five analyzers share state where they read the same thing', () => {
    const keys = new Set(createOracleDetectors().flatMap((d) => d.features.map((s) => s.key)));
    expect(keys.size).toBe(24);
  });
  it('declares readAs reads together with the spec that keeps their state', () => {
    for (const d of createOracleDetectors()) {
      const keys = new Set(d.features.map((s) => s.key));
      for (const s of d.features) {
        if (s.readAs !== undefined) expect(keys.has(s.key.slice(0, s.key.lastIndexOf('@')))).toBe(true);
      }
    }
  });
});
