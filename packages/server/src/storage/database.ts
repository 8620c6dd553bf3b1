import { mkdirSync } from 'node:fs';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, type Transaction } from 'kysely';
import pg from 'pg';
import type { DatabaseConfig } from '../config.js';
import type { DB } from './schema.js';

/** The SQL dialects Vigil runs on. */
export const DIALECTS = ['sqlite', 'postgres'] as const;
export type Dialect = (typeof DIALECTS)[number];

/**
 * A database handle: the Kysely instance (or the open transaction), its dialect, and a way to
 * run a unit of work in one transaction. Stores take a `Db`, so the same store code runs inside
 * or outside a transaction.
 */
export interface Db {
  readonly kysely: Kysely<DB>;
  readonly dialect: Dialect;
  /** True when `kysely` is an open transaction. */
  readonly inTransaction: boolean;
  /** Runs `fn` in one transaction (or in the current one when already inside a transaction). */
  transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T>;
  /** Closes the connections (a no-op inside a transaction). */
  close(): Promise<void>;
}

function txDb(trx: Transaction<DB>, dialect: Dialect): Db {
  const db: Db = {
    kysely: trx,
    dialect,
    inTransaction: true,
    transaction: (fn) => fn(db),
    close: async () => {},
  };
  return db;
}

function wrap(kysely: Kysely<DB>, dialect: Dialect, onClose: () => Promise<void>): Db {
  return {
    kysely,
    dialect,
    inTransaction: false,
    transaction: (fn) => kysely.transaction().execute((trx) => fn(txDb(trx, dialect))),
    close: onClose,
  };
}

const INT8_OID = 20;
const NUMERIC_OID = 1700;

/** pg returns BIGINT as strings by default; every BIGINT here is epoch ms or a counter, so numbers are exact. */
function pgTypes(): pg.TypeOverrides {
  const types = new pg.TypeOverrides();
  types.setTypeParser(INT8_OID, (v: string) => Number(v));
  types.setTypeParser(NUMERIC_OID, (v: string) => Number(v));
  return types;
}

/** Options for {@link openDatabase}. */
export interface OpenDatabaseOptions {
  /** PostgreSQL pool size (default 10). */
  readonly poolSize?: number;
}

/**
 * Opens the configured database. SQLite: creates the directory and file, WAL journal with
 * synchronous=NORMAL (a commit survives a process crash; many commits share one fsync at
 * checkpoint). PostgreSQL: a connection pool with BIGINT mapped to numbers.
 * @example
 * const db = await openDatabase({ kind: 'sqlite', file: './data/vigil.db' });
 */
export async function openDatabase(config: DatabaseConfig, opts: OpenDatabaseOptions = {}): Promise<Db> {
  switch (config.kind) {
    case 'sqlite': {
      if (config.file !== ':memory:') mkdirSync(path.dirname(config.file), { recursive: true });
      const sqlite = new SqliteDatabase(config.file);
      sqlite.pragma('journal_mode = WAL');
      sqlite.pragma('synchronous = NORMAL');
      sqlite.pragma('foreign_keys = ON');
      sqlite.pragma('busy_timeout = 5000');
      const kysely = new Kysely<DB>({ dialect: new SqliteDialect({ database: sqlite }) });
      return wrap(kysely, 'sqlite', () => kysely.destroy());
    }
    case 'postgres': {
      const pool = new pg.Pool({
        connectionString: config.url,
        max: opts.poolSize ?? 10,
        types: pgTypes(),
      });
      // an idle client's error (server restart) must not crash the process; the next query reports it
      pool.on('error', () => {});
      const kysely = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
      return wrap(kysely, 'postgres', () => kysely.destroy());
    }
  }
}
