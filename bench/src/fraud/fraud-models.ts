/**
 * The models the fraud benchmark compares, trained through Vigil's own preprocessing (standard
 * scaling fitted on the training rows, as the handbook's StandardScaler) and trainers.
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
export const FRAUD_MODELS = ['gbdt', 'rf'] as const;
export type FraudModel = (typeof FRAUD_MODELS)[number];

/** Parameters of each model kind. */
export interface FraudModelParams {
  readonly gbdt: GbdtOptions;
  readonly rf: RandomForestOptions;
}

/**
 * Parameters chosen on the four validation folds (see bench/src/fraud/tune-fraud.ts and
 * docs/benchmarks.md).
 */
export const DEFAULT_FRAUD_PARAMS: FraudModelParams = {
  gbdt: { rounds: 100, learningRate: 0.1, maxDepth: 6 },
  rf: { trees: 100, maxDepth: 20 },
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

/**
 * Trains one model on the training rows and scores the test rows.
 * @example const scores = scoreFold('gbdt', params, features, tx, fold.train, fold.test);
 */
export function scoreFold(
  model: FraudModel,
  params: FraudModelParams,
  features: CardFeatureMatrix,
  tx: Transactions,
  train: Uint32Array,
  test: Uint32Array,
): { scores: Float64Array; trainMs: number; model: TreeModel; testMatrix: Float64Array } {
  const trainTable = tableOf(features, tx, train);
  const pre = fitPreprocessor(trainTable, { label: 'TX_FRAUD', scaling: 'standard' });
  const x = pre.transform(trainTable);
  const y = pre.labels(trainTable).y;
  const xt = pre.transform(tableOf(features, tx, test));
  const t0 = performance.now();
  const names = pre.featureNames;
  const fitted =
    model === 'gbdt'
      ? trainGbdt(x, y, { ...params.gbdt, featureNames: names })
      : trainRandomForest(x, y, { ...params.rf, featureNames: names });
  const trainMs = performance.now() - t0;
  return { scores: fitted.predictBatch(xt), trainMs, model: fitted, testMatrix: xt.data };
}
