import { sql, type Kysely, type Migration } from 'kysely';
import type { Dialect } from './database.js';

/** Event payload fields looked up by value (wallet and device profiles); each gets an expression index. @example INDEXED_EVENT_FIELDS; // ['wallet', 'device'] */
export const INDEXED_EVENT_FIELDS = ['wallet', 'device'] as const;
export type IndexedEventField = (typeof INDEXED_EVENT_FIELDS)[number];

/** Payload fields the entity queries read. */
export type PayloadField = IndexedEventField | 'amount';

/**
 * The SQL text of a field of the `events.payload` JSON, exactly as the expression indexes spell it
 * (a planner only uses an expression index for the identical expression, so queries must use this
 * text, never a bound parameter). `alias` qualifies the column.
 * @example payloadFieldSql('sqlite', 'wallet'); // "json_extract(payload, '$.wallet')"
 */
export function payloadFieldSql(dialect: Dialect, field: PayloadField, alias?: string): string {
  const col = alias === undefined ? 'payload' : `${alias}.payload`;
  switch (dialect) {
    case 'sqlite':
      return `json_extract(${col}, '$.${field}')`;
    case 'postgres':
      return field === 'amount'
        ? `((${col}::jsonb ->> 'amount')::double precision)`
        : `(${col}::jsonb ->> '${field}')`;
  }
}

/**
 * 0910: partial expression indexes on `events` for the wallet and device profiles:
 * `(app_id, <field>) WHERE <field> IS NOT NULL` (only events that carry the field pay for them).
 * Idempotent (IF NOT EXISTS). Numbered 0910 so that other features' migrations cannot take its name.
 * @example migrations['0910_entity_indexes'] = entityIndexesMigration(dialect);
 */
export function entityIndexesMigration(dialect: Dialect): Migration {
  return {
    async up(db: Kysely<unknown>) {
      for (const f of INDEXED_EVENT_FIELDS) {
        const expr = payloadFieldSql(dialect, f);
        const target = dialect === 'postgres' ? `(${expr})` : expr;
        await sql
          .raw(
            `CREATE INDEX IF NOT EXISTS events_app_${f} ON events (app_id, ${target}) WHERE ${expr} IS NOT NULL`,
          )
          .execute(db);
      }
    },
  };
}
