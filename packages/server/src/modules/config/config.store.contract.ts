import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../storage/database.js';
import { isUniqueViolation } from '../../storage/sql-errors.js';
import type { TestDatabase } from '../../storage/test-databases.js';
import { ulid } from '../../storage/ulid.js';
import { createConfigStore, type ConfigRecord } from './config.store.js';

/**
 * The config store's contract, run on every dialect (config.store.test.ts, config.store.int.test.ts).
 * @example describe('config store on SQLite', () => describeConfigStoreContract(createSqliteTestDatabase));
 */
export function describeConfigStoreContract(open: () => Promise<TestDatabase>): void {
  let t: TestDatabase;
  let db: Db;
  beforeAll(async () => {
    t = await open();
    db = t.db;
  });
  afterAll(async () => {
    await t?.cleanup();
  });

  const rec = (appId: string, version: number): ConfigRecord => ({
    appId,
    version,
    body: JSON.stringify({ access: { full: 60 + version } }),
    createdAt: 1000 + version,
    createdBy: `key:${version}`,
  });

  describe('config store', () => {
    it('keeps every version; latest and get read them back exactly', async () => {
      const s = createConfigStore(db);
      const app = ulid();
      expect(await s.latest(app)).toBeUndefined();
      for (const v of [1, 2, 3]) await s.insert(rec(app, v));
      expect(await s.latest(app)).toEqual(rec(app, 3));
      expect(await s.get(app, 2)).toEqual(rec(app, 2));
      expect(await s.get(app, 9)).toBeUndefined();
    });

    it('refuses a version twice (the race guard)', async () => {
      const s = createConfigStore(db);
      const app = ulid();
      await s.insert(rec(app, 1));
      const err: unknown = await s.insert(rec(app, 1)).catch((e: unknown) => e);
      expect(isUniqueViolation(err)).toBe(true);
    });

    it('lists newest first and pages back with before', async () => {
      const s = createConfigStore(db);
      const app = ulid();
      for (const v of [1, 2, 3, 4, 5]) await s.insert(rec(app, v));
      const first = await s.list(app, { limit: 2 });
      expect(first.map((r) => r.version)).toEqual([5, 4]);
      expect(first[0]).toEqual({ appId: app, version: 5, createdAt: 1005, createdBy: 'key:5' });
      expect((await s.list(app, { before: 4, limit: 10 })).map((r) => r.version)).toEqual([3, 2, 1]);
    });

    it('finds the newest version of every app', async () => {
      const s = createConfigStore(db);
      const a = ulid();
      const b = ulid();
      await s.insert(rec(a, 1));
      await s.insert(rec(a, 2));
      await s.insert(rec(b, 1));
      const latest = (await s.latestOfEveryApp()).filter((r) => r.appId === a || r.appId === b);
      expect(latest.map((r) => [r.appId, r.version]).sort()).toEqual(
        [
          [a, 2],
          [b, 1],
        ].sort(),
      );
    });
  });
}
