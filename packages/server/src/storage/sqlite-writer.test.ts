import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from './database.js';
import { isUniqueViolation } from './sql-errors.js';

describe('SQLite on a worker thread', () => {
  let dir: string;
  let db: Db;
  beforeEach(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'vigil-writer-'));
    db = await openDatabase({ kind: 'sqlite', file: path.join(dir, 'w.db') }, { workerThread: true });
    await sql`CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, data BLOB)`.execute(
      db.kysely,
    );
  });
  afterEach(async () => {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs queries there: rows, affected counts, insert ids and blobs as Buffers', async () => {
    expect(db.sqlite).toBeUndefined();
    const ins = await sql`INSERT INTO t (name, data) VALUES (${'a'}, ${Buffer.from([1, 2, 3])})`.execute(
      db.kysely,
    );
    expect(ins.numAffectedRows).toBe(1n);
    expect(ins.insertId).toBe(1n);
    const rows = await sql<{ id: number; name: string; data: Buffer }>`SELECT * FROM t`.execute(db.kysely);
    expect(rows.rows).toHaveLength(1);
    expect(rows.rows[0]!.name).toBe('a');
    expect(Buffer.isBuffer(rows.rows[0]!.data)).toBe(true);
    expect([...rows.rows[0]!.data]).toEqual([1, 2, 3]);
  });

  it('reports SQLite errors with their code, and keeps working after them', async () => {
    await sql`INSERT INTO t (name) VALUES (${'dup'})`.execute(db.kysely);
    const err: unknown = await sql`INSERT INTO t (name) VALUES (${'dup'})`.execute(db.kysely).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isUniqueViolation(err)).toBe(true);
    await expect(sql`SELECT nope FROM t`.execute(db.kysely)).rejects.toThrow(/no such column: nope/);
    const n = await sql<{ n: number }>`SELECT count(*) AS n FROM t`.execute(db.kysely);
    expect(n.rows[0]!.n).toBe(1);
  });

  it('commits and rolls back transactions, and bulk statements join them', async () => {
    await db.transaction(async (tx) => {
      expect(tx.bulk).toBeDefined();
      const [seqs] = await tx.bulk!.run([
        {
          sql: 'INSERT INTO t (name) VALUES (?) ON CONFLICT (name) DO NOTHING RETURNING id',
          rows: [['x'], ['y'], ['x']],
          get: true,
        },
      ]);
      expect(seqs).toEqual([{ id: 1 }, { id: 2 }, null]);
    });
    await expect(
      db.transaction(async (tx) => {
        await tx.bulk!.run([{ sql: 'INSERT INTO t (name) VALUES (?)', rows: [['z']] }]);
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    await expect(
      db.transaction((tx) =>
        tx.bulk!.run([{ sql: 'INSERT INTO t (name) VALUES (?)', rows: [['q'], ['q']] }]),
      ),
    ).rejects.toSatisfy(isUniqueViolation);
    const names = await sql<{ name: string }>`SELECT name FROM t ORDER BY id`.execute(db.kysely);
    expect(names.rows.map((r) => r.name)).toEqual(['x', 'y']);
  });

  it('runs one unit of work at a time: a statement outside a transaction waits for it and is not rolled back with it', async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => (release = r));
    const tx = db.transaction(async (t) => {
      await sql`INSERT INTO t (name) VALUES (${'in-tx'})`.execute(t.kysely);
      await gate;
      throw new Error('roll back');
    });
    await new Promise((r) => setTimeout(r, 20));
    const outside = sql`INSERT INTO t (name) VALUES (${'outside'})`.execute(db.kysely);
    release();
    await expect(tx).rejects.toThrow('roll back');
    await outside;
    const names = await sql<{ name: string }>`SELECT name FROM t`.execute(db.kysely);
    expect(names.rows.map((r) => r.name)).toEqual(['outside']);
  });

  it('sees what another connection to the file committed, and answers clearly once closed', async () => {
    const other = await openDatabase(
      { kind: 'sqlite', file: path.join(dir, 'w.db') },
      { workerThread: false },
    );
    await sql`INSERT INTO t (name) VALUES (${'from-other'})`.execute(other.kysely);
    await other.close();
    const names = await sql<{ name: string }>`SELECT name FROM t`.execute(db.kysely);
    expect(names.rows.map((r) => r.name)).toEqual(['from-other']);
    await db.close();
    await expect(sql`SELECT 1`.execute(db.kysely)).rejects.toThrow();
    db = await openDatabase({ kind: 'sqlite', file: path.join(dir, 'w.db') }, { workerThread: true });
  });
});
