/**
 * A small, fast reader for all-numeric CSV files (the anomaly datasets: `x0,…,xN,label`): no
 * quoting, one header line, every other field a number. Empty or non-numeric fields are errors
 * naming the line and column, never silently 0.
 */

/** A numeric CSV file: its header and values, row-major. */
export interface NumericCsv {
  readonly header: readonly string[];
  readonly rows: number;
  readonly cols: number;
  /** Value (r, c) at `data[r * cols + c]`. */
  readonly data: Float64Array;
}

/**
 * Parses numeric CSV text (LF or CRLF line ends; a trailing newline is optional).
 * @example parseNumericCsv('x0,label\n1.5,0\n2,1\n').data; // Float64Array [1.5, 0, 2, 1]
 */
export function parseNumericCsv(text: string, what = 'csv'): NumericCsv {
  const firstEnd = text.indexOf('\n');
  const headerLine = (firstEnd < 0 ? text : text.slice(0, firstEnd)).replace(/\r$/, '');
  if (headerLine.length === 0) throw new Error(`${what}: empty file`);
  const header = headerLine.split(',').map((h) => h.trim());
  const cols = header.length;
  const values: number[] = [];
  let rows = 0;
  let pos = firstEnd < 0 ? text.length : firstEnd + 1;
  let line = 2;
  while (pos < text.length) {
    let end = text.indexOf('\n', pos);
    if (end < 0) end = text.length;
    let stop = end;
    if (stop > pos && text.charCodeAt(stop - 1) === 13) stop--;
    if (stop > pos) {
      let col = 0;
      let start = pos;
      for (let i = pos; i <= stop; i++) {
        if (i === stop || text.charCodeAt(i) === 44) {
          if (col >= cols) throw new Error(`${what}: line ${line} has more than ${cols} fields`);
          const field = text.slice(start, i);
          const v = field.length === 0 ? NaN : Number(field);
          if (!Number.isFinite(v)) {
            throw new Error(`${what}: line ${line}, column ${header[col]} is not a number: '${field}'`);
          }
          values.push(v);
          col++;
          start = i + 1;
        }
      }
      if (col !== cols) throw new Error(`${what}: line ${line} has ${col} fields, expected ${cols}`);
      rows++;
    }
    pos = end + 1;
    line++;
  }
  return { header, rows, cols, data: Float64Array.from(values) };
}

/**
 * Whether a header is the anomaly-dataset layout `x0, x1, …, xN, label`.
 * @example isAnomalyHeader(['x0', 'x1', 'label']); // true
 */
export function isAnomalyHeader(header: readonly string[]): boolean {
  if (header.length < 2 || header[header.length - 1] !== 'label') return false;
  for (let i = 0; i < header.length - 1; i++) if (header[i] !== `x${i}`) return false;
  return true;
}
