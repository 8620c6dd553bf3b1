/**
 * Time source. The engine never reads the wall clock itself; the server passes a real clock,
 * tests pass a fake one.
 * @example
 * const clock = createFakeClock(0); clock.advance(1000); clock.now(); // 1000
 */
export interface Clock {
  now(): number;
}

/** A clock that only moves when told to. @example const c = createFakeClock(Date.UTC(2026, 0, 1)); */
export function createFakeClock(start = 0): Clock & { advance(ms: number): void; set(ms: number): void } {
  let t = start;
  return {
    now: () => t,
    advance: (ms) => {
      t += ms;
    },
    set: (ms) => {
      t = ms;
    },
  };
}

/** Deterministic randomness port: returns floats in [0, 1). @example const r = createSeededRandom(1); r.next(); */
export interface Random {
  next(): number;
}

/**
 * Mulberry32: tiny, fast, good enough for sampling trees and simulating traffic reproducibly.
 * @example
 * const rnd = createSeededRandom(42); const x = rnd.next();
 */
export function createSeededRandom(seed: number): Random {
  let a = seed >>> 0;
  return {
    next() {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    },
  };
}
