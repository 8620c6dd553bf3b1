import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSqliteTestDatabase, type TestDatabase } from '../../storage/test-databases.js';
import { ulid } from '../../storage/ulid.js';
import { createEventStore, eventKey, type NewDecisionRow, type NewEventRow } from './event.store.js';

const ev = (appId: string, id: string): NewEventRow => ({
  appId,
  id,
  type: 'login',
  at: 1000,
  userId: 'u1',
  receivedAt: 1001,
  payload: JSON.stringify({ id, app: appId, wallet: `w-${id}` }),
});
const dec = (r: NewEventRow, seq: number): NewDecisionRow => ({
  eventSeq: seq,
  appId: r.appId,
  eventId: r.id,
  userId: r.userId,
  type: r.type,
  at: r.at,
  risk: 0.9,
  score: 90,
  level: 'CRITICAL',
  outcome: 'block',
  flag: 'RED',
  createdAt: 2000,
  payload: JSON.stringify({ eventId: r.id }),
  signals: [
    { code: 'a.one', score: 0.5, category: 'velocity', severity: 'low' },
    { code: 'b.two', score: 0.9, category: 'identity', severity: 'high' },
  ],
});

describe.each([
  { mode: 'cached prepared statements on the calling thread', workerThread: false },
  { mode: 'bulk statements on the worker thread', workerThread: true },
])('event store on SQLite ($mode)', ({ workerThread }) => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createSqliteTestDatabase({ workerThread });
  });
  afterAll(() => t.cleanup());

  it('writes events, decisions and signals inside a transaction and rolls them back with it', async () => {
    const app = ulid();
    await t.db.transaction(async (tx) => {
      const store = createEventStore(tx);
      const seqs = await store.insertNew([ev(app, 'k1'), ev(app, 'k1'), ev(app, 'k2')]);
      expect(seqs.size).toBe(2);
      await store.insertDecisions([dec(ev(app, 'k1'), seqs.get(eventKey(app, 'k1'))!)]);
    });
    const signals = await t.db.kysely
      .selectFrom('signals')
      .select(['idx', 'code', 'severity', 'at'])
      .where('app_id', '=', app)
      .orderBy('idx')
      .execute();
    expect(signals).toEqual([
      { idx: 0, code: 'a.one', severity: 'low', at: 1000 },
      { idx: 1, code: 'b.two', severity: 'high', at: 1000 },
    ]);
    const found = await createEventStore(t.db).findDecisionPayloads(app, ['k1', 'k2', 'nope']);
    expect([...found]).toEqual([['k1', '{"eventId":"k1"}']]);

    await expect(
      t.db.transaction(async (tx) => {
        await createEventStore(tx).insertNew([ev(app, 'k3')]);
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    expect((await createEventStore(t.db).insertNew([ev(app, 'k3')])).has(eventKey(app, 'k3'))).toBe(true);
  });

  it('outside a transaction never joins one another caller has open on the connection', async () => {
    const app = ulid();
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => (release = r));
    const other = t.db.transaction(async () => {
      await gate;
      throw new Error('other rolls back');
    });
    await new Promise((r) => setTimeout(r, 10));
    if (!workerThread) expect(t.db.sqlite?.inTransaction).toBe(true);
    const write = createEventStore(t.db).insertNew([ev(app, 'x1')]);
    release();
    await expect(other).rejects.toThrow('other rolls back');
    expect((await write).has(eventKey(app, 'x1'))).toBe(true);
    expect((await createEventStore(t.db).findDecisionPayloads(app, ['x1'])).size).toBe(0);
    const n = await t.db.kysely
      .selectFrom('events')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('app_id', '=', app)
      .executeTakeFirstOrThrow();
    expect(Number(n.n)).toBe(1);
  });
});
