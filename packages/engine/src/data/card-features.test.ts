import { describe, expect, it } from 'vitest';
import { createSeededRandom } from '../ports/clock.js';
import { cardFeatureNames, computeCardFeatures, type CardTransactions } from './card-features.js';

const DAY = 86_400_000;

function randomTransactions(n: number, seed: number): CardTransactions {
  const rnd = createSeededRandom(seed);
  const at: number[] = [];
  let t = Date.UTC(2018, 3, 1);
  for (let i = 0; i < n; i++) {
    // Some ties in time, and gaps spanning the windows.
    t += rnd.next() < 0.1 ? 0 : Math.floor(rnd.next() * 0.5 * DAY / 1000) * 1000;
    at.push(t);
  }
  return {
    at,
    customer: at.map(() => Math.floor(rnd.next() * 5)),
    terminal: at.map(() => Math.floor(rnd.next() * 4)),
    amount: at.map(() => Math.round(rnd.next() * 20000) / 100),
    fraud: at.map(() => (rnd.next() < 0.2 ? 1 : 0)),
  };
}

/** Straightforward O(n²) definition of the handbook's features. */
function bruteForce(tx: CardTransactions, r: number, windows: number[], delay: number): number[] {
  const t = tx.at[r]!;
  const out: number[] = [];
  for (const w of windows) {
    let count = 0;
    let sum = 0;
    for (let j = 0; j <= r; j++) {
      if (tx.customer[j] === tx.customer[r] && tx.at[j]! > t - w * DAY) {
        count++;
        sum += tx.amount[j]!;
      }
    }
    out.push(count, sum / count);
  }
  for (const w of windows) {
    let count = 0;
    let frauds = 0;
    for (let j = 0; j < tx.at.length; j++) {
      const tj = tx.at[j]!;
      if (tx.terminal[j] === tx.terminal[r] && tj > t - (delay + w) * DAY && tj <= t - delay * DAY) {
        count++;
        frauds += tx.fraud[j]!;
      }
    }
    out.push(count, count === 0 ? 0 : frauds / count);
  }
  return out;
}

describe('computeCardFeatures', () => {
  it('names the features in the handbook order', () => {
    expect(cardFeatureNames()).toEqual([
      'TX_AMOUNT',
      'TX_DURING_WEEKEND',
      'TX_DURING_NIGHT',
      'CUSTOMER_ID_NB_TX_1DAY_WINDOW',
      'CUSTOMER_ID_AVG_AMOUNT_1DAY_WINDOW',
      'CUSTOMER_ID_NB_TX_7DAY_WINDOW',
      'CUSTOMER_ID_AVG_AMOUNT_7DAY_WINDOW',
      'CUSTOMER_ID_NB_TX_30DAY_WINDOW',
      'CUSTOMER_ID_AVG_AMOUNT_30DAY_WINDOW',
      'TERMINAL_ID_NB_TX_1DAY_WINDOW',
      'TERMINAL_ID_RISK_1DAY_WINDOW',
      'TERMINAL_ID_NB_TX_7DAY_WINDOW',
      'TERMINAL_ID_RISK_7DAY_WINDOW',
      'TERMINAL_ID_NB_TX_30DAY_WINDOW',
      'TERMINAL_ID_RISK_30DAY_WINDOW',
    ]);
  });

  it('matches the brute-force definition of every window feature', () => {
    const tx = randomTransactions(400, 3);
    const f = computeCardFeatures(tx, { windowDays: [1, 3], delayDays: 2 });
    expect(f.cols).toBe(3 + 8);
    for (let r = 0; r < 400; r++) {
      const expected = bruteForce(tx, r, [1, 3], 2);
      const got = Array.from(f.data.subarray(r * f.cols + 3, (r + 1) * f.cols));
      for (let k = 0; k < expected.length; k++) expect(got[k]).toBeCloseTo(expected[k]!, 9);
    }
  });

  it('gives the same features for rows out of time order', () => {
    const tx = randomTransactions(200, 5);
    const perm = Array.from({ length: 200 }, (_, i) => i).reverse();
    // Reversing breaks tie order, so make times distinct first.
    const at = Array.from(tx.at, (t, i) => t + i);
    const sorted = computeCardFeatures({ ...tx, at });
    const shuffled = computeCardFeatures({
      at: perm.map((i) => at[i]!),
      customer: perm.map((i) => tx.customer[i]!),
      terminal: perm.map((i) => tx.terminal[i]!),
      amount: perm.map((i) => tx.amount[i]!),
      fraud: perm.map((i) => tx.fraud[i]!),
    });
    for (let k = 0; k < 200; k++) {
      const a = Array.from(sorted.data.subarray(perm[k]! * sorted.cols, (perm[k]! + 1) * sorted.cols));
      const b = Array.from(shuffled.data.subarray(k * sorted.cols, (k + 1) * sorted.cols));
      expect(b).toEqual(a);
    }
  });

  it('flags weekends and nights from the UTC clock', () => {
    const at = [Date.UTC(2018, 3, 1, 6, 59), Date.UTC(2018, 3, 2, 7, 0), Date.UTC(2018, 3, 7, 12)];
    const f = computeCardFeatures({ at, customer: [1, 1, 1], terminal: [1, 1, 1], amount: [1, 2, 3], fraud: [0, 0, 0] });
    // 2018-04-01 was a Sunday, 04-02 a Monday, 04-07 a Saturday.
    expect([f.data[1], f.data[2]]).toEqual([1, 1]);
    expect([f.data[f.cols + 1], f.data[f.cols + 2]]).toEqual([0, 0]);
    expect([f.data[2 * f.cols + 1], f.data[2 * f.cols + 2]]).toEqual([1, 0]);
  });

  it('rejects mismatched columns and bad windows', () => {
    expect(() => computeCardFeatures({ at: [1], customer: [], terminal: [1], amount: [1], fraud: [0] })).toThrow(/customer has 0 values/);
    expect(() => computeCardFeatures({ at: [1], customer: [1], terminal: [1], amount: [1], fraud: [0] }, { windowDays: [0] })).toThrow(/positive/);
  });
});
