/** Kinds of token the rule pre-processor distinguishes. @example TOKEN_KINDS[0]; // 'ident' */
export const TOKEN_KINDS = ['ident', 'number', 'string', 'punct'] as const;
export type TokenKind = (typeof TOKEN_KINDS)[number];

/** One token of a CEL expression, as a half-open range of the source. @example const t: Token = { kind: 'ident', start: 0, end: 4, text: 'user' }; */
export interface Token {
  readonly kind: TokenKind;
  readonly start: number;
  readonly end: number;
  readonly text: string;
}

/** Result of {@link tokenize}: tokens, or the position of the first lexical error. @example const r: TokenizeResult = tokenize('"abc'); // { ok: false, at: 0, ... } */
export type TokenizeResult =
  | { readonly ok: true; readonly tokens: readonly Token[] }
  | { readonly ok: false; readonly at: number; readonly message: string };

const isIdentStart = (c: number): boolean => (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const isIdentPart = (c: number): boolean => isIdentStart(c) || isDigit(c);
const isSpace = (c: number): boolean => c === 32 || c === 9 || c === 10 || c === 13 || c === 12;
const QUOTE_SINGLE = 39;
const QUOTE_DOUBLE = 34;

/** Length of a string-literal prefix (`r`, `b`, `rb`, `br`, any case) at i, when a quote follows it. */
function stringPrefixLength(s: string, i: number): number {
  for (let n = 0; n <= 2; n++) {
    const c = s.charCodeAt(i + n);
    if (c === QUOTE_SINGLE || c === QUOTE_DOUBLE) return n;
    const ch = s[i + n]?.toLowerCase();
    if (ch !== 'r' && ch !== 'b') return -1;
  }
  return -1;
}

/**
 * Splits a CEL expression into identifiers, numbers, string literals and single punctuation
 * characters, skipping white space and `//` comments. It is only as precise as the rule
 * pre-processor needs (finding feature calls and `matches` patterns outside string literals);
 * the CEL parser still validates the rewritten expression.
 * @example tokenize('count(user, payment, 1h) > 3').ok; // true
 */
export function tokenize(src: string): TokenizeResult {
  const tokens: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src.charCodeAt(i);
    if (isSpace(c)) {
      i++;
      continue;
    }
    if (c === 47 && src.charCodeAt(i + 1) === 47) {
      while (i < src.length && src.charCodeAt(i) !== 10) i++;
      continue;
    }
    const start = i;
    const prefix = isIdentStart(c)
      ? stringPrefixLength(src, i)
      : c === QUOTE_SINGLE || c === QUOTE_DOUBLE
        ? 0
        : -1;
    if (prefix >= 0) {
      const raw = src
        .slice(i, i + prefix)
        .toLowerCase()
        .includes('r');
      i += prefix;
      const quote = src[i] ?? '"';
      const triple = src.startsWith(quote.repeat(3), i);
      const close = triple ? quote.repeat(3) : quote;
      i += close.length;
      let closed = false;
      while (i < src.length) {
        if (!raw && src[i] === '\\') {
          i += 2;
          continue;
        }
        if (src.startsWith(close, i)) {
          i += close.length;
          closed = true;
          break;
        }
        if (!triple && (src[i] === '\n' || src[i] === '\r')) break;
        i++;
      }
      if (!closed) return { ok: false, at: start, message: 'unterminated string literal' };
      tokens.push({ kind: 'string', start, end: i, text: src.slice(start, i) });
      continue;
    }
    if (isIdentStart(c)) {
      while (i < src.length && isIdentPart(src.charCodeAt(i))) i++;
      tokens.push({ kind: 'ident', start, end: i, text: src.slice(start, i) });
      continue;
    }
    if (isDigit(c) || (c === 46 && isDigit(src.charCodeAt(i + 1)))) {
      i++;
      while (i < src.length) {
        const d = src.charCodeAt(i);
        const prev = src.charCodeAt(i - 1);
        if (isIdentPart(d) || d === 46) i++;
        else if ((d === 43 || d === 45) && (prev === 101 || prev === 69) && !src.startsWith('0x', start)) i++;
        else break;
      }
      tokens.push({ kind: 'number', start, end: i, text: src.slice(start, i) });
      continue;
    }
    i++;
    tokens.push({ kind: 'punct', start, end: i, text: src.slice(start, i) });
  }
  return { ok: true, tokens };
}
