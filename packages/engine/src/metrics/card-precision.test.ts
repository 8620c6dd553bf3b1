import { describe, expect, it } from 'vitest';
import { cardPrecisionAtK, cardPrecisionAtKReport, type CardScoreRow } from './card-precision.js';

const ROWS: CardScoreRow[] = [
  // day 1: per-card max score / any fraud: A .9 fraud, B .8 ok, C .7 fraud, D .2 fraud
  { day: 1, card: 'A', score: 0.9, label: 1 },
  { day: 1, card: 'A', score: 0.1, label: 0 },
  { day: 1, card: 'B', score: 0.8, label: 0 },
  { day: 1, card: 'C', score: 0.3, label: 0 },
  { day: 1, card: 'C', score: 0.7, label: 1 },
  { day: 1, card: 'D', score: 0.2, label: 1 },
  // day 2: A would lead again, but was caught on day 1
  { day: 2, card: 'A', score: 0.99, label: 1 },
  { day: 2, card: 'B', score: 0.5, label: 0 },
  { day: 2, card: 'C', score: 0.6, label: 1 },
  { day: 2, card: 'D', score: 0.1, label: 0 },
];

describe('cardPrecisionAtK (Fraud Detection Handbook)', () => {
  it('scores cards by their max, removes cards found on earlier days, divides by k', () => {
    const r = cardPrecisionAtKReport(ROWS, 2);
    // day 1 top-2: A (fraud), B → 1/2; day 2 without A: C (fraud), B → 1/2
    expect(r.days).toEqual([
      { day: 1, precision: 0.5, compromisedCards: 3, detected: 1 },
      { day: 2, precision: 0.5, compromisedCards: 1, detected: 1 },
    ]);
    expect(r.mean).toBe(0.5);
  });

  it('can keep detected cards (day 2 top-2: A, C → 1)', () => {
    expect(cardPrecisionAtK(ROWS, 2, { removeDetected: false })).toBe(0.75);
  });

  it('divides by k even when a day has fewer cards', () => {
    // day 1 top-5 holds all 4 cards, 3 compromised → 3/5; day 2 (A removed, C caught day 1 too): 0/5
    const r = cardPrecisionAtKReport(ROWS, 5);
    expect(r.days.map((d) => d.precision)).toEqual([0.6, 0]);
    expect(r.mean).toBe(0.3);
  });

  it('orders days numerically and rejects bad input', () => {
    const rows = [
      { day: 10, card: 1, score: 0.5, label: 1 },
      { day: 9, card: 1, score: 0.5, label: 1 },
    ];
    expect(cardPrecisionAtKReport(rows, 1).days.map((d) => d.precision)).toEqual([1, 0]);
    expect(cardPrecisionAtKReport(rows, 1).days[0]!.day).toBe(9);
    expect(cardPrecisionAtK([], 3)).toBe(0);
    expect(() => cardPrecisionAtK(ROWS, 0)).toThrow(/k must be a positive integer/);
    expect(() => cardPrecisionAtK([{ day: 1, card: 1, score: NaN, label: 0 }], 1)).toThrow(/NaN/);
  });
});
