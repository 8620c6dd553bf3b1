import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../storage/database.js';
import { createSqliteTestDatabase, type TestDatabase } from '../../storage/test-databases.js';
import { ulid } from '../../storage/ulid.js';
import { createFakeClock } from '../../testing/fake-clock.js';
import { fullJitterBackoff } from './backoff.js';
import { createOutbox } from './outbox.js';
import {
  createOutboxDispatcher,
  type HandlerResult,
  type OutboxHandler,
  type Scheduler,
  type Settlement,
} from './outbox-dispatcher.js';
import { createOutboxStore, type ClaimedOutboxMessage } from './outbox.store.js';

/** A scheduler whose callbacks run only when the test says so. */
function manualScheduler() {
  const tasks: { fn: () => void; ms: number; cancelled: boolean }[] = [];
  const scheduler: Scheduler = {
    schedule(fn, ms) {
      const task = { fn, ms, cancelled: false };
      tasks.push(task);
      return { cancel: () => (task.cancelled = true) };
    },
  };
  return {
    scheduler,
    pending: () => tasks.filter((t) => !t.cancelled),
    /** Runs every live task once (those they schedule wait for the next call). */
    runAll() {
      const now = tasks.splice(0).filter((t) => !t.cancelled);
      for (const t of now) t.fn();
      return now.map((t) => t.ms);
    },
  };
}

function deferred<T>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe('outbox dispatcher', () => {
  let t: TestDatabase;
  let db: Db;
  beforeAll(async () => {
    t = await createSqliteTestDatabase();
    db = t.db;
  });
  afterAll(async () => {
    await t?.cleanup();
  });

  const backoff = fullJitterBackoff({ baseMs: 1000, capMs: 60_000 });

  function handler(
    kind: string,
    fn: (m: ClaimedOutboxMessage, signal: AbortSignal) => Promise<HandlerResult>,
    maxAttempts = 4,
  ) {
    const records: { id: string; attempts: number; settlement: Settlement }[] = [];
    const h: OutboxHandler = {
      kind,
      maxAttempts,
      backoff,
      async handle(m, signal) {
        const r = await fn(m, signal);
        return {
          ...r,
          record: async (tx, settlement) => {
            // written in the same transaction as the message's new state
            const row = await createOutboxStore(tx).get(m.id);
            expect(row?.status).toBe(settlement.status === 'retry' ? 'pending' : settlement.status);
            records.push({ id: m.id, attempts: m.attempts, settlement });
          },
        };
      },
    };
    return { h, records };
  }

  async function enqueue(kind: string, payloads: unknown[], now: number) {
    return db.transaction((tx) =>
      createOutbox({ clock: { now: () => now } }).enqueue(
        tx,
        payloads.map((payload) => ({ app: 'app1', kind, payload })),
      ),
    );
  }

  it('runs due messages through their handler and marks them delivered', async () => {
    const clock = createFakeClock(10_000);
    const kind = `ok-${ulid()}`;
    const seen: unknown[] = [];
    const { h, records } = handler(kind, async (m) => {
      seen.push(m.payload);
      return { ok: true };
    });
    const d = createOutboxDispatcher({ db, clock, handlers: [h], scheduler: manualScheduler().scheduler });
    const ids = await enqueue(kind, [{ n: 1 }, { n: 2 }], 10_000);
    expect(await d.drain()).toBe(2);
    expect(seen).toEqual([{ n: 1 }, { n: 2 }]);
    for (const id of ids)
      expect(await createOutboxStore(db).get(id)).toMatchObject({ status: 'delivered', deliveredAt: 10_000 });
    expect(records.map((r) => r.settlement)).toEqual([{ status: 'delivered' }, { status: 'delivered' }]);
    expect(await d.runOnce()).toBe(0);
  });

  it('retries failures with exponential backoff and full jitter, then dead-letters after the cap', async () => {
    const clock = createFakeClock(0);
    const kind = `fail-${ulid()}`;
    let calls = 0;
    const { h, records } = handler(
      kind,
      async () => {
        calls++;
        return { ok: false, error: 'HTTP 500' };
      },
      4,
    );
    const d = createOutboxDispatcher({
      db,
      clock,
      handlers: [h],
      random: () => 0.5,
      scheduler: manualScheduler().scheduler,
    });
    const [id] = await enqueue(kind, ['x'], 0);

    // ceilings 1 s, 2 s, 4 s; random 0.5 picks half of each
    const expectedDelays = [500, 1000, 2000];
    for (const [i, delay] of expectedDelays.entries()) {
      expect(await d.runOnce()).toBe(1);
      const row = await createOutboxStore(db).get(id!);
      expect(row).toMatchObject({
        status: 'pending',
        attempts: i + 1,
        availableAt: clock.now() + delay,
        lastError: 'HTTP 500',
      });
      // not due before its time
      clock.advance(delay - 1);
      expect(await d.runOnce()).toBe(0);
      clock.advance(1);
    }
    expect(await d.runOnce()).toBe(1);
    expect(calls).toBe(4);
    expect(await createOutboxStore(db).get(id!)).toMatchObject({
      status: 'dead',
      attempts: 4,
      deadAt: clock.now(),
    });
    expect(records.map((r) => r.settlement.status)).toEqual(['retry', 'retry', 'retry', 'dead']);
    expect(records[0]!.settlement).toEqual({ status: 'retry', nextAttemptAt: 500 });
    clock.advance(1e9);
    expect(await d.runOnce()).toBe(0);
  });

  it('dead-letters a permanent failure at once, and treats a throw as a failure', async () => {
    const clock = createFakeClock(0);
    const kind = `perm-${ulid()}`;
    const { h } = handler(kind, async (m) => {
      if (m.payload === 'throw') throw new Error('boom');
      return { ok: false, error: 'endpoint deleted', permanent: true };
    });
    const d = createOutboxDispatcher({
      db,
      clock,
      handlers: [h],
      random: () => 0,
      scheduler: manualScheduler().scheduler,
    });
    const [perm, thrown] = await enqueue(kind, ['perm', 'throw'], 0);
    await d.runOnce();
    const store = createOutboxStore(db);
    expect(await store.get(perm!)).toMatchObject({
      status: 'dead',
      attempts: 1,
      lastError: 'endpoint deleted',
    });
    expect(await store.get(thrown!)).toMatchObject({ status: 'pending', attempts: 1, lastError: 'boom' });
  });

  it('after a crash mid-attempt the message runs again once the lease expires (at least once)', async () => {
    const clock = createFakeClock(0);
    const kind = `crash-${ulid()}`;
    const [id] = await enqueue(kind, ['m'], 0);
    // a dispatcher claims the message and dies before recording anything
    const crashed = await createOutboxStore(db).claim({ now: 0, limit: 10, leaseMs: 30_000, kinds: [kind] });
    expect(crashed.map((m) => m.id)).toEqual([id]);

    const got: number[] = [];
    const { h } = handler(kind, async (m) => {
      got.push(m.attempts);
      return { ok: true };
    });
    const d = createOutboxDispatcher(
      { db, clock, handlers: [h], scheduler: manualScheduler().scheduler },
      { leaseMs: 30_000 },
    );
    expect(await d.runOnce()).toBe(0); // still leased
    clock.advance(30_000);
    expect(await d.runOnce()).toBe(1);
    expect(got).toEqual([2]);
    expect((await createOutboxStore(db).get(id!))?.status).toBe('delivered');
  });

  it('a message claimed more often than the cap without a result is dead-lettered without another attempt', async () => {
    const clock = createFakeClock(0);
    const kind = `loop-${ulid()}`;
    const [id] = await enqueue(kind, ['m'], 0);
    const store = createOutboxStore(db);
    for (let i = 0; i < 2; i++) {
      await store.claim({ now: clock.now(), limit: 1, leaseMs: 10, kinds: [kind] });
      clock.advance(10);
    }
    let calls = 0;
    const { h } = handler(
      kind,
      async () => {
        calls++;
        return { ok: true };
      },
      2,
    );
    const d = createOutboxDispatcher({ db, clock, handlers: [h], scheduler: manualScheduler().scheduler });
    expect(await d.runOnce()).toBe(1);
    expect(calls).toBe(0);
    expect(await store.get(id!)).toMatchObject({ status: 'dead', attempts: 3 });
    expect((await store.get(id!))?.lastError).toMatch(/gave up after 2 attempts/);
  });

  it('a dispatcher whose lease ran out does not overwrite the new owner', async () => {
    const clock = createFakeClock(0);
    const kind = `lease-${ulid()}`;
    const [id] = await enqueue(kind, ['m'], 0);
    const gate = deferred<void>();
    const started = deferred<void>();
    const slow = handler(kind, async () => {
      started.resolve();
      await gate.promise;
      return { ok: false, error: 'late failure' };
    });
    const d1 = createOutboxDispatcher(
      { db, clock, handlers: [slow.h], scheduler: manualScheduler().scheduler },
      { leaseMs: 100 },
    );
    const first = d1.runOnce();
    await started.promise;
    clock.advance(100);
    const fast = handler(kind, async () => ({ ok: true }));
    const d2 = createOutboxDispatcher(
      { db, clock, handlers: [fast.h], scheduler: manualScheduler().scheduler },
      { leaseMs: 100 },
    );
    expect(await d2.runOnce()).toBe(1);
    gate.resolve();
    await first;
    expect(await createOutboxStore(db).get(id!)).toMatchObject({ status: 'delivered', lastError: null });
    expect(slow.records).toEqual([]);
    expect(fast.records.map((r) => r.settlement.status)).toEqual(['delivered']);
  });

  it('stop lets attempts in flight finish within the grace period', async () => {
    const clock = createFakeClock(0);
    const kind = `grace-${ulid()}`;
    const [id] = await enqueue(kind, ['m'], 0);
    const started = deferred<void>();
    const gate = deferred<void>();
    const { h } = handler(kind, async () => {
      started.resolve();
      await gate.promise;
      return { ok: true };
    });
    const sched = manualScheduler();
    const d = createOutboxDispatcher(
      { db, clock, handlers: [h], scheduler: sched.scheduler },
      { stopGraceMs: 5000 },
    );
    d.start();
    sched.runAll();
    await started.promise;
    const stopped = d.stop();
    expect(sched.pending().map((t) => t.ms)).toEqual([5000]);
    gate.resolve();
    await stopped;
    expect(sched.pending()).toEqual([]);
    expect((await createOutboxStore(db).get(id!))?.status).toBe('delivered');
  });

  it('stop aborts attempts still in flight after the grace period and hands their messages back untried', async () => {
    const clock = createFakeClock(0);
    const kind = `stop-${ulid()}`;
    const [id] = await enqueue(kind, ['m'], 0);
    const started = deferred<void>();
    const { h, records } = handler(
      kind,
      (_m, signal) =>
        new Promise<HandlerResult>((resolve) => {
          started.resolve();
          signal.addEventListener('abort', () => resolve({ ok: false, error: 'aborted' }));
        }),
    );
    const sched = manualScheduler();
    const d = createOutboxDispatcher({ db, clock, handlers: [h], scheduler: sched.scheduler });
    d.start();
    expect(d.isRunning()).toBe(true);
    sched.runAll(); // the first tick
    await started.promise;
    const stopped = d.stop();
    expect(sched.runAll()).toEqual([5000]); // the grace period ends
    await stopped;
    expect(d.isRunning()).toBe(false);
    expect(await createOutboxStore(db).get(id!)).toMatchObject({
      status: 'pending',
      attempts: 0,
      availableAt: 0,
    });
    expect(records).toEqual([]);
    expect(sched.pending()).toEqual([]);
  });

  it('the loop polls, is woken by an enqueue, and purges old finished messages', async () => {
    const clock = createFakeClock(1_000_000_000);
    const kind = `loop2-${ulid()}`;
    const delivered: unknown[] = [];
    const purged: number[] = [];
    const { h } = handler(kind, async (m) => {
      delivered.push(m.payload);
      return { ok: true };
    });
    const withPurge: OutboxHandler = {
      ...h,
      purge: async (_db, before) => {
        purged.push(before);
        return 0;
      },
    };
    const sched = manualScheduler();
    const d = createOutboxDispatcher(
      { db, clock, handlers: [withPurge], scheduler: sched.scheduler },
      { pollMs: 250, retentionMs: 1000, purgeEveryMs: 5000 },
    );
    const old = await enqueue(kind, ['old'], clock.now());
    await d.drain();
    clock.advance(2000);
    d.start();
    const outbox = createOutbox({ clock, onEnqueued: () => d.wake() });

    const settle = async () => {
      // let the tick's promise chain finish (its queries make round trips to the SQLite thread)
      const until = Date.now() + 5000;
      while (sched.pending().length === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 1));
    };
    expect(sched.runAll()).toEqual([0]);
    await settle();
    // the first round purged (retention 1 s: the delivered 'old' message is gone) and then waits a poll
    expect(purged).toEqual([clock.now() - 1000]);
    expect(await createOutboxStore(db).get(old[0]!)).toBeUndefined();
    expect(sched.pending().map((x) => x.ms)).toEqual([250]);

    await db.transaction((tx) => outbox.enqueue(tx, [{ app: 'a', kind, payload: 'woken' }]));
    // wake replaced the poll with an immediate tick
    expect(sched.pending().map((x) => x.ms)).toEqual([0]);
    sched.runAll();
    await settle();
    expect(delivered).toEqual(['old', 'woken']);
    expect(sched.pending().map((x) => x.ms)).toEqual([250]);
    await d.stop();
  });
});
