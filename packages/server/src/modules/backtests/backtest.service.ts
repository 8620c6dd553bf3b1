import {
  OUTCOMES,
  RISK_LEVELS,
  createEngine,
  type Engine,
  type EngineConfig,
  type ListLookup,
  type ModelHook,
  type Outcome,
  type RiskLevel,
  type VigilEvent,
} from '@vigil/engine';
import type { Clock } from '../../clock.js';
import { DomainError, type ErrorDetail } from '../../errors.js';
import type { Db } from '../../storage/database.js';
import { parseStoredJson } from '../../storage/json.js';
import { ulid } from '../../storage/ulid.js';
import { createAppService } from '../apps/app.service.js';
import { parseConfigDocument } from '../config/config-document.js';
import { createConfigService, type ConfigService } from '../config/config.service.js';
import {
  BACKTEST_BASELINES,
  DEFAULT_BACKTEST_COSTS,
  createBacktestAccumulator,
  labelClass,
  type BacktestBaseline,
  type BacktestCosts,
  type LabelClass,
} from './backtest-report.js';
import { createBacktestStore, type BacktestRecord, type BacktestStore } from './backtest.store.js';

/** Where the service logs (a pino logger fits). */
export interface BacktestLogger {
  error(obj: object, msg: string): void;
}

/** What to replay and how to compare. Times are epoch ms, both bounds inclusive, on the event time. */
export interface BacktestStartOptions {
  readonly from: number;
  readonly to: number;
  /** `config` (default): the app's current configuration replayed the same way; `live`: the stored decisions. */
  readonly baseline?: BacktestBaseline;
  /** Overrides of {@link DEFAULT_BACKTEST_COSTS}. */
  readonly costs?: Partial<BacktestCosts>;
  /** Who asked (audit), e.g. `key:<id>` or `cli`. */
  readonly createdBy?: string;
}

/** Backtests of candidate configurations against the event log, as persisted background jobs. */
export interface BacktestService {
  /**
   * Validates the candidate (every problem with its path: `validation_failed`), the range
   * (`bad_request` when from > to) and the costs, records the job and queues it; returns its id.
   * Throws `app_not_found` for an unknown app.
   */
  start(appId: string, candidate: unknown, opts: BacktestStartOptions): Promise<string>;
  /** A job; `appId` undefined means any app (admin keys). Unknown or another app's: `not_found`. */
  get(id: string, appId: string | undefined): Promise<BacktestRecord>;
  /** Newest first. */
  list(appId: string | undefined, limit?: number): Promise<readonly BacktestRecord[]>;
  /** Re-queues the jobs a previous process left queued or running (they restart from the first event). */
  resume(): Promise<void>;
  /** Resolves when no job is queued or running. */
  idle(): Promise<void>;
  /** Stops after the current slice; an unfinished job stays `running` and is re-run by `resume`. */
  close(): Promise<void>;
}

/** Options of {@link createBacktestService}. */
export interface BacktestServiceOptions {
  /** Events read per query (and per progress update). Default 2000. */
  readonly pageSize?: number;
  /** Longest stretch of scoring before yielding to the event loop (live traffic). Default 8 ms. */
  readonly sliceMs?: number;
}

/** Largest page of {@link BacktestService.list}. @example BACKTEST_LIST_MAX; // 200 */
export const BACKTEST_LIST_MAX = 200;

const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

function isLevel(x: string | null): x is RiskLevel {
  return x !== null && (RISK_LEVELS as readonly string[]).includes(x);
}

function isOutcome(x: string | null): x is Outcome {
  return x !== null && (OUTCOMES as readonly string[]).includes(x);
}

/** Checks a costs object; returns the merged costs or throws `validation_failed` naming each bad field. */
function costsOf(input: unknown): BacktestCosts {
  if (input === undefined) return DEFAULT_BACKTEST_COSTS;
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new DomainError('validation_failed', 'invalid costs', {
      details: [{ path: '/costs', message: 'must be an object' }],
    });
  }
  const problems: ErrorDetail[] = [];
  const out: { -readonly [K in keyof BacktestCosts]: number } = { ...DEFAULT_BACKTEST_COSTS };
  for (const [key, value] of Object.entries(input)) {
    if (key !== 'missedFraudRate' && key !== 'reviewCost' && key !== 'falseBlockCost') {
      problems.push({ path: `/costs/${key}`, message: 'unknown cost' });
      continue;
    }
    if (value === undefined) continue;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      problems.push({ path: `/costs/${key}`, message: 'must be a finite number >= 0' });
      continue;
    }
    out[key] = value;
  }
  if (problems.length > 0) throw new DomainError('validation_failed', 'invalid costs', { details: problems });
  return out;
}

/** The candidate's engine configuration, or `validation_failed` with every problem's path. */
function candidateConfig(candidate: unknown): EngineConfig {
  const parsed = parseConfigDocument(candidate);
  if (!parsed.ok) {
    throw new DomainError('validation_failed', 'invalid candidate configuration', {
      details: parsed.problems,
    });
  }
  return parsed.value.engine;
}

/**
 * Creates the backtest service. A job replays the app's logged events in log order through two
 * fresh engines, each with its own empty feature store: the candidate and (baseline `config`) the
 * configuration in force when the job started. Every event up to the last one with event time
 * `<= to` is replayed, so features are warmed exactly as live (events before `from` included);
 * only events with `from <= at <= to` are compared. Labels: an event's own newest label, else its
 * user's newest user-level label (see `labelClass`). Jobs run one at a time in short slices on the
 * event loop; progress is stored after every page.
 *
 * Differences from live scoring, by design: the server-side shield detectors (shared intelligence,
 * false-positive discounts) do not run on either side, list entries are those in force now, and
 * entities shared with other apps (an IP, a device) only see this app's events.
 * @example
 * const backtests = createBacktestService({ db, clock, lists: registry });
 * const id = await backtests.start(appId, { rules: [...] }, { from, to });
 * await backtests.idle(); (await backtests.get(id, appId)).result?.users.newlyBlocked;
 */
export function createBacktestService(
  deps: {
    readonly db: Db;
    readonly clock: Clock;
    /** The app's block/allow lists (the server's list registry). Default: nothing listed. */
    readonly lists?: { forApp(appId: string): ListLookup };
    /** Configurations in force. Default: read from the database. */
    readonly configs?: Pick<ConfigService, 'get'>;
    /** Deployed models per app, given to both engines. Default none. */
    readonly models?: (appId: string) => readonly ModelHook[];
    readonly logger?: BacktestLogger;
    readonly store?: BacktestStore;
  },
  opts: BacktestServiceOptions = {},
): BacktestService {
  const { clock } = deps;
  const store = deps.store ?? createBacktestStore(deps.db);
  const configs =
    deps.configs ??
    createConfigService({ db: deps.db, clock, apps: createAppService({ db: deps.db, clock }) });
  const pageSize = opts.pageSize ?? 2000;
  const sliceMs = opts.sliceMs ?? 8;
  const queue: string[] = [];
  let running: Promise<void> | undefined;
  let stopping = false;

  function kick(): void {
    if (running !== undefined || stopping || queue.length === 0) return;
    running = (async () => {
      while (queue.length > 0 && !stopping) {
        const id = queue.shift()!;
        try {
          await runJob(id);
        } catch (err) {
          deps.logger?.error({ err, backtest: id }, 'backtest failed');
          if (!stopping) {
            await store
              .fail(id, clock.now(), err instanceof Error ? err.message : String(err))
              .catch((e: unknown) =>
                deps.logger?.error({ err: e, backtest: id }, 'recording a backtest failure failed'),
              );
          }
        }
      }
    })().finally(() => {
      running = undefined;
      kick();
    });
  }

  function engineFor(appId: string, config: EngineConfig): Engine {
    const lists = deps.lists?.forApp(appId);
    const models = deps.models?.(appId);
    return createEngine({
      config,
      ...(lists !== undefined ? { lists } : {}),
      ...(models !== undefined ? { models } : {}),
    });
  }

  async function runJob(id: string): Promise<void> {
    const job = await store.get(id);
    if (job === undefined || job.status === 'done' || job.status === 'failed') return;
    const { appId } = job;
    const candidate = engineFor(appId, candidateConfig(job.candidate));
    const baseline =
      job.baseline === 'config'
        ? engineFor(appId, (await configs.get(appId, job.baselineVersion)).engine)
        : undefined;
    const labels = await store.labels(appId);
    const { lastSeq, total } = await store.replayBound(appId, job.to);
    await store.markRunning(id, clock.now(), total);
    const acc = createBacktestAccumulator(job.costs);
    let processed = 0;
    let after = 0;
    let sliceStart = performance.now();
    while (after < lastSeq) {
      const rows = await store.readEvents(appId, after, lastSeq, pageSize);
      if (rows.length === 0) break;
      for (const r of rows) {
        after = r.seq;
        processed++;
        const event = parseStoredJson<VigilEvent>(r.payload);
        const c = candidate.score(event, r.receivedAt);
        const b = baseline?.score(event, r.receivedAt);
        if (r.at < job.from || r.at > job.to) {
          acc.warmup();
        } else {
          let base: { level: RiskLevel; outcome: Outcome } | undefined;
          if (b !== undefined) base = { level: b.level, outcome: b.outcome };
          else if (isLevel(r.liveLevel) && isOutcome(r.liveOutcome))
            base = { level: r.liveLevel, outcome: r.liveOutcome };
          if (base === undefined) acc.missingBaseline();
          else {
            let label: LabelClass | undefined;
            let source: 'event' | 'user' | undefined;
            const own = labels.byEvent.get(r.id);
            if (own !== undefined) {
              label = labelClass(own);
              source = 'event';
            }
            if (label === undefined && r.userId !== null) {
              const userLabel = labels.byUser.get(r.userId);
              if (userLabel !== undefined) {
                label = labelClass(userLabel);
                source = 'user';
              }
            }
            acc.add({
              user: r.userId ?? undefined,
              amount: event.amount,
              baseline: base,
              candidate: { level: c.level, outcome: c.outcome },
              label,
              ...(label !== undefined && source !== undefined ? { labelSource: source } : {}),
            });
          }
        }
        if ((processed & 255) === 0 && performance.now() - sliceStart > sliceMs) {
          await yieldToLoop();
          if (stopping) return;
          sliceStart = performance.now();
        }
      }
      await store.progress(id, processed);
      if (stopping) return;
      if (rows.length < pageSize) break;
    }
    await store.finish(id, clock.now(), processed, acc.report());
  }

  return {
    async start(appId, candidate, o) {
      // the app must exist; the baseline is the configuration in force now
      const current = await configs.get(appId);
      candidateConfig(candidate);
      const problems: ErrorDetail[] = [];
      if (!Number.isFinite(o.from)) problems.push({ path: '/from', message: 'must be a time' });
      if (!Number.isFinite(o.to)) problems.push({ path: '/to', message: 'must be a time' });
      if (problems.length === 0 && o.from > o.to)
        problems.push({ path: '/from', message: 'must not be after to' });
      if (problems.length > 0)
        throw new DomainError('bad_request', 'invalid time range', { details: problems });
      const baseline = o.baseline ?? 'config';
      if (!(BACKTEST_BASELINES as readonly string[]).includes(baseline)) {
        throw new DomainError('validation_failed', 'invalid baseline', {
          details: [{ path: '/baseline', message: `one of ${BACKTEST_BASELINES.join(', ')}` }],
        });
      }
      const costs = costsOf(o.costs);
      const now = clock.now();
      const id = ulid(now);
      await store.insert({
        id,
        appId,
        baseline,
        baselineVersion: current.version,
        from: o.from,
        to: o.to,
        candidate,
        costs,
        createdAt: now,
        createdBy: o.createdBy ?? 'unknown',
      });
      stopping = false;
      queue.push(id);
      kick();
      return id;
    },

    async get(id, appId) {
      const job = await store.get(id);
      if (job === undefined || (appId !== undefined && job.appId !== appId)) {
        throw new DomainError('not_found', `no backtest '${id}'`);
      }
      return job;
    },

    list: (appId, limit = 50) => store.list(appId, Math.min(Math.max(1, limit), BACKTEST_LIST_MAX)),

    async resume() {
      stopping = false;
      for (const job of await store.unfinished()) if (!queue.includes(job.id)) queue.push(job.id);
      kick();
    },

    async idle() {
      while (running !== undefined) await running;
    },

    async close() {
      stopping = true;
      queue.length = 0;
      while (running !== undefined) await running;
    },
  };
}
