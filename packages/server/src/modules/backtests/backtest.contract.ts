import { validateEvent } from '@vigil/engine';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Clock } from '../../clock.js';
import { isDomainError } from '../../errors.js';
import type { Db } from '../../storage/database.js';
import { shieldKysely } from '../../storage/shield-tables.js';
import type { TestDatabase } from '../../storage/test-databases.js';
import { ulid } from '../../storage/ulid.js';
import { createAppService } from '../apps/app.service.js';
import { createEventStore } from '../events/event.store.js';
import { createBacktestService, type BacktestService } from './backtest.service.js';
import { createBacktestStore } from './backtest.store.js';
import { DEFAULT_BACKTEST_COSTS } from './backtest-report.js';

/** A logged event for {@link seedEvents}: minutes after T0. */
export interface SeedEvent {
  readonly id: string;
  readonly user: string;
  readonly amount: number;
  readonly min: number;
}

/** The log's time origin in these tests. @example T0; // 2026-01-10T00:00:00Z */
export const T0 = Date.UTC(2026, 0, 10);
const MIN = 60_000;

/**
 * Appends payments to an app's log, in the given order (that order is the seq order).
 * @example await seedEvents(db, appId, [{ id: 'e1', user: 'u1', amount: 20, min: 0 }]);
 */
export async function seedEvents(db: Db, appId: string, events: readonly SeedEvent[]): Promise<void> {
  const rows = events.map((e) => {
    const at = T0 + e.min * MIN;
    const v = validateEvent(
      {
        id: e.id,
        type: 'payment',
        user: e.user,
        amount: e.amount,
        currency: 'USD',
        at: new Date(at).toISOString(),
      },
      { now: at, app: appId },
    );
    if (!v.ok) throw new Error(JSON.stringify(v.problems));
    return {
      appId,
      id: e.id,
      type: 'payment',
      at,
      userId: e.user,
      receivedAt: at,
      payload: JSON.stringify(v.value),
    };
  });
  await createEventStore(db).insertNew(rows);
}

/**
 * Writes labels as the case service does (`eventId` null: a label on the user).
 * @example await seedLabels(db, appId, [{ eventId: 'e1', userId: 'u1', label: 'confirmed_fraud' }]);
 */
export async function seedLabels(
  db: Db,
  appId: string,
  labels: readonly { eventId: string | null; userId: string; label: string }[],
): Promise<void> {
  let at = T0;
  for (const l of labels) {
    await shieldKysely(db)
      .insertInto('labels')
      .values({
        id: ulid(),
        app_id: appId,
        user_id: l.userId,
        event_id: l.eventId,
        decision_seq: null,
        label: l.label,
        source: 'case',
        case_id: null,
        created_by: 'test',
        created_at: at++,
      })
      .execute();
  }
}

const BLOCK_BIG = {
  rules: [{ id: 'big', expression: 'amount > 1000', score: 1, outcome: 'block' }],
};

const iso = (min: number) => T0 + min * MIN;

/**
 * The backtest service's contract on a database (SQLite: backtest.service.test.ts; PostgreSQL:
 * backtest.service.int.test.ts).
 * @example describe('backtests on SQLite', () => describeBacktestContract(createSqliteTestDatabase));
 */
export function describeBacktestContract(open: () => Promise<TestDatabase>): void {
  let t: TestDatabase;
  let db: Db;
  let svc: BacktestService;
  const clock: Clock = { now: () => Date.UTC(2026, 0, 20) };
  const newApp = async () => (await createAppService({ db, clock }).create(`bt-${ulid()}`, 'test')).app.id;

  beforeAll(async () => {
    t = await open();
    db = t.db;
    svc = createBacktestService({ db, clock }, { pageSize: 3, sliceMs: 0 });
  });
  afterAll(async () => {
    await svc?.close();
    await t?.cleanup();
  });

  const runToEnd = async (
    appId: string,
    candidate: unknown,
    opts: Parameters<BacktestService['start']>[2],
  ) => {
    const id = await svc.start(appId, candidate, opts);
    await svc.idle();
    const job = await svc.get(id, appId);
    expect(job.message).toBeNull();
    expect(job.status).toBe('done');
    if (job.result === null) throw new Error('no result');
    return { job, result: job.result };
  };

  describe('backtests', () => {
    it('a rule blocking amount > 1000 shows newly blocked users, changed counts and the transitions', async () => {
      const app = await newApp();
      await seedEvents(db, app, [
        { id: 'a1', user: 'u1', amount: 25, min: 0 },
        { id: 'a2', user: 'u2', amount: 40, min: 5 },
        { id: 'a3', user: 'u3', amount: 1500, min: 10 },
        { id: 'a4', user: 'u1', amount: 30, min: 15 },
        { id: 'a5', user: 'u4', amount: 2500, min: 20 },
        { id: 'a6', user: 'u2', amount: 55, min: 25 },
        { id: 'a7', user: 'u3', amount: 20, min: 30 },
      ]);
      const { result } = await runToEnd(app, BLOCK_BIG, { from: iso(0), to: iso(30) });
      expect(result.events).toEqual({ replayed: 7, warmup: 0, compared: 7, baselineMissing: 0, changed: 2 });
      expect(result.baseline.byOutcome.block).toBe(0);
      expect(result.candidate.byOutcome.block).toBe(2);
      expect(result.candidate.byOutcome.allow).toBe(result.baseline.byOutcome.allow - 2);
      expect(result.users).toEqual({
        newlyBlocked: 2,
        released: 0,
        newlyBlockedUsers: ['u3', 'u4'],
        releasedUsers: [],
      });
      expect(result.transitions.outcomes.allow.block).toBe(2);
      expect(result.transitions.outcomes.block.allow).toBe(0);
      // the same configuration as the baseline changes nothing
      const same = await runToEnd(app, {}, { from: iso(0), to: iso(30) });
      expect(same.result.events.changed).toBe(0);
      expect(same.result.users.newlyBlocked).toBe(0);
      expect(same.result.candidate).toEqual(same.result.baseline);
      // no stored live decisions in this log: nothing to compare against, and the report says so
      const live = await runToEnd(app, BLOCK_BIG, { from: iso(0), to: iso(30), baseline: 'live' });
      expect(live.result.events).toMatchObject({ replayed: 7, compared: 0, baselineMissing: 7 });
    });

    it('labels give exact precision, recall, F1 and cost; unlabelled events are counted apart', async () => {
      const app = await newApp();
      await seedEvents(db, app, [
        { id: 'b1', user: 'f1', amount: 1200, min: 0 }, // fraud, blocked: tp
        { id: 'b2', user: 'f2', amount: 3000, min: 1 }, // fraud, blocked: tp
        { id: 'b3', user: 'g1', amount: 1100, min: 2 }, // legit, blocked: fp (false block)
        { id: 'b4', user: 'f3', amount: 400, min: 3 }, // fraud, allowed: fn (missed 400)
        { id: 'b5', user: 'g2', amount: 30, min: 4 }, // legit, allowed: tn
        { id: 'b6', user: 'g3', amount: 45, min: 5 }, // legit (user label), allowed: tn
        { id: 'b7', user: 'n1', amount: 5000, min: 6 }, // unlabelled, blocked
        { id: 'b8', user: 'n2', amount: 60, min: 7 }, // inconclusive: unlabelled
      ]);
      await seedLabels(db, app, [
        { eventId: 'b1', userId: 'f1', label: 'confirmed_fraud' },
        { eventId: 'b2', userId: 'f2', label: 'chargeback' },
        { eventId: 'b3', userId: 'g1', label: 'confirmed_fraud' },
        { eventId: 'b3', userId: 'g1', label: 'false_positive' }, // newer: wins
        { eventId: 'b4', userId: 'f3', label: 'fraud' },
        { eventId: 'b5', userId: 'g2', label: 'legit' },
        { eventId: null, userId: 'g3', label: 'false_positive' },
        { eventId: 'b8', userId: 'n2', label: 'inconclusive' },
      ]);
      const costs = { missedFraudRate: 0.5, reviewCost: 3, falseBlockCost: 100 };
      const { result } = await runToEnd(app, BLOCK_BIG, { from: iso(0), to: iso(7), costs });
      expect(result.labels).toEqual({ positive: 3, negative: 3, unlabelled: 2, fromEvent: 5, fromUser: 1 });
      const c = result.metrics.candidate;
      expect([c.tp, c.fp, c.fn, c.tn]).toEqual([2, 1, 1, 2]);
      expect(c.precision).toBeCloseTo(2 / 3, 12);
      expect(c.recall).toBeCloseTo(2 / 3, 12);
      expect(c.f1).toBeCloseTo(2 / 3, 12);
      // the default configuration flags none of these payments
      expect(result.baseline.byOutcome.allow).toBe(8);
      const b = result.metrics.baseline;
      expect([b.tp, b.fp, b.fn, b.tn]).toEqual([0, 0, 3, 3]);
      expect(b.precision).toBeNull();
      expect(b.recall).toBe(0);
      expect(result.cost.candidate).toEqual({
        missedFraudAmount: 400,
        missedFraudCost: 200,
        flagged: 0,
        reviewCost: 0,
        falseBlocks: 1,
        falseBlockCost: 100,
        total: 300,
      });
      expect(result.cost.baseline.missedFraudAmount).toBe(1200 + 3000 + 400);
      expect(result.cost.baseline.total).toBe(2300);
      expect(result.cost.delta).toBe(300 - 2300);
      expect(result.costs).toEqual(costs);
    });

    it('features are warmed from events before `from` (a velocity rule) and progress reaches the total', async () => {
      const app = await newApp();
      const velocity = {
        rules: [{ id: 'burst', expression: 'count(user, payment, 1h) > 3', score: 1, outcome: 'block' }],
      };
      await seedEvents(db, app, [
        { id: 'v1', user: 'u1', amount: 10, min: 0 },
        { id: 'v2', user: 'u1', amount: 10, min: 5 },
        { id: 'v3', user: 'u1', amount: 10, min: 10 },
        { id: 'v4', user: 'u1', amount: 10, min: 15 },
        { id: 'v5', user: 'u1', amount: 10, min: 20 }, // the only event in range
        { id: 'v6', user: 'u2', amount: 10, min: 21 }, // after `to`, logged after the last one in range
      ]);
      const { job, result } = await runToEnd(app, velocity, { from: iso(20), to: iso(20) });
      expect(result.events).toMatchObject({ replayed: 5, warmup: 4, compared: 1 });
      expect(result.candidate.byOutcome.block).toBe(1);
      expect(result.users.newlyBlockedUsers).toEqual(['u1']);
      expect(job.total).toBe(5);
      expect(job.processed).toBe(5);
      expect(job.startedAt).not.toBeNull();
      expect(job.finishedAt).not.toBeNull();

      // the same event on a log without the earlier ones is not blocked: the warm-up made the difference
      const cold = await newApp();
      await seedEvents(db, cold, [{ id: 'v5', user: 'u1', amount: 10, min: 20 }]);
      const coldRun = await runToEnd(cold, velocity, { from: iso(20), to: iso(20) });
      expect(coldRun.result.candidate.byOutcome.block).toBe(0);
    });

    it('an out-of-order event logged after one in range is replayed, but not compared', async () => {
      const app = await newApp();
      await seedEvents(db, app, [
        { id: 'o1', user: 'u1', amount: 10, min: 10 },
        { id: 'o2', user: 'u1', amount: 10, min: 50 }, // after `to`, but logged before o3
        { id: 'o3', user: 'u1', amount: 10, min: 12 },
      ]);
      const { job, result } = await runToEnd(app, {}, { from: iso(0), to: iso(20) });
      expect(job.total).toBe(3);
      expect(result.events).toMatchObject({ replayed: 3, warmup: 1, compared: 2 });
    });

    it('the live baseline compares with the stored decisions', async () => {
      const app = await newApp();
      await seedEvents(db, app, [
        { id: 'l1', user: 'u1', amount: 10, min: 0 },
        { id: 'l2', user: 'u2', amount: 2000, min: 1 },
        { id: 'l3', user: 'u3', amount: 20, min: 2 },
      ]);
      const seqs = await db.kysely
        .selectFrom('events')
        .select(['seq', 'id'])
        .where('app_id', '=', app)
        .orderBy('seq')
        .execute();
      const decision = (seq: number, id: string, user: string, outcome: string, level: string) => ({
        eventSeq: seq,
        appId: app,
        eventId: id,
        userId: user,
        type: 'payment',
        at: T0,
        risk: 0.1,
        score: 10,
        level,
        outcome,
        flag: 'green',
        createdAt: T0,
        payload: '{}',
        signals: [],
      });
      // l1 was blocked live (say by a list entry since removed); l3 has no stored decision
      await createEventStore(db).insertDecisions([
        decision(Number(seqs[0]!.seq), 'l1', 'u1', 'block', 'CRITICAL'),
        decision(Number(seqs[1]!.seq), 'l2', 'u2', 'allow', 'SAFE'),
      ]);
      const { result } = await runToEnd(app, BLOCK_BIG, { from: iso(0), to: iso(2), baseline: 'live' });
      expect(result.events).toMatchObject({ replayed: 3, compared: 2, baselineMissing: 1, changed: 2 });
      expect(result.users).toMatchObject({ newlyBlockedUsers: ['u2'], releasedUsers: ['u1'] });
      expect(result.transitions.levels.CRITICAL).toBeDefined();
      expect(result.baseline.byLevel.CRITICAL).toBe(1);
    });

    it('rejects invalid candidates with every path, bad ranges, bad costs and unknown apps', async () => {
      const app = await newApp();
      const err = await svc
        .start(
          app,
          { rules: [{ id: 'x', expression: 'amount >', score: 2 }], access: { full: 'high' } },
          { from: iso(0), to: iso(1) },
        )
        .catch((e: unknown) => e);
      expect(isDomainError(err, 'validation_failed')).toBe(true);
      if (!isDomainError(err)) return;
      const paths = err.details.map((d) => d.path);
      expect(paths.some((p) => p.startsWith('/rules/0'))).toBe(true);
      expect(paths.some((p) => p.startsWith('/access/full'))).toBe(true);

      const range = await svc.start(app, {}, { from: iso(2), to: iso(1) }).catch((e: unknown) => e);
      expect(isDomainError(range, 'bad_request')).toBe(true);
      if (isDomainError(range)) expect(range.details[0]?.path).toBe('/from');

      const costs = await svc
        .start(app, {}, { from: iso(0), to: iso(1), costs: { reviewCost: -1 } })
        .catch((e: unknown) => e);
      expect(isDomainError(costs, 'validation_failed')).toBe(true);
      if (isDomainError(costs))
        expect(costs.details).toEqual([
          { path: '/costs/reviewCost', message: 'must be a finite number >= 0' },
        ]);

      const unknown = await svc
        .start('no-such-app', {}, { from: iso(0), to: iso(1) })
        .catch((e: unknown) => e);
      expect(isDomainError(unknown, 'app_not_found')).toBe(true);
      expect(await svc.list(app)).toEqual([]);
    });

    it('resume runs the jobs a previous process left queued', async () => {
      const app = await newApp();
      await seedEvents(db, app, [{ id: 'q1', user: 'u1', amount: 5000, min: 0 }]);
      const id = ulid();
      await createBacktestStore(db).insert({
        id,
        appId: app,
        baseline: 'config',
        baselineVersion: 0,
        from: iso(0),
        to: iso(1),
        candidate: BLOCK_BIG,
        costs: DEFAULT_BACKTEST_COSTS,
        createdAt: clock.now(),
        createdBy: 'test',
      });
      const fresh = createBacktestService({ db, clock });
      await fresh.resume();
      await fresh.idle();
      const job = await fresh.get(id, app);
      expect(job.status).toBe('done');
      expect(job.result?.users.newlyBlockedUsers).toEqual(['u1']);
      await fresh.close();
    });

    it('a job is visible only to its own app', async () => {
      const app = await newApp();
      const other = await newApp();
      const id = await svc.start(app, {}, { from: iso(0), to: iso(1) });
      await svc.idle();
      expect((await svc.get(id, app)).id).toBe(id);
      expect((await svc.get(id, undefined)).appId).toBe(app);
      const err = await svc.get(id, other).catch((e: unknown) => e);
      expect(isDomainError(err, 'not_found')).toBe(true);
      expect((await svc.list(other)).length).toBe(0);
      expect((await svc.list(app)).map((b) => b.id)).toEqual([id]);
    });
  });
}
