/**
 * Ranking metrics of scores against binary labels (1 = positive / fraud / anomaly, 0 =
 * negative): ROC-AUC, average precision (PR-AUC) and precision@k, computed as scikit-learn's
 * `roc_auc_score`, `average_precision_score` and a top-k precision. Higher scores mean "more
 * likely positive". Inputs are checked: equal lengths, labels 0/1, no NaN score.
 */

/**
 * Validates scores and labels; returns the number of positives.
 * @example checkScoresAndLabels([0.1, 0.9], [0, 1], 'rocAuc'); // 1
 */
export function checkScoresAndLabels(
  scores: ArrayLike<number>,
  labels: ArrayLike<number>,
  metric: string,
): number {
  if (scores.length !== labels.length) {
    throw new Error(`${metric}: ${scores.length} scores but ${labels.length} labels`);
  }
  let pos = 0;
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i]!;
    if (l !== 0 && l !== 1) throw new Error(`${metric}: label ${i} is ${l}, expected 0 or 1`);
    if (Number.isNaN(scores[i]!)) throw new Error(`${metric}: score ${i} is NaN`);
    pos += l;
  }
  return pos;
}

/** Indices sorted by score, descending (ties keep index order). */
function orderDescending(scores: ArrayLike<number>): Uint32Array {
  const n = scores.length;
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  const s = Float64Array.from(scores);
  order.sort((a, b) => s[b]! - s[a]! || a - b);
  return order;
}

/**
 * Area under the ROC curve: the probability that a random positive scores above a random
 * negative, ties counting one half (Mann–Whitney U with average ranks). Throws unless both
 * classes are present.
 * @example rocAuc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]); // 0.75
 */
export function rocAuc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const pos = checkScoresAndLabels(scores, labels, 'rocAuc');
  const n = scores.length;
  const neg = n - pos;
  if (pos === 0 || neg === 0) throw new Error('rocAuc: needs both positive and negative labels');
  const order = orderDescending(scores);
  // Walk from the highest score; rank (ascending, 1-based) of position i is n - i.
  let rankSumPos = 0;
  for (let i = 0; i < n;) {
    const s = scores[order[i]!]!;
    let j = i;
    let tiedPos = 0;
    while (j < n && scores[order[j]!]! === s) {
      tiedPos += labels[order[j]!]!;
      j++;
    }
    // Positions i..j-1 hold ascending ranks n-j+1 .. n-i; their average is n - (i + j - 1) / 2.
    rankSumPos += tiedPos * (n - (i + j - 1) / 2);
    i = j;
  }
  return (rankSumPos - (pos * (pos + 1)) / 2) / (pos * neg);
}

/**
 * Average precision as scikit-learn's `average_precision_score`: Σ (R_k − R_{k−1}) P_k over the
 * distinct score thresholds from high to low (tied scores form one threshold), the step-wise
 * area under the precision–recall curve. Throws if there is no positive label.
 * @example averagePrecision([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]); // 0.8333333333333333
 */
export function averagePrecision(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const pos = checkScoresAndLabels(scores, labels, 'averagePrecision');
  if (pos === 0) throw new Error('averagePrecision: needs at least one positive label');
  const n = scores.length;
  const order = orderDescending(scores);
  let tp = 0;
  let seen = 0;
  let prevRecall = 0;
  let ap = 0;
  for (let i = 0; i < n;) {
    const s = scores[order[i]!]!;
    while (i < n && scores[order[i]!]! === s) {
      tp += labels[order[i]!]!;
      seen++;
      i++;
    }
    const recall = tp / pos;
    ap += (recall - prevRecall) * (tp / seen);
    prevRecall = recall;
  }
  return ap;
}

/**
 * Fraction of positives among the k highest scores (ties at the cut broken by input order);
 * k larger than the data uses all rows.
 * @example precisionAtK([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1], 2); // 0.5
 */
export function precisionAtK(scores: ArrayLike<number>, labels: ArrayLike<number>, k: number): number {
  checkScoresAndLabels(scores, labels, 'precisionAtK');
  if (!Number.isInteger(k) || k < 1) throw new Error(`precisionAtK: k must be a positive integer, got ${k}`);
  const order = orderDescending(scores);
  const top = Math.min(k, order.length);
  if (top === 0) return 0;
  let tp = 0;
  for (let i = 0; i < top; i++) tp += labels[order[i]!]!;
  return tp / top;
}
