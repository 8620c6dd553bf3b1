import type { VigilEvent } from '@vigil/engine';
import { createCircuitBreaker, type CircuitState } from './circuit-breaker.js';
import {
  EnrichmentError,
  type EnrichmentAttrs,
  type EnrichmentProvider,
  type WarnLogger,
} from './enrichment-provider.js';
import { createLruCache } from './lru-cache.js';

/** Options of {@link withResilience}. */
export interface ResilienceOptions {
  /** Longest wait for one lookup (default 300 ms); then the call is aborted and answers `{}`. */
  readonly timeoutMs?: number;
  /** Cached lookups (default 10,000). 0 turns the cache off. */
  readonly cacheSize?: number;
  /** How long a lookup is reused (default 1 h). */
  readonly cacheTtlMs?: number;
  /** Consecutive failures that open the circuit (default 5). */
  readonly breakerFailures?: number;
  /** How long an open circuit skips the provider before one trial call (default 30 s). */
  readonly breakerCooldownMs?: number;
  /** Time source for the cache and the breaker (epoch ms). Default `Date.now`. */
  readonly now?: () => number;
  /** Where failures are reported (warn). Default: nowhere. */
  readonly logger?: WarnLogger;
}

/** Counters of a resilient provider. */
export interface ResilienceStats {
  /** Lookups asked for (events with something to look up). */
  readonly lookups: number;
  readonly cacheHits: number;
  /** Calls that reached the provider. */
  readonly calls: number;
  readonly failures: number;
  readonly timeouts: number;
  /** Lookups skipped because the circuit was open. */
  readonly shortCircuits: number;
  readonly circuit: CircuitState;
}

/** A provider that never throws and never waits longer than its timeout. */
export interface ResilientProvider extends EnrichmentProvider {
  stats(): ResilienceStats;
}

class TimeoutError extends Error {
  override readonly name = 'TimeoutError';
}

const EMPTY: EnrichmentAttrs = Object.freeze({});

/**
 * Wraps a provider with an LRU + TTL cache (concurrent lookups of one key share one call), a
 * per-call timeout (the call's AbortSignal fires and `{}` is answered even if the provider
 * ignores it) and a circuit breaker. Failures log at warn and answer `{}`; they never fail the
 * event. Answers with no key (`cacheKey` undefined) are `{}` without a call.
 * @example
 * const ip = withResilience(createIphubProvider({ apiKey }), { timeoutMs: 300, logger });
 * const attrs = await ip.enrich(event); // {} on any failure
 */
export function withResilience(
  provider: EnrichmentProvider,
  opts: ResilienceOptions = {},
): ResilientProvider {
  const now = opts.now ?? Date.now;
  const timeoutMs = Math.max(1, opts.timeoutMs ?? 300);
  const cacheSize = opts.cacheSize ?? 10_000;
  const cache =
    cacheSize > 0
      ? createLruCache<EnrichmentAttrs>({ max: cacheSize, ttlMs: opts.cacheTtlMs ?? 3_600_000, now })
      : undefined;
  const inflight = new Map<string, Promise<EnrichmentAttrs>>();
  const log = opts.logger;
  const breaker = createCircuitBreaker({
    failures: opts.breakerFailures ?? 5,
    cooldownMs: opts.breakerCooldownMs ?? 30_000,
    now,
    onChange: (state, consecutiveFailures) => {
      if (state === 'open')
        log?.warn({ provider: provider.name, consecutiveFailures }, 'enrichment circuit opened');
      else if (state === 'closed') log?.warn({ provider: provider.name }, 'enrichment circuit closed again');
    },
  });
  let lookups = 0;
  let cacheHits = 0;
  let calls = 0;
  let failures = 0;
  let timeouts = 0;
  let shortCircuits = 0;

  const call = async (event: VigilEvent): Promise<{ attrs: EnrichmentAttrs; cacheable: boolean }> => {
    if (!breaker.allow()) {
      shortCircuits++;
      return { attrs: EMPTY, cacheable: false };
    }
    calls++;
    const ac = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const err = new TimeoutError(`no answer within ${timeoutMs} ms`);
        ac.abort(err);
        reject(err);
      }, timeoutMs);
    });
    try {
      const attrs = await Promise.race([provider.enrich(event, { signal: ac.signal }), timeout]);
      breaker.success();
      return { attrs, cacheable: true };
    } catch (err) {
      const healthy = err instanceof EnrichmentError && !err.countsAsFailure;
      if (healthy) breaker.success();
      else {
        failures++;
        if (err instanceof TimeoutError || ac.signal.aborted) timeouts++;
        breaker.failure();
      }
      log?.warn({ provider: provider.name, err }, 'enrichment lookup failed; scoring without it');
      return { attrs: EMPTY, cacheable: false };
    } finally {
      clearTimeout(timer);
    }
  };

  return {
    name: provider.name,
    ...(provider.cacheKey ? { cacheKey: (e: VigilEvent) => provider.cacheKey?.(e) } : {}),
    async enrich(event) {
      if (provider.cacheKey === undefined) {
        lookups++;
        return (await call(event)).attrs;
      }
      const key = provider.cacheKey(event);
      if (key === undefined) return EMPTY;
      lookups++;
      const hit = cache?.get(key);
      if (hit !== undefined) {
        cacheHits++;
        return hit;
      }
      const pending = inflight.get(key);
      if (pending !== undefined) {
        cacheHits++;
        return pending;
      }
      const p = call(event).then(({ attrs, cacheable }) => {
        if (cacheable) cache?.set(key, attrs);
        return attrs;
      });
      inflight.set(key, p);
      try {
        return await p;
      } finally {
        inflight.delete(key);
      }
    },
    stats: () => ({ lookups, cacheHits, calls, failures, timeouts, shortCircuits, circuit: breaker.state() }),
  };
}
