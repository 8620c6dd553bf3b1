/**
 * A fast CSV reader for in-memory text (RFC 4180: quoted fields with `""` escapes and embedded
 * delimiters or newlines, LF or CRLF line ends, a header row, a leading BOM). It never throws on
 * bad content: a row with the wrong number of fields, text after a closing quote or an
 * unterminated quote is skipped and reported with its 1-based line number, so a caller can show
 * every problem at once. Cells stay strings; the analyzer and preprocessor type them.
 */
import { createTable, type Cell, type DataTable } from './data-table.js';

/** Options of {@link parseCsv}. */
export interface CsvOptions {
  /** Field delimiter, one character (default ','). */
  readonly delimiter?: string;
  /** Whether the first row names the columns (default true). */
  readonly header?: boolean;
  /** Column names when there is no header (default column_1, column_2, ...). */
  readonly columns?: readonly string[];
  /** How many row errors to keep (default 100; the count of all of them is in `errorCount`). */
  readonly maxErrors?: number;
}

/** A skipped row. */
export interface CsvRowError {
  /** 1-based line where the row starts. */
  readonly line: number;
  readonly message: string;
}

/** What {@link parseCsv} read. */
export interface CsvResult {
  readonly table: DataTable;
  /** The first `maxErrors` problems, in file order. */
  readonly errors: readonly CsvRowError[];
  /** Number of problems found (skipped rows and renamed header columns). */
  readonly errorCount: number;
}

const QUOTE = 34;
const CR = 13;
const LF = 10;

/**
 * Text of a string or UTF-8 buffer, without a leading byte-order mark.
 * @example decodeText(new TextEncoder().encode('\uFEFFa,b')); // 'a,b'
 */
export function decodeText(input: string | Uint8Array): string {
  const s = typeof input === 'string' ? input : new TextDecoder('utf-8').decode(input);
  return s.charCodeAt(0) === 0xfeff ? s.slice(1) : s;
}

/**
 * Parses CSV text (or UTF-8 bytes) into a table of string cells, reporting bad rows by line.
 * Empty lines are skipped. Duplicate or empty header names are made unique (`name_2`,
 * `column_3`) and reported as a line-1 error without skipping anything.
 * @example
 * const { table, errors } = parseCsv('id,amount\n1,"1,5"\n2\n');
 * table.rows; // 1  (row "2" has one field)
 * errors[0]; // { line: 3, message: 'expected 2 fields, found 1' }
 */
export function parseCsv(input: string | Uint8Array, options: CsvOptions = {}): CsvResult {
  const text = decodeText(input);
  const delimiter = options.delimiter ?? ',';
  if (delimiter.length !== 1 || delimiter === '"' || delimiter === '\n' || delimiter === '\r') {
    throw new Error(`CSV delimiter must be one character other than a quote or newline, got ${JSON.stringify(delimiter)}`);
  }
  const delim = delimiter.charCodeAt(0);
  const maxErrors = options.maxErrors ?? 100;
  const errors: CsvRowError[] = [];
  let errorCount = 0;
  const report = (line: number, message: string): void => {
    errorCount++;
    if (errors.length < maxErrors) errors.push({ line, message });
  };

  const n = text.length;
  let pos = 0;
  let line = 1;
  let names: string[] | undefined = options.header === false ? undefined : [];
  let columns: string[][] | undefined;
  let width = -1;
  const fields: string[] = [];

  while (pos < n) {
    const rowLine = line;
    fields.length = 0;
    let bad: string | undefined;
    // Read one record (which may span lines inside quotes).
    for (;;) {
      let c = text.charCodeAt(pos);
      if (c === QUOTE) {
        let value = '';
        let start = ++pos;
        let closed = false;
        while (pos < n) {
          c = text.charCodeAt(pos);
          if (c === QUOTE) {
            if (text.charCodeAt(pos + 1) === QUOTE) {
              value += text.slice(start, pos + 1);
              pos += 2;
              start = pos;
              continue;
            }
            value += text.slice(start, pos);
            pos++;
            closed = true;
            break;
          }
          if (c === LF) line++;
          pos++;
        }
        if (!closed) {
          report(rowLine, 'unterminated quoted field');
          pos = n;
          bad = 'unterminated';
          break;
        }
        fields.push(value);
        c = text.charCodeAt(pos);
        if (c !== delim && c !== LF && c !== CR && pos < n) {
          bad ??= `unexpected text after a closing quote in field ${fields.length}`;
          while (pos < n && (c = text.charCodeAt(pos)) !== delim && c !== LF && c !== CR) pos++;
        }
      } else {
        const start = pos;
        while (pos < n && (c = text.charCodeAt(pos)) !== delim && c !== LF && c !== CR) pos++;
        fields.push(text.slice(start, pos));
      }
      if (pos >= n) break;
      c = text.charCodeAt(pos);
      if (c === delim) {
        pos++;
        if (pos >= n) {
          fields.push('');
          break;
        }
        continue;
      }
      // End of line: CR, LF or CRLF.
      pos++;
      if (c === CR && text.charCodeAt(pos) === LF) pos++;
      line++;
      break;
    }
    if (bad === 'unterminated') break;
    if (fields.length === 1 && fields[0] === '' && bad === undefined) continue; // empty line
    if (bad !== undefined) {
      report(rowLine, bad);
      continue;
    }
    if (columns === undefined) {
      if (names !== undefined) {
        names = uniqueNames(fields, rowLine, report);
        width = names.length;
        columns = names.map(() => []);
        continue;
      }
      width = fields.length;
      names = options.columns ? [...options.columns] : fields.map((_, i) => `column_${i + 1}`);
      if (names.length !== width) {
        report(rowLine, `expected ${names.length} fields (the given column names), found ${width}`);
        width = names.length;
        columns = names.map(() => []);
        continue;
      }
      columns = names.map(() => []);
    }
    if (fields.length !== width) {
      report(rowLine, `expected ${width} fields, found ${fields.length}`);
      continue;
    }
    for (let j = 0; j < width; j++) columns[j]!.push(fields[j]!);
  }
  const finalNames = names ?? [];
  const data: readonly (readonly Cell[])[] = columns ?? finalNames.map(() => []);
  return { table: createTable(finalNames, data), errors, errorCount };
}

function uniqueNames(fields: readonly string[], line: number, report: (line: number, m: string) => void): string[] {
  const seen = new Set<string>();
  return fields.map((raw, i) => {
    let name = raw.trim();
    if (name === '') {
      name = `column_${i + 1}`;
      report(line, `column ${i + 1} has no name; called it ${name}`);
    }
    if (seen.has(name)) {
      let k = 2;
      while (seen.has(`${name}_${k}`)) k++;
      report(line, `column name "${name}" repeats; called column ${i + 1} ${name}_${k}`);
      name = `${name}_${k}`;
    }
    seen.add(name);
    return name;
  });
}
