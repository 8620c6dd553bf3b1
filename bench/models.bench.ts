/**
 * bench:models — training time and single-row inference latency of every model on the same
 * data: `npm run bench:models [-- --rows 10000 --cols 10 --seed 1 --sim-events 200000 --epochs 8]`.
 *
 * Isolation forest (100 trees), ECOD, GBDT (200 trees, depth 6) and random forest (100 trees)
 * train on one synthetic table (standard-normal features, 2% planted anomalies, a supervised
 * label = anomalies + a nonlinear fraud rule); the tree models train on the first 80% and are
 * scored on the rest. The GRU sequence model trains on simulator event sequences (first 70% of
 * the stream) and is scored event by event in stream mode, with ROC-AUC per attack scenario.
 * If Debian's python3 has scikit-learn (python3-sklearn), its IsolationForest,
 * HistGradientBoostingClassifier and RandomForestClassifier train on the same rows with matching
 * settings and are timed against Vigil's (medians of 5 runs; see src/models/sklearn.ts).
 * If the optional onnxruntime-node is installed, a logistic regression exported as ONNX is imported
 * through the registry and timed as live scoring runs it (src/models/onnx-live.ts); else one skip line.
 * Prints one JSON line per model, the sequence model's per-scenario lines, and last
 * `{"bench":"models",...}`.
 */
import { parseArgs } from 'node:util';
import {
  createSequenceScorer,
  rocAuc,
  trainEcod,
  trainGbdt,
  trainIsolationForest,
  trainRandomForest,
} from '@vigil/engine';
import { measureLatency, type Latency } from './src/models/latency.js';
import { benchOnnx } from './src/models/onnx-live.js';
import { runSequenceSim } from './src/models/sequence-sim.js';
import { compareWithSklearn, printSklearnComparison, sklearnSummaryKeys } from './src/models/sklearn.js';
import { sliceRows, syntheticTable } from './src/models/synthetic-data.js';

const { values: args } = parseArgs({
  options: {
    rows: { type: 'string', default: '10000' },
    cols: { type: 'string', default: '10' },
    seed: { type: 'string', default: '1' },
    'sim-events': { type: 'string', default: '200000' },
    epochs: { type: 'string', default: '8' },
    samples: { type: 'string', default: '50000' },
  },
});
const rows = Number(args.rows);
const cols = Number(args.cols);
const seed = Number(args.seed);
const samples = Number(args.samples);
const round = (v: number, d = 2): number => Math.round(v * 10 ** d) / 10 ** d;

const t = syntheticTable(rows, cols, 0.02, seed);
const cut = Math.floor(rows * 0.8);
const xTrain = sliceRows(t.x, cols, 0, cut);
const xTest = sliceRows(t.x, cols, cut, rows);
const yTrain = t.y.slice(0, cut);
const yTest = t.y.slice(cut);
const testRows = rows - cut;
const rowOf = (i: number): Float64Array => {
  const r = i % testRows;
  return xTest.subarray(r * cols, (r + 1) * cols);
};

interface ModelResult {
  readonly model: string;
  readonly trainMs: number;
  readonly latency: Latency;
  readonly auc: number;
  readonly aucOf: string;
}
const results: ModelResult[] = [];
function report(r: ModelResult, extra: Record<string, unknown> = {}): void {
  results.push(r);
  console.log(
    JSON.stringify({
      model: r.model,
      train_ms: round(r.trainMs, 1),
      p50_us: r.latency.p50,
      p99_us: r.latency.p99,
      roc_auc: round(r.auc, 4),
      auc_of: r.aucOf,
      ...extra,
    }),
  );
}
function timed<T>(fn: () => T): [T, number] {
  const t0 = performance.now();
  const v = fn();
  return [v, performance.now() - t0];
}

// unsupervised: train on the whole table, AUC against the planted anomalies
const [iforest, iforestMs] = timed(() => trainIsolationForest(t.x, { features: cols, trees: 100, seed }));
report({
  model: 'iforest',
  trainMs: iforestMs,
  latency: measureLatency((i) => iforest.score(rowOf(i)), samples),
  auc: rocAuc(iforest.scoreBatch({ data: t.x, rows, cols }), t.anomaly),
  aucOf: 'planted anomalies, all rows',
});
const [ecod, ecodMs] = timed(() => trainEcod(t.x, { features: cols }));
report({
  model: 'ecod',
  trainMs: ecodMs,
  latency: measureLatency((i) => ecod.score(rowOf(i)), samples),
  auc: rocAuc(ecod.scoreBatch({ data: t.x, rows, cols }), t.anomaly),
  aucOf: 'planted anomalies, all rows',
});

// supervised: train on 80%, AUC on the held-out 20%
const [gbdt, gbdtMs] = timed(() =>
  trainGbdt(xTrain, yTrain, { features: cols, rounds: 200, maxDepth: 6, learningRate: 0.1, seed }),
);
report(
  {
    model: 'gbdt',
    trainMs: gbdtMs,
    latency: measureLatency((i) => gbdt.predict(rowOf(i)), samples),
    auc: rocAuc(gbdt.predictBatch({ data: xTest, rows: testRows, cols }), yTest),
    aucOf: 'label, held-out 20%',
  },
  { trees: gbdt.trees, depth: 6 },
);
const [rf, rfMs] = timed(() => trainRandomForest(xTrain, yTrain, { features: cols, trees: 100, seed }));
report(
  {
    model: 'rf',
    trainMs: rfMs,
    latency: measureLatency((i) => rf.predict(rowOf(i)), samples),
    auc: rocAuc(rf.predictBatch({ data: xTest, rows: testRows, cols }), yTest),
    aucOf: 'label, held-out 20%',
  },
  { trees: rf.trees },
);

// sequence model on simulator traffic
const sim = runSequenceSim(
  { seed, users: 2000, events: Number(args['sim-events']), attackRate: 0.05, trainShare: 0.7 },
  {
    hidden: 16,
    sequenceLength: 16,
    epochs: Number(args.epochs),
    learningRate: 0.01,
    batchSize: 32,
    positiveWeight: 'balanced',
    earlyStoppingRounds: 2,
    seed,
  },
);
for (const s of sim.scenarios) {
  console.log(
    JSON.stringify({
      model: 'gru',
      scenario: s.scenario,
      events: s.events,
      roc_auc: round(s.rocAuc, 4),
      ap: round(s.ap, 4),
    }),
  );
}
const scorer = createSequenceScorer(sim.model);
const ev = sim.stream;
report(
  {
    model: 'gru',
    trainMs: sim.trainMs,
    latency: measureLatency((i) => {
      const e = ev[i % ev.length]!;
      return scorer.score(e.user, e);
    }, samples),
    auc: sim.overallAuc,
    aucOf: 'malicious vs normal simulator events, later 30% of the stream',
  },
  {
    hidden: sim.model.layout.hidden,
    inputs: sim.model.layout.inputs,
    sequence_length: sim.model.params.sequenceLength,
    train_events: sim.trainEvents,
    test_events: sim.testEvents,
    epochs_run: sim.epochs,
    best_epoch: sim.model.bestEpoch,
  },
);

// an imported ONNX model, scored per event through the live hook (optional runtime)
const onnx = await benchOnnx({ xTrain, yTrain, xTest, yTest, cols, samples: Math.min(samples, 10_000) });
if (onnx.ok) {
  report(
    {
      model: 'onnx',
      trainMs: onnx.trainMs,
      latency: onnx.live,
      auc: onnx.auc,
      aucOf: 'label, held-out 20% (logistic regression)',
    },
    {
      graph: 'MatMul+Add+Sigmoid',
      onnxruntime_node: onnx.version,
      async_api_p50_us: onnx.async.p50,
      async_api_p99_us: onnx.async.p99,
    },
  );
} else {
  console.log(JSON.stringify({ model: 'onnx', skipped: `onnxruntime-node not available: ${onnx.reason}` }));
}

// scikit-learn on the same table, when Debian's python3-sklearn is there (src/models/sklearn.ts)
const sklearn = compareWithSklearn(t, { cut, seed });
printSklearnComparison(sklearn);

const by = (m: string): ModelResult => results.find((r) => r.model === m)!;
const summary: Record<string, unknown> = { bench: 'models', rows, cols, seed };
for (const r of results) {
  summary[`${r.model}_train_ms`] = round(r.trainMs, 1);
  summary[`${r.model}_p50_us`] = r.latency.p50;
  summary[`${r.model}_p99_us`] = r.latency.p99;
  summary[`${r.model}_roc_auc`] = round(r.auc, 4);
}
for (const s of sim.scenarios) summary[`gru_auc_${s.scenario}`] = round(s.rocAuc, 4);
Object.assign(summary, sklearnSummaryKeys(sklearn));
summary['target_gbdt_p50_le_10us'] = by('gbdt').latency.p50 <= 10;
summary['target_iforest_p50_le_10us'] = by('iforest').latency.p50 <= 10;
if (onnx.ok) {
  summary['onnx_async_api_p50_us'] = onnx.async.p50;
  summary['onnx_async_api_p99_us'] = onnx.async.p99;
}
console.log(JSON.stringify(summary));
