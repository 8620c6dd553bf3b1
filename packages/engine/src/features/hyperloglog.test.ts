import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hashString32 } from './hash32.js';
import { HyperLogLog, WindowedHyperLogLog, hllEstimate, hllIndex, hllRank } from './hyperloglog.js';

describe('HyperLogLog', () => {
  it('estimates 10,000 distinct values within a few percent', () => {
    for (const p of [11, 12, 14]) {
      const h = new HyperLogLog(p);
      for (let i = 0; i < 10_000; i++) h.add(hashString32(`user-${i}`));
      for (let i = 0; i < 10_000; i++) h.add(hashString32(`user-${i}`)); // duplicates change nothing
      expect(Math.abs(h.estimate() - 10_000) / 10_000).toBeLessThan(0.04);
    }
  });

  it('is near exact for small sets (linear counting) and 0 when empty', () => {
    const h = new HyperLogLog(12);
    expect(h.estimate()).toBe(0);
    for (let i = 0; i < 20; i++) h.add(hashString32(`v${i}`));
    expect(Math.round(h.estimate())).toBe(20);
  });

  it('merges into the union', () => {
    const a = new HyperLogLog(12);
    const b = new HyperLogLog(12);
    for (let i = 0; i < 3000; i++) a.add(hashString32(`x${i}`));
    for (let i = 2000; i < 5000; i++) b.add(hashString32(`x${i}`));
    a.merge(b);
    expect(Math.abs(a.estimate() - 5000) / 5000).toBeLessThan(0.04);
    expect(() => a.merge(new HyperLogLog(10))).toThrow(/precisions/);
  });

  it('takes the index from the top bits and the rank from the rest', () => {
    expect(hllIndex(0x80000000 | 0, 4)).toBe(8);
    expect(hllRank(0x00200000, 10)).toBe(1);
    expect(hllRank(0x00000001, 10)).toBe(22);
    expect(hllRank(0, 10)).toBe(23);
    expect(hllEstimate(16, 16, 16)).toBe(0);
    expect(() => new HyperLogLog(3)).toThrow(/precision/);
  });
});

describe('WindowedHyperLogLog', () => {
  it('counts only the buckets asked for and drops buckets the ring overtakes', () => {
    const w = new WindowedHyperLogLog(4, 11);
    for (let i = 0; i < 100; i++) w.add(hashString32(`a${i}`), 10);
    for (let i = 0; i < 50; i++) w.add(hashString32(`b${i}`), 12);
    const near = (x: number, n: number): void => expect(Math.abs(x - n)).toBeLessThanOrEqual(n * 0.03);
    near(w.estimate(10, 12), 150);
    near(w.estimate(11, 12), 50);
    near(w.estimate(10, 11), 100);
    expect(w.add(hashString32('late'), 9)).toBe(true);
    expect(w.add(hashString32('too-late'), 8)).toBe(false); // older than the ring (9..12)
    w.add(hashString32('c'), 14); // buckets 9 and 10 dropped
    const kept = w.estimate(0, 14); // bucket 12 (50 values) and 14 (1 value)
    near(kept, 51);
    expect(w.estimate(11, 14)).toBe(kept);
    w.add(hashString32('d'), 100); // everything dropped
    expect(Math.round(w.estimate(0, 100))).toBe(1);
  });

  it('keeps its cached union exact when the first bucket is 0 (found by the property below)', () => {
    const w = new WindowedHyperLogLog(6, 8);
    w.add(hashString32('v0'), 0);
    w.add(hashString32('v0'), 6);
    expect(Math.round(w.estimate(1, 6))).toBe(1);
  });

  it('is 0 when empty', () => {
    const w = new WindowedHyperLogLog(6, 8);
    expect(w.estimate(-Infinity, -Infinity)).toBe(0);
    expect(w.estimate(0, 10)).toBe(0);
  });

  it('answers the same from its incremental cache as from a fresh computation', () => {
    const stream = fc.array(fc.tuple(fc.integer({ min: 0, max: 400 }), fc.integer({ min: 0, max: 30 })), {
      maxLength: 300,
    });
    fc.assert(
      fc.property(stream, (adds) => {
        const cached = new WindowedHyperLogLog(6, 8);
        const fresh = new WindowedHyperLogLog(6, 8);
        for (const [v, k] of adds) {
          cached.add(hashString32(`v${v}`), k);
          fresh.add(hashString32(`v${v}`), k);
          cached.estimate(k - 5, k); // keeps the cache warm and moving
        }
        const h = cached.head;
        if (h === -Infinity) return;
        expect(cached.estimate(h - 5, h)).toBe(fresh.estimate(h - 5, h));
        expect(cached.estimate(h - 3, h - 1)).toBe(fresh.estimate(h - 3, h - 1));
      }),
      { numRuns: 1000 },
    );
  });
});
