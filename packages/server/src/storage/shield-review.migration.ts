import { sql, type ColumnDefinitionBuilder, type Kysely, type Migration } from 'kysely';
import type { Dialect } from './database.js';

type AnyDb = Kysely<unknown>;

const notNull = (c: ColumnDefinitionBuilder) => c.notNull();

/**
 * 0940: enforcement lifecycle, review cases, labels and shared intelligence.
 *
 * Numbered 0940 (not 0002) because several helpers add migrations at the same time: names sort
 * lexically and Kysely runs them in that order, so a number far from the others' cannot collide.
 * It only touches tables the shield owns (`enforcements`, `cases`) and new tables.
 * @example const m = shieldReviewMigration('sqlite'); await m.up(db);
 */
export function shieldReviewMigration(_dialect: Dialect): Migration {
  return {
    async up(db: AnyDb) {
      // enforcements: kind (account | features), lifecycle and review columns
      for (const [name, type] of [
        ['kind', 'text'],
        ['tier', 'text'],
        ['source', 'text'],
        ['case_id', 'text'],
        ['requires_review', 'integer'],
        ['review_due_at', 'bigint'],
        ['reviewed_at', 'bigint'],
        ['reviewed_by', 'text'],
        ['lift_reason', 'text'],
        ['lifted_by', 'text'],
        ['updated_at', 'bigint'],
      ] as const) {
        await db.schema.alterTable('enforcements').addColumn(name, type).execute();
      }
      // one active and one pending enforcement per user, app and kind
      await db.schema
        .createIndex('enforcements_one_active')
        .on('enforcements')
        .columns(['app_id', 'user_id', 'kind'])
        .unique()
        .where(sql.ref('status'), '=', sql.lit('active'))
        .execute();
      await db.schema
        .createIndex('enforcements_one_pending')
        .on('enforcements')
        .columns(['app_id', 'user_id', 'kind'])
        .unique()
        .where(sql.ref('status'), '=', sql.lit('pending_approval'))
        .execute();
      await db.schema
        .createIndex('enforcements_status_ends')
        .on('enforcements')
        .columns(['status', 'ends_at'])
        .execute();
      await db.schema
        .createIndex('enforcements_review_due')
        .on('enforcements')
        .columns(['status', 'review_due_at'])
        .execute();

      // cases: tier, resolution details, overdue alert marker
      for (const [name, type] of [
        ['tier', 'text'],
        ['resolution_note', 'text'],
        ['resolved_by', 'text'],
        ['overdue_alerted_at', 'bigint'],
      ] as const) {
        await db.schema.alterTable('cases').addColumn(name, type).execute();
      }
      await db.schema
        .createIndex('cases_app_user_status')
        .on('cases')
        .columns(['app_id', 'user_id', 'status'])
        .execute();
      await db.schema.createIndex('cases_status_sla').on('cases').columns(['status', 'sla_due_at']).execute();

      await db.schema
        .createTable('case_decisions')
        .addColumn('case_id', 'text', notNull)
        .addColumn('decision_seq', 'bigint', notNull)
        .addColumn('added_at', 'bigint', notNull)
        .addPrimaryKeyConstraint('case_decisions_pk', ['case_id', 'decision_seq'])
        .execute();

      await db.schema
        .createTable('case_notes')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('case_id', 'text', notNull)
        .addColumn('app_id', 'text', notNull)
        .addColumn('kind', 'text', notNull)
        .addColumn('author', 'text', notNull)
        .addColumn('text', 'text', notNull)
        .addColumn('idempotency_key', 'text')
        .addColumn('created_at', 'bigint', notNull)
        .addUniqueConstraint('case_notes_idempotency_unique', ['case_id', 'idempotency_key'])
        .execute();
      await db.schema
        .createIndex('case_notes_case')
        .on('case_notes')
        .columns(['case_id', 'created_at'])
        .execute();

      await db.schema
        .createTable('labels')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('app_id', 'text', notNull)
        .addColumn('user_id', 'text')
        .addColumn('event_id', 'text')
        .addColumn('decision_seq', 'bigint')
        .addColumn('label', 'text', notNull)
        .addColumn('source', 'text', notNull)
        .addColumn('case_id', 'text')
        .addColumn('created_by', 'text', notNull)
        .addColumn('created_at', 'bigint', notNull)
        .execute();
      await db.schema
        .createIndex('labels_app_created')
        .on('labels')
        .columns(['app_id', 'created_at'])
        .execute();

      await db.schema
        .createTable('user_feedback')
        .addColumn('app_id', 'text', notNull)
        .addColumn('user_id', 'text', notNull)
        .addColumn('kind', 'text', notNull)
        .addColumn('until', 'bigint', notNull)
        .addColumn('case_id', 'text')
        .addColumn('created_at', 'bigint', notNull)
        .addPrimaryKeyConstraint('user_feedback_pk', ['app_id', 'user_id', 'kind'])
        .execute();

      await db.schema
        .createTable('intel_entries')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('kind', 'text', notNull)
        .addColumn('hash', 'text', notNull)
        .addColumn('source_app', 'text', notNull)
        .addColumn('source', 'text', notNull)
        .addColumn('reason', 'text', notNull)
        .addColumn('case_id', 'text')
        .addColumn('created_by', 'text', notNull)
        .addColumn('created_at', 'bigint', notNull)
        .addColumn('expires_at', 'bigint')
        .addUniqueConstraint('intel_entries_unique', ['kind', 'hash', 'source_app'])
        .execute();

      await db.schema
        .createTable('intel_settings')
        .addColumn('app_id', 'text', (c) => c.primaryKey())
        .addColumn('contribute', 'integer', notNull)
        .addColumn('consume', 'integer', notNull)
        .addColumn('updated_at', 'bigint', notNull)
        .execute();

      await db.schema
        .createTable('intel_pepper')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('value', 'text', notNull)
        .addColumn('created_at', 'bigint', notNull)
        .execute();
    },
  };
}
