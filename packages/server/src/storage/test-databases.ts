import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { describe, it } from 'vitest';
import type { DatabaseConfig } from '../config.js';
import { openDatabase, type Db } from './database.js';
import { migrateToLatest } from './migrations.js';

/**
 * Test helpers: a temporary SQLite file, or a fresh PostgreSQL database per test file on the
 * local server (VIGIL_TEST_PG_URL, default postgres://postgres@127.0.0.1:5432/test).
 */

/** The server used for PostgreSQL tests; databases are created next to the `test` database. */
export const TEST_PG_URL = process.env['VIGIL_TEST_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

/** A database for one test file and how to get rid of it. */
export interface TestDatabase {
  readonly config: DatabaseConfig;
  readonly db: Db;
  cleanup(): Promise<void>;
}

/** Whether the PostgreSQL test server answers, and why not. */
export async function probePostgres(): Promise<{ readonly ok: boolean; readonly reason: string }> {
  const client = new pg.Client({ connectionString: TEST_PG_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return { ok: true, reason: '' };
  } catch (err) {
    return { ok: false, reason: err instanceof Error ? err.message : String(err) };
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * A migrated database in a new temporary SQLite file, on the calling thread's connection as the
 * server's default, or with `workerThread: true` on a worker thread (SQLITE_WORKER=true).
 */
export async function createSqliteTestDatabase(
  opts: { readonly workerThread?: boolean } = {},
): Promise<TestDatabase> {
  const dir = mkdtempSync(path.join(tmpdir(), 'vigil-test-'));
  const config: DatabaseConfig = { kind: 'sqlite', file: path.join(dir, 'vigil.db') };
  const db = await openDatabase(
    config,
    opts.workerThread === undefined ? {} : { workerThread: opts.workerThread },
  );
  await migrateToLatest(db);
  return {
    config,
    db,
    cleanup: async () => {
      await db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A brand-new, empty PostgreSQL database (not migrated); `drop` removes it. */
export async function createPgTestDatabaseUrl(): Promise<{
  readonly url: string;
  readonly drop: () => Promise<void>;
}> {
  const name = `vigil_t_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = new pg.Client({ connectionString: TEST_PG_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(TEST_PG_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: TEST_PG_URL });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}

/** A migrated, brand-new PostgreSQL database; `cleanup` drops it. */
export async function createPgTestDatabase(): Promise<TestDatabase> {
  const { url, drop } = await createPgTestDatabaseUrl();
  const config: DatabaseConfig = { kind: 'postgres', url };
  const db = await openDatabase(config, { poolSize: 4 });
  await migrateToLatest(db);
  return {
    config,
    db,
    cleanup: async () => {
      await db.close();
      await drop();
    },
  };
}

const pgProbe = await probePostgres();

/**
 * `describe` for tests that need PostgreSQL. When the server is unreachable the block is skipped
 * with a message, except under CI=true, where a failing test says why.
 * @example describeWithPostgres('stores on PostgreSQL', () => { ... });
 */
export function describeWithPostgres(name: string, fn: () => void): void {
  if (pgProbe.ok) {
    describe(name, fn);
    return;
  }
  const message = `PostgreSQL at ${TEST_PG_URL} is unreachable (${pgProbe.reason})`;
  if (process.env['CI'] === 'true') {
    describe(name, () => {
      it('needs PostgreSQL', () => {
        throw new Error(`${message}; CI requires it`);
      });
    });
    return;
  }
  console.warn(`skipping '${name}': ${message}`);
  describe.skip(name, fn);
}
