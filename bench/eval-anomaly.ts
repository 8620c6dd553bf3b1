/**
 * Anomaly-detection evaluation against published results (ADBench, Han et al., NeurIPS 2022).
 *
 *   npm run eval:anomaly -- --data ../shared/datasets [--seeds 1,2,3] [--only cardio,wbc] [--table]
 *                            [--ecod-aggregation max-of-sums|sum-of-max] [--sklearn]
 *                            [--iforest-random sklearn|vigil]
 *
 * For every sub-folder of --data with a CSV `x0..xN,label` (main file; `*_odds.csv` skipped),
 * runs ADBench's protocol (bench/src/eval/adbench-protocol.ts: <1,000 rows resampled with
 * replacement to 1,000, >10,000 subsampled to 10,000, stratified 70/30 split, min-max scaling
 * fitted on train) with seeds 1, 2, 3 and reports the mean test ROC-AUC and average precision
 * (percent) of Vigil's isolation forest (100 trees, max_samples = min(256, n)), ECOD and their
 * rank ensemble. The protocol's seed is scikit-learn's random_state in ADBench (PyOD's IForest
 * passes it on), so the forest draws from scikit-learn's random stream by default
 * (`trainIsolationForest` with `random: { kind: 'sklearn', seed }`: scikit-learn 1.2.1's very
 * trees); `--iforest-random vigil` uses Vigil's own generator with the same seeds. Published IForest AUCROC comes from
 * <data>/anomaly-published-results/published_results.csv (ADBench2022_TableD4, AUCROC_percent),
 * null when missing. Prints one JSON line per dataset, then the summary line LAST.
 * --table also prints a Markdown table to stderr. ECOD aggregates as in its paper by default;
 * `--ecod-aggregation sum-of-max` runs PyOD's variant, the one behind ADBench's ECOD figures.
 * --sklearn also trains scikit-learn's IsolationForest (random_state = seed) on exactly the same
 * scaled splits through Debian's python3 (`apt-get install python3-sklearn`) and adds
 * `sklearn_live_roc_auc` / `sklearn_live_pr_auc` and `sklearn_live_max_score_diff` (largest
 * |Vigil score - scikit-learn score| over the test rows) to each line; without scikit-learn it prints a
 * one-line note and runs without it. `sklearn_roc_auc` stays the data folder's own reproduction.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ECOD_AGGREGATIONS } from '../packages/engine/src/models/ecod.js';
import { findAnomalyDatasets, readAnomalyDataset } from './src/eval/anomaly-datasets.js';
import {
  ADBENCH_SEEDS,
  IFOREST_STREAMS,
  evaluateAnomalyDataset,
  summariseAnomalyResults,
  type AnomalyDatasetResult,
} from './src/eval/anomaly-eval.js';
import { parsePublishedResults, type PublishedFigures } from './src/eval/published-results.js';
import { sklearnIforestScores } from './src/eval/sklearn-iforest.js';
import { SKLEARN_MISSING_NOTE, sklearnVersion } from './src/models/sklearn.js';

const { values } = parseArgs({
  options: {
    data: { type: 'string' },
    seeds: { type: 'string' },
    only: { type: 'string' },
    table: { type: 'boolean', default: false },
    'ecod-aggregation': { type: 'string', default: 'max-of-sums' },
    sklearn: { type: 'boolean', default: false },
    'iforest-random': { type: 'string', default: 'adbench' },
  },
});

if (values.data === undefined) {
  process.stderr.write(
    'usage: npm run eval:anomaly -- --data <dir> [--seeds 1,2,3] [--only a,b] [--table] [--sklearn] [--iforest-random sklearn|vigil]\n',
  );
  process.exit(2);
}
const dir = values.data;
const seeds = values.seeds === undefined ? [...ADBENCH_SEEDS] : values.seeds.split(',').map(Number);
if (seeds.some((s) => !Number.isInteger(s))) throw new Error(`--seeds must be integers: ${values.seeds}`);
const only = values.only?.split(',');
const aggregation = ECOD_AGGREGATIONS.find((a) => a === values['ecod-aggregation']);
if (aggregation === undefined)
  throw new Error(`--ecod-aggregation must be one of ${ECOD_AGGREGATIONS.join(', ')}`);
const iforestRandom = IFOREST_STREAMS.find((k) => k === values['iforest-random']);
if (iforestRandom === undefined)
  throw new Error(`--iforest-random must be one of ${IFOREST_STREAMS.join(', ')}`);

const resultsDir = join(dir, 'anomaly-published-results');
const publishedPath = join(resultsDir, 'published_results.csv');
const sklearnPath = join(resultsDir, 'iforest_sklearn_reproduction.csv');
const published = existsSync(publishedPath)
  ? parsePublishedResults(
      readFileSync(publishedPath, 'utf8'),
      existsSync(sklearnPath) ? readFileSync(sklearnPath, 'utf8') : undefined,
    )
  : new Map<string, PublishedFigures>();

const withSklearn = values.sklearn && sklearnVersion() !== null;
if (values.sklearn && !withSklearn) process.stderr.write(`${SKLEARN_MISSING_NOTE}\n`);

const started = performance.now();
const results: AnomalyDatasetResult[] = [];
for (const file of findAnomalyDatasets(dir)) {
  if (only !== undefined && !only.includes(file.name)) continue;
  const data = readAnomalyDataset(file.path);
  const r = evaluateAnomalyDataset(file.name, data, seeds, published.get(file.name), {
    ecodAggregation: aggregation,
    iforestRandom,
    ...(withSklearn ? { reference: (jobs) => sklearnIforestScores(jobs) } : {}),
  });
  results.push(r);
  process.stdout.write(`${JSON.stringify(r)}\n`);
}
const summary = summariseAnomalyResults(results, (performance.now() - started) / 1000);

if (values.table) {
  const f = (v: number | null): string => (v === null ? '—' : v.toFixed(2));
  const lines = [
    '| dataset | rows | IForest ROC | sklearn ROC (this run) | ADBench IForest ROC | our sklearn ROC | within 2 | IForest PR | ECOD ROC | ADBench ECOD ROC | ensemble ROC |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
    ...results.map(
      (r) =>
        `| ${r.dataset} | ${r.rows} | ${f(r.roc_auc)} | ${f(r.sklearn_live_roc_auc)} | ${f(r.published_roc_auc)} | ` +
        `${f(r.sklearn_roc_auc)} | ` +
        `${r.within_2pts === null ? '—' : r.within_2pts ? 'yes' : 'no'} | ${f(r.pr_auc)} | ${f(r.ecod_roc_auc)} | ` +
        `${f(r.published_ecod_roc_auc)} | ${f(r.ensemble_roc_auc)} |`,
    ),
  ];
  process.stderr.write(`${lines.join('\n')}\n`);
}
process.stdout.write(`${JSON.stringify(summary)}\n`);
