/** Finds, in one pass over a text, the longest of many substring patterns that occurs in it. @example matcher.find('python-requests/2.31'); */
export interface PatternMatcher<T> {
  /** The payload of the longest pattern found in `text`, or undefined. Case handling is the caller's. */
  find(text: string): T | undefined;
  readonly size: number;
}

/**
 * Builds an Aho-Corasick automaton over the patterns (UTF-16 code units), so a lookup costs one
 * pass over the text whatever the number of patterns. The longest match wins because a longer
 * pattern is the more specific one (`googlebot` over `bot`); on equal length the first found wins.
 * @example
 * const m = createPatternMatcher([{ pattern: 'bot', payload: 1 }, { pattern: 'googlebot', payload: 2 }]);
 * m.find('mozilla/5.0 (compatible; googlebot/2.1)'); // 2
 */
export function createPatternMatcher<T>(
  patterns: readonly { readonly pattern: string; readonly payload: T }[],
): PatternMatcher<T> {
  const next: Map<number, number>[] = [new Map<number, number>()];
  const ownPattern: number[] = [-1];
  for (let p = 0; p < patterns.length; p++) {
    const text = patterns[p]?.pattern ?? '';
    if (text === '') continue;
    let node = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      const edges = next[node] ?? new Map<number, number>();
      let to = edges.get(c);
      if (to === undefined) {
        to = next.length;
        next.push(new Map<number, number>());
        ownPattern.push(-1);
        edges.set(c, to);
      }
      node = to;
    }
    // A duplicate pattern keeps its first payload.
    if (ownPattern[node] === -1) ownPattern[node] = p;
  }

  const n = next.length;
  const fail = new Int32Array(n);
  const best = new Int32Array(n).fill(-1);
  const queue: number[] = [];
  for (const to of (next[0] ?? new Map<number, number>()).values()) {
    fail[to] = 0;
    queue.push(to);
  }
  for (let qi = 0; qi < queue.length; qi++) {
    const u = queue[qi] ?? 0;
    // The own pattern is longer than any pattern on the fail chain (those are proper suffixes).
    best[u] = (ownPattern[u] ?? -1) >= 0 ? (ownPattern[u] ?? -1) : (best[fail[u] ?? 0] ?? -1);
    for (const [c, v] of next[u] ?? []) {
      let f = fail[u] ?? 0;
      while (f !== 0 && !(next[f]?.has(c) ?? false)) f = fail[f] ?? 0;
      const g = next[f]?.get(c);
      fail[v] = g !== undefined && g !== v ? g : 0;
      queue.push(v);
    }
  }

  const lengths = patterns.map((p) => p.pattern.length);
  return {
    size: patterns.length,
    find(text: string): T | undefined {
      if (n === 1) return undefined;
      let state = 0;
      let found = -1;
      let foundLen = 0;
      for (let i = 0; i < text.length; i++) {
        const c = text.charCodeAt(i);
        let to = next[state]?.get(c);
        while (to === undefined && state !== 0) {
          state = fail[state] ?? 0;
          to = next[state]?.get(c);
        }
        state = to ?? 0;
        const b = best[state] ?? -1;
        if (b >= 0 && (lengths[b] ?? 0) > foundLen) {
          found = b;
          foundLen = lengths[b] ?? 0;
        }
      }
      return found >= 0 ? patterns[found]?.payload : undefined;
    },
  };
}
