/** A size-bounded cache whose entries also expire. */
export interface LruCache<V> {
  /** The value if present and not expired (and marks it recently used). */
  get(key: string): V | undefined;
  set(key: string, value: V): void;
  readonly size: number;
}

/**
 * Creates an LRU cache with a time to live: the least recently used entry goes when `max` is
 * exceeded, and an entry older than `ttlMs` is never returned. Time comes from `now`.
 * @example
 * const c = createLruCache<number>({ max: 2, ttlMs: 60_000, now: () => Date.now() });
 * c.set('a', 1); c.get('a'); // 1
 */
export function createLruCache<V>(opts: {
  readonly max: number;
  readonly ttlMs: number;
  readonly now: () => number;
}): LruCache<V> {
  const max = Math.max(1, Math.floor(opts.max));
  const map = new Map<string, { readonly value: V; readonly expiresAt: number }>();
  return {
    get(key) {
      const e = map.get(key);
      if (e === undefined) return undefined;
      map.delete(key);
      if (e.expiresAt <= opts.now()) return undefined;
      map.set(key, e);
      return e.value;
    },
    set(key, value) {
      map.delete(key);
      map.set(key, { value, expiresAt: opts.now() + opts.ttlMs });
      while (map.size > max) {
        const oldest = map.keys().next();
        if (oldest.done === true) break;
        map.delete(oldest.value);
      }
    },
    get size() {
      return map.size;
    },
  };
}
