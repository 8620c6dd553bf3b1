import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { rocAuc } from '../../../packages/engine/src/metrics/ranking-metrics.js';
import { findAnomalyDatasets, readAnomalyDataset } from './anomaly-datasets.js';
import { evaluateAnomalyDataset, iforestRandom, summariseAnomalyResults } from './anomaly-eval.js';
import { adbenchSplit } from './adbench-protocol.js';
import { parsePublishedResults } from './published-results.js';
import { sklearnVersion } from '../models/sklearn.js';
import { sklearnIforestScores, type SklearnIforestJob } from './sklearn-iforest.js';

function blobCsv(rows: number, outlierEvery: number): string {
  const lines = ['x0,x1,label'];
  for (let r = 0; r < rows; r++) {
    const out = r % outlierEvery === 0;
    const a = out ? 9 + (r % 5) : Math.sin(r) * 0.5;
    const b = out ? -9 - (r % 3) : Math.cos(r * 1.3) * 0.5;
    lines.push(`${a},${b},${out ? 1 : 0}`);
  }
  return `${lines.join('\n')}\n`;
}

describe('anomaly datasets', () => {
  it('finds the main x0..label CSV per folder, skipping _odds and other CSVs', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-anomaly-'));
    for (const f of ['aaa', 'bbb', 'ccc', 'ddd']) mkdirSync(join(dir, f));
    writeFileSync(join(dir, 'aaa', 'aaa.csv'), blobCsv(50, 10));
    writeFileSync(join(dir, 'aaa', 'aaa_odds.csv'), blobCsv(20, 10));
    writeFileSync(join(dir, 'bbb', 'bbb_10k.csv'), blobCsv(30, 10));
    writeFileSync(join(dir, 'ccc', 'transactions.csv'), 'id,amount\n1,2\n');
    writeFileSync(join(dir, 'README.md'), '# not a folder');
    const found = findAnomalyDatasets(dir);
    expect(found.map((f) => f.name)).toEqual(['aaa', 'bbb']);
    expect(found[1]!.path.endsWith('bbb_10k.csv')).toBe(true);
    const data = readAnomalyDataset(found[0]!.path);
    expect(data.x.rows).toBe(50);
    expect(data.x.cols).toBe(2);
    expect(data.labels.reduce((s, v) => s + v, 0)).toBe(5);
    writeFileSync(join(dir, 'ddd', 'ddd.csv'), 'x0,label\n1,2\n');
    expect(() => readAnomalyDataset(join(dir, 'ddd', 'ddd.csv'))).toThrow(/label 2, expected 0 or 1/);
    expect(() => findAnomalyDatasets(join(dir, 'missing'))).toThrow(/does not exist/);
  });

  it('parses published figures (empty = not reported) and the sklearn reproduction', () => {
    const published = parsePublishedResults(
      [
        'dataset,source,metric,algorithm,value',
        'cardio,ADBench2022_TableD4,AUCROC_percent,IForest,93.19',
        'cardio,ADBench2022_TableD4,AUCROC_percent,ECOD,94.44',
        'cardio,ADBench2022_TableD5,AUCPR_percent,IForest,59.95',
        'cardio,PyOD2019_benchmark_roc,ROC_AUC,IForest,0.9213',
        'arrhythmia,ADBench2022_TableD4,AUCROC_percent,IForest,',
      ].join('\n'),
      'dataset,ours_roc,paper_roc\ncardio,93.29,93.19\n',
    );
    expect(published.get('cardio')).toEqual({
      iforestRoc: 93.19,
      ecodRoc: 94.44,
      iforestPr: 59.95,
      sklearnRoc: 93.29,
    });
    expect(published.get('arrhythmia')).toBeUndefined();
  });

  it('evaluates a dataset under the protocol and summarises', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-anomaly-'));
    writeFileSync(join(dir, 'blob.csv'), blobCsv(400, 20));
    const data = readAnomalyDataset(join(dir, 'blob.csv'));
    const r = evaluateAnomalyDataset('blob', data, [1], { iforestRoc: 99.5 });
    expect(r.rows).toBe(400);
    expect(r.roc_auc).toBeGreaterThan(99);
    expect(r.ecod_roc_auc).toBeGreaterThan(99);
    expect(r.ensemble_roc_auc).toBeGreaterThan(99);
    expect(r.within_2pts).toBe(true);
    const other = {
      ...r,
      dataset: 'other',
      roc_auc: 60,
      ensemble_roc_auc: 70,
      published_roc_auc: null,
      within_2pts: null,
    };
    const s = summariseAnomalyResults([r, other], 1.234);
    expect(s).toMatchObject({
      bench: 'anomaly',
      datasets: 2,
      within_2pts: 1,
      published_datasets: 1,
      seconds: 1.23,
    });
    expect(s.mean_published).toBe(99.5);
    expect(s.mean_roc_auc_on_published).toBe(r.roc_auc);
    expect(s.ensemble_beats_iforest).toBe(s.mean_ensemble > s.mean_roc_auc);
  });

  it('maps each isolation forest stream to its training option', () => {
    expect(iforestRandom('adbench', 2)).toEqual({ kind: 'sklearn', seed: 2, seeding: 'np.random.seed' });
    expect(iforestRandom('sklearn', 2)).toEqual({ kind: 'sklearn', seed: 2, seeding: 'random_state' });
    expect(iforestRandom('vigil', 2)).toEqual({ kind: 'vigil', seed: 2 });
  });

  it('scores a reference forest on the very same split matrices, seed by seed', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-anomaly-'));
    writeFileSync(join(dir, 'blob.csv'), blobCsv(400, 20));
    const data = readAnomalyDataset(join(dir, 'blob.csv'));
    const seen: SklearnIforestJob[] = [];
    // A stand-in reference: distance from the training mean of x0.
    const reference = (jobs: readonly SklearnIforestJob[]): Float64Array[] => {
      seen.push(...jobs);
      return jobs.map((j) => Float64Array.from({ length: j.test.rows }, (_, r) => j.test.data[r * 2]!));
    };
    const r = evaluateAnomalyDataset('blob', data, [1, 2], {}, { reference });
    expect(seen.map((j) => j.seeds)).toEqual([[1], [2]]);
    expect(seen.map((j) => j.seeding)).toEqual(['np.random.seed', 'np.random.seed']);
    const split = adbenchSplit(data, 2);
    expect(Array.from(seen[1]!.train.data)).toEqual(Array.from(split.train.x.data));
    expect(Array.from(seen[1]!.test.data)).toEqual(Array.from(split.test.x.data));
    expect(r.sklearn_live_roc_auc).toBe(100);
    expect(r.sklearn_live_pr_auc).toBe(100);
    expect(evaluateAnomalyDataset('blob', data, [1]).sklearn_live_roc_auc).toBeNull();
    const s = summariseAnomalyResults([r, { ...r, roc_auc: 50, sklearn_live_roc_auc: null }], 1);
    expect(s).toMatchObject({
      sklearn_live_datasets: 1,
      mean_sklearn_live: 100,
      mean_roc_auc_on_sklearn_live: r.roc_auc,
    });
  });

  it.skipIf(sklearnVersion() === null)(
    'scores with scikit-learn when Debian python3-sklearn is installed',
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'vigil-anomaly-'));
      writeFileSync(join(dir, 'blob.csv'), blobCsv(400, 20));
      const { train, test } = adbenchSplit(readAnomalyDataset(join(dir, 'blob.csv')), 1);
      const scores = sklearnIforestScores([{ train: train.x, test: test.x, seeds: [1, 2] }]);
      expect(scores).toHaveLength(2);
      for (const s of scores) expect(rocAuc(s, test.labels)).toBeGreaterThan(0.99);
      expect(sklearnIforestScores([])).toEqual([]);
    },
  );

  it.skipIf(sklearnVersion() === null)(
    "the default isolation forest is scikit-learn's, row for row, on the protocol's splits",
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'vigil-anomaly-'));
      writeFileSync(join(dir, 'blob.csv'), blobCsv(1500, 30));
      const data = readAnomalyDataset(join(dir, 'blob.csv'));
      // The default is ADBench's way (np.random.seed, then random_state=None); also random_state=seed.
      for (const stream of [undefined, 'sklearn'] as const) {
        const r = evaluateAnomalyDataset(
          'blob',
          data,
          [1, 2],
          {},
          {
            reference: sklearnIforestScores,
            ...(stream === undefined ? {} : { iforestRandom: stream }),
          },
        );
        expect(r.iforest_random).toBe(stream ?? 'adbench');
        expect(r.sklearn_live_max_score_diff).toBeLessThan(1e-12);
        expect(r.sklearn_live_roc_auc).toBe(r.roc_auc);
      }
      const own = evaluateAnomalyDataset('blob', data, [1, 2], {}, { iforestRandom: 'vigil' });
      expect(own.iforest_random).toBe('vigil');
      expect(own.sklearn_live_max_score_diff).toBeNull();
    },
  );
});
