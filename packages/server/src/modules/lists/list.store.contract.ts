import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../storage/database.js';
import type { TestDatabase } from '../../storage/test-databases.js';
import { ulid } from '../../storage/ulid.js';
import { createListStore, type ListRecord } from './list.store.js';

/** The list store's contract, run on every dialect (list.store.test.ts, list.store.int.test.ts). */
export function describeListStoreContract(open: () => Promise<TestDatabase>): void {
  let t: TestDatabase;
  let db: Db;
  beforeAll(async () => {
    t = await open();
    db = t.db;
  });
  afterAll(async () => {
    await t?.cleanup();
  });

  const rec = (scope: string, value: string, over: Partial<ListRecord> = {}): ListRecord => ({
    id: ulid(),
    scope,
    kind: 'ip',
    value,
    verdict: 'block',
    label: 'blocklist',
    weight: 1,
    expiresAt: null,
    createdAt: 1000,
    createdBy: 'test',
    ...over,
  });

  describe('list store', () => {
    it('upserts by (scope, kind, value): a second write replaces verdict, label, weight and expiry', async () => {
      const s = createListStore(db);
      const scope = ulid();
      await s.upsertMany([rec(scope, '1.2.3.4')]);
      await s.upsertMany([
        rec(scope, '1.2.3.4', {
          verdict: 'allow',
          label: 'office',
          weight: 3,
          expiresAt: 9000,
          createdAt: 2000,
        }),
      ]);
      expect(await s.get(scope, 'ip', '1.2.3.4')).toMatchObject({
        scope,
        kind: 'ip',
        value: '1.2.3.4',
        verdict: 'allow',
        label: 'office',
        weight: 3,
        expiresAt: 9000,
        createdAt: 2000,
      });
      expect((await s.count(scope)).allow).toBe(1);
      expect((await s.count(scope)).block).toBe(0);
    });

    it('keeps the last row when one batch names a value twice', async () => {
      const s = createListStore(db);
      const scope = ulid();
      await s.upsertMany([
        rec(scope, '5.5.5.5', { label: 'first' }),
        rec(scope, '5.5.5.5', { label: 'second' }),
      ]);
      expect((await s.get(scope, 'ip', '5.5.5.5'))?.label).toBe('second');
    });

    it('stores the flag verdict and kinds apart (the same value in two kinds is two entries)', async () => {
      const s = createListStore(db);
      const scope = ulid();
      await s.upsertMany([
        rec(scope, 'tor-x', { kind: 'user', verdict: 'flag', label: 'tor' }),
        rec(scope, 'tor-x', { kind: 'device' }),
      ]);
      expect((await s.get(scope, 'user', 'tor-x'))?.verdict).toBe('flag');
      expect((await s.get(scope, 'device', 'tor-x'))?.verdict).toBe('block');
      expect(await s.count(scope)).toEqual({ block: 1, allow: 0, flag: 1 });
      expect(await s.count(scope, 'user')).toEqual({ block: 0, allow: 0, flag: 1 });
    });

    it('pages in value order with filters and no overlap', async () => {
      const s = createListStore(db);
      const scope = ulid();
      const values = ['10.0.0.5', '10.0.0.1', '10.0.0.3', '10.0.0.2', '10.0.0.4'];
      await s.upsertMany(values.map((v, i) => rec(scope, v, { verdict: i % 2 === 0 ? 'block' : 'allow' })));
      const p1 = await s.page({ scope, kind: 'ip', limit: 2 });
      expect(p1.items.map((r) => r.value)).toEqual(['10.0.0.1', '10.0.0.2']);
      expect(p1.more).toBe(true);
      const p2 = await s.page({ scope, kind: 'ip', limit: 2, after: '10.0.0.2' });
      expect(p2.items.map((r) => r.value)).toEqual(['10.0.0.3', '10.0.0.4']);
      const p3 = await s.page({ scope, kind: 'ip', limit: 2, after: '10.0.0.4' });
      expect(p3.items.map((r) => r.value)).toEqual(['10.0.0.5']);
      expect(p3.more).toBe(false);
      const blocks = await s.page({ scope, kind: 'ip', limit: 10, verdict: 'block' });
      expect(blocks.items.map((r) => r.value)).toEqual(['10.0.0.3', '10.0.0.4', '10.0.0.5']);
      expect((await s.page({ scope, kind: 'ip', limit: 10, label: 'nope' })).items).toEqual([]);
    });

    it('scans every scope and kind in pages without skipping or repeating', async () => {
      const s = createListStore(db);
      const a = ulid();
      const b = ulid();
      await s.upsertMany([
        rec(a, '1.1.1.1'),
        rec(a, '1.1.1.2'),
        rec(a, 'u1', { kind: 'user' }),
        rec(b, '1.1.1.1'),
        rec(b, 'w1', { kind: 'wallet' }),
      ]);
      const seen: string[] = [];
      for await (const page of s.scan(2)) {
        expect(page.length).toBeLessThanOrEqual(2);
        for (const r of page)
          if (r.scope === a || r.scope === b) seen.push(`${r.scope === a ? 'a' : 'b'}:${r.kind}:${r.value}`);
      }
      expect(seen.sort()).toEqual([
        'a:ip:1.1.1.1',
        'a:ip:1.1.1.2',
        'a:user:u1',
        'b:ip:1.1.1.1',
        'b:wallet:w1',
      ]);
    });

    it('removes one entry and deletes expired ones', async () => {
      const s = createListStore(db);
      const scope = ulid();
      await s.upsertMany([
        rec(scope, '2.2.2.2'),
        rec(scope, '3.3.3.3', { expiresAt: 500 }),
        rec(scope, '4.4.4.4', { expiresAt: 5000 }),
      ]);
      expect(await s.remove(scope, 'ip', '2.2.2.2')).toBe(true);
      expect(await s.remove(scope, 'ip', '2.2.2.2')).toBe(false);
      expect(await s.deleteExpired(1000)).toBeGreaterThanOrEqual(1);
      expect(await s.get(scope, 'ip', '3.3.3.3')).toBeUndefined();
      expect(await s.get(scope, 'ip', '4.4.4.4')).toBeDefined();
    });

    it('deletes stale entries of one kind and label only', async () => {
      const s = createListStore(db);
      const scope = ulid();
      await s.upsertMany([
        rec(scope, '7.7.7.1', { label: 'tor', createdAt: 100 }),
        rec(scope, '7.7.7.2', { label: 'tor', createdAt: 200 }),
        rec(scope, '7.7.7.3', { label: 'bad_ip', createdAt: 100 }),
        rec(scope, 'u', { kind: 'user', label: 'tor', createdAt: 100 }),
      ]);
      expect(await s.deleteStale(scope, 'ip', 'tor', 200)).toBe(1);
      expect(await s.get(scope, 'ip', '7.7.7.1')).toBeUndefined();
      expect(await s.get(scope, 'ip', '7.7.7.2')).toBeDefined();
      expect(await s.get(scope, 'ip', '7.7.7.3')).toBeDefined();
      expect(await s.get(scope, 'user', 'u')).toBeDefined();
    });

    it('writes 2,500 rows in one call inside a transaction', async () => {
      const scope = ulid();
      const rows = Array.from({ length: 2500 }, (_, i) => rec(scope, `10.1.${i >> 8}.${i & 255}`));
      await db.transaction((tx) => createListStore(tx).upsertMany(rows));
      expect((await createListStore(db).count(scope)).block).toBe(2500);
    });
  });
}
