/**
 * Checks Vigil's card-fraud feature pipeline against the handbook's reference features for
 * 2018-07-25: `tsx bench/src/fraud/check-features.ts [dir]` (default the shared dataset folder).
 * Counts must match exactly and averages / risks within 1e-9. Prints one JSON line last.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { computeCardFeatures } from '../../../packages/engine/src/data/card-features.js';
import { parseCsv } from '../../../packages/engine/src/data/csv.js';
import { numericColumn } from '../../../packages/engine/src/data/data-table.js';
import { loadTransactions, transactionFiles } from './load-transactions.js';
import { computeStoreFeatures } from './store-features.js';

const dir = process.argv[2] ?? '../shared/datasets/fraud-handbook-simulated';
const t0 = performance.now();
const tx = loadTransactions(transactionFiles(dir));
const t1 = performance.now();
const features = computeCardFeatures(tx);
const t2 = performance.now();
const ref = parseCsv(readFileSync(join(dir, 'reference_features_2018-07-25.csv'))).table;
const refIds = numericColumn(ref, 'TRANSACTION_ID');
const rowOf = new Map<number, number>();
for (let r = 0; r < tx.rows; r++) rowOf.set(tx.id[r]!, r);

let countMismatches = 0;
let maxError = 0;
let missing = 0;
const perFeature: Record<string, number> = {};
for (let c = 0; c < features.cols; c++) {
  const name = features.names[c]!;
  const expected = numericColumn(ref, name);
  const isCount = name.includes('_NB_TX_') || name.startsWith('TX_DURING');
  let worst = 0;
  for (let i = 0; i < ref.rows; i++) {
    const r = rowOf.get(refIds[i]!);
    if (r === undefined) {
      if (c === 0) missing++;
      continue;
    }
    const got = features.data[r * features.cols + c]!;
    const err = Math.abs(got - expected[i]!);
    if (isCount && err !== 0) countMismatches++;
    if (err > worst) worst = err;
  }
  perFeature[name] = worst;
  if (!isCount && worst > maxError) maxError = worst;
}
const ok = countMismatches === 0 && maxError <= 1e-9 && missing === 0;
for (const [name, err] of Object.entries(perFeature)) console.log(`${name.padEnd(38)} max abs error ${err}`);

// The live-scoring variant (feature store + per-day terminal counters): share of rows of the
// reference day where each feature differs from the exact value.
const store: Record<string, number> = {};
for (const buckets of [12, 1024]) {
  const approx = computeStoreFeatures(tx, { windowBuckets: buckets });
  for (let c = 3; c < approx.cols; c++) {
    let differ = 0;
    for (let i = 0; i < ref.rows; i++) {
      const r = rowOf.get(refIds[i]!)!;
      if (Math.abs(approx.data[r * approx.cols + c]! - features.data[r * features.cols + c]!) > 1e-9)
        differ++;
    }
    store[`${approx.names[c]}@${buckets}`] = Math.round((differ / ref.rows) * 10000) / 10000;
  }
}
console.log(JSON.stringify({ store_features_share_differing: store }));
console.log(
  JSON.stringify({
    bench: 'fraud-features',
    reference_rows: ref.rows,
    transactions: tx.rows,
    load_ms: Math.round(t1 - t0),
    features_ms: Math.round(t2 - t1),
    count_mismatches: countMismatches,
    max_average_error: maxError,
    missing_rows: missing,
    ok,
  }),
);
if (!ok) process.exitCode = 1;
