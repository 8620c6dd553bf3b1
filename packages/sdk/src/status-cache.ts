import type { UserStatus } from './wire-types.js';

/** Options of {@link createStatusCache}. @example createStatusCache({ ttlMs: 30_000, staleMs: 300_000, maxEntries: 10_000, now: Date.now }); */
export interface StatusCacheOptions {
  /** How long a fetched status is fresh. */
  readonly ttlMs: number;
  /** How long after it stops being fresh a status may still answer when Vigil is unreachable. */
  readonly staleMs: number;
  /** Most users kept; the least recently stored go first. */
  readonly maxEntries: number;
  readonly now: () => number;
}

interface Entry {
  readonly status: UserStatus;
  readonly freshUntil: number;
  readonly staleUntil: number;
}

/**
 * The local cache of user statuses: fresh entries answer without a request, single flight per
 * user, invalidation that also discards answers already on the way (a status fetched before an
 * enforcement webhook arrived must not be cached after it).
 * @example
 * const cache = createStatusCache({ ttlMs: 30_000, staleMs: 300_000, maxEntries: 10_000, now: Date.now });
 * const status = await cache.get('u1', () => fetchStatus('u1'));
 */
export function createStatusCache(opts: StatusCacheOptions) {
  const entries = new Map<string, Entry>();
  const inflight = new Map<string, Promise<UserStatus>>();
  // Bumped by every invalidation: a fetch that started under an older generation is not stored.
  let generation = 0;

  function freshUntil(status: UserStatus, now: number): number {
    let until = now + opts.ttlMs;
    // A suspension or enforcement that ends sooner ends the entry's freshness with it.
    if (status.suspended && status.suspendedUntil !== null) until = Math.min(until, status.suspendedUntil);
    for (const e of status.enforcements) if (e.expiresAt !== null) until = Math.min(until, e.expiresAt);
    return until;
  }

  function store(user: string, status: UserStatus): void {
    const now = opts.now();
    const fresh = freshUntil(status, now);
    entries.delete(user);
    entries.set(user, { status, freshUntil: fresh, staleUntil: fresh + opts.staleMs });
    while (entries.size > opts.maxEntries) {
      const oldest = entries.keys().next();
      if (oldest.done === true) break;
      entries.delete(oldest.value);
    }
  }

  return {
    /**
     * The user's status: a fresh cached one, the answer of a fetch already running for the same
     * user, or a new fetch. When the fetch fails, a stale entry (within `staleMs`) answers
     * instead and `onStale` hears the error; without one the error propagates.
     */
    async get(
      user: string,
      fetchStatus: () => Promise<UserStatus>,
      onStale?: (err: unknown) => void,
    ): Promise<UserStatus> {
      const hit = entries.get(user);
      if (hit !== undefined && opts.now() < hit.freshUntil) return hit.status;
      if (opts.ttlMs <= 0) return fetchStatus();
      const running = inflight.get(user);
      if (running !== undefined) return running;
      const startedAt = generation;
      const p = fetchStatus().then(
        (status) => {
          if (generation === startedAt) store(user, status);
          return status;
        },
        (err: unknown) => {
          const stale = entries.get(user);
          if (stale !== undefined && opts.now() < stale.staleUntil) {
            onStale?.(err);
            return stale.status;
          }
          throw err;
        },
      );
      const tracked = p.finally(() => {
        if (inflight.get(user) === tracked) inflight.delete(user);
      });
      inflight.set(user, tracked);
      return tracked;
    },
    /** Forgets one user's status, or every user's when no user is given. */
    invalidate(user?: string): void {
      generation++;
      if (user === undefined) {
        entries.clear();
        inflight.clear();
        return;
      }
      entries.delete(user);
      inflight.delete(user);
    },
    /** How many users are cached. */
    get size(): number {
      return entries.size;
    },
  };
}

/** @example let cache: StatusCache = createStatusCache({ ttlMs: 1000, staleMs: 0, maxEntries: 10, now: Date.now }); */
export type StatusCache = ReturnType<typeof createStatusCache>;
