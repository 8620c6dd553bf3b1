/**
 * scikit-learn's IsolationForest on exactly the rows Vigil's evaluation uses: the protocol's
 * scaled train and test matrices go to Debian's python3 as float64 files (see
 * ../models/sklearn.ts), python fits `IsolationForest(n_estimators=100, max_samples='auto',
 * random_state=seed)` (max_samples = min(256, n) as in ADBench; with seeding 'np.random.seed'
 * it calls `np.random.seed(seed)` and fits with random_state=None, as ADBench's PyOD wrapper) and returns
 * `-score_samples(test)`, higher = more anomalous, so the metrics are computed by the same
 * TypeScript code for both implementations. One python process per call.
 */
import type { DenseMatrix } from '../../../packages/engine/src/models/matrix.js';
import type { SklearnSeeding } from '../../../packages/engine/src/models/sklearn-isolation-forest.js';
import { numbersField, runPython } from '../models/sklearn.js';

/** One split to score with several forest seeds. */
export interface SklearnIforestJob {
  readonly train: DenseMatrix;
  readonly test: DenseMatrix;
  /** Seed of each forest to train on this split. */
  readonly seeds: readonly number[];
  /**
   * How the seed reaches scikit-learn: `random_state=seed` (default) or, as ADBench's PyOD
   * wrapper does, `np.random.seed(seed)` then `random_state=None`.
   */
  readonly seeding?: SklearnSeeding;
}

const SCRIPT = String.raw`
import json, sys
import numpy as np
from sklearn.ensemble import IsolationForest
p = json.loads(sys.argv[1])
files = sys.argv[2:]
out = []
for k, job in enumerate(p['jobs']):
    train = np.fromfile(files[2 * k], dtype='<f8').reshape(job['train_rows'], p['cols'])
    test = np.fromfile(files[2 * k + 1], dtype='<f8').reshape(job['test_rows'], p['cols'])
    for seed in job['seeds']:
        if job['seeding'] == 'np.random.seed':
            np.random.seed(seed)
            m = IsolationForest(n_estimators=p['trees'], max_samples='auto', random_state=None).fit(train)
        else:
            m = IsolationForest(n_estimators=p['trees'], max_samples='auto', random_state=seed).fit(train)
        out.append((-m.score_samples(test)).tolist())
print(json.dumps({'scores': out}))
`;

/**
 * Test-row scores of scikit-learn's isolation forest (100 trees by default) for every job and
 * seed, in order: job 0's seeds, then job 1's, … Throws when python or scikit-learn fails; check
 * `sklearnVersion()` first.
 * @example const [scores] = sklearnIforestScores([{ train, test, seeds: [1] }]);
 */
export function sklearnIforestScores(jobs: readonly SklearnIforestJob[], trees = 100): Float64Array[] {
  if (jobs.length === 0) return [];
  const cols = jobs[0]!.train.cols;
  for (const j of jobs) {
    if (j.train.cols !== cols || j.test.cols !== cols)
      throw new Error('sklearn iforest: column counts differ');
  }
  const out = runPython(
    SCRIPT,
    {
      cols,
      trees,
      jobs: jobs.map((j) => ({
        train_rows: j.train.rows,
        test_rows: j.test.rows,
        seeds: j.seeds,
        seeding: j.seeding ?? 'random_state',
      })),
    },
    jobs.flatMap((j) => [j.train.data, j.test.data]),
  );
  const raw = typeof out === 'object' && out !== null ? (out as { scores?: unknown }).scores : undefined;
  if (!Array.isArray(raw)) throw new Error('sklearn iforest: python returned no scores');
  const scores: readonly unknown[] = raw;
  const expected = jobs.flatMap((j) => j.seeds.map(() => j.test.rows));
  if (scores.length !== expected.length) {
    throw new Error(`sklearn iforest: ${scores.length} score lists for ${expected.length} forests`);
  }
  return expected.map((rows, i) => numbersField({ s: scores[i] }, 's', rows));
}
