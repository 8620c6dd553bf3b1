/**
 * Card precision@k, the daily metric of the Fraud Detection Handbook (Le Borgne et al.,
 * "Reproducible Machine Learning for Credit Card Fraud Detection – Practical Handbook", §4.2,
 * `card_precision_top_k`): investigators check k cards a day, so each day every card (or any
 * entity) is scored by the maximum score of its transactions that day and labelled compromised
 * if any of them is fraudulent; the k highest-scoring cards are "checked" and the day's value is
 * (compromised cards among them) / k. The metric is the mean over days. As in the handbook, by
 * default a card found compromised on one day is removed from the following days (it is blocked
 * and would not be checked again), and the division is always by k, even on a day with fewer
 * than k cards.
 */

/** One scored transaction (or event) for {@link cardPrecisionAtK}. */
export interface CardScoreRow {
  /** Day index or ISO date (days are processed in ascending order). */
  readonly day: number | string;
  /** Card, customer or other entity id. */
  readonly card: number | string;
  readonly score: number;
  /** 1 if the transaction is fraudulent, else 0. */
  readonly label: number;
}

/** Options of {@link cardPrecisionAtK}. */
export interface CardPrecisionOptions {
  /** Drop cards detected as compromised on earlier days (default true, as the handbook). */
  readonly removeDetected?: boolean;
}

/** Per-day detail of card precision@k. */
export interface CardPrecisionDay {
  readonly day: number | string;
  readonly precision: number;
  /** Compromised cards that day (after removing earlier detections). */
  readonly compromisedCards: number;
  /** Compromised cards among the top k. */
  readonly detected: number;
}

/** Card precision@k with its per-day values. */
export interface CardPrecisionReport {
  readonly mean: number;
  readonly days: readonly CardPrecisionDay[];
}

function compareDays(a: number | string, b: number | string): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const sa = String(a);
  const sb = String(b);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

/**
 * Card precision@k with per-day details (see the module comment). Cards tied on score at the
 * cut are taken in order of first appearance that day. Throws on a bad k, label or NaN score.
 * @example
 * cardPrecisionAtKReport([{ day: 0, card: 'a', score: 0.9, label: 1 }], 1).mean; // 1
 */
export function cardPrecisionAtKReport(
  rows: readonly CardScoreRow[],
  k: number,
  opts: CardPrecisionOptions = {},
): CardPrecisionReport {
  if (!Number.isInteger(k) || k < 1)
    throw new Error(`cardPrecisionAtK: k must be a positive integer, got ${k}`);
  const removeDetected = opts.removeDetected ?? true;
  const byDay = new Map<number | string, CardScoreRow[]>();
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    if (r.label !== 0 && r.label !== 1) throw new Error(`cardPrecisionAtK: row ${i} has label ${r.label}`);
    if (Number.isNaN(r.score)) throw new Error(`cardPrecisionAtK: row ${i} has a NaN score`);
    let list = byDay.get(r.day);
    if (list === undefined) byDay.set(r.day, (list = []));
    list.push(r);
  }
  const detectedCards = new Set<number | string>();
  const days: CardPrecisionDay[] = [];
  for (const day of [...byDay.keys()].sort(compareDays)) {
    const cards = new Map<number | string, { score: number; label: number; first: number }>();
    let i = 0;
    for (const r of byDay.get(day) ?? []) {
      if (detectedCards.has(r.card)) continue;
      const c = cards.get(r.card);
      if (c === undefined) cards.set(r.card, { score: r.score, label: r.label, first: i++ });
      else {
        if (r.score > c.score) c.score = r.score;
        if (r.label > c.label) c.label = r.label;
      }
    }
    const ranked = [...cards.entries()].sort((a, b) => b[1].score - a[1].score || a[1].first - b[1].first);
    let compromised = 0;
    for (const [, c] of ranked) compromised += c.label;
    let detected = 0;
    for (const [card, c] of ranked.slice(0, k)) {
      if (c.label === 1) {
        detected++;
        if (removeDetected) detectedCards.add(card);
      }
    }
    days.push({ day, precision: detected / k, compromisedCards: compromised, detected });
  }
  const mean = days.length === 0 ? 0 : days.reduce((s, d) => s + d.precision, 0) / days.length;
  return { mean, days };
}

/**
 * Card precision@k averaged over days (the Fraud Detection Handbook's CP@k; see the module
 * comment).
 * @example
 * cardPrecisionAtK(
 *   [
 *     { day: 0, card: 'a', score: 0.9, label: 1 },
 *     { day: 0, card: 'b', score: 0.2, label: 0 },
 *   ],
 *   2,
 * ); // 0.5
 */
export function cardPrecisionAtK(
  rows: readonly CardScoreRow[],
  k: number,
  opts: CardPrecisionOptions = {},
): number {
  return cardPrecisionAtKReport(rows, k, opts).mean;
}
