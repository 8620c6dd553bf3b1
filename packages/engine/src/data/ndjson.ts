/**
 * Newline-delimited JSON (one object per line) into a table. A line that is not valid JSON or not
 * an object is skipped and reported with its 1-based line number; nested objects are flattened
 * with dotted names (`geo.lat`) and arrays kept as their JSON text.
 */
import { decodeText } from './csv.js';
import { tableFromRecords, type Cell, type DataTable } from './data-table.js';

/** A skipped line. */
export interface NdjsonLineError {
  readonly line: number;
  readonly message: string;
}

/** What {@link parseNdjson} read. */
export interface NdjsonResult {
  readonly table: DataTable;
  readonly errors: readonly NdjsonLineError[];
  readonly errorCount: number;
}

function flatten(prefix: string, value: unknown, out: Record<string, Cell>, depth: number): void {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') out[prefix] = value;
  else if (typeof value === 'number') out[prefix] = value;
  else if (Array.isArray(value)) out[prefix] = JSON.stringify(value);
  else if (typeof value === 'object' && depth < 8) {
    for (const [k, v] of Object.entries(value)) flatten(prefix === '' ? k : `${prefix}.${k}`, v, out, depth + 1);
  } else out[prefix] = JSON.stringify(value) ?? null;
}

/**
 * Parses NDJSON text (or UTF-8 bytes). Blank lines are ignored.
 * @example
 * const { table, errors } = parseNdjson('{"a":1}\nnot json\n{"a":2,"b":{"c":true}}');
 * table.columns; // ['a', 'b.c']
 * errors[0]?.line; // 2
 */
export function parseNdjson(input: string | Uint8Array, options: { readonly maxErrors?: number } = {}): NdjsonResult {
  const text = decodeText(input);
  const maxErrors = options.maxErrors ?? 100;
  const errors: NdjsonLineError[] = [];
  let errorCount = 0;
  const records: Record<string, Cell>[] = [];
  let start = 0;
  let line = 0;
  while (start <= text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    line++;
    let s = text.slice(start, end);
    if (s.endsWith('\r')) s = s.slice(0, -1);
    start = end + 1;
    if (s.trim() === '') continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(s);
    } catch (e) {
      errorCount++;
      if (errors.length < maxErrors) {
        errors.push({ line, message: `not valid JSON: ${e instanceof Error ? e.message : String(e)}` });
      }
      continue;
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      errorCount++;
      if (errors.length < maxErrors) errors.push({ line, message: 'not a JSON object' });
      continue;
    }
    const rec: Record<string, Cell> = {};
    flatten('', parsed, rec, 0);
    records.push(rec);
  }
  return { table: tableFromRecords(records), errors, errorCount };
}
