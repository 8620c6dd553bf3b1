/**
 * Isolation-forest parity check against scikit-learn on one dataset: on each of ADBench's three
 * splits (split seeds 1, 2, 3) both implementations train many forests with different seeds, so
 * the gap between their means can be told apart from forest-seed noise.
 *
 *   npx tsx bench/src/eval/iforest-parity.ts --data ../shared/datasets --only fault [--forests 200]
 *
 * Split i gets forest seeds (i-1)*forests + 1 .. i*forests for both Vigil and scikit-learn
 * (random_state), 100 trees, max_samples = min(256, n); every forest is one independent sample
 * of its split's test ROC-AUC. Prints one JSON line per dataset: per split the mean and sample
 * standard deviation of each implementation; overall the mean over splits, its standard error,
 * the difference, z = difference / standard error and the two-sided p-value (normal
 * approximation, fine for a few hundred forests). Needs Debian's python3-sklearn.
 */
import { parseArgs } from 'node:util';
import { trainIsolationForest } from '../../../packages/engine/src/models/isolation-forest.js';
import { rocAuc } from '../../../packages/engine/src/metrics/ranking-metrics.js';
import { SKLEARN_MISSING_NOTE, sklearnVersion } from '../models/sklearn.js';
import { adbenchSplit } from './adbench-protocol.js';
import { ADBENCH_SEEDS } from './anomaly-eval.js';
import { findAnomalyDatasets, readAnomalyDataset } from './anomaly-datasets.js';
import { sklearnIforestScores } from './sklearn-iforest.js';

/** Mean and sample standard deviation. */
export function meanSd(xs: readonly number[]): { readonly mean: number; readonly sd: number } {
  const mean = xs.reduce((s, v) => s + v, 0) / xs.length;
  const ss = xs.reduce((s, v) => s + (v - mean) ** 2, 0);
  return { mean, sd: xs.length > 1 ? Math.sqrt(ss / (xs.length - 1)) : 0 };
}

/** Two-sided p-value of a standard-normal statistic (Abramowitz–Stegun 7.1.26 erfc). */
function twoSidedP(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const poly =
    t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  return poly * Math.exp(-x * x);
}

/** Mean over splits of per-split means and its standard error (independent samples per split). */
function pooled(perSplit: readonly (readonly number[])[]): { readonly mean: number; readonly se: number } {
  const stats = perSplit.map(meanSd);
  const k = stats.length;
  const mean = stats.reduce((s, v) => s + v.mean, 0) / k;
  const se = Math.sqrt(stats.reduce((s, v, i) => s + v.sd ** 2 / perSplit[i]!.length, 0)) / k;
  return { mean, se };
}

/**
 * Compares two sets of per-split samples: difference of the pooled means, z and two-sided p.
 * @example compareSplits([[1, 2, 3]], [[1, 2, 3]]).z; // 0
 */
export function compareSplits(
  a: readonly (readonly number[])[],
  b: readonly (readonly number[])[],
): { readonly diff: number; readonly se: number; readonly z: number; readonly p: number } {
  const A = pooled(a);
  const B = pooled(b);
  const se = Math.sqrt(A.se ** 2 + B.se ** 2);
  const diff = A.mean - B.mean;
  const z = se === 0 ? 0 : diff / se;
  return { diff, se, z, p: twoSidedP(z) };
}

const r2 = (v: number): number => Math.round(v * 100) / 100;

function main(): void {
  const { values } = parseArgs({
    options: {
      data: { type: 'string' },
      only: { type: 'string' },
      forests: { type: 'string', default: '200' },
    },
  });
  if (values.data === undefined || values.only === undefined) {
    process.stderr.write(
      'usage: tsx bench/src/eval/iforest-parity.ts --data <dir> --only a,b [--forests 200]\n',
    );
    process.exit(2);
  }
  if (sklearnVersion() === null) {
    process.stderr.write(`${SKLEARN_MISSING_NOTE}\n`);
    return;
  }
  const forests = Number(values.forests);
  if (!Number.isInteger(forests) || forests < 2) throw new Error('--forests must be an integer >= 2');
  const only = values.only.split(',');
  for (const file of findAnomalyDatasets(values.data)) {
    if (!only.includes(file.name)) continue;
    const data = readAnomalyDataset(file.path);
    const splits = ADBENCH_SEEDS.map((s) => adbenchSplit(data, s));
    const seedsOf = (i: number): number[] => Array.from({ length: forests }, (_, k) => i * forests + k + 1);
    const sk = sklearnIforestScores(
      splits.map((s, i) => ({ train: s.train.x, test: s.test.x, seeds: seedsOf(i) })),
    );
    const vigil = splits.map((s, i) =>
      seedsOf(i).map(
        (seed) =>
          100 *
          rocAuc(
            trainIsolationForest(s.train.x, { trees: 100, sampleSize: 256, seed }).scoreBatch(s.test.x),
            s.test.labels,
          ),
      ),
    );
    const sklearn = splits.map((s, i) =>
      sk.slice(i * forests, (i + 1) * forests).map((scores) => 100 * rocAuc(scores, s.test.labels)),
    );
    const c = compareSplits(vigil, sklearn);
    process.stdout.write(
      `${JSON.stringify({
        dataset: file.name,
        forests_per_split: forests,
        splits: ADBENCH_SEEDS.map((seed, i) => {
          const v = meanSd(vigil[i]!);
          const s = meanSd(sklearn[i]!);
          return { seed, vigil: r2(v.mean), vigil_sd: r2(v.sd), sklearn: r2(s.mean), sklearn_sd: r2(s.sd) };
        }),
        vigil_mean: r2(pooled(vigil).mean),
        sklearn_mean: r2(pooled(sklearn).mean),
        diff: r2(c.diff),
        se: Math.round(c.se * 1000) / 1000,
        z: r2(c.z),
        p: Math.round(c.p * 1000) / 1000,
        sklearn_version: sklearnVersion(),
      })}\n`,
    );
  }
}

if (process.argv[1]?.endsWith('iforest-parity.ts') === true) main();
