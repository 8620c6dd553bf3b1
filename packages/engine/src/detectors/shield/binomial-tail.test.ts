import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { binomialUpperTail, logGamma } from './binomial-tail.js';

/** P(X ≥ k) by summing exact terms with BigInt binomial coefficients (small n only). */
function exactTail(k: number, n: number, p: number): number {
  let c = 1n;
  let sum = 0;
  for (let i = 0; i <= n; i++) {
    if (i > 0) c = (c * BigInt(n - i + 1)) / BigInt(i);
    if (i >= k) sum += Number(c) * p ** i * (1 - p) ** (n - i);
  }
  return sum;
}

describe('logGamma', () => {
  it('gives ln of factorials and of Γ(1/2) = √π', () => {
    expect(Math.exp(logGamma(6))).toBeCloseTo(120, 9);
    expect(logGamma(1)).toBeCloseTo(0, 12);
    expect(logGamma(2)).toBeCloseTo(0, 12);
    expect(logGamma(0.5)).toBeCloseTo(0.5 * Math.log(Math.PI), 12);
    expect(logGamma(101)).toBeCloseTo(363.73937555556347, 8);
  });
});

describe('binomialUpperTail', () => {
  it('matches textbook values', () => {
    expect(binomialUpperTail(10, 10, 0.5)).toBeCloseTo(1 / 1024, 15);
    expect(binomialUpperTail(9, 10, 0.5)).toBeCloseTo(11 / 1024, 15);
    expect(binomialUpperTail(0, 10, 0.3)).toBe(1);
    expect(binomialUpperTail(11, 10, 0.3)).toBe(0);
    expect(binomialUpperTail(1, 1, 0.47)).toBeCloseTo(0.47, 15);
  });

  it('agrees with exact sums to 1e-12 relative', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 60 }),
        fc.double({ min: 0.01, max: 0.99, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (n, p, frac) => {
          const k = Math.round(frac * n);
          const want = exactTail(k, n, p);
          const got = binomialUpperTail(k, n, p);
          expect(Math.abs(got - want)).toBeLessThanOrEqual(1e-12 * Math.max(want, 1e-300) + 1e-300);
        },
      ),
      { numRuns: 500, seed: 7 },
    );
  });

  it('stays accurate where the normal approximation is not: 16 wins of 16 at 47%', () => {
    const p = binomialUpperTail(16, 16, 0.47);
    expect(p / 0.47 ** 16).toBeCloseTo(1, 12);
    // The z-score (16 − 7.52) / √3.99 = 4.25 would claim 1e-5; the truth is 5.7e-6.
    expect(p).toBeLessThan(1e-5);
  });

  it('handles large samples and underflow without NaN', () => {
    expect(binomialUpperTail(9_000, 10_000, 0.48)).toBe(0);
    const mid = binomialUpperTail(5_000, 10_000, 0.5);
    expect(mid).toBeGreaterThan(0.5);
    expect(mid).toBeLessThan(0.51);
    expect(binomialUpperTail(3, 5, 0)).toBe(0);
    expect(binomialUpperTail(3, 5, 1)).toBe(1);
    expect(binomialUpperTail(3, Number.NaN, 0.5)).toBe(1);
  });
});
