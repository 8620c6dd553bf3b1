/**
 * The handbook's card features computed the way live scoring would: customer windows from
 * Vigil's in-memory feature store (`count` and `sum` specs on entity 'user', current transaction
 * included), terminal risk from per-day terminal counters kept here, because the store has no
 * delayed window: the store's windows end now, the handbook's terminal window ends 7 days ago.
 * The per-day window covers the N whole days before (day − delay), i.e. days
 * [D − delay − N, D − delay − 1], so it never reads a label younger than the delay.
 *
 * The store's windows are bucketed (see features/windowed-counter.ts): a window may undercount
 * by up to one bucket, so these features approximate the exact ones of `computeCardFeatures`.
 * check-features.ts reports how often they differ; eval-fraud `--features store` measures the
 * effect on the metrics.
 */
import { cardFeatureNames, type CardFeatureMatrix } from '../../../packages/engine/src/data/card-features.js';
import { count, DAY, sum } from '../../../packages/engine/src/features/feature-spec.js';
import { compilePlan } from '../../../packages/engine/src/features/feature-store.js';
import { createMemoryFeatureStore } from '../../../packages/engine/src/features/memory-store.js';
import type { Transactions } from './load-transactions.js';

/**
 * Features through the feature store (customers) and per-day counters (terminals).
 * @example const f = computeStoreFeatures(tx, { windowBuckets: 12 });
 */
export function computeStoreFeatures(
  tx: Transactions,
  options: {
    readonly windowBuckets?: number;
    readonly windowDays?: readonly number[];
    readonly delayDays?: number;
  } = {},
): CardFeatureMatrix {
  const windows = options.windowDays ?? [1, 7, 30];
  const delay = options.delayDays ?? 7;
  const names = cardFeatureNames(windows);
  const cols = names.length;
  const n = tx.rows;
  const data = new Float64Array(n * cols);
  const counts = windows.map((w) => count({ entity: 'user', window: w * DAY }));
  const sums = windows.map((w) => sum({ entity: 'user', field: 'amount', window: w * DAY }));
  const plan = compilePlan([...counts, ...sums]);
  const store = createMemoryFeatureStore(
    options.windowBuckets === undefined ? {} : { windowBuckets: options.windowBuckets },
  );
  const order = Uint32Array.from({ length: n }, (_, i) => i).sort((a, b) => tx.at[a]! - tx.at[b]! || a - b);
  // Per terminal and day: transactions and frauds.
  const firstDay = Math.floor(tx.at[order[0]!]! / DAY);
  const lastDay = Math.floor(tx.at[order[n - 1]!]! / DAY);
  const days = lastDay - firstDay + 1;
  const terminalIndex = new Map<number, number>();
  for (let r = 0; r < n; r++)
    if (!terminalIndex.has(tx.terminal[r]!)) terminalIndex.set(tx.terminal[r]!, terminalIndex.size);
  const txPerDay = new Float64Array(terminalIndex.size * days);
  const fraudPerDay = new Float64Array(terminalIndex.size * days);
  for (let r = 0; r < n; r++) {
    const k = terminalIndex.get(tx.terminal[r]!)! * days + Math.floor(tx.at[r]! / DAY) - firstDay;
    txPerDay[k]!++;
    fraudPerDay[k]! += tx.fraud[r]!;
  }
  for (const r of order) {
    const at = tx.at[r]!;
    const snap = store.evaluate(plan, {
      id: String(tx.id[r]),
      app: 'fraud-bench',
      type: 'payment',
      at,
      user: String(tx.customer[r]),
      amount: tx.amount[r]!,
      terminal: String(tx.terminal[r]),
    });
    const o = r * cols;
    const day = Math.floor(at / DAY);
    const dow = (((day + 4) % 7) + 7) % 7;
    data[o] = tx.amount[r]!;
    data[o + 1] = dow === 0 || dow === 6 ? 1 : 0;
    data[o + 2] = Math.floor((at - day * DAY) / 3_600_000) <= 6 ? 1 : 0;
    for (let w = 0; w < windows.length; w++) {
      const c = snap.get(counts[w]!);
      data[o + 3 + 2 * w] = c;
      data[o + 4 + 2 * w] = c > 0 ? snap.get(sums[w]!) / c : 0;
    }
    const base = terminalIndex.get(tx.terminal[r]!)! * days;
    for (let w = 0; w < windows.length; w++) {
      let txs = 0;
      let frauds = 0;
      for (let d = day - delay - windows[w]!; d <= day - delay - 1; d++) {
        const k = d - firstDay;
        if (k < 0) continue;
        txs += txPerDay[base + k]!;
        frauds += fraudPerDay[base + k]!;
      }
      data[o + 3 + 2 * windows.length + 2 * w] = txs;
      data[o + 4 + 2 * windows.length + 2 * w] = txs === 0 ? 0 : frauds / txs;
    }
  }
  return { names, data, rows: n, cols };
}
