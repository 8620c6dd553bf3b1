import { sql, type Kysely, type Migration } from 'kysely';
import type { Dialect } from '../../storage/database.js';

/** The state of one stateful model (gru) saved with a feature snapshot (table `model_states`, 0990). */
export interface ModelStatesTable {
  /** The feature snapshot (`feature_snapshots.id`) taken at the same log position. */
  snapshot_id: string;
  app_id: string;
  /** The model's registry name and version (its hook id and version). */
  model: string;
  version: string;
  /** The model's fingerprint (shape, inputs, weights) when the state was saved. */
  fingerprint: string;
  users: number;
  size: number;
  bytes: Buffer;
  created_at: number;
}

/** The tables of migration 0990, for `Kysely.withTables`. */
export type ModelStateTables = { model_states: ModelStatesTable };

/**
 * 0990: `model_states`, the per-user state of stateful models saved beside each feature snapshot.
 * @example migrations['0990_model_states'] = modelStatesMigration(dialect);
 */
export function modelStatesMigration(dialect: Dialect): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('model_states')
        .addColumn('snapshot_id', 'text', (c) => c.notNull())
        .addColumn('app_id', 'text', (c) => c.notNull())
        .addColumn('model', 'text', (c) => c.notNull())
        .addColumn('version', 'text', (c) => c.notNull())
        .addColumn('fingerprint', 'text', (c) => c.notNull())
        .addColumn('users', 'bigint', (c) => c.notNull())
        .addColumn('size', 'bigint', (c) => c.notNull())
        .addColumn('bytes', dialect === 'postgres' ? sql`bytea` : sql`blob`, (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('model_states_pk', ['snapshot_id', 'app_id', 'model', 'version'])
        .execute();
    },
  };
}
