/**
 * A GRU sequence model over each user's events (ADR 0004): trained by truncated
 * backpropagation through time with Adam on per-user event sequences (event type, log amount,
 * log time gap), answering at every event the probability that this event is malicious given
 * the user's history. Training walks each user's events in chunks of `sequenceLength` steps,
 * carrying the hidden state from one chunk to the next (gradients stop at chunk borders), which
 * is exactly how {@link createSequenceScorer} scores a live stream: one GRU step per event.
 * Early stopping watches a validation split made of whole users.
 */
import { averagePrecision, rocAuc } from '../../metrics/ranking-metrics.js';
import { createSeededRandom } from '../../ports/clock.js';
import { checksumString, createPackageReader, encodeFloat64 } from '../model-package.js';
import {
  adamStep,
  createAdamState,
  createGruWorkspace,
  gruChunkGradient,
  gruLayout,
  gruStep,
  initGruParams,
  logLossOfLogit,
  type GruLayout,
} from './gru.js';
import {
  createSequenceEncoder,
  logAmount,
  logGap,
  type SequenceEncoder,
  type SequenceEvent,
  type SequenceScaling,
} from './sequence-encoder.js';

/** One labelled event of the training stream. @example const e: SequenceTrainingEvent = { user: 'u1', type: 'login', at: 0, label: 0 }; */
export interface SequenceTrainingEvent extends SequenceEvent {
  readonly user: string;
  /** 1 if the event is malicious, else 0. */
  readonly label: number;
}

/** Metrics early stopping can watch on the validation users. */
export const SEQUENCE_EVAL_METRICS = ['logloss', 'auc', 'average-precision'] as const;
/** A validation metric of the sequence model. */
export type SequenceEvalMetric = (typeof SEQUENCE_EVAL_METRICS)[number];

/** Training options of {@link trainSequenceModel}; every one has a default. */
export interface SequenceModelOptions {
  /** Steps of backpropagation through time per chunk, default 16. */
  readonly sequenceLength?: number;
  /** Hidden units, default 16. */
  readonly hidden?: number;
  /** Dropout on the state fed to the output layer, 0..0.9, default 0. */
  readonly dropout?: number;
  /** Passes over the training users, default 20. */
  readonly epochs?: number;
  /** Adam step size, default 0.01. */
  readonly learningRate?: number;
  /** Chunks per Adam step, default 32. */
  readonly batchSize?: number;
  /** Stop after this many epochs without a better validation metric (0: never), default 3. */
  readonly earlyStoppingRounds?: number;
  /** Share of users held out for validation, 0..0.9, default 0.2 (0: no validation). */
  readonly validationFraction?: number;
  /** Validation metric, default 'logloss' (weighted like the training loss). */
  readonly evalMetric?: SequenceEvalMetric;
  /** Loss weight of malicious events ('balanced': negatives / positives), default 1. */
  readonly positiveWeight?: number | 'balanced';
  /** Global gradient-norm clip per step (0: none), default 5. */
  readonly gradientClip?: number;
  /** Seed of initialisation, shuffling, dropout and the validation split, default 1. */
  readonly seed?: number;
  /** Event-type vocabulary (default: the types of the training events, sorted). */
  readonly eventTypes?: readonly string[];
}

/** Resolved training options, kept in the package. */
export interface SequenceModelParams {
  readonly sequenceLength: number;
  readonly hidden: number;
  readonly dropout: number;
  readonly epochs: number;
  readonly learningRate: number;
  readonly batchSize: number;
  readonly earlyStoppingRounds: number;
  readonly validationFraction: number;
  readonly evalMetric: SequenceEvalMetric;
  readonly positiveWeight: number;
  readonly gradientClip: number;
  readonly seed: number;
}

/** One epoch of training. */
export interface SequenceEpoch {
  readonly epoch: number;
  /** Mean weighted log-loss over the training events. */
  readonly trainLoss: number;
  /** Validation metric (NaN without validation). */
  readonly validation: number;
}

/** Package format name and version written by {@link SequenceModel.toJSON}. */
export const SEQUENCE_MODEL_FORMAT = 'vigil.sequence-gru';
/** Version of the sequence model package format. */
export const SEQUENCE_MODEL_VERSION = 1;

/** The JSON-able saved form of a sequence model. */
export interface SequenceModelPackage {
  readonly format: typeof SEQUENCE_MODEL_FORMAT;
  readonly version: typeof SEQUENCE_MODEL_VERSION;
  readonly inputs: number;
  readonly hidden: number;
  readonly eventTypes: readonly string[];
  /** logAmountMean, logAmountStd, logGapMean, logGapStd. */
  readonly scaling: readonly [number, number, number, number];
  readonly params: SequenceModelParams;
  readonly bestEpoch: number;
  /** Float64 parameters, little-endian base64. */
  readonly theta: string;
  readonly checksum: number;
}

/** A trained sequence model. */
export interface SequenceModel {
  readonly kind: 'gru';
  readonly params: SequenceModelParams;
  readonly layout: GruLayout;
  readonly encoder: SequenceEncoder;
  /** The parameters (read them, do not write). */
  readonly theta: Float64Array;
  /** Epoch whose parameters were kept (the best validation epoch). */
  readonly bestEpoch: number;
  /** Per-epoch losses (empty for a loaded model). */
  readonly history: readonly SequenceEpoch[];
  /**
   * Probability of every event of one user's events (oldest first) being malicious, from a
   * fresh state (the first event counts as the user's first).
   */
  predictSequence(events: readonly SequenceEvent[]): Float64Array;
  toJSON(): SequenceModelPackage;
}

function num(name: string, v: unknown, lo: number, hi: number, integer: boolean): number {
  if (typeof v !== 'number' || Number.isNaN(v) || v < lo || v > hi || (integer && !Number.isInteger(v))) {
    throw new Error(
      `sequence model: ${name} must be ${integer ? 'an integer' : 'a number'} in [${lo}, ${hi}], got ${String(v)}`,
    );
  }
  return v;
}

function isEvalMetric(x: unknown): x is SequenceEvalMetric {
  return typeof x === 'string' && (SEQUENCE_EVAL_METRICS as readonly string[]).includes(x);
}

/**
 * Resolves and checks options (positive weight 'balanced' needs the class counts).
 * @example resolveSequenceParams({ hidden: 8 }, 100, 5).sequenceLength; // 16
 */
export function resolveSequenceParams(
  o: SequenceModelOptions,
  negatives: number,
  positives: number,
): SequenceModelParams {
  const metric = o.evalMetric ?? 'logloss';
  if (!isEvalMetric(metric)) throw new Error(`sequence model: unknown evalMetric ${String(metric)}`);
  const pw = o.positiveWeight ?? 1;
  return {
    sequenceLength: num('sequenceLength', o.sequenceLength ?? 16, 1, 4096, true),
    hidden: num('hidden', o.hidden ?? 16, 1, 1024, true),
    dropout: num('dropout', o.dropout ?? 0, 0, 0.9, false),
    epochs: num('epochs', o.epochs ?? 20, 1, 100_000, true),
    learningRate: num('learningRate', o.learningRate ?? 0.01, 1e-7, 10, false),
    batchSize: num('batchSize', o.batchSize ?? 32, 1, 1_000_000, true),
    earlyStoppingRounds: num('earlyStoppingRounds', o.earlyStoppingRounds ?? 3, 0, 100_000, true),
    validationFraction: num('validationFraction', o.validationFraction ?? 0.2, 0, 0.9, false),
    evalMetric: metric,
    positiveWeight:
      pw === 'balanced'
        ? Math.max(1e-9, negatives / Math.max(1, positives))
        : num('positiveWeight', pw, 1e-9, 1e9, false),
    gradientClip: num('gradientClip', o.gradientClip ?? 5, 0, 1e9, false),
    seed: num('seed', o.seed ?? 1, 0, 0xffffffff, true),
  };
}

interface UserRun {
  readonly start: number;
  readonly length: number;
}

/** Encoded events, grouped by user (each user's events contiguous, in time order). */
interface EncodedStream {
  readonly xs: Float64Array;
  readonly labels: Uint8Array;
  readonly runs: readonly UserRun[];
}

function fitScaling(
  events: readonly SequenceTrainingEvent[],
  groups: readonly (readonly number[])[],
): SequenceScaling {
  let n = 0;
  let sa = 0;
  let saa = 0;
  let sg = 0;
  let sgg = 0;
  for (const g of groups) {
    let prev: number | undefined;
    for (const i of g) {
      const e = events[i]!;
      const a = logAmount(e.amount);
      const gap = logGap(e.at, prev);
      prev = prev === undefined || e.at > prev ? e.at : prev;
      n++;
      sa += a;
      saa += a * a;
      sg += gap;
      sgg += gap * gap;
    }
  }
  const std = (s: number, ss: number): number => {
    const v = ss / n - (s / n) ** 2;
    return v > 1e-12 ? Math.sqrt(v) : 1;
  };
  return { logAmountMean: sa / n, logAmountStd: std(sa, saa), logGapMean: sg / n, logGapStd: std(sg, sgg) };
}

function encodeGroups(
  events: readonly SequenceTrainingEvent[],
  groups: readonly (readonly number[])[],
  enc: SequenceEncoder,
): EncodedStream {
  let total = 0;
  for (const g of groups) total += g.length;
  const D = enc.inputs;
  const xs = new Float64Array(total * D);
  const labels = new Uint8Array(total);
  const runs: UserRun[] = [];
  let row = 0;
  for (const g of groups) {
    runs.push({ start: row, length: g.length });
    let prev: number | undefined;
    for (const i of g) {
      const e = events[i]!;
      enc.encode(e, prev, xs, row * D);
      labels[row] = e.label;
      prev = prev === undefined || e.at > prev ? e.at : prev;
      row++;
    }
  }
  return { xs, labels, runs };
}

/** Scores every event of an encoded stream, each user from a fresh state. */
function scoreStream(theta: Float64Array, l: GruLayout, s: EncodedStream): Float64Array {
  const out = new Float64Array(s.labels.length);
  const h = new Float64Array(l.hidden);
  const tmp = new Float64Array(3 * l.hidden);
  for (const run of s.runs) {
    h.fill(0);
    for (let t = 0; t < run.length; t++) {
      const row = run.start + t;
      out[row] = gruStep(theta, l, s.xs, row * l.inputs, h, tmp);
    }
  }
  return out;
}

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

/** Validation metric oriented so that lower is better. */
function validationLoss(logits: Float64Array, labels: Uint8Array, p: SequenceModelParams): number {
  let pos = 0;
  for (let i = 0; i < labels.length; i++) pos += labels[i]!;
  const metric = pos === 0 || pos === labels.length ? 'logloss' : p.evalMetric;
  if (metric === 'logloss') {
    let loss = 0;
    let weight = 0;
    for (let i = 0; i < labels.length; i++) {
      const w = labels[i] === 1 ? p.positiveWeight : 1;
      loss += logLossOfLogit(logits[i]!, labels[i]!, w);
      weight += w;
    }
    return loss / weight;
  }
  return metric === 'auc' ? -rocAuc(logits, labels) : -averagePrecision(logits, labels);
}

function createModel(
  params: SequenceModelParams,
  encoder: SequenceEncoder,
  theta: Float64Array,
  bestEpoch: number,
  history: readonly SequenceEpoch[],
): SequenceModel {
  const layout = gruLayout({ inputs: encoder.inputs, hidden: params.hidden });
  if (theta.length !== layout.size)
    throw new Error(`sequence model: ${theta.length} parameters, expected ${layout.size}`);
  const tmp = new Float64Array(3 * layout.hidden);
  return {
    kind: 'gru',
    params,
    layout,
    encoder,
    theta,
    bestEpoch,
    history,
    predictSequence(events) {
      const x = new Float64Array(layout.inputs);
      const h = new Float64Array(layout.hidden);
      const out = new Float64Array(events.length);
      let prev: number | undefined;
      for (let t = 0; t < events.length; t++) {
        const e = events[t]!;
        encoder.encode(e, prev, x, 0);
        prev = prev === undefined || e.at > prev ? e.at : prev;
        out[t] = sigmoid(gruStep(theta, layout, x, 0, h, tmp));
      }
      return out;
    },
    toJSON() {
      const s = encoder.scaling;
      const body = {
        inputs: layout.inputs,
        hidden: layout.hidden,
        eventTypes: [...encoder.eventTypes],
        scaling: [s.logAmountMean, s.logAmountStd, s.logGapMean, s.logGapStd] as const,
        params,
        bestEpoch,
        theta: encodeFloat64(theta),
      };
      return {
        format: SEQUENCE_MODEL_FORMAT,
        version: SEQUENCE_MODEL_VERSION,
        ...body,
        checksum: packageChecksum(body),
      };
    },
  };
}

function packageChecksum(b: {
  inputs: number;
  hidden: number;
  eventTypes: readonly string[];
  scaling: readonly number[];
  params: SequenceModelParams;
  bestEpoch: number;
  theta: string;
}): number {
  const p = b.params;
  const canon = [
    SEQUENCE_MODEL_FORMAT,
    SEQUENCE_MODEL_VERSION,
    b.inputs,
    b.hidden,
    b.eventTypes.join('\u0001'),
    b.scaling.join(','),
    p.sequenceLength,
    p.hidden,
    p.dropout,
    p.epochs,
    p.learningRate,
    p.batchSize,
    p.earlyStoppingRounds,
    p.validationFraction,
    p.evalMetric,
    p.positiveWeight,
    p.gradientClip,
    p.seed,
    b.bestEpoch,
    b.theta,
  ].join('|');
  return checksumString(canon);
}

/**
 * Trains a GRU sequence model on a labelled event stream (any order; each user's events are
 * sorted by time). Throws on an empty stream, labels other than 0/1, a non-finite time, a
 * single class or bad options.
 * @example
 * const model = trainSequenceModel(events, { hidden: 16, sequenceLength: 16, epochs: 10, positiveWeight: 'balanced' });
 * createSequenceScorer(model).score('u1', { type: 'withdrawal', at, amount: 900 });
 */
export function trainSequenceModel(
  events: readonly SequenceTrainingEvent[],
  options: SequenceModelOptions = {},
): SequenceModel {
  if (events.length === 0) throw new Error('sequence model: no training events');
  const byUser = new Map<string, number[]>();
  let positives = 0;
  for (let i = 0; i < events.length; i++) {
    const e = events[i]!;
    if (e.label !== 0 && e.label !== 1)
      throw new Error(`sequence model: event ${i} has label ${e.label}, expected 0 or 1`);
    if (!Number.isFinite(e.at)) throw new Error(`sequence model: event ${i} has a non-finite time`);
    if (typeof e.user !== 'string' || typeof e.type !== 'string')
      throw new Error(`sequence model: event ${i} needs a user and a type`);
    positives += e.label;
    let g = byUser.get(e.user);
    if (g === undefined) byUser.set(e.user, (g = []));
    g.push(i);
  }
  if (positives === 0 || positives === events.length) {
    throw new Error(
      `sequence model: every training event is ${positives === 0 ? 'normal' : 'malicious'}; both classes are needed`,
    );
  }
  const params = resolveSequenceParams(options, events.length - positives, positives);
  const groups = [...byUser.values()];
  for (const g of groups) g.sort((a, b) => events[a]!.at - events[b]!.at || a - b);

  // validation split by whole users
  const rnd = createSeededRandom(params.seed);
  const next = (): number => rnd.next();
  const shuffled = groups.slice();
  for (let i = shuffled.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
  }
  let nVal = Math.floor(shuffled.length * params.validationFraction);
  if (nVal >= shuffled.length) nVal = shuffled.length - 1;
  const valGroups = shuffled.slice(0, nVal);
  const trainGroups = shuffled.slice(nVal);
  let trainPos = 0;
  for (const g of trainGroups) for (const i of g) trainPos += events[i]!.label;
  if (trainPos === 0)
    throw new Error('sequence model: the training users hold no malicious event; lower validationFraction');

  const vocab =
    options.eventTypes ?? [...new Set(trainGroups.flatMap((g) => g.map((i) => events[i]!.type)))].sort();
  const encoder = createSequenceEncoder(vocab, fitScaling(events, trainGroups));
  const train = encodeGroups(events, trainGroups, encoder);
  const val = nVal > 0 ? encodeGroups(events, valGroups, encoder) : undefined;
  const layout = gruLayout({ inputs: encoder.inputs, hidden: params.hidden });
  const H = layout.hidden;
  const L = params.sequenceLength;
  const trainN = train.labels.length;
  const weights = new Float64Array(trainN);
  for (let i = 0; i < trainN; i++) weights[i] = train.labels[i] === 1 ? params.positiveWeight : 1;
  const posW = trainPos * params.positiveWeight;
  const theta = initGruParams(layout, next, Math.log(posW / (trainN - trainPos)));
  const grad = new Float64Array(layout.size);
  const adam = createAdamState(layout.size);
  const ws = createGruWorkspace(layout, L);
  const masks = params.dropout > 0 ? new Float64Array(L * H) : undefined;
  const keep = 1 - params.dropout;
  const h = new Float64Array(H);

  let best = Float64Array.from(theta);
  let bestScore = Infinity;
  let bestEpoch = 0;
  let since = 0;
  const history: SequenceEpoch[] = [];
  const order = train.runs.slice();
  for (let epoch = 1; epoch <= params.epochs; epoch++) {
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(next() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    let lossSum = 0;
    let weightSum = 0;
    let batchChunks = 0;
    let batchWeight = 0;
    grad.fill(0);
    for (const run of order) {
      h.fill(0);
      for (let off = 0; off < run.length; off += L) {
        const len = Math.min(L, run.length - off);
        if (masks !== undefined) {
          for (let k = 0; k < len * H; k++) masks[k] = next() < keep ? 1 / keep : 0;
        }
        const chunk = {
          xs: train.xs,
          offset: run.start + off,
          length: len,
          labels: train.labels,
          weights,
          ...(masks === undefined ? {} : { masks }),
        };
        lossSum += gruChunkGradient(theta, layout, ws, chunk, h, grad, h);
        for (let t = 0; t < len; t++) batchWeight += weights[run.start + off + t]!;
        batchChunks++;
        if (batchChunks === params.batchSize) {
          adamStep(theta, grad, adam, params.learningRate, 1 / batchWeight, params.gradientClip);
          weightSum += batchWeight;
          grad.fill(0);
          batchChunks = 0;
          batchWeight = 0;
        }
      }
    }
    if (batchChunks > 0) {
      adamStep(theta, grad, adam, params.learningRate, 1 / batchWeight, params.gradientClip);
      weightSum += batchWeight;
      grad.fill(0);
    }
    const trainLoss = lossSum / weightSum;
    if (!Number.isFinite(trainLoss))
      throw new Error(`sequence model: training diverged at epoch ${epoch}; lower learningRate`);
    const score =
      val === undefined ? trainLoss : validationLoss(scoreStream(theta, layout, val), val.labels, params);
    history.push({ epoch, trainLoss, validation: val === undefined ? NaN : score });
    if (score < bestScore) {
      bestScore = score;
      best = Float64Array.from(theta);
      bestEpoch = epoch;
      since = 0;
    } else if (val !== undefined && params.earlyStoppingRounds > 0 && ++since >= params.earlyStoppingRounds)
      break;
  }
  return createModel(
    params,
    encoder,
    val === undefined ? theta : best,
    val === undefined ? history.length : bestEpoch,
    history,
  );
}

/**
 * Loads a package written by {@link SequenceModel.toJSON}, validating every field and the
 * checksum; throws `corrupt sequence model package: <reason>`.
 * @example const model = loadSequenceModel(JSON.parse(text));
 */
export function loadSequenceModel(pkg: unknown): SequenceModel {
  const r = createPackageReader(pkg, 'sequence model');
  if (r.string('format') !== SEQUENCE_MODEL_FORMAT) r.fail(`format is not ${SEQUENCE_MODEL_FORMAT}`);
  if (r.int('version', 1) !== SEQUENCE_MODEL_VERSION)
    r.fail(`version ${String(r.record['version'])} is not supported`);
  const hidden = r.int('hidden', 1, 1024);
  const inputs = r.int('inputs', 5, 1_000_000);
  const typesRaw = r.record['eventTypes'];
  if (!Array.isArray(typesRaw) || typesRaw.length !== inputs - 4) {
    return r.fail(`eventTypes is not a list of ${inputs - 4} names`);
  }
  const eventTypes: string[] = [];
  for (const t of typesRaw)
    eventTypes.push(typeof t === 'string' ? t : r.fail('eventTypes holds a non-string'));
  if (new Set(eventTypes).size !== eventTypes.length) r.fail('eventTypes holds a duplicate');
  const sc = r.record['scaling'];
  if (!Array.isArray(sc) || sc.length !== 4) return r.fail('scaling is not a list of 4 numbers');
  const s: number[] = [];
  for (const v of sc) {
    s.push(typeof v === 'number' && Number.isFinite(v) ? v : r.fail('scaling holds a non-finite value'));
  }
  if (!(s[1]! > 0 && s[3]! > 0)) r.fail('scaling has a non-positive standard deviation');
  const pr = r.object('params');
  const n = (k: string): number => {
    const v = pr[k];
    return typeof v === 'number' ? v : NaN;
  };
  const metric = pr['evalMetric'];
  if (!isEvalMetric(metric)) return r.fail('params.evalMetric is missing or malformed');
  let params: SequenceModelParams;
  try {
    params = resolveSequenceParams(
      {
        sequenceLength: n('sequenceLength'),
        hidden: n('hidden'),
        dropout: n('dropout'),
        epochs: n('epochs'),
        learningRate: n('learningRate'),
        batchSize: n('batchSize'),
        earlyStoppingRounds: n('earlyStoppingRounds'),
        validationFraction: n('validationFraction'),
        evalMetric: metric,
        positiveWeight: n('positiveWeight'),
        gradientClip: n('gradientClip'),
        seed: n('seed'),
      },
      1,
      1,
    );
  } catch (e) {
    return r.fail(`params: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (params.hidden !== hidden) r.fail('params.hidden differs from hidden');
  const bestEpoch = r.int('bestEpoch', 0, params.epochs);
  const layout = gruLayout({ inputs, hidden });
  const theta = r.float64('theta', layout.size);
  for (let i = 0; i < theta.length; i++)
    if (!Number.isFinite(theta[i]!)) r.fail(`theta holds a non-finite value at ${i}`);
  const checksum = r.number('checksum');
  const expected = packageChecksum({
    inputs,
    hidden,
    eventTypes,
    scaling: s,
    params,
    bestEpoch,
    theta: r.string('theta'),
  });
  if (checksum !== expected) r.fail('checksum does not match the content');
  const encoder = createSequenceEncoder(eventTypes, {
    logAmountMean: s[0]!,
    logAmountStd: s[1]!,
    logGapMean: s[2]!,
    logGapStd: s[3]!,
  });
  return createModel(params, encoder, theta, bestEpoch, []);
}
