import { describe, expect, it } from 'vitest';
import { DEFAULT_ENGINE_CONFIG, parseEngineConfig, type EngineConfig } from './config/engine-config.js';
import { createCatalogue } from './detectors/catalogue.js';
import type { Detector } from './detectors/detector.js';
import { severityOf, type Signal } from './detectors/signal.js';
import { createEngine } from './engine.js';
import type { VigilEvent } from './events/event.js';
import { count, HOUR, MINUTE } from './features/feature-spec.js';
import { createMemoryFeatureStore } from './features/memory-store.js';
import { createListSet } from './lists/list-set.js';
import type { ModelHook } from './models/model-hook.js';

const T0 = Date.UTC(2026, 2, 10, 12, 0, 0);
const PARIS = { lat: 48.8566, lon: 2.3522, country: 'FR' };
const SYDNEY = { lat: -33.8688, lon: 151.2093, country: 'AU' };

function parse(input: unknown): EngineConfig {
  const r = parseEngineConfig(input);
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.value;
}

/** A user with a few weeks of ordinary history, so account-age and novelty factors are quiet. */
function warmUp(engine: ReturnType<typeof createEngine>, user: string, device: string, ip: string): number {
  let t = T0 - 30 * 24 * HOUR;
  engine.score({ id: `${user}-signup`, app: 'shop', type: 'signup', at: t, user, device, ip, geo: PARIS }, t);
  for (let i = 0; i < 20; i++) {
    t += 24 * HOUR + 7 * MINUTE;
    engine.score({ id: `${user}-l${i}`, app: 'shop', type: 'login', at: t, user, device, ip, geo: PARIS }, t);
  }
  return t;
}

describe('engine: end to end through the memory store', () => {
  it('wires the whole catalogue: lists first, MAF flag last, one plan', () => {
    const engine = createEngine();
    const ids = engine.detectors.map((d) => d.id);
    expect(ids[0]).toBe('lists');
    expect(ids.at(-1)).toBe('maf.flag');
    expect(ids.indexOf('behavior.score')).toBeLessThan(ids.indexOf('shield.signal_event'));
    expect(ids.indexOf('shield.signal_event')).toBeLessThan(ids.indexOf('oracle.velocity'));
    expect(ids.indexOf('oracle.timing')).toBeLessThan(ids.indexOf('maf.ip_signup'));
    const keys = new Set(engine.plan.specs.map((s) => s.key));
    expect(keys.size).toBe(engine.plan.specs.length);
    for (const d of engine.detectors)
      for (const s of d.features) expect(engine.plan.slots.has(s.key)).toBe(true);
  });

  it('a normal login of an established user is allowed and SAFE', () => {
    const engine = createEngine();
    const t = warmUp(engine, 'alice', 'dev-a', '81.2.69.160');
    const at = t + 24 * HOUR;
    const r = engine.process(
      { id: 'login-ok', type: 'login', at, user: 'alice', device: 'dev-a', ip: '81.2.69.160', geo: PARIS },
      { now: at, app: 'shop' },
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const d = r.value.decision;
    expect(d.failures).toEqual([]);
    expect(d.outcome).toBe('allow');
    expect(d.level).toBe('SAFE');
    expect(d.flag).toBe('GREEN');
    expect(d.enforcement.action).toBe('observe');
    expect(d.captcha).toBe(false);
    expect(d.behaviorScore).toBeGreaterThan(50);
    expect(d.eventId).toBe('login-ok');
    expect(d.user).toBe('alice');
  });

  it('a guest with a fraud_signal event: risk >= 0.75 → 72 h auto-block, 24 h SLA', () => {
    const engine = createEngine();
    const d = engine.score(
      { id: 'fs1', app: 'games', type: 'fraud_signal', at: T0, user: 'g1', tier: 'guest' },
      T0,
    );
    expect(d.failures).toEqual([]);
    expect(d.risk).toBeGreaterThanOrEqual(0.75);
    expect(d.signals.some((s) => s.code.startsWith('shield.signal_event'))).toBe(true);
    expect(d.enforcement).toMatchObject({
      action: 'auto_block',
      tier: 'guest',
      durationMs: 72 * HOUR,
      reviewSlaMs: 24 * HOUR,
    });
    expect(d.flag).toBe('RED');
    expect(['review', 'block']).toContain(d.outcome);
    expect(d.explanation.length).toBeGreaterThan(0);
  });

  it('a VIP with the same fraud_signal: soft restrict with review, never a permanent ban', () => {
    const engine = createEngine();
    const d = engine.score(
      { id: 'fs2', app: 'games', type: 'fraud_signal', at: T0, user: 'v1', tier: 'vip' },
      T0,
    );
    expect(d.risk).toBeGreaterThanOrEqual(0.75);
    expect(d.enforcement).toMatchObject({
      action: 'soft_restrict',
      tier: 'vip',
      requiresReview: true,
      reviewSlaMs: 4 * HOUR,
      features: ['withdrawals', 'betting'],
    });
    expect(d.enforcement.action).not.toBe('permanent_ban');
  });

  it('an event without a tier is enforced as the configured default tier', () => {
    const engine = createEngine({ config: parse({ enforcement: { defaultTier: 'gold' } }) });
    const d = engine.score({ id: 'fs3', app: 'games', type: 'payment_risk', at: T0, user: 'x' }, T0);
    expect(d.enforcement.tier).toBe('gold');
    expect(d.enforcement.action).toBe('auto_block');
    expect(d.enforcement.requiresReview).toBe(true);
  });

  it('a block-listed IP is blocked whatever else the event looks like', () => {
    const lists = createListSet();
    lists.add({ kind: 'ip', value: '185.220.100.0/22', verdict: 'block', label: 'tor' });
    const engine = createEngine({ lists });
    const t = warmUp(engine, 'bob', 'dev-b', '81.2.69.161');
    const at = t + HOUR;
    const d = engine.score(
      {
        id: 'tor',
        app: 'shop',
        type: 'login',
        at,
        user: 'bob',
        device: 'dev-b',
        ip: '185.220.101.7',
        geo: PARIS,
      },
      at,
    );
    expect(d.outcome).toBe('block');
    expect(d.level).toBe('CRITICAL');
    expect(d.score).toBeGreaterThanOrEqual(81);
    expect(d.signals[0]?.code).toBe('lists.ip_blocked');
    expect(d.confidence).toBe(1);
  });

  it('an allow-listed user is allowed even when a detector fires', () => {
    const lists = createListSet();
    lists.add({ kind: 'user', value: 'trusted', verdict: 'allow' });
    const engine = createEngine({ lists });
    const d = engine.score({ id: 'fs4', app: 'games', type: 'fraud_signal', at: T0, user: 'trusted' }, T0);
    expect(d.risk).toBeGreaterThanOrEqual(0.75);
    expect(d.outcome).toBe('allow');
    expect(d.enforcement.action).toBe('observe');
  });

  it('impossible travel is explained in words, strongest first', () => {
    const engine = createEngine();
    const t = warmUp(engine, 'carol', 'dev-c', '81.2.69.162');
    const a = t + 24 * HOUR;
    engine.score(
      {
        id: 'p',
        app: 'shop',
        type: 'login',
        at: a,
        user: 'carol',
        device: 'dev-c',
        ip: '81.2.69.162',
        geo: PARIS,
      },
      a,
    );
    const b = a + 40 * MINUTE;
    const d = engine.score(
      {
        id: 's',
        app: 'shop',
        type: 'login',
        at: b,
        user: 'carol',
        device: 'dev-c',
        ip: '1.120.0.1',
        geo: SYDNEY,
      },
      b,
    );
    const travel = d.signals.find((s) => s.code.startsWith('shield.impossible_travel'));
    expect(travel).toBeDefined();
    expect(d.risk).toBeGreaterThan(0.4);
    expect(d.outcome).not.toBe('allow');
    expect(d.explanation).toContain(travel?.reason);
    // Strongest first: the explanation follows the sorted signals.
    for (let i = 1; i < d.signals.length; i++)
      expect(d.signals[i - 1]!.score).toBeGreaterThanOrEqual(d.signals[i]!.score);
  });

  it('a burst of signups from one IP raises MAF anomalies and the flag', () => {
    const engine = createEngine();
    let last = engine.score(
      { id: 'su0', app: 'meme', type: 'signup', at: T0, user: 'n0', device: 'd0', ip: '203.0.113.9' },
      T0,
    );
    for (let i = 1; i < 12; i++) {
      const at = T0 + i * MINUTE;
      last = engine.score(
        { id: `su${i}`, app: 'meme', type: 'signup', at, user: `n${i}`, device: `d${i}`, ip: '203.0.113.9' },
        at,
      );
    }
    expect(last.anomalies.length).toBeGreaterThan(0);
    expect(last.flag).not.toBe('GREEN');
    expect(last.outcome).not.toBe('allow');
  });

  it('money events carry the analyzer scores; others do not', () => {
    const engine = createEngine();
    const tx = engine.score(
      {
        id: 'tx1',
        app: 'pay',
        type: 'transfer',
        at: T0,
        user: 'w1',
        wallet: '0xaaa',
        counterparty: '0xbbb',
        amount: 120,
      },
      T0,
    );
    expect(tx.analyzers).toBeDefined();
    expect(Object.keys(tx.analyzers ?? {}).sort()).toEqual([
      'amount',
      'graph',
      'pattern',
      'timing',
      'velocity',
    ]);
    const login = engine.score({ id: 'l1', app: 'pay', type: 'login', at: T0, user: 'w1' }, T0);
    expect(login.analyzers).toBeUndefined();
  });

  it('process() rejects a malformed event with every problem and never throws', () => {
    const engine = createEngine();
    const r = engine.process({ id: '', type: 'nope', ip: 'x' }, { now: T0, app: 'shop' });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems.length).toBeGreaterThan(0);
    expect(engine.process(null, { now: T0 }).ok).toBe(false);
    expect(engine.process({ id: 'a', type: 'login' }, { now: T0 }).ok).toBe(false); // no app
  });

  it('decide() from a snapshot evaluated elsewhere equals score() in the engine store', () => {
    const a = createEngine();
    const b = createEngine();
    const other = createMemoryFeatureStore();
    const events: VigilEvent[] = [];
    for (let i = 0; i < 30; i++)
      events.push({
        id: `e${i}`,
        app: 'shop',
        type: i % 3 === 0 ? 'payment' : 'login',
        at: T0 + i * MINUTE,
        user: `u${i % 4}`,
        device: `d${i % 5}`,
        ip: `198.51.100.${i % 7}`,
        amount: 10 + i,
      });
    for (const e of events) {
      const x = a.score(e, e.at);
      const y = b.decide(e, other.evaluate(b.plan, e), e.at);
      expect(y).toEqual(x);
    }
  });

  it('disables detectors by id and skips detectors that do not apply to the event type', () => {
    const engine = createEngine({ config: parse({ detectors: { disabled: ['shield.signal_event'] } }) });
    expect(engine.detectors.some((d) => d.id === 'shield.signal_event')).toBe(false);
    const d = engine.score({ id: 'fs5', app: 'games', type: 'fraud_signal', at: T0, user: 'g2' }, T0);
    expect(d.signals.some((s) => s.code.startsWith('shield.signal_event'))).toBe(false);

    let calls = 0;
    const paymentsOnly: Detector = {
      id: 'test.payments',
      features: [],
      appliesTo: ['payment'],
      detect: () => {
        calls++;
      },
    };
    const custom = createEngine({ detectors: [paymentsOnly] });
    custom.score({ id: 'l', app: 'a', type: 'login', at: T0 }, T0);
    custom.score({ id: 'c', app: 'a', type: 'custom:quest_done', at: T0 }, T0);
    expect(calls).toBe(0);
    custom.score({ id: 'p', app: 'a', type: 'payment', at: T0, amount: 5 }, T0);
    expect(calls).toBe(1);
  });
});

describe('engine: failures', () => {
  const throwing: Detector = {
    id: 'test.throws',
    features: [],
    detect(_ctx, out) {
      // Half-written output must be rolled back.
      out.signals.push({
        code: 'test.partial',
        score: 1,
        severity: 'critical',
        category: 'rule',
        reason: 'partial',
        evidence: {},
      });
      out.facets.behaviorScore = 0;
      (out.facets.anomalies ??= []).push('partial');
      throw new Error('boom');
    },
  };

  it('records a throwing detector in failures; the decision still comes back without its output', () => {
    const engine = createEngine({ detectors: [...createCatalogue(DEFAULT_ENGINE_CONFIG), throwing] });
    const d = engine.score(
      { id: 'x1', app: 'shop', type: 'login', at: T0, user: 'u', device: 'd', ip: '81.2.69.170' },
      T0,
    );
    expect(d.failures).toEqual([{ detector: 'test.throws', error: 'boom' }]);
    expect(d.signals.some((s) => s.code === 'test.partial')).toBe(false);
    expect(d.anomalies).not.toContain('partial');
    expect(d.behaviorScore).toBeGreaterThan(0);
    expect(d.outcome).not.toBe('block');
    // The next event starts clean.
    const d2 = engine.score(
      { id: 'x2', app: 'shop', type: 'login', at: T0 + MINUTE, user: 'u', device: 'd', ip: '81.2.69.170' },
      T0 + MINUTE,
    );
    expect(d2.failures).toEqual([{ detector: 'test.throws', error: 'boom' }]);
    expect(d2).not.toBe(d);
  });

  it('rolls back facets a failing detector changed in place', () => {
    const setter: Detector = {
      id: 'test.setter',
      features: [],
      detect(_ctx, out) {
        out.facets.analyzers = { velocity: 10 };
        out.facets.anomalies = ['kept'];
        out.signals.push({
          code: 'test.kept',
          score: 0.3,
          severity: severityOf(0.3),
          category: 'identity',
          reason: 'kept',
          evidence: {},
        });
      },
    };
    const mutator: Detector = {
      id: 'test.mutator',
      features: [],
      detect(_ctx, out) {
        const a = out.facets.analyzers;
        if (a !== undefined) {
          a.velocity = 99;
          a.graph = 99;
        }
        out.facets.anomalies?.push('dropped');
        out.facets.flag = 'RED';
        throw new Error('late failure');
      },
    };
    const engine = createEngine({ detectors: [setter, mutator] });
    const d = engine.score({ id: 'y', app: 'shop', type: 'login', at: T0 }, T0);
    expect(d.failures).toEqual([{ detector: 'test.mutator', error: 'late failure' }]);
    expect(d.analyzers).toEqual({ velocity: 10 });
    expect(d.anomalies).toEqual(['kept']);
    expect(d.flag).toBe('GREEN');
    expect(d.signals.map((s) => s.code)).toEqual(['test.kept']);
  });

  it('keeps the output of every successful detector exactly once around several failures', () => {
    const signal = (code: string): Signal => ({
      code,
      score: 0.2,
      severity: severityOf(0.2),
      category: 'identity',
      reason: code,
      evidence: {},
    });
    const writer = (id: string, velocity: number): Detector => ({
      id,
      features: [],
      detect(_ctx, out) {
        out.signals.push(signal(`${id}.ok`));
        const a = (out.facets.analyzers ??= {});
        a.velocity = Math.max(a.velocity ?? 0, velocity);
        (out.facets.anomalies ??= []).push(id);
      },
    });
    const breaker = (id: string): Detector => ({
      id,
      features: [],
      detect(_ctx, out) {
        out.signals.push(signal(`${id}.partial`));
        (out.facets.anomalies ??= []).push(`${id}-partial`);
        if (out.facets.analyzers !== undefined) out.facets.analyzers.graph = 99;
        throw new Error(`${id} failed`);
      },
    });
    const engine = createEngine({
      detectors: [writer('a', 10), breaker('x'), writer('b', 20), breaker('y'), writer('c', 5)],
    });
    const d = engine.score({ id: 'w', app: 'shop', type: 'login', at: T0 }, T0);
    expect(d.failures.map((f) => f.detector)).toEqual(['x', 'y']);
    expect(d.signals.map((x) => x.code)).toEqual(['a.ok', 'b.ok', 'c.ok']);
    expect(d.anomalies).toEqual(['a', 'b', 'c']);
    expect(d.analyzers).toEqual({ velocity: 20 });
  });

  it('survives a detector that throws a non-Error', () => {
    const weird: Detector = {
      id: 'test.weird',
      features: [],
      detect() {
        throw 42; // eslint-disable-line @typescript-eslint/only-throw-error
      },
    };
    const d = createEngine({ detectors: [weird] }).score({ id: 'z', app: 'a', type: 'login', at: T0 }, T0);
    expect(d.failures).toEqual([{ detector: 'test.weird', error: 'non-error thrown' }]);
    expect(d.outcome).toBe('allow');
  });
});

describe('engine: model hooks', () => {
  const seen = count({ entity: 'user', window: HOUR });
  const hook = (id: string, live: boolean, score: number): ModelHook => ({
    id,
    live,
    version: '1',
    features: [seen],
    score: (ctx) => ({
      score,
      contributions: [
        { feature: 'small', value: 0.01 },
        { feature: 'user_events_1h', value: ctx.features.get(seen) / 10 },
        { feature: 'negative', value: -0.25 },
      ],
    }),
  });

  it('adds model features to the plan; live scores count, shadow scores are only reported', () => {
    const engine = createEngine({
      detectors: [],
      models: [hook('live-m', true, 0.9), hook('shadow-m', false, 0.99)],
    });
    expect(engine.plan.slots.has(seen.key)).toBe(true);
    engine.score({ id: 'm0', app: 'a', type: 'login', at: T0, user: 'u' }, T0);
    const d = engine.score({ id: 'm1', app: 'a', type: 'login', at: T0 + 1, user: 'u' }, T0 + 1);
    expect(d.risk).toBeCloseTo(0.9, 12);
    expect(d.outcome).toBe('block');
    expect(d.models.map((m) => [m.model, m.live, m.score])).toEqual([
      ['live-m', true, 0.9],
      ['shadow-m', false, 0.99],
    ]);
    expect(d.models[0]?.contributions.map((c) => c.feature)).toEqual(['negative', 'user_events_1h', 'small']);
    expect(d.explanation[0]).toBe(
      'Model live-m v1 scored 0.90; strongest features: negative -0.25, user_events_1h +0.20, small +0.01.',
    );
  });

  it('the app configuration switches a model between live and shadow', () => {
    const config = parse({ models: { modes: { 'live-m': 'shadow', 'shadow-m': 'live' } } });
    const engine = createEngine({
      config,
      detectors: [],
      models: [hook('live-m', true, 0.9), hook('shadow-m', false, 0.3)],
    });
    const d = engine.score({ id: 'm2', app: 'a', type: 'login', at: T0, user: 'u' }, T0);
    expect(d.risk).toBeCloseTo(0.3, 12);
    expect(d.models.map((m) => m.live)).toEqual([false, true]);
  });

  it('a throwing or non-finite model is recorded in failures and ignored', () => {
    const bad: ModelHook = {
      id: 'bad',
      live: true,
      features: [],
      score: () => {
        throw new Error('no weights');
      },
    };
    const nan: ModelHook = {
      id: 'nan',
      live: true,
      features: [],
      score: () => ({ score: Number.NaN, contributions: [] }),
    };
    const engine = createEngine({ detectors: [], models: [bad, nan, hook('ok', true, 0.2)] });
    const d = engine.score({ id: 'm3', app: 'a', type: 'login', at: T0, user: 'u' }, T0);
    expect(d.failures.map((f) => f.detector)).toEqual(['model:bad', 'model:nan']);
    expect(d.failures[0]?.error).toBe('no weights');
    expect(d.models.map((m) => m.model)).toEqual(['ok']);
    expect(d.risk).toBeCloseTo(0.2, 12);
  });
});
