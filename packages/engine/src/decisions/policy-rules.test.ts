import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY_CONFIG } from '../config/policy-config.js';
import type { Tier } from '../events/event-types.js';
import { HOUR } from '../features/feature-spec.js';
import {
  accessLevelOf,
  compileEnforcement,
  enforcementBandOf,
  enforcementFor,
  flagOfRisk,
  riskLevelFor,
  maxFlag,
  maxOutcome,
} from './policy-rules.js';

const E = DEFAULT_POLICY_CONFIG.enforcement;

/** [action, durationMs or null for until-lifted, requiresReview, features or null] per risk. */
type Row = readonly [string, number | null, boolean, readonly string[] | null];
const OBSERVE: Row = ['observe', null, false, null];
const SOFT: Row = ['soft_restrict', null, true, ['withdrawals', 'betting']];
const SUSPEND: Row = ['suspend_features', null, true, ['withdrawals', 'betting', 'transfers', 'trading']];

const RISKS = [0.59, 0.6, 0.74, 0.75, 0.89, 0.9, 1.0] as const;
const LOW: readonly Row[] = [
  OBSERVE,
  ['temp_suspend', 24 * HOUR, false, null],
  ['temp_suspend', 24 * HOUR, false, null],
  ['auto_block', 72 * HOUR, false, null],
  ['auto_block', 72 * HOUR, false, null],
  ['auto_block', null, false, null],
  ['auto_block', null, false, null],
];
const MID: readonly Row[] = [
  OBSERVE,
  ['temp_suspend', 12 * HOUR, false, null],
  ['temp_suspend', 12 * HOUR, false, null],
  ['temp_suspend', 48 * HOUR, false, null],
  ['temp_suspend', 48 * HOUR, false, null],
  ['auto_block', null, true, null],
  ['auto_block', null, true, null],
];
const HIGH: readonly Row[] = [OBSERVE, SOFT, SOFT, SOFT, SOFT, SUSPEND, SUSPEND];

const MATRIX: readonly (readonly [Tier, readonly Row[], number])[] = [
  ['guest', LOW, 24 * HOUR],
  ['bronze', LOW, 24 * HOUR],
  ['silver', MID, 12 * HOUR],
  ['gold', MID, 12 * HOUR],
  ['vip', HIGH, 4 * HOUR],
  ['platinum', HIGH, 2 * HOUR],
];

describe('tier matrix (shield spec), row by row', () => {
  const compiled = compileEnforcement(E);
  for (const [tier, rows, sla] of MATRIX) {
    RISKS.forEach((risk, i) => {
      const [action, durationMs, review, features] = rows[i]!;
      it(`${tier} at risk ${risk}: ${action}${durationMs === null ? '' : ` ${durationMs / HOUR} h`}`, () => {
        const plan = enforcementFor(tier, risk, E);
        expect(plan.tier).toBe(tier);
        expect(plan.action).toBe(action);
        expect(plan.durationMs).toBe(durationMs ?? undefined);
        expect(plan.requiresReview).toBe(review);
        expect(plan.features ?? null).toEqual(features);
        expect(plan.reviewSlaMs).toBe(sla);
        // The precompiled plans used by the decision stage say the same.
        const band = enforcementBandOf(risk, E.bands);
        expect(band === undefined ? compiled[tier].observe : compiled[tier][band]).toEqual(plan);
      });
    });
  }

  it('never bans a VIP or platinum user, at any risk', () => {
    for (const tier of ['vip', 'platinum'] as const) {
      for (let r = 0; r <= 1.0001; r += 0.01)
        expect(enforcementFor(tier, r, E).action).not.toBe('permanent_ban');
    }
  });

  it('puts float noise at a band edge in the band (0.6 via 1 - (1 - 0.6))', () => {
    expect(enforcementBandOf(1 - (1 - 0.6), E.bands)).toBe('elevated');
    expect(enforcementBandOf(0.7499999999999999, E.bands)).toBe('high');
    expect(enforcementBandOf(0.5999, E.bands)).toBeUndefined();
    expect(enforcementBandOf(Number.NaN, E.bands)).toBeUndefined();
  });

  it('uses configured bands and feature lists', () => {
    const custom = {
      ...E,
      bands: { elevated: 0.5, high: 0.7, severe: 0.8 },
      softRestrictFeatures: ['chat'],
    };
    expect(enforcementFor('guest', 0.5, custom).action).toBe('temp_suspend');
    expect(enforcementFor('silver', 0.8, custom).action).toBe('auto_block');
    expect(enforcementFor('vip', 0.55, custom).features).toEqual(['chat']);
  });
});

describe('risk levels (oracle table)', () => {
  const B = DEFAULT_POLICY_CONFIG.levels.bands;
  it.each([
    [0, 'SAFE'],
    [20, 'SAFE'],
    [21, 'LOW'],
    [40, 'LOW'],
    [41, 'MEDIUM'],
    [60, 'MEDIUM'],
    [61, 'HIGH'],
    [80, 'HIGH'],
    [81, 'CRITICAL'],
    [100, 'CRITICAL'],
  ] as const)('score %i is %s', (score, level) => {
    expect(riskLevelFor(score, B)).toBe(level);
  });
  it('NaN is CRITICAL, never approved', () => {
    expect(riskLevelFor(Number.NaN, B)).toBe('CRITICAL');
  });
  it('follows configured bands', () => {
    expect(riskLevelFor(30, { LOW: 10, MEDIUM: 30, HIGH: 50, CRITICAL: 70 })).toBe('MEDIUM');
  });
});

describe('flags, access, ranks', () => {
  it('derives GREEN < 0.4 <= YELLOW < 0.7 <= RED', () => {
    const F = DEFAULT_POLICY_CONFIG.flags;
    expect(flagOfRisk(0.39, F)).toBe('GREEN');
    expect(flagOfRisk(0.4, F)).toBe('YELLOW');
    expect(flagOfRisk(0.69, F)).toBe('YELLOW');
    expect(flagOfRisk(0.7, F)).toBe('RED');
  });
  it('maps behaviour score to FULL >= 70, RESTRICTED >= 50, LIMITED >= 30, else MINIMAL', () => {
    const A = DEFAULT_POLICY_CONFIG.access;
    expect(accessLevelOf(100, A)).toBe('FULL');
    expect(accessLevelOf(70, A)).toBe('FULL');
    expect(accessLevelOf(69, A)).toBe('RESTRICTED');
    expect(accessLevelOf(50, A)).toBe('RESTRICTED');
    expect(accessLevelOf(49, A)).toBe('LIMITED');
    expect(accessLevelOf(30, A)).toBe('LIMITED');
    expect(accessLevelOf(29, A)).toBe('MINIMAL');
    expect(accessLevelOf(0, A)).toBe('MINIMAL');
  });
  it('orders outcomes and flags', () => {
    expect(maxOutcome('allow', 'challenge')).toBe('challenge');
    expect(maxOutcome('block', 'review')).toBe('block');
    expect(maxFlag('RED', 'GREEN')).toBe('RED');
    expect(maxFlag('GREEN', 'YELLOW')).toBe('YELLOW');
  });
});
