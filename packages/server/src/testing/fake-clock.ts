import type { Clock } from '../clock.js';

/** A clock that only moves when told to (same contract as the engine's `createFakeClock`). */
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
