import { describe, expect, it } from 'vitest';
import { parseDuration, parseFeatureCall } from './feature-call.js';
import { tokenize } from './rule-tokenizer.js';

const kinds = (src: string): string[] => {
  const r = tokenize(src);
  if (!r.ok) throw new Error(r.message);
  return r.tokens.map((t) => `${t.kind}:${t.text}`);
};

describe('tokenize', () => {
  it('splits identifiers, numbers, strings and punctuation', () => {
    expect(kinds('count(user, payment, 1h) > 3.5e+2')).toEqual([
      'ident:count',
      'punct:(',
      'ident:user',
      'punct:,',
      'ident:payment',
      'punct:,',
      'number:1h',
      'punct:)',
      'punct:>',
      'number:3.5e+2',
    ]);
  });

  it('keeps string literals whole, with escapes, prefixes and triple quotes', () => {
    expect(kinds(`"a\\"count(b)" + r'\\d' + b"x" + """multi\nline""" + '''q'''`)).toEqual([
      'string:"a\\"count(b)"',
      'punct:+',
      "string:r'\\d'",
      'punct:+',
      'string:b"x"',
      'punct:+',
      'string:"""multi\nline"""',
      'punct:+',
      "string:'''q'''",
    ]);
  });

  it('skips comments and reports unterminated strings', () => {
    expect(kinds('a // count(user, 1h)\n && b')).toEqual(['ident:a', 'punct:&', 'punct:&', 'ident:b']);
    expect(tokenize('user == "abc')).toEqual({ ok: false, at: 8, message: 'unterminated string literal' });
  });
});

describe('parseDuration / parseFeatureCall', () => {
  it.each([
    ['500ms', 500],
    ['30s', 30_000],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['7d', 604_800_000],
    ['2w', 1_209_600_000],
  ])('%s = %d ms', (s, ms) => expect(parseDuration(s)).toBe(ms));

  it.each(['0s', '1', 'h', '1.5h', '-1h', '1y', ' 1h'])('rejects %j', (s) =>
    expect(parseDuration(s)).toBeUndefined(),
  );

  it('builds specs and normalised labels', () => {
    const r = parseFeatureCall('distinct', ' ip ,user,custom:quest_done|login, 1d');
    expect(r.ok && r.value.label).toBe('distinct(ip, user, custom:quest_done|login, 1d)');
    expect(r.ok && r.value.spec).toMatchObject({
      kind: 'distinct',
      entity: 'user',
      of: 'ip',
      types: ['custom:quest_done', 'login'],
      window: 86_400_000,
    });
    expect(parseFeatureCall('max', 'user, 1h')).toEqual({
      ok: false,
      message: "max(user, 1h): unknown feature function 'max'",
    });
  });
});
