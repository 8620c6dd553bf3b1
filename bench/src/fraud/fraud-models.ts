/**
 * The models the fraud benchmark compares, trained through Vigil's own preprocessing (standard
 * scaling fitted on the training rows, as the handbook's StandardScaler) and trainers:
 *
 * - `gbdt`: Vigil's gradient-boosted trees;
 * - `rf`: Vigil's random forest;
 * - `blend`: the weighted mean of the two probabilities (no extra training).
 *
 * The default parameters were chosen on the four prequential validation folds only (see
 * bench/src/fraud/tune-fraud.ts). Both tree models use 8,192 bins per feature (a Uint16 bin
 * matrix) instead of the default 255: on these folds 255 quantile bins cost the GBDT 0.04 of
 * average precision, because the simulator's scenario-1 rule (amount > 220 is fraud) sits in the
 * sparse tail of the amount distribution where 255 equal-count bins are too coarse.
 */
import { createTable, type Cell } from '../../../packages/engine/src/data/data-table.js';
import { fitPreprocessor } from '../../../packages/engine/src/data/preprocessor.js';
import type { CardFeatureMatrix } from '../../../packages/engine/src/data/card-features.js';
import { trainGbdt, type GbdtOptions } from '../../../packages/engine/src/models/gbdt/gbdt.js';
import {
  trainRandomForest,
  type RandomForestOptions,
} from '../../../packages/engine/src/models/forest/random-forest.js';
import type { TreeModel } from '../../../packages/engine/src/models/gbdt/tree-ensemble.js';
import type { Transactions } from './load-transactions.js';

/** Model kinds of the benchmark. */
export const FRAUD_MODELS = ['gbdt', 'rf', 'blend'] as const;
export type FraudModel = (typeof FRAUD_MODELS)[number];

/** Parameters of each model kind. */
export interface FraudModelParams {
  readonly gbdt: GbdtOptions;
  readonly rf: RandomForestOptions;
  /** Weight of the GBDT probability in the blend (the forest gets 1 − weight). */
  readonly blend: { readonly gbdtWeight: number };
}

/** Parameters chosen on the four validation folds (see the module comment). */
export const DEFAULT_FRAUD_PARAMS: FraudModelParams = {
  gbdt: { rounds: 300, learningRate: 0.1, maxDepth: 3, baseScore: 0.5, maxBins: 8192 },
  rf: { trees: 100, maxDepth: 20, maxBins: 8192 },
  blend: { gbdtWeight: 0.6 },
};

function tableOf(features: CardFeatureMatrix, tx: Transactions, rows: Uint32Array) {
  const cols = features.cols;
  const data: Cell[][] = [];
  for (let c = 0; c < cols; c++) {
    const col = new Array<Cell>(rows.length);
    for (let i = 0; i < rows.length; i++) col[i] = features.data[rows[i]! * cols + c]!;
    data.push(col);
  }
  data.push(Array.from(rows, (r) => tx.fraud[r]!));
  return createTable([...features.names, 'TX_FRAUD'], data);
}

/** One trained model's test scores. */
export interface FoldScores {
  readonly scores: Float64Array;
  readonly trainMs: number;
  /** The trained model (undefined for the blend, which is two models). */
  readonly model?: TreeModel;
}

/**
 * Trains the requested models on the training rows (each tree model at most once) and scores
 * the test rows.
 * @example const byModel = scoreFold(['gbdt', 'blend'], params, features, tx, fold.train, fold.test);
 */
export function scoreFold(
  models: readonly FraudModel[],
  params: FraudModelParams,
  features: CardFeatureMatrix,
  tx: Transactions,
  train: Uint32Array,
  test: Uint32Array,
): { readonly byModel: ReadonlyMap<FraudModel, FoldScores>; readonly testMatrix: Float64Array } {
  const trainTable = tableOf(features, tx, train);
  const pre = fitPreprocessor(trainTable, { label: 'TX_FRAUD', scaling: 'standard' });
  const x = pre.transform(trainTable);
  const y = pre.labels(trainTable).y;
  const xt = pre.transform(tableOf(features, tx, test));
  const names = pre.featureNames;
  const out = new Map<FraudModel, FoldScores>();
  const need = new Set<FraudModel>(models.includes('blend') ? [...models, 'gbdt', 'rf'] : models);
  for (const kind of ['gbdt', 'rf'] as const) {
    if (!need.has(kind)) continue;
    const t0 = performance.now();
    const model =
      kind === 'gbdt'
        ? trainGbdt(x, y, { ...params.gbdt, featureNames: names })
        : trainRandomForest(x, y, { ...params.rf, featureNames: names });
    const trainMs = performance.now() - t0;
    out.set(kind, { scores: model.predictBatch(xt), trainMs, model });
  }
  if (need.has('blend')) {
    const w = params.blend.gbdtWeight;
    if (!(w >= 0 && w <= 1)) throw new Error(`blend gbdtWeight must be in [0, 1], got ${w}`);
    const a = out.get('gbdt')!;
    const b = out.get('rf')!;
    out.set('blend', {
      scores: a.scores.map((v, i) => w * v + (1 - w) * b.scores[i]!),
      trainMs: a.trainMs + b.trainMs,
    });
  }
  return { byModel: out, testMatrix: xt.data };
}
