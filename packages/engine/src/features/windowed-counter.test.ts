import { describe, expect, it } from 'vitest';
import { DAY, HOUR, MINUTE } from './feature-spec.js';
import { ringAdd, ringAddU32, ringSlot, ringSum, ringSumU32, windowLayout } from './windowed-counter.js';

describe('windowLayout', () => {
  it('uses the largest bucket count that divides the window', () => {
    expect(windowLayout(HOUR, 12)).toEqual({ buckets: 12, width: 5 * MINUTE });
    expect(windowLayout(DAY, 12)).toEqual({ buckets: 12, width: 2 * HOUR });
    expect(windowLayout(7 * DAY, 12)).toEqual({ buckets: 12, width: 14 * HOUR });
    expect(windowLayout(7, 12)).toEqual({ buckets: 7, width: 1 });
    expect(windowLayout(13, 12)).toEqual({ buckets: 1, width: 13 });
    expect(windowLayout(22, 12)).toEqual({ buckets: 11, width: 2 });
  });

  it('rejects windows that are not a positive integer of ms', () => {
    expect(() => windowLayout(0, 12)).toThrow(/positive integer/);
    expect(() => windowLayout(1.5, 12)).toThrow(/positive integer/);
    expect(() => windowLayout(Number.POSITIVE_INFINITY, 12)).toThrow(/positive integer/);
  });
});

describe('bucket ring', () => {
  it('maps negative buckets into the ring', () => {
    expect(ringSlot(-1, 12)).toBe(11);
    expect(ringSlot(25, 12)).toBe(1);
  });

  it('adds, clears overtaken buckets and sums the window ending at a bucket', () => {
    const head = new Float64Array([-Infinity]);
    const ring = new Float64Array(4);
    expect(ringAdd(head, 0, ring, 0, 4, 100, 1)).toBe(true);
    expect(ringAdd(head, 0, ring, 0, 4, 101, 2)).toBe(true);
    expect(ringAdd(head, 0, ring, 0, 4, 103, 4)).toBe(true);
    expect(ringSum(head, 0, ring, 0, 4, 103)).toBe(7);
    expect(ringSum(head, 0, ring, 0, 4, 101)).toBe(3); // never a later bucket
    expect(ringAdd(head, 0, ring, 0, 4, 99, 8)).toBe(false); // older than the ring
    expect(ringAdd(head, 0, ring, 0, 4, 105, 16)).toBe(true); // drops 100 and 101
    expect(ringSum(head, 0, ring, 0, 4, 105)).toBe(20);
    expect(ringSum(head, 0, ring, 0, 4, 110)).toBe(0);
    expect(ringAdd(head, 0, ring, 0, 4, 1e9, 1)).toBe(true); // far future: all cleared
    expect(ringSum(head, 0, ring, 0, 4, 1e9)).toBe(1);
  });

  it('has the same behaviour for Uint32 counters', () => {
    const head = new Float64Array([-Infinity]);
    const ring = new Uint32Array(8);
    expect(ringAddU32(head, 0, ring, 4, 4, -3, 1)).toBe(true); // negative bucket numbers too
    expect(ringAddU32(head, 0, ring, 4, 4, -1, 1)).toBe(true);
    expect(ringSumU32(head, 0, ring, 4, 4, -1)).toBe(2);
    expect(ringSumU32(head, 0, ring, 4, 4, -2)).toBe(1);
    expect(ringAddU32(head, 0, ring, 4, 4, -5, 1)).toBe(false);
    expect(Array.from(ring.subarray(0, 4))).toEqual([0, 0, 0, 0]); // stays inside its slice
  });
});
