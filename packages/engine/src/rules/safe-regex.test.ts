import { describe, expect, it } from 'vitest';
import { checkRegex } from './safe-regex.js';

describe('checkRegex', () => {
  it.each([
    '^[a-z0-9._%+-]+@example\\.com$',
    '^u[0-9]{3}$',
    '(?:foo|bar)-[0-9]+',
    '(?<id>ab)c',
    '^(ab)?c+$',
    'bot|crawler|spider',
    'a.*b',
    '(abc){3}',
    '[(+*]+x',
  ])('accepts %s', (p) => expect(checkRegex(p)).toBeUndefined());

  it.each([
    ['(a+)+$', 'nested quantifier'],
    ['(a*)*', 'nested quantifier'],
    ['(?:a|ab)*c', 'nested quantifier'],
    ['(x+x+)+y', 'nested quantifier'],
    ['((ab)*c)+', 'nested quantifier'],
    ['(a)\\1', 'back-references'],
    ['a(?=b)', 'lookaround'],
    ['(?<!a)b', 'lookaround'],
    ['.*.*.*x', 'unbounded quantifiers'],
    ['a{1,5000}', 'above 1000'],
    ['(', 'Invalid regular expression'],
  ])('rejects %s', (p, why) => expect(checkRegex(p)).toContain(why));

  it('rejects very long patterns', () => expect(checkRegex('a'.repeat(201))).toContain('longer than'));
});
