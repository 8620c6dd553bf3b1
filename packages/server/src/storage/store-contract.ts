import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isDomainError } from '../errors.js';
import { createAppStore } from '../modules/apps/app.store.js';
import { createAuditStore, verifyAuditChain } from '../modules/audit/audit.store.js';
import { createApiKeyStore } from '../modules/auth/api-key.store.js';
import {
  createEventStore,
  eventKey,
  type NewDecisionRow,
  type NewEventRow,
} from '../modules/events/event.store.js';
import { createSnapshotStore } from '../modules/features/snapshot.store.js';
import { createUserStore } from '../modules/users/user.store.js';
import type { Db } from './database.js';
import { migrateToLatest } from './migrations.js';
import type { TestDatabase } from './test-databases.js';
import { ulid } from './ulid.js';

/**
 * The storage contract: every store behaves the same on every dialect. Run it once per database:
 * `describeStoreContract('sqlite', createSqliteTestDatabase)`.
 */
export function describeStoreContract(open: () => Promise<TestDatabase>): void {
  let t: TestDatabase;
  let db: Db;
  beforeAll(async () => {
    t = await open();
    db = t.db;
  });
  afterAll(async () => {
    await t?.cleanup();
  });

  const newApp = async (name = `app-${ulid()}`) => {
    const app = { id: ulid(), name, createdAt: 1_700_000_000_000 };
    await createAppStore(db).create(app);
    return app;
  };

  describe('migrations', () => {
    it('are applied once; running them again applies nothing', async () => {
      expect((await migrateToLatest(db)).applied).toEqual([]);
    });
  });

  describe('transactions', () => {
    it('roll back every write when the unit of work throws', async () => {
      const id = ulid();
      await expect(
        db.transaction(async (tx) => {
          await createAppStore(tx).create({ id, name: `tx-${id}`, createdAt: 1 });
          throw new Error('boom');
        }),
      ).rejects.toThrow('boom');
      expect(await createAppStore(db).get(id)).toBeUndefined();
    });
  });

  describe('apps', () => {
    it('creates, finds and lists apps', async () => {
      const a = await newApp();
      const b = await newApp();
      const apps = createAppStore(db);
      expect(await apps.get(a.id)).toEqual(a);
      expect(await apps.findByName(b.name)).toEqual(b);
      expect(await apps.get('nope')).toBeUndefined();
      const ids = (await apps.list()).map((x) => x.id);
      expect(ids).toContain(a.id);
      expect(ids).toContain(b.id);
    });

    it('rejects a duplicate name with app_exists', async () => {
      const a = await newApp();
      const err: unknown = await createAppStore(db)
        .create({ id: ulid(), name: a.name, createdAt: 2 })
        .catch((e: unknown) => e);
      expect(isDomainError(err, 'app_exists')).toBe(true);
    });
  });

  describe('api keys', () => {
    it('stores hashed keys, lists, revokes and counts admins', async () => {
      const app = await newApp();
      const keys = createApiKeyStore(db);
      const base = { name: 'k', createdAt: 5, lastUsedAt: null, revokedAt: null } as const;
      const k1 = { ...base, id: ulid(), appId: app.id, role: 'app' as const, prefix: 'vgl_aaaa' };
      const k2 = { ...base, id: ulid(), appId: app.id, role: 'app' as const, prefix: 'vgl_bbbb' };
      const adminsBefore = await keys.countLiveAdminKeys();
      const adm = { ...base, id: ulid(), appId: null, role: 'admin' as const, prefix: 'vgl_cccc' };
      await keys.insert(k1, `h1-${k1.id}`);
      await keys.insert(k2, `h2-${k2.id}`);
      await keys.insert(adm, `h3-${adm.id}`);
      expect(await keys.findByHash(`h1-${k1.id}`)).toEqual(k1);
      expect(await keys.findByHash('missing')).toBeUndefined();
      expect((await keys.list({ appId: app.id })).map((k) => k.id)).toEqual([k1.id, k2.id].sort());
      expect(await keys.countLiveAdminKeys()).toBe(adminsBefore + 1);

      expect(await keys.revoke(k1.id, 99)).toBe(true);
      expect(await keys.revoke(k1.id, 100)).toBe(false);
      expect((await keys.get(k1.id))?.revokedAt).toBe(99);
      expect((await keys.list({ appId: app.id })).map((k) => k.id)).toEqual([k2.id]);
      expect(await keys.list({ appId: app.id, includeRevoked: true })).toHaveLength(2);

      await keys.touch(k2.id, 1234);
      expect((await keys.get(k2.id))?.lastUsedAt).toBe(1234);
      await keys.revoke(adm.id, 1);
      expect(await keys.countLiveAdminKeys()).toBe(adminsBefore);
    });
  });

  describe('users', () => {
    it('folds activity into one profile per user', async () => {
      const app = await newApp();
      const users = createUserStore(db);
      const act = (at: number, risk: number, extra: { tier?: string } = {}) => ({
        appId: app.id,
        userId: 'u1',
        at,
        risk,
        score: Math.round(risk * 100),
        level: risk > 0.6 ? 'HIGH' : 'SAFE',
        behaviorScore: 100 - Math.round(risk * 100),
        accessLevel: risk > 0.6 ? 'LIMITED' : 'FULL',
        ...extra,
      });
      await users.recordActivity([act(2000, 0.1, { tier: 'gold' }), act(1000, 0.9), act(3000, 0.2)], 10);
      expect(await users.get(app.id, 'u1')).toEqual({
        appId: app.id,
        userId: 'u1',
        tier: 'gold',
        behaviorScore: 80,
        status: 'active',
        accessLevel: 'FULL',
        peakRisk: 0.9,
        lastRisk: 0.2,
        lastScore: 20,
        lastLevel: 'SAFE',
        eventCount: 3,
        firstSeen: 1000,
        lastSeen: 3000,
        updatedAt: 10,
      });
      // an older event (out of order) counts but does not replace the current values
      await users.recordActivity([act(500, 0.7)], 20);
      const p = await users.get(app.id, 'u1');
      expect(p).toMatchObject({
        eventCount: 4,
        firstSeen: 500,
        lastSeen: 3000,
        lastRisk: 0.2,
        peakRisk: 0.9,
      });
      expect(p?.tier).toBe('gold');
      // a newer one does
      await users.recordActivity([act(4000, 0.65, { tier: 'vip' })], 30);
      expect(await users.get(app.id, 'u1')).toMatchObject({
        eventCount: 5,
        lastSeen: 4000,
        lastRisk: 0.65,
        lastLevel: 'HIGH',
        accessLevel: 'LIMITED',
        tier: 'vip',
        updatedAt: 30,
      });
      expect(await users.get(app.id, 'u2')).toBeUndefined();
    });
  });

  describe('events and decisions', () => {
    const ev = (
      appId: string,
      id: string,
      at: number,
      userId: string | null = 'u1',
      type = 'login',
    ): NewEventRow => ({
      appId,
      id,
      type,
      at,
      userId,
      receivedAt: at + 1,
      payload: JSON.stringify({ id, app: appId, type, at }),
    });
    const dec = (e: NewEventRow, seq: number, level: string, risk: number): NewDecisionRow => ({
      eventSeq: seq,
      appId: e.appId,
      eventId: e.id,
      userId: e.userId,
      type: e.type,
      at: e.at,
      risk,
      score: Math.round(risk * 100),
      level,
      outcome: risk > 0.8 ? 'block' : 'allow',
      flag: risk > 0.8 ? 'RED' : 'GREEN',
      createdAt: e.at + 2,
      payload: JSON.stringify({ eventId: e.id, risk }),
      signals: risk > 0.5 ? [{ code: 'x.high', score: risk, category: 'velocity', severity: 'high' }] : [],
    });

    it('appends in order and skips ids already in the log of the same app', async () => {
      const a = await newApp();
      const b = await newApp();
      const events = createEventStore(db);
      const first = await events.insertNew([ev(a.id, 'e1', 1000), ev(a.id, 'e2', 2000)]);
      const s1 = first.get(eventKey(a.id, 'e1'))!;
      const s2 = first.get(eventKey(a.id, 'e2'))!;
      expect(s2).toBeGreaterThan(s1);
      const second = await events.insertNew([
        ev(a.id, 'e2', 9999),
        ev(a.id, 'e3', 3000),
        ev(b.id, 'e1', 1000),
      ]);
      expect(second.has(eventKey(a.id, 'e2'))).toBe(false);
      expect(second.get(eventKey(a.id, 'e3'))).toBeGreaterThan(s2);
      expect(second.has(eventKey(b.id, 'e1'))).toBe(true);
      expect(await events.lastSeq()).toBeGreaterThanOrEqual(second.get(eventKey(b.id, 'e1'))!);
      const replay = await events.readAfter(s1, 2);
      expect(replay.map((r) => r.seq)).toEqual([s2, second.get(eventKey(a.id, 'e3'))]);
      expect(replay[0]).toMatchObject({ appId: a.id, id: 'e2', at: 2000, receivedAt: 2001, userId: 'u1' });
    });

    it('stores decisions, finds them by event id, lists with filters and cursors, counts', async () => {
      const a = await newApp();
      const b = await newApp();
      const events = createEventStore(db);
      const rows = Array.from({ length: 7 }, (_, i) =>
        ev(a.id, `d${i}`, 10_000 + i * 1000, i % 2 === 0 ? 'u1' : 'u2', i < 5 ? 'login' : 'payment'),
      );
      const seqs = await events.insertNew(rows);
      const levels = ['SAFE', 'LOW', 'HIGH', 'SAFE', 'CRITICAL', 'SAFE', 'HIGH'];
      const risks = [0.1, 0.3, 0.7, 0.05, 0.95, 0.1, 0.7];
      await events.insertDecisions(
        rows.map((r, i) => dec(r, seqs.get(eventKey(a.id, r.id))!, levels[i]!, risks[i]!)),
      );
      const other = ev(b.id, 'd0', 10_000);
      const bSeq = (await events.insertNew([other])).get(eventKey(b.id, 'd0'))!;
      await events.insertDecisions([dec(other, bSeq, 'SAFE', 0.2)]);

      const found = await events.findDecisionPayloads(a.id, ['d1', 'd4', 'missing']);
      expect([...found.keys()].sort()).toEqual(['d1', 'd4']);
      expect(JSON.parse(found.get('d4')!)).toEqual({ eventId: 'd4', risk: 0.95 });
      expect((await events.findDecisionPayloads(b.id, ['d1'])).size).toBe(0);

      // paging newest first, 3 per page, covers every event of the app exactly once
      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await events.listEvents({ appId: a.id, limit: 3, cursor });
        seen.push(...page.items.map((i) => i.id));
        cursor = page.nextCursor ?? undefined;
        pages++;
      } while (cursor !== undefined);
      expect(pages).toBe(3);
      expect(seen).toEqual(['d6', 'd5', 'd4', 'd3', 'd2', 'd1', 'd0']);

      const u2 = await events.listEvents({ appId: a.id, userId: 'u2' });
      expect(u2.items.map((i) => i.id)).toEqual(['d5', 'd3', 'd1']);
      expect(u2.items[0]!.decision).toEqual({
        risk: 0.1,
        score: 10,
        level: 'SAFE',
        outcome: 'allow',
        flag: 'GREEN',
      });
      expect((await events.listEvents({ appId: a.id, type: 'payment' })).items.map((i) => i.id)).toEqual([
        'd6',
        'd5',
      ]);
      expect((await events.listEvents({ appId: a.id, level: 'HIGH' })).items.map((i) => i.id)).toEqual([
        'd6',
        'd2',
      ]);
      expect(
        (await events.listEvents({ appId: a.id, from: 11_000, to: 13_000 })).items.map((i) => i.id),
      ).toEqual(['d2', 'd1']);

      const high = await events.listDecisions({ appId: a.id, level: 'HIGH' });
      expect(high.items.map((d) => d.eventId)).toEqual(['d6', 'd2']);
      expect(high.items[0]).toMatchObject({
        appId: a.id,
        userId: 'u1',
        type: 'payment',
        risk: 0.7,
        score: 70,
      });
      // by user (found through the events index), paged with cursors, scoped to the app
      const u1First = await events.listDecisions({ appId: a.id, userId: 'u1', limit: 2 });
      expect(u1First.items.map((d) => d.eventId)).toEqual(['d6', 'd4']);
      const u1Rest = await events.listDecisions({
        appId: a.id,
        userId: 'u1',
        limit: 2,
        cursor: u1First.nextCursor!,
      });
      expect(u1Rest.items.map((d) => d.eventId)).toEqual(['d2', 'd0']);
      expect(u1Rest.nextCursor).toBeNull();
      expect(
        (await events.listDecisions({ appId: a.id, userId: 'u2', level: 'SAFE' })).items.map(
          (d) => d.eventId,
        ),
      ).toEqual(['d5', 'd3']);
      expect((await events.listDecisions({ appId: b.id, userId: 'u2' })).items).toEqual([]);
      const p1 = await events.listDecisions({ appId: a.id, limit: 4 });
      expect(p1.items).toHaveLength(4);
      const p2 = await events.listDecisions({ appId: a.id, limit: 4, cursor: p1.nextCursor! });
      expect(p2.items.map((d) => d.eventId)).toEqual(['d2', 'd1', 'd0']);
      expect(p2.nextCursor).toBeNull();
      expect((await events.listDecisions({ appId: b.id })).items.map((d) => d.eventId)).toEqual(['d0']);

      const counts = await events.countDecisions({ appId: a.id });
      expect(counts).toEqual({
        total: 7,
        byLevel: { SAFE: 3, LOW: 1, HIGH: 2, CRITICAL: 1 },
        byOutcome: { allow: 6, block: 1 },
        byFlag: { GREEN: 6, RED: 1 },
      });
      expect((await events.countDecisions({ appId: a.id, from: 14_000 })).total).toBe(3);

      const signalRows = await db.kysely
        .selectFrom('signals')
        .selectAll()
        .where('app_id', '=', a.id)
        .orderBy('decision_seq')
        .execute();
      expect(signalRows.map((s) => [s.code, s.score])).toEqual([
        ['x.high', 0.7],
        ['x.high', 0.95],
        ['x.high', 0.7],
      ]);
    });

    it('rejects a cursor it did not make', async () => {
      const err: unknown = await createEventStore(db)
        .listEvents({ cursor: 'not-a-cursor!' })
        .catch((e: unknown) => e);
      expect(isDomainError(err, 'bad_request')).toBe(true);
    });
  });

  describe('audit log', () => {
    it('chains rows, detects tampering and deletion, survives concurrent writers', async () => {
      const audit = createAuditStore(db);
      const first = await audit.append(
        { actor: 'cli', action: 'app.create', target: 'a1', details: { b: 1, a: 2 } },
        1,
      );
      expect(first.hash).toMatch(/^[0-9a-f]{64}$/);
      await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          audit.append({ actor: `key:${i}`, action: 'key.create' }, 10 + i),
        ),
      );
      const ok = await verifyAuditChain(db);
      expect(ok).toMatchObject({ ok: true });
      expect(ok.rows).toBeGreaterThanOrEqual(21);
      const listed = await audit.list({ limit: 3 });
      expect(listed).toHaveLength(3);
      expect(listed[0]!.seq).toBeGreaterThan(listed[1]!.seq);
      expect((await audit.list({ limit: 1000 })).find((r) => r.seq === first.seq)?.details).toEqual({
        b: 1,
        a: 2,
      });

      // change a row's content
      const victim = listed[1]!;
      await db.kysely
        .updateTable('audit_log')
        .set({ actor: 'mallory' })
        .where('seq', '=', victim.seq)
        .execute();
      const tampered = await verifyAuditChain(db);
      expect(tampered).toMatchObject({
        ok: false,
        brokenAtSeq: victim.seq,
        reason: 'row content does not match its hash',
      });
      await db.kysely
        .updateTable('audit_log')
        .set({ actor: victim.actor })
        .where('seq', '=', victim.seq)
        .execute();
      expect((await verifyAuditChain(db)).ok).toBe(true);

      // delete a row: the next one no longer links
      const row = await db.kysely
        .selectFrom('audit_log')
        .selectAll()
        .where('seq', '=', victim.seq)
        .executeTakeFirstOrThrow();
      await db.kysely.deleteFrom('audit_log').where('seq', '=', victim.seq).execute();
      expect(await verifyAuditChain(db)).toMatchObject({ ok: false, brokenAtSeq: listed[0]!.seq });
      await db.kysely.insertInto('audit_log').values(row).execute();
      expect((await verifyAuditChain(db)).ok).toBe(true);
    });

    it('is part of the caller transaction', async () => {
      const before = (await createAuditStore(db).list({ limit: 1 }))[0]?.seq ?? 0;
      await expect(
        db.transaction(async (tx) => {
          await createAuditStore(tx).append({ actor: 'cli', action: 'x.y' }, 1);
          throw new Error('rollback');
        }),
      ).rejects.toThrow('rollback');
      expect((await createAuditStore(db).list({ limit: 1 }))[0]?.seq ?? 0).toBe(before);
      expect((await verifyAuditChain(db)).ok).toBe(true);
    });
  });

  describe('feature snapshots', () => {
    it('round-trips bytes, returns the newest, prunes old ones', async () => {
      const snaps = createSnapshotStore(db);
      expect(await snaps.latest()).toBeUndefined();
      const big = new Uint8Array(1 << 20);
      for (let i = 0; i < big.length; i++) big[i] = (i * 31) & 255;
      await snaps.save(new Uint8Array([1, 2, 3]), 5, 100);
      await snaps.save(big, 9, 200);
      await snaps.save(new Uint8Array(0), 7, 300);
      const latest = await snaps.latest();
      expect(latest?.lastSeq).toBe(9);
      expect(latest?.bytes).toBeInstanceOf(Uint8Array);
      expect(Buffer.from(latest!.bytes).equals(Buffer.from(big))).toBe(true);
      expect(await snaps.prune(2)).toBe(1);
      expect(await snaps.prune(2)).toBe(0);
      const rows = await db.kysely
        .selectFrom('feature_snapshots')
        .select(['last_seq'])
        .orderBy('last_seq')
        .execute();
      expect(rows.map((r) => Number(r.last_seq))).toEqual([7, 9]);
      expect(await snaps.prune(0)).toBe(2);
    });
  });

  describe('dialect basics', () => {
    it('maps BIGINT epoch milliseconds to numbers', async () => {
      const r = await sql<{ v: number }>`SELECT CAST(1795305507542 AS BIGINT) AS v`.execute(db.kysely);
      expect(r.rows[0]?.v).toBe(1795305507542);
    });
  });
}
