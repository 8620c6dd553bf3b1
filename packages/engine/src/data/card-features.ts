/**
 * The windowed card-fraud features of the Fraud Detection Handbook (Le Borgne et al. 2022,
 * §3.3), computed exactly from raw transactions so a model trained on them sees what the
 * handbook's models see:
 *
 * - TX_DURING_WEEKEND (Saturday or Sunday), TX_DURING_NIGHT (hour <= 6), from the UTC clock;
 * - per customer (card) and window N of 1, 7, 30 days: number of transactions and their mean
 *   amount in (t − N days, t], the current transaction included (pandas `rolling('Nd')`);
 * - per terminal and window N: number of transactions and the fraud ratio ("risk") in the window
 *   (t − D − N days, t − D] that ends a delay D (7 days) before the transaction, because fraud
 *   labels are only known after investigation; risk is 0 for an empty window.
 *
 * Windows are exact (two pointers over each entity's time-ordered transactions), not bucketed
 * like the live feature store's: the handbook's reference values are matched exactly (see
 * bench/src/fraud/check-features.ts).
 */

/** Raw card transactions, one entry per row (any order; ties in time keep row order). */
export interface CardTransactions {
  /** Epoch milliseconds (UTC). */
  readonly at: ArrayLike<number>;
  readonly customer: ArrayLike<number>;
  readonly terminal: ArrayLike<number>;
  readonly amount: ArrayLike<number>;
  /** 1 for fraud; read only for the terminal risk of transactions older than the delay. */
  readonly fraud: ArrayLike<number>;
}

/** Options of {@link computeCardFeatures}. */
export interface CardFeatureOptions {
  /** Window lengths in days, default [1, 7, 30]. */
  readonly windowDays?: readonly number[];
  /** Delay before terminal risk windows, in days, default 7. */
  readonly delayDays?: number;
}

/** A row-major feature matrix with names. */
export interface CardFeatureMatrix {
  readonly names: readonly string[];
  readonly data: Float64Array;
  readonly rows: number;
  readonly cols: number;
}

const DAY_MS = 86_400_000;

/**
 * Feature names in the handbook's order: TX_AMOUNT, the two calendar flags, customer (count,
 * mean amount) per window, terminal (count, risk) per window.
 * @example cardFeatureNames([1]); // ['TX_AMOUNT', 'TX_DURING_WEEKEND', 'TX_DURING_NIGHT', 'CUSTOMER_ID_NB_TX_1DAY_WINDOW', ...]
 */
export function cardFeatureNames(windowDays: readonly number[] = [1, 7, 30]): string[] {
  const names = ['TX_AMOUNT', 'TX_DURING_WEEKEND', 'TX_DURING_NIGHT'];
  for (const w of windowDays) names.push(`CUSTOMER_ID_NB_TX_${w}DAY_WINDOW`, `CUSTOMER_ID_AVG_AMOUNT_${w}DAY_WINDOW`);
  for (const w of windowDays) names.push(`TERMINAL_ID_NB_TX_${w}DAY_WINDOW`, `TERMINAL_ID_RISK_${w}DAY_WINDOW`);
  return names;
}

/** Rows grouped by entity, each group in time order: rows[offsets[g] .. offsets[g+1]). */
function groupByEntity(ids: ArrayLike<number>, order: Uint32Array): { offsets: Uint32Array; rows: Uint32Array } {
  const dense = new Map<number, number>();
  const n = order.length;
  const group = new Uint32Array(n);
  for (let k = 0; k < n; k++) {
    const id = ids[order[k]!]!;
    let g = dense.get(id);
    if (g === undefined) dense.set(id, (g = dense.size));
    group[k] = g;
  }
  const offsets = new Uint32Array(dense.size + 1);
  for (let k = 0; k < n; k++) offsets[group[k]! + 1]!++;
  for (let g = 0; g < dense.size; g++) offsets[g + 1]! += offsets[g]!;
  const fill = offsets.slice(0, dense.size);
  const rows = new Uint32Array(n);
  for (let k = 0; k < n; k++) rows[fill[group[k]!]!++] = order[k]!;
  return { offsets, rows };
}

/**
 * Computes the handbook's features (see the module comment) for every transaction.
 * @example
 * const f = computeCardFeatures({ at, customer, terminal, amount, fraud });
 * f.data[r * f.cols + f.names.indexOf('CUSTOMER_ID_NB_TX_7DAY_WINDOW')];
 */
export function computeCardFeatures(tx: CardTransactions, options: CardFeatureOptions = {}): CardFeatureMatrix {
  const windows = options.windowDays ?? [1, 7, 30];
  const delay = options.delayDays ?? 7;
  const n = tx.at.length;
  for (const k of ['customer', 'terminal', 'amount', 'fraud'] as const) {
    if (tx[k].length !== n) throw new Error(`card transactions: ${k} has ${tx[k].length} values for ${n} rows`);
  }
  for (const w of windows) if (!(w > 0)) throw new Error(`window lengths must be positive, got ${w}`);
  if (!(delay >= 0)) throw new Error(`delay must be >= 0, got ${delay}`);
  const names = cardFeatureNames(windows);
  const cols = names.length;
  const data = new Float64Array(n * cols);
  // Time order, ties by row.
  const order = new Uint32Array(n);
  let sorted = true;
  for (let i = 0; i < n; i++) {
    order[i] = i;
    if (i > 0 && tx.at[i]! < tx.at[i - 1]!) sorted = false;
  }
  if (!sorted) order.sort((a, b) => tx.at[a]! - tx.at[b]! || a - b);

  for (let i = 0; i < n; i++) {
    const t = tx.at[i]!;
    const day = Math.floor(t / DAY_MS);
    const dow = (((day + 4) % 7) + 7) % 7; // 0 = Sunday (1970-01-01 was a Thursday)
    const hour = Math.floor((t - day * DAY_MS) / 3_600_000);
    const at = i * cols;
    data[at] = tx.amount[i]!;
    data[at + 1] = dow === 0 || dow === 6 ? 1 : 0;
    data[at + 2] = hour <= 6 ? 1 : 0;
  }

  const nw = windows.length;
  // Customers: count and mean amount in (t − N, t].
  const cust = groupByEntity(tx.customer, order);
  for (let w = 0; w < nw; w++) {
    const span = windows[w]! * DAY_MS;
    const col = 3 + 2 * w;
    for (let g = 0; g + 1 < cust.offsets.length; g++) {
      const lo = cust.offsets[g]!;
      const hi = cust.offsets[g + 1]!;
      let start = lo;
      let sum = 0;
      for (let k = lo; k < hi; k++) {
        const r = cust.rows[k]!;
        const t = tx.at[r]!;
        sum += tx.amount[r]!;
        while (tx.at[cust.rows[start]!]! <= t - span) sum -= tx.amount[cust.rows[start++]!]!;
        const count = k - start + 1;
        data[r * cols + col] = count;
        data[r * cols + col + 1] = sum / count;
      }
    }
  }
  // Terminals: count and fraud ratio in (t − D − N, t − D].
  const term = groupByEntity(tx.terminal, order);
  const delayMs = delay * DAY_MS;
  for (let w = 0; w < nw; w++) {
    const span = windows[w]! * DAY_MS;
    const col = 3 + 2 * nw + 2 * w;
    for (let g = 0; g + 1 < term.offsets.length; g++) {
      const lo = term.offsets[g]!;
      const hi = term.offsets[g + 1]!;
      let a = lo; // first row with time > t − D − N
      let b = lo; // first row with time > t − D
      let frauds = 0; // frauds in [a, b)
      for (let k = lo; k < hi; k++) {
        const r = term.rows[k]!;
        const t = tx.at[r]!;
        while (b < hi && tx.at[term.rows[b]!]! <= t - delayMs) frauds += tx.fraud[term.rows[b++]!]! === 1 ? 1 : 0;
        while (a < b && tx.at[term.rows[a]!]! <= t - delayMs - span) frauds -= tx.fraud[term.rows[a++]!]! === 1 ? 1 : 0;
        const count = b - a;
        data[r * cols + col] = count;
        data[r * cols + col + 1] = count === 0 ? 0 : frauds / count;
      }
    }
  }
  return { names, data, rows: n, cols };
}
