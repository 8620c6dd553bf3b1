import { sql, type Kysely, type Migration } from 'kysely';
import type { Dialect } from './database.js';
import { INDEXED_EVENT_FIELDS, payloadFieldSql } from './entity-indexes.migration.js';

/**
 * 0970: `events.wallet` and `events.device` as real columns, filled at insert (the event store
 * takes them from the event), replacing 0910's `json_extract` expression indexes, which parsed
 * every event's JSON payload again on insert. Expand, backfill, then contract: adds the columns,
 * copies the values of existing rows from their payload, creates the partial indexes
 * `events_app_<field>_col` on `(app_id, <field>) WHERE <field> IS NOT NULL`, and drops the old
 * expression indexes `events_app_wallet` / `events_app_device`.
 * @example migrations['0970_event_columns'] = eventColumnsMigration(dialect);
 */
export function eventColumnsMigration(dialect: Dialect): Migration {
  return {
    async up(db: Kysely<unknown>) {
      for (const f of INDEXED_EVENT_FIELDS) {
        await db.schema.alterTable('events').addColumn(f, 'text').execute();
        const expr = payloadFieldSql(dialect, f);
        await sql.raw(`UPDATE events SET ${f} = ${expr} WHERE ${expr} IS NOT NULL`).execute(db);
        await sql
          .raw(
            `CREATE INDEX IF NOT EXISTS events_app_${f}_col ON events (app_id, ${f}) WHERE ${f} IS NOT NULL`,
          )
          .execute(db);
        await sql.raw(`DROP INDEX IF EXISTS events_app_${f}`).execute(db);
      }
    },
  };
}
