/**
 * Writes the scikit-learn golden values the engine's tests check its replay of scikit-learn's
 * IsolationForest against (packages/engine/src/models/sklearn-isolation-forest-golden.fixture.ts),
 * so those tests run without python. Needs Debian's python3-sklearn (1.2.1):
 *
 *   npx tsx bench/src/eval/sklearn-iforest-golden.ts
 *
 * Each case fits `IsolationForest(n_estimators, max_samples, random_state)` on
 * `sklearnFixtureMatrix(rows, cols, dataSeed)` and records the bagging seeds, every tree's node
 * count, the full `tree_` arrays of the first and last tree, `-score_samples` of the first
 * training rows and of `sklearnFixtureProbes` (values at float32 rounding ties); plus a few raw
 * numpy legacy RandomState draws.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  sklearnFixtureMatrix,
  sklearnFixtureProbes,
} from '../../../packages/engine/src/models/sklearn-fixture-data.fixture.js';
import { runPython, SKLEARN_MISSING_NOTE, sklearnVersion } from '../models/sklearn.js';

/** One golden case (see the module comment). */
interface CaseSpec {
  readonly name: string;
  readonly rows: number;
  readonly cols: number;
  readonly dataSeed: number;
  readonly seed: number;
  readonly trees: number;
  /** An integer max_samples, or undefined for 'auto'. */
  readonly maxSamples?: number;
  readonly probes: number;
  /** 'np.random.seed': seed numpy's global stream and fit with random_state=None (as ADBench). */
  readonly seeding?: 'np.random.seed';
}

/** Cases covering each way scikit-learn draws a tree's rows. */
const CASES: readonly CaseSpec[] = [
  // 256 of 700 rows: a permutation prefix (the ADBench shape, 1,000 rows -> 700 train).
  { name: 'permutation', rows: 700, cols: 4, dataSeed: 2024, seed: 1, trees: 12, probes: 12 },
  // 256 of 257: reservoir sampling with draws.
  { name: 'reservoir', rows: 257, cols: 3, dataSeed: 7, seed: 2, trees: 6, probes: 12 },
  // 20 of 3,000: tracking selection (ratio below 0.01).
  { name: 'tracking', rows: 3000, cols: 5, dataSeed: 8, seed: 3, trees: 6, maxSamples: 20, probes: 12 },
  // All 60 rows (reservoir without a draw), the largest seed numpy takes.
  { name: 'all-rows', rows: 60, cols: 4, dataSeed: 9, seed: 4294967295, trees: 6, probes: 12 },
  // np.random.seed(1) then random_state=None: the bagging seeds follow the targets' draws.
  {
    name: 'global-seed',
    rows: 700,
    cols: 4,
    dataSeed: 2024,
    seed: 1,
    trees: 12,
    probes: 12,
    seeding: 'np.random.seed',
  },
];

const TRAIN_SCORES = 40;

const SCRIPT = String.raw`
import json, sys
import numpy as np
from sklearn.ensemble import IsolationForest
p = json.loads(sys.argv[1])
files = sys.argv[2:]
out = []
def tree(t):
    return {'childrenLeft': t.children_left.tolist(), 'childrenRight': t.children_right.tolist(),
            'feature': t.feature.tolist(), 'threshold': t.threshold.tolist(), 'nNodeSamples': t.n_node_samples.tolist()}
for k, c in enumerate(p['cases']):
    X = np.fromfile(files[2 * k], dtype='<f8').reshape(c['rows'], c['cols'])
    P = np.fromfile(files[2 * k + 1], dtype='<f8').reshape(-1, c['cols'])
    ms = 'auto' if c.get('maxSamples') is None else c['maxSamples']
    if c.get('seeding') == 'np.random.seed':
        np.random.seed(c['seed'])
        m = IsolationForest(n_estimators=c['trees'], max_samples=ms, random_state=None).fit(X)
    else:
        m = IsolationForest(n_estimators=c['trees'], max_samples=ms, random_state=c['seed']).fit(X)
    out.append({'seeds': [int(s) for s in m._seeds],
                'nodes': [int(e.tree_.node_count) for e in m.estimators_],
                'firstTree': tree(m.estimators_[0].tree_), 'lastTree': tree(m.estimators_[-1].tree_),
                'trainScores': (-m.score_samples(X[:p['trainScores']])).tolist(),
                'probeScores': (-m.score_samples(P)).tolist()})
r = np.random.RandomState(1)
numpy = {'uniform1': r.uniform(size=5).tolist(), 'randintMax1': r.randint(2**31 - 1, size=5).tolist(),
         'randintMax42': np.random.RandomState(42).randint(2**31 - 1, size=3).tolist()}
print(json.dumps({'cases': out, 'numpy': numpy}))
`;

function main(): void {
  const version = sklearnVersion();
  if (version === null) {
    process.stderr.write(`${SKLEARN_MISSING_NOTE}\n`);
    process.exit(1);
  }
  const arrays = CASES.flatMap((c) => {
    const x = sklearnFixtureMatrix(c.rows, c.cols, c.dataSeed);
    return [x.data, sklearnFixtureProbes(x, c.probes).data];
  });
  const out = runPython(SCRIPT, { cases: CASES, trainScores: TRAIN_SCORES }, arrays);
  if (typeof out !== 'object' || out === null) throw new Error('golden: python returned nothing');
  const { cases, numpy } = out as { cases: unknown[]; numpy: unknown };
  const golden = CASES.map((c, i) => ({ ...c, ...(cases[i] as object) }));
  const target = fileURLToPath(
    new URL(
      '../../../packages/engine/src/models/sklearn-isolation-forest-golden.fixture.ts',
      import.meta.url,
    ),
  );
  const text = `// Generated by bench/src/eval/sklearn-iforest-golden.ts from scikit-learn ${version}; do not edit.
import type { SklearnTree } from './sklearn-isolation-forest.js';

type Arrays<T> = { readonly [K in keyof T]: readonly number[] };

/**
 * One case: IsolationForest(n_estimators=trees, max_samples, random_state=seed) on
 * sklearnFixtureMatrix(rows, cols, dataSeed); with seeding 'np.random.seed', np.random.seed(seed)
 * and random_state=None.
 */
export interface SklearnGoldenCase {
  readonly name: string;
  readonly rows: number;
  readonly cols: number;
  readonly dataSeed: number;
  readonly seed: number;
  readonly trees: number;
  readonly maxSamples?: number;
  readonly probes: number;
  readonly seeding?: 'np.random.seed';
  readonly seeds: readonly number[];
  readonly nodes: readonly number[];
  readonly firstTree: Arrays<SklearnTree>;
  readonly lastTree: Arrays<SklearnTree>;
  /** -score_samples of the first ${TRAIN_SCORES} training rows. */
  readonly trainScores: readonly number[];
  /** -score_samples of sklearnFixtureProbes(x, probes). */
  readonly probeScores: readonly number[];
}

export const SKLEARN_IFOREST_GOLDEN: readonly SklearnGoldenCase[] = ${JSON.stringify(golden)};

/** numpy.random.RandomState(1): uniform(size=5), then randint(2**31 - 1, size=5); RandomState(42).randint(2**31 - 1, size=3). */
export const NUMPY_LEGACY_GOLDEN = ${JSON.stringify(numpy)};
`;
  writeFileSync(target, text);
  process.stdout.write(`${JSON.stringify({ wrote: target, cases: golden.length, sklearn: version })}\n`);
}

main();
