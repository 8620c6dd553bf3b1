import type { Kysely, Migration } from 'kysely';

/** A backtest job (table `backtests`, migration 0960). */
export type BacktestsTable = {
  id: string;
  app_id: string;
  /** queued | running | done | failed */
  status: string;
  /** config | live: what the candidate is compared with. */
  baseline: string;
  /** The app's configuration version the `config` baseline replays (0: the defaults). */
  baseline_version: number;
  /** Inclusive bounds on the event time `at` (epoch ms). */
  from_at: number;
  to_at: number;
  /** JSON: the candidate configuration document as given. */
  candidate: string;
  /** JSON: the cost figures used. */
  costs: string;
  /** Events to replay (warm-up included) and events replayed so far. */
  total: number;
  processed: number;
  /** JSON report once done. */
  result: string | null;
  message: string | null;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  created_by: string;
};

/** The tables of migration 0960, for `Kysely.withTables`. */
export type BacktestTables = { backtests: BacktestsTable };

/**
 * 0960: the `backtests` table (jobs, progress and results of configuration backtests).
 * @example migrations['0960_backtests'] = backtestsMigration();
 */
export function backtestsMigration(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('backtests')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('app_id', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('baseline', 'text', (c) => c.notNull())
        .addColumn('baseline_version', 'integer', (c) => c.notNull())
        .addColumn('from_at', 'bigint', (c) => c.notNull())
        .addColumn('to_at', 'bigint', (c) => c.notNull())
        .addColumn('candidate', 'text', (c) => c.notNull())
        .addColumn('costs', 'text', (c) => c.notNull())
        .addColumn('total', 'bigint', (c) => c.notNull())
        .addColumn('processed', 'bigint', (c) => c.notNull())
        .addColumn('result', 'text')
        .addColumn('message', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('started_at', 'bigint')
        .addColumn('finished_at', 'bigint')
        .addColumn('created_by', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('backtests_app_created')
        .on('backtests')
        .columns(['app_id', 'created_at'])
        .execute();
      await db.schema.createIndex('backtests_status').on('backtests').column('status').execute();
    },
  };
}
