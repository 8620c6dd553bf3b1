import { sql, type RawBuilder } from 'kysely';
import type { Dialect } from '../../storage/database.js';
import { payloadFieldSql, type PayloadField } from '../../storage/entity-indexes.migration.js';

/**
 * A payload field of `events` as a Kysely raw fragment, spelled exactly like its expression index
 * (see `entityIndexesMigration`).
 * @example sql`SELECT count(*) FROM events WHERE ${field(db.dialect, 'wallet')} = ${address}`
 */
export function field(dialect: Dialect, name: PayloadField, alias?: string): RawBuilder<unknown> {
  return sql.raw(payloadFieldSql(dialect, name, alias));
}
