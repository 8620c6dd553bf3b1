/** States of a circuit breaker. */
export const CIRCUIT_STATES = ['closed', 'open', 'half_open'] as const;
export type CircuitState = (typeof CIRCUIT_STATES)[number];

/** Guards calls to a dependency that may be down. */
export interface CircuitBreaker {
  /**
   * Whether a call may go out now. Closed: yes. Open: no, until the cool-down has passed; then
   * exactly one trial call is let through (half-open) until its outcome is reported.
   */
  allow(): boolean;
  /** The call succeeded: the circuit closes. */
  success(): void;
  /** The call failed: counts toward opening; a failed trial re-opens at once. */
  failure(): void;
  state(): CircuitState;
}

/** Options of {@link createCircuitBreaker}. */
export interface CircuitBreakerOptions {
  /** Consecutive failures that open the circuit (default 5). */
  readonly failures?: number;
  /** How long an open circuit refuses calls before one trial (default 30 s). */
  readonly cooldownMs?: number;
  /** Time source (epoch ms). */
  readonly now: () => number;
  /** Called on every state change. */
  readonly onChange?: (state: CircuitState, consecutiveFailures: number) => void;
}

/**
 * Creates a circuit breaker: opens after N consecutive failures, half-opens after a cool-down
 * (one trial call), closes on a success.
 * @example
 * const b = createCircuitBreaker({ failures: 3, cooldownMs: 10_000, now: () => Date.now() });
 * if (b.allow()) { try { await call(); b.success(); } catch { b.failure(); } }
 */
export function createCircuitBreaker(opts: CircuitBreakerOptions): CircuitBreaker {
  const threshold = Math.max(1, opts.failures ?? 5);
  const cooldownMs = Math.max(0, opts.cooldownMs ?? 30_000);
  let state: CircuitState = 'closed';
  let consecutive = 0;
  let openUntil = 0;
  let trialOut = false;
  const move = (to: CircuitState): void => {
    if (to === state) return;
    state = to;
    opts.onChange?.(to, consecutive);
  };
  return {
    allow() {
      switch (state) {
        case 'closed':
          return true;
        case 'open':
          if (opts.now() < openUntil) return false;
          move('half_open');
          trialOut = true;
          return true;
        case 'half_open':
          if (trialOut) return false;
          trialOut = true;
          return true;
      }
    },
    success() {
      consecutive = 0;
      trialOut = false;
      move('closed');
    },
    failure() {
      consecutive++;
      trialOut = false;
      if (state === 'half_open' || consecutive >= threshold) {
        openUntil = opts.now() + cooldownMs;
        if (state === 'open') return;
        move('open');
      }
    },
    state: () => state,
  };
}
