import { createBatchTables } from '../modules/batch/batch.migration.js';
import { passkeyChallengesMigration } from '../modules/access/passkey-challenge.migration.js';
import { modelStatesMigration } from '../modules/models/model-state.migration.js';
import { modelStateSeqMigration } from '../modules/models/model-state-seq.migration.js';
import { modelDriftReferenceMigration } from '../modules/models/model-drift-reference.migration.js';
import {
  Migrator,
  sql,
  type ColumnDefinitionBuilder,
  type CreateTableBuilder,
  type Kysely,
  type Migration,
  type MigrationResultSet,
} from 'kysely';
import { backtestsMigration } from './backtests.migration.js';
import type { Db, Dialect } from './database.js';
import { eventColumnsMigration } from './event-columns.migration.js';
import { decisionIndexesMigration } from './decision-indexes.migration.js';
import { entityIndexesMigration } from './entity-indexes.migration.js';
import { modelsRegistryMigration } from './models-registry.migration.js';
import { shieldReviewMigration } from './shield-review.migration.js';
import { webhooksOutboxMigration } from './webhooks-outbox.migration.js';

type AnyDb = Kysely<unknown>;

/** Column types that differ between the dialects; everything else is spelled the same. */
function types(dialect: Dialect) {
  return {
    bytes: dialect === 'postgres' ? sql`bytea` : sql`blob`,
  };
}

/** An auto-numbered BIGINT primary key: insertion order, never reused. */
function seqColumn<T extends string>(
  t: CreateTableBuilder<T, never>,
  dialect: Dialect,
  name: string,
): CreateTableBuilder<T, never> {
  return dialect === 'postgres'
    ? t.addColumn(name, 'bigint', (c: ColumnDefinitionBuilder) =>
        c.primaryKey().generatedByDefaultAsIdentity(),
      )
    : t.addColumn(name, 'integer', (c: ColumnDefinitionBuilder) => c.primaryKey().autoIncrement());
}

const notNull = (c: ColumnDefinitionBuilder) => c.notNull();

/** 0001: the whole initial schema. */
function m0001(dialect: Dialect): Migration {
  const ty = types(dialect);
  return {
    async up(db: AnyDb) {
      await db.schema
        .createTable('apps')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull().unique())
        .addColumn('created_at', 'bigint', notNull)
        .execute();

      await db.schema
        .createTable('api_keys')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('app_id', 'text', (c) => c.references('apps.id'))
        .addColumn('role', 'text', notNull)
        .addColumn('name', 'text', notNull)
        .addColumn('prefix', 'text', notNull)
        .addColumn('key_hash', 'text', (c) => c.notNull().unique())
        .addColumn('created_at', 'bigint', notNull)
        .addColumn('last_used_at', 'bigint')
        .addColumn('revoked_at', 'bigint')
        .execute();
      await db.schema.createIndex('api_keys_app').on('api_keys').column('app_id').execute();

      await db.schema
        .createTable('users')
        .addColumn('app_id', 'text', notNull)
        .addColumn('user_id', 'text', notNull)
        .addColumn('tier', 'text')
        .addColumn('behavior_score', 'double precision', notNull)
        .addColumn('status', 'text', notNull)
        .addColumn('access_level', 'text', notNull)
        .addColumn('peak_risk', 'double precision', notNull)
        .addColumn('last_risk', 'double precision', notNull)
        .addColumn('last_score', 'integer', notNull)
        .addColumn('last_level', 'text', notNull)
        .addColumn('event_count', 'bigint', notNull)
        .addColumn('first_seen', 'bigint', notNull)
        .addColumn('last_seen', 'bigint', notNull)
        .addColumn('updated_at', 'bigint', notNull)
        .addPrimaryKeyConstraint('users_pk', ['app_id', 'user_id'])
        .execute();

      await seqColumn(db.schema.createTable('events'), dialect, 'seq')
        .addColumn('app_id', 'text', notNull)
        .addColumn('id', 'text', notNull)
        .addColumn('type', 'text', notNull)
        .addColumn('at', 'bigint', notNull)
        .addColumn('user_id', 'text')
        .addColumn('received_at', 'bigint', notNull)
        .addColumn('payload', 'text', notNull)
        .addUniqueConstraint('events_app_id_unique', ['app_id', 'id'])
        .execute();
      await db.schema.createIndex('events_app_seq').on('events').columns(['app_id', 'seq']).execute();
      await db.schema
        .createIndex('events_app_user_seq')
        .on('events')
        .columns(['app_id', 'user_id', 'seq'])
        .execute();

      await db.schema
        .createTable('decisions')
        .addColumn('event_seq', 'bigint', (c) => c.primaryKey())
        .addColumn('app_id', 'text', notNull)
        .addColumn('event_id', 'text', notNull)
        .addColumn('user_id', 'text')
        .addColumn('type', 'text', notNull)
        .addColumn('at', 'bigint', notNull)
        .addColumn('risk', 'double precision', notNull)
        .addColumn('score', 'integer', notNull)
        .addColumn('level', 'text', notNull)
        .addColumn('outcome', 'text', notNull)
        .addColumn('flag', 'text', notNull)
        .addColumn('created_at', 'bigint', notNull)
        .addColumn('payload', 'text', notNull)
        .execute();
      await db.schema
        .createIndex('decisions_app_seq')
        .on('decisions')
        .columns(['app_id', 'event_seq'])
        .execute();
      await db.schema
        .createIndex('decisions_app_user_seq')
        .on('decisions')
        .columns(['app_id', 'user_id', 'event_seq'])
        .execute();

      await db.schema
        .createTable('signals')
        .addColumn('decision_seq', 'bigint', notNull)
        .addColumn('idx', 'integer', notNull)
        .addColumn('app_id', 'text', notNull)
        .addColumn('user_id', 'text')
        .addColumn('code', 'text', notNull)
        .addColumn('score', 'double precision', notNull)
        .addColumn('category', 'text', notNull)
        .addColumn('severity', 'text', notNull)
        .addColumn('at', 'bigint', notNull)
        .addPrimaryKeyConstraint('signals_pk', ['decision_seq', 'idx'])
        .execute();

      await db.schema
        .createTable('lists')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('app_id', 'text', notNull)
        .addColumn('kind', 'text', notNull)
        .addColumn('value', 'text', notNull)
        .addColumn('verdict', 'text', notNull)
        .addColumn('label', 'text', notNull)
        .addColumn('weight', 'double precision', notNull)
        .addColumn('expires_at', 'bigint')
        .addColumn('created_at', 'bigint', notNull)
        .addColumn('created_by', 'text', notNull)
        .addUniqueConstraint('lists_app_kind_value_unique', ['app_id', 'kind', 'value'])
        .execute();

      await db.schema
        .createTable('rules')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('app_id', 'text', notNull)
        .addColumn('name', 'text', notNull)
        .addColumn('version', 'integer', notNull)
        .addColumn('expression', 'text', notNull)
        .addColumn('action', 'text')
        .addColumn('status', 'text', notNull)
        .addColumn('description', 'text', notNull)
        .addColumn('created_at', 'bigint', notNull)
        .addColumn('created_by', 'text', notNull)
        .addUniqueConstraint('rules_app_name_version_unique', ['app_id', 'name', 'version'])
        .execute();

      await db.schema
        .createTable('configs')
        .addColumn('app_id', 'text', notNull)
        .addColumn('version', 'integer', notNull)
        .addColumn('body', 'text', notNull)
        .addColumn('created_at', 'bigint', notNull)
        .addColumn('created_by', 'text', notNull)
        .addPrimaryKeyConstraint('configs_pk', ['app_id', 'version'])
        .execute();

      await db.schema
        .createTable('models')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('app_id', 'text', notNull)
        .addColumn('name', 'text', notNull)
        .addColumn('version', 'integer', notNull)
        .addColumn('kind', 'text', notNull)
        .addColumn('status', 'text', notNull)
        .addColumn('params', 'text', notNull)
        .addColumn('metrics', 'text', notNull)
        .addColumn('artifact', ty.bytes)
        .addColumn('created_at', 'bigint', notNull)
        .addUniqueConstraint('models_app_name_version_unique', ['app_id', 'name', 'version'])
        .execute();

      await db.schema
        .createTable('enforcements')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('app_id', 'text', notNull)
        .addColumn('user_id', 'text', notNull)
        .addColumn('action', 'text', notNull)
        .addColumn('status', 'text', notNull)
        .addColumn('reason', 'text', notNull)
        .addColumn('decision_seq', 'bigint')
        .addColumn('features', 'text', notNull)
        .addColumn('starts_at', 'bigint', notNull)
        .addColumn('ends_at', 'bigint')
        .addColumn('lifted_at', 'bigint')
        .addColumn('created_by', 'text', notNull)
        .addColumn('created_at', 'bigint', notNull)
        .execute();
      await db.schema
        .createIndex('enforcements_app_user')
        .on('enforcements')
        .columns(['app_id', 'user_id'])
        .execute();

      await db.schema
        .createTable('cases')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('app_id', 'text', notNull)
        .addColumn('user_id', 'text')
        .addColumn('status', 'text', notNull)
        .addColumn('priority', 'text', notNull)
        .addColumn('reason', 'text', notNull)
        .addColumn('decision_seq', 'bigint')
        .addColumn('assignee', 'text')
        .addColumn('sla_due_at', 'bigint')
        .addColumn('resolution', 'text')
        .addColumn('created_at', 'bigint', notNull)
        .addColumn('updated_at', 'bigint', notNull)
        .addColumn('resolved_at', 'bigint')
        .execute();
      await db.schema.createIndex('cases_app_status').on('cases').columns(['app_id', 'status']).execute();

      await db.schema
        .createTable('webhook_endpoints')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('app_id', 'text', notNull)
        .addColumn('url', 'text', notNull)
        .addColumn('secret', 'text', notNull)
        .addColumn('events', 'text', notNull)
        .addColumn('enabled', 'integer', notNull)
        .addColumn('created_at', 'bigint', notNull)
        .addColumn('disabled_at', 'bigint')
        .execute();
      await db.schema.createIndex('webhook_endpoints_app').on('webhook_endpoints').column('app_id').execute();

      await db.schema
        .createTable('outbox')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('app_id', 'text', notNull)
        .addColumn('topic', 'text', notNull)
        .addColumn('payload', 'text', notNull)
        .addColumn('created_at', 'bigint', notNull)
        .addColumn('available_at', 'bigint', notNull)
        .addColumn('attempts', 'integer', notNull)
        .addColumn('delivered_at', 'bigint')
        .addColumn('last_error', 'text')
        .execute();
      await db.schema
        .createIndex('outbox_pending')
        .on('outbox')
        .columns(['delivered_at', 'available_at'])
        .execute();

      await db.schema
        .createTable('job_runs')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('job', 'text', notNull)
        .addColumn('status', 'text', notNull)
        .addColumn('started_at', 'bigint', notNull)
        .addColumn('finished_at', 'bigint')
        .addColumn('details', 'text')
        .execute();
      await db.schema
        .createIndex('job_runs_job_started')
        .on('job_runs')
        .columns(['job', 'started_at'])
        .execute();

      await db.schema
        .createTable('alerts')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('app_id', 'text', notNull)
        .addColumn('user_id', 'text')
        .addColumn('type', 'text', notNull)
        .addColumn('severity', 'text', notNull)
        .addColumn('decision_seq', 'bigint')
        .addColumn('payload', 'text', notNull)
        .addColumn('created_at', 'bigint', notNull)
        .addColumn('acknowledged_at', 'bigint')
        .execute();
      await db.schema
        .createIndex('alerts_app_created')
        .on('alerts')
        .columns(['app_id', 'created_at'])
        .execute();

      await db.schema
        .createTable('feature_snapshots')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('created_at', 'bigint', notNull)
        .addColumn('last_seq', 'bigint', notNull)
        .addColumn('size', 'bigint', notNull)
        .addColumn('bytes', ty.bytes, notNull)
        .execute();

      await seqColumn(db.schema.createTable('audit_log'), dialect, 'seq')
        .addColumn('id', 'text', (c) => c.notNull().unique())
        .addColumn('at', 'bigint', notNull)
        .addColumn('actor', 'text', notNull)
        .addColumn('action', 'text', notNull)
        .addColumn('app_id', 'text')
        .addColumn('target', 'text')
        .addColumn('details', 'text', notNull)
        // unique: two writers can never both extend the same row, so the chain stays linear
        .addColumn('prev_hash', 'text', (c) => c.notNull().unique())
        .addColumn('hash', 'text', notNull)
        .execute();
    },
  };
}

/**
 * Every migration, numbered and forward-only. Add new ones at the end; never edit a released one
 * (breaking changes go expand, then contract).
 * @example const names = Object.keys(migrationsFor('sqlite')); // ['0001_initial_schema']
 */
export function migrationsFor(dialect: Dialect): Readonly<Record<string, Migration>> {
  return {
    '0001_initial_schema': m0001(dialect),
    '0910_entity_indexes': entityIndexesMigration(dialect),
    '0940_shield_review': shieldReviewMigration(dialect),
    '0930_webhooks_outbox': webhooksOutboxMigration(),
    '0950_models_registry': modelsRegistryMigration(),
    '0960_backtests': backtestsMigration(),
    '0970_event_columns': eventColumnsMigration(dialect),
    '0980_batches': { up: (db) => createBatchTables(db, dialect) },
    '0990_model_states': modelStatesMigration(dialect),
    '1010_decision_indexes': decisionIndexesMigration(),
    '1020_passkey_challenges': passkeyChallengesMigration(),
    '1030_model_state_seq': modelStateSeqMigration(),
    '1040_model_drift_reference': modelDriftReferenceMigration(),
  };
}

/** What {@link migrateToLatest} did. */
export interface MigrationReport {
  /** Names of the migrations applied by this call, in order. */
  readonly applied: readonly string[];
}

/**
 * Applies every pending migration in order, each in its own transaction. Safe to call on every
 * start and from several processes (Kysely's migration lock).
 * @example const { applied } = await migrateToLatest(db);
 */
export async function migrateToLatest(db: Db): Promise<MigrationReport> {
  const migrations = migrationsFor(db.dialect);
  const migrator = new Migrator({
    db: db.kysely,
    provider: { getMigrations: async () => ({ ...migrations }) },
    // features number their migrations in blocks and land in any order (0970 after 0980 ran):
    // a database that already applied a later name still gets the earlier pending one
    allowUnorderedMigrations: true,
  });
  const result: MigrationResultSet = await migrator.migrateToLatest();
  if (result.error !== undefined) {
    const failed = result.results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(
      `migration ${failed} failed: ${result.error instanceof Error ? result.error.message : JSON.stringify(result.error)}`,
      { cause: result.error },
    );
  }
  return { applied: (result.results ?? []).map((r) => r.migrationName) };
}
