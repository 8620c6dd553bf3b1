import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, type Transaction } from 'kysely';
import pg from 'pg';
import type { DatabaseConfig } from '../config.js';
import type { DB } from './schema.js';
import { openSqliteWriter, type AtomicRunner, type BulkRunner } from './sqlite-writer.js';

const require = createRequire(import.meta.url);

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
  /**
   * The SQLite connection under `kysely` (the same one, so statements run on it join an open
   * transaction); absent on PostgreSQL. Hot write paths use cached prepared statements on it.
   */
  readonly sqlite?: SqliteDatabase.Database;
  /**
   * Inside a transaction on a SQLite file's worker connection: runs a statement over many rows in
   * one round trip to the thread (the group commit's inserts).
   */
  readonly bulk?: BulkRunner;
  /**
   * SQLite files on a worker thread: a connection on the calling thread for hot reads of committed
   * rows that must not queue behind the worker's transaction (the ingest's duplicate-id lookups).
   * Read-only by contract: writing on it would contend with the worker for the write lock.
   */
  readonly readSqlite?: SqliteDatabase.Database;
  /** SQLite files on a worker thread, outside transactions: a whole transaction in one round trip. */
  readonly atomic?: AtomicRunner;
}

/**
 * The SQLite connection under `db` when a statement run on it directly stays in the caller's unit
 * of work: inside `db`'s own transaction, or when no transaction is open on the connection (a raw
 * statement would otherwise join another caller's open transaction, and commit or roll back with
 * it). Undefined on PostgreSQL and in that case; callers then go through Kysely.
 * @example const sqlite = rawSqlite(db); if (sqlite) cachedStatement(sqlite).run(...);
 */
export function rawSqlite(db: Db): SqliteDatabase.Database | undefined {
  const sqlite = db.sqlite;
  if (sqlite === undefined || !sqlite.open) return undefined;
  return db.inTransaction || !sqlite.inTransaction ? sqlite : undefined;
}

function txDb(
  trx: Transaction<DB>,
  dialect: Dialect,
  sqlite: SqliteDatabase.Database | undefined,
  bulk?: BulkRunner,
): Db {
  const db: Db = {
    kysely: trx,
    dialect,
    inTransaction: true,
    transaction: (fn) => fn(db),
    close: async () => {},
    ...(sqlite === undefined ? {} : { sqlite }),
    ...(bulk === undefined ? {} : { bulk }),
  };
  return db;
}

function wrap(
  kysely: Kysely<DB>,
  dialect: Dialect,
  onClose: () => Promise<void>,
  sqlite?: SqliteDatabase.Database,
): Db {
  return {
    kysely,
    dialect,
    inTransaction: false,
    transaction: (fn) => kysely.transaction().execute((trx) => fn(txDb(trx, dialect, sqlite))),
    close: onClose,
    ...(sqlite === undefined ? {} : { sqlite }),
  };
}

/** How often the WAL is checkpointed (SQLite's own auto-checkpoint inside COMMIT is off). */
export const WAL_CHECKPOINT_INTERVAL_MS = 1000;

/** The checkpointing thread: its own connection to the file, PASSIVE on a timer (CommonJS, eval'd). */
const CHECKPOINT_WORKER = `
const { workerData, parentPort } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file);
db.pragma('busy_timeout = 1000');
const checkpoint = () => {
  try { db.pragma('wal_checkpoint(PASSIVE)'); } catch { /* busy: the next tick retries */ }
};
checkpoint();
const timer = setInterval(checkpoint, workerData.intervalMs);
parentPort.on('message', () => { clearInterval(timer); db.close(); parentPort.close(); });
`;

/** Options of {@link startWalCheckpoints}. */
export interface WalCheckpointOptions {
  /** Milliseconds between checkpoints (default {@link WAL_CHECKPOINT_INTERVAL_MS}). */
  readonly intervalMs?: number;
  /**
   * The database file: checkpoints then run in a worker thread on a second connection, so the
   * page copying and fsync never block the event loop. Started on the first tick (connections
   * closed sooner never start a thread); without it, or if the thread fails, they run on `sqlite`
   * between transactions.
   */
  readonly file?: string;
}

/**
 * Moves WAL checkpointing off the commit path: turns SQLite's auto-checkpoint off (it runs inside
 * whichever COMMIT crosses 1,000 pages) and checkpoints PASSIVE every interval instead, in a
 * worker thread when `file` is given. Durability does not change: with WAL and synchronous=NORMAL
 * a commit is in the WAL file when COMMIT returns and survives a process crash; the checkpoint
 * only copies pages into the main file. Returns a stop function that ends the thread and
 * checkpoints with TRUNCATE.
 * @example const stop = startWalCheckpoints(sqlite, { file }); await stop();
 */
export function startWalCheckpoints(
  sqlite: SqliteDatabase.Database,
  opts: WalCheckpointOptions = {},
): () => Promise<void> {
  const intervalMs = opts.intervalMs ?? WAL_CHECKPOINT_INTERVAL_MS;
  sqlite.pragma('wal_autocheckpoint = 0');
  const checkpoint = (mode: 'PASSIVE' | 'TRUNCATE') => {
    // never inside an open transaction on this connection (it would fail with SQLITE_LOCKED)
    if (!sqlite.open || sqlite.inTransaction) return;
    try {
      sqlite.pragma(`wal_checkpoint(${mode})`);
    } catch {
      // busy (another process holds the checkpoint lock): the next tick retries
    }
  };
  let worker: Worker | undefined;
  let workerFailed = opts.file === undefined;
  const tick = () => {
    if (workerFailed) return checkpoint('PASSIVE');
    if (worker !== undefined) return;
    worker = new Worker(CHECKPOINT_WORKER, {
      eval: true,
      workerData: { driver: require.resolve('better-sqlite3'), file: opts.file, intervalMs },
    });
    worker.unref();
    worker.on('error', () => {
      workerFailed = true;
      worker = undefined;
    });
  };
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  return async () => {
    clearInterval(timer);
    const w = worker;
    worker = undefined;
    if (w !== undefined) {
      await new Promise<void>((resolve) => {
        w.once('exit', () => resolve());
        w.ref(); // keep the process up until the thread closed its connection
        w.postMessage('stop');
      });
    }
    checkpoint('TRUNCATE');
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
  /**
   * SQLite files: run every statement on a connection in a worker thread, so inserts, COMMITs and
   * queries never block the event loop (see storage/sqlite-writer.ts and docs/adr/0006). Default:
   * the config's `workerThread`, else false. `:memory:` databases always run on the calling thread.
   */
  readonly workerThread?: boolean;
}

/**
 * Opens the configured database. SQLite: creates the directory and file, WAL journal with
 * synchronous=NORMAL (a commit survives a process crash; many commits share one fsync at
 * checkpoint), checkpoints on a timer rather than inside COMMIT ({@link startWalCheckpoints}). PostgreSQL: a connection pool with BIGINT mapped to numbers.
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
      const stopCheckpoints =
        config.file === ':memory:' ? async () => {} : startWalCheckpoints(sqlite, { file: config.file });
      if (config.file !== ':memory:' && (opts.workerThread ?? config.workerThread) === true) {
        // every statement runs on the worker's connection; this one set the file up, serves the
        // duplicate-id lookups (readSqlite) and checkpoints if the checkpoint thread cannot start
        const w = openSqliteWriter(config.file);
        return {
          kysely: w.kysely,
          dialect: 'sqlite',
          inTransaction: false,
          transaction: (fn) =>
            w.kysely.transaction().execute((trx) => fn(txDb(trx, 'sqlite', undefined, w.bulk))),
          readSqlite: sqlite,
          atomic: w.atomic,
          close: async () => {
            await w.close();
            await stopCheckpoints();
            sqlite.close();
          },
        };
      }
      const kysely = new Kysely<DB>({ dialect: new SqliteDialect({ database: sqlite }) });
      return wrap(
        kysely,
        'sqlite',
        async () => {
          await stopCheckpoints();
          await kysely.destroy();
        },
        sqlite,
      );
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
