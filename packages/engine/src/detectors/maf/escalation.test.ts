import { describe, expect, it } from 'vitest';
import { FLAG_COLORS } from '../detector.js';
import { ESCALATION_OUTCOMES, escalate, scoreBand } from './escalation.js';
import { DEFAULT_ESCALATION_MATRIX, MAF_DEFAULTS, SCORE_BANDS, type MafOverrides } from './maf-options.js';

describe('escalate', () => {
  it('RED with a low behaviour score restricts (spec example)', () => {
    expect(escalate('RED', 35)).toMatchObject({
      flag: 'RED',
      band: 'low',
      action: 'restrict',
      outcome: 'review',
    });
  });

  it('implements the full default 3 x 4 matrix', () => {
    const scores = { critical: 5, low: 35, medium: 60, high: 90 } as const;
    const table = FLAG_COLORS.map((f) => SCORE_BANDS.map((b) => escalate(f, scores[b]).action));
    expect(table).toEqual([
      ['challenge', 'monitor', 'allow', 'allow'],
      ['restrict', 'challenge', 'monitor', 'monitor'],
      ['block', 'restrict', 'challenge', 'challenge'],
    ]);
  });

  it('puts band edges in the upper band and fails closed on non-finite scores', () => {
    expect([0, 19.9, 20, 49, 50, 69, 70, 100].map((s) => scoreBand(s))).toEqual([
      'critical',
      'critical',
      'low',
      'low',
      'medium',
      'medium',
      'high',
      'high',
    ]);
    expect(escalate('RED', Number.NaN).action).toBe('block');
  });

  it('maps actions to decision outcomes and explains itself', () => {
    expect(ESCALATION_OUTCOMES).toEqual({
      allow: 'allow',
      monitor: 'allow',
      challenge: 'challenge',
      restrict: 'review',
      block: 'block',
    });
    expect(escalate('YELLOW', 45).reason).toBe('YELLOW flag with a low behaviour score (20-49): challenge.');
    expect(escalate('GREEN', 95).outcome).toBe('allow');
  });

  it('is configurable: bands and a whole matrix, cached per options object', () => {
    const opts: MafOverrides = {
      escalation: {
        lowBelow: 60,
        matrix: {
          ...DEFAULT_ESCALATION_MATRIX,
          RED: { critical: 'block', low: 'block', medium: 'restrict', high: 'monitor' },
        },
      },
    };
    expect(escalate('RED', 55, opts)).toMatchObject({ band: 'low', action: 'block', outcome: 'block' });
    expect(escalate('RED', 95, opts).action).toBe('monitor');
    expect(escalate('RED', 55, opts)).toBe(escalate('RED', 56, opts));
    expect(escalate('GREEN', 10, { ipSignup: { redAt: 9 } })).toBe(escalate('GREEN', 10));
    expect(MAF_DEFAULTS.escalation.lowBelow).toBe(50);
  });

  it('returns frozen results', () => {
    expect(Object.isFrozen(escalate('RED', 10))).toBe(true);
  });
});
