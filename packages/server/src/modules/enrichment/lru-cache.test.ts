import { describe, expect, it } from 'vitest';
import { createLruCache } from './lru-cache.js';

describe('LRU + TTL cache', () => {
  it('evicts the least recently used entry beyond max', () => {
    const c = createLruCache<number>({ max: 2, ttlMs: 1000, now: () => 0 });
    c.set('a', 1);
    c.set('b', 2);
    expect(c.get('a')).toBe(1); // a is now the most recent
    c.set('c', 3);
    expect(c.get('b')).toBeUndefined();
    expect(c.get('a')).toBe(1);
    expect(c.get('c')).toBe(3);
    expect(c.size).toBe(2);
  });

  it('never returns an entry older than the TTL, and a re-set renews it', () => {
    let now = 0;
    const c = createLruCache<string>({ max: 10, ttlMs: 100, now: () => now });
    c.set('k', 'v');
    now = 99;
    expect(c.get('k')).toBe('v');
    now = 100;
    expect(c.get('k')).toBeUndefined();
    expect(c.size).toBe(0);
    c.set('k', 'w');
    now = 150;
    expect(c.get('k')).toBe('w');
  });
});
