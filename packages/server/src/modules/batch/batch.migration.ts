import type { Kysely } from 'kysely';
import type { Dialect } from '../../storage/database.js';

/** A batch scoring job (table `batches`). */
export type BatchesTable = {
  id: string;
  app_id: string;
  /** queued | running | done | failed */
  status: string;
  /** csv | ndjson */
  input_format: string;
  /** Data rows of the upload. */
  total: number;
  /** Rows whose results are stored. */
  processed: number;
  scored: number;
  rejected: number;
  /** Whether the upload has a label column. */
  with_label: number;
  input_bytes: number;
  /** JSON: { defaultType?, defaultAt, warnings[] } */
  options: string;
  /** JSON: the first rejected rows [{ line, message }]. */
  error_sample: string;
  /** JSON totals (levels, outcomes) once done. */
  summary: string | null;
  message: string | null;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  created_by: string;
};

/** Pieces of a batch's upload (`input`) and of its results (`result`, one JSON row per line). */
export type BatchChunksTable = {
  batch_id: string;
  /** input | result */
  kind: string;
  idx: number;
  rows: number;
  body: string;
};

/** The batch tables, for `Kysely.withTables`. */
export type BatchTables = {
  batches: BatchesTable;
  batch_chunks: BatchChunksTable;
};

/**
 * Creates the batch tables. Meant for the numbered migration set (`storage/migrations.ts`), e.g.
 * `'0002_batches': { up: (db) => createBatchTables(db, dialect) }`.
 * @example await createBatchTables(db.kysely.withTables<BatchTables>(), 'sqlite');
 */
export async function createBatchTables<T>(db: Kysely<T>, _dialect: Dialect): Promise<void> {
  await db.schema
    .createTable('batches')
    .ifNotExists()
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('app_id', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('input_format', 'text', (c) => c.notNull())
    .addColumn('total', 'bigint', (c) => c.notNull())
    .addColumn('processed', 'bigint', (c) => c.notNull())
    .addColumn('scored', 'bigint', (c) => c.notNull())
    .addColumn('rejected', 'bigint', (c) => c.notNull())
    .addColumn('with_label', 'integer', (c) => c.notNull())
    .addColumn('input_bytes', 'bigint', (c) => c.notNull())
    .addColumn('options', 'text', (c) => c.notNull())
    .addColumn('error_sample', 'text', (c) => c.notNull())
    .addColumn('summary', 'text')
    .addColumn('message', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('started_at', 'bigint')
    .addColumn('finished_at', 'bigint')
    .addColumn('created_by', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('batches_app_created')
    .ifNotExists()
    .on('batches')
    .columns(['app_id', 'created_at'])
    .execute();
  await db.schema
    .createIndex('batches_status')
    .ifNotExists()
    .on('batches')
    .columns(['status', 'created_at'])
    .execute();
  await db.schema
    .createTable('batch_chunks')
    .ifNotExists()
    .addColumn('batch_id', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('idx', 'integer', (c) => c.notNull())
    .addColumn('rows', 'integer', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('batch_chunks_pk', ['batch_id', 'kind', 'idx'])
    .execute();
}
