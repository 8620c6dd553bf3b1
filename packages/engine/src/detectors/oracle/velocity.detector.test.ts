import { describe, expect, it } from 'vitest';
import type { VigilEvent } from '../../events/event.js';
import { HOUR, SECOND } from '../../features/feature-spec.js';
import { createFakeFeatures, runDetectorOutput } from '../testing/fake-features.js';
import { ORACLE_DEFAULTS, resolveOracleOptions } from './oracle-options.js';
import { createVelocityDetector, velocityFeatures, velocityRatioScore } from './velocity.detector.js';

const T0 = Date.UTC(2026, 2, 10, 14, 0);
const opts = resolveOracleOptions();
const d = createVelocityDetector(opts);
const F = velocityFeatures(opts.velocity);

function tx(over: Partial<VigilEvent> = {}): VigilEvent {
  return {
    id: 'e1',
    app: 'app',
    type: 'transfer',
    at: T0,
    wallet: 'A',
    counterparty: 'B',
    amount: 100,
    ...over,
  };
}

/** A wallet first seen 49 hours ago with 96 transactions before the last hour: 2 per hour expected. */
function withBaseline(inLastHour: number) {
  return createFakeFeatures(d.features)
    .set(F.firstSeen, T0 - 49 * HOUR)
    .set(F.baseline, 96 + inLastHour)
    .set(F.window, inLastHour);
}

describe('velocityRatioScore (spec: > 10x → 90, > 5x → 70)', () => {
  it.each([
    [10, 90],
    [25, 90],
    [9.99, 70],
    [5, 70],
    [4.99, 40],
    [3, 40],
    [2.9, 0],
    [1, 0],
  ])('ratio %d scores %d', (ratio, score) => {
    expect(velocityRatioScore(ratio, ORACLE_DEFAULTS.velocity)).toBe(score);
  });
});

describe('oracle.velocity', () => {
  it('10x the expected hourly rate scores 90 (critical)', () => {
    const out = runDetectorOutput(d, tx(), withBaseline(20));
    expect(out.facets.analyzers?.velocity).toBe(90);
    expect(out.signals).toHaveLength(1);
    expect(out.signals[0]).toMatchObject({
      code: 'oracle.velocity.rate',
      score: 0.9,
      severity: 'critical',
      category: 'velocity',
      alert: 'VELOCITY_ANOMALY',
      evidence: { count: 20, expected: 2, ratio: 10 },
    });
  });

  it('5x scores 70 (high), 4.5x scores 40, the usual rate scores 0', () => {
    expect(runDetectorOutput(d, tx(), withBaseline(10)).facets.analyzers?.velocity).toBe(70);
    expect(runDetectorOutput(d, tx(), withBaseline(19)).facets.analyzers?.velocity).toBe(70);
    expect(runDetectorOutput(d, tx(), withBaseline(9)).facets.analyzers?.velocity).toBe(40);
    const normal = runDetectorOutput(d, tx(), withBaseline(2));
    expect(normal.facets.analyzers?.velocity).toBe(0);
    expect(normal.signals).toEqual([]);
  });

  it('uses at most the baseline window of history', () => {
    // First seen 30 days ago, but only the last 7 days count: 167 hours before the last hour.
    const snap = createFakeFeatures(d.features)
      .set(F.firstSeen, T0 - 30 * 24 * HOUR)
      .set(F.baseline, 334 + 20)
      .set(F.window, 20);
    expect(runDetectorOutput(d, tx(), snap).facets.analyzers?.velocity).toBe(90);
  });

  it('floors the expected rate so a quiet wallet is not flagged for a handful of transactions', () => {
    // 6 transactions in 48h → 0.125/h, floored to 2/h (a session's worth): 8 this hour is 4x
    // (elevated), not 64x; 4 this hour is 2x, nothing.
    const quiet = (inLastHour: number) =>
      createFakeFeatures(d.features)
        .set(F.firstSeen, T0 - 49 * HOUR)
        .set(F.baseline, 6 + inLastHour)
        .set(F.window, inLastHour);
    expect(opts.velocity.minExpectedPerWindow).toBe(2);
    expect(runDetectorOutput(d, tx(), quiet(8)).facets.analyzers?.velocity).toBe(40);
    expect(runDetectorOutput(d, tx(), quiet(4)).facets.analyzers?.velocity).toBe(0);
    // With the floor at 1 per hour, 4 is already 4x.
    const floor1 = createVelocityDetector(resolveOracleOptions({ velocity: { minExpectedPerWindow: 1 } }));
    expect(runDetectorOutput(floor1, tx(), quiet(4)).facets.analyzers?.velocity).toBe(40);
  });

  it('needs a minimum history for the baseline ratio', () => {
    // Seen for 12 hours only.
    const young = createFakeFeatures(d.features)
      .set(F.firstSeen, T0 - 12 * HOUR)
      .set(F.baseline, 40)
      .set(F.window, 30);
    expect(runDetectorOutput(d, tx(), young).facets.analyzers?.velocity).toBe(0);
    // Two days old, but only 3 transactions before the last hour.
    const sparse = createFakeFeatures(d.features)
      .set(F.firstSeen, T0 - 49 * HOUR)
      .set(F.baseline, 3 + 9)
      .set(F.window, 9);
    expect(runDetectorOutput(d, tx(), sparse).facets.analyzers?.velocity).toBe(0);
  });

  it('scores 0 on the first transaction of a wallet', () => {
    const out = runDetectorOutput(
      d,
      tx(),
      createFakeFeatures(d.features).set(F.window, 1).set(F.baseline, 1),
    );
    expect(out.facets.analyzers?.velocity).toBe(0);
    expect(out.signals).toEqual([]);
  });

  it('ignores a first-seen time after the event (out-of-order events)', () => {
    const snap = createFakeFeatures(d.features)
      .set(F.firstSeen, T0 + HOUR)
      .set(F.baseline, 50)
      .set(F.window, 30);
    expect(runDetectorOutput(d, tx(), snap).facets.analyzers?.velocity).toBe(0);
  });

  it('flags a burst even without history', () => {
    const out = runDetectorOutput(d, tx(), createFakeFeatures(d.features).set(F.burst, 10).set(F.window, 10));
    expect(out.facets.analyzers?.velocity).toBe(70);
    expect(out.signals[0]).toMatchObject({ code: 'oracle.velocity.burst', alert: 'VELOCITY_ANOMALY' });
    const big = runDetectorOutput(d, tx(), createFakeFeatures(d.features).set(F.burst, 20).set(F.window, 20));
    expect(big.facets.analyzers?.velocity).toBe(85);
    const calm = runDetectorOutput(d, tx(), createFakeFeatures(d.features).set(F.burst, 9).set(F.window, 9));
    expect(calm.facets.analyzers?.velocity).toBe(0);
  });

  it('flags a steady machine cadence', () => {
    // 60 in the hour → mean gap 60 s; the last gap was 60 s.
    const bot = createFakeFeatures(d.features)
      .set(F.window, 60)
      .set(F.lastSent, { value: 100, at: T0 - 60 * SECOND });
    const out = runDetectorOutput(d, tx(), bot);
    expect(out.facets.analyzers?.velocity).toBe(50);
    expect(out.signals[0]).toMatchObject({ code: 'oracle.velocity.cadence', alert: 'VELOCITY_ANOMALY' });
    // Same count, irregular gap.
    const human = createFakeFeatures(d.features)
      .set(F.window, 60)
      .set(F.lastSent, { value: 100, at: T0 - 5 * SECOND });
    expect(runDetectorOutput(d, tx(), human).facets.analyzers?.velocity).toBe(0);
    // Regular, but slow.
    const slow = createFakeFeatures(d.features)
      .set(F.window, 20)
      .set(F.lastSent, { value: 100, at: T0 - 180 * SECOND });
    expect(runDetectorOutput(d, tx(), slow).facets.analyzers?.velocity).toBe(0);
  });

  describe('flash loans', () => {
    it('flags a transaction declared a flash loan', () => {
      const out = runDetectorOutput(d, tx({ attrs: { kind: 'flash_loan' } }), createFakeFeatures(d.features));
      expect(out.facets.analyzers?.velocity).toBe(95);
      expect(out.signals).toHaveLength(1);
      expect(out.signals[0]).toMatchObject({ alert: 'FLASH_LOAN_ATTACK', score: 0.95, category: 'velocity' });
    });

    it('flags a large near-equal borrow and repay within seconds', () => {
      const snap = createFakeFeatures(d.features).set(F.reversePairLast, {
        value: 500_000,
        at: T0 - 12 * SECOND,
      });
      const out = runDetectorOutput(d, tx({ amount: 500_450 }), snap);
      expect(out.facets.analyzers?.velocity).toBe(95);
      expect(out.signals[0]).toMatchObject({
        code: 'oracle.velocity.flash_loan',
        alert: 'FLASH_LOAN_ATTACK',
        evidence: { amount: 500_450, borrowed: 500_000, gapMs: 12_000 },
      });
    });

    it('stays quiet for small, slow or unequal round trips', () => {
      const small = createFakeFeatures(d.features).set(F.reversePairLast, {
        value: 5_000,
        at: T0 - 12 * SECOND,
      });
      expect(runDetectorOutput(d, tx({ amount: 5_000 }), small).facets.analyzers?.velocity).toBe(0);
      const slow = createFakeFeatures(d.features).set(F.reversePairLast, {
        value: 500_000,
        at: T0 - 10 * 60 * SECOND,
      });
      expect(runDetectorOutput(d, tx({ amount: 500_000 }), slow).facets.analyzers?.velocity).toBe(0);
      const unequal = createFakeFeatures(d.features).set(F.reversePairLast, {
        value: 500_000,
        at: T0 - 5 * SECOND,
      });
      expect(runDetectorOutput(d, tx({ amount: 200_000 }), unequal).facets.analyzers?.velocity).toBe(0);
    });

    it('accepts the legs in either order (clock skew)', () => {
      const snap = createFakeFeatures(d.features).set(F.reversePairLast, {
        value: 500_000,
        at: T0 + 3 * SECOND,
      });
      expect(runDetectorOutput(d, tx({ amount: 500_000 }), snap).facets.analyzers?.velocity).toBe(95);
    });
  });

  it('writes 0 and reads nothing wallet-keyed for an event without a wallet', () => {
    const snap = {
      get: () => {
        throw new Error('no read expected');
      },
    };
    const { wallet: _wallet, ...event } = tx();
    const out = runDetectorOutput(d, event, snap);
    expect(out.facets.analyzers).toEqual({ velocity: 0 });
    expect(out.signals).toEqual([]);
  });

  it('keeps other analyzers scores in the shared facet', () => {
    const out = { signals: [], facets: { analyzers: { amount: 70 } } };
    d.detect({ event: tx(), features: withBaseline(20), lists: { lookup: () => undefined }, now: T0 }, out);
    expect(out.facets.analyzers).toEqual({ amount: 70, velocity: 90 });
  });
});
