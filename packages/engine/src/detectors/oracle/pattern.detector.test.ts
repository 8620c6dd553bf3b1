import { describe, expect, it } from 'vitest';
import type { VigilEvent } from '../../events/event.js';
import { HOUR, MINUTE, SECOND } from '../../features/feature-spec.js';
import { createFakeFeatures, runDetectorOutput } from '../testing/fake-features.js';
import { resolveOracleOptions } from './oracle-options.js';
import { createPatternDetector, patternFeatures } from './pattern.detector.js';

const T0 = Date.UTC(2026, 2, 10, 14, 0);
const opts = resolveOracleOptions();
const d = createPatternDetector(opts);
const F = patternFeatures(opts.pattern);

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

describe('oracle.pattern: mixing', () => {
  it('flags many unique counterparties in the window', () => {
    const out = runDetectorOutput(d, tx(), empty().set(F.fanOut, 15));
    expect(out.facets.analyzers?.pattern).toBe(60);
    expect(out.signals[0]).toMatchObject({
      code: 'oracle.pattern.mixing',
      category: 'pattern',
      alert: 'MIXING_DETECTED',
      evidence: { fanOut: 15, fanIn: 0 },
    });
    expect(runDetectorOutput(d, tx(), empty().set(F.fanOut, 30)).facets.analyzers?.pattern).toBe(75);
    expect(runDetectorOutput(d, tx(), empty().set(F.fanOut, 60)).facets.analyzers?.pattern).toBe(85);
  });

  it('scores funds funnelled in from many and out to many higher', () => {
    const out = runDetectorOutput(d, tx(), empty().set(F.fanOut, 15).set(F.fanIn, 20));
    expect(out.facets.analyzers?.pattern).toBe(70);
    expect(out.signals[0]).toMatchObject({ evidence: { fanOut: 15, fanIn: 20 } });
  });

  it('stays quiet under the threshold', () => {
    const out = runDetectorOutput(d, tx(), empty().set(F.fanOut, 14).set(F.fanIn, 40));
    expect(out.facets.analyzers?.pattern).toBe(0);
    expect(out.signals).toEqual([]);
  });
});

describe('oracle.pattern: round trips (wash trading)', () => {
  it('flags A→B→A with a near-equal amount', () => {
    const snap = empty()
      .set(F.reversePairLast, { value: 1_000, at: T0 - 3 * HOUR })
      .set(F.pairCount, 1);
    const out = runDetectorOutput(d, tx({ amount: 980 }), snap);
    expect(out.facets.analyzers?.pattern).toBe(70);
    expect(out.signals[0]).toMatchObject({
      code: 'oracle.pattern.round_trip',
      alert: 'WASH_TRADING',
      evidence: { amount: 980, returned: 1_000, gapMs: 3 * HOUR },
    });
  });

  it('scores fast and repeated round trips higher', () => {
    const fast = empty()
      .set(F.reversePairLast, { value: 1_000, at: T0 - 20 * MINUTE })
      .set(F.pairCount, 1);
    expect(runDetectorOutput(d, tx({ amount: 1_000 }), fast).facets.analyzers?.pattern).toBe(80);
    const repeated = empty()
      .set(F.reversePairLast, { value: 1_000, at: T0 - 3 * HOUR })
      .set(F.pairCount, 3);
    expect(runDetectorOutput(d, tx({ amount: 1_000 }), repeated).facets.analyzers?.pattern).toBe(90);
  });

  it('ignores refunds of a different amount, old transfers and the first transfer of a pair', () => {
    const partial = empty().set(F.reversePairLast, { value: 1_000, at: T0 - HOUR });
    expect(runDetectorOutput(d, tx({ amount: 400 }), partial).facets.analyzers?.pattern).toBe(0);
    const old = empty().set(F.reversePairLast, { value: 1_000, at: T0 - 2 * 24 * HOUR });
    expect(runDetectorOutput(d, tx({ amount: 1_000 }), old).facets.analyzers?.pattern).toBe(0);
    expect(runDetectorOutput(d, tx({ amount: 1_000 }), empty()).facets.analyzers?.pattern).toBe(0);
  });

  it('accepts the return leg stamped slightly before the first (clock skew)', () => {
    const snap = empty().set(F.reversePairLast, { value: 1_000, at: T0 + 30 * SECOND });
    expect(runDetectorOutput(d, tx({ amount: 1_000 }), snap).facets.analyzers?.pattern).toBe(80);
  });

  it('leaves flash-loan-sized fast round trips to the velocity analyzer', () => {
    const snap = empty().set(F.reversePairLast, { value: 500_000, at: T0 - 10 * SECOND });
    expect(runDetectorOutput(d, tx({ amount: 500_000 }), snap).signals).toEqual([]);
  });
});

describe('oracle.pattern: layering', () => {
  it('flags the same amount sent to many addresses', () => {
    const snap = empty()
      .set(F.fanOut, 6)
      .set(F.windowCount, 6)
      .set(F.windowSum, 6 * 2_500)
      .set(F.lastSent, { value: 2_500, at: T0 - MINUTE });
    const out = runDetectorOutput(d, tx({ amount: 2_500 }), snap);
    expect(out.facets.analyzers?.pattern).toBe(65);
    expect(out.signals[0]).toMatchObject({
      code: 'oracle.pattern.layering',
      alert: 'LAYERING',
      evidence: { recipients: 6, transactions: 6, windowMean: 2_500 },
    });
    const wide = empty()
      .set(F.fanOut, 10)
      .set(F.windowCount, 10)
      .set(F.windowSum, 10 * 2_500)
      .set(F.lastSent, { value: 2_500, at: T0 - MINUTE });
    expect(runDetectorOutput(d, tx({ amount: 2_500 }), wide).facets.analyzers?.pattern).toBe(80);
  });

  it('stays quiet for varied amounts, few recipients, or the same payee', () => {
    const varied = empty()
      .set(F.fanOut, 6)
      .set(F.windowCount, 6)
      .set(F.windowSum, 9_000)
      .set(F.lastSent, { value: 2_500, at: T0 - MINUTE });
    expect(runDetectorOutput(d, tx({ amount: 2_500 }), varied).facets.analyzers?.pattern).toBe(0);
    const few = empty()
      .set(F.fanOut, 4)
      .set(F.windowCount, 6)
      .set(F.windowSum, 6 * 2_500)
      .set(F.lastSent, { value: 2_500, at: T0 - MINUTE });
    expect(runDetectorOutput(d, tx({ amount: 2_500 }), few).facets.analyzers?.pattern).toBe(0);
    const differentPrev = empty()
      .set(F.fanOut, 6)
      .set(F.windowCount, 6)
      .set(F.windowSum, 6 * 2_500)
      .set(F.lastSent, { value: 3_000, at: T0 - MINUTE });
    expect(runDetectorOutput(d, tx({ amount: 2_500 }), differentPrev).facets.analyzers?.pattern).toBe(0);
  });
});

describe('oracle.pattern: pass-through', () => {
  it('flags funds forwarded to a third party right after they arrived', () => {
    const snap = empty()
      .set(F.lastReceived, { value: 50_000, at: T0 - 2 * MINUTE })
      .set(F.payers, ['C']);
    const out = runDetectorOutput(d, tx({ amount: 49_000 }), snap);
    expect(out.facets.analyzers?.pattern).toBe(55);
    expect(out.signals[0]).toMatchObject({
      code: 'oracle.pattern.pass_through',
      alert: 'PATTERN_ANOMALY',
      evidence: { received: 50_000, from: 'C' },
    });
  });

  it('stays quiet when the funds rested, only part moved, or went back to the payer', () => {
    const rested = empty()
      .set(F.lastReceived, { value: 50_000, at: T0 - 2 * HOUR })
      .set(F.payers, ['C']);
    expect(runDetectorOutput(d, tx({ amount: 49_000 }), rested).facets.analyzers?.pattern).toBe(0);
    const part = empty()
      .set(F.lastReceived, { value: 50_000, at: T0 - MINUTE })
      .set(F.payers, ['C']);
    expect(runDetectorOutput(d, tx({ amount: 20_000 }), part).facets.analyzers?.pattern).toBe(0);
    const back = empty()
      .set(F.lastReceived, { value: 50_000, at: T0 - MINUTE })
      .set(F.payers, ['B']);
    expect(runDetectorOutput(d, tx({ amount: 49_000 }), back).facets.analyzers?.pattern).toBe(0);
    const later = empty()
      .set(F.lastReceived, { value: 50_000, at: T0 + 5 * MINUTE })
      .set(F.payers, ['C']);
    expect(runDetectorOutput(d, tx({ amount: 49_000 }), later).facets.analyzers?.pattern).toBe(0);
  });
});

describe('oracle.pattern: circular flow (wash trading with new amounts each round)', () => {
  it('flags money going back and forth between two wallets, whatever the amounts', () => {
    // A paid B earlier today, B paid A 20 minutes ago, A pays B again with a fresh amount.
    const snap = empty()
      .set(F.reversePairLast, { value: 2_400, at: T0 - 20 * MINUTE })
      .set(F.pairCount, 2);
    const out = runDetectorOutput(d, tx({ amount: 3_100 }), snap);
    expect(out.facets.analyzers?.pattern).toBe(65);
    expect(out.signals).toHaveLength(1);
    expect(out.signals[0]).toMatchObject({
      code: 'oracle.pattern.back_and_forth',
      alert: 'WASH_TRADING',
      evidence: { recipient: 'B', pairTrades: 2, gapMs: 20 * MINUTE },
    });
    expect(out.signals[0]?.reason).toContain('for the 2nd time in the window');
  });

  it('does not call a single payback, or an old one, back and forth', () => {
    // B paid A, A pays B for the first time: a payback, not a pattern.
    const once = empty()
      .set(F.reversePairLast, { value: 1_000, at: T0 - HOUR })
      .set(F.pairCount, 1);
    expect(runDetectorOutput(d, tx({ amount: 400 }), once).signals).toEqual([]);
    const old = empty()
      .set(F.reversePairLast, { value: 1_000, at: T0 - 3 * 24 * HOUR })
      .set(F.pairCount, 2);
    expect(runDetectorOutput(d, tx({ amount: 400 }), old).signals).toEqual([]);
  });

  it('flags a three-wallet loop A→B→C→A', () => {
    // A pays B; B recently paid C, and C recently paid A (A received 15 minutes ago).
    const snap = empty()
      .set(F.recipientPaid, ['X', 'C'])
      .set(F.payers, ['C', 'Y'])
      .set(F.lastReceived, { value: 900, at: T0 - 15 * MINUTE });
    const out = runDetectorOutput(d, tx({ amount: 2_000 }), snap);
    expect(out.facets.analyzers?.pattern).toBe(70);
    expect(out.signals[0]).toMatchObject({
      code: 'oracle.pattern.cycle',
      alert: 'WASH_TRADING',
      evidence: { recipient: 'B', via: 'C' },
    });
  });

  it('needs a shared wallet other than the two parties and money received within the window', () => {
    const noLink = empty()
      .set(F.recipientPaid, ['X'])
      .set(F.payers, ['C'])
      .set(F.lastReceived, { value: 900, at: T0 - 15 * MINUTE });
    expect(runDetectorOutput(d, tx({ amount: 2_000 }), noLink).signals).toEqual([]);
    // The recipient paid the sender itself: that is a two-wallet payback, not a loop.
    const self = empty()
      .set(F.recipientPaid, ['A'])
      .set(F.payers, ['A', 'B'])
      .set(F.lastReceived, { value: 900, at: T0 - 15 * MINUTE });
    expect(runDetectorOutput(d, tx({ amount: 2_000 }), self).signals).toEqual([]);
    // The loop's last payment reached the sender weeks ago.
    const stale = empty()
      .set(F.recipientPaid, ['C'])
      .set(F.payers, ['C'])
      .set(F.lastReceived, { value: 900, at: T0 - 20 * 24 * HOUR });
    expect(runDetectorOutput(d, tx({ amount: 2_000 }), stale).signals).toEqual([]);
  });

  it('reports a round trip rather than a loop when the amount also comes straight back', () => {
    const snap = empty()
      .set(F.reversePairLast, { value: 1_000, at: T0 - 20 * MINUTE })
      .set(F.pairCount, 3);
    const out = runDetectorOutput(d, tx({ amount: 990 }), snap);
    expect(out.signals.map((x) => x.code)).toEqual(['oracle.pattern.round_trip']);
  });
});

describe('oracle.pattern: edge cases', () => {
  it('normal traffic scores 0', () => {
    const snap = empty()
      .set(F.fanOut, 2)
      .set(F.windowCount, 3)
      .set(F.windowSum, 450)
      .set(F.lastSent, { value: 200, at: T0 - HOUR });
    const out = runDetectorOutput(d, tx(), snap);
    expect(out.facets.analyzers).toEqual({ pattern: 0 });
    expect(out.signals).toEqual([]);
  });

  it('writes 0 without a wallet and checks only mixing without a counterparty or amount', () => {
    const { wallet: _w, ...noWallet } = tx();
    expect(runDetectorOutput(d, noWallet, empty().set(F.fanOut, 99)).facets.analyzers).toEqual({
      pattern: 0,
    });
    const { counterparty: _c, ...noCp } = tx();
    const snap = empty()
      .set(F.fanOut, 15)
      .set(F.reversePairLast, { value: 100, at: T0 - MINUTE });
    const out = runDetectorOutput(d, noCp, snap);
    expect(out.signals.map((s) => s.code)).toEqual(['oracle.pattern.mixing']);
  });

  it('keeps the strongest finding as the analyzer score', () => {
    const snap = empty()
      .set(F.fanOut, 15)
      .set(F.reversePairLast, { value: 1_000, at: T0 - 3 * HOUR })
      .set(F.pairCount, 4);
    const out = runDetectorOutput(d, tx({ amount: 1_000 }), snap);
    expect(out.facets.analyzers?.pattern).toBe(90);
    expect(out.signals.map((s) => s.alert)).toEqual(['MIXING_DETECTED', 'WASH_TRADING']);
  });
});
