import { describe, expect, it } from 'vitest';
import { canonicalJson, chunks } from './json.js';
import { createUlid } from './ulid.js';

describe('createUlid', () => {
  it('makes 26-character Crockford ids that encode the time', () => {
    const id = createUlid(() => 1_700_000_000_000)();
    expect(id).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(id.slice(0, 10)).toBe('01HF7YAT00'); // 1700000000000 in base 32;
  });

  it('sorts in creation order within one millisecond and across a clock going back', () => {
    let t = 5_000;
    const next = createUlid(() => t);
    const ids = Array.from({ length: 1000 }, () => next());
    t = 4_000; // clock moved back: still monotonic
    ids.push(next(), next());
    t = 6_000;
    ids.push(next());
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe('canonicalJson', () => {
  it('sorts keys at every level and drops undefined members', () => {
    expect(canonicalJson({ b: 1, a: [2, { d: 3, c: undefined, e: null }], z: 'x' })).toBe(
      '{"a":[2,{"d":3,"e":null}],"b":1,"z":"x"}',
    );
    expect(canonicalJson(undefined)).toBe('null');
    expect(canonicalJson('é"')).toBe('"é\\""');
  });
});

describe('chunks', () => {
  it('splits evenly and keeps the rest', () => {
    expect(chunks([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
    expect(chunks([], 3)).toEqual([]);
  });
});
