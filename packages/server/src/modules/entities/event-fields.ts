import { sql, type RawBuilder } from 'kysely';
import type { Dialect } from '../../storage/database.js';
import { payloadFieldSql, type PayloadField } from '../../storage/entity-indexes.migration.js';

/**
 * A field of an event as a Kysely raw fragment: `wallet` and `device` are indexed columns of
 * `events` (migration 0970, filled at insert); other fields are read from the JSON payload.
 * `alias` qualifies the column.
 * @example sql`SELECT count(*) FROM events WHERE ${field(db.dialect, 'wallet')} = ${address}`
 */
export function field(dialect: Dialect, name: PayloadField, alias?: string): RawBuilder<unknown> {
  switch (name) {
    case 'wallet':
    case 'device':
      return sql.raw(alias === undefined ? name : `${alias}.${name}`);
    case 'amount':
      return sql.raw(payloadFieldSql(dialect, name, alias));
  }
}
