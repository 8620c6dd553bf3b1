import { averagePrecision, rocAuc, type Outcome, type RiskLevel } from '@vigil/engine';
import { csvCell } from './csv-scanner.js';
import { resultRowCsv, type ResultRow } from './row-scorer.js';

/**
 * Analyses of `POST /v1/batch/analyze` (the ML spec's analysis types):
 * - `summary`: counts by level, outcome and flag, risk percentiles, the most frequent signals;
 * - `risk_score`: every row with its risk and decision (risk-score detection);
 * - `classic`: binary detection at a contamination level: the top `contamination` share of rows by
 *   risk are anomalies;
 * - `evaluation`: against the rows' labels: confusion matrix of flagged (outcome not allow) vs
 *   label, precision, recall, F1, accuracy, and ROC-AUC / average precision of the risk.
 */
export const ANALYSIS_TYPES = ['summary', 'risk_score', 'classic', 'evaluation'] as const;
export type AnalysisType = (typeof ANALYSIS_TYPES)[number];

/** Scorers an analysis can use: the full engine decision (detectors, rules, models, policy). */
export const ANALYSIS_MODELS = ['engine'] as const;
export type AnalysisModel = (typeof ANALYSIS_MODELS)[number];

export const ANALYSIS_OUTPUTS = ['json', 'csv'] as const;
export type AnalysisOutput = (typeof ANALYSIS_OUTPUTS)[number];

/** Default share of rows `classic` calls anomalous. */
export const DEFAULT_CONTAMINATION = 0.05;

/** Risk distribution of the scored rows. */
export interface RiskStats {
  readonly mean: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
}

/** The `summary` analysis. */
export interface BatchSummary {
  readonly rows: number;
  readonly scored: number;
  readonly rejected: number;
  readonly byLevel: Readonly<Record<RiskLevel, number>>;
  readonly byOutcome: Readonly<Record<Outcome, number>>;
  readonly byFlag: Readonly<Record<string, number>>;
  readonly risk: RiskStats | null;
  /** Signals among the rows' top signals, most frequent first (at most 20). */
  readonly topSignals: readonly { readonly code: string; readonly rows: number }[];
}

/** The `evaluation` analysis. */
export interface BatchEvaluation {
  /** Scored rows with a label. */
  readonly labelled: number;
  readonly positives: number;
  readonly tp: number;
  readonly fp: number;
  readonly tn: number;
  readonly fn: number;
  readonly precision: number | null;
  readonly recall: number | null;
  readonly f1: number | null;
  readonly accuracy: number;
  /** Of the risk against the labels; null with one class only. */
  readonly rocAuc: number | null;
  readonly averagePrecision: number | null;
}

/** The `classic` analysis: which rows are anomalies. */
export interface BatchClassic {
  readonly contamination: number;
  /** Lowest risk called anomalous. */
  readonly threshold: number | null;
  readonly anomalies: number;
}

const round = (x: number, d = 4) => Math.round(x * 10 ** d) / 10 ** d;

function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return 0;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i]!;
}

/**
 * Counts, risk percentiles and frequent signals of result rows.
 * @example summarize(rows).byOutcome.block;
 */
export function summarize(rows: readonly ResultRow[]): BatchSummary {
  const byLevel: Record<RiskLevel, number> = { SAFE: 0, LOW: 0, MEDIUM: 0, HIGH: 0, CRITICAL: 0 };
  const byOutcome: Record<Outcome, number> = { allow: 0, challenge: 0, review: 0, block: 0 };
  const byFlag: Record<string, number> = {};
  const signals = new Map<string, number>();
  const risks: number[] = [];
  let rejected = 0;
  for (const r of rows) {
    if (r.error !== null || r.risk === null) {
      rejected++;
      continue;
    }
    risks.push(r.risk);
    if (r.level !== null) byLevel[r.level]++;
    if (r.outcome !== null) byOutcome[r.outcome]++;
    if (r.flag !== null) byFlag[r.flag] = (byFlag[r.flag] ?? 0) + 1;
    for (const s of r.signals) signals.set(s, (signals.get(s) ?? 0) + 1);
  }
  const sorted = Float64Array.from(risks).sort();
  let sum = 0;
  for (const x of risks) sum += x;
  return {
    rows: rows.length,
    scored: risks.length,
    rejected,
    byLevel,
    byOutcome,
    byFlag,
    risk:
      risks.length === 0
        ? null
        : {
            mean: round(sum / risks.length),
            p50: quantile(sorted, 0.5),
            p90: quantile(sorted, 0.9),
            p99: quantile(sorted, 0.99),
            max: sorted[sorted.length - 1]!,
          },
    topSignals: [...signals]
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
      .slice(0, 20)
      .map(([code, n]) => ({ code, rows: n })),
  };
}

/**
 * Flags the top `contamination` share of scored rows by risk (ties at the threshold included, rows
 * with risk 0 never). Returns the verdict per row (rejected rows: false) and the threshold.
 * @example classify(rows, 0.05).anomalies;
 */
export function classify(
  rows: readonly ResultRow[],
  contamination: number,
): BatchClassic & { readonly isAnomaly: readonly boolean[] } {
  const risks = rows.filter((r) => r.risk !== null && r.error === null).map((r) => r.risk!);
  const k = Math.ceil(contamination * risks.length);
  const desc = Float64Array.from(risks).sort().reverse();
  const cut = k > 0 ? desc[k - 1]! : Number.POSITIVE_INFINITY;
  const threshold = k > 0 && cut > 0 ? cut : null;
  const isAnomaly = rows.map(
    (r) => threshold !== null && r.error === null && r.risk !== null && r.risk >= threshold,
  );
  return { contamination, threshold, anomalies: isAnomaly.filter(Boolean).length, isAnomaly };
}

/**
 * Evaluates decisions against labels; undefined when no scored row has a label.
 * @example evaluate(rows)?.recall;
 */
export function evaluate(rows: readonly ResultRow[]): BatchEvaluation | undefined {
  const scores: number[] = [];
  const labels: number[] = [];
  let tp = 0;
  let fp = 0;
  let tn = 0;
  let fn = 0;
  for (const r of rows) {
    if (r.error !== null || r.risk === null || r.label === undefined || r.label === null) continue;
    scores.push(r.risk);
    labels.push(r.label);
    const flagged = r.outcome !== 'allow';
    if (r.label === 1) {
      if (flagged) tp++;
      else fn++;
    } else if (flagged) fp++;
    else tn++;
  }
  if (labels.length === 0) return undefined;
  const positives = tp + fn;
  const precision = tp + fp > 0 ? tp / (tp + fp) : null;
  const recall = positives > 0 ? tp / positives : null;
  const f1 =
    precision !== null && recall !== null && precision + recall > 0
      ? (2 * precision * recall) / (precision + recall)
      : null;
  const bothClasses = positives > 0 && positives < labels.length;
  return {
    labelled: labels.length,
    positives,
    tp,
    fp,
    tn,
    fn,
    precision: precision === null ? null : round(precision),
    recall: recall === null ? null : round(recall),
    f1: f1 === null ? null : round(f1),
    accuracy: round((tp + tn) / labels.length),
    rocAuc: bothClasses ? round(rocAuc(scores, labels)) : null,
    averagePrecision: positives > 0 ? round(averagePrecision(scores, labels)) : null,
  };
}

/** `metric,value` lines of a flat object (nested objects as `a.b`). */
export function metricsCsv(obj: Readonly<Record<string, unknown>>): string {
  const lines = ['metric,value'];
  const walk = (prefix: string, v: unknown): void => {
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      for (const [k, x] of Object.entries(v)) walk(prefix === '' ? k : `${prefix}.${k}`, x);
    } else if (Array.isArray(v)) {
      v.forEach((x, i) => walk(`${prefix}.${i}`, x));
    } else {
      const text =
        typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean'
          ? String(v)
          : v == null
            ? ''
            : JSON.stringify(v);
      lines.push(`${csvCell(prefix)},${csvCell(text)}`);
    }
  };
  walk('', obj);
  return `${lines.join('\n')}\n`;
}

/** Result rows as CSV, with an `is_anomaly` column when given. */
export function rowsCsv(
  rows: readonly ResultRow[],
  withLabel: boolean,
  isAnomaly?: readonly boolean[],
): string {
  const head = ['line', 'id', 'user', 'type', 'risk', 'score', 'level', 'outcome', 'flag', 'signals'];
  if (withLabel) head.push('label');
  head.push('error');
  if (isAnomaly) head.push('is_anomaly');
  const out = [head.join(',')];
  rows.forEach((r, i) =>
    out.push(
      isAnomaly ? `${resultRowCsv(r, withLabel)},${isAnomaly[i] ? 1 : 0}` : resultRowCsv(r, withLabel),
    ),
  );
  return `${out.join('\n')}\n`;
}
