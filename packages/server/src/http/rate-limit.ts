import type { Clock } from '../clock.js';
import type { RateLimitConfig } from '../config.js';

/** The verdict for one request: allowed, or how long until a token is back. */
export type RateVerdict = { readonly ok: true } | { readonly ok: false; readonly retryAfterSeconds: number };

/** A token bucket per key. */
export interface RateLimiter {
  take(key: string): RateVerdict;
}

/**
 * Per-key token buckets: each key gets `burst` tokens, refilled at `perSecond`; `perSecond: 0`
 * allows everything.
 * @example const limiter = createRateLimiter({ perSecond: 10, burst: 20 }, clock); limiter.take(keyId);
 */
export function createRateLimiter(config: RateLimitConfig, clock: Clock): RateLimiter {
  if (config.perSecond <= 0) return { take: () => ({ ok: true }) };
  const buckets = new Map<string, { tokens: number; at: number }>();
  const perMs = config.perSecond / 1000;
  return {
    take(key) {
      const now = clock.now();
      let b = buckets.get(key);
      if (b === undefined) {
        b = { tokens: config.burst, at: now };
        buckets.set(key, b);
      } else if (now > b.at) {
        b.tokens = Math.min(config.burst, b.tokens + (now - b.at) * perMs);
        b.at = now;
      }
      if (b.tokens >= 1) {
        b.tokens -= 1;
        return { ok: true };
      }
      return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - b.tokens) / config.perSecond)) };
    },
  };
}
