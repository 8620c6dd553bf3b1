import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, startWalCheckpoints } from './database.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tempFile(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'vigil-db-'));
  dirs.push(dir);
  return path.join(dir, 'v.db');
}

describe('SQLite WAL checkpoints', () => {
  it('turns auto-checkpointing off and exposes the connection', async () => {
    const db = await openDatabase({ kind: 'sqlite', file: tempFile() });
    expect(db.sqlite?.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
    expect(db.sqlite?.pragma('journal_mode', { simple: true })).toBe('wal');
    await db.close();
  });

  it('on the worker thread, turns it off there too and keeps only a read connection on this thread', async () => {
    const db = await openDatabase({ kind: 'sqlite', file: tempFile() }, { workerThread: true });
    expect(db.sqlite).toBeUndefined();
    expect(db.readSqlite?.pragma('journal_mode', { simple: true })).toBe('wal');
    const on = async (pragma: string) =>
      (await sql<Record<string, unknown>>`${sql.raw(`PRAGMA ${pragma}`)}`.execute(db.kysely)).rows[0];
    expect(await on('wal_autocheckpoint')).toEqual({ wal_autocheckpoint: 0 });
    expect(await on('synchronous')).toEqual({ synchronous: 1 });
    expect(await on('foreign_keys')).toEqual({ foreign_keys: 1 });
    await db.close();
  });

  it.each([
    ['on the connection', false],
    ['in a worker thread', true],
  ])('checkpoints %s and truncates the WAL on close', async (_, inWorker) => {
    const file = tempFile();
    const sqlite = new SqliteDatabase(file);
    sqlite.pragma('journal_mode = WAL');
    const stop = startWalCheckpoints(sqlite, { intervalMs: 20, ...(inWorker ? { file } : {}) });
    sqlite.exec('CREATE TABLE t (x TEXT)');
    const ins = sqlite.prepare('INSERT INTO t VALUES (?)');
    sqlite.transaction(() => {
      for (let i = 0; i < 2000; i++) ins.run('x'.repeat(200));
    })();
    const walBefore = statSync(`${file}-wal`).size;
    expect(walBefore).toBeGreaterThan(100_000);
    // a PASSIVE checkpoint copied every frame: the next write restarts the WAL from its start
    const framesAfterWrite = () => {
      sqlite.prepare('INSERT INTO t VALUES (?)').run('y');
      const [r] = sqlite.pragma('wal_checkpoint(PASSIVE)') as { log: number }[];
      return r?.log ?? -1;
    };
    // the main file only grows when a checkpoint copies the pages into it
    expect(statSync(file).size).toBeLessThan(100_000);
    for (let i = 0; i < 100 && statSync(file).size < 400_000; i++)
      await new Promise((r) => setTimeout(r, 30));
    expect(statSync(file).size).toBeGreaterThan(400_000);
    const frames = framesAfterWrite();
    expect(frames).toBeGreaterThanOrEqual(0);
    expect(frames).toBeLessThan(5);
    await stop();
    expect(statSync(`${file}-wal`).size).toBe(0);
    expect(sqlite.prepare('SELECT count(*) AS n FROM t').get()).toEqual({ n: 2001 });
    sqlite.close();
    expect(existsSync(file)).toBe(true);
  });
});
