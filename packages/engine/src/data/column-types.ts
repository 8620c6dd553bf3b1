/**
 * How a raw column is typed, shared by the analyzer and the preprocessor so both read a column
 * the same way: the type vocabulary, label-name and id-name detection, boolean and datetime
 * recognition, and label conversion to 0/1.
 */
import { DataError } from './data-error.js';
import { cellToNumber, isMissingCell, type Cell } from './data-table.js';

/** What a column holds. `id` and `datetime` columns are not used as model features by default. */
export const COLUMN_TYPES = ['numeric', 'boolean', 'categorical', 'datetime', 'id', 'empty'] as const;
/** A column type. */
export type ColumnType = (typeof COLUMN_TYPES)[number];

/** Label column names, most specific first (compared lower-cased, without spaces, dashes or dots). */
export const LABEL_NAMES = [
  'is_fraud',
  'isfraud',
  'tx_fraud',
  'fraud',
  'is_fraudulent',
  'fraudulent',
  'fraud_label',
  'label',
  'class',
  'target',
  'is_anomaly',
  'anomaly',
  'outlier',
  'y',
] as const;

/** Label values read as the positive class (lower-cased). */
export const POSITIVE_LABELS = ['1', 'true', 't', 'yes', 'y', 'fraud', 'fraudulent', 'positive', 'anomaly', 'outlier', 'bad'] as const;
const POSITIVE_SET: ReadonlySet<string> = new Set(POSITIVE_LABELS);
const NEGATIVE_SET: ReadonlySet<string> = new Set(['0', 'false', 'f', 'no', 'n', 'legit', 'genuine', 'normal', 'negative', 'good', 'ok']);
const BOOLEAN_TRUE: ReadonlySet<string> = new Set(['true', 't', 'yes', 'y']);
const BOOLEAN_FALSE: ReadonlySet<string> = new Set(['false', 'f', 'no', 'n']);

/**
 * Canonical form of a column name for matching: lower case, spaces/dashes/dots as underscores.
 * @example normalizeName('Is-Fraud'); // 'is_fraud'
 */
export function normalizeName(name: string): string {
  return name.trim().toLowerCase().replace(/[\s.-]+/g, '_');
}

const ID_NAME_RE = /(^|_)(id|uuid|guid|key)$|^(id|uuid)_|(^|_)(number|no)$/;

/**
 * Whether a column name looks like an identifier (`user_id`, `TRANSACTION_ID`, `uuid`, `account_no`).
 * @example looksLikeIdName('CUSTOMER_ID'); // true
 */
export function looksLikeIdName(name: string): boolean {
  return ID_NAME_RE.test(normalizeName(name));
}

const DATETIME_RE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

/**
 * Epoch milliseconds of an ISO-like date or date-time string (`2018-04-01`, `2018-04-01 10:00:00`,
 * `2018-04-01T10:00:00.5Z`, with an optional offset; no zone means UTC), else NaN.
 * @example parseDateTime('2018-04-01 00:00:31'); // 1522540831000
 */
export function parseDateTime(c: Cell | undefined): number {
  if (typeof c !== 'string') return NaN;
  const m = DATETIME_RE.exec(c.trim());
  if (m === null) return NaN;
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  const month = Number(mo);
  const day = Number(d);
  if (month < 1 || month > 12 || day < 1 || day > 31) return NaN;
  let t = Date.UTC(Number(y), month - 1, day, Number(h ?? 0), Number(mi ?? 0), Number(s ?? 0));
  if (frac !== undefined) t += Math.round(Number(frac) * 1000);
  if (zone !== undefined && zone !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    t -= sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2))) * 60_000;
  }
  return t;
}

/**
 * A boolean-like cell as 1/0 (true/false, yes/no, t/f, y/n; booleans), else NaN.
 * @example booleanCell('Yes'); // 1
 */
export function booleanCell(c: Cell | undefined): number {
  if (typeof c === 'boolean') return c ? 1 : 0;
  if (typeof c !== 'string') return NaN;
  const s = c.trim().toLowerCase();
  return BOOLEAN_TRUE.has(s) ? 1 : BOOLEAN_FALSE.has(s) ? 0 : NaN;
}

/** The text of a cell as a category name. @example cellText(' FR '); // 'FR' */
export function cellText(c: Cell | undefined): string {
  return c === null || c === undefined ? '' : typeof c === 'string' ? c.trim() : String(c);
}

/** Labels converted to 0/1. */
export interface BinaryLabels {
  readonly y: Uint8Array;
  /** The raw value read as positive (e.g. '1', 'fraud'). */
  readonly positive: string;
  readonly negative: string;
  readonly positives: number;
}

/**
 * Converts a label column to 0/1. Two distinct values are required: numbers (the larger is
 * positive), or strings where one is a known positive (1, true, yes, fraud, ...). Throws a
 * DataError: `bad_label` for missing labels, more than two values or unrecognisable classes,
 * `single_class` when every row has the same label.
 * @example binaryLabels(['0', '1', '0'], 'is_fraud').y; // Uint8Array [0, 1, 0]
 */
export function binaryLabels(col: readonly Cell[], name: string): BinaryLabels {
  const values = new Map<string, number>();
  let missing = 0;
  let firstMissing = -1;
  for (let r = 0; r < col.length; r++) {
    const c = col[r];
    if (isMissingCell(c)) {
      if (missing++ === 0) firstMissing = r;
      continue;
    }
    const key = canonicalLabel(c);
    values.set(key, (values.get(key) ?? 0) + 1);
  }
  if (missing > 0) {
    throw new DataError(
      'bad_label',
      `label column "${name}" is missing in ${missing} rows (first at row ${firstMissing + 1}); drop or label those rows`,
      [name],
    );
  }
  const keys = [...values.keys()];
  if (keys.length === 1) {
    throw new DataError(
      'single_class',
      `label column "${name}" has a single class ("${keys[0]}") in all ${col.length} rows; a supervised model needs both classes`,
      [name],
    );
  }
  if (keys.length === 0) throw new DataError('empty_table', `label column "${name}" has no rows`, [name]);
  if (keys.length > 2) {
    throw new DataError(
      'bad_label',
      `label column "${name}" has ${keys.length} classes (${keys.slice(0, 5).join(', ')}${keys.length > 5 ? ', ...' : ''}); a binary label needs exactly two`,
      [name],
    );
  }
  const [a, b] = keys as [string, string];
  let positive: string;
  const na = Number(a);
  const nb = Number(b);
  if (a !== '' && b !== '' && Number.isFinite(na) && Number.isFinite(nb)) positive = na > nb ? a : b;
  else if (POSITIVE_SET.has(a.toLowerCase()) && !POSITIVE_SET.has(b.toLowerCase())) positive = a;
  else if (POSITIVE_SET.has(b.toLowerCase()) && !POSITIVE_SET.has(a.toLowerCase())) positive = b;
  else if (NEGATIVE_SET.has(a.toLowerCase()) && !NEGATIVE_SET.has(b.toLowerCase())) positive = b;
  else if (NEGATIVE_SET.has(b.toLowerCase()) && !NEGATIVE_SET.has(a.toLowerCase())) positive = a;
  else {
    throw new DataError(
      'bad_label',
      `label column "${name}" has classes "${a}" and "${b}"; cannot tell which one is fraud (use 0/1 or true/false)`,
      [name],
    );
  }
  const y = new Uint8Array(col.length);
  let positives = 0;
  for (let r = 0; r < col.length; r++) {
    if (canonicalLabel(col[r]) === positive) {
      y[r] = 1;
      positives++;
    }
  }
  return { y, positive, negative: positive === a ? b : a, positives };
}

function canonicalLabel(c: Cell | undefined): string {
  if (typeof c === 'boolean') return c ? 'true' : 'false';
  const n = cellToNumber(c ?? null);
  if (!Number.isNaN(n)) return String(n);
  return cellText(c);
}
