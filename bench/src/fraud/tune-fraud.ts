/**
 * Hyperparameter search on the handbook's four prequential validation folds only (training
 * starts 2018-07-11, 07-04, 06-27, 06-20; assessment weeks all before 2018-08-01, so nothing
 * held out is touched):
 *
 *   tsx bench/src/fraud/tune-fraud.ts --data <dir> --model gbdt|rf|blend
 *     --grid '{"maxDepth":[3,6],"learningRate":[0.1,0.3]}' [--gbdt '{...}'] [--rf '{...}']
 *
 * The grid varies the chosen model's parameters on top of the defaults (and --gbdt / --rf);
 * for `blend` it varies `gbdtWeight`, training the two models once per fold. Prints one JSON
 * line per configuration (means over the folds) and the best per metric last.
 */
import { computeCardFeatures } from '../../../packages/engine/src/data/card-features.js';
import { isRecord } from '../../../packages/engine/src/models/model-package.js';
import { loadTransactions, transactionFiles } from './load-transactions.js';
import {
  DEFAULT_FRAUD_PARAMS,
  FRAUD_MODELS,
  scoreFold,
  type FraudModel,
  type FraudModelParams,
} from './fraud-models.js';
import { assessFold, DAY_MS, parseDay, splitFold, summarize, type FraudMetrics } from './protocol.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? undefined : process.argv[i + 1];
}

function jsonObject(name: string): Record<string, unknown> {
  const v: unknown = JSON.parse(arg(name) ?? '{}');
  if (!isRecord(v)) throw new Error(`--${name} must be a JSON object`);
  return v;
}

function product(grid: Record<string, unknown[]>): Record<string, unknown>[] {
  let out: Record<string, unknown>[] = [{}];
  for (const [k, values] of Object.entries(grid))
    out = out.flatMap((o) => values.map((v) => ({ ...o, [k]: v })));
  return out;
}

const dir = arg('data') ?? '../shared/datasets/fraud-handbook-simulated';
const model: FraudModel | undefined = FRAUD_MODELS.find((m) => m === (arg('model') ?? 'gbdt'));
if (model === undefined) throw new Error('--model must be gbdt, rf or blend');
const grid: Record<string, unknown[]> = {};
for (const [k, v] of Object.entries(jsonObject('grid'))) {
  if (!Array.isArray(v)) throw new Error(`--grid ${k} must be a list of values`);
  grid[k] = v;
}
const base: FraudModelParams = {
  gbdt: { ...DEFAULT_FRAUD_PARAMS.gbdt, ...jsonObject('gbdt') },
  rf: { ...DEFAULT_FRAUD_PARAMS.rf, ...jsonObject('rf') },
  blend: DEFAULT_FRAUD_PARAMS.blend,
};
const tx = loadTransactions(transactionFiles(dir));
const features = computeCardFeatures(tx);
const start = parseDay('2018-07-11');
const folds = [0, 1, 2, 3].map((k) =>
  splitFold(tx, start - k * 7 * DAY_MS, { trainDays: 7, delayDays: 7, testDays: 7 }),
);
const r4 = (x: number): number => Math.round(x * 10000) / 10000;
const results: { params: Record<string, unknown>; mean: FraudMetrics }[] = [];
const report = (params: Record<string, unknown>, metrics: FraudMetrics[]): void => {
  const { mean } = summarize(metrics);
  results.push({ params, mean });
  console.log(
    JSON.stringify({
      params,
      roc_auc: r4(mean.roc_auc),
      average_precision: r4(mean.average_precision),
      card_precision_at_100: r4(mean.card_precision_at_100),
    }),
  );
};
const combos = product(grid);
if (model === 'blend') {
  // Train both models once per fold, then weigh.
  const perFold = folds.map((f) => scoreFold(['gbdt', 'rf'], base, features, tx, f.train, f.test).byModel);
  for (const combo of combos) {
    const w = Number(combo['gbdtWeight'] ?? base.blend.gbdtWeight);
    const metrics = folds.map((f, k) => {
      const a = perFold[k]!.get('gbdt')!.scores;
      const b = perFold[k]!.get('rf')!.scores;
      return assessFold(
        tx,
        f.test,
        a.map((v, i) => w * v + (1 - w) * b[i]!),
      );
    });
    report({ gbdtWeight: w }, metrics);
  }
} else {
  for (const combo of combos) {
    const params: FraudModelParams = { ...base, [model]: { ...base[model], ...combo } };
    const metrics = folds.map((f) =>
      assessFold(
        tx,
        f.test,
        scoreFold([model], params, features, tx, f.train, f.test).byModel.get(model)!.scores,
      ),
    );
    report({ ...params[model] }, metrics);
  }
}
for (const k of ['roc_auc', 'average_precision', 'card_precision_at_100'] as const) {
  const best = results.reduce((a, b) => (b.mean[k] > a.mean[k] ? b : a));
  console.log(JSON.stringify({ best: k, params: best.params, ...best.mean }));
}
