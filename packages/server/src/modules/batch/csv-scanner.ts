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
  /** 1-based line where the current record starts. */
  readonly line: number;
  /** The current record's fields (a fresh array). */
  fields(): string[];
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
  let final = false;
  /** Position of the next quote at or after `pos` (buf.length when none). */
  let quoteAt = -1;
  let nextLine = 1;
  // the current record
  let line = 0;
  let start = 0;
  let end = 0;
  let quoted = false;
  let unterminated = false;
  let split: string[] | undefined;
  let splitProblem: string | undefined;

  function findQuote(): void {
    if (quoteAt >= pos) return;
    const q = buf.indexOf('"', pos);
    quoteAt = q === -1 ? buf.length : q;
  }

  /** Scans a record that has a quote from `pos`; false when it needs more text. */
  function scanQuoted(): boolean {
    const n = buf.length;
    let i = pos;
    let inQuotes = false;
    let fieldStart = true;
    let newlines = 0;
    while (i < n) {
      if (inQuotes) {
        const q = buf.indexOf('"', i);
        if (q === -1) {
          newlines += countNewlines(buf, i, n);
          i = n;
          break;
        }
        newlines += countNewlines(buf, i, q);
        if (q + 1 >= n && !final) return false; // `"` or `""`: the next chunk decides
        if (buf.charCodeAt(q + 1) === QUOTE) {
          i = q + 2;
          continue;
        }
        inQuotes = false;
        i = q + 1;
        continue;
      }
      const c = buf.charCodeAt(i);
      if (c === LF) break;
      // only a quote that opens a field quotes; elsewhere it is a plain character
      if (c === QUOTE && fieldStart) {
        inQuotes = true;
        i++;
        continue;
      }
      if (c === COMMA) {
        fieldStart = true;
        i++;
        continue;
      }
      // an unquoted field: jump to its end
      fieldStart = false;
      let j = i + 1;
      while (j < n) {
        const d = buf.charCodeAt(j);
        if (d === COMMA || d === LF) break;
        j++;
      }
      i = j;
    }
    if (i >= n && !final) return false;
    line = nextLine;
    start = pos;
    quoted = true;
    unterminated = inQuotes;
    if (i < n) {
      end = i > start && buf.charCodeAt(i - 1) === CR ? i - 1 : i;
      pos = i + 1;
      nextLine += newlines + 1;
    } else {
      end = n > start && buf.charCodeAt(n - 1) === CR && !inQuotes ? n - 1 : n;
      pos = n;
      nextLine += newlines + 1;
    }
    return true;
  }

  function splitQuoted(): void {
    const fields: string[] = [];
    let problem: string | undefined = unterminated ? 'unterminated quoted field' : undefined;
    let i = start;
    for (;;) {
      if (i < end && buf.charCodeAt(i) === QUOTE) {
        let value = '';
        let from = ++i;
        let closed = false;
        while (i < end) {
          const q = buf.indexOf('"', i);
          if (q === -1 || q >= end) {
            i = end;
            break;
          }
          if (q + 1 < end && buf.charCodeAt(q + 1) === QUOTE) {
            value += buf.slice(from, q + 1);
            i = q + 2;
            from = i;
            continue;
          }
          value += buf.slice(from, q);
          i = q + 1;
          closed = true;
          break;
        }
        if (!closed) value += buf.slice(from, end);
        fields.push(value);
        if (i < end && buf.charCodeAt(i) !== COMMA) {
          problem ??= `unexpected text after a closing quote in field ${fields.length}`;
          while (i < end && buf.charCodeAt(i) !== COMMA) i++;
        }
      } else {
        const from = i;
        while (i < end && buf.charCodeAt(i) !== COMMA) i++;
        fields.push(buf.slice(from, i));
      }
      if (i >= end) break;
      i++; // the comma
      if (i >= end) {
        fields.push('');
        break;
      }
    }
    split = fields;
    splitProblem = problem;
  }

  /** Field k of a quoted record without splitting the fields after it. */
  function quotedField(k: number): string | undefined {
    let i = start;
    for (let j = 0; ; j++) {
      if (i < end && buf.charCodeAt(i) === QUOTE) {
        if (j < k) {
          // skip a quoted field: pairs of quotes are escapes
          i++;
          for (;;) {
            const q = buf.indexOf('"', i);
            if (q === -1 || q >= end) return undefined;
            if (q + 1 < end && buf.charCodeAt(q + 1) === QUOTE) i = q + 2;
            else {
              i = q + 1;
              break;
            }
          }
          while (i < end && buf.charCodeAt(i) !== COMMA) i++;
        } else {
          splitQuoted();
          return split![k];
        }
      } else {
        const from = i;
        while (i < end && buf.charCodeAt(i) !== COMMA) i++;
        if (j === k) return buf.slice(from, i);
      }
      if (i >= end) return undefined;
      i++; // the comma
      if (i >= end) return j + 1 === k ? '' : undefined;
    }
  }

  return {
    push(text, isFinal) {
      buf = pos >= buf.length ? text : buf.slice(pos) + text;
      pos = 0;
      quoteAt = -1;
      final = isFinal;
    },
    next() {
      for (;;) {
        split = undefined;
        splitProblem = undefined;
        const n = buf.length;
        if (pos >= n) return false;
        const nl = buf.indexOf('\n', pos);
        if (nl === -1 && !final) return false;
        const lineEnd = nl === -1 ? n : nl;
        findQuote();
        if (quoteAt < lineEnd) {
          if (!scanQuoted()) return false;
          return true;
        }
        line = nextLine++;
        start = pos;
        end = lineEnd > start && buf.charCodeAt(lineEnd - 1) === CR ? lineEnd - 1 : lineEnd;
        pos = nl === -1 ? n : nl + 1;
        quoted = false;
        unterminated = false;
        if (end > start) return true;
        // empty line: skip
      }
    },
    get line() {
      return line;
    },
    fields() {
      if (quoted) {
        if (split === undefined) splitQuoted();
        return split!.slice();
      }
      const out: string[] = [];
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
      if (quoted) {
        if (split !== undefined) return split[k];
        return quotedField(k);
      }
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
      if (!quoted) return undefined;
      if (split === undefined) splitQuoted();
      return splitProblem;
    },
  };
}

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
