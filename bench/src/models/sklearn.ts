/**
 * scikit-learn as a yardstick for the benches, never a dependency: Debian's python3-sklearn
 * (`apt-get install python3-sklearn`, scikit-learn 1.2.1 on bookworm) lives in /usr/bin/python3,
 * not in whatever python3 comes first on PATH, so that interpreter is called by its full path.
 * When it is missing every caller prints a one-line note and goes on.
 *
 * Data goes to python as little-endian float64 files in a temp folder (no text round trip, so
 * python sees exactly the same numbers); the script prints one JSON line last. Timings are taken
 * inside python with `time.perf_counter`, so interpreter start-up and imports are never counted.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  rocAuc,
  trainGbdt,
  trainIsolationForest,
  trainRandomForest,
  type IsolationForestModel,
} from '@vigil/engine';

/** Debian's python3, the one python3-sklearn installs into. */
export const SYSTEM_PYTHON = '/usr/bin/python3';

/** What to print when scikit-learn is missing. */
export const SKLEARN_MISSING_NOTE =
  'scikit-learn not installed for /usr/bin/python3 (apt-get install python3-sklearn): comparison skipped';

let cachedVersion: string | null | undefined;

/**
 * scikit-learn's version when `/usr/bin/python3 -c "import sklearn"` works, else null (cached).
 * @example if (sklearnVersion() === null) console.log(SKLEARN_MISSING_NOTE);
 */
export function sklearnVersion(python: string = SYSTEM_PYTHON): string | null {
  if (python === SYSTEM_PYTHON && cachedVersion !== undefined) return cachedVersion;
  const out = spawnSync(python, ['-c', 'import sklearn; print(sklearn.__version__)'], { encoding: 'utf8' });
  const version = out.status === 0 ? out.stdout.trim() : null;
  if (python === SYSTEM_PYTHON) cachedVersion = version;
  return version;
}

/** Options of {@link runPython}. */
export interface RunPythonOptions {
  /** Interpreter, default {@link SYSTEM_PYTHON}. */
  readonly python?: string;
  /** Extra environment variables (e.g. OMP_NUM_THREADS). */
  readonly env?: Readonly<Record<string, string>>;
  /** Kill the child after this many ms, default 10 minutes. */
  readonly timeoutMs?: number;
}

/**
 * Runs a python script with `sys.argv[1]` = the JSON of `params` and `sys.argv[2:]` = paths of
 * the arrays as raw little-endian float64 files (read them with `np.fromfile(p, dtype='<f8')`).
 * Returns the parsed JSON of the last stdout line; throws with python's stderr on failure.
 * @example
 * runPython('import sys, json; print(json.dumps(json.loads(sys.argv[1])["n"] + 1))', { n: 1 }, []); // 2
 */
export function runPython(
  script: string,
  params: unknown,
  arrays: readonly Float64Array[],
  opts: RunPythonOptions = {},
): unknown {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-sklearn-'));
  try {
    const files = arrays.map((a, i) => {
      const file = join(dir, `a${i}.f64`);
      const bytes = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
      // Typed arrays are platform-endian; every platform Node runs on here is little-endian.
      writeFileSync(file, bytes);
      return file;
    });
    const out = spawnSync(opts.python ?? SYSTEM_PYTHON, ['-c', script, JSON.stringify(params), ...files], {
      encoding: 'utf8',
      env: { ...process.env, ...opts.env },
      maxBuffer: 1 << 30,
      timeout: opts.timeoutMs ?? 600_000,
    });
    if (out.error !== undefined) throw new Error(`python failed to run: ${out.error.message}`);
    if (out.status !== 0) {
      const tail = out.stderr.trim().split('\n').slice(-5).join('\n');
      throw new Error(`python exited with ${out.status ?? out.signal}: ${tail}`);
    }
    const lines = out.stdout.trim().split('\n');
    const last = lines[lines.length - 1] ?? '';
    try {
      return JSON.parse(last) as unknown;
    } catch {
      throw new Error(`python printed no JSON line last: ${last.slice(0, 200)}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Reads a finite number field of a python result. */
export function numberField(o: unknown, key: string): number {
  const v = typeof o === 'object' && o !== null ? (o as Record<string, unknown>)[key] : undefined;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`python result: ${key} is not a number`);
  return v;
}

/** Reads an array-of-numbers field of a python result as a Float64Array. */
export function numbersField(o: unknown, key: string, length?: number): Float64Array {
  const v = typeof o === 'object' && o !== null ? (o as Record<string, unknown>)[key] : undefined;
  if (!Array.isArray(v) || v.some((e) => typeof e !== 'number')) {
    throw new Error(`python result: ${key} is not an array of numbers`);
  }
  if (length !== undefined && v.length !== length) {
    throw new Error(`python result: ${key} has ${v.length} values, expected ${length}`);
  }
  return Float64Array.from(v as number[]);
}

const MODELS_SCRIPT = String.raw`
import json, sys, time
import numpy as np
from sklearn.ensemble import IsolationForest, HistGradientBoostingClassifier, RandomForestClassifier
p = json.loads(sys.argv[1])
x = np.fromfile(sys.argv[2], dtype='<f8').reshape(p['rows'], p['cols'])
y = np.fromfile(sys.argv[3], dtype='<f8')
cut, runs, seed = p['cut'], p['runs'], p['seed']
xtr, ytr, xte = x[:cut], y[:cut], x[cut:]

def median_ms(fn, n=runs, stat=np.median):
    fn()  # warm-up, not timed
    ts = []
    for _ in range(n):
        t0 = time.perf_counter(); out = fn(); ts.append(time.perf_counter() - t0)
    return float(stat(ts)) * 1000, out

iforest = lambda: IsolationForest(n_estimators=100, max_samples=256, random_state=seed)
if_fit_ms, m = median_ms(lambda: iforest().fit(x), p['iforest_runs'], np.min)
if_fit_score_ms, _ = median_ms(lambda: iforest().fit(x).score_samples(x), p['iforest_runs'])
if_scores = -m.score_samples(x)
hgb = lambda: HistGradientBoostingClassifier(max_iter=200, learning_rate=0.1, max_depth=6,
    max_leaf_nodes=None, min_samples_leaf=1, l2_regularization=1.0, max_bins=255,
    early_stopping=False, random_state=seed)
hgb_ms, mh = median_ms(lambda: hgb().fit(xtr, ytr))
rf = lambda: RandomForestClassifier(n_estimators=100, max_features='sqrt', n_jobs=1, random_state=seed)
rf_ms, mr = median_ms(lambda: rf().fit(xtr, ytr))
print(json.dumps({
  'iforest_fit_ms': if_fit_ms, 'iforest_fit_score_ms': if_fit_score_ms,
  'hgb_fit_ms': hgb_ms, 'rf_fit_ms': rf_ms,
  'iforest_scores': if_scores.tolist(),
  'hgb_scores': mh.predict_proba(xte)[:, 1].tolist(),
  'rf_scores': mr.predict_proba(xte)[:, 1].tolist(),
}))
`;

/** The table both sides train on. */
export interface ComparisonTable {
  /** Row-major features. */
  readonly x: Float64Array;
  readonly rows: number;
  readonly cols: number;
  /** Supervised label (GBDT, random forest). */
  readonly y: ArrayLike<number>;
  /** Planted anomalies (isolation forest AUC). */
  readonly anomaly: ArrayLike<number>;
}

/** One model's figures on both sides (ms are medians; AUCs on the same rows). */
export interface SideBySide {
  readonly model: string;
  /** What the milliseconds cover. */
  readonly timed: string;
  readonly vigil_ms: number;
  readonly sklearn_ms: number;
  /** sklearn_ms / vigil_ms: above 1 means Vigil is faster. */
  readonly speedup: number;
  readonly vigil_roc_auc: number;
  readonly sklearn_roc_auc: number;
}

/** Options of {@link compareWithSklearn}. */
export interface CompareOptions {
  /** Rows [0, cut) train the supervised models, [cut, rows) score them. */
  readonly cut: number;
  readonly seed: number;
  /** Timed runs per model on each side after one untimed warm-up; the median is kept. Default 5. */
  readonly runs?: number;
}

function median(xs: readonly number[]): number {
  const ts = [...xs].sort((a, b) => a - b);
  const mid = ts.length >> 1;
  return ts.length % 2 === 1 ? ts[mid]! : (ts[mid - 1]! + ts[mid]!) / 2;
}

function timeMs<T>(fn: () => T): [number, T] {
  const t0 = performance.now();
  const out = fn();
  return [performance.now() - t0, out];
}

function medianMs<T>(runs: number, fn: () => T): [number, T] {
  let out = fn(); // warm-up, not timed
  const ts: number[] = [];
  for (let i = 0; i < runs; i++) {
    const [ms, v] = timeMs(fn);
    ts.push(ms);
    out = v;
  }
  return [median(ts), out];
}

const round = (v: number, d: number): number => Math.round(v * 10 ** d) / 10 ** d;

/**
 * Trains Vigil's isolation forest, GBDT and random forest and scikit-learn's IsolationForest,
 * HistGradientBoostingClassifier and RandomForestClassifier on the same table with matching
 * settings, each `runs` times after a warm-up, and returns median times and ROC-AUCs side by
 * side. Both sides run on one thread (OMP_NUM_THREADS=1 for HistGradientBoosting, n_jobs=1).
 * Vigil's `trainIsolationForest` also scores the training rows (for its contamination
 * thresholds), so it is compared with sklearn's fit + score_samples(X). Fit alone is compared on
 * the fastest runs: Vigil's fastest training minus its fastest `scoreBatch` of the same rows
 * against sklearn's fastest fit. The isolation forests run 2 * runs + 1 times on both sides.
 * Returns null when scikit-learn is not installed.
 * @example const rows = compareWithSklearn(table, { cut: 8000, seed: 1 });
 */
export function compareWithSklearn(t: ComparisonTable, o: CompareOptions): SideBySide[] | null {
  if (sklearnVersion() === null) return null;
  const runs = o.runs ?? 5;
  // The isolation forests are quick: twice the runs plus one on both sides.
  const iforestRuns = 2 * runs + 1;
  const { x, rows, cols, cut, seed } = { ...t, ...o };
  const py = runPython(
    MODELS_SCRIPT,
    { rows, cols, cut, runs, iforest_runs: iforestRuns, seed },
    [x, Float64Array.from(t.y)],
    {
      env: { OMP_NUM_THREADS: '1' },
    },
  );
  const xTrain = x.subarray(0, cut * cols);
  const xTest = { data: x.subarray(cut * cols), rows: rows - cut, cols };
  const yTrain = Float64Array.from(t.y).subarray(0, cut);
  const yTest = Float64Array.from(t.y).subarray(cut);

  // Scoring the 10,000 training rows is most of Vigil's training (the trees themselves take a few
  // ms), so fit alone is estimated from the fastest runs, which load on a shared machine disturbs
  // least: fastest training - fastest scoreBatch of the same rows; sklearn's fastest fit likewise.
  const train = (): IsolationForestModel =>
    trainIsolationForest(x, { features: cols, trees: 100, sampleSize: 256, seed });
  let iforest = train(); // warm-up, not timed
  let ifScores = iforest.scoreBatch({ data: x, rows, cols });
  const trainTimes: number[] = [];
  const scoreTimes: number[] = [];
  for (let i = 0; i < iforestRuns; i++) {
    const [trainMs, model] = timeMs(train);
    const [scoreMs, scores] = timeMs(() => model.scoreBatch({ data: x, rows, cols }));
    trainTimes.push(trainMs);
    scoreTimes.push(scoreMs);
    iforest = model;
    ifScores = scores;
  }
  const ifTrainMs = median(trainTimes);
  const ifFitMs = Math.min(...trainTimes) - Math.min(...scoreTimes);
  const [gbdtMs, gbdt] = medianMs(runs, () =>
    trainGbdt(xTrain, yTrain, { features: cols, rounds: 200, maxDepth: 6, learningRate: 0.1, seed }),
  );
  const [rfMs, rf] = medianMs(runs, () =>
    trainRandomForest(xTrain, yTrain, { features: cols, trees: 100, seed }),
  );

  const ifAuc = rocAuc(ifScores, t.anomaly);
  const skIfAuc = rocAuc(numbersField(py, 'iforest_scores', rows), t.anomaly);
  const row = (
    model: string,
    timed: string,
    vigilMs: number,
    sklearnMs: number,
    vigilAuc: number,
    sklearnAuc: number,
  ): SideBySide => ({
    model,
    timed,
    vigil_ms: round(vigilMs, 1),
    sklearn_ms: round(sklearnMs, 1),
    speedup: round(sklearnMs / vigilMs, 2),
    vigil_roc_auc: round(vigilAuc, 4),
    sklearn_roc_auc: round(sklearnAuc, 4),
  });
  return [
    row(
      'iforest',
      `fit + score the ${rows} training rows (Vigil's training always scores them)`,
      ifTrainMs,
      numberField(py, 'iforest_fit_score_ms'),
      ifAuc,
      skIfAuc,
    ),
    row(
      'iforest-fit-only',
      "fit only, fastest run of each side (Vigil: fastest training minus fastest scoreBatch of the same rows; sklearn: fit, contamination='auto')",
      ifFitMs,
      numberField(py, 'iforest_fit_ms'),
      ifAuc,
      skIfAuc,
    ),
    row(
      'gbdt-vs-hist-gradient-boosting',
      `fit on ${cut} rows: 200 rounds, depth 6, lr 0.1, L2 1, 255 bins, leaves >= 1 row, no early stopping`,
      gbdtMs,
      numberField(py, 'hgb_fit_ms'),
      rocAuc(gbdt.predictBatch(xTest), yTest),
      rocAuc(numbersField(py, 'hgb_scores', rows - cut), yTest),
    ),
    row(
      'rf-vs-random-forest',
      `fit on ${cut} rows: 100 trees, gini, sqrt features, bootstrap, full depth (both split on exact values)`,
      rfMs,
      numberField(py, 'rf_fit_ms'),
      rocAuc(rf.predictBatch(xTest), yTest),
      rocAuc(numbersField(py, 'rf_scores', rows - cut), yTest),
    ),
  ];
}

/**
 * Prints one JSON line per compared model (`{"compare":"iforest",...}`), or one line saying
 * scikit-learn is missing.
 * @example printSklearnComparison(compareWithSklearn(table, { cut: 8000, seed: 1 }));
 */
export function printSklearnComparison(rows: readonly SideBySide[] | null): void {
  if (rows === null) {
    console.log(JSON.stringify({ model: 'sklearn', note: SKLEARN_MISSING_NOTE }));
    return;
  }
  for (const { model, ...r } of rows) {
    console.log(JSON.stringify({ compare: model, sklearn_version: sklearnVersion(), ...r }));
  }
}

/**
 * The comparison's keys for the bench's summary line (null values when scikit-learn is missing).
 * `sklearn_iforest_fit_ms` is sklearn's fit alone (fastest run); the target compares like with like: Vigil's
 * training (which scores the training rows) against sklearn's fit + score_samples.
 * @example Object.assign(summary, sklearnSummaryKeys(rows));
 */
export function sklearnSummaryKeys(
  rows: readonly SideBySide[] | null,
): Record<string, number | boolean | string | null> {
  const of = (m: string): SideBySide | undefined => rows?.find((r) => r.model === m);
  const iforest = of('iforest');
  const fitOnly = of('iforest-fit-only');
  const gbdt = of('gbdt-vs-hist-gradient-boosting');
  const rf = of('rf-vs-random-forest');
  return {
    sklearn_version: rows === null ? null : sklearnVersion(),
    sklearn_iforest_fit_ms: fitOnly?.sklearn_ms ?? null,
    sklearn_iforest_fit_score_ms: iforest?.sklearn_ms ?? null,
    vigil_iforest_median_train_ms: iforest?.vigil_ms ?? null,
    vigil_iforest_fit_only_ms: fitOnly?.vigil_ms ?? null,
    iforest_speedup_vs_sklearn: iforest?.speedup ?? null,
    iforest_fit_only_speedup_vs_sklearn: fitOnly?.speedup ?? null,
    sklearn_iforest_roc_auc: iforest?.sklearn_roc_auc ?? null,
    sklearn_hgb_fit_ms: gbdt?.sklearn_ms ?? null,
    vigil_gbdt_median_train_ms: gbdt?.vigil_ms ?? null,
    gbdt_speedup_vs_sklearn_hgb: gbdt?.speedup ?? null,
    sklearn_hgb_roc_auc: gbdt?.sklearn_roc_auc ?? null,
    sklearn_rf_fit_ms: rf?.sklearn_ms ?? null,
    vigil_rf_median_train_ms: rf?.vigil_ms ?? null,
    rf_speedup_vs_sklearn: rf?.speedup ?? null,
    sklearn_rf_roc_auc: rf?.sklearn_roc_auc ?? null,
    target_iforest_train_faster_than_sklearn: iforest === undefined ? null : iforest.speedup > 1,
  };
}
