/**
 * Hyperparameter search on the handbook's four prequential validation folds only (training
 * starts 2018-07-11, 07-04, 06-27, 06-20; assessment weeks all before 2018-08-01, so nothing
 * held out is touched): `tsx bench/src/fraud/tune-fraud.ts --data <dir> --model gbdt|rf
 * --grid '{"maxDepth":[3,6],"learningRate":[0.1,0.3]}' [--base '{...}']`. Prints one JSON line
 * per configuration (mean metrics over the folds) and the best per metric last.
 */
import { computeCardFeatures } from '../../../packages/engine/src/data/card-features.js';
import { loadTransactions, transactionFiles } from './load-transactions.js';
import { isRecord } from '../../../packages/engine/src/models/model-package.js';
import { DEFAULT_FRAUD_PARAMS, FRAUD_MODELS, scoreFold, type FraudModel } from './fraud-models.js';
import { assessFold, DAY_MS, parseDay, splitFold, summarize, type FraudMetrics } from './protocol.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? undefined : process.argv[i + 1];
}

function product(grid: Record<string, unknown[]>): Record<string, unknown>[] {
  let out: Record<string, unknown>[] = [{}];
  for (const [k, values] of Object.entries(grid))
    out = out.flatMap((o) => values.map((v) => ({ ...o, [k]: v })));
  return out;
}

const dir = arg('data') ?? '../shared/datasets/fraud-handbook-simulated';
const model: FraudModel | undefined = FRAUD_MODELS.find((m) => m === (arg('model') ?? 'gbdt'));
if (model === undefined) throw new Error('--model must be gbdt or rf');
const gridArg: unknown = JSON.parse(arg('grid') ?? '{}');
const base: unknown = JSON.parse(arg('base') ?? '{}');
if (!isRecord(gridArg) || !isRecord(base)) throw new Error('--grid and --base must be JSON objects');
const grid: Record<string, unknown[]> = {};
for (const [k, v] of Object.entries(gridArg)) {
  if (!Array.isArray(v)) throw new Error(`--grid ${k} must be a list of values`);
  grid[k] = v;
}
const tx = loadTransactions(transactionFiles(dir));
const features = computeCardFeatures(tx);
const start = parseDay('2018-07-11');
const folds = [0, 1, 2, 3].map((k) =>
  splitFold(tx, start - k * 7 * DAY_MS, { trainDays: 7, delayDays: 7, testDays: 7 }),
);
const results: { params: Record<string, unknown>; mean: FraudMetrics }[] = [];
for (const combo of product(grid)) {
  const p = { ...base, ...combo };
  const params = {
    gbdt: model === 'gbdt' ? p : DEFAULT_FRAUD_PARAMS.gbdt,
    rf: model === 'rf' ? p : DEFAULT_FRAUD_PARAMS.rf,
  };
  const metrics = folds.map((f) =>
    assessFold(tx, f.test, scoreFold(model, params, features, tx, f.train, f.test).scores),
  );
  const { mean } = summarize(metrics);
  results.push({ params: p, mean });
  const r = (x: number): number => Math.round(x * 10000) / 10000;
  console.log(
    JSON.stringify({
      params: p,
      roc_auc: r(mean.roc_auc),
      average_precision: r(mean.average_precision),
      card_precision_at_100: r(mean.card_precision_at_100),
    }),
  );
}
for (const k of ['roc_auc', 'average_precision', 'card_precision_at_100'] as const) {
  const best = results.reduce((a, b) => (b.mean[k] > a.mean[k] ? b : a));
  console.log(JSON.stringify({ best: k, params: best.params, ...best.mean }));
}
