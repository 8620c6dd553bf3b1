import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY_CONFIG, type CombinationMethod } from '../config/policy-config.js';
import { severityOf, type Signal, type SignalCategory } from '../detectors/signal.js';
import { analyzerEnsemble, combine, createCombiner } from './combine.js';
import type { ModelScore } from './decision.js';

const sig = (category: SignalCategory, score: number, code = `${category}.x`): Signal => ({
  code,
  score,
  severity: severityOf(score),
  category,
  reason: code,
  evidence: {},
});
const model = (score: number, live = true): ModelScore => ({ model: 'm', score, live, contributions: [] });
const cfg = (method: CombinationMethod) => ({
  combination: { ...DEFAULT_POLICY_CONFIG.combination, method },
});

describe('combine: noisy-OR', () => {
  it('is 1 - prod(1 - s) over families', () => {
    const r = combine([sig('velocity', 0.5), sig('identity', 0.4), sig('list', 0.2)], [], cfg('noisy_or'));
    expect(r).toBeCloseTo(1 - 0.5 * 0.6 * 0.8, 12);
  });
  it('takes the max per family first, so a repeating detector does not compound', () => {
    const once = combine([sig('identity', 0.6)], [], cfg('noisy_or'));
    const thrice = combine(
      [sig('identity', 0.6), sig('identity', 0.6), sig('identity', 0.5)],
      [],
      cfg('noisy_or'),
    );
    expect(once).toBeCloseTo(0.6, 12);
    expect(thrice).toBeCloseTo(0.6, 12);
  });
  it('is 0 with no evidence and 1 with a certain signal', () => {
    expect(combine([], [], cfg('noisy_or'))).toBe(0);
    expect(combine([sig('rule', 1), sig('identity', 0.3)], [], cfg('noisy_or'))).toBe(1);
  });
  it('reads signals only: analyzer facets feed the weighted ensemble, not noisy-OR', () => {
    const analyzers = { velocity: 0, amount: 70, pattern: 0, graph: 0, timing: 60 };
    // The amount finding arrives as its signal; the timing facet (a sum of sub-findings) does not count.
    const r = combine([sig('amount', 0.7), sig('timing', 0.3)], [], cfg('noisy_or'), analyzers);
    expect(r).toBeCloseTo(1 - 0.3 * 0.7, 12);
    expect(combine([], [], cfg('noisy_or'), analyzers)).toBe(0);
    expect(combine([], [], cfg('max'), analyzers)).toBe(0);
  });
  it('lets one strong analyzer finding stand where the weighted ensemble dilutes it', () => {
    const analyzers = { velocity: 0, amount: 80, pattern: 0, graph: 0, timing: 0 };
    const signals = [sig('amount', 0.8, 'oracle.amount.structuring')];
    expect(combine(signals, [], cfg('noisy_or'), analyzers)).toBeCloseTo(0.8, 12);
    expect(combine(signals, [], cfg('weighted'), analyzers)).toBeCloseTo(0.2, 12);
  });
  it('is the default method', () => {
    expect(DEFAULT_POLICY_CONFIG.combination.method).toBe('noisy_or');
  });
  it('counts live models as the model family and ignores shadow ones', () => {
    expect(combine([sig('identity', 0.5)], [model(0.5)], cfg('noisy_or'))).toBeCloseTo(0.75, 12);
    expect(combine([sig('identity', 0.5)], [model(0.9, false)], cfg('noisy_or'))).toBeCloseTo(0.5, 12);
  });
});

describe('combine: max', () => {
  it('is the largest score of any family, models included', () => {
    expect(combine([sig('velocity', 0.3), sig('graph', 0.7), sig('rule', 0.2)], [], cfg('max'))).toBe(0.7);
    expect(combine([sig('velocity', 0.3)], [model(0.8)], cfg('max'))).toBe(0.8);
    expect(combine([sig('velocity', 0.3)], [model(0.8, false)], cfg('max'))).toBe(0.3);
  });
  it('treats NaN and out-of-range scores as 0 and 1', () => {
    expect(combine([sig('velocity', Number.NaN)], [], cfg('max'))).toBe(0);
    expect(combine([sig('velocity', 7)], [], cfg('max'))).toBe(1);
    expect(combine([sig('velocity', -2)], [], cfg('noisy_or'))).toBe(0);
  });
});

describe('combine: weighted', () => {
  const analyzers = { velocity: 90, amount: 70, pattern: 40, graph: 20, timing: 10 };
  it('reproduces the oracle ensemble exactly: 90·.25 + 70·.25 + 40·.2 + 20·.2 + 10·.1 = 53', () => {
    const r = combine([], [], cfg('weighted'), analyzers);
    expect(r * 100).toBeCloseTo(53, 10);
    expect(Math.round(r * 100)).toBe(53);
    expect(analyzerEnsemble(analyzers, DEFAULT_POLICY_CONFIG)).toBeCloseTo(0.53, 12);
  });
  it('counts analyzers that scored 0 as evaluated (they pull the ensemble down)', () => {
    const r = combine([], [], cfg('weighted'), { velocity: 80, amount: 0, pattern: 0, graph: 0, timing: 0 });
    expect(r).toBeCloseTo(0.2, 12);
  });
  it('normalises over the families that were evaluated', () => {
    // Only velocity (.25) and graph (.2) ran: (0.8·.25 + 0.5·.2) / .45
    const r = combine([sig('velocity', 0.8), sig('graph', 0.5)], [], cfg('weighted'));
    expect(r).toBeCloseTo((0.8 * 0.25 + 0.5 * 0.2) / 0.45, 12);
  });
  it('takes the family max of signal and analyzer score', () => {
    const r = combine([sig('velocity', 0.95)], [], cfg('weighted'), { velocity: 50, amount: 50 });
    expect(r).toBeCloseTo((0.95 * 0.25 + 0.5 * 0.25) / 0.5, 12);
  });
  it('combines zero-weight families by noisy-OR and keeps the larger of the two parts', () => {
    // Ensemble 0.53; identity 0.5 and list 0.6 → 1 - 0.5·0.4 = 0.8
    const r = combine([sig('identity', 0.5), sig('list', 0.6)], [], cfg('weighted'), analyzers);
    expect(r).toBeCloseTo(0.8, 12);
    const weak = combine([sig('identity', 0.2)], [], cfg('weighted'), analyzers);
    expect(weak).toBeCloseTo(0.53, 12);
  });
  it('a single strong non-analyzer finding is not diluted by quiet analyzers', () => {
    const r = combine([sig('report', 0.8)], [], cfg('weighted'), {
      velocity: 0,
      amount: 0,
      pattern: 0,
      graph: 0,
      timing: 0,
    });
    expect(r).toBeCloseTo(0.8, 12);
  });
  it('folds a family into the ensemble when it gets a weight', () => {
    const weights = { ...DEFAULT_POLICY_CONFIG.combination.weights, model: 1 };
    const r = combine(
      [],
      [model(0.9)],
      { combination: { method: 'weighted', weights } },
      { velocity: 10, amount: 10, pattern: 10, graph: 10, timing: 10 },
    );
    expect(r).toBeCloseTo((0.1 * 1 + 0.9 * 1) / 2, 12);
  });
  it('is 0 with nothing evaluated', () => {
    expect(combine([], [], cfg('weighted'))).toBe(0);
  });
});

describe('createCombiner', () => {
  it('gives the same risk as combine and counts strong families', () => {
    const c = createCombiner(cfg('weighted'));
    const signals = [sig('identity', 0.5), sig('identity', 0.9), sig('list', 0.3)];
    const analyzers = { velocity: 90, amount: 70, pattern: 40, graph: 20, timing: 10 };
    expect(c.risk(signals, [model(0.45)], analyzers)).toBe(
      combine(signals, [model(0.45)], cfg('weighted'), analyzers),
    );
    // identity 0.9, model 0.45, velocity 0.9, amount 0.7, pattern 0.4 are >= 0.4; list 0.3, graph, timing are not.
    expect(c.families(0.4)).toBe(5);
    expect(c.families(0.8)).toBe(2);
    c.risk([], [], undefined);
    expect(c.families(0)).toBe(0);
  });
});
