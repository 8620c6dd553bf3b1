import type { EventType } from '@vigil/engine';
import type { Db } from '../../storage/database.js';
import { parseStoredJson } from '../../storage/json.js';
import type { BatchTables } from './batch.migration.js';
import type { InputFormat, RowError, ScoreTotals } from './row-scorer.js';

/** Lifecycle of a batch job. */
export const BATCH_STATUSES = ['queued', 'running', 'done', 'failed'] as const;
export type BatchStatus = (typeof BATCH_STATUSES)[number];

/** Options a batch was uploaded with. */
export interface BatchOptions {
  readonly defaultType?: EventType;
  /** Event time of rows without one (the upload time, so a resumed run agrees). */
  readonly defaultAt: number;
  readonly warnings: readonly string[];
}

/** A batch job as the service sees it. */
export interface BatchRecord {
  readonly id: string;
  readonly appId: string;
  readonly status: BatchStatus;
  readonly inputFormat: InputFormat;
  readonly total: number;
  readonly processed: number;
  readonly scored: number;
  readonly rejected: number;
  readonly withLabel: boolean;
  readonly inputBytes: number;
  readonly options: BatchOptions;
  readonly errorSample: readonly RowError[];
  readonly summary: Pick<ScoreTotals, 'byLevel' | 'byOutcome'> | null;
  readonly message: string | null;
  readonly createdAt: number;
  readonly startedAt: number | null;
  readonly finishedAt: number | null;
  readonly createdBy: string;
}

/** A new batch and its upload. */
export interface NewBatch {
  readonly id: string;
  readonly appId: string;
  readonly inputFormat: InputFormat;
  readonly total: number;
  readonly withLabel: boolean;
  readonly inputBytes: number;
  readonly options: BatchOptions;
  readonly createdAt: number;
  readonly createdBy: string;
  /** The upload, in pieces. */
  readonly input: readonly string[];
}

/** Progress written with each result chunk. */
export interface BatchProgress {
  readonly processed: number;
  readonly scored: number;
  readonly rejected: number;
  readonly errorSample: readonly RowError[];
}

/** Persistence of batch jobs. */
export interface BatchStore {
  create(batch: NewBatch): Promise<void>;
  get(id: string): Promise<BatchRecord | undefined>;
  /** Newest first. */
  list(appId: string | undefined, limit: number): Promise<readonly BatchRecord[]>;
  /** Jobs to (re)run after a start: queued or running, oldest first. */
  unfinished(): Promise<readonly BatchRecord[]>;
  markRunning(id: string, at: number): Promise<void>;
  /** How many result chunks are stored (a resumed job keeps them). */
  resultChunks(id: string): Promise<number>;
  /** Stores result chunk `idx` and the progress after it, in one transaction. */
  saveResults(id: string, idx: number, rows: number, body: string, progress: BatchProgress): Promise<void>;
  finish(
    id: string,
    at: number,
    progress: BatchProgress,
    summary: Pick<ScoreTotals, 'byLevel' | 'byOutcome'>,
  ): Promise<void>;
  fail(id: string, at: number, message: string): Promise<void>;
  /** The upload's pieces, in order. */
  readInput(id: string): AsyncIterable<string>;
  /** The result chunks, in order (each one JSON row per line). */
  readResults(id: string): AsyncIterable<string>;
}

function isStatus(x: string): x is BatchStatus {
  return (BATCH_STATUSES as readonly string[]).includes(x);
}

function toRecord(r: BatchTables['batches']): BatchRecord {
  if (!isStatus(r.status)) throw new Error(`batch ${r.id} has an unknown status '${r.status}'`);
  return {
    id: r.id,
    appId: r.app_id,
    status: r.status,
    inputFormat: r.input_format === 'ndjson' ? 'ndjson' : 'csv',
    total: Number(r.total),
    processed: Number(r.processed),
    scored: Number(r.scored),
    rejected: Number(r.rejected),
    withLabel: Number(r.with_label) === 1,
    inputBytes: Number(r.input_bytes),
    options: parseStoredJson<BatchOptions>(r.options),
    errorSample: parseStoredJson<RowError[]>(r.error_sample),
    summary:
      r.summary === null ? null : parseStoredJson<Pick<ScoreTotals, 'byLevel' | 'byOutcome'>>(r.summary),
    message: r.message,
    createdAt: Number(r.created_at),
    startedAt: r.started_at === null ? null : Number(r.started_at),
    finishedAt: r.finished_at === null ? null : Number(r.finished_at),
    createdBy: r.created_by,
  };
}

/** Input pieces read per query. */
const CHUNK_PAGE = 16;

/**
 * The Kysely batch store (SQLite and PostgreSQL). Needs the tables of `createBatchTables`.
 * @example const store = createBatchStore(db); await store.get(id);
 */
export function createBatchStore(db: Db): BatchStore {
  const k = () => db.kysely.withTables<BatchTables>();

  async function* chunks(id: string, kind: 'input' | 'result'): AsyncIterable<string> {
    let after = -1;
    for (;;) {
      const rows = await k()
        .selectFrom('batch_chunks')
        .select(['idx', 'body'])
        .where('batch_id', '=', id)
        .where('kind', '=', kind)
        .where('idx', '>', after)
        .orderBy('idx')
        .limit(CHUNK_PAGE)
        .execute();
      for (const r of rows) {
        after = Number(r.idx);
        yield r.body;
      }
      if (rows.length < CHUNK_PAGE) return;
    }
  }

  return {
    async create(b) {
      await db.transaction(async (tx) => {
        const t = tx.kysely.withTables<BatchTables>();
        await t
          .insertInto('batches')
          .values({
            id: b.id,
            app_id: b.appId,
            status: 'queued',
            input_format: b.inputFormat,
            total: b.total,
            processed: 0,
            scored: 0,
            rejected: 0,
            with_label: b.withLabel ? 1 : 0,
            input_bytes: b.inputBytes,
            options: JSON.stringify(b.options),
            error_sample: '[]',
            summary: null,
            message: null,
            created_at: b.createdAt,
            started_at: null,
            finished_at: null,
            created_by: b.createdBy,
          })
          .execute();
        for (let i = 0; i < b.input.length; i++) {
          await t
            .insertInto('batch_chunks')
            .values({ batch_id: b.id, kind: 'input', idx: i, rows: 0, body: b.input[i]! })
            .execute();
        }
      });
    },
    async get(id) {
      const r = await k().selectFrom('batches').selectAll().where('id', '=', id).executeTakeFirst();
      return r && toRecord(r);
    },
    async list(appId, limit) {
      let q = k().selectFrom('batches').selectAll();
      if (appId !== undefined) q = q.where('app_id', '=', appId);
      const rows = await q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
      return rows.map(toRecord);
    },
    async unfinished() {
      const rows = await k()
        .selectFrom('batches')
        .selectAll()
        .where('status', 'in', ['queued', 'running'])
        .orderBy('created_at')
        .orderBy('id')
        .execute();
      return rows.map(toRecord);
    },
    async markRunning(id, at) {
      await k()
        .updateTable('batches')
        .set((eb) => ({ status: 'running', started_at: eb.fn.coalesce('started_at', eb.val(at)) }))
        .where('id', '=', id)
        .execute();
    },
    async resultChunks(id) {
      const r = await k()
        .selectFrom('batch_chunks')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('batch_id', '=', id)
        .where('kind', '=', 'result')
        .executeTakeFirstOrThrow();
      return Number(r.n);
    },
    async saveResults(id, idx, rows, body, p) {
      await db.transaction(async (tx) => {
        const t = tx.kysely.withTables<BatchTables>();
        await t
          .insertInto('batch_chunks')
          .values({ batch_id: id, kind: 'result', idx, rows, body })
          .execute();
        await t
          .updateTable('batches')
          .set({
            processed: p.processed,
            scored: p.scored,
            rejected: p.rejected,
            error_sample: JSON.stringify(p.errorSample),
          })
          .where('id', '=', id)
          .execute();
      });
    },
    async finish(id, at, p, summary) {
      await k()
        .updateTable('batches')
        .set({
          status: 'done',
          processed: p.processed,
          scored: p.scored,
          rejected: p.rejected,
          error_sample: JSON.stringify(p.errorSample),
          summary: JSON.stringify(summary),
          finished_at: at,
        })
        .where('id', '=', id)
        .execute();
    },
    async fail(id, at, message) {
      await k()
        .updateTable('batches')
        .set({ status: 'failed', message, finished_at: at })
        .where('id', '=', id)
        .execute();
    },
    readInput: (id) => chunks(id, 'input'),
    readResults: (id) => chunks(id, 'result'),
  };
}
