/** Time source (the same shape as the engine's `Clock` port): tests pass a fake one. */
export interface Clock {
  now(): number;
}

/** The wall clock. @example systemClock.now() */
export const systemClock: Clock = { now: () => Date.now() };
