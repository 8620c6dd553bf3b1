/**
 * An in-memory dataset as read from CSV or NDJSON: named columns of raw cells, stored column by
 * column so analysis and preprocessing walk one column at a time. Cells keep what the file said
 * (CSV gives strings, NDJSON gives JSON scalars); typing happens in the analyzer and the
 * preprocessor, which share {@link isMissingCell} and {@link cellToNumber}.
 */
import { DataError } from './data-error.js';

/** One raw value. `null` (and the strings listed in {@link MISSING_STRINGS}) means missing. */
export type Cell = string | number | boolean | null;

/** Column-major table: `data[c][r]` is row r of column `columns[c]`. */
export interface DataTable {
  readonly columns: readonly string[];
  readonly data: readonly (readonly Cell[])[];
  readonly rows: number;
}

/** Strings read as a missing value (compared after trimming, case-insensitively). */
export const MISSING_STRINGS = ['', 'na', 'n/a', 'nan', 'null', 'none', '?'] as const;
const MISSING_SET: ReadonlySet<string> = new Set(MISSING_STRINGS);

/**
 * Whether a cell is missing: null, NaN, or a missing-value string such as '' or 'NA'.
 * @example isMissingCell(' NA '); // true
 */
export function isMissingCell(c: Cell | undefined): boolean {
  if (c === null || c === undefined) return true;
  if (typeof c === 'number') return Number.isNaN(c);
  if (typeof c === 'boolean') return false;
  if (c.length === 0) return true;
  if (c.length > 4) return false;
  return MISSING_SET.has(c.trim().toLowerCase());
}

/**
 * The number a non-missing cell holds: a finite number, a numeric string (decimal or exponent
 * notation, surrounding spaces allowed), or a boolean as 1/0. Returns NaN for a missing cell and
 * for anything that is not a number ('12abc', '0x10', 'Infinity').
 * @example cellToNumber(' 1.5e3 '); // 1500
 */
export function cellToNumber(c: Cell | undefined): number {
  if (c === null || c === undefined) return NaN;
  if (typeof c === 'number') return Number.isFinite(c) ? c : NaN;
  if (typeof c === 'boolean') return c ? 1 : 0;
  const s = c.trim();
  if (s.length === 0 || !NUMERIC_RE.test(s)) return NaN;
  return Number(s);
}
const NUMERIC_RE = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/**
 * Builds a table from column names and column-major data, checking that the names are unique and
 * every column has the same length.
 * @example createTable(['a', 'b'], [[1, 2], ['x', 'y']]).rows; // 2
 */
export function createTable(columns: readonly string[], data: readonly (readonly Cell[])[]): DataTable {
  if (columns.length !== data.length) {
    throw new DataError('empty_table', `${columns.length} column names for ${data.length} columns`);
  }
  const seen = new Set<string>();
  for (const c of columns) {
    if (seen.has(c)) throw new DataError('column_mismatch', `column "${c}" appears twice`, [c]);
    seen.add(c);
  }
  const rows = data[0]?.length ?? 0;
  for (let c = 0; c < data.length; c++) {
    if (data[c]!.length !== rows) {
      throw new DataError('empty_table', `column "${columns[c]}" has ${data[c]!.length} rows, expected ${rows}`, [
        columns[c]!,
      ]);
    }
  }
  return { columns, data, rows };
}

/**
 * Builds a table from row records (the union of their keys, in order of first appearance; a key
 * absent from a record is null).
 * @example tableFromRecords([{ a: 1 }, { a: 2, b: 'x' }]).columns; // ['a', 'b']
 */
export function tableFromRecords(records: readonly Readonly<Record<string, Cell>>[]): DataTable {
  const index = new Map<string, number>();
  const data: Cell[][] = [];
  for (let r = 0; r < records.length; r++) {
    const rec = records[r]!;
    for (const key of Object.keys(rec)) {
      let c = index.get(key);
      if (c === undefined) {
        c = data.length;
        index.set(key, c);
        data.push(new Array<Cell>(records.length).fill(null));
      }
      data[c]![r] = rec[key] ?? null;
    }
  }
  return { columns: [...index.keys()], data, rows: records.length };
}

/**
 * The cells of a column by name; throws a `column_mismatch` DataError naming a missing column.
 * @example getColumn(table, 'amount');
 */
export function getColumn(table: DataTable, name: string): readonly Cell[] {
  const i = table.columns.indexOf(name);
  if (i < 0) throw new DataError('column_mismatch', `no column "${name}" in the data`, [name]);
  return table.data[i]!;
}

/**
 * A column converted to numbers (NaN for missing or non-numeric cells).
 * @example numericColumn(table, 'TX_AMOUNT'); // Float64Array
 */
export function numericColumn(table: DataTable, name: string): Float64Array {
  const col = getColumn(table, name);
  const out = new Float64Array(col.length);
  for (let r = 0; r < col.length; r++) out[r] = cellToNumber(col[r]);
  return out;
}

/**
 * The rows of a table whose indices are given, as a new table (for splits and samples).
 * @example selectRows(table, [0, 2, 4]).rows; // 3
 */
export function selectRows(table: DataTable, rows: ArrayLike<number>): DataTable {
  const data = table.data.map((col) => {
    const out = new Array<Cell>(rows.length);
    for (let i = 0; i < rows.length; i++) out[i] = col[rows[i]!] ?? null;
    return out;
  });
  return { columns: table.columns, data, rows: rows.length };
}
