import { checkScoresAndLabels } from './ranking-metrics.js';

/** Counts of a binary decision against labels. */
export interface ConfusionMatrix {
  /** Flagged and positive. */
  readonly tp: number;
  /** Flagged but negative. */
  readonly fp: number;
  /** Not flagged and negative. */
  readonly tn: number;
  /** Not flagged but positive. */
  readonly fn: number;
}

/** Quality of a decision at one threshold. Ratios with a zero denominator are 0 (sklearn's `zero_division=0`). */
export interface ThresholdMetrics extends ConfusionMatrix {
  readonly threshold: number;
  /** tp / (tp + fp). */
  readonly precision: number;
  /** tp / (tp + fn), the true-positive rate. */
  readonly recall: number;
  /** 2 · precision · recall / (precision + recall). */
  readonly f1: number;
  /** (tp + tn) / all. */
  readonly accuracy: number;
  /** fp / (fp + tn). */
  readonly falsePositiveRate: number;
}

/**
 * Confusion matrix of flagging every row whose score is `>= threshold`.
 * @example confusionMatrix([0.2, 0.6, 0.7, 0.9], [0, 0, 1, 1], 0.65); // { tp: 2, fp: 0, tn: 2, fn: 0 }
 */
export function confusionMatrix(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  threshold: number,
): ConfusionMatrix {
  checkScoresAndLabels(scores, labels, 'confusionMatrix');
  let tp = 0;
  let fp = 0;
  let tn = 0;
  let fn = 0;
  for (let i = 0; i < scores.length; i++) {
    const flagged = scores[i]! >= threshold;
    if (labels[i] === 1) {
      if (flagged) tp++;
      else fn++;
    } else if (flagged) fp++;
    else tn++;
  }
  return { tp, fp, tn, fn };
}

const ratio = (a: number, b: number): number => (b === 0 ? 0 : a / b);

/**
 * Precision, recall, F1, accuracy and false-positive rate of flagging scores `>= threshold`.
 * @example thresholdMetrics([0.2, 0.6, 0.7, 0.9], [0, 0, 1, 1], 0.5).precision; // 0.6666666666666666
 */
export function thresholdMetrics(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  threshold: number,
): ThresholdMetrics {
  const cm = confusionMatrix(scores, labels, threshold);
  const precision = ratio(cm.tp, cm.tp + cm.fp);
  const recall = ratio(cm.tp, cm.tp + cm.fn);
  return {
    ...cm,
    threshold,
    precision,
    recall,
    f1: ratio(2 * precision * recall, precision + recall),
    accuracy: ratio(cm.tp + cm.tn, scores.length),
    falsePositiveRate: ratio(cm.fp, cm.fp + cm.tn),
  };
}
