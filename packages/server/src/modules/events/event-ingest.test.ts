import { createEngine, type Decision } from '@vigil/engine';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DomainError, isDomainError } from '../../errors.js';
import type { Db } from '../../storage/database.js';
import {
  createPgTestDatabase,
  createSqliteTestDatabase,
  describeWithPostgres,
  type TestDatabase,
} from '../../storage/test-databases.js';
import { ulid } from '../../storage/ulid.js';
import { createFakeClock } from '../../testing/fake-clock.js';
import { createEventIngest, type IngestResult } from './event-ingest.js';
import { createEventStore } from './event.store.js';

/** A Db whose transactions are counted and can be interfered with. */
/**
 * Counts (and can delay or fail, through `before`) the ingest's commits: its transactions and,
 * on SQLite's worker thread, its one-piece commits (`atomic`).
 */
function instrument(db: Db, before?: (n: number) => Promise<void>) {
  let n = 0;
  let atomics = 0;
  const atomic = db.atomic;
  const wrapped: Db = {
    ...db,
    transaction: async (fn) => {
      n++;
      await before?.(n);
      return db.transaction(fn);
    },
    ...(atomic === undefined
      ? {}
      : {
          atomic: {
            run: async (w) => {
              n++;
              atomics++;
              await before?.(n);
              return atomic.run(w);
            },
          },
        }),
  };
  return { db: wrapped, transactions: () => n, atomics: () => atomics };
}

function ok(r: IngestResult | DomainError): { json: string; duplicate: boolean } {
  if (r instanceof DomainError || !r.ok) throw new Error(`expected a decision, got ${JSON.stringify(r)}`);
  return r;
}

const countEvents = async (db: Db, appId: string) =>
  Number(
    (
      await db.kysely
        .selectFrom('events')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('app_id', '=', appId)
        .executeTakeFirstOrThrow()
    ).n,
  );

function ingestContract(open: () => Promise<TestDatabase>): void {
  let t: TestDatabase;
  const clock = createFakeClock(Date.UTC(2026, 2, 1));
  beforeAll(async () => {
    t = await open();
  });
  afterAll(async () => {
    await t?.cleanup();
  });

  it('concurrent events share one commit and get increasing seqs', async () => {
    const app = ulid();
    const { db, transactions } = instrument(t.db);
    const ingest = createEventIngest({ db, engine: createEngine(), clock });
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        ingest.submit(app, { id: `e${i}`, type: 'login', user: `u${i % 5}` }),
      ),
    );
    expect(results.every((r) => r.ok && !r.duplicate)).toBe(true);
    expect(transactions()).toBe(1);
    expect(await countEvents(t.db, app)).toBe(50);
    const rows = await createEventStore(t.db).listEvents({ appId: app, limit: 100 });
    expect(rows.items.map((r) => r.id)).toEqual(Array.from({ length: 50 }, (_, i) => `e${49 - i}`));
    expect(ingest.lastSeq()).toBe(rows.items[0]!.seq);
    const users = await t.db.kysely.selectFrom('users').selectAll().where('app_id', '=', app).execute();
    expect(users.map((u) => [u.user_id, u.event_count]).sort()).toEqual([
      ['u0', 10],
      ['u1', 10],
      ['u2', 10],
      ['u3', 10],
      ['u4', 10],
    ]);
  });

  it('splits at maxBatch', async () => {
    const app = ulid();
    const { db, transactions } = instrument(t.db);
    const ingest = createEventIngest({ db, engine: createEngine(), clock }, { maxBatch: 10 });
    const results = await ingest.submitMany(
      app,
      Array.from({ length: 25 }, (_, i) => ({ id: `m${i}`, type: 'login' })),
    );
    expect(results.map((r) => ok(r).duplicate)).toEqual(Array(25).fill(false));
    expect(transactions()).toBe(3);
  });

  it('the same id twice in one batch is stored once; both get the first decision', async () => {
    const app = ulid();
    const ingest = createEventIngest({ db: t.db, engine: createEngine(), clock });
    const [a, b, c] = await ingest.submitMany(app, [
      { id: 'd1', type: 'payment', user: 'x', amount: 10 },
      { id: 'd1', type: 'payment', user: 'x', amount: 99_999 },
      { id: 'd2', type: 'payment', user: 'x', amount: 20 },
    ]);
    expect(ok(a!).duplicate).toBe(false);
    expect(ok(b!)).toEqual({ ok: true, json: ok(a!).json, duplicate: true });
    expect(ok(c!).duplicate).toBe(false);
    expect(await countEvents(t.db, app)).toBe(2);
    // a later re-send is answered from the log
    const again = await ingest.submit(app, { id: 'd1', type: 'payment', user: 'x', amount: 1 });
    expect(again).toEqual({ ok: true, json: ok(a!).json, duplicate: true });
  });

  it('returns validation problems without queueing anything', async () => {
    const app = ulid();
    const { db, transactions } = instrument(t.db);
    const ingest = createEventIngest({ db, engine: createEngine(), clock });
    const r = await ingest.submit(app, { id: 'v1', type: 'login', ip: 'nope' });
    expect(r).toEqual({
      ok: false,
      problems: [{ path: '/ip', message: "'nope' is not an IPv4 or IPv6 address" }],
    });
    const other = await ingest.submit(app, { id: 'v2', type: 'login', app: 'someone-else' });
    expect(other.ok).toBe(false);
    expect(transactions()).toBe(0);
  });

  it('a failed commit rejects its events with unavailable, writes nothing, and the next one works', async () => {
    const app = ulid();
    const { db } = instrument(t.db, async (n) => {
      if (n === 1) throw new Error('disk full');
    });
    const errors: unknown[] = [];
    const ingest = createEventIngest(
      { db, engine: createEngine(), clock },
      { onCommitError: (e) => errors.push(e) },
    );
    const failed = await Promise.allSettled([
      ingest.submit(app, { id: 'f1', type: 'login' }),
      ingest.submit(app, { id: 'f2', type: 'login' }),
    ]);
    for (const f of failed) {
      expect(f.status).toBe('rejected');
      if (f.status === 'rejected') expect(isDomainError(f.reason, 'unavailable')).toBe(true);
    }
    expect(errors).toHaveLength(1);
    expect(await countEvents(t.db, app)).toBe(0);
    const retry = await ingest.submit(app, { id: 'f1', type: 'login' });
    expect(retry.ok && !retry.duplicate).toBe(true);
    expect(await countEvents(t.db, app)).toBe(1);
  });

  it('an id stored by another writer between the check and the commit answers that decision', async () => {
    const app = ulid();
    const winner = JSON.stringify({ eventId: 'r1', app, by: 'other process' });
    const { db } = instrument(t.db, async () => {
      const store = createEventStore(t.db);
      const seqs = await store.insertNew([
        { appId: app, id: 'r1', type: 'login', at: 1, userId: null, receivedAt: 1, payload: '{}' },
      ]);
      const seq = [...seqs.values()][0]!;
      await store.insertDecisions([
        {
          eventSeq: seq,
          appId: app,
          eventId: 'r1',
          userId: null,
          type: 'login',
          at: 1,
          risk: 0,
          score: 0,
          level: 'SAFE',
          outcome: 'allow',
          flag: 'GREEN',
          createdAt: 1,
          payload: winner,
          signals: [],
        },
      ]);
    });
    const ingest = createEventIngest({ db, engine: createEngine(), clock });
    const [lost, won] = await ingest.submitMany(app, [
      { id: 'r1', type: 'login' },
      { id: 'r2', type: 'login' },
    ]);
    expect(ok(lost!)).toEqual({ ok: true, json: winner, duplicate: true });
    expect(ok(won!).duplicate).toBe(false);
    expect(await countEvents(t.db, app)).toBe(2);
  });

  it('scores the next batch while one commits: a resubmitted id waits for the first, commits keep scoring order', async () => {
    const app = ulid();
    let entered: () => void = () => {};
    const firstEntered = new Promise<void>((r) => (entered = r));
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => (release = r));
    const { db, transactions } = instrument(t.db, async (n) => {
      if (n === 1) {
        entered();
        await gate;
      }
    });
    const ingest = createEventIngest({ db, engine: createEngine(), clock });
    const a = ingest.submit(app, { id: 'p1', type: 'login', user: 'pu' });
    await firstEntered; // p1's commit is under way and held
    const again = ingest.submit(app, { id: 'p1', type: 'login', user: 'pu' });
    const b = ingest.submit(app, { id: 'p2', type: 'login', user: 'pu' });
    let exclusiveRan = false;
    const ex = ingest.exclusive(async () => {
      exclusiveRan = true;
      return ingest.lastSeq();
    });
    await new Promise((r) => setTimeout(r, 30));
    expect(exclusiveRan).toBe(false);
    release();
    const [ra, ragain, rb] = await Promise.all([a, again, b]);
    expect(ok(ra).duplicate).toBe(false);
    expect(ok(ragain)).toEqual({ ok: true, json: ok(ra).json, duplicate: true });
    expect(ok(rb).duplicate).toBe(false);
    const seenSeq = await ex;
    expect(transactions()).toBe(2);
    const listed = await createEventStore(t.db).listEvents({ appId: app, limit: 10 });
    expect(listed.items.map((e) => e.id)).toEqual(['p2', 'p1']); // newest first: p2 committed after p1
    expect(seenSeq).toBe(listed.items[0]!.seq);
    await ingest.close();
  });

  it('exclusive tasks run between commits, after everything queued before them', async () => {
    const app = ulid();
    const ingest = createEventIngest({ db: t.db, engine: createEngine(), clock });
    const pending = [1, 2, 3].map((i) => ingest.submit(app, { id: `x${i}`, type: 'login' }));
    const seenSeq = await ingest.exclusive(async () => ingest.lastSeq());
    await Promise.all(pending);
    const newest = (await createEventStore(t.db).listEvents({ appId: app, limit: 1 })).items[0]!;
    expect(seenSeq).toBe(newest.seq);
  });

  it('close drains the queue, then refuses new events', async () => {
    const app = ulid();
    const ingest = createEventIngest({ db: t.db, engine: createEngine(), clock });
    const pending = Array.from({ length: 20 }, (_, i) => ingest.submit(app, { id: `c${i}`, type: 'login' }));
    await ingest.close();
    expect(ingest.depth()).toBe(0);
    const settled = await Promise.all(pending);
    expect(settled.every((r) => r.ok)).toBe(true);
    expect(await countEvents(t.db, app)).toBe(20);
    await expect(ingest.submit(app, { id: 'late', type: 'login' })).rejects.toSatisfy((e: unknown) =>
      isDomainError(e, 'unavailable'),
    );
  });

  it('stores exactly the decision it answers', async () => {
    const app = ulid();
    const ingest = createEventIngest({ db: t.db, engine: createEngine(), clock });
    const r = ok(
      await ingest.submit(app, { id: 's1', type: 'transfer', user: 'y', amount: 5, counterparty: '0xAB' }),
    );
    const stored = await createEventStore(t.db).findDecisionPayloads(app, ['s1']);
    expect(stored.get('s1')).toBe(r.json);
    const d = JSON.parse(r.json) as Decision;
    expect(d.eventId).toBe('s1');
  });
}

describe('event ingest on SQLite', () => {
  ingestContract(createSqliteTestDatabase);
});

describe('event ingest on SQLite on the worker thread', () => {
  ingestContract(() => createSqliteTestDatabase({ workerThread: true }));
});

describeWithPostgres('event ingest on PostgreSQL', () => {
  ingestContract(createPgTestDatabase);
});

describe('event ingest on SQLite: one-piece commits on the worker thread', () => {
  let t: TestDatabase;
  const clock = createFakeClock(Date.UTC(2026, 2, 1));
  beforeAll(async () => {
    t = await createSqliteTestDatabase({ workerThread: true });
  });
  afterAll(async () => {
    await t?.cleanup();
  });

  const rowsOf = async (app: string) => ({
    decisions: (
      await t.db.kysely
        .selectFrom('decisions')
        .select(['event_id', 'user_id', 'level', 'risk', 'payload'])
        .where('app_id', '=', app)
        .orderBy('event_seq')
        .execute()
    ).map((r) => ({ ...r, payload: r.payload.replaceAll(app, 'APP') })),
    signals: await t.db.kysely
      .selectFrom('signals')
      .select(['idx', 'code', 'score', 'user_id'])
      .where('app_id', '=', app)
      .orderBy('decision_seq')
      .orderBy('idx')
      .execute(),
    users: await t.db.kysely
      .selectFrom('users')
      .select(['user_id', 'event_count', 'peak_risk', 'last_level', 'first_seen', 'last_seen'])
      .where('app_id', '=', app)
      .orderBy('user_id')
      .execute(),
  });
  const traffic = (i: number) => ({
    id: `o${i}`,
    type: i % 3 === 0 ? 'payment' : 'login',
    user: `u${i % 4}`,
    amount: i % 3 === 0 ? 10 * i : undefined,
    ip: `10.0.0.${i % 7}`,
  });

  it('a batch no hook needs commits in one round trip and stores what the transaction path stores', async () => {
    expect(t.db.atomic).toBeDefined();
    const [a, b] = [ulid(), ulid()];
    const fast = instrument(t.db);
    const slow = instrument({ ...t.db, atomic: undefined });
    const ingestFast = createEventIngest({ db: fast.db, engine: createEngine(), clock });
    const ingestSlow = createEventIngest({ db: slow.db, engine: createEngine(), clock });
    const inputs = Array.from({ length: 30 }, (_, i) => traffic(i));
    const fastResults = await ingestFast.submitMany(a, inputs);
    const slowResults = await ingestSlow.submitMany(b, inputs);
    expect(fast.atomics()).toBe(1);
    expect(fast.transactions()).toBe(1);
    expect(slow.atomics()).toBe(0);
    expect(fastResults.map((r) => ok(r).json.replaceAll(a, 'APP'))).toEqual(
      slowResults.map((r) => ok(r).json.replaceAll(b, 'APP')),
    );
    const [fastRows, slowRows] = [await rowsOf(a), await rowsOf(b)];
    expect(fastRows.decisions).toHaveLength(30);
    expect(fastRows.users).toHaveLength(4);
    expect(fastRows).toEqual(slowRows);
  });

  it('a batch a hook needs runs in a transaction with the hook; the others keep the fast path', async () => {
    const app = ulid();
    const seen: string[][] = [];
    const hook = {
      needed: (decided: readonly { event: { id: string } }[]) =>
        decided.some((d) => d.event.id.startsWith('hook')),
      async onCommit(_tx: Db, committed: readonly { event: { id: string } }[]) {
        seen.push(committed.map((c) => c.event.id));
      },
    };
    const { db, atomics, transactions } = instrument(t.db);
    const ingest = createEventIngest({ db, engine: createEngine(), clock }, { commitHooks: [hook] });
    await ingest.submitMany(app, [{ id: 'plain1', type: 'login' }]);
    await ingest.submitMany(app, [
      { id: 'hook1', type: 'login' },
      { id: 'plain2', type: 'login' },
    ]);
    expect(atomics()).toBe(1);
    expect(transactions()).toBe(2);
    expect(seen).toEqual([['hook1', 'plain2']]);
    expect(await countEvents(t.db, app)).toBe(3);
  });

  it('a failed one-piece commit writes nothing and answers unavailable', async () => {
    const app = ulid();
    const { db } = instrument(t.db);
    const broken: Db = {
      ...db,
      atomic: {
        run: async (w) => {
          // the second event's decision row breaks a NOT NULL column inside the worker's transaction
          const parts = w.parts.map((p, i) =>
            i === 0
              ? { ...p, rows: p.rows.map((r, j) => (j === 1 ? r.map((v, k) => (k === 8 ? null : v)) : r)) }
              : p,
          );
          return t.db.atomic!.run({ ...w, parts });
        },
      },
    };
    const ingest = createEventIngest({ db: broken, engine: createEngine(), clock });
    const results = await ingest.submitMany(app, [
      { id: 'b1', type: 'login' },
      { id: 'b2', type: 'login' },
    ]);
    expect(results.every((r) => isDomainError(r, 'unavailable'))).toBe(true);
    expect(await countEvents(t.db, app)).toBe(0);
    const retry = await createEventIngest({ db: t.db, engine: createEngine(), clock }).submit(app, {
      id: 'b1',
      type: 'login',
    });
    expect(ok(retry).duplicate).toBe(false);
  });
});
