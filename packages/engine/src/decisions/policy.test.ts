import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY_CONFIG, type PolicyConfig } from '../config/policy-config.js';
import type { Facets } from '../detectors/detector.js';
import {
  severityOf,
  type AlertType,
  type Outcome,
  type Signal,
  type SignalCategory,
} from '../detectors/signal.js';
import type { VigilEvent } from '../events/event.js';
import type { Tier } from '../events/event-types.js';
import { HOUR } from '../features/feature-spec.js';
import type { ModelScore } from './decision.js';
import { confidenceOf, createPolicy, type DecisionInput } from './policy.js';

const event = (tier?: Tier, user = 'u1'): VigilEvent =>
  tier === undefined
    ? { id: 'e1', app: 'shop', type: 'login', at: 0, user }
    : { id: 'e1', app: 'shop', type: 'login', at: 0, user, tier };

const sig = (
  category: SignalCategory,
  score: number,
  extra: { code?: string; reason?: string; action?: Outcome; alert?: AlertType } = {},
): Signal => {
  const base: Signal = {
    code: extra.code ?? `${category}.x`,
    score,
    severity: severityOf(score),
    category,
    reason: extra.reason ?? `${category} ${score}`,
    evidence: {},
  };
  return {
    ...base,
    ...(extra.action === undefined ? {} : { action: extra.action }),
    ...(extra.alert === undefined ? {} : { alert: extra.alert }),
  };
};

const input = (
  signals: readonly Signal[],
  over: { tier?: Tier; facets?: Facets; models?: readonly ModelScore[] } = {},
): DecisionInput => ({
  event: event(over.tier),
  signals,
  facets: over.facets ?? {},
  models: over.models ?? [],
  failures: [],
});

const policy = createPolicy(DEFAULT_POLICY_CONFIG);

describe('decision stage: levels and outcomes', () => {
  it('a quiet event is SAFE, allowed, GREEN, observed, FULL access with a good behaviour score', () => {
    const d = policy.decide(input([], { facets: { behaviorScore: 85 } }));
    expect(d).toMatchObject({
      eventId: 'e1',
      app: 'shop',
      user: 'u1',
      risk: 0,
      score: 0,
      level: 'SAFE',
      outcome: 'allow',
      flag: 'GREEN',
      captcha: false,
      accessLevel: 'FULL',
      behaviorScore: 85,
    });
    expect(d.enforcement).toEqual({
      action: 'observe',
      tier: 'guest',
      requiresReview: false,
      reviewSlaMs: 24 * HOUR,
    });
    expect(d.explanation).toEqual([]);
  });

  it.each([
    [0.2, 20, 'SAFE', 'allow'],
    [0.21, 21, 'LOW', 'allow'],
    [0.41, 41, 'MEDIUM', 'challenge'],
    [0.61, 61, 'HIGH', 'review'],
    [0.81, 81, 'CRITICAL', 'block'],
  ] as const)('risk %f → score %i, %s, %s', (risk, score, level, outcome) => {
    const d = policy.decide(input([sig('identity', risk)], { facets: { behaviorScore: 90 } }));
    expect(d.score).toBe(score);
    expect(d.level).toBe(level);
    expect(d.outcome).toBe(outcome);
  });

  it('a guest at risk 0.8 gets a 72 h auto-block with a 24 h SLA; a VIP gets soft restrict', () => {
    const g = policy.decide(input([sig('report', 0.8)], { tier: 'guest' }));
    expect(g.enforcement).toMatchObject({
      action: 'auto_block',
      durationMs: 72 * HOUR,
      reviewSlaMs: 24 * HOUR,
    });
    const v = policy.decide(input([sig('report', 0.8)], { tier: 'vip' }));
    expect(v.enforcement).toMatchObject({
      action: 'soft_restrict',
      requiresReview: true,
      reviewSlaMs: 4 * HOUR,
    });
  });

  it('signal actions other than allow/block raise the outcome but never lower it', () => {
    expect(policy.decide(input([sig('rule', 0.1, { action: 'review' })])).outcome).toBe('review');
    expect(policy.decide(input([sig('rule', 0.9, { action: 'challenge' })])).outcome).toBe('block');
  });
});

describe('decision stage: list precedence', () => {
  it('a block action forces block and lifts the risk to the CRITICAL floor', () => {
    const d = policy.decide(
      input([sig('list', 0.3, { action: 'block', reason: 'IP 1.2.3.4 is block-listed (bad_ip).' })]),
    );
    expect(d.outcome).toBe('block');
    expect(d.risk).toBeCloseTo(0.81, 12);
    expect(d.score).toBe(81);
    expect(d.level).toBe('CRITICAL');
    expect(d.confidence).toBe(1);
    expect(d.explanation[0]).toBe('IP 1.2.3.4 is block-listed (bad_ip).');
    expect(d.explanation).toContain('Outcome forced to block by a block-list entry.');
  });

  it('a block action keeps a higher risk as it is', () => {
    const d = policy.decide(input([sig('list', 0, { action: 'block' }), sig('report', 0.95)]));
    expect(d.risk).toBeCloseTo(0.95, 12);
  });

  it('an allow action forces allow, observe and no captcha even at high risk', () => {
    const d = policy.decide(
      input([sig('list', 0, { action: 'allow' }), sig('report', 0.95)], { facets: { behaviorScore: 10 } }),
    );
    expect(d.outcome).toBe('allow');
    expect(d.enforcement.action).toBe('observe');
    expect(d.captcha).toBe(false);
    expect(d.level).toBe('CRITICAL');
    expect(d.explanation).toContain(
      'Outcome forced to allow by an allow-list entry (would have been block).',
    );
  });

  it('block beats allow when both are present', () => {
    const d = policy.decide(
      input([sig('list', 0, { action: 'allow' }), sig('list', 0, { action: 'block' })]),
    );
    expect(d.outcome).toBe('block');
    expect(d.enforcement.action).toBe('auto_block');
  });

  it('allow beats a rule asking for review', () => {
    const d = policy.decide(
      input([sig('list', 0, { action: 'allow' }), sig('rule', 0.5, { action: 'review' })]),
    );
    expect(d.outcome).toBe('allow');
  });
});

describe('decision stage: flag, escalation, access, captcha', () => {
  it('flag is the max of the MAF facet flag and the risk-derived flag', () => {
    expect(policy.decide(input([sig('identity', 0.1)], { facets: { flag: 'RED' } })).flag).toBe('RED');
    expect(policy.decide(input([sig('identity', 0.75)], { facets: { flag: 'YELLOW' } })).flag).toBe('RED');
    expect(policy.decide(input([sig('identity', 0.45)])).flag).toBe('YELLOW');
  });

  it('escalation raises the outcome and never lowers it', () => {
    const p = createPolicy(DEFAULT_POLICY_CONFIG, {
      escalate: (flag, score) =>
        flag !== 'RED'
          ? undefined
          : { outcome: score < 40 ? 'block' : 'challenge', reason: `${flag} flag, score ${score}.` },
    });
    const up = p.decide(input([], { facets: { flag: 'RED', behaviorScore: 20 } }));
    expect(up.outcome).toBe('block');
    expect(up.explanation).toContain('Escalated from allow to block: RED flag, score 20.');
    const notDown = p.decide(input([sig('identity', 0.9)], { facets: { flag: 'RED', behaviorScore: 80 } }));
    expect(notDown.outcome).toBe('block');
  });

  it('captcha at trust <= 50 or on a challenge outcome', () => {
    expect(policy.decide(input([], { facets: { behaviorScore: 50 } })).captcha).toBe(true);
    expect(policy.decide(input([], { facets: { behaviorScore: 51 } })).captcha).toBe(false);
    expect(policy.decide(input([sig('identity', 0.5)], { facets: { behaviorScore: 90 } })).captcha).toBe(
      true,
    );
    const noChallengeCaptcha = createPolicy({
      ...DEFAULT_POLICY_CONFIG,
      captcha: { threshold: 50, onChallenge: false },
    });
    expect(
      noChallengeCaptcha.decide(input([sig('identity', 0.5)], { facets: { behaviorScore: 90 } })).captcha,
    ).toBe(false);
  });

  it('uses the configured default behaviour score when no behaviour detector ran', () => {
    const d = policy.decide(input([]));
    expect(d.behaviorScore).toBe(60);
    expect(d.accessLevel).toBe('RESTRICTED');
  });

  it('uses the default tier when the event has none, and a configured one', () => {
    expect(policy.decide(input([sig('report', 0.95)])).enforcement.tier).toBe('guest');
    const cfg: PolicyConfig = {
      ...DEFAULT_POLICY_CONFIG,
      enforcement: { ...DEFAULT_POLICY_CONFIG.enforcement, defaultTier: 'silver' },
    };
    expect(createPolicy(cfg).decide(input([sig('report', 0.95)])).enforcement).toMatchObject({
      tier: 'silver',
      action: 'auto_block',
      requiresReview: true,
    });
  });
});

describe('decision stage: models', () => {
  const live: ModelScore = {
    model: 'iforest',
    version: '3',
    score: 0.9,
    live: true,
    contributions: [
      { feature: 'amount_z', value: 0.31 },
      { feature: 'ip_count', value: -0.12 },
    ],
  };
  const shadow: ModelScore = { model: 'gbdt', score: 0.99, live: false, contributions: [] };

  it('live models move the score and are explained; shadow models are reported only', () => {
    const d = policy.decide(
      input([sig('identity', 0.3, { reason: 'New device.' })], { models: [shadow, live] }),
    );
    expect(d.risk).toBeCloseTo(1 - 0.7 * 0.1, 12);
    expect(d.models).toEqual([shadow, live]);
    expect(d.explanation).toEqual([
      'Model iforest v3 scored 0.90; strongest features: amount_z +0.31, ip_count -0.12.',
      'New device.',
    ]);
    const onlyShadow = policy.decide(input([], { models: [shadow] }));
    expect(onlyShadow.risk).toBe(0);
    expect(onlyShadow.outcome).toBe('allow');
  });
});

describe('decision stage: report fields', () => {
  it('sorts signals strongest first, explains at most maxItems, collects unique alerts', () => {
    const signals = [
      sig('velocity', 0.3, { reason: 'a', alert: 'VELOCITY_ANOMALY' }),
      sig('graph', 0.9, { reason: 'b', alert: 'SANCTIONED_INTERACTION' }),
      sig('velocity', 0.5, { reason: 'c', alert: 'VELOCITY_ANOMALY' }),
      sig('identity', 0.7, { reason: 'd' }),
      sig('identity', 0.2, { reason: 'e' }),
      sig('rule', 0.1, { reason: 'f' }),
      sig('rule', 0, { reason: 'zero' }),
    ];
    const d = policy.decide(input(signals));
    expect(d.signals.map((s) => s.reason)).toEqual(['b', 'd', 'c', 'a', 'e', 'f', 'zero']);
    expect(d.explanation).toEqual(['b', 'd', 'c', 'a', 'e']);
    expect(d.alerts).toEqual(['SANCTIONED_INTERACTION', 'VELOCITY_ANOMALY']);
  });

  it('reports anomalies and analyzers, and explains a meaningful analyzer ensemble', () => {
    const analyzers = { velocity: 90, amount: 70, pattern: 40, graph: 20, timing: 10 };
    const facets: Facets = { analyzers, anomalies: ['same_ip_signups'] };
    const weighted = createPolicy({
      ...DEFAULT_POLICY_CONFIG,
      combination: { ...DEFAULT_POLICY_CONFIG.combination, method: 'weighted' },
    });
    const d = weighted.decide(input([sig('velocity', 0.9, { reason: 'Burst.' })], { facets }));
    expect(d.score).toBe(53);
    expect(d.level).toBe('MEDIUM');
    expect(d.analyzers).toEqual(analyzers);
    expect(d.analyzers).not.toBe(analyzers);
    expect(d.anomalies).toEqual(['same_ip_signups']);
    expect(d.explanation).toEqual([
      'Burst.',
      'Transaction analyzers: velocity 90, amount 70, pattern 40, graph 20, timing 10; weighted score 53.',
    ]);
  });

  it('by default combines by noisy-OR over signals: a strong finding is not diluted by the ensemble', () => {
    const analyzers = { velocity: 90, amount: 70, pattern: 40, graph: 20, timing: 10 };
    const d = policy.decide(
      input([sig('velocity', 0.9, { reason: 'Burst.' }), sig('amount', 0.5)], { facets: { analyzers } }),
    );
    // 1 - (1 - 0.9)(1 - 0.5) = 0.95; the analyzer facets only feed the weighted ensemble.
    expect(d.risk).toBeCloseTo(0.95, 9);
    expect(d.score).toBe(95);
    expect(d.level).toBe('CRITICAL');
    // The oracle's own weighted score is still explained.
    expect(d.explanation).toContain(
      'Transaction analyzers: velocity 90, amount 70, pattern 40, graph 20, timing 10; weighted score 53.',
    );
  });

  it('returns fresh objects that do not alias the input arrays', () => {
    const signals = [sig('identity', 0.5)];
    const anomalies = ['x'];
    const d1 = policy.decide(input(signals, { facets: { anomalies } }));
    signals.push(sig('report', 0.9));
    anomalies.push('y');
    expect(d1.signals).toHaveLength(1);
    expect(d1.anomalies).toEqual(['x']);
    const d2 = policy.decide(input([sig('identity', 0.5)]));
    expect(d2).not.toBe(d1);
    expect(d2.explanation).not.toBe(d1.explanation);
  });
});

describe('confidence', () => {
  const B = DEFAULT_POLICY_CONFIG.levels.bands;
  it('grows with the distance from a level edge and with agreeing families', () => {
    expect(confidenceOf(50.5, B, true, 2)).toBe(0.875);
    expect(confidenceOf(40.5, B, true, 2)).toBe(0.375);
    expect(confidenceOf(50.5, B, true, 0)).toBe(0.5);
    expect(confidenceOf(0, B, false, 0)).toBe(1);
    expect(confidenceOf(0, B, false, 1)).toBe(0.75);
  });
  it('stays within [0, 1] for every score and family count', () => {
    for (let s = 0; s <= 100; s += 0.5)
      for (let n = 0; n <= 12; n++)
        for (const risky of [true, false]) {
          const c = confidenceOf(s, B, risky, n);
          expect(c).toBeGreaterThanOrEqual(0);
          expect(c).toBeLessThanOrEqual(1);
        }
  });
  it('is higher for a decision backed by several families than by one', () => {
    const one = policy.decide(input([sig('report', 0.95)]));
    const three = policy.decide(input([sig('report', 0.8), sig('identity', 0.7), sig('reputation', 0.6)]));
    expect(three.confidence).toBeGreaterThan(one.confidence);
  });
});
