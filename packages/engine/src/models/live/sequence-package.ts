/**
 * GRU sequence models (ADR 0004) inside the registry's model package: training from an event
 * table (columns user, type, amount, at, label), a held-out split of whole users, the package
 * envelope shared with the tabular kinds (kind 'gru', no preprocessor: the encoder lives in the
 * model), and batch scoring of an event table in each user's time order.
 */
import { DataError } from '../../data/data-error.js';
import { binaryLabels, cellText, parseDateTime } from '../../data/column-types.js';
import { cellToNumber, getColumn, isMissingCell, type DataTable } from '../../data/data-table.js';
import { createSeededRandom } from '../../ports/clock.js';
import { loadSequenceModel, trainSequenceModel, type SequenceModel } from '../sequence/sequence-model.js';
import type { SequenceTrainingEvent } from '../sequence/sequence-model.js';
import {
  capEvaluation,
  MODEL_PACKAGE_FORMAT,
  MODEL_PACKAGE_VERSION,
  modelMetrics,
  packageChecksum,
  parseModelPackage,
  sampleSorted,
  type ModelPackage,
} from './model-package.js';

/** Columns a gru package reads of each event, in this order. */
export const SEQUENCE_INPUT_COLUMNS = ['user', 'type', 'amount', 'at'] as const;

/** Events of a table, in the table's row order. */
export interface SequenceTableEvents {
  readonly events: readonly SequenceTrainingEvent[];
  /** 0/1 labels (all 0 when the table has no label column). */
  readonly labels: Uint8Array;
}

function column(table: DataTable, name: string): readonly (string | number | boolean | null)[] {
  if (!table.columns.includes(name)) {
    throw new DataError(
      'column_mismatch',
      `a gru model reads columns ${SEQUENCE_INPUT_COLUMNS.join(', ')}; "${name}" is not in the data`,
      [name],
    );
  }
  return getColumn(table, name);
}

/**
 * Reads an event table: `user` and `type` (text), `amount` (number, may be empty), `at` (ISO
 * date-time or epoch ms) and, when `label` is given, the label column. Throws a DataError naming
 * the column and row of the first problem.
 * @example const { events, labels } = sequenceEventsFromTable(table, 'is_fraud');
 */
export function sequenceEventsFromTable(table: DataTable, label?: string): SequenceTableEvents {
  if (table.rows === 0) throw new DataError('empty_table', 'the event table has no rows');
  const users = column(table, 'user');
  const types = column(table, 'type');
  const amounts = column(table, 'amount');
  const ats = column(table, 'at');
  const y = label === undefined ? new Uint8Array(table.rows) : binaryLabels(column(table, label), label).y;
  const events: SequenceTrainingEvent[] = [];
  for (let r = 0; r < table.rows; r++) {
    const user = cellText(users[r]);
    const type = cellText(types[r]);
    if (user === '' || type === '') {
      throw new DataError('column_mismatch', `row ${r + 1}: user and type must not be empty`, [
        user === '' ? 'user' : 'type',
      ]);
    }
    const rawAt = ats[r];
    let at = cellToNumber(rawAt);
    if (!Number.isFinite(at)) at = parseDateTime(rawAt);
    if (!Number.isFinite(at)) {
      throw new DataError(
        'non_numeric',
        `row ${r + 1}: "${String(rawAt)}" in at is not a date-time or epoch ms`,
        ['at'],
      );
    }
    const rawAmount = amounts[r];
    let amount: number | undefined;
    if (!isMissingCell(rawAmount)) {
      amount = cellToNumber(rawAmount);
      if (!Number.isFinite(amount)) {
        throw new DataError('non_numeric', `row ${r + 1}: "${String(rawAmount)}" in amount is not a number`, [
          'amount',
        ]);
      }
    }
    events.push({ user, type, at, ...(amount === undefined ? {} : { amount }), label: y[r]! });
  }
  return { events, labels: y };
}

/**
 * Scores every event with a fresh state per user, walking each user's events in time order
 * (ties in row order), exactly as the live stream scorer would; the result is in row order.
 * @example const scores = scoreSequenceEvents(model, events);
 */
export function scoreSequenceEvents(
  model: SequenceModel,
  events: readonly {
    readonly user: string;
    readonly type: string;
    readonly at: number;
    readonly amount?: number;
  }[],
): Float64Array {
  const byUser = new Map<string, number[]>();
  for (let i = 0; i < events.length; i++) {
    const u = events[i]!.user;
    let g = byUser.get(u);
    if (g === undefined) byUser.set(u, (g = []));
    g.push(i);
  }
  const out = new Float64Array(events.length);
  for (const g of byUser.values()) {
    g.sort((a, b) => events[a]!.at - events[b]!.at || a - b);
    const p = model.predictSequence(g.map((i) => events[i]!));
    for (let k = 0; k < g.length; k++) out[g[k]!] = p[k]!;
  }
  return out;
}

/** A loaded gru package. */
export interface LoadedSequenceModel {
  readonly kind: 'gru';
  readonly pkg: ModelPackage;
  readonly model: SequenceModel;
  /** Scores an event table (columns user, type, amount, at), each user from a fresh state. */
  scoreTable(table: DataTable): Float64Array;
}

function loadedOf(pkg: ModelPackage, model: SequenceModel): LoadedSequenceModel {
  return {
    kind: 'gru',
    pkg,
    model,
    scoreTable: (table) => scoreSequenceEvents(model, sequenceEventsFromTable(table).events),
  };
}

/**
 * Validates and loads a gru package (parsed JSON or its text); throws a `corrupt_package`
 * DataError for anything else, a broken envelope or a broken model.
 * @example const m = loadSequencePackage(row.package); createSequenceScorer(m.model);
 */
export function loadSequencePackage(input: unknown): LoadedSequenceModel {
  const pkg = parseModelPackage(input);
  if (pkg.kind !== 'gru') {
    throw new DataError('corrupt_package', `corrupt model package: kind ${pkg.kind} is not a gru package`);
  }
  if (
    pkg.features.length !== SEQUENCE_INPUT_COLUMNS.length ||
    SEQUENCE_INPUT_COLUMNS.some((c, i) => pkg.features[i] !== c)
  ) {
    throw new DataError(
      'corrupt_package',
      `corrupt model package: a gru package reads ${SEQUENCE_INPUT_COLUMNS.join(', ')}`,
    );
  }
  let model: SequenceModel;
  try {
    model = loadSequenceModel(pkg.model);
  } catch (err) {
    throw new DataError(
      'corrupt_package',
      `corrupt model package: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  return loadedOf(pkg, model);
}

/** Options of {@link trainSequencePackage}. */
export interface TrainSequencePackageOptions {
  /** Label column (required: the sequence model is supervised). */
  readonly label: string;
  /** Seed of the user split and the model, default 1. */
  readonly seed?: number;
  /** Share of users held out for the evaluation, default 0.2. */
  readonly testFraction?: number;
  readonly epochs?: number;
  readonly hidden?: number;
  readonly sequenceLength?: number;
  /** Threshold of the stored metrics, default 0.5. */
  readonly threshold?: number;
}

/** Result of {@link trainSequencePackage}. */
export interface TrainedSequenceModel {
  readonly package: ModelPackage;
  readonly model: LoadedSequenceModel;
  /** Held-out scores and labels (all of them, uncapped), in held-out row order. */
  readonly test: { readonly scores: Float64Array; readonly labels: Uint8Array };
}

/**
 * Trains a GRU on an event table: whole users are split (seeded) into training and held-out
 * sets, the model is trained (positive weight balanced, early stopping on its own validation
 * users), then scored on the held-out users for the metrics and the evaluation sample. Throws a
 * DataError for a missing column, bad values or a single class.
 * @example const { package: pkg } = trainSequencePackage(table, { label: 'is_fraud', epochs: 8 });
 */
export function trainSequencePackage(
  table: DataTable,
  opts: TrainSequencePackageOptions,
): TrainedSequenceModel {
  const seed = opts.seed ?? 1;
  const testFraction = opts.testFraction ?? 0.2;
  if (!(testFraction >= 0 && testFraction < 0.9)) throw new Error('testFraction must be in [0, 0.9)');
  const { events } = sequenceEventsFromTable(table, opts.label);
  const users = [...new Set(events.map((e) => e.user))].sort();
  const rnd = createSeededRandom(seed);
  for (let i = users.length - 1; i > 0; i--) {
    const j = Math.floor(rnd.next() * (i + 1));
    [users[i], users[j]] = [users[j]!, users[i]!];
  }
  const nTest = users.length >= 5 ? Math.floor(users.length * testFraction) : 0;
  const testUsers = new Set(users.slice(0, nTest));
  const train = events.filter((e) => !testUsers.has(e.user));
  const test = events.filter((e) => testUsers.has(e.user));
  let positives = 0;
  for (const e of train) positives += e.label;
  if (positives === 0 || positives === train.length) {
    throw new DataError(
      'single_class',
      `the training users' events are all ${positives === 0 ? 'normal' : 'malicious'}; both classes are needed`,
    );
  }
  let model: SequenceModel;
  try {
    model = trainSequenceModel(train, {
      seed,
      positiveWeight: 'balanced',
      ...(opts.epochs !== undefined ? { epochs: opts.epochs } : {}),
      ...(opts.hidden !== undefined ? { hidden: opts.hidden } : {}),
      ...(opts.sequenceLength !== undefined ? { sequenceLength: opts.sequenceLength } : {}),
    });
  } catch (err) {
    throw new DataError('single_class', err instanceof Error ? err.message : String(err));
  }
  const threshold = opts.threshold ?? 0.5;
  const trainScores = scoreSequenceEvents(model, train);
  const testScores = scoreSequenceEvents(model, test);
  const testLabels = Uint8Array.from(test, (e) => e.label);
  const evalScores = test.length > 0 ? testScores : trainScores;
  const evalLabels = test.length > 0 ? testLabels : Uint8Array.from(train, (e) => e.label);
  const parts = {
    kind: 'gru' as const,
    label: opts.label,
    features: [...SEQUENCE_INPUT_COLUMNS],
    preprocessor: null,
    model: JSON.parse(JSON.stringify(model.toJSON())) as unknown,
    calibration: null,
  };
  const pkg: ModelPackage = {
    format: MODEL_PACKAGE_FORMAT,
    version: MODEL_PACKAGE_VERSION,
    ...parts,
    metrics: modelMetrics(evalScores, evalLabels, threshold),
    training: {
      rows: train.length,
      testRows: test.length,
      positives,
      columns: [...table.columns],
      split:
        test.length > 0
          ? `users ${Math.round((1 - testFraction) * 100)}/${Math.round(testFraction * 100)}`
          : 'none (under 5 users)',
    },
    trainingScores: sampleSorted(trainScores, 1000),
    evaluation: capEvaluation(evalScores, evalLabels, threshold),
    checksum: packageChecksum(parts),
  };
  return { package: pkg, model: loadedOf(pkg, model), test: { scores: testScores, labels: testLabels } };
}
