/**
 * Evaluation of Vigil's anomaly models on one labelled dataset under ADBench's protocol
 * (see adbench-protocol.ts): per seed, split and scale, train an isolation forest (100 trees,
 * max_samples = min(256, n), the seed), ECOD and their rank ensemble on the training part
 * without labels, score the test part; ROC-AUC and average precision in percent, averaged over
 * the seeds. Nothing is tuned on the test labels: every model runs with its defaults. Optionally
 * scikit-learn's IsolationForest is scored on the very same split matrices (sklearn-iforest.ts).
 *
 * The protocol's seed seeds numpy in ADBench: its PyOD wrapper calls `np.random.seed(seed)` and
 * fits `IForest()`, whose scikit-learn IsolationForest has random_state=None and so draws from
 * that global stream. By default ('adbench') the isolation forest replays exactly that
 * (`random: { kind: 'sklearn', seed, seeding: 'np.random.seed' }`: the very trees ADBench's
 * pipeline grows on these rows); 'sklearn' replays `IsolationForest(random_state=seed)` instead
 * and 'vigil' runs Vigil's own generator with the same seed.
 */
import { combineAnomalyModels } from '../../../packages/engine/src/models/anomaly-ensemble.js';
import { trainEcod, type EcodAggregation } from '../../../packages/engine/src/models/ecod.js';
import {
  trainIsolationForest,
  type IsolationForestRandom,
} from '../../../packages/engine/src/models/isolation-forest.js';
import { averagePrecision, rocAuc } from '../../../packages/engine/src/metrics/ranking-metrics.js';
import { adbenchSplit, type LabelledData } from './adbench-protocol.js';
import type { PublishedFigures } from './published-results.js';
import type { SklearnIforestJob } from './sklearn-iforest.js';

/** Where the isolation forest's randomness comes from (see the module comment). */
export const IFOREST_STREAMS = ['adbench', 'sklearn', 'vigil'] as const;
export type IforestStream = (typeof IFOREST_STREAMS)[number];

/** The training option for a stream and protocol seed. */
export function iforestRandom(stream: IforestStream, seed: number): IsolationForestRandom {
  switch (stream) {
    case 'adbench':
      return { kind: 'sklearn', seed, seeding: 'np.random.seed' };
    case 'sklearn':
      return { kind: 'sklearn', seed, seeding: 'random_state' };
    case 'vigil':
      return { kind: 'vigil', seed };
  }
}

/** ADBench's seeds. */
export const ADBENCH_SEEDS = [1, 2, 3] as const;

/** One dataset's line of the report (percent values rounded to 2 decimals). */
export interface AnomalyDatasetResult {
  readonly dataset: string;
  readonly rows: number;
  readonly features: number;
  readonly roc_auc: number;
  readonly pr_auc: number;
  readonly published_roc_auc: number | null;
  readonly ecod_roc_auc: number;
  readonly ensemble_roc_auc: number;
  readonly within_2pts: boolean | null;
  readonly published_pr_auc: number | null;
  readonly sklearn_roc_auc: number | null;
  readonly published_ecod_roc_auc: number | null;
  readonly ecod_pr_auc: number;
  readonly ensemble_pr_auc: number;
  /** scikit-learn's IsolationForest on the same splits, run now (null unless asked for). */
  readonly sklearn_live_roc_auc: number | null;
  readonly sklearn_live_pr_auc: number | null;
  /** Largest |Vigil score - scikit-learn score| over all test rows and seeds (null without --sklearn). */
  readonly sklearn_live_max_score_diff: number | null;
  /** The isolation forest's random stream. */
  readonly iforest_random: IforestStream;
}

/** The closing summary line. */
export interface AnomalySummary {
  readonly bench: 'anomaly';
  readonly datasets: number;
  /** Mean IForest ROC-AUC over all datasets. */
  readonly mean_roc_auc: number;
  /** Mean published IForest ROC-AUC over the datasets that have one. */
  readonly mean_published: number | null;
  /** Datasets within 2 points of the published figure. */
  readonly within_2pts: number;
  readonly mean_ecod: number;
  readonly mean_ensemble: number;
  /** Whether the ensemble's mean ROC-AUC is above the isolation forest's. */
  readonly ensemble_beats_iforest: boolean;
  /** Datasets with a published figure, and our mean over exactly those (comparable to mean_published). */
  readonly published_datasets: number;
  readonly mean_roc_auc_on_published: number | null;
  readonly mean_pr_auc: number;
  /** Datasets scored by scikit-learn in this run, their mean ROC-AUC and ours over the same ones. */
  readonly sklearn_live_datasets: number;
  readonly mean_sklearn_live: number | null;
  readonly mean_roc_auc_on_sklearn_live: number | null;
  /** Largest per-row score difference to the live scikit-learn run over all datasets. */
  readonly sklearn_live_max_score_diff: number | null;
  /** The isolation forest's random stream (of the first dataset; all use the same). */
  readonly iforest_random: IforestStream | null;
  readonly seconds: number;
}

/** Scores test rows with a reference isolation forest, one score list per job and seed, in order. */
export type ReferenceIforest = (jobs: readonly SklearnIforestJob[]) => Float64Array[];

const pct = (v: number): number => Math.round(v * 10_000) / 100;
const round2 = (v: number): number => Math.round(v * 100) / 100;
const mean = (xs: readonly number[]): number => xs.reduce((s, v) => s + v, 0) / xs.length;

/** Options of {@link evaluateAnomalyDataset}. */
export interface AnomalyEvalOptions {
  /** ECOD's aggregation (default the paper's 'max-of-sums'; 'sum-of-max' is PyOD's). */
  readonly ecodAggregation?: EcodAggregation;
  /**
   * A reference forest trained on each split with the seed (e.g. `sklearnIforestScores`), given
   * the way the stream gives it ('np.random.seed' for 'adbench', else random_state).
   */
  readonly reference?: ReferenceIforest;
  /** The isolation forest's random stream, seeded with the protocol seed (default 'adbench'). */
  readonly iforestRandom?: IforestStream;
}

/**
 * Runs the protocol on one dataset for the given seeds. ECOD uses the paper's aggregation unless
 * told otherwise ('sum-of-max' is PyOD's, which ADBench's ECOD figures come from). With
 * `reference`, that forest is scored on the same test rows too, and compared row by row.
 * @example evaluateAnomalyDataset('cardio', data, [1, 2, 3], published.get('cardio'));
 */
export function evaluateAnomalyDataset(
  dataset: string,
  data: LabelledData,
  seeds: readonly number[] = ADBENCH_SEEDS,
  published: PublishedFigures = {},
  opts: AnomalyEvalOptions = {},
): AnomalyDatasetResult {
  const { ecodAggregation = 'max-of-sums', reference, iforestRandom: stream = 'adbench' } = opts;
  const seeding = stream === 'adbench' ? 'np.random.seed' : 'random_state';
  const acc: Record<'ifRoc' | 'ifPr' | 'ecRoc' | 'ecPr' | 'enRoc' | 'enPr', number[]> = {
    ifRoc: [],
    ifPr: [],
    ecRoc: [],
    ecPr: [],
    enRoc: [],
    enPr: [],
  };
  const refJobs: SklearnIforestJob[] = [];
  const refLabels: Float64Array[] = [];
  const ours: Float64Array[] = [];
  for (const seed of seeds) {
    const { train, test } = adbenchSplit(data, seed);
    if (reference !== undefined) {
      refJobs.push({ train: train.x, test: test.x, seeds: [seed], seeding });
      refLabels.push(test.labels);
    }
    const iforest = trainIsolationForest(train.x, {
      trees: 100,
      sampleSize: 256,
      random: iforestRandom(stream, seed),
    });
    const ecod = trainEcod(train.x, { aggregation: ecodAggregation });
    const ensemble = combineAnomalyModels(iforest, ecod, train.x);
    const sIf = iforest.scoreBatch(test.x);
    ours.push(sIf);
    const sEc = ecod.scoreBatch(test.x);
    const sEn = ensemble.scoreBatch(test.x);
    acc.ifRoc.push(rocAuc(sIf, test.labels));
    acc.ifPr.push(averagePrecision(sIf, test.labels));
    acc.ecRoc.push(rocAuc(sEc, test.labels));
    acc.ecPr.push(averagePrecision(sEc, test.labels));
    acc.enRoc.push(rocAuc(sEn, test.labels));
    acc.enPr.push(averagePrecision(sEn, test.labels));
  }
  const ref = reference === undefined ? [] : reference(refJobs);
  const refRoc = ref.map((s, i) => rocAuc(s, refLabels[i]!));
  const refPr = ref.map((s, i) => averagePrecision(s, refLabels[i]!));
  let maxDiff = 0;
  ref.forEach((s, i) => s.forEach((v, r) => (maxDiff = Math.max(maxDiff, Math.abs(v - ours[i]![r]!)))));
  const roc = pct(mean(acc.ifRoc));
  const pub = published.iforestRoc ?? null;
  return {
    dataset,
    rows: data.x.rows,
    features: data.x.cols,
    roc_auc: roc,
    pr_auc: pct(mean(acc.ifPr)),
    published_roc_auc: pub,
    ecod_roc_auc: pct(mean(acc.ecRoc)),
    ensemble_roc_auc: pct(mean(acc.enRoc)),
    within_2pts: pub === null ? null : Math.abs(roc - pub) <= 2,
    published_pr_auc: published.iforestPr ?? null,
    sklearn_roc_auc: published.sklearnRoc ?? null,
    published_ecod_roc_auc: published.ecodRoc ?? null,
    ecod_pr_auc: pct(mean(acc.ecPr)),
    ensemble_pr_auc: pct(mean(acc.enPr)),
    sklearn_live_roc_auc: reference === undefined ? null : pct(mean(refRoc)),
    sklearn_live_pr_auc: reference === undefined ? null : pct(mean(refPr)),
    sklearn_live_max_score_diff: reference === undefined ? null : maxDiff,
    iforest_random: stream,
  };
}

/**
 * Summary over datasets.
 * @example summariseAnomalyResults(results, 12.3).mean_roc_auc;
 */
export function summariseAnomalyResults(
  rs: readonly AnomalyDatasetResult[],
  seconds: number,
): AnomalySummary {
  const withPub = rs.filter((r) => r.published_roc_auc !== null);
  const meanRoc = rs.length === 0 ? 0 : round2(mean(rs.map((r) => r.roc_auc)));
  const meanEns = rs.length === 0 ? 0 : round2(mean(rs.map((r) => r.ensemble_roc_auc)));
  const live = rs.filter((r) => r.sklearn_live_roc_auc !== null);
  return {
    bench: 'anomaly',
    datasets: rs.length,
    mean_roc_auc: meanRoc,
    mean_published: withPub.length === 0 ? null : round2(mean(withPub.map((r) => r.published_roc_auc ?? 0))),
    within_2pts: rs.filter((r) => r.within_2pts === true).length,
    mean_ecod: rs.length === 0 ? 0 : round2(mean(rs.map((r) => r.ecod_roc_auc))),
    mean_ensemble: meanEns,
    ensemble_beats_iforest: meanEns > meanRoc,
    published_datasets: withPub.length,
    mean_roc_auc_on_published: withPub.length === 0 ? null : round2(mean(withPub.map((r) => r.roc_auc))),
    mean_pr_auc: rs.length === 0 ? 0 : round2(mean(rs.map((r) => r.pr_auc))),
    sklearn_live_datasets: live.length,
    mean_sklearn_live: live.length === 0 ? null : round2(mean(live.map((r) => r.sklearn_live_roc_auc ?? 0))),
    mean_roc_auc_on_sklearn_live: live.length === 0 ? null : round2(mean(live.map((r) => r.roc_auc))),
    sklearn_live_max_score_diff:
      live.length === 0 ? null : Math.max(...live.map((r) => r.sklearn_live_max_score_diff ?? 0)),
    iforest_random: rs[0]?.iforest_random ?? null,
    seconds: round2(seconds),
  };
}
