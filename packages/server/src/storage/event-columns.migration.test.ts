import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql, type Kysely } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from './database.js';
import { entityIndexesMigration } from './entity-indexes.migration.js';
import { eventColumnsMigration } from './event-columns.migration.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('0970_event_columns', () => {
  it('backfills wallet/device from existing payloads, indexes the columns, drops the expression indexes', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'vigil-mig-'));
    dirs.push(dir);
    const db = await openDatabase({ kind: 'sqlite', file: path.join(dir, 'v.db') });
    const k = db.kysely as unknown as Kysely<unknown>;
    await sql`CREATE TABLE events (seq INTEGER PRIMARY KEY, app_id TEXT NOT NULL, payload TEXT NOT NULL)`.execute(
      k,
    );
    await entityIndexesMigration('sqlite').up(k);
    await sql`INSERT INTO events (app_id, payload) VALUES
      ('a', '{"wallet":"0xabc","device":"d1"}'), ('a', '{"device":"d2"}'), ('a', '{"type":"login"}')`.execute(
      k,
    );

    await eventColumnsMigration('sqlite').up(k);

    const rows = await sql<{ wallet: string | null; device: string | null }>`
      SELECT wallet, device FROM events ORDER BY seq`.execute(k);
    expect(rows.rows).toEqual([
      { wallet: '0xabc', device: 'd1' },
      { wallet: null, device: 'd2' },
      { wallet: null, device: null },
    ]);
    const idx = await sql<{ name: string }>`
      SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'events' ORDER BY name`.execute(k);
    expect(idx.rows.map((r) => r.name)).toEqual(['events_app_device_col', 'events_app_wallet_col']);
    const plan = await sql<{ detail: string }>`
      EXPLAIN QUERY PLAN SELECT count(*) FROM events WHERE app_id = 'a' AND wallet = '0xabc'`.execute(k);
    expect(plan.rows.map((r) => r.detail).join(' ')).toContain('events_app_wallet_col');
    await db.close();
  });
});
