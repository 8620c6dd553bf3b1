import { describe, expect, it } from 'vitest';
import type { VigilEvent } from '../../events/event.js';
import { HOUR } from '../../features/feature-spec.js';
import { amountFeatures, createAmountDetector } from './amount.detector.js';
import { createFakeFeatures, runDetectorOutput } from '../testing/fake-features.js';
import { resolveOracleOptions } from './oracle-options.js';

const T0 = Date.UTC(2026, 2, 10, 14, 0);
const opts = resolveOracleOptions();
const d = createAmountDetector(opts);
const F = amountFeatures(opts.amount);

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
const empty = () => createFakeFeatures(d.features);

describe('oracle.amount: structuring', () => {
  it('spec example: 9,500 just under the 10k threshold scores 70', () => {
    const out = runDetectorOutput(d, tx({ amount: 9_500 }), empty());
    expect(out.facets.analyzers?.amount).toBe(70);
    expect(out.signals).toHaveLength(1);
    expect(out.signals[0]).toMatchObject({
      code: 'oracle.amount.structuring',
      score: 0.7,
      severity: 'high',
      category: 'amount',
      alert: 'AMOUNT_ANOMALY',
      evidence: { amount: 9_500, threshold: 10_000, repeated: false },
    });
  });

  it.each([
    [9_000, 70],
    [9_999.99, 70],
    [8_999.99, 0],
    [10_000, 0],
    [12_000, 0],
  ])('amount %d scores %d', (amount, score) => {
    expect(runDetectorOutput(d, tx({ amount }), empty()).facets.analyzers?.amount).toBe(score);
  });

  it('raises the score when near-threshold amounts repeat', () => {
    const prev = empty().set(F.lastSent, { value: 9_800, at: T0 - 2 * HOUR });
    expect(runDetectorOutput(d, tx({ amount: 9_500 }), prev).facets.analyzers?.amount).toBe(80);
    const series = empty()
      .set(F.lastSent, { value: 9_800, at: T0 - 2 * HOUR })
      .set(F.structCount, 3)
      .set(F.structSum, 9_700 + 9_800 + 9_500);
    const out = runDetectorOutput(d, tx({ amount: 9_500 }), series);
    expect(out.facets.analyzers?.amount).toBe(90);
    expect(out.signals[0]).toMatchObject({ evidence: { repeated: true, windowCount: 3 } });
  });

  it('does not count a near-threshold amount from outside the window', () => {
    const old = empty().set(F.lastSent, { value: 9_800, at: T0 - 3 * 24 * HOUR });
    expect(runDetectorOutput(d, tx({ amount: 9_500 }), old).facets.analyzers?.amount).toBe(70);
  });

  it('follows a configured threshold and band', () => {
    const d2 = createAmountDetector(
      resolveOracleOptions({ amount: { structuringThreshold: 3_000, structuringBand: 0.05 } }),
    );
    const snap = createFakeFeatures(d2.features);
    expect(runDetectorOutput(d2, tx({ amount: 2_900 }), snap).facets.analyzers?.amount).toBe(70);
    expect(runDetectorOutput(d2, tx({ amount: 2_800 }), snap).facets.analyzers?.amount).toBe(0);
  });

  it('still checks structuring when the wallet is missing', () => {
    const { wallet: _w, ...event } = tx({ amount: 9_500 });
    expect(
      runDetectorOutput(d, event, {
        get: () => {
          throw new Error('no read expected');
        },
      }).facets.analyzers?.amount,
    ).toBe(70);
  });
});

describe('oracle.amount: outliers on the raw scale (outlierScale linear)', () => {
  const linear = resolveOracleOptions({ amount: { outlierScale: 'linear' } });
  const d = createAmountDetector(linear);
  const empty = () => createFakeFeatures(d.features);
  const history = (n: number) => empty().set(F.stats, { n, mean: 100, std: 20 });

  it('scores a z-score outlier against the wallet stats', () => {
    // z = (220 − 100) / 20 = 6: 50 + 10·3 = 80; also above the outer fence (70).
    const out = runDetectorOutput(d, tx({ amount: 220 }), history(30));
    expect(out.facets.analyzers?.amount).toBe(80);
    expect(out.signals[0]).toMatchObject({
      code: 'oracle.amount.outlier',
      alert: 'AMOUNT_ANOMALY',
      evidence: { z: 6, fence: 'outer', history: 30 },
    });
    // z = 10: capped at 85.
    expect(runDetectorOutput(d, tx({ amount: 300 }), history(30)).facets.analyzers?.amount).toBe(85);
  });

  it('scores IQR fences approximated from mean/std', () => {
    // Inner fence: Q3 + 1.5·IQR = 100 + 20·(0.6745 + 1.5·1.349) = 153.96; z = 2.75 < 3.
    const inner = runDetectorOutput(d, tx({ amount: 155 }), history(30));
    expect(inner.facets.analyzers?.amount).toBe(45);
    expect(inner.signals[0]).toMatchObject({ evidence: { fence: 'inner' } });
    // Outer fence: 100 + 20·(0.6745 + 3·1.349) = 194.43; z = 4.75 → z part 67.5 → 70 from the fence.
    expect(runDetectorOutput(d, tx({ amount: 195 }), history(30)).facets.analyzers?.amount).toBe(70);
    expect(runDetectorOutput(d, tx({ amount: 150 }), history(30)).facets.analyzers?.amount).toBe(0);
  });

  it('needs a minimum history and ignores small and below-mean amounts', () => {
    expect(runDetectorOutput(d, tx({ amount: 300 }), history(9)).facets.analyzers?.amount).toBe(0);
    expect(runDetectorOutput(d, tx({ amount: 5 }), history(30)).facets.analyzers?.amount).toBe(0);
    const tiny = empty().set(F.stats, { n: 30, mean: 1, std: 0.1 });
    expect(runDetectorOutput(d, tx({ amount: 50 }), tiny).facets.analyzers?.amount).toBe(0);
  });

  it('floors the standard deviation of a wallet that always sends the same amount', () => {
    const flat = empty().set(F.stats, { n: 50, mean: 1_000, std: 0 });
    expect(runDetectorOutput(d, tx({ amount: 1_010 }), flat).facets.analyzers?.amount).toBe(0);
    // std floor 50: z = 20 → 85.
    expect(runDetectorOutput(d, tx({ amount: 2_000 }), flat).facets.analyzers?.amount).toBe(85);
  });

  it('normal amounts score 0 with no signal', () => {
    const out = runDetectorOutput(d, tx({ amount: 110 }), history(30));
    expect(out.facets.analyzers?.amount).toBe(0);
    expect(out.signals).toEqual([]);
  });
});

describe('oracle.amount: outliers on the log scale (default)', () => {
  // A wallet whose amounts are log-normal with median 50 and σ = 1: mean 82.4, std 108.
  const sigma = 1;
  const mean = 50 * Math.exp(sigma ** 2 / 2);
  const std = mean * Math.sqrt(Math.exp(sigma ** 2) - 1);
  const history = (n: number) => empty().set(F.stats, { n, mean, std });
  const zOf = (amount: number) => (Math.log(amount) - Math.log(50)) / sigma;

  it('is the default scale', () => {
    expect(opts.amount.outlierScale).toBe('log');
  });

  it('stays quiet for the heavy tail a log-normal wallet produces every few dozen transactions', () => {
    // 500 is 4.2 raw standard deviations above the mean (a linear outlier) but only z = 2.3 in logs.
    expect((500 - mean) / std).toBeGreaterThan(3);
    const out = runDetectorOutput(d, tx({ amount: 500 }), history(30));
    expect(out.facets.analyzers?.amount).toBe(0);
    expect(out.signals).toEqual([]);
  });

  it('scores an amount far out in log terms: z = 4 scores 60, with the fence reported', () => {
    const amount = Math.round(50 * Math.exp(4));
    const out = runDetectorOutput(d, tx({ amount }), history(30));
    const z = zOf(amount);
    expect(z).toBeCloseTo(4, 2);
    expect(out.facets.analyzers?.amount).toBe(Math.round(50 + 10 * (z - 3)));
    expect(out.signals[0]).toMatchObject({
      code: 'oracle.amount.outlier',
      alert: 'AMOUNT_ANOMALY',
      evidence: { scale: 'log', fence: 'inner', history: 30 },
    });
    expect(out.signals[0]?.evidence['z']).toBeCloseTo(z, 3);
    // Far out (z = 8): capped at 85 and past the outer fence.
    const far = runDetectorOutput(d, tx({ amount: Math.round(50 * Math.exp(8)) }), history(30));
    expect(far.facets.analyzers?.amount).toBe(85);
    expect(far.signals[0]?.evidence['fence']).toBe('outer');
  });

  it('still needs the minimum history and a material amount', () => {
    expect(runDetectorOutput(d, tx({ amount: 50_000 }), history(9)).signals).toEqual([]);
    const small = empty().set(F.stats, { n: 30, mean: 2, std: 1 });
    expect(runDetectorOutput(d, tx({ amount: 90 }), small).signals).toEqual([]);
  });
});

describe('oracle.amount: dust attacks', () => {
  const spraying = () => empty().set(F.dustRecipients, 12).set(F.dustCount, 12).set(F.dustSum, 0.06);

  it('flags dust sprayed at many addresses', () => {
    const out = runDetectorOutput(d, tx({ amount: 0.005 }), spraying());
    expect(out.facets.analyzers?.amount).toBe(75);
    expect(out.signals[0]).toMatchObject({
      code: 'oracle.amount.dust',
      alert: 'DUST_ATTACK',
      evidence: { recipients: 12 },
    });
    const wide = empty().set(F.dustRecipients, 30).set(F.dustCount, 30).set(F.dustSum, 0.15);
    expect(runDetectorOutput(d, tx({ amount: 0.005 }), wide).facets.analyzers?.amount).toBe(90);
  });

  it('stays quiet for one dust transfer, few recipients, or a wallet mostly sending real money', () => {
    expect(
      runDetectorOutput(d, tx({ amount: 0.005 }), empty().set(F.dustRecipients, 1).set(F.dustCount, 1))
        .signals,
    ).toEqual([]);
    const few = empty().set(F.dustRecipients, 9).set(F.dustCount, 9).set(F.dustSum, 0.04);
    expect(runDetectorOutput(d, tx({ amount: 0.005 }), few).facets.analyzers?.amount).toBe(0);
    const payroll = empty().set(F.dustRecipients, 12).set(F.dustCount, 12).set(F.dustSum, 12_000);
    expect(runDetectorOutput(d, tx({ amount: 0.005 }), payroll).facets.analyzers?.amount).toBe(0);
    expect(runDetectorOutput(d, tx({ amount: 0.5 }), spraying()).facets.analyzers?.amount).toBe(0);
  });

  it('needs a recipient', () => {
    const { counterparty: _c, ...event } = tx({ amount: 0.005 });
    expect(runDetectorOutput(d, event, spraying()).facets.analyzers?.amount).toBe(0);
  });
});

describe('oracle.amount: missing fields', () => {
  it('writes 0 without an amount or with a bad one', () => {
    const { amount: _a, ...event } = tx();
    expect(runDetectorOutput(d, event, empty()).facets.analyzers).toEqual({ amount: 0 });
    expect(runDetectorOutput(d, tx({ amount: Number.NaN }), empty()).facets.analyzers).toEqual({ amount: 0 });
  });
});
