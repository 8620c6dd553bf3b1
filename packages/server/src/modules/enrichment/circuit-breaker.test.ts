import { describe, expect, it } from 'vitest';
import { createCircuitBreaker, type CircuitState } from './circuit-breaker.js';

describe('circuit breaker', () => {
  const make = () => {
    let now = 0;
    const changes: CircuitState[] = [];
    const b = createCircuitBreaker({
      failures: 3,
      cooldownMs: 1000,
      now: () => now,
      onChange: (s) => changes.push(s),
    });
    return { b, changes, at: (t: number) => (now = t) };
  };

  it('opens after N consecutive failures; a success in between resets the count', () => {
    const { b, changes } = make();
    b.failure();
    b.failure();
    b.success();
    b.failure();
    b.failure();
    expect(b.state()).toBe('closed');
    expect(b.allow()).toBe(true);
    b.failure();
    expect(b.state()).toBe('open');
    expect(b.allow()).toBe(false);
    expect(changes).toEqual(['open']);
  });

  it('half-opens after the cool-down with exactly one trial; a successful trial closes it', () => {
    const { b, changes, at } = make();
    for (let i = 0; i < 3; i++) b.failure();
    at(999);
    expect(b.allow()).toBe(false);
    at(1000);
    expect(b.allow()).toBe(true);
    expect(b.state()).toBe('half_open');
    expect(b.allow()).toBe(false); // the trial is still out
    b.success();
    expect(b.state()).toBe('closed');
    expect(b.allow()).toBe(true);
    expect(changes).toEqual(['open', 'half_open', 'closed']);
  });

  it('a failed trial re-opens for another full cool-down', () => {
    const { b, at } = make();
    for (let i = 0; i < 3; i++) b.failure();
    at(1000);
    expect(b.allow()).toBe(true);
    b.failure();
    expect(b.state()).toBe('open');
    at(1999);
    expect(b.allow()).toBe(false);
    at(2000);
    expect(b.allow()).toBe(true);
  });
});
