import {
  compileLiveFeatures,
  compilePlan,
  createMemoryFeatureStore,
  createTable,
  evaluationReport,
  isDataError,
  loadModelPackage,
  loadSequencePackage,
  parseModelPackage,
  parseCsv,
  parseNdjson,
  psiLevel,
  psiReport,
  TRAINABLE_KINDS,
  trainModelPackage,
  trainSequencePackage,
  type Cell,
  type DataTable,
  type ModelPackage,
  type VigilEvent,
} from '@vigil/engine';
import type { Clock } from '../../clock.js';
import { DomainError } from '../../errors.js';
import type { Db } from '../../storage/database.js';
import { parseStoredJson } from '../../storage/json.js';
import { shieldKysely } from '../../storage/shield-tables.js';
import { ulid } from '../../storage/ulid.js';
import type { WebhookService } from '../webhooks/webhook.service.js';
import { loadModelHook } from './model-hooks.js';
import { createModelStore, type ModelRecord, type ModelRecordWithPackage } from './model.store.js';
import {
  importOnnxModel,
  OnnxImportError,
  type OnnxImportOptions,
  type OnnxRuntimeOptions,
} from './onnx/onnx-import.js';
import { ONNX_KIND } from './onnx/onnx-package.js';
import { OnnxBindingError, OnnxRuntimeMissingError } from './onnx/onnx-runtime.js';

/** Rows trained inside the request; larger files train as a background job. */
export const SYNC_TRAIN_MAX_ROWS = 50_000;
/** PSI above which a deployed model's live scores count as drifted. */
export const DRIFT_PSI_ALERT = 0.25;
/** Live scores needed before drift is judged. */
export const DRIFT_MIN_SCORES = 50;
/**
 * Default size of the live reference window of a version without training scores (an imported
 * ONNX model): its first this many live scores after it went live or into shadow.
 */
export const DRIFT_REFERENCE_SCORES = 1000;
/** Decisions read per page while a live reference window is gathered. */
const REFERENCE_PAGE = 2000;

/** Label values accepted by `POST /v1/labels`; fraud and chargeback are positives. */
export const FEEDBACK_LABELS = ['fraud', 'chargeback', 'false_positive', 'legit'] as const;
/** One feedback label. */
export type FeedbackLabel = (typeof FEEDBACK_LABELS)[number];
const POSITIVE_LABELS = new Set(['fraud', 'chargeback', 'confirmed_fraud']);
const NEGATIVE_LABELS = new Set(['false_positive', 'legit']);

/** The live features the event-log trainer uses by default (numeric, computable on every event). */
export const DEFAULT_EVENT_FEATURES = [
  'amount',
  'hour',
  'account_age_days',
  'user_count_1h',
  'user_count_1d',
  'user_count_7d',
  'user_amount_sum_1d',
  'amount_z',
  'user_distinct_ips_1d',
  'user_distinct_devices_1d',
  'device_distinct_users_1d',
  'ip_count_1h',
  'ip_distinct_users_1d',
] as const;

/** A stored model as the API shows it. */
export interface ModelView extends Omit<ModelRecord, 'params' | 'metrics'> {
  readonly params: unknown;
  readonly metrics: unknown;
  readonly loadError?: string;
}

/** A training request. */
export interface TrainRequest {
  readonly name: string;
  readonly kind: string;
  readonly label?: string | undefined;
  readonly timeSplit?: string | undefined;
  readonly createdBy: string;
}

/** An ONNX import request (see {@link OnnxImportOptions}). */
export interface OnnxImportRequest extends OnnxImportOptions {
  readonly name: string;
  readonly createdBy: string;
}

/** A background training job as the API shows it. */
export interface TrainJob {
  readonly id: string;
  readonly status: 'running' | 'done' | 'failed';
  readonly phase: string;
  readonly modelId: string | null;
  readonly error: string | null;
  readonly startedAt: number;
  readonly finishedAt: number | null;
}

/** What `GET /v1/models/:id/performance` answers. */
export interface ModelPerformance {
  readonly model: ModelView;
  readonly metrics: unknown;
  readonly live: {
    readonly since: number;
    readonly count: number;
    readonly mean: number | null;
    readonly histogram: readonly number[];
  };
  readonly drift: {
    readonly psi: number;
    readonly level: string;
    readonly reference: DriftReferenceKind;
  } | null;
}

/** One drift finding. */
export interface DriftResult {
  readonly modelId: string;
  readonly appId: string;
  readonly name: string;
  readonly psi: number;
  readonly liveCount: number;
  readonly alerted: boolean;
  /** What the live scores were compared with: the training scores, or the first live ones. */
  readonly reference: DriftReferenceKind;
}

/** Where a drift reference comes from. */
export type DriftReferenceKind = 'training' | 'live';

/** The live reference window of a version, as stored (`models.drift_reference`). */
interface LiveReference {
  readonly scores: readonly number[];
  /** The event seq of the window's last score: later windows start after it. */
  readonly untilSeq: number;
  readonly at: number;
}

function parseLiveReference(text: string): LiveReference | undefined {
  const v = parseJsonOr(text);
  if (typeof v !== 'object' || v === null) return undefined;
  const { scores, untilSeq, at } = v as Record<string, unknown>;
  if (!Array.isArray(scores) || !scores.every((x) => typeof x === 'number' && Number.isFinite(x))) {
    return undefined;
  }
  if (typeof untilSeq !== 'number' || typeof at !== 'number') return undefined;
  return { scores: scores as number[], untilSeq, at };
}

/** The registry, training, feedback and drift. */
export interface ModelService {
  list(appId: string): Promise<readonly ModelView[]>;
  get(appId: string, id: string): Promise<ModelView>;
  /** The package text (CLI export). */
  packageOf(appId: string, id: string): Promise<string>;
  /** Trains from an uploaded CSV/NDJSON: in the request when small, else a job. */
  trainFromFile(
    appId: string,
    format: 'csv' | 'ndjson',
    body: Uint8Array,
    req: TrainRequest,
  ): Promise<{ readonly model: ModelView } | { readonly job: TrainJob }>;
  /** Trains from the app's event log joined with its labels. */
  trainFromEvents(
    appId: string,
    req: TrainRequest & {
      readonly from?: number;
      readonly to?: number;
      readonly features?: readonly string[];
    },
  ): Promise<ModelView>;
  /** Registers an already built package (CLI `--register`). */
  register(appId: string, name: string, pkg: ModelPackage, createdBy: string): Promise<ModelView>;
  /**
   * Imports an ONNX model as a new version (kind onnx) after checking it against its columns:
   * bad options, an unsupported graph or a missing onnxruntime-node are `bad_request`s.
   */
  importOnnx(appId: string, bytes: Uint8Array, req: OnnxImportRequest): Promise<ModelView>;
  job(appId: string, id: string): Promise<TrainJob>;
  deploy(appId: string, id: string): Promise<ModelView>;
  shadow(appId: string, id: string): Promise<ModelView>;
  rollback(appId: string, name: string): Promise<ModelView>;
  performance(appId: string, id: string, since?: number): Promise<ModelPerformance>;
  /**
   * The HTML evaluation report of a version's held-out scores stored at training time (404 when
   * the package keeps none, e.g. an imported model or one trained without labelled test rows).
   */
  report(appId: string, id: string): Promise<string>;
  label(
    appId: string,
    input: {
      readonly eventId?: string;
      readonly user?: string;
      readonly label: FeedbackLabel;
      readonly note?: string;
    },
    createdBy: string,
  ): Promise<{ readonly id: string; readonly eventId: string | null; readonly user: string | null }>;
  /**
   * Checks every deployed and shadow model's live scores (last `windowMs`) against its training
   * scores; a version without any (an imported ONNX model) is checked against its first live
   * scores (the reference window, stored once complete), from the window after it on.
   */
  checkDrift(windowMs?: number): Promise<readonly DriftResult[]>;
  /** Waits for background jobs (tests, shutdown). */
  idle(): Promise<void>;
}

function parseJsonOr(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

function recordOnly(r: ModelRecord | ModelRecordWithPackage): ModelRecord {
  if (!('package' in r)) return r;
  const { package: _p, ...rest } = r;
  return rest;
}

function dataError(err: unknown): never {
  if (isDataError(err)) {
    throw new DomainError('bad_request', err.message, {
      details: err.columns.map((c) => ({ path: `/${c}`, message: err.code })),
      cause: err,
    });
  }
  throw err;
}

/** Kinds `POST /v1/models` and `vigil train` train. */
export const TRAIN_KINDS = [...TRAINABLE_KINDS, 'gru'] as const;
/** One kind trained here. */
export type TrainKind = (typeof TRAIN_KINDS)[number];

function kindOf(kind: string): TrainKind {
  const k = TRAIN_KINDS.find((x) => x === kind);
  if (k === undefined) {
    throw new DomainError('bad_request', `model must be one of ${TRAIN_KINDS.join(', ')}, got '${kind}'`);
  }
  return k;
}

/**
 * Validates a package of any kind as it would be scored (tabular or gru); throws its DataError.
 * @example validateModelPackage(JSON.parse(text));
 */
export function validateModelPackage(pkg: unknown): ModelPackage {
  const envelope = parseModelPackage(pkg);
  return envelope.kind === 'gru' ? loadSequencePackage(envelope).pkg : loadModelPackage(envelope).pkg;
}

function parseTable(format: 'csv' | 'ndjson', body: Uint8Array): DataTable {
  const r = format === 'csv' ? parseCsv(body) : parseNdjson(body);
  if (r.table.rows === 0) {
    const why = r.errors[0] === undefined ? '' : `: ${JSON.stringify(r.errors[0])}`;
    throw new DomainError('bad_request', `the training data has no rows${why}`);
  }
  return r.table;
}

/**
 * Creates the service. `onChange` runs after a deploy, shadow or rollback (the runtime reloads
 * the app's engine there, so the change is live without a restart).
 * @example const models = createModelService({ db, clock, webhooks, onChange: (app) => reload(app) });
 */
export function createModelService(deps: {
  readonly db: Db;
  readonly clock: Clock;
  readonly webhooks?: Pick<WebhookService, 'emit'>;
  readonly onChange?: (appId: string) => Promise<void>;
  /** Wakes the outbox after a drift alert. */
  readonly wake?: () => void;
  readonly failureOf?: (id: string) => string | undefined;
  /** How the optional ONNX runtime is reached (tests inject a missing one). */
  readonly onnx?: OnnxRuntimeOptions;
  /**
   * Live scores in the drift reference window of a version without training scores (default
   * {@link DRIFT_REFERENCE_SCORES}).
   */
  readonly driftReferenceScores?: number;
}): ModelService {
  const { db, clock } = deps;
  const referenceSize = deps.driftReferenceScores ?? DRIFT_REFERENCE_SCORES;
  if (!Number.isSafeInteger(referenceSize) || referenceSize < 10) {
    throw new RangeError(`driftReferenceScores must be a whole number of at least 10, got ${referenceSize}`);
  }
  const store = createModelStore(db);
  const jobs = new Set<Promise<unknown>>();

  const view = (r: ModelRecord | ModelRecordWithPackage): ModelView => {
    // the package (an onnx one holds the whole file) is never part of a view: GET it via packageOf
    const { params, metrics, ...rest } = recordOnly(r);
    const failure = deps.failureOf?.(r.id);
    return {
      ...rest,
      params: parseJsonOr(params),
      metrics: parseJsonOr(metrics),
      ...(failure !== undefined ? { loadError: failure } : {}),
    };
  };

  const find = async (appId: string, id: string): Promise<ModelRecordWithPackage> => {
    const r = await store.get(appId, id);
    if (r === undefined) throw new DomainError('not_found', `no model '${id}' in this app`);
    return r;
  };

  const save = async (appId: string, name: string, pkg: ModelPackage, params: unknown): Promise<ModelView> =>
    view(
      await store.insert({
        appId,
        name,
        kind: pkg.kind,
        params: JSON.stringify(params),
        metrics: JSON.stringify(pkg.metrics),
        package: JSON.stringify(pkg),
        now: clock.now(),
      }),
    );

  const train = (table: DataTable, req: TrainRequest, kind: TrainKind): ModelPackage => {
    try {
      if (kind === 'gru') {
        if (req.label === undefined) {
          throw new DomainError('bad_request', 'a gru model is supervised: name the label column (label=)');
        }
        return trainSequencePackage(table, { label: req.label }).package;
      }
      return trainModelPackage(table, {
        kind,
        ...(req.label !== undefined ? { label: req.label } : {}),
        ...(req.timeSplit !== undefined ? { timeSplit: req.timeSplit } : {}),
      }).package;
    } catch (err) {
      return dataError(err);
    }
  };

  const checkName = (name: string): string => {
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(name)) {
      throw new DomainError('bad_request', 'name must be 1-64 letters, digits, dot, dash or underscore');
    }
    return name;
  };

  const updateJob = async (id: string, status: string, details: Record<string, unknown>, done: boolean) => {
    await db.kysely
      .updateTable('job_runs')
      .set({ status, details: JSON.stringify(details), ...(done ? { finished_at: clock.now() } : {}) })
      .where('id', '=', id)
      .execute();
  };

  const changed = async (appId: string): Promise<void> => {
    await deps.onChange?.(appId);
  };

  /** The version's scores in one stored decision payload. */
  const scoresIn = (r: ModelRecord, payload: string, out: number[]): void => {
    const d = parseStoredJson<{ models?: { model: string; version?: string; score: number }[] }>(payload);
    const version = String(r.version);
    for (const m of d.models ?? []) {
      if (m.model === r.name && m.version === version && Number.isFinite(m.score)) out.push(m.score);
    }
  };

  /** Live scores of a model version from stored decisions since `since` (and after `afterSeq`). */
  const liveScores = async (r: ModelRecord, since: number, afterSeq?: number): Promise<number[]> => {
    let q = db.kysely
      .selectFrom('decisions')
      .select('payload')
      .where('app_id', '=', r.appId)
      .where('created_at', '>=', since);
    if (afterSeq !== undefined) q = q.where('event_seq', '>', afterSeq);
    const rows = await q.orderBy('event_seq', 'desc').limit(20_000).execute();
    const out: number[] = [];
    for (const row of rows) scoresIn(r, row.payload, out);
    return out;
  };

  /** Loads the version's hook once to prove it can score live (then frees it). */
  const checkLoads = async (r: ModelRecordWithPackage, live: boolean, what: string): Promise<void> => {
    try {
      (await loadModelHook(r, live, deps.onnx === undefined ? {} : { onnx: deps.onnx })).dispose();
    } catch (err) {
      throw new DomainError(
        'bad_request',
        `model ${r.id} ${what}: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
  };

  const trainingScores = (r: ModelRecordWithPackage): readonly number[] => {
    // an imported onnx model keeps no training scores: no drift reference
    if (r.package === null || r.kind === ONNX_KIND) return [];
    try {
      return parseModelPackage(r.package).trainingScores;
    } catch {
      return [];
    }
  };

  /**
   * What a version's live scores are checked against: its training scores, else its first
   * `referenceSize` live scores from where it went live or into shadow (stored once complete, so
   * restarts and other servers use the same ones); undefined while the window is not full.
   */
  const driftReference = async (
    r: ModelRecordWithPackage,
  ): Promise<
    | { readonly kind: DriftReferenceKind; readonly scores: readonly number[]; readonly afterSeq?: number }
    | undefined
  > => {
    const training = trainingScores(r);
    if (training.length > 0) return { kind: 'training', scores: training };
    const row = await store.driftReference(r.id);
    if (row === undefined) return undefined;
    if (row.reference !== null) {
      const stored = parseLiveReference(row.reference);
      return stored === undefined
        ? undefined
        : { kind: 'live', scores: stored.scores, afterSeq: stored.untilSeq };
    }
    if (r.status !== 'deployed' && r.status !== 'shadow') return undefined;
    // without a recorded start (a version activated before migration 1030): since its deployment
    const since = row.stateSeq === null ? (r.deployedAt ?? r.createdAt) : undefined;
    const scores: number[] = [];
    let after = row.stateSeq ?? -1;
    let untilSeq = after;
    gather: for (;;) {
      let q = db.kysely
        .selectFrom('decisions')
        .select(['event_seq', 'payload'])
        .where('app_id', '=', r.appId)
        .where('event_seq', '>', after);
      if (since !== undefined) q = q.where('created_at', '>=', since);
      const rows = await q.orderBy('event_seq').limit(REFERENCE_PAGE).execute();
      for (const d of rows) {
        after = Number(d.event_seq);
        const n = scores.length;
        scoresIn(r, d.payload, scores);
        if (scores.length > n) untilSeq = after;
        if (scores.length >= referenceSize) break gather;
      }
      if (rows.length < REFERENCE_PAGE) break;
    }
    if (scores.length < referenceSize) return undefined;
    const reference: LiveReference = { scores: scores.slice(0, referenceSize), untilSeq, at: clock.now() };
    await store.setDriftReference(r.id, JSON.stringify(reference));
    return { kind: 'live', scores: reference.scores, afterSeq: untilSeq };
  };

  const service: ModelService = {
    async list(appId) {
      return (await store.list(appId)).map(view);
    },
    async get(appId, id) {
      return view(await find(appId, id));
    },
    async packageOf(appId, id) {
      const r = await find(appId, id);
      if (r.package === null) throw new DomainError('not_found', `model '${id}' has no package`);
      return r.package;
    },
    async trainFromFile(appId, format, body, req) {
      checkName(req.name);
      const kind = kindOf(req.kind);
      let table: DataTable;
      try {
        table = parseTable(format, body);
      } catch (err) {
        return dataError(err);
      }
      const params = { source: 'upload', format, label: req.label ?? null, timeSplit: req.timeSplit ?? null };
      if (table.rows <= SYNC_TRAIN_MAX_ROWS)
        return { model: await save(appId, req.name, train(table, req, kind), params) };
      const id = ulid(clock.now());
      const startedAt = clock.now();
      await db.kysely
        .insertInto('job_runs')
        .values({
          id,
          job: 'model_train',
          status: 'running',
          started_at: startedAt,
          finished_at: null,
          details: JSON.stringify({ app: appId, phase: 'queued', rows: table.rows }),
        })
        .execute();
      const run = (async () => {
        await new Promise((r) => setImmediate(r));
        await updateJob(id, 'running', { app: appId, phase: 'training', rows: table.rows }, false);
        try {
          const m = await save(appId, req.name, train(table, req, kind), params);
          await updateJob(id, 'done', { app: appId, phase: 'done', rows: table.rows, modelId: m.id }, true);
        } catch (err) {
          const error = err instanceof Error ? err.message : String(err);
          await updateJob(id, 'failed', { app: appId, phase: 'failed', rows: table.rows, error }, true);
        }
      })();
      jobs.add(run);
      void run.finally(() => jobs.delete(run));
      return {
        job: {
          id,
          status: 'running',
          phase: 'queued',
          modelId: null,
          error: null,
          startedAt,
          finishedAt: null,
        },
      };
    },
    async trainFromEvents(appId, req) {
      checkName(req.name);
      const kind = kindOf(req.kind);
      const gru = kind === 'gru';
      // gru reads each event's user, type, amount and time; the tabular kinds read live features
      const columns = gru ? ['user', 'type', 'amount', 'at'] : [...(req.features ?? DEFAULT_EVENT_FEATURES)];
      let set;
      try {
        set = compileLiveFeatures(gru ? [] : columns);
      } catch (err) {
        throw new DomainError('bad_request', err instanceof Error ? err.message : String(err));
      }
      const plan = compilePlan(set.specs);
      const fs = createMemoryFeatureStore();
      const labelRows = await shieldKysely(db)
        .selectFrom('labels')
        .select(['event_id', 'user_id', 'label'])
        .where('app_id', '=', appId)
        .orderBy('created_at')
        .execute();
      const byEvent = new Map<string, number>();
      const byUser = new Map<string, number>();
      for (const l of labelRows) {
        const y = POSITIVE_LABELS.has(l.label) ? 1 : NEGATIVE_LABELS.has(l.label) ? 0 : undefined;
        if (y === undefined) continue;
        if (l.event_id !== null) byEvent.set(l.event_id, y);
        else if (l.user_id !== null) byUser.set(l.user_id, y);
      }
      const cols: Cell[][] = columns.map(() => []);
      const labels: Cell[] = [];
      const record: Record<string, Cell> = {};
      let after = -1;
      for (;;) {
        let q = db.kysely
          .selectFrom('events')
          .select(['seq', 'id', 'user_id', 'payload'])
          .where('app_id', '=', appId)
          .where('seq', '>', after);
        if (req.from !== undefined) q = q.where('at', '>=', req.from);
        if (req.to !== undefined) q = q.where('at', '<', req.to);
        const rows = await q.orderBy('seq').limit(5000).execute();
        for (const r of rows) {
          after = Number(r.seq);
          const e = parseStoredJson<VigilEvent>(r.payload);
          if (gru) {
            if (e.user === undefined) continue;
            cols[0]!.push(e.user);
            cols[1]!.push(e.type);
            cols[2]!.push(e.amount ?? null);
            cols[3]!.push(e.at);
          } else {
            set.fill(e, fs.evaluate(plan, e), record);
            for (let c = 0; c < columns.length; c++) cols[c]!.push(record[columns[c]!] ?? null);
          }
          labels.push(byEvent.get(r.id) ?? (r.user_id === null ? undefined : byUser.get(r.user_id)) ?? 0);
        }
        if (rows.length < 5000) break;
      }
      if (labels.length === 0) throw new DomainError('bad_request', 'no events in the chosen period');
      // default features the app's events never carry (no device, no IP) are left out
      const keep = columns
        .map((c, i) => i)
        .filter((i) => gru || req.features !== undefined || cols[i]!.some((v) => v !== null));
      const table = createTable(
        [...keep.map((i) => columns[i]!), 'label'],
        [...keep.map((i) => cols[i]!), labels],
      );
      const label = kind === 'iforest' && !labels.includes(1) ? undefined : 'label';
      const pkg = train(table, { ...req, label }, kind);
      return save(appId, req.name, pkg, {
        source: 'events',
        from: req.from ?? null,
        to: req.to ?? null,
        features: keep.map((i) => columns[i]!),
        events: labels.length,
      });
    },
    async register(appId, name, pkg, createdBy) {
      checkName(name);
      try {
        validateModelPackage(JSON.parse(JSON.stringify(pkg)));
      } catch (err) {
        return dataError(err);
      }
      return save(appId, name, pkg, { source: 'cli', createdBy });
    },
    async importOnnx(appId, bytes, req) {
      checkName(req.name);
      let pkg;
      try {
        pkg = await importOnnxModel(bytes, req, deps.onnx);
      } catch (err) {
        if (err instanceof OnnxImportError) {
          throw new DomainError('bad_request', err.message, { details: err.details, cause: err });
        }
        if (err instanceof OnnxRuntimeMissingError || err instanceof OnnxBindingError) {
          throw new DomainError('bad_request', err.message, {
            details: [{ path: '/runtime', message: 'onnxruntime-node is not installed or not usable' }],
            cause: err,
          });
        }
        throw err;
      }
      return view(
        await store.insert({
          appId,
          name: req.name,
          kind: ONNX_KIND,
          params: JSON.stringify({
            source: 'import',
            format: 'onnx',
            file: req.file ?? null,
            sha256: pkg.sha256,
            bytes: bytes.length,
            columns: pkg.features,
            output: pkg.output,
            createdBy: req.createdBy,
          }),
          metrics: 'null',
          package: JSON.stringify(pkg),
          now: clock.now(),
        }),
      );
    },
    async job(appId, id) {
      const r = await db.kysely.selectFrom('job_runs').selectAll().where('id', '=', id).executeTakeFirst();
      const d = r?.details == null ? null : parseJsonOr(r.details);
      const details = typeof d === 'object' && d !== null ? (d as Record<string, unknown>) : {};
      if (r === undefined || r.job !== 'model_train' || details['app'] !== appId) {
        throw new DomainError('not_found', `no training job '${id}' in this app`);
      }
      const s = r.status === 'done' || r.status === 'failed' ? r.status : 'running';
      return {
        id,
        status: s,
        phase: typeof details['phase'] === 'string' ? details['phase'] : s,
        modelId: typeof details['modelId'] === 'string' ? details['modelId'] : null,
        error: typeof details['error'] === 'string' ? details['error'] : null,
        startedAt: Number(r.started_at),
        finishedAt: r.finished_at === null ? null : Number(r.finished_at),
      };
    },
    async deploy(appId, id) {
      const r = await find(appId, id);
      await checkLoads(r, true, 'cannot be deployed');
      const now = clock.now();
      await db.transaction(async (tx) => {
        const s = createModelStore(tx);
        for (const other of await s.list(appId, r.name)) {
          if (other.id !== id && other.status === 'deployed') await s.setStatus(other.id, 'retired', now);
        }
        await s.setStatus(id, 'deployed', now);
      });
      await changed(appId);
      return view(await find(appId, id));
    },
    async shadow(appId, id) {
      const r = await find(appId, id);
      await checkLoads(r, false, 'cannot run in shadow mode');
      const now = clock.now();
      await db.transaction(async (tx) => {
        const s = createModelStore(tx);
        for (const other of await s.list(appId, r.name)) {
          if (other.id !== id && other.status === 'shadow') await s.setStatus(other.id, 'trained', now);
        }
        await s.setStatus(id, 'shadow', now);
      });
      await changed(appId);
      return view(await find(appId, id));
    },
    async rollback(appId, name) {
      const versions = await store.list(appId, name);
      if (versions.length === 0) throw new DomainError('not_found', `no model named '${name}' in this app`);
      const current = versions.find((v) => v.status === 'deployed');
      const previous = versions
        .filter((v) => v.status === 'retired' && v.deployedAt !== null && v.id !== current?.id)
        .sort((a, b) => (b.deployedAt ?? 0) - (a.deployedAt ?? 0) || b.version - a.version)[0];
      if (previous === undefined) {
        throw new DomainError(
          'conflict',
          `model '${name}' has no previously deployed version to roll back to`,
        );
      }
      const now = clock.now();
      await db.transaction(async (tx) => {
        const s = createModelStore(tx);
        if (current !== undefined) await s.setStatus(current.id, 'retired', now);
        await s.setStatus(previous.id, 'deployed', now);
      });
      await changed(appId);
      return view(await find(appId, previous.id));
    },
    async performance(appId, id, since) {
      const r = await find(appId, id);
      const from = since ?? clock.now() - 24 * 3_600_000;
      const live = await liveScores(r, from);
      const reference = await driftReference(r);
      // a live reference is compared with the scores after its window only
      const compared =
        reference?.afterSeq === undefined ? live : await liveScores(r, from, reference.afterSeq);
      const histogram = new Array<number>(10).fill(0);
      let sum = 0;
      for (const s of live) {
        histogram[Math.min(9, Math.floor(s * 10))]!++;
        sum += s;
      }
      const drift =
        compared.length > 0 && reference !== undefined
          ? (() => {
              const psi = psiReport(reference.scores, compared).psi;
              return { psi, level: psiLevel(psi), reference: reference.kind };
            })()
          : null;
      return {
        model: view(r),
        metrics: parseJsonOr(r.metrics),
        live: {
          since: from,
          count: live.length,
          mean: live.length > 0 ? sum / live.length : null,
          histogram,
        },
        drift,
      };
    },
    async report(appId, id) {
      const r = await find(appId, id);
      if (r.package === null) throw new DomainError('not_found', `model '${id}' has no package`);
      if (r.kind === ONNX_KIND) {
        throw new DomainError(
          'not_found',
          `model '${id}' is an imported ONNX model and keeps no held-out scores`,
        );
      }
      let pkg: ModelPackage;
      try {
        pkg = parseModelPackage(r.package);
      } catch (err) {
        throw new DomainError('not_found', `model '${id}' has no readable package: ${String(err)}`);
      }
      const ev = pkg.evaluation;
      if (ev === undefined) {
        throw new DomainError('not_found', `model '${id}' keeps no held-out scores to report on`);
      }
      try {
        return evaluationReport({
          scores: ev.scores,
          labels: ev.labels,
          threshold: ev.threshold,
          title: `${r.name} v${r.version} (${pkg.kind}): held-out evaluation`,
          modelName: `${r.name} v${r.version}`,
          generatedAt: clock.now(),
          dataset: `held-out split (${pkg.training.split}), ${ev.scores.length} rows kept`,
        }).html;
      } catch (err) {
        throw new DomainError(
          'not_found',
          `model '${id}' has no reportable evaluation: ${err instanceof Error ? err.message : String(err)}`,
        );
      }
    },
    async label(appId, input, createdBy) {
      if ((input.eventId === undefined) === (input.user === undefined)) {
        throw new DomainError('bad_request', 'give exactly one of event_id or user');
      }
      let user = input.user ?? null;
      let decisionSeq: number | null = null;
      if (input.eventId !== undefined) {
        const d = await db.kysely
          .selectFrom('events')
          .leftJoin('decisions', 'decisions.event_seq', 'events.seq')
          .select(['events.user_id', 'decisions.event_seq'])
          .where('events.app_id', '=', appId)
          .where('events.id', '=', input.eventId)
          .executeTakeFirst();
        if (d === undefined) throw new DomainError('not_found', `no event '${input.eventId}' in this app`);
        user = d.user_id;
        decisionSeq = d.event_seq === null ? null : Number(d.event_seq);
      }
      const id = ulid(clock.now());
      await shieldKysely(db)
        .insertInto('labels')
        .values({
          id,
          app_id: appId,
          user_id: user,
          event_id: input.eventId ?? null,
          decision_seq: decisionSeq,
          label: input.label,
          source: 'api',
          case_id: null,
          created_by: createdBy,
          created_at: clock.now(),
        })
        .execute();
      return { id, eventId: input.eventId ?? null, user };
    },
    async checkDrift(windowMs = 3_600_000) {
      const now = clock.now();
      const results: DriftResult[] = [];
      for (const r of await store.active()) {
        const reference = await driftReference(r);
        if (reference === undefined) continue;
        const live = await liveScores(r, now - windowMs, reference.afterSeq);
        if (live.length < DRIFT_MIN_SCORES) continue;
        const psi = psiReport(reference.scores, live).psi;
        const alerted = psi > DRIFT_PSI_ALERT;
        if (alerted) {
          const data = {
            alert: 'model_drift',
            model: { id: r.id, name: r.name, version: r.version, status: r.status },
            psi,
            level: psiLevel(psi),
            liveScores: live.length,
            windowMs,
            reference: reference.kind,
          };
          await db.transaction(async (tx) => {
            await tx.kysely
              .insertInto('alerts')
              .values({
                id: ulid(now),
                app_id: r.appId,
                user_id: null,
                type: 'model_drift',
                severity: 'high',
                decision_seq: null,
                payload: JSON.stringify(data),
                created_at: now,
                acknowledged_at: null,
              })
              .execute();
            await deps.webhooks?.emit(tx, r.appId, 'anomaly.alert', data);
          });
          deps.wake?.();
        }
        results.push({
          modelId: r.id,
          appId: r.appId,
          name: r.name,
          psi,
          liveCount: live.length,
          alerted,
          reference: reference.kind,
        });
      }
      return results;
    },
    async idle() {
      while (jobs.size > 0) await Promise.allSettled([...jobs]);
    },
  };
  return service;
}
