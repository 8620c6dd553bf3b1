import { describe, expect, it } from 'vitest';
import type { Transactions } from './load-transactions.js';
import { assessFold, DAY_MS, parseDay, splitFold, summarize } from './protocol.js';

/** One transaction per (day, customer) for days 0..20 and customers 0..4, starting 2018-04-01. */
function synthetic(frauds: ReadonlyArray<readonly [number, number]>): Transactions {
  const start = parseDay('2018-04-01');
  const rows: { day: number; customer: number }[] = [];
  for (let day = 0; day < 21; day++) for (let c = 0; c < 5; c++) rows.push({ day, customer: c });
  const isFraud = new Set(frauds.map(([d, c]) => `${d}:${c}`));
  return {
    rows: rows.length,
    id: Float64Array.from(rows, (_, i) => i),
    at: Float64Array.from(rows, (r) => start + r.day * DAY_MS + 43_200_000),
    day: Int32Array.from(rows, (r) => r.day),
    customer: Int32Array.from(rows, (r) => r.customer),
    terminal: Int32Array.from(rows, (r) => r.customer),
    amount: Float64Array.from(rows, () => 10),
    fraud: Uint8Array.from(rows, (r) => (isFraud.has(`${r.day}:${r.customer}`) ? 1 : 0)),
  };
}

describe('splitFold', () => {
  it('trains on the first week and tests after the delay, removing cards known to be compromised', () => {
    // Card 0 defrauded in training, card 1 on delay day 8, card 2 on delay day 13, card 3 on test day 15.
    const tx = synthetic([
      [2, 0],
      [8, 1],
      [13, 2],
      [15, 3],
    ]);
    const fold = splitFold(tx, parseDay('2018-04-01'), { trainDays: 7, delayDays: 7, testDays: 7 });
    expect(fold.train.length).toBe(35);
    expect(fold.testDays).toEqual([14, 15, 16, 17, 18, 19, 20]);
    const testCards = (day: number) =>
      Array.from(fold.test)
        .filter((r) => tx.day[r] === day)
        .map((r) => tx.customer[r]);
    // Test day 14 (k = 0): frauds up to day 6 are known -> card 0 removed.
    expect(testCards(14)).toEqual([1, 2, 3, 4]);
    // Test day 16 (k = 2): frauds up to day 8 known -> cards 0 and 1 removed.
    expect(testCards(16)).toEqual([2, 3, 4]);
    // Test day 20 (k = 6): frauds up to day 12 known; card 2's fraud (day 13) is not known yet.
    expect(testCards(20)).toEqual([2, 3, 4]);
  });

  it('rejects a start with no data and data ending before the test days', () => {
    const tx = synthetic([]);
    expect(() => splitFold(tx, parseDay('2019-01-01'), { trainDays: 7, delayDays: 7, testDays: 7 })).toThrow(
      /no transactions/,
    );
    expect(() => splitFold(tx, parseDay('2018-04-08'), { trainDays: 7, delayDays: 7, testDays: 7 })).toThrow(
      /data ends too early/,
    );
  });
});

describe('assessFold', () => {
  it('computes the three handbook metrics', () => {
    const tx = synthetic([
      [14, 1],
      [15, 2],
    ]);
    const rows = Uint32Array.from(Array.from({ length: 10 }, (_, i) => 70 + i)); // days 14 and 15
    const scores = Float64Array.from(rows, (r) => (tx.fraud[r] === 1 ? 0.9 : 0.1));
    const m = assessFold(tx, rows, scores);
    expect(m.roc_auc).toBe(1);
    expect(m.average_precision).toBe(1);
    expect(m.card_precision_at_100).toBeCloseTo(0.01, 12);
    const s = summarize([m, { ...m, roc_auc: 0.5 }]);
    expect(s.mean.roc_auc).toBe(0.75);
    expect(s.std.roc_auc).toBeCloseTo(Math.sqrt(0.125), 12);
    expect(() => parseDay('2018/04/01')).toThrow(/YYYY-MM-DD/);
  });
});
