/**
 * Fraud benchmark on the Fraud Detection Handbook's simulated card transactions:
 *
 *   npm run eval:fraud -- --data <dir with transactions_*.csv> --train-start 2018-07-11
 *     [--train-days 7 --delay-days 7 --test-days 7 --folds 1] [--model gbdt|rf|blend|all]
 *     [--gbdt '{"rounds":100}'] [--rf '{"trees":100}'] [--blend '{"gbdtWeight":0.6}'] [--features exact|store]
 *
 * Features come from Vigil's pipeline (`computeCardFeatures`: TX_AMOUNT plus the handbook's 14
 * windowed features), models from Vigil's trainers, metrics from Vigil's metrics module, following
 * the handbook's protocol (see bench/src/fraud/protocol.ts). `--features store` computes the
 * customer windows with the live in-memory feature store (bucketed windows, 1024 buckets) and the
 * terminal risk with per-day counters instead (see bench/src/fraud/store-features.ts). With --folds N it runs prequential
 * validation: fold k trains from the start date minus k × test-days. Prints one JSON line per
 * fold and model, then one summary line per model (means over folds); with --model all the
 * last line is the blend of the GBDT and the forest.
 */
import { computeCardFeatures } from '../packages/engine/src/data/card-features.js';
import type { TreeModel } from '../packages/engine/src/models/gbdt/tree-ensemble.js';
import { isRecord } from '../packages/engine/src/models/model-package.js';
import { FRAUD_MODELS, DEFAULT_FRAUD_PARAMS, scoreFold, type FraudModel } from './src/fraud/fraud-models.js';
import { loadTransactions, transactionFiles } from './src/fraud/load-transactions.js';
import { computeStoreFeatures } from './src/fraud/store-features.js';
import {
  assessFold,
  DAY_MS,
  parseDay,
  splitFold,
  summarize,
  type FraudMetrics,
} from './src/fraud/protocol.js';

function parseArgs(argv: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) throw new Error(`unexpected argument ${a}`);
    const eq = a.indexOf('=');
    if (eq > 0) out.set(a.slice(2, eq), a.slice(eq + 1));
    else {
      const v = argv[i + 1];
      if (v === undefined || v.startsWith('--')) throw new Error(`${a} needs a value`);
      out.set(a.slice(2), v);
      i++;
    }
  }
  return out;
}

function intArg(args: Map<string, string>, name: string, dflt: number): number {
  const v = args.get(name);
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, got ${v}`);
  return n;
}

function jsonArg(args: Map<string, string>, name: string): Record<string, unknown> {
  const v = args.get(name);
  if (v === undefined) return {};
  const parsed: unknown = JSON.parse(v);
  if (!isRecord(parsed)) throw new Error(`--${name} must be a JSON object`);
  return parsed;
}

const round3 = (x: number): number => Math.round(x * 1000) / 1000;

/** Single-row scoring latency (p50, p99 in µs) over test rows, as live scoring calls a model. */
function latency(model: TreeModel, rows: Float64Array, cols: number): { p50: number; p99: number } {
  const n = rows.length / cols;
  const samples = Math.min(20_000, n);
  const times = new Float64Array(samples);
  let sink = 0;
  for (let i = 0; i < 2000; i++) sink += model.predict(rows.subarray((i % n) * cols, ((i % n) + 1) * cols));
  for (let i = 0; i < samples; i++) {
    const row = rows.subarray(i * cols, (i + 1) * cols);
    const t0 = process.hrtime.bigint();
    sink += model.predict(row);
    times[i] = Number(process.hrtime.bigint() - t0) / 1000;
  }
  if (Number.isNaN(sink)) throw new Error('NaN score');
  times.sort();
  return { p50: times[Math.floor(samples * 0.5)]!, p99: times[Math.floor(samples * 0.99)]! };
}
const round4 = (x: number): number => Math.round(x * 10000) / 10000;

function main(): void {
  const args = parseArgs(process.argv.slice(2));
  const known = [
    'data',
    'train-start',
    'train-days',
    'delay-days',
    'test-days',
    'folds',
    'model',
    'gbdt',
    'rf',
    'blend',
    'features',
  ];
  for (const k of args.keys()) if (!known.includes(k)) throw new Error(`unknown option --${k}`);
  const dir = args.get('data');
  const start = args.get('train-start');
  if (dir === undefined || start === undefined) {
    throw new Error(
      'usage: eval-fraud --data <dir> --train-start YYYY-MM-DD [--train-days 7 --delay-days 7 --test-days 7 --folds 1] [--model gbdt|rf|all]',
    );
  }
  const days = {
    trainDays: intArg(args, 'train-days', 7),
    delayDays: intArg(args, 'delay-days', 7),
    testDays: intArg(args, 'test-days', 7),
  };
  const folds = intArg(args, 'folds', 1);
  const modelArg = args.get('model') ?? 'all';
  const models: FraudModel[] =
    modelArg === 'all' ? ['rf', 'gbdt', 'blend'] : FRAUD_MODELS.filter((m) => m === modelArg);
  if (models.length === 0) throw new Error(`--model must be gbdt, rf, blend or all, got ${modelArg}`);
  const params = {
    gbdt: { ...DEFAULT_FRAUD_PARAMS.gbdt, ...jsonArg(args, 'gbdt') },
    rf: { ...DEFAULT_FRAUD_PARAMS.rf, ...jsonArg(args, 'rf') },
    blend: { ...DEFAULT_FRAUD_PARAMS.blend, ...jsonArg(args, 'blend') },
  };

  const t0 = performance.now();
  const tx = loadTransactions(transactionFiles(dir));
  const featureSource = args.get('features') ?? 'exact';
  if (featureSource !== 'exact' && featureSource !== 'store')
    throw new Error(`--features must be exact or store, got ${featureSource}`);
  const features =
    featureSource === 'exact'
      ? computeCardFeatures(tx, { delayDays: days.delayDays })
      : computeStoreFeatures(tx, { delayDays: days.delayDays, windowBuckets: 1024 });
  const prepMs = performance.now() - t0;
  const startMs = parseDay(start);
  const results = new Map<FraudModel, FraudMetrics[]>(models.map((m) => [m, []]));
  const trainMs = new Map<FraudModel, number>(models.map((m) => [m, 0]));
  const latencies = new Map<FraudModel, { p50: number; p99: number } | undefined>();
  for (let k = 0; k < folds; k++) {
    const fold = splitFold(tx, startMs - k * days.testDays * DAY_MS, days);
    const { byModel, testMatrix } = scoreFold(models, params, features, tx, fold.train, fold.test);
    for (const model of models) {
      const { scores, trainMs: ms, model: fitted } = byModel.get(model)!;
      if (k === 0)
        latencies.set(model, fitted === undefined ? undefined : latency(fitted, testMatrix, fitted.features));
      const m = assessFold(tx, fold.test, scores);
      results.get(model)!.push(m);
      trainMs.set(model, trainMs.get(model)! + ms);
      console.log(
        JSON.stringify({
          fold: k,
          train_start: fold.trainStart,
          model,
          train_rows: fold.train.length,
          test_rows: fold.test.length,
          test_frauds: fold.test.reduce((s, r) => s + tx.fraud[r]!, 0),
          roc_auc: round4(m.roc_auc),
          average_precision: round4(m.average_precision),
          card_precision_at_100: round4(m.card_precision_at_100),
          train_ms: Math.round(ms),
        }),
      );
    }
  }
  for (const model of models) {
    const { mean, std } = summarize(results.get(model)!);
    console.log(
      JSON.stringify({
        bench: 'fraud',
        model,
        roc_auc: round3(mean.roc_auc),
        average_precision: round3(mean.average_precision),
        card_precision_at_100: round3(mean.card_precision_at_100),
        folds,
        std: {
          roc_auc: round3(std.roc_auc),
          average_precision: round3(std.average_precision),
          card_precision_at_100: round3(std.card_precision_at_100),
        },
        params: params[model],
        features: featureSource,
        prep_ms: Math.round(prepMs),
        train_ms_per_fold: Math.round(trainMs.get(model)! / folds),
        ...(latencies.get(model) === undefined
          ? {}
          : {
              predict_p50_us: round3(latencies.get(model)!.p50),
              predict_p99_us: round3(latencies.get(model)!.p99),
            }),
      }),
    );
  }
}

try {
  main();
} catch (e) {
  console.error(`eval-fraud: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
}
