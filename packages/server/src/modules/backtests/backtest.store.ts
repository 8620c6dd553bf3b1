import type { Kysely } from 'kysely';
import type { BacktestTables } from '../../storage/backtests.migration.js';
import type { Db } from '../../storage/database.js';
import { parseStoredJson } from '../../storage/json.js';
import type { DB } from '../../storage/schema.js';
import type { ShieldTables } from '../../storage/shield-tables.js';
import type { BacktestBaseline, BacktestCosts, BacktestReport } from './backtest-report.js';

/** Lifecycle of a backtest job. */
export const BACKTEST_STATUSES = ['queued', 'running', 'done', 'failed'] as const;
export type BacktestStatus = (typeof BACKTEST_STATUSES)[number];

/** A backtest job as the service sees it. */
export interface BacktestRecord {
  readonly id: string;
  readonly appId: string;
  readonly status: BacktestStatus;
  readonly baseline: BacktestBaseline;
  /** The app's configuration version in force when the job was started (0: the defaults). */
  readonly baselineVersion: number;
  readonly from: number;
  readonly to: number;
  /** The candidate configuration document as given. */
  readonly candidate: unknown;
  readonly costs: BacktestCosts;
  /** Events to replay (0 until the job starts). */
  readonly total: number;
  readonly processed: number;
  readonly result: BacktestReport | null;
  readonly message: string | null;
  readonly createdAt: number;
  readonly startedAt: number | null;
  readonly finishedAt: number | null;
  readonly createdBy: string;
}

/** A new job. */
export type NewBacktest = Pick<
  BacktestRecord,
  | 'id'
  | 'appId'
  | 'baseline'
  | 'baselineVersion'
  | 'from'
  | 'to'
  | 'candidate'
  | 'costs'
  | 'createdAt'
  | 'createdBy'
>;

/** One logged event of the replayed app, with its live decision's columns when it has one. */
export interface ReplayRow {
  readonly seq: number;
  readonly id: string;
  readonly at: number;
  readonly userId: string | null;
  readonly receivedAt: number;
  readonly payload: string;
  readonly liveLevel: string | null;
  readonly liveOutcome: string | null;
}

/** The newest label of each event and of each user (labels without an event) of one app. */
export interface AppLabels {
  readonly byEvent: ReadonlyMap<string, string>;
  readonly byUser: ReadonlyMap<string, string>;
}

/** Persistence of backtest jobs, and the read-only queries over the log they replay. */
export interface BacktestStore {
  insert(job: NewBacktest): Promise<void>;
  get(id: string): Promise<BacktestRecord | undefined>;
  /** Newest first; `appId` undefined lists every app's. */
  list(appId: string | undefined, limit: number): Promise<readonly BacktestRecord[]>;
  /** Jobs a previous process left queued or running, oldest first. */
  unfinished(): Promise<readonly BacktestRecord[]>;
  markRunning(id: string, at: number, total: number): Promise<void>;
  progress(id: string, processed: number): Promise<void>;
  finish(id: string, at: number, processed: number, result: BacktestReport): Promise<void>;
  fail(id: string, at: number, message: string): Promise<void>;
  /**
   * Where the replay of an app ends: the highest seq of its events with `at <= to`, and how many
   * of its events are at or before that seq (warm-up included).
   */
  replayBound(appId: string, to: number): Promise<{ readonly lastSeq: number; readonly total: number }>;
  /** The app's events with `afterSeq < seq <= lastSeq`, in log order, at most `limit`. */
  readEvents(appId: string, afterSeq: number, lastSeq: number, limit: number): Promise<readonly ReplayRow[]>;
  labels(appId: string): Promise<AppLabels>;
}

type BacktestDB = DB & BacktestTables & Pick<ShieldTables, 'labels'>;

type Row = BacktestTables['backtests'];

function isStatus(s: string): s is BacktestStatus {
  return (BACKTEST_STATUSES as readonly string[]).includes(s);
}

function toRecord(r: Row): BacktestRecord {
  return {
    id: r.id,
    appId: r.app_id,
    status: isStatus(r.status) ? r.status : 'failed',
    baseline: r.baseline === 'live' ? 'live' : 'config',
    baselineVersion: Number(r.baseline_version),
    from: Number(r.from_at),
    to: Number(r.to_at),
    candidate: JSON.parse(r.candidate),
    costs: parseStoredJson<BacktestCosts>(r.costs),
    total: Number(r.total),
    processed: Number(r.processed),
    result: r.result === null ? null : parseStoredJson<BacktestReport>(r.result),
    message: r.message,
    createdAt: Number(r.created_at),
    startedAt: r.started_at === null ? null : Number(r.started_at),
    finishedAt: r.finished_at === null ? null : Number(r.finished_at),
    createdBy: r.created_by,
  };
}

/**
 * The Kysely backtest store (SQLite and PostgreSQL).
 * @example const store = createBacktestStore(db); await store.insert(job);
 */
export function createBacktestStore(db: Db): BacktestStore {
  const k: Kysely<BacktestDB> = db.kysely.withTables<BacktestTables & Pick<ShieldTables, 'labels'>>();
  return {
    async insert(j) {
      await k
        .insertInto('backtests')
        .values({
          id: j.id,
          app_id: j.appId,
          status: 'queued',
          baseline: j.baseline,
          baseline_version: j.baselineVersion,
          from_at: j.from,
          to_at: j.to,
          candidate: JSON.stringify(j.candidate),
          costs: JSON.stringify(j.costs),
          total: 0,
          processed: 0,
          result: null,
          message: null,
          created_at: j.createdAt,
          started_at: null,
          finished_at: null,
          created_by: j.createdBy,
        })
        .execute();
    },
    async get(id) {
      const r = await k.selectFrom('backtests').selectAll().where('id', '=', id).executeTakeFirst();
      return r === undefined ? undefined : toRecord(r);
    },
    async list(appId, limit) {
      let q = k.selectFrom('backtests').selectAll();
      if (appId !== undefined) q = q.where('app_id', '=', appId);
      const rows = await q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
      return rows.map(toRecord);
    },
    async unfinished() {
      const rows = await k
        .selectFrom('backtests')
        .selectAll()
        .where('status', 'in', ['queued', 'running'])
        .orderBy('created_at')
        .orderBy('id')
        .execute();
      return rows.map(toRecord);
    },
    async markRunning(id, at, total) {
      await k
        .updateTable('backtests')
        .set({ status: 'running', started_at: at, total, processed: 0 })
        .where('id', '=', id)
        .execute();
    },
    async progress(id, processed) {
      await k.updateTable('backtests').set({ processed }).where('id', '=', id).execute();
    },
    async finish(id, at, processed, result) {
      await k
        .updateTable('backtests')
        .set({ status: 'done', finished_at: at, processed, result: JSON.stringify(result), message: null })
        .where('id', '=', id)
        .execute();
    },
    async fail(id, at, message) {
      await k
        .updateTable('backtests')
        .set({ status: 'failed', finished_at: at, message: message.slice(0, 2000) })
        .where('id', '=', id)
        .execute();
    },
    async replayBound(appId, to) {
      const last = await k
        .selectFrom('events')
        .select((eb) => eb.fn.max('seq').as('m'))
        .where('app_id', '=', appId)
        .where('at', '<=', to)
        .executeTakeFirst();
      const lastSeq = last?.m == null ? 0 : Number(last.m);
      if (lastSeq === 0) return { lastSeq: 0, total: 0 };
      const n = await k
        .selectFrom('events')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('app_id', '=', appId)
        .where('seq', '<=', lastSeq)
        .executeTakeFirst();
      return { lastSeq, total: Number(n?.n ?? 0) };
    },
    async readEvents(appId, afterSeq, lastSeq, limit) {
      const rows = await k
        .selectFrom('events as e')
        .leftJoin('decisions as d', 'd.event_seq', 'e.seq')
        .select(['e.seq', 'e.id', 'e.at', 'e.user_id', 'e.received_at', 'e.payload', 'd.level', 'd.outcome'])
        .where('e.app_id', '=', appId)
        .where('e.seq', '>', afterSeq)
        .where('e.seq', '<=', lastSeq)
        .orderBy('e.seq')
        .limit(limit)
        .execute();
      return rows.map((r) => ({
        seq: Number(r.seq),
        id: r.id,
        at: Number(r.at),
        userId: r.user_id,
        receivedAt: Number(r.received_at),
        payload: r.payload,
        liveLevel: r.level,
        liveOutcome: r.outcome,
      }));
    },
    async labels(appId) {
      const rows = await k
        .selectFrom('labels')
        .select(['event_id', 'user_id', 'label'])
        .where('app_id', '=', appId)
        .orderBy('created_at')
        .orderBy('id')
        .execute();
      const byEvent = new Map<string, string>();
      const byUser = new Map<string, string>();
      // oldest first: the newest label of an event or user wins
      for (const r of rows) {
        if (r.event_id !== null) byEvent.set(r.event_id, r.label);
        else if (r.user_id !== null) byUser.set(r.user_id, r.label);
      }
      return { byEvent, byUser };
    },
  };
}
