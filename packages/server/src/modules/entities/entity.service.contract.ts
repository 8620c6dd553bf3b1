import { createEngine, type Decision, type ListHit, type ListKind } from '@vigil/engine';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFakeClock } from '../../testing/fake-clock.js';
import type { Db } from '../../storage/database.js';
import { entityIndexesMigration } from '../../storage/entity-indexes.migration.js';
import type { TestDatabase } from '../../storage/test-databases.js';
import { ulid } from '../../storage/ulid.js';
import { createEventIngest, type EventIngest } from '../events/event-ingest.js';
import { createEntityService, type EntityService } from './entity.service.js';
import { field } from './event-fields.js';

const T0 = Date.UTC(2026, 0, 15, 12);

/**
 * The entity service's contract on every dialect (entity.service.test.ts, entity.service.int.test.ts):
 * profiles from events decided by the real engine through the durable intake.
 * @example describe('entities on SQLite', () => describeEntityServiceContract(createSqliteTestDatabase));
 */
export function describeEntityServiceContract(open: () => Promise<TestDatabase>): void {
  let t: TestDatabase;
  let db: Db;
  let ingest: EventIngest;
  let entities: EntityService;
  const listed = new Map<string, ListHit>();
  const clock = createFakeClock(T0);

  beforeAll(async () => {
    t = await open();
    db = t.db;
    await entityIndexesMigration(db.dialect).up(db.kysely);
    ingest = createEventIngest({ db, engine: createEngine(), clock });
    entities = createEntityService({
      db,
      lists: {
        lookup: (scope: string, kind: ListKind, value: string) => listed.get(`${scope}|${kind}|${value}`),
      },
    });
  });
  afterAll(async () => {
    await ingest?.close();
    await t?.cleanup();
  });

  const send = async (appId: string, e: Record<string, unknown>): Promise<Decision> => {
    const r = await ingest.submit(appId, e);
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    return r.decision ?? (JSON.parse(r.json) as Decision);
  };

  describe('wallet profiles', () => {
    it('aggregates the money events of a wallet (any case) with its newest and peak risk', async () => {
      const app = ulid();
      const w = '0xAaAa00000000000000000000000000000000aAaA';
      const decisions = [
        await send(app, { id: 'c1', type: 'wallet_connect', user: 'u1', wallet: w, at: T0 - 5000 }),
        await send(app, {
          id: 't1',
          type: 'transfer',
          wallet: w,
          counterparty: '0xb1',
          amount: 100,
          at: T0 - 4000,
        }),
        await send(app, {
          id: 't2',
          type: 'transfer',
          wallet: w.toLowerCase(),
          counterparty: '0xb2',
          amount: 9500,
          at: T0 - 3000,
        }),
        await send(app, { id: 't3', type: 'payment', wallet: w, amount: 200, at: T0 - 2000 }),
      ];
      await send(ulid(), { id: 't1', type: 'transfer', wallet: w, counterparty: '0xb1', amount: 1e6 });
      const p = await entities.wallet(app, w);
      expect(p).toEqual({
        address: w.toLowerCase(),
        riskScore: decisions[3]!.score,
        riskLevel: decisions[3]!.level,
        peakRiskScore: Math.max(...decisions.map((d) => d.score)),
        isBlacklisted: false,
        isWhitelisted: false,
        transactionCount: 3,
        totalVolume: 9800,
        avgAmount: 9800 / 3,
        eventCount: 4,
        firstSeen: T0 - 5000,
        lastSeen: T0 - 2000,
      });
      // 9500 sits under the 10k reporting threshold: the structuring finding raised the peak
      expect(p.peakRiskScore).toBeGreaterThan(0);
    });

    it('shows list verdicts, also for a listed wallet never seen', async () => {
      const app = ulid();
      await send(app, { id: 'x', type: 'transfer', wallet: '0xbad', counterparty: '0xc', amount: 5 });
      listed.set(`${app}|wallet|0xbad`, { verdict: 'block', label: 'sanctioned', weight: 1, match: '0xbad' });
      listed.set(`${app}|wallet|0xgood`, { verdict: 'allow', label: 'exchange', weight: 1, match: '0xgood' });
      expect(await entities.wallet(app, '0xBAD')).toMatchObject({
        isBlacklisted: true,
        isWhitelisted: false,
        eventCount: 1,
      });
      expect(await entities.wallet(app, '0xgood')).toEqual({
        address: '0xgood',
        riskScore: 0,
        riskLevel: 'SAFE',
        peakRiskScore: 0,
        isBlacklisted: false,
        isWhitelisted: true,
        transactionCount: 0,
        totalVolume: 0,
        avgAmount: 0,
        eventCount: 0,
        firstSeen: null,
        lastSeen: null,
      });
    });

    it('answers not_found for a wallet never seen, and validation_failed for a malformed one', async () => {
      await expect(entities.wallet(ulid(), '0xnobody')).rejects.toMatchObject({ code: 'not_found' });
      await expect(entities.wallet(ulid(), 'has space')).rejects.toMatchObject({
        code: 'validation_failed',
        details: [{ path: '/address' }],
      });
    });

    it('counts distinct wallets per app', async () => {
      const app = ulid();
      for (const [i, w] of ['0x1', '0x2', '0x1', '0X2', '0x3'].entries())
        await send(app, { id: `w${i}`, type: 'wallet_connect', wallet: w });
      await send(app, { id: 'nowallet', type: 'login', user: 'u' });
      expect(await entities.walletCount(app)).toBe(3);
      expect(await entities.walletCount(ulid())).toBe(0);
    });
  });

  describe('device profiles', () => {
    it('lists the users seen on a device, most recent first, with first/last seen and risk', async () => {
      const app = ulid();
      const d = await Promise.all([
        send(app, { id: 'a1', type: 'login', user: 'alice', device: 'dev-1', at: T0 - 9000 }),
        send(app, { id: 'b1', type: 'signup', user: 'bob', device: 'dev-1', at: T0 - 8000 }),
        send(app, { id: 'a2', type: 'login', user: 'alice', device: 'dev-1', at: T0 - 7000 }),
        send(app, { id: 'c1', type: 'login', user: 'carol', device: 'dev-1', at: T0 - 1000 }),
        send(app, { id: 'anon', type: 'behavior', device: 'dev-1', at: T0 - 500 }),
        send(app, { id: 'o1', type: 'login', user: 'dave', device: 'dev-2', at: T0 - 100 }),
      ]);
      listed.set(`${app}|device|dev-1`, { verdict: 'block', label: 'farm', weight: 1, match: 'dev-1' });
      const p = await entities.device(app, 'dev-1');
      expect(p).toEqual({
        device: 'dev-1',
        users: [
          { user: 'carol', events: 1, firstSeen: T0 - 1000, lastSeen: T0 - 1000 },
          { user: 'alice', events: 2, firstSeen: T0 - 9000, lastSeen: T0 - 7000 },
          { user: 'bob', events: 1, firstSeen: T0 - 8000, lastSeen: T0 - 8000 },
        ],
        userCount: 3,
        eventCount: 5,
        firstSeen: T0 - 9000,
        lastSeen: T0 - 500,
        risk: d[4].risk,
        level: d[4].level,
        peakRisk: Math.max(...d.slice(0, 5).map((x) => x.risk)),
        isBlocked: true,
        isAllowed: false,
      });
      await expect(entities.device(app, 'dev-404')).rejects.toMatchObject({ code: 'not_found' });
      await expect(entities.device(ulid(), 'dev-1')).rejects.toMatchObject({ code: 'not_found' });
    });
  });

  describe('indexes', () => {
    it('serves wallet and device look-ups from the expression indexes', async () => {
      for (const f of ['wallet', 'device'] as const) {
        const where = sql`app_id = ${'a'} AND ${field(db.dialect, f)} = ${'v'}`;
        const plan =
          db.dialect === 'sqlite'
            ? (
                await sql<{
                  detail: string;
                }>`EXPLAIN QUERY PLAN SELECT count(*) FROM events WHERE ${where}`.execute(db.kysely)
              ).rows
                .map((r) => r.detail)
                .join('\n')
            : await db.transaction(async (tx) => {
                await sql`SET LOCAL enable_seqscan = off`.execute(tx.kysely);
                const rows = (
                  await sql<{
                    'QUERY PLAN': string;
                  }>`EXPLAIN SELECT count(*) FROM events WHERE ${where}`.execute(tx.kysely)
                ).rows;
                return rows.map((r) => r['QUERY PLAN']).join('\n');
              });
        expect(plan).toContain(`events_app_${f}`);
      }
    });
  });
}
