/** Limits for `matches` patterns in rules. @example REGEX_LIMITS.maxLength; // 200 */
export const REGEX_LIMITS = Object.freeze({
  /** Longest pattern. */
  maxLength: 200,
  /** Unbounded quantifiers (`*`, `+`, `{n,}`) in one pattern: each one multiplies backtracking. */
  maxUnbounded: 2,
});

/**
 * Checks a rule's regular expression before it is ever run on event data. JavaScript regexes
 * backtrack, so a pattern like `(a+)+$` can take exponential time on a crafted value and stall
 * the engine. This is a conservative guard, not a proof: it rejects back-references, lookaround,
 * quantified groups that themselves contain a quantifier or an alternation (`(a+)+`, `(a|ab)*`),
 * more than {@link REGEX_LIMITS}.maxUnbounded unbounded quantifiers, and invalid syntax.
 * Returns undefined when the pattern is accepted, else the reason.
 * @example checkRegex('^[a-z0-9._%+-]+@example\\.com$'); // undefined
 * checkRegex('(a+)+$'); // 'nested quantifier ...'
 */
export function checkRegex(pattern: string): string | undefined {
  if (pattern.length > REGEX_LIMITS.maxLength)
    return `pattern longer than ${REGEX_LIMITS.maxLength} characters`;
  try {
    new RegExp(pattern);
  } catch (err) {
    return err instanceof Error ? err.message : 'invalid regular expression';
  }
  // One frame per open group: whether it contains a quantifier or an alternation.
  const stack: { quantified: boolean; alternation: boolean }[] = [{ quantified: false, alternation: false }];
  let unbounded = 0;
  let lastGroup: { quantified: boolean; alternation: boolean } | undefined;
  const markQuantified = (): void => {
    for (const f of stack) f.quantified = true;
  };
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i];
    const closedGroup = lastGroup;
    lastGroup = undefined;
    if (ch === '\\') {
      const next = pattern[i + 1] ?? '';
      if (/[1-9]/.test(next) || next === 'k') return 'back-references are not allowed';
      i++;
      continue;
    }
    if (ch === '[') {
      // Skip the class: a quantifier after it applies to one character.
      i++;
      if (pattern[i] === '^') i++;
      if (pattern[i] === ']') i++;
      while (i < pattern.length && pattern[i] !== ']') {
        if (pattern[i] === '\\') i++;
        i++;
      }
      continue;
    }
    if (ch === '(') {
      if (pattern[i + 1] === '?') {
        const kind = pattern[i + 2];
        if (kind === ':') i += 2;
        else if (kind === '<' && pattern[i + 3] !== '=' && pattern[i + 3] !== '!') {
          const close = pattern.indexOf('>', i);
          i = close < 0 ? pattern.length : close;
        } else return 'lookaround is not allowed';
      }
      stack.push({ quantified: false, alternation: false });
      continue;
    }
    if (ch === ')') {
      lastGroup = stack.length > 1 ? stack.pop() : undefined;
      continue;
    }
    if (ch === '|') {
      const top = stack[stack.length - 1];
      if (top) top.alternation = true;
      continue;
    }
    const isStar = ch === '*' || ch === '+';
    let isBrace = false;
    let braceUnbounded = false;
    if (ch === '{') {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(pattern.slice(i));
      if (m) {
        isBrace = true;
        braceUnbounded = m[2] !== undefined && m[3] === '';
        const hi = m[3] === undefined || m[3] === '' ? Number(m[1]) : Number(m[3]);
        if (hi > 1000) return 'repetition counts above 1000 are not allowed';
        i += m[0].length - 1;
      }
    }
    if (isStar || isBrace || ch === '?') {
      if (
        ch === '?' &&
        (pattern[i - 1] === '*' || pattern[i - 1] === '+' || pattern[i - 1] === '?' || pattern[i - 1] === '}')
      )
        continue; // a lazy modifier, not a new quantifier
      const repeats = isStar || isBrace;
      if (isStar || braceUnbounded) unbounded++;
      if (repeats && closedGroup && (closedGroup.quantified || closedGroup.alternation))
        return 'nested quantifier: a repeated group may not contain a quantifier or an alternation';
      markQuantified();
    }
  }
  if (unbounded > REGEX_LIMITS.maxUnbounded)
    return `more than ${REGEX_LIMITS.maxUnbounded} unbounded quantifiers (*, +, {n,})`;
  return undefined;
}
