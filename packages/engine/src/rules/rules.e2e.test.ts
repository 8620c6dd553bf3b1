import { describe, expect, it } from 'vitest';
import type { DetectorOutput } from '../detectors/detector.js';
import type { Signal } from '../detectors/signal.js';
import type { VigilEvent } from '../events/event.js';
import { MINUTE } from '../features/feature-spec.js';
import { compilePlan } from '../features/feature-store.js';
import { createMemoryFeatureStore } from '../features/memory-store.js';
import { emptyLists } from '../lists/list-lookup.js';
import { EXAMPLE_RULES, ML_SPEC_RULES, compileRules } from './index.js';

describe('rules through the in-memory feature store', () => {
  it('fires the spec rules on a realistic sequence of one user', () => {
    const r = compileRules([
      ...ML_SPEC_RULES,
      {
        id: 'new_device_burst',
        expression: 'distinct(device, user, 1d) >= 3 && account_age_days < 1.0',
        score: 0.7,
      },
    ]);
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    const { detector, features } = r.value;
    const plan = compilePlan(features);
    const store = createMemoryFeatureStore();
    const t0 = Date.UTC(2026, 4, 1, 9);
    const codesOf = (e: VigilEvent): string[] => {
      const out: DetectorOutput = { signals: [] as Signal[], facets: {} };
      detector.detect({ event: e, features: store.evaluate(plan, e), lists: emptyLists, now: e.at }, out);
      return out.signals.map((s) => s.code);
    };
    const pay = (i: number, extra: Partial<VigilEvent> = {}): VigilEvent => ({
      id: `p${i}`,
      app: 'shop',
      type: 'payment',
      at: t0 + i * MINUTE,
      user: 'u1',
      amount: 40,
      device: 'd1',
      geo: { lat: 51.5, lon: -0.13 },
      ...extra,
    });

    // Ten ordinary payments from London: nothing fires.
    for (let i = 0; i < 10; i++) expect(codesOf(pay(i))).toEqual([]);
    // The 11th payment in the hour trips the velocity rule, with a large amount from New York.
    expect(codesOf(pay(10, { amount: 25_000, geo: { lat: 40.71, lon: -74.0 } })).sort()).toEqual([
      'rule.amount_threshold',
      'rule.location_anomaly',
      'rule.velocity_check',
    ]);
    // Two hours later the velocity has cooled down; a third device on the first day fires the custom rule.
    expect(
      codesOf({ id: 'l1', app: 'shop', type: 'login', at: t0 + 120 * MINUTE, user: 'u1', device: 'd2' }),
    ).toEqual([]);
    expect(
      codesOf({ id: 'l2', app: 'shop', type: 'login', at: t0 + 121 * MINUTE, user: 'u1', device: 'd3' }),
    ).toEqual(['rule.new_device_burst']);
    // Another user is unaffected.
    expect(codesOf(pay(13, { id: 'x', user: 'u2' }))).toEqual([]);
  });

  it('the example rules stay quiet on a real trip and fire on a new device far away', () => {
    const r = compileRules(EXAMPLE_RULES);
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    const { detector, features } = r.value;
    const plan = compilePlan(features);
    const store = createMemoryFeatureStore();
    const t0 = Date.UTC(2026, 4, 1, 9);
    const codesOf = (e: VigilEvent): string[] => {
      const out: DetectorOutput = { signals: [] as Signal[], facets: {} };
      detector.detect({ event: e, features: store.evaluate(plan, e), lists: emptyLists, now: e.at }, out);
      return out.signals.map((s) => s.code);
    };
    const LONDON = { lat: 51.5, lon: -0.13 };
    const NEW_YORK = { lat: 40.71, lon: -74.0 };
    const login = (
      id: string,
      at: number,
      device: string,
      geo: { lat: number; lon: number },
    ): VigilEvent => ({
      id,
      app: 'shop',
      type: 'login',
      at,
      user: 'u1',
      device,
      geo,
    });
    // A week at home on one phone, then a flight to New York with it (9 hours later).
    for (let i = 0; i < 7; i++)
      expect(codesOf(login(`h${i}`, t0 + i * 24 * 60 * MINUTE, 'phone', LONDON))).toEqual([]);
    const landed = t0 + 6 * 24 * 60 * MINUTE + 9 * 60 * MINUTE;
    expect(codesOf(login('ny', landed, 'phone', NEW_YORK))).toEqual([]);
    // Back home a week later; ten minutes after, a never-seen device logs in from New York.
    const home = landed + 7 * 24 * 60 * MINUTE;
    expect(codesOf(login('back', home, 'phone', LONDON))).toEqual([]);
    expect(codesOf(login('x', home + 10 * MINUTE, 'stranger', NEW_YORK))).toEqual(['rule.location_anomaly']);
  });
});
