/** Delay before the next attempt after `attempts` failed ones (1 = the first attempt failed). */
export type Backoff = (attempts: number, random: () => number) => number;

/** Options of {@link fullJitterBackoff}. */
export interface FullJitterOptions {
  /** The ceiling after the first failure; it doubles after each further one. */
  readonly baseMs: number;
  /** The ceiling never grows past this. */
  readonly capMs: number;
}

/**
 * Exponential backoff with full jitter: a uniform delay in `[0, min(cap, base * 2^(attempts-1)))`,
 * so receivers coming back from an outage are not hit by every retry at once.
 * @example
 * const backoff = fullJitterBackoff({ baseMs: 30_000, capMs: 3_600_000 });
 * backoff(3, Math.random); // somewhere in [0, 120000)
 */
export function fullJitterBackoff(opts: FullJitterOptions): Backoff {
  const { baseMs, capMs } = opts;
  return (attempts, random) => {
    const exp = Math.max(0, attempts - 1);
    // 2^exp overflows to Infinity for large exp; min() keeps the ceiling finite
    const ceiling = Math.min(capMs, baseMs * 2 ** Math.min(exp, 1023));
    const r = random();
    const unit = r >= 0 && r < 1 ? r : 0;
    return Math.floor(unit * ceiling);
  };
}
