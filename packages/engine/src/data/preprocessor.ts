/**
 * Preprocessing fitted on training data and saved with the model, so prediction applies exactly
 * the same steps: numeric columns get median imputation and standard or min-max scaling, boolean
 * columns become 0/1, categorical columns are one-hot encoded (or ordinal) over their top-K
 * values plus an "other" bucket. Identifier and datetime columns are left out unless asked for.
 *
 * Every problem is a {@link DataError}: no label in supervised mode, a single class, an
 * all-missing feature column, non-numeric garbage in a numeric column (at fit and at prediction),
 * columns missing at prediction time, a corrupt saved package.
 */
import { analyzeColumn, detectLabelColumn } from './analyze-dataset.js';
import { binaryLabels, booleanCell, cellText, parseDateTime, type BinaryLabels } from './column-types.js';
import { DataError } from './data-error.js';
import { cellToNumber, isMissingCell, type Cell, type DataTable } from './data-table.js';
import { assertNever } from '../util/assert-never.js';

/** Scalings of numeric columns. */
export const SCALINGS = ['standard', 'minmax', 'none'] as const;
/** A numeric scaling. */
export type Scaling = (typeof SCALINGS)[number];
/** Encodings of categorical columns. */
export const CATEGORICAL_ENCODINGS = ['onehot', 'ordinal'] as const;
/** A categorical encoding. */
export type CategoricalEncoding = (typeof CATEGORICAL_ENCODINGS)[number];

/** Options of {@link fitPreprocessor}. */
export interface PreprocessorOptions {
  /** Label column (supervised default: detected by name; a named column must exist). */
  readonly label?: string;
  /** Whether a label is required (default true). */
  readonly supervised?: boolean;
  /** Columns to leave out. */
  readonly drop?: readonly string[];
  /** Exact feature columns (default: every numeric, boolean and categorical column). */
  readonly features?: readonly string[];
  /** Numeric scaling (default 'standard': zero mean, unit variance, as scikit-learn's StandardScaler). */
  readonly scaling?: Scaling;
  /** Categorical encoding (default 'onehot'). */
  readonly categorical?: CategoricalEncoding;
  /** Categories kept per column, most frequent first; the rest share "other" (default 20). */
  readonly topK?: number;
  /** Median imputation of missing numbers (default true); false keeps NaN (tree models route it). */
  readonly impute?: boolean;
}

/** One fitted column step. */
export type PreprocessStep =
  | {
      readonly kind: 'numeric';
      readonly column: string;
      readonly median: number;
      readonly center: number;
      readonly scale: number;
    }
  | { readonly kind: 'boolean'; readonly column: string; readonly median: number }
  | {
      readonly kind: 'datetime';
      readonly column: string;
      readonly median: number;
      readonly center: number;
      readonly scale: number;
    }
  | {
      readonly kind: 'onehot';
      readonly column: string;
      readonly categories: readonly string[];
    }
  | { readonly kind: 'ordinal'; readonly column: string; readonly categories: readonly string[] };

/** Package format name and version of a saved preprocessor. */
export const PREPROCESSOR_FORMAT = 'vigil.preprocessor';
/** Version of the preprocessor package format. */
export const PREPROCESSOR_VERSION = 1;

/** The JSON-able saved form of a preprocessor. */
export interface PreprocessorPackage {
  readonly format: typeof PREPROCESSOR_FORMAT;
  readonly version: typeof PREPROCESSOR_VERSION;
  readonly label?: string;
  readonly impute: boolean;
  readonly steps: readonly PreprocessStep[];
  readonly featureNames: readonly string[];
}

/** A dense row-major feature matrix (`data[r * cols + c]`), the shape every model trainer takes. */
export interface FeatureMatrix {
  readonly data: Float64Array;
  readonly rows: number;
  readonly cols: number;
}

/** A fitted preprocessor. */
export interface Preprocessor {
  readonly label?: string;
  /** Names of the output features, in order (`amount`, `country=FR`, `country=(other)`, ...). */
  readonly featureNames: readonly string[];
  /** The input columns a table must have to be transformed. */
  readonly inputColumns: readonly string[];
  readonly steps: readonly PreprocessStep[];
  /** Transforms a table; throws `column_mismatch` naming missing columns and `non_numeric` naming bad cells. */
  transform(table: DataTable): FeatureMatrix;
  /** Transforms one record (stream scoring) into a new row. */
  transformRecord(record: Readonly<Record<string, Cell>>): Float64Array;
  /** The 0/1 labels of a table (throws `no_label` if the preprocessor has none or the column is absent). */
  labels(table: DataTable): BinaryLabels;
  toJSON(): PreprocessorPackage;
}

/** The category of values outside a column's top-K (one-hot column `name=(other)`). */
export const OTHER_CATEGORY = '(other)';
/** The category a missing categorical value counts as. */
export const MISSING_CATEGORY = '(missing)';

/**
 * Fits a preprocessor on training data.
 * @example
 * const pre = fitPreprocessor(train, { label: 'is_fraud', drop: ['note'] });
 * const x = pre.transform(train); const y = pre.labels(train).y;
 * const again = loadPreprocessor(JSON.parse(JSON.stringify(pre.toJSON())));
 */
export function fitPreprocessor(table: DataTable, options: PreprocessorOptions = {}): Preprocessor {
  if (table.rows === 0) throw new DataError('empty_table', 'the training data has no rows');
  const supervised = options.supervised ?? true;
  const drop = new Set(options.drop ?? []);
  for (const d of drop) {
    if (!table.columns.includes(d)) throw new DataError('column_mismatch', `cannot drop "${d}": no such column`, [d]);
  }
  let label = options.label;
  if (label !== undefined && !table.columns.includes(label)) {
    throw new DataError(
      'no_label',
      `label column "${label}" is not in the data (columns: ${table.columns.join(', ')})`,
      [label],
    );
  }
  if (label === undefined && supervised) {
    label = detectLabelColumn(table);
    if (label === undefined) {
      throw new DataError(
        'no_label',
        `no label column in the data (columns: ${table.columns.join(', ')}); name one (e.g. label: 'is_fraud') or train an unsupervised model`,
      );
    }
  }
  if (label !== undefined && supervised) binaryLabels(table.data[table.columns.indexOf(label)]!, label);

  const scaling = options.scaling ?? 'standard';
  const encoding = options.categorical ?? 'onehot';
  const topK = options.topK ?? 20;
  if (!Number.isInteger(topK) || topK < 1) throw new Error(`topK must be a positive integer, got ${topK}`);
  const impute = options.impute ?? true;

  let features: string[];
  if (options.features !== undefined) {
    const missing = options.features.filter((f) => !table.columns.includes(f));
    if (missing.length > 0) {
      throw new DataError('column_mismatch', `feature column(s) not in the data: ${missing.join(', ')}`, missing);
    }
    features = options.features.filter((f) => f !== label && !drop.has(f));
  } else {
    features = table.columns.filter((c) => c !== label && !drop.has(c));
  }

  const steps: PreprocessStep[] = [];
  const explicit = options.features !== undefined;
  for (const name of features) {
    const col = table.data[table.columns.indexOf(name)]!;
    const info = analyzeColumn(name, col);
    switch (info.type) {
      case 'empty':
        throw new DataError(
          'all_missing',
          `column "${name}" has no values in any of the ${table.rows} rows; drop it (drop: ["${name}"]) or fill it`,
          [name],
        );
      case 'id':
        if (explicit) steps.push(categoricalStep(name, col, encoding, topK));
        break;
      case 'datetime':
        if (explicit) steps.push(numericStep('datetime', name, col, scaling, parseDateTime));
        break;
      case 'numeric':
        if (info.invalid > 0) throw nonNumeric(name, info.invalidExamples[0]!.row, info.invalidExamples[0]!.value, info.invalid);
        steps.push(numericStep('numeric', name, col, scaling, cellToNumber));
        break;
      case 'boolean':
        steps.push({ kind: 'boolean', column: name, median: medianOf(col, boolOrNumber) });
        break;
      case 'categorical':
        steps.push(categoricalStep(name, col, encoding, topK));
        break;
    }
  }
  if (steps.length === 0) {
    throw new DataError('no_features', `no usable feature columns (columns: ${table.columns.join(', ')})`);
  }
  return buildPreprocessor({
    format: PREPROCESSOR_FORMAT,
    version: PREPROCESSOR_VERSION,
    ...(label !== undefined ? { label } : {}),
    impute,
    steps,
    featureNames: steps.flatMap(stepOutputs),
  });
}

function boolOrNumber(c: Cell | undefined): number {
  const b = booleanCell(c);
  return Number.isNaN(b) ? cellToNumber(c ?? null) : b;
}

function nonNumeric(column: string, row: number, value: string, count: number): DataError {
  return new DataError(
    'non_numeric',
    `column "${column}" is numeric but row ${row} holds "${value}"${count > 1 ? ` (${count} such values)` : ''}; fix or blank those cells`,
    [column],
  );
}

function medianOf(col: readonly Cell[], read: (c: Cell | undefined) => number): number {
  const xs: number[] = [];
  for (const c of col) {
    const x = read(c);
    if (!Number.isNaN(x)) xs.push(x);
  }
  if (xs.length === 0) return 0;
  xs.sort((a, b) => a - b);
  const m = xs.length >> 1;
  return xs.length % 2 === 1 ? xs[m]! : (xs[m - 1]! + xs[m]!) / 2;
}

function numericStep(
  kind: 'numeric' | 'datetime',
  column: string,
  col: readonly Cell[],
  scaling: Scaling,
  read: (c: Cell | undefined) => number,
): PreprocessStep {
  const median = medianOf(col, read);
  let n = 0;
  let mean = 0;
  let m2 = 0;
  let min = Infinity;
  let max = -Infinity;
  // Statistics of the imputed column, as a scaler fitted after an imputer would see it.
  for (const c of col) {
    let x = read(c);
    if (Number.isNaN(x)) x = median;
    n++;
    const d = x - mean;
    mean += d / n;
    m2 += d * (x - mean);
    if (x < min) min = x;
    if (x > max) max = x;
  }
  let center = 0;
  let scale = 1;
  if (scaling === 'standard') {
    center = mean;
    const std = Math.sqrt(m2 / n);
    scale = std > 0 ? std : 1;
  } else if (scaling === 'minmax') {
    center = min;
    scale = max > min ? max - min : 1;
  }
  return { kind, column, median, center, scale };
}

function categoricalStep(
  column: string,
  col: readonly Cell[],
  encoding: CategoricalEncoding,
  topK: number,
): PreprocessStep {
  const counts = new Map<string, number>();
  for (const c of col) {
    const key = isMissingCell(c) ? MISSING_CATEGORY : cellText(c);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const categories = [...counts.entries()]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .slice(0, topK)
    .map(([k]) => k);
  return { kind: encoding, column, categories };
}

function stepOutputs(s: PreprocessStep): string[] {
  switch (s.kind) {
    case 'numeric':
    case 'boolean':
    case 'datetime':
    case 'ordinal':
      return [s.column];
    case 'onehot':
      return [...s.categories.map((c) => `${s.column}=${c}`), `${s.column}=${OTHER_CATEGORY}`];
    default:
      return assertNever(s);
  }
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** Writes one step's outputs for one cell at `out[at..]`; returns the number written. */
type StepWriter = (cell: Cell | undefined, out: Float64Array, at: number, row: number) => number;

function stepWriter(s: PreprocessStep, impute: boolean): StepWriter {
  switch (s.kind) {
    case 'numeric':
    case 'datetime': {
      const read = s.kind === 'numeric' ? cellToNumber : parseDateTime;
      const { median, center, scale, column } = s;
      return (cell, out, at, row) => {
        let x = read(cell ?? null);
        if (Number.isNaN(x)) {
          if (!isMissingCell(cell ?? null)) throw nonNumeric(column, row + 1, cellText(cell), 1);
          x = impute ? median : NaN;
        }
        out[at] = (x - center) / scale;
        return 1;
      };
    }
    case 'boolean': {
      const { median, column } = s;
      return (cell, out, at, row) => {
        let x = boolOrNumber(cell);
        if (Number.isNaN(x)) {
          if (!isMissingCell(cell ?? null)) throw nonNumeric(column, row + 1, cellText(cell), 1);
          x = impute ? median : NaN;
        }
        out[at] = x;
        return 1;
      };
    }
    case 'onehot': {
      const index = new Map(s.categories.map((c, i) => [c, i] as const));
      const k = s.categories.length;
      return (cell, out, at) => {
        const key = isMissingCell(cell ?? null) ? MISSING_CATEGORY : cellText(cell);
        for (let j = 0; j <= k; j++) out[at + j] = 0;
        out[at + (index.get(key) ?? k)] = 1;
        return k + 1;
      };
    }
    case 'ordinal': {
      const index = new Map(s.categories.map((c, i) => [c, i] as const));
      const k = s.categories.length;
      return (cell, out, at) => {
        const key = isMissingCell(cell ?? null) ? MISSING_CATEGORY : cellText(cell);
        out[at] = index.get(key) ?? k;
        return 1;
      };
    }
    default:
      return assertNever(s);
  }
}

function buildPreprocessor(pkg: PreprocessorPackage): Preprocessor {
  const writers = pkg.steps.map((s) => stepWriter(s, pkg.impute));
  const inputColumns = pkg.steps.map((s) => s.column);
  const cols = pkg.featureNames.length;
  const label = pkg.label;
  const pre: Preprocessor = {
    featureNames: pkg.featureNames,
    inputColumns,
    steps: pkg.steps,
    transform(table) {
      const idx = inputColumns.map((c) => table.columns.indexOf(c));
      const missing = inputColumns.filter((_, i) => idx[i]! < 0);
      if (missing.length > 0) {
        const known = new Set<string>([...inputColumns, ...(label !== undefined ? [label] : [])]);
        const extra = table.columns.filter((c) => !known.has(c));
        throw new DataError(
          'column_mismatch',
          `the data lacks column(s) the model was trained on: ${missing.join(', ')}` +
            (extra.length > 0 ? `; it has column(s) the model does not know: ${extra.join(', ')}` : ''),
          missing,
        );
      }
      const data = new Float64Array(table.rows * cols);
      const colData = idx.map((i) => table.data[i]!);
      for (let r = 0; r < table.rows; r++) {
        let at = r * cols;
        for (let s = 0; s < writers.length; s++) at += writers[s]!(colData[s]![r], data, at, r);
      }
      return { data, rows: table.rows, cols };
    },
    transformRecord(record) {
      const missing = inputColumns.filter((c) => !Object.hasOwn(record, c));
      if (missing.length > 0) {
        throw new DataError('column_mismatch', `the record lacks field(s) the model was trained on: ${missing.join(', ')}`, missing);
      }
      const out = new Float64Array(cols);
      let at = 0;
      for (let s = 0; s < writers.length; s++) at += writers[s]!(record[inputColumns[s]!], out, at, 0);
      return out;
    },
    labels(table) {
      if (label === undefined) throw new DataError('no_label', 'this preprocessor was fitted without a label column');
      const i = table.columns.indexOf(label);
      if (i < 0) throw new DataError('no_label', `label column "${label}" is not in the data`, [label]);
      return binaryLabels(table.data[i]!, label);
    },
    toJSON: () => pkg,
  };
  return label === undefined ? pre : { ...pre, label };
}

/**
 * Loads a saved preprocessor, validating every field; throws a `corrupt_package` DataError.
 * @example const pre = loadPreprocessor(JSON.parse(text));
 */
export function loadPreprocessor(input: unknown): Preprocessor {
  const fail = (why: string): never => {
    throw new DataError('corrupt_package', `corrupt preprocessor package: ${why}`);
  };
  if (!isObject(input)) return fail('not an object');
  const o = input;
  if (o['format'] !== PREPROCESSOR_FORMAT) return fail(`format is not "${PREPROCESSOR_FORMAT}"`);
  if (o['version'] !== PREPROCESSOR_VERSION) return fail(`unsupported version ${String(o['version'])}`);
  const label = o['label'];
  if (label !== undefined && typeof label !== 'string') return fail('label is not a string');
  const impute = o['impute'];
  if (typeof impute !== 'boolean') return fail('impute is not a boolean');
  const rawSteps = o['steps'];
  if (!Array.isArray(rawSteps) || rawSteps.length === 0) return fail('steps is not a non-empty list');
  const steps = rawSteps.map((s, i) => readStep(s, i, fail));
  const expected = steps.flatMap(stepOutputs);
  const names = o['featureNames'];
  if (
    !Array.isArray(names) ||
    names.length !== expected.length ||
    names.some((n, i) => typeof n !== 'string' || n !== expected[i])
  ) {
    return fail('featureNames do not match the steps');
  }
  return buildPreprocessor({
    format: PREPROCESSOR_FORMAT,
    version: PREPROCESSOR_VERSION,
    ...(typeof label === 'string' ? { label } : {}),
    impute,
    steps,
    featureNames: expected,
  });
}

function readStep(s: unknown, i: number, fail: (why: string) => never): PreprocessStep {
  if (!isObject(s)) return fail(`step ${i} is not an object`);
  const o = s;
  const column = o['column'];
  if (typeof column !== 'string' || column === '') return fail(`step ${i} has no column`);
  const num = (k: string, positive = false): number => {
    const v = o[k];
    if (typeof v !== 'number' || !Number.isFinite(v) || (positive && v <= 0)) {
      return fail(`step ${i} (${column}): ${k} is not a ${positive ? 'positive' : 'finite'} number`);
    }
    return v;
  };
  const cats = (): string[] => {
    const v = o['categories'];
    if (!Array.isArray(v) || v.some((c) => typeof c !== 'string')) return fail(`step ${i} (${column}): bad categories`);
    return v.map(String);
  };
  switch (o['kind']) {
    case 'numeric':
    case 'datetime':
      return {
        kind: o['kind'],
        column,
        median: num('median'),
        center: num('center'),
        scale: num('scale', true),
      };
    case 'boolean':
      return { kind: 'boolean', column, median: num('median') };
    case 'onehot':
      return { kind: 'onehot', column, categories: cats() };
    case 'ordinal':
      return { kind: 'ordinal', column, categories: cats() };
    default:
      return fail(`step ${i} (${column}) has unknown kind ${JSON.stringify(o['kind'])}`);
  }
}
