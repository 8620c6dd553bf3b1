import { createSeededRandom } from '../ports/clock.js';

/**
 * Sampling helpers over the seeded random port; every draw advances one deterministic stream.
 * @example const r: SimRandom = createSimRandom(1); r.pick(['a', 'b']);
 */
export interface SimRandom {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number;
  /** Integer in [lo, hi] (both inclusive). */
  int(lo: number, hi: number): number;
  /** True with probability p. */
  chance(p: number): boolean;
  pick<T>(xs: readonly T[]): T;
  /** Standard normal (Box-Muller). */
  normal(): number;
  /** Log-normal with the given median and log-space sigma. */
  logNormal(median: number, sigma: number): number;
  /** Exponential with the given mean. */
  exp(mean: number): number;
  /** n lower-case hex digits. */
  hex(n: number): string;
  /** Index drawn from cumulative weights (last entry is the total). */
  weighted(cumulative: readonly number[]): number;
}

/**
 * Seeded sampling helpers for the simulator (Mulberry32 underneath).
 * @example const r = createSimRandom(7); r.int(1, 6); r.logNormal(25, 1);
 */
export function createSimRandom(seed: number): SimRandom {
  const src = createSeededRandom(seed);
  const next = (): number => src.next();
  const r: SimRandom = {
    next,
    uniform: (lo, hi) => lo + (hi - lo) * next(),
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    chance: (p) => next() < p,
    pick<T>(xs: readonly T[]): T {
      const x = xs[Math.floor(next() * xs.length)];
      if (x === undefined) throw new Error('pick from an empty list');
      return x;
    },
    normal: () => {
      const u = 1 - next();
      const v = next();
      return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    },
    logNormal: (median, sigma) => median * Math.exp(sigma * r.normal()),
    exp: (mean) => -mean * Math.log(1 - next()),
    hex: (n) => {
      let s = '';
      while (s.length < n)
        s += Math.floor(next() * 0x10000)
          .toString(16)
          .padStart(4, '0');
      return s.slice(0, n);
    },
    weighted: (cumulative) => {
      const total = cumulative[cumulative.length - 1] ?? 0;
      const x = next() * total;
      for (let i = 0; i < cumulative.length; i++) if (x < (cumulative[i] ?? 0)) return i;
      return cumulative.length - 1;
    },
  };
  return r;
}

/** Running totals of weights, for {@link SimRandom.weighted}. @example cumulate([1, 3]); // [1, 4] */
export function cumulate(weights: readonly number[]): number[] {
  let acc = 0;
  return weights.map((w) => (acc += w));
}
