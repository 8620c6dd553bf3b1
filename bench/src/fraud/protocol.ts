/**
 * The Fraud Detection Handbook's evaluation protocol (§3.4 and §5.2), on typed columns:
 *
 * - train on `trainDays` days from the start date (by TX_DATETIME);
 * - skip `delayDays` (fraud labels are not known yet), then test on `testDays` whole days (by
 *   TX_TIME_DAYS);
 * - from each test day remove the cards already known to be compromised: frauds in the training
 *   days, plus frauds in the delay days up to the test day − delay (handbook
 *   `get_train_test_set`);
 * - metrics over the pooled test rows: ROC AUC, average precision; card precision@100 per test
 *   day (each card scored by its highest transaction; cards detected on earlier days removed),
 *   averaged over the days;
 * - prequential validation: folds one `foldStepDays` apart, going back in time from the start.
 */
import { averagePrecision, rocAuc } from '../../../packages/engine/src/metrics/ranking-metrics.js';
import { cardPrecisionAtK, type CardScoreRow } from '../../../packages/engine/src/metrics/card-precision.js';
import type { Transactions } from './load-transactions.js';

const DAY_MS = 86_400_000;

/** One train/test split. */
export interface FraudFold {
  readonly trainStart: string;
  readonly train: Uint32Array;
  readonly test: Uint32Array;
  readonly testDays: readonly number[];
}

/** Protocol lengths in days. */
export interface ProtocolDays {
  readonly trainDays: number;
  readonly delayDays: number;
  readonly testDays: number;
}

/**
 * Rows of one fold (see the module comment).
 * @example const fold = splitFold(tx, Date.UTC(2018, 6, 25), { trainDays: 7, delayDays: 7, testDays: 7 });
 */
export function splitFold(tx: Transactions, trainStartMs: number, d: ProtocolDays): FraudFold {
  const trainEnd = trainStartMs + d.trainDays * DAY_MS;
  const train: number[] = [];
  let startDay = Infinity;
  for (let r = 0; r < tx.rows; r++) {
    const t = tx.at[r]!;
    if (t >= trainStartMs && t < trainEnd) {
      train.push(r);
      if (tx.day[r]! < startDay) startDay = tx.day[r]!;
    }
  }
  if (train.length === 0)
    throw new Error(`no transactions from ${new Date(trainStartMs).toISOString().slice(0, 10)}`);
  const known = new Set<number>();
  for (const r of train) if (tx.fraud[r] === 1) known.add(tx.customer[r]!);
  const byDay = new Map<number, number[]>();
  for (let r = 0; r < tx.rows; r++) {
    const day = tx.day[r]!;
    let list = byDay.get(day);
    if (list === undefined) byDay.set(day, (list = []));
    list.push(r);
  }
  const test: number[] = [];
  const testDays: number[] = [];
  for (let k = 0; k < d.testDays; k++) {
    const day = startDay + d.trainDays + d.delayDays + k;
    // Frauds of day (start + trainDays + k − 1) become known before test day k.
    for (const r of byDay.get(startDay + d.trainDays + k - 1) ?? [])
      if (tx.fraud[r] === 1) known.add(tx.customer[r]!);
    const rows = byDay.get(day);
    if (rows === undefined) throw new Error(`no transactions on test day ${day} (data ends too early)`);
    testDays.push(day);
    for (const r of rows) if (!known.has(tx.customer[r]!)) test.push(r);
  }
  return {
    trainStart: new Date(trainStartMs).toISOString().slice(0, 10),
    train: Uint32Array.from(train),
    test: Uint32Array.from(test),
    testDays,
  };
}

/** The handbook's three figures. */
export interface FraudMetrics {
  readonly roc_auc: number;
  readonly average_precision: number;
  readonly card_precision_at_100: number;
}

/**
 * Metrics of test scores (aligned with `fold.test`).
 * @example assessFold(tx, fold, scores);
 */
export function assessFold(tx: Transactions, rows: Uint32Array, scores: Float64Array): FraudMetrics {
  const labels = Uint8Array.from(rows, (r) => tx.fraud[r]!);
  const cardRows: CardScoreRow[] = [];
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    cardRows.push({ day: tx.day[r]!, card: tx.customer[r]!, score: scores[i]!, label: tx.fraud[r]! });
  }
  return {
    roc_auc: rocAuc(scores, labels),
    average_precision: averagePrecision(scores, labels),
    card_precision_at_100: cardPrecisionAtK(cardRows, 100),
  };
}

/**
 * Mean and (sample) standard deviation of each metric over folds.
 * @example summarize([m1, m2]);
 */
export function summarize(folds: readonly FraudMetrics[]): { mean: FraudMetrics; std: FraudMetrics } {
  const keys = ['roc_auc', 'average_precision', 'card_precision_at_100'] as const;
  const mean = { roc_auc: 0, average_precision: 0, card_precision_at_100: 0 };
  const std = { roc_auc: 0, average_precision: 0, card_precision_at_100: 0 };
  for (const k of keys) {
    const xs = folds.map((f) => f[k]);
    const m = xs.reduce((a, b) => a + b, 0) / xs.length;
    mean[k] = m;
    std[k] = xs.length > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1)) : 0;
  }
  return { mean, std };
}

/** Parses YYYY-MM-DD as UTC midnight. */
export function parseDay(s: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (m === null) throw new Error(`expected a date YYYY-MM-DD, got ${s}`);
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
}

export { DAY_MS };
