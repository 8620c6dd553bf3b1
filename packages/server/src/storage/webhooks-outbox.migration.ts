import type { ColumnDefinitionBuilder, Kysely, Migration } from 'kysely';
type AnyDb = Kysely<unknown>;

const notNull = (c: ColumnDefinitionBuilder) => c.notNull();

/**
 * 0930: what the outbox dispatcher and webhook delivery need on top of 0001's `outbox` and
 * `webhook_endpoints` tables (expand only: columns are added, nothing is dropped or renamed), and
 * the per-attempt `webhook_deliveries` log.
 *
 * - `outbox`: `status` (pending | delivered | dead), `claim_token` (the lease a dispatcher holds
 *   while it works on a row; results are written only by the holder), `dead_at`; an index over
 *   (status, available_at) for claiming due rows.
 * - `webhook_endpoints`: `description`, `previous_secret` + `previous_secret_expires_at` (secret
 *   rotation grace period), `updated_at`.
 *
 * Numbered 0930 rather than 0002 so that migrations other features add meanwhile (0002, 0003, ...)
 * cannot take the same name.
 * @example migrations['0930_webhooks_outbox'] = webhooksOutboxMigration();
 */
export function webhooksOutboxMigration(): Migration {
  return {
    async up(db: AnyDb) {
      await db.schema
        .alterTable('outbox')
        .addColumn('status', 'text', (c) => c.notNull().defaultTo('pending'))
        .execute();
      await db.schema.alterTable('outbox').addColumn('claim_token', 'text').execute();
      await db.schema.alterTable('outbox').addColumn('dead_at', 'bigint').execute();
      await db.schema
        .createIndex('outbox_status_available')
        .on('outbox')
        .columns(['status', 'available_at'])
        .execute();

      await db.schema
        .alterTable('webhook_endpoints')
        .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
        .execute();
      await db.schema.alterTable('webhook_endpoints').addColumn('previous_secret', 'text').execute();
      await db.schema
        .alterTable('webhook_endpoints')
        .addColumn('previous_secret_expires_at', 'bigint')
        .execute();
      await db.schema
        .alterTable('webhook_endpoints')
        .addColumn('updated_at', 'bigint', (c) => c.notNull().defaultTo(0))
        .execute();

      await db.schema
        .createTable('webhook_deliveries')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('app_id', 'text', notNull)
        .addColumn('endpoint_id', 'text', notNull)
        .addColumn('message_id', 'text', notNull)
        .addColumn('webhook_id', 'text', notNull)
        .addColumn('type', 'text', notNull)
        .addColumn('attempt', 'integer', notNull)
        .addColumn('status', 'text', notNull)
        .addColumn('status_code', 'integer')
        .addColumn('duration_ms', 'integer', notNull)
        .addColumn('error', 'text')
        .addColumn('response_body', 'text')
        .addColumn('next_attempt_at', 'bigint')
        .addColumn('created_at', 'bigint', notNull)
        .execute();
      await db.schema
        .createIndex('webhook_deliveries_endpoint_id')
        .on('webhook_deliveries')
        .columns(['endpoint_id', 'id'])
        .execute();
      await db.schema
        .createIndex('webhook_deliveries_created')
        .on('webhook_deliveries')
        .column('created_at')
        .execute();
    },
  };
}
