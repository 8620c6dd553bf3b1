import { describe, expect, it } from 'vitest';
import { RISK_LEVELS } from '../../decisions/decision.js';
import {
  ANALYZER_NAMES,
  ANALYZER_WEIGHTS,
  RISK_LEVEL_ACTIONS,
  ensembleScore,
  riskLevelOf,
  riskVerdictOf,
} from './oracle-ensemble.js';

describe('ANALYZER_WEIGHTS', () => {
  it('are the spec weights and sum to 1', () => {
    expect(ANALYZER_WEIGHTS).toEqual({ velocity: 0.25, amount: 0.25, pattern: 0.2, graph: 0.2, timing: 0.1 });
    expect(ANALYZER_NAMES.reduce((s, n) => s + ANALYZER_WEIGHTS[n], 0)).toBeCloseTo(1, 12);
    expect(Object.isFrozen(ANALYZER_WEIGHTS)).toBe(true);
  });
});

describe('ensembleScore', () => {
  it('weighs each analyzer as the spec says', () => {
    expect(ensembleScore({ velocity: 100 })).toBe(25);
    expect(ensembleScore({ amount: 100 })).toBe(25);
    expect(ensembleScore({ pattern: 100 })).toBe(20);
    expect(ensembleScore({ graph: 100 })).toBe(20);
    expect(ensembleScore({ timing: 100 })).toBe(10);
    expect(ensembleScore({ velocity: 100, amount: 100, pattern: 100, graph: 100, timing: 100 })).toBe(100);
  });
  it('combines a mixed example', () => {
    // 90·0.25 + 70·0.25 + 40·0.2 + 100·0.2 + 30·0.1 = 22.5 + 17.5 + 8 + 20 + 3
    expect(ensembleScore({ velocity: 90, amount: 70, pattern: 40, graph: 100, timing: 30 })).toBeCloseTo(
      71,
      10,
    );
  });
  it('counts missing and NaN analyzers as 0 and clamps to 0..100', () => {
    expect(ensembleScore({})).toBe(0);
    expect(ensembleScore({ velocity: Number.NaN, amount: 40 })).toBe(10);
    expect(ensembleScore({ velocity: 250, amount: -30 })).toBe(25);
  });
});

describe('riskLevelOf', () => {
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
  ] as const)('score %d is %s', (score, level) => {
    expect(riskLevelOf(score)).toBe(level);
  });
  it('rounds fractional scores, clamps the ends and fails closed on NaN', () => {
    expect(riskLevelOf(20.4)).toBe('SAFE');
    expect(riskLevelOf(20.5)).toBe('LOW');
    expect(riskLevelOf(80.49)).toBe('HIGH');
    expect(riskLevelOf(-5)).toBe('SAFE');
    expect(riskLevelOf(130)).toBe('CRITICAL');
    expect(riskLevelOf(Number.NaN)).toBe('CRITICAL');
  });
});

describe('risk actions', () => {
  it('follow the spec table row by row', () => {
    expect(RISK_LEVELS.map((l) => RISK_LEVEL_ACTIONS[l].action)).toEqual([
      'approve',
      'approve_monitor',
      'approve_flag',
      'manual_approval',
      'block',
    ]);
    expect(riskVerdictOf(10)).toEqual({
      level: 'SAFE',
      action: 'approve',
      approved: true,
      flagged: false,
      blocked: false,
    });
    expect(riskVerdictOf(30)).toEqual({
      level: 'LOW',
      action: 'approve_monitor',
      approved: true,
      flagged: false,
      blocked: false,
    });
    expect(riskVerdictOf(55)).toEqual({
      level: 'MEDIUM',
      action: 'approve_flag',
      approved: true,
      flagged: true,
      blocked: false,
    });
    expect(riskVerdictOf(70)).toEqual({
      level: 'HIGH',
      action: 'manual_approval',
      approved: false,
      flagged: true,
      blocked: false,
    });
    expect(riskVerdictOf(95)).toEqual({
      level: 'CRITICAL',
      action: 'block',
      approved: false,
      flagged: true,
      blocked: true,
    });
  });
  it('every level maps to itself', () => {
    for (const l of RISK_LEVELS) expect(RISK_LEVEL_ACTIONS[l].level).toBe(l);
  });
});
