/**
 * Automatic analysis of a dataset before training: the type of every column, the label column
 * (by name, among {@link LABEL_NAMES}, and only if it has two classes), missing values, class
 * balance and warnings about anything that makes the data unsuitable or a model misleading
 * (rare positives, all-missing or constant columns, garbage in numeric columns, identifiers,
 * a column that gives the label away). {@link formatDatasetReport} prints it for a terminal.
 */
import {
  LABEL_NAMES,
  binaryLabels,
  booleanCell,
  cellText,
  looksLikeIdName,
  normalizeName,
  parseDateTime,
  type ColumnType,
} from './column-types.js';
import { isDataError } from './data-error.js';
import { cellToNumber, isMissingCell, type Cell, type DataTable } from './data-table.js';

/** Share of non-missing cells that must parse as numbers for a column to be numeric. */
export const NUMERIC_SHARE = 0.9;
/** Distinct values counted exactly per column (beyond, `distinct` is a lower bound). */
const DISTINCT_LIMIT = 100_000;

/** A cell that does not fit its column's type. */
export interface InvalidCell {
  /** 1-based data row (the header is not counted). */
  readonly row: number;
  readonly value: string;
}

/** Analysis of one column. */
export interface ColumnReport {
  readonly name: string;
  readonly type: ColumnType;
  readonly missing: number;
  readonly missingRate: number;
  /** Distinct non-missing values (a lower bound above 100,000). */
  readonly distinct: number;
  /** Non-missing cells that do not fit the type (e.g. 'abc' in a numeric column). */
  readonly invalid: number;
  /** Up to three invalid cells. */
  readonly invalidExamples: readonly InvalidCell[];
  /** Numeric summary (numeric and boolean columns). */
  readonly min?: number;
  readonly max?: number;
  readonly mean?: number;
  /** Most frequent values (categorical, boolean and id columns), at most five. */
  readonly top?: readonly { readonly value: string; readonly count: number }[];
}

/** The label column and its class balance. */
export interface LabelReport {
  readonly column: string;
  readonly positive: string;
  readonly negative: string;
  readonly positives: number;
  readonly negatives: number;
  readonly positiveRate: number;
}

/** What {@link analyzeDataset} found. */
export interface DatasetReport {
  readonly rows: number;
  readonly columns: readonly ColumnReport[];
  /** The label column, when one was named or detected and has two classes. */
  readonly label?: LabelReport;
  /** Columns a model would use as features (numeric, boolean, categorical; not the label). */
  readonly featureColumns: readonly string[];
  /** Datetime columns, usable for a time-based split. */
  readonly timeColumns: readonly string[];
  readonly warnings: readonly string[];
}

/** Options of {@link analyzeDataset}. */
export interface AnalyzeOptions {
  /** The label column (default: detected by name). */
  readonly label?: string;
}

/**
 * Analyzes a table: column types, label, missing values, class balance, warnings.
 * @example
 * const report = analyzeDataset(parseCsv(text).table);
 * report.label?.column; // 'TX_FRAUD'
 * report.columns.find((c) => c.name === 'CUSTOMER_ID')?.type; // 'id'
 */
export function analyzeDataset(table: DataTable, options: AnalyzeOptions = {}): DatasetReport {
  const warnings: string[] = [];
  const columns = table.columns.map((name, c) => analyzeColumn(name, table.data[c]!));
  if (table.rows === 0) warnings.push('the data has no rows');
  else if (table.rows < 100) warnings.push(`only ${table.rows} rows: too few to train and evaluate a model reliably`);

  let label: LabelReport | undefined;
  let labelName = options.label;
  if (labelName !== undefined && !table.columns.includes(labelName)) {
    warnings.push(`label column "${labelName}" is not in the data (columns: ${table.columns.join(', ')})`);
    labelName = undefined;
  } else if (labelName === undefined) {
    labelName = detectLabelColumn(table, warnings);
    if (labelName === undefined) {
      warnings.push(
        `no label column found (looked for ${LABEL_NAMES.join(', ')}): supervised training needs one; unsupervised models can still run`,
      );
    }
  }
  if (labelName !== undefined) {
    try {
      const l = binaryLabels(table.data[table.columns.indexOf(labelName)]!, labelName);
      const rate = l.positives / table.rows;
      label = {
        column: labelName,
        positive: l.positive,
        negative: l.negative,
        positives: l.positives,
        negatives: table.rows - l.positives,
        positiveRate: rate,
      };
      if (rate < 0.01) {
        warnings.push(
          `positives ("${l.positive}") are ${(rate * 100).toFixed(2)}% of rows: use class weighting and judge models by average precision or precision@k, not accuracy`,
        );
      }
      if (l.positives < 30) warnings.push(`only ${l.positives} positive rows: evaluation figures will be noisy`);
    } catch (e) {
      if (!isDataError(e)) throw e;
      warnings.push(e.message);
    }
  }

  const featureColumns: string[] = [];
  const timeColumns: string[] = [];
  for (const col of columns) {
    if (col.name === labelName) continue;
    switch (col.type) {
      case 'empty':
        warnings.push(`column "${col.name}" is entirely missing: drop it`);
        break;
      case 'id':
        warnings.push(`column "${col.name}" looks like an identifier: not used as a feature`);
        break;
      case 'datetime':
        timeColumns.push(col.name);
        break;
      case 'numeric':
      case 'boolean':
      case 'categorical':
        featureColumns.push(col.name);
        if (col.distinct === 1) warnings.push(`column "${col.name}" is constant: it carries no information`);
        if (col.type === 'categorical' && col.distinct > 1000) {
          warnings.push(`column "${col.name}" has ${col.distinct} categories: only the most frequent are encoded`);
        }
        break;
    }
    if (col.type !== 'empty' && col.missingRate > 0.5) {
      warnings.push(`column "${col.name}" is ${(col.missingRate * 100).toFixed(0)}% missing`);
    }
    if (col.invalid > 0) {
      const ex = col.invalidExamples.map((x) => `"${x.value}" at row ${x.row}`).join(', ');
      warnings.push(`column "${col.name}" is ${col.type} but has ${col.invalid} values that are not (${ex})`);
    }
  }
  if (timeColumns.length > 0) {
    warnings.push(`datetime column(s) ${timeColumns.join(', ')}: split train/test by time rather than at random`);
  }
  if (label !== undefined) {
    const y = binaryLabels(table.data[table.columns.indexOf(label.column)]!, label.column).y;
    for (let c = 0; c < table.columns.length; c++) {
      const col = columns[c]!;
      if (col.name === label.column || col.type === 'empty' || col.distinct > 50 || col.distinct < 2) continue;
      if (determinesLabel(table.data[c]!, y)) {
        warnings.push(`column "${col.name}" determines the label exactly: a leak? drop it before training`);
      }
    }
  }
  const report: DatasetReport = { rows: table.rows, columns, featureColumns, timeColumns, warnings };
  return label === undefined ? report : { ...report, label };
}

/**
 * The label column by name: the first column (in {@link LABEL_NAMES} order) with exactly two
 * classes. Returns undefined when none qualifies; `warnings`, when given, receives why a
 * label-named column was passed over.
 * @example detectLabelColumn(table); // 'is_fraud'
 */
export function detectLabelColumn(table: DataTable, warnings?: string[]): string | undefined {
  const byName = new Map(table.columns.map((n, i) => [normalizeName(n), i] as const));
  for (const candidate of LABEL_NAMES) {
    const i = byName.get(candidate);
    if (i === undefined) continue;
    const name = table.columns[i]!;
    const values = new Set<string>();
    for (const c of table.data[i]!) {
      if (!isMissingCell(c)) values.add(cellText(c));
      if (values.size > 2) break;
    }
    if (values.size === 2 || values.size === 1) return name;
    warnings?.push(`column "${name}" is named like a label but has ${values.size > 2 ? 'more than two' : 'no'} values`);
  }
  return undefined;
}

function determinesLabel(col: readonly Cell[], y: Uint8Array): boolean {
  const cls = new Map<string, number>();
  for (let r = 0; r < col.length; r++) {
    const key = isMissingCell(col[r]) ? '\u0000' : cellText(col[r]);
    const prev = cls.get(key);
    if (prev === undefined) cls.set(key, y[r]!);
    else if (prev !== y[r]) return false;
  }
  return cls.size >= 2;
}

/**
 * Types and summarises one column (see {@link ColumnReport}).
 * @example analyzeColumn('amount', ['1.5', '', '3']).type; // 'numeric'
 */
export function analyzeColumn(name: string, col: readonly Cell[]): ColumnReport {
  const n = col.length;
  let missing = 0;
  let numeric = 0;
  let bools = 0;
  let dates = 0;
  let integers = 0;
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  const counts = new Map<string, number>();
  for (let r = 0; r < n; r++) {
    const c = col[r];
    if (isMissingCell(c)) {
      missing++;
      continue;
    }
    const x = cellToNumber(c ?? null);
    if (!Number.isNaN(x)) {
      numeric++;
      if (Number.isInteger(x)) integers++;
      sum += x;
      if (x < min) min = x;
      if (x > max) max = x;
    } else if (!Number.isNaN(booleanCell(c))) bools++;
    else if (!Number.isNaN(parseDateTime(c))) dates++;
    if (counts.size < DISTINCT_LIMIT) {
      const key = cellText(c);
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  }
  const present = n - missing;
  const distinct = counts.size;
  const base = { name, missing, missingRate: n === 0 ? 0 : missing / n, distinct };
  if (present === 0) return { ...base, type: 'empty', invalid: 0, invalidExamples: [] };

  const top = [...counts.entries()]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, 5)
    .map(([value, count]) => ({ value, count }));
  const idName = looksLikeIdName(name);
  const examples = (fits: (c: Cell) => boolean): InvalidCell[] => {
    const out: InvalidCell[] = [];
    for (let r = 0; r < n && out.length < 3; r++) {
      const c = col[r] ?? null;
      if (!isMissingCell(c) && !fits(c)) out.push({ row: r + 1, value: cellText(c) });
    }
    return out;
  };

  if (numeric >= NUMERIC_SHARE * present && !(distinct <= 2 && bools > 0)) {
    const isId = idName && integers === numeric;
    const invalid = present - numeric;
    return {
      ...base,
      type: isId ? 'id' : 'numeric',
      invalid,
      invalidExamples: invalid > 0 ? examples((c) => !Number.isNaN(cellToNumber(c))) : [],
      min,
      max,
      mean: sum / numeric,
      ...(isId ? { top } : {}),
    };
  }
  if (bools === present || (bools + numeric === present && distinct <= 2)) {
    return { ...base, type: 'boolean', invalid: 0, invalidExamples: [], top };
  }
  if (dates >= 0.95 * present) {
    const invalid = present - dates;
    return {
      ...base,
      type: 'datetime',
      invalid,
      invalidExamples: invalid > 0 ? examples((c) => !Number.isNaN(parseDateTime(c))) : [],
    };
  }
  const unique = distinct >= 0.95 * present && present >= 20;
  return { ...base, type: idName || unique ? 'id' : 'categorical', invalid: 0, invalidExamples: [], top };
}

/**
 * A plain-text rendering of a report for a terminal.
 * @example console.log(formatDatasetReport(analyzeDataset(table)));
 */
export function formatDatasetReport(report: DatasetReport): string {
  const lines: string[] = [];
  lines.push(`${report.rows} rows, ${report.columns.length} columns`);
  const w = Math.max(6, ...report.columns.map((c) => c.name.length));
  lines.push(`${'column'.padEnd(w)}  ${'type'.padEnd(11)}  ${'missing'.padStart(8)}  ${'distinct'.padStart(8)}  summary`);
  for (const c of report.columns) {
    let summary = '';
    if (c.mean !== undefined && c.type === 'numeric') {
      summary = `min ${fmt(c.min ?? NaN)}  mean ${fmt(c.mean)}  max ${fmt(c.max ?? NaN)}`;
    } else if (c.top !== undefined) summary = c.top.map((t) => `${t.value} (${t.count})`).join(', ');
    if (c.name === report.label?.column) summary = 'label';
    lines.push(
      `${c.name.padEnd(w)}  ${c.type.padEnd(11)}  ${String(c.missing).padStart(8)}  ${String(c.distinct).padStart(8)}  ${summary}`,
    );
  }
  if (report.label !== undefined) {
    const l = report.label;
    lines.push(
      `label ${l.column}: ${l.positives} positive ("${l.positive}"), ${l.negatives} negative ("${l.negative}"), ${(l.positiveRate * 100).toFixed(2)}% positive`,
    );
  }
  for (const warning of report.warnings) lines.push(`warning: ${warning}`);
  return lines.join('\n');
}

function fmt(x: number): string {
  return Number.isInteger(x) ? String(x) : x.toPrecision(4);
}
