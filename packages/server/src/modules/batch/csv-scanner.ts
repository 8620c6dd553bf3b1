/**
 * A streaming CSV record scanner (RFC 4180: quoted fields with `""` escapes and embedded commas or
 * newlines, LF or CRLF line ends). Text arrives in chunks; records come out one at a time with
 * the line they start on. Lines without a quote take a fast path (one `indexOf` per line, fields
 * split on demand), so a caller can read one field of a record (the shard key) without splitting
 * the rest. Empty lines are skipped. Never throws on bad content: a record's `problem` says what
 * is wrong with it.
 *
 * The engine's `data/` CSV reader parses a whole text in memory into columns; batch scoring needs
 * records streamed from files of any size, so it has this scanner.
 */

const QUOTE = 34;
const LF = 10;
const CR = 13;
const COMMA = 44;

/** A CSV scanner. */
export interface CsvScanner {
  /** Adds text. `final` says no more will follow (the last line may lack its newline). */
  push(text: string, final: boolean): void;
  /** Moves to the next complete record; false when the text pushed so far has none left. */
  next(): boolean;
  /**
   * Moves past the next complete record without reading its fields: the same record boundaries
   * and line numbers as {@link CsvScanner.next}, but quoted records are crossed with `indexOf`
   * instead of a character loop. `fields()` and `field()` are empty after it.
   */
  skip(): boolean;
  /**
   * Moves to the next record like {@link CsvScanner.next}, reading only the fields at `cols`
   * (ascending column indexes) into `out` (`out[j]` is field `cols[j]`, or undefined when the
   * record has fewer fields). Fields after the last one asked for are crossed without recording
   * their bounds, so `fields()` and `field()` only know the fields up to `cols`' last, and
   * `problem()` may miss a problem in the fields after it.
   */
  pick(cols: readonly number[], out: (string | undefined)[]): boolean;
  /** 1-based line where the current record starts. */
  readonly line: number;
  /**
   * Where the current record starts: its position in all the text pushed so far (in UTF-16 code
   * units, so a byte offset when the text was decoded as latin1).
   */
  readonly offset: number;
  /** The current record's fields: a fresh array, or `into` refilled (its old contents replaced). */
  fields(into?: string[]): string[];
  /** Field `k` of the current record, or undefined when it has fewer fields. */
  field(k: number): string | undefined;
  /** What is structurally wrong with the current record (unterminated quote, text after a closing quote). */
  problem(): string | undefined;
}

/**
 * Creates a scanner.
 * @example
 * const s = createCsvScanner();
 * s.push('id,user\n1,"a, b"\n', true);
 * while (s.next()) s.fields(); // ['id','user'], then ['1','a, b']
 */
export function createCsvScanner(): CsvScanner {
  let buf = '';
  let pos = 0;
  /** Characters dropped from the front of `buf` by `push`. */
  let consumed = 0;
  let final = false;
  /** Position of the next quote at or after `pos` (buf.length when none). */
  let quoteAt = -1;
  let nextLine = 1;
  // the current record
  let line = 0;
  let start = 0;
  let end = 0;
  let quoted = false;
  // field boundaries of a quoted record, found by the scan that finds its end (no second pass)
  const fStart: number[] = [];
  const fEnd: number[] = [];
  const fFlags: number[] = [];
  let nf = 0;
  let recordProblem: string | undefined;

  function findQuote(): void {
    if (quoteAt >= pos) return;
    const q = buf.indexOf('"', pos);
    quoteAt = q === -1 ? buf.length : q;
  }

  function addField(from: number, to: number, flags: number): void {
    fStart[nf] = from;
    fEnd[nf] = to;
    fFlags[nf] = flags;
    nf++;
  }

  /**
   * Scans a record that has a quote from `pos`, recording each field's bounds; false when the
   * record may continue in text not pushed yet. Only a quote that opens a field quotes it;
   * elsewhere it is a plain character.
   */
  function scanQuoted(limit: number): boolean {
    const n = buf.length;
    let i = pos;
    let newlines = 0;
    let problem: string | undefined;
    let lf = -1;
    let comma = -1;
    nf = 0;
    for (;;) {
      if (i < n && buf.charCodeAt(i) === QUOTE) {
        const from = i + 1;
        let j = from;
        let flags = QUOTED;
        let close = -1;
        for (;;) {
          const q = buf.indexOf('"', j);
          if (q === -1) break;
          if (q + 1 >= n && !final) return false; // `"` or `""`: the next chunk decides
          if (buf.charCodeAt(q + 1) === QUOTE) {
            flags |= ESCAPED;
            j = q + 2;
            continue;
          }
          close = q;
          break;
        }
        if (close === -1) {
          if (!final) return false;
          newlines += countNewlines(buf, from, n);
          addField(from, n, flags);
          problem = 'unterminated quoted field'; // the graver problem wins
          i = n;
          break;
        }
        newlines += countNewlines(buf, from, close);
        addField(from, close, flags);
        let k = close + 1;
        if (k >= n && !final) return false;
        let c = k < n ? buf.charCodeAt(k) : LF;
        if (c === CR && (k + 1 >= n || buf.charCodeAt(k + 1) === LF)) {
          if (k + 1 >= n && !final) return false;
          k++;
          c = LF;
        } else if (c !== COMMA && c !== LF) {
          problem ??= `unexpected text after a closing quote in field ${nf}`;
          while (k < n && (c = buf.charCodeAt(k)) !== COMMA && c !== LF) k++;
          if (k >= n) {
            if (!final) return false;
            c = LF;
          }
        }
        i = k;
        if (c === COMMA) {
          i++;
          if (nf > limit) {
            const e = recordEnd(i);
            if (e < 0) return false;
            newlines += skipNewlines;
            i = e;
            break;
          }
          continue;
        }
        break; // at the line end (or the end of the text)
      }
      const from = i;
      // the field ends at the next comma or line feed (native searches, both positions cached)
      if (lf < i) {
        lf = buf.indexOf('\n', i);
        if (lf === -1) lf = n;
      }
      if (comma < i) {
        comma = buf.indexOf(',', i);
        if (comma === -1) comma = n;
      }
      i = comma < lf ? comma : lf;
      if (i >= n && !final) return false;
      const to = i > from && buf.charCodeAt(i - 1) === CR && (i >= n || buf.charCodeAt(i) === LF) ? i - 1 : i;
      addField(from, to, 0);
      if (i < n && buf.charCodeAt(i) === COMMA) {
        i++;
        if (nf > limit) {
          const e = recordEnd(i);
          if (e < 0) return false;
          newlines += skipNewlines;
          i = e;
          break;
        }
        continue;
      }
      break;
    }
    line = nextLine;
    start = pos;
    end = i;
    quoted = true;
    recordProblem = problem;
    pos = i < n ? i + 1 : n;
    nextLine += newlines + 1;
    return true;
  }

  /** Line feeds inside quoted fields crossed by the last {@link recordEnd}. */
  let skipNewlines = 0;

  /**
   * {@link scanQuoted} without field boundaries: from `i`, the start of a field of the record at
   * `pos`, finds where the record ends (its line feed, or the end of the text); -1 when the record
   * may continue in text not pushed yet. Sets `skipNewlines`.
   */
  function recordEnd(from0: number): number {
    const n = buf.length;
    let i = from0;
    let newlines = 0;
    for (;;) {
      if (i < n && buf.charCodeAt(i) === QUOTE) {
        const from = i + 1;
        let j = from;
        let close = -1;
        for (;;) {
          const q = buf.indexOf('"', j);
          if (q === -1) break;
          if (q + 1 >= n && !final) return -1;
          if (buf.charCodeAt(q + 1) === QUOTE) {
            j = q + 2;
            continue;
          }
          close = q;
          break;
        }
        if (close === -1) {
          if (!final) return -1;
          newlines += countNewlines(buf, from, n);
          i = n;
          break;
        }
        newlines += countNewlines(buf, from, close);
        let k = close + 1;
        if (k >= n && !final) return -1;
        let c = k < n ? buf.charCodeAt(k) : LF;
        if (c === CR && (k + 1 >= n || buf.charCodeAt(k + 1) === LF)) {
          if (k + 1 >= n && !final) return -1;
          k++;
          c = LF;
        } else if (c !== COMMA && c !== LF) {
          while (k < n && (c = buf.charCodeAt(k)) !== COMMA && c !== LF) k++;
          if (k >= n) {
            if (!final) return -1;
            c = LF;
          }
        }
        i = k;
        if (c === COMMA) {
          i++;
          continue;
        }
        break;
      }
      // unquoted fields up to the line end, unless a later field starts with a quote
      const nl = buf.indexOf('\n', i);
      const lineEnd = nl === -1 ? n : nl;
      let q = buf.indexOf('"', i);
      while (q !== -1 && q < lineEnd && buf.charCodeAt(q - 1) !== COMMA) q = buf.indexOf('"', q + 1);
      if (q !== -1 && q < lineEnd) {
        i = q;
        continue;
      }
      if (nl === -1 && !final) return -1;
      i = lineEnd;
      break;
    }
    skipNewlines = newlines;
    return i;
  }

  function skipQuoted(): boolean {
    const i = recordEnd(pos);
    if (i < 0) return false;
    const n = buf.length;
    line = nextLine;
    start = pos;
    end = pos;
    quoted = true;
    nf = 0;
    recordProblem = undefined;
    pos = i < n ? i + 1 : n;
    nextLine += skipNewlines + 1;
    return true;
  }

  function quotedFieldAt(f: number): string {
    const v = buf.slice(fStart[f], fEnd[f]);
    return (fFlags[f]! & ESCAPED) !== 0 ? v.replace(DOUBLED_QUOTES, '"') : v;
  }

  return {
    push(text, isFinal) {
      if (pos >= buf.length) {
        consumed += buf.length;
        buf = text;
      } else {
        consumed += pos;
        buf = buf.slice(pos) + text;
      }
      pos = 0;
      quoteAt = -1;
      final = isFinal;
    },
    next() {
      for (;;) {
        const n = buf.length;
        if (pos >= n) return false;
        const nl = buf.indexOf('\n', pos);
        if (nl === -1 && !final) return false;
        const lineEnd = nl === -1 ? n : nl;
        findQuote();
        if (quoteAt < lineEnd) return scanQuoted(Number.POSITIVE_INFINITY);
        line = nextLine++;
        start = pos;
        end = lineEnd > start && buf.charCodeAt(lineEnd - 1) === CR ? lineEnd - 1 : lineEnd;
        pos = nl === -1 ? n : nl + 1;
        quoted = false;
        if (end > start) return true;
        // empty line: skip
      }
    },
    skip() {
      for (;;) {
        const n = buf.length;
        if (pos >= n) return false;
        const nl = buf.indexOf('\n', pos);
        if (nl === -1 && !final) return false;
        const lineEnd = nl === -1 ? n : nl;
        findQuote();
        if (quoteAt < lineEnd) return skipQuoted();
        line = nextLine++;
        const from = pos;
        pos = nl === -1 ? n : nl + 1;
        quoted = true;
        nf = 0;
        recordProblem = undefined;
        start = from;
        end = from;
        if (lineEnd > from && !(lineEnd === from + 1 && buf.charCodeAt(from) === CR)) return true;
        // empty line: skip
      }
    },
    pick(cols, out) {
      const last = cols.length === 0 ? -1 : cols[cols.length - 1]!;
      for (;;) {
        const n = buf.length;
        if (pos >= n) return false;
        const nl = buf.indexOf('\n', pos);
        if (nl === -1 && !final) return false;
        const lineEnd = nl === -1 ? n : nl;
        findQuote();
        if (quoteAt < lineEnd) {
          if (!scanQuoted(last)) return false;
          for (let j = 0; j < cols.length; j++) {
            const k = cols[j]!;
            out[j] = k < nf ? quotedFieldAt(k) : undefined;
          }
          return true;
        }
        line = nextLine++;
        start = pos;
        end = lineEnd > start && buf.charCodeAt(lineEnd - 1) === CR ? lineEnd - 1 : lineEnd;
        pos = nl === -1 ? n : nl + 1;
        quoted = false;
        if (end === start) continue; // empty line: skip
        // one walk over the commas up to the last field asked for
        let j = 0;
        let from = start;
        for (let f = 0; j < cols.length; f++) {
          const c = buf.indexOf(',', from);
          const stop = c === -1 || c >= end ? end : c;
          while (j < cols.length && cols[j] === f) out[j++] = buf.slice(from, stop);
          if (stop === end) break;
          from = c + 1;
        }
        for (; j < cols.length; j++) out[j] = undefined;
        return true;
      }
    },
    get line() {
      return line;
    },
    get offset() {
      return consumed + start;
    },
    fields(into) {
      const out = into ?? [];
      out.length = 0;
      if (quoted) {
        for (let f = 0; f < nf; f++) out.push(quotedFieldAt(f));
        return out;
      }
      let from = start;
      for (;;) {
        const c = buf.indexOf(',', from);
        if (c === -1 || c >= end) {
          out.push(buf.slice(from, end));
          return out;
        }
        out.push(buf.slice(from, c));
        from = c + 1;
      }
    },
    field(k) {
      if (quoted) return k < nf ? quotedFieldAt(k) : undefined;
      let from = start;
      for (let j = 0; j < k; j++) {
        const c = buf.indexOf(',', from);
        if (c === -1 || c >= end) return undefined;
        from = c + 1;
      }
      const c = buf.indexOf(',', from);
      return buf.slice(from, c === -1 || c >= end ? end : c);
    },
    problem() {
      return quoted ? recordProblem : undefined;
    },
  };
}

const QUOTED = 1;
const ESCAPED = 2;
const DOUBLED_QUOTES = /""/g;

function countNewlines(s: string, from: number, to: number): number {
  let n = 0;
  for (let i = s.indexOf('\n', from); i !== -1 && i < to; i = s.indexOf('\n', i + 1)) n++;
  return n;
}

/**
 * One CSV cell: quoted when it holds a comma, quote, CR or LF (quotes doubled).
 * @example csvCell('a,b'); // '"a,b"'
 */
export function csvCell(s: string): string {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === COMMA || c === QUOTE || c === LF || c === CR) return `"${s.replace(/"/g, '""')}"`;
  }
  return s;
}
