import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createPatternMatcher } from './pattern-matcher.js';

/** The obvious quadratic answer the automaton must agree with (longest pattern found). */
function naiveLongest(patterns: readonly string[], text: string): number | undefined {
  let best: number | undefined;
  patterns.forEach((p, i) => {
    if (p !== '' && text.includes(p) && (best === undefined || p.length > (patterns[best]?.length ?? 0)))
      best = i;
  });
  return best;
}

describe('createPatternMatcher', () => {
  it('finds the longest pattern, including ones reached through failure links', () => {
    const m = createPatternMatcher(
      ['he', 'she', 'his', 'hers', 'bot', 'googlebot'].map((p, i) => ({ pattern: p, payload: i })),
    );
    expect(m.find('ushers')).toBe(3); // 'hers' beats 'she' and 'he'
    expect(m.find('ahishe')).toBe(2); // 'his' and 'she' are both 3 long: the first found wins
    expect(m.find('mozilla googlebot/2.1')).toBe(5);
    expect(m.find('xyz')).toBeUndefined();
    expect(createPatternMatcher<number>([]).find('anything')).toBeUndefined();
  });

  it('property: agrees with a naive scan on the length of the best match', () => {
    const word = fc.string({ unit: fc.constantFrom('a', 'b', 'c'), minLength: 1, maxLength: 4 });
    fc.assert(
      fc.property(
        fc.array(word, { minLength: 1, maxLength: 8 }),
        fc.string({ unit: fc.constantFrom('a', 'b', 'c'), maxLength: 30 }),
        (patterns, text) => {
          const m = createPatternMatcher(patterns.map((p, i) => ({ pattern: p, payload: i })));
          const got = m.find(text);
          const want = naiveLongest(patterns, text);
          if (want === undefined) expect(got).toBeUndefined();
          else {
            expect(got).toBeDefined();
            expect(patterns[got ?? -1]?.length).toBe(patterns[want]?.length);
            expect(text.includes(patterns[got ?? -1] ?? '\u0000')).toBe(true);
          }
        },
      ),
    );
  });
});
