/**
 * JSON with object keys sorted at every level, so equal values always give the same text
 * (hash chains depend on it). `undefined` members are dropped, like JSON.stringify does.
 * @example canonicalJson({ b: 1, a: [2, { d: 3, c: 4 }] }); // '{"a":[2,{"c":4,"d":3}],"b":1}'
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    const s = JSON.stringify(value);
    return s === undefined ? 'null' : s;
  }
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v)).join(',')}]`;
  const entries = Object.entries(value)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/**
 * Parses JSON this server wrote itself (decision and event payload columns). The database is
 * trusted storage written only through the stores, so the value is typed by the column's writer.
 * @example const decision = parseStoredJson<Decision>(row.payload);
 */
export function parseStoredJson<T>(text: string): T {
  return JSON.parse(text) as T;
}

/** Rows per multi-row INSERT so one statement stays under both dialects' bound-parameter limits. */
export function rowsPerInsert(columns: number): number {
  return Math.max(1, Math.floor(30_000 / columns));
}

/** Splits `rows` into chunks of at most `size`. @example chunks([1, 2, 3], 2); // [[1, 2], [3]] */
export function chunks<T>(rows: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < rows.length; i += size) out.push(rows.slice(i, i + size));
  return out;
}
