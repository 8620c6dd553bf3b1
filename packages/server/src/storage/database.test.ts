import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
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

  it('checkpoints on the timer and truncates the WAL on close', async () => {
    const file = tempFile();
    const sqlite = new SqliteDatabase(file);
    sqlite.pragma('journal_mode = WAL');
    const stop = startWalCheckpoints(sqlite, 20);
    sqlite.exec('CREATE TABLE t (x TEXT)');
    const ins = sqlite.prepare('INSERT INTO t VALUES (?)');
    sqlite.transaction(() => {
      for (let i = 0; i < 2000; i++) ins.run('x'.repeat(200));
    })();
    const walBefore = statSync(`${file}-wal`).size;
    expect(walBefore).toBeGreaterThan(100_000);
    await new Promise((r) => setTimeout(r, 80));
    // a PASSIVE checkpoint copied every frame: the next write restarts the WAL from its start
    ins.run('y');
    const [frames] = sqlite.pragma('wal_checkpoint(PASSIVE)') as { log: number }[];
    expect(frames?.log).toBeLessThan(5);
    stop();
    expect(statSync(`${file}-wal`).size).toBe(0);
    expect(sqlite.prepare('SELECT count(*) AS n FROM t').get()).toEqual({ n: 2001 });
    sqlite.close();
    expect(existsSync(file)).toBe(true);
  });
});
