/**
 * The one error type of data preparation: every expected problem with a dataset (no label, a
 * single class, an all-missing column, garbage in a numeric column, columns that do not match at
 * prediction time, a corrupt package) throws a {@link DataError} whose `code` names the problem
 * and whose message names the columns, rows or values involved.
 */

/** Every data-preparation failure, by code. */
export const DATA_ERROR_CODES = [
  'empty_table',
  'no_label',
  'bad_label',
  'single_class',
  'all_missing',
  'non_numeric',
  'no_features',
  'column_mismatch',
  'corrupt_package',
] as const;
/** One data-preparation failure code. */
export type DataErrorCode = (typeof DATA_ERROR_CODES)[number];

/**
 * A data-preparation failure with a machine-readable code.
 * @example
 * try { fitPreprocessor(table, { label: 'is_fraud' }); }
 * catch (e) { if (e instanceof DataError && e.code === 'single_class') console.log(e.message); }
 */
export class DataError extends Error {
  override readonly name = 'DataError';
  constructor(
    readonly code: DataErrorCode,
    message: string,
    /** The columns involved, when the problem is about columns. */
    readonly columns: readonly string[] = [],
  ) {
    super(message);
  }
}

/**
 * Whether a value is a {@link DataError} (optionally of one code).
 * @example isDataError(e, 'no_label');
 */
export function isDataError(e: unknown, code?: DataErrorCode): e is DataError {
  return e instanceof DataError && (code === undefined || e.code === code);
}
