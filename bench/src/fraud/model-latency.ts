/**
 * Single-row scoring latency of the tree models on the handbook's training week (features from
 * `computeCardFeatures`): `tsx bench/src/fraud/model-latency.ts [dir]`. Trains a 200-tree depth-6
 * GBDT, a 100-tree random forest (depth 20), times `predict` on one row at a time over the test
 * rows and TreeSHAP `contributions`, and prints one JSON line per model.
 */
import { computeCardFeatures } from '../../../packages/engine/src/data/card-features.js';
import { trainGbdt } from '../../../packages/engine/src/models/gbdt/gbdt.js';
import { trainRandomForest } from '../../../packages/engine/src/models/forest/random-forest.js';
import type { TreeModel } from '../../../packages/engine/src/models/gbdt/tree-ensemble.js';
import { loadTransactions, transactionFiles } from './load-transactions.js';
import { parseDay, splitFold } from './protocol.js';

const dir = process.argv[2] ?? '../shared/datasets/fraud-handbook-simulated';
const tx = loadTransactions(transactionFiles(dir));
const f = computeCardFeatures(tx);
const fold = splitFold(tx, parseDay('2018-07-11'), { trainDays: 7, delayDays: 7, testDays: 7 });
const pick = (rows: Uint32Array): Float64Array => {
  const out = new Float64Array(rows.length * f.cols);
  rows.forEach((r, i) => out.set(f.data.subarray(r * f.cols, (r + 1) * f.cols), i * f.cols));
  return out;
};
const x = pick(fold.train);
const y = Uint8Array.from(fold.train, (r) => tx.fraud[r]!);
const xt = pick(fold.test);

function time(
  fn: (row: Float64Array) => number,
  rows: Float64Array,
  cols: number,
  samples: number,
): { p50: number; p99: number } {
  const n = rows.length / cols;
  let sink = 0;
  for (let i = 0; i < 5000; i++) sink += fn(rows.subarray((i % n) * cols, ((i % n) + 1) * cols));
  const t = new Float64Array(samples);
  for (let i = 0; i < samples; i++) {
    const row = rows.subarray((i % n) * cols, ((i % n) + 1) * cols);
    const t0 = process.hrtime.bigint();
    sink += fn(row);
    t[i] = Number(process.hrtime.bigint() - t0) / 1000;
  }
  if (Number.isNaN(sink)) throw new Error('NaN');
  t.sort();
  return {
    p50: Math.round(t[samples >> 1]! * 100) / 100,
    p99: Math.round(t[Math.floor(samples * 0.99)]! * 100) / 100,
  };
}

const runs: [string, () => TreeModel][] = [
  ['gbdt-200x6', () => trainGbdt(x, y, { features: f.cols, rounds: 200, maxDepth: 6, learningRate: 0.1 })],
  ['rf-100xd20', () => trainRandomForest(x, y, { features: f.cols, trees: 100, maxDepth: 20 })],
];
for (const [name, train] of runs) {
  const t0 = performance.now();
  const model = train();
  const trainMs = Math.round(performance.now() - t0);
  const predict = time((row) => model.predict(row), xt, f.cols, 50_000);
  const shap = time((row) => model.contributions(row)[0]!, xt, f.cols, 5_000);
  console.log(
    JSON.stringify({
      bench: 'tree-model-latency',
      model: name,
      train_rows: fold.train.length,
      train_ms: trainMs,
      nodes: model.ensemble.feature.length,
      predict_p50_us: predict.p50,
      predict_p99_us: predict.p99,
      shap_p50_us: shap.p50,
    }),
  );
}
