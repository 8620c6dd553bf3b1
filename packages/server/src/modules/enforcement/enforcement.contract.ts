import { createEngine, type Tier } from '@vigil/engine';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { TestDatabase } from '../../storage/test-databases.js';
import { isUniqueViolation } from '../../storage/sql-errors.js';
import { createFakeClock } from '../../testing/fake-clock.js';
import { createCaseIntake } from '../cases/case-intake.js';
import { createCaseStore } from '../cases/case.store.js';
import { createRecordingEvents } from './enforcement-events.fake.js';
import {
  createEnforcementService,
  type DecidedEvent,
  type EnforcementService,
} from './enforcement.service.js';
import { createEnforcementStore } from './enforcement.store.js';
import { ensureUser } from './user-status.js';

const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 0, 15, 12);

/**
 * The enforcement lifecycle against a real database: decisions from the real engine, merged per
 * the tier matrix, expiry, lifting, approval. Run on SQLite and on PostgreSQL.
 * @example describeEnforcementContract(createSqliteTestDatabase);
 */
export function describeEnforcementContract(open: () => Promise<TestDatabase>): void {
  let t: TestDatabase;
  let service: EnforcementService;
  let events: ReturnType<typeof createRecordingEvents>;
  const clock = createFakeClock(T0);
  const engine = createEngine();
  let seq = 0;
  let app = '';
  let appN = 0;

  beforeAll(async () => {
    t = await open();
  });
  afterAll(async () => {
    await t.cleanup();
  });
  beforeEach(() => {
    clock.set(T0);
    events = createRecordingEvents();
    service = createEnforcementService({ db: t.db, clock, events, cases: createCaseIntake() });
    app = `app-${++appN}`;
  });

  /** A decided event from the real engine: `fraud_signal` scores 0.8 × confidence. */
  function decided(
    user: string,
    tier: Tier,
    confidence: number,
    type: 'fraud_signal' | 'payment_risk' = 'fraud_signal',
  ): DecidedEvent {
    const r = engine.process(
      { id: `e${++seq}`, type, user, tier, attrs: { confidence } },
      { now: clock.now(), app },
    );
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    return { seq, event: r.value.event, decision: r.value.decision };
  }

  async function apply(...items: DecidedEvent[]): Promise<void> {
    await t.db.transaction(async (tx) => {
      for (const i of items)
        await ensureUser(tx, i.event.app, i.event.user ?? '', i.event.tier ?? null, clock.now());
      await service.applyDecisions(tx, items, clock.now());
    });
  }

  const userStatus = async (user: string) =>
    (
      await t.db.kysely
        .selectFrom('users')
        .select('status')
        .where('app_id', '=', app)
        .where('user_id', '=', user)
        .executeTakeFirstOrThrow()
    ).status;

  it('blocks a guest with a fraud signal for 72 h and opens a case with the tier SLA', async () => {
    const d = decided('u1', 'guest', 1);
    expect(d.decision.enforcement).toMatchObject({ action: 'auto_block', durationMs: 72 * HOUR });
    await apply(d);
    const inForce = await service.inForce(app, 'u1');
    expect(inForce).toHaveLength(1);
    expect(inForce[0]).toMatchObject({
      action: 'auto_block',
      kind: 'account',
      status: 'active',
      source: 'decision',
      tier: 'guest',
      endsAt: T0 + 72 * HOUR,
    });
    expect(events.emitted.map((e) => e.type)).toEqual(['enforcement.created']);
    expect(events.emitted[0]?.data).toMatchObject({
      user: 'u1',
      action: 'auto_block',
      status: 'active',
      expiresAt: T0 + 72 * HOUR,
      eventId: d.event.id,
    });
    const c = await createCaseStore(t.db).openFor(app, 'u1', clock.now());
    expect(c).toMatchObject({ status: 'open', slaDueAt: T0 + 24 * HOUR, tier: 'guest', priority: 'normal' });
    expect(inForce[0]?.caseId).toBe(c?.id);
    expect(await userStatus('u1')).toBe('suspended');
  });

  it('escalates without shortening, and ignores a weaker request', async () => {
    await apply(decided('u2', 'guest', 0.8)); // 0.64: 24 h temp suspend
    let [e] = await service.inForce(app, 'u2');
    expect(e).toMatchObject({ action: 'temp_suspend', endsAt: T0 + 24 * HOUR });
    clock.advance(HOUR);
    await apply(decided('u2', 'guest', 1)); // 0.8: 72 h auto-block
    [e] = await service.inForce(app, 'u2');
    expect(e).toMatchObject({ action: 'auto_block', endsAt: T0 + HOUR + 72 * HOUR });
    await apply(decided('u2', 'guest', 0.8)); // weaker, ends sooner: nothing changes
    const rows = await createEnforcementStore(t.db).list(
      { appId: app, userId: 'u2', limit: 10 },
      clock.now(),
    );
    expect(rows.items).toHaveLength(1);
    expect(rows.items[0]).toMatchObject({ id: e?.id, action: 'auto_block', endsAt: T0 + HOUR + 72 * HOUR });
    expect(events.emitted.map((x) => x.type)).toEqual(['enforcement.created', 'enforcement.updated']);
    expect(events.emitted[1]?.data).toMatchObject({
      change: 'escalated',
      previous: { action: 'temp_suspend', expiresAt: T0 + 24 * HOUR },
    });
    // an immediate block (payment risk 0.9) is open-ended
    await apply(decided('u2', 'guest', 1, 'payment_risk'));
    [e] = await service.inForce(app, 'u2');
    expect(e).toMatchObject({ action: 'auto_block', endsAt: null });
  });

  it('merges several decisions of one batch into one enforcement', async () => {
    await apply(decided('u3', 'guest', 0.8), decided('u3', 'guest', 1), decided('u3', 'guest', 0.8));
    const list = await service.list({ appId: app, userId: 'u3' });
    expect(list.items).toHaveLength(1);
    expect(list.items[0]?.action).toBe('auto_block');
  });

  it('restricts VIP features with a review deadline and lists it as overdue after the SLA', async () => {
    await apply(decided('v1', 'vip', 1));
    const [e] = await service.inForce(app, 'v1');
    expect(e).toMatchObject({
      action: 'soft_restrict',
      kind: 'features',
      features: ['betting', 'withdrawals'],
      requiresReview: true,
      reviewDueAt: T0 + 4 * HOUR,
      endsAt: null,
    });
    expect(await userStatus('v1')).toBe('restricted');
    expect((await service.list({ appId: app, overdue: true })).items).toHaveLength(0);
    clock.advance(5 * HOUR);
    expect((await service.list({ appId: app, overdue: true })).items.map((x) => x.id)).toEqual([e?.id]);
    expect((await createCaseStore(t.db).openFor(app, 'v1', clock.now()))?.priority).toBe('high');
  });

  it('expires by itself: reads are right before the sweep, the sweep announces it once', async () => {
    await apply(decided('u4', 'guest', 0.8));
    clock.advance(24 * HOUR);
    expect(await service.inForce(app, 'u4')).toEqual([]);
    const listed = await service.list({ appId: app, userId: 'u4', status: 'expired' });
    expect(listed.items).toHaveLength(1);
    expect((await service.list({ appId: app, userId: 'u4', status: 'active' })).items).toHaveLength(0);
    expect(await service.sweep()).toBeGreaterThanOrEqual(1);
    expect(
      events.emitted.filter((x) => x.type === 'enforcement.lifted' && x.data['user'] === 'u4'),
    ).toHaveLength(1);
    expect(await service.sweep()).toBe(0);
    expect((await service.get(app, listed.items[0]?.id ?? '')).status).toBe('expired');
    expect(await userStatus('u4')).toBe('active');
  });

  it('replaces an expired one that was not swept yet', async () => {
    await apply(decided('u5', 'guest', 0.8));
    clock.advance(25 * HOUR);
    await apply(decided('u5', 'guest', 0.8));
    const all = await service.list({ appId: app, userId: 'u5' });
    expect(all.items.map((x) => x.status)).toEqual(['active', 'expired']);
    expect(events.emitted.map((x) => x.type)).toEqual([
      'enforcement.created',
      'enforcement.lifted',
      'enforcement.created',
    ]);
  });

  it('lifts once: lifting again is a conflict and announces nothing', async () => {
    await apply(decided('u6', 'guest', 1));
    const [e] = await service.inForce(app, 'u6');
    const id = e?.id ?? '';
    await expect(service.lift('another-app', id, 'x', 'tester')).rejects.toMatchObject({ code: 'not_found' });
    const lifted = await service.lift(app, id, 'appeal accepted', 'tester');
    expect(lifted).toMatchObject({ status: 'lifted', liftReason: 'appeal accepted', liftedBy: 'tester' });
    await expect(service.lift(app, id, 'again', 'tester')).rejects.toMatchObject({ code: 'conflict' });
    expect(events.emitted.map((x) => x.type)).toEqual(['enforcement.created', 'enforcement.lifted']);
    expect(await service.inForce(app, 'u6')).toEqual([]);
    expect(await userStatus('u6')).toBe('active');
  });

  it('creates manual enforcements, validating them', async () => {
    await expect(
      service.create({ appId: app, userId: 'm1', action: 'temp_suspend', reason: 'abuse' }, 'tester'),
    ).rejects.toMatchObject({ code: 'validation_failed' });
    await expect(
      service.create(
        { appId: app, userId: 'm1', action: 'auto_block', reason: 'abuse', features: ['chat'] },
        'tester',
      ),
    ).rejects.toMatchObject({ code: 'validation_failed' });
    const r = await service.create(
      { appId: app, userId: 'm1', action: 'soft_restrict', reason: 'chargebacks' },
      'tester',
    );
    expect(r.outcome).toBe('created');
    expect(r.enforcement).toMatchObject({
      source: 'manual',
      features: ['betting', 'withdrawals'],
      createdBy: 'tester',
      tier: 'guest',
    });
    const again = await service.create(
      { appId: app, userId: 'm1', action: 'soft_restrict', reason: 'chargebacks', features: ['chat'] },
      'tester',
    );
    expect(again.outcome).toBe('extended');
    expect(again.enforcement.features).toEqual(['betting', 'chat', 'withdrawals']);
    // an unseen user gets a profile, so the status route answers
    expect(await userStatus('m1')).toBe('restricted');
  });

  it('holds a VIP permanent ban for approval, then lets it supersede the block in force', async () => {
    await service.create(
      { appId: app, userId: 'p1', action: 'auto_block', reason: 'fraud ring', tier: 'vip' },
      'analyst',
    );
    const pending = await service.create(
      { appId: app, userId: 'p1', action: 'permanent_ban', reason: 'fraud ring', tier: 'vip' },
      'analyst',
    );
    expect(pending.outcome).toBe('pending');
    expect(pending.enforcement).toMatchObject({
      status: 'pending_approval',
      requiresReview: true,
      reviewDueAt: T0 + 4 * HOUR,
    });
    const c = await createCaseStore(t.db).openFor(app, 'p1', clock.now());
    expect(c).toMatchObject({ priority: 'urgent' });
    expect((await service.inForce(app, 'p1')).map((e) => e.action)).toEqual(['auto_block']);
    // the same request again is not a second pending one
    expect(
      (
        await service.create(
          { appId: app, userId: 'p1', action: 'permanent_ban', reason: 'again', tier: 'vip' },
          'analyst',
        )
      ).outcome,
    ).toBe('unchanged');
    const approved = await service.approve(app, pending.enforcement.id, 'admin');
    expect(approved).toMatchObject({ status: 'active', reviewedBy: 'admin' });
    expect((await service.inForce(app, 'p1')).map((e) => e.action)).toEqual(['permanent_ban']);
    expect(await userStatus('p1')).toBe('banned');
    await expect(service.approve(app, pending.enforcement.id, 'admin')).rejects.toMatchObject({
      code: 'conflict',
    });
    expect((await service.list({ appId: app, userId: 'p1', status: 'superseded' })).items).toHaveLength(1);
    // a non-VIP permanent ban needs no approval
    const direct = await service.create(
      { appId: app, userId: 'p2', action: 'permanent_ban', reason: 'bot farm', tier: 'silver' },
      'analyst',
    );
    expect(direct.enforcement.status).toBe('active');
  });

  it('rejects a pending ban', async () => {
    const pending = await service.create(
      { appId: app, userId: 'p3', action: 'permanent_ban', reason: 'maybe', tier: 'platinum' },
      'analyst',
    );
    const rejected = await service.reject(app, pending.enforcement.id, 'admin', 'not enough evidence');
    expect(rejected).toMatchObject({ status: 'rejected', liftReason: 'not enough evidence' });
    await expect(service.reject(app, pending.enforcement.id, 'admin')).rejects.toMatchObject({
      code: 'conflict',
    });
    expect(await service.inForce(app, 'p3')).toEqual([]);
  });

  it('pages listings with a cursor and refuses a forged one', async () => {
    for (let i = 0; i < 5; i++)
      await service.create({ appId: app, userId: `pg${i}`, action: 'auto_block', reason: 'x' }, 'tester');
    const first = await service.list({ appId: app, limit: 2 });
    expect(first.items).toHaveLength(2);
    const second = await service.list({ appId: app, limit: 2, cursor: first.nextCursor ?? '' });
    const third = await service.list({ appId: app, limit: 2, cursor: second.nextCursor ?? '' });
    expect(third.nextCursor).toBeNull();
    const ids = [...first.items, ...second.items, ...third.items].map((e) => e.userId);
    expect(new Set(ids).size).toBe(5);
    await expect(service.list({ appId: app, cursor: 'bm9wZQ' })).rejects.toMatchObject({
      code: 'validation_failed',
    });
  });

  it('allows one active enforcement per user, app and kind (unique index)', async () => {
    const store = createEnforcementStore(t.db);
    const base = {
      appId: app,
      userId: 'x1',
      action: 'auto_block' as const,
      status: 'active' as const,
      tier: null,
      source: 'manual' as const,
      reason: 'x',
      features: [],
      decisionSeq: null,
      caseId: null,
      startsAt: T0,
      endsAt: null,
      requiresReview: false,
      reviewDueAt: null,
      createdBy: 'test',
      createdAt: T0,
    };
    await store.insert({ ...base, id: 'A'.repeat(26) });
    const second = store.insert({ ...base, id: 'B'.repeat(26) });
    await expect(second).rejects.toSatisfy(isUniqueViolation);
    // a restriction is another kind
    await store.insert({ ...base, id: 'C'.repeat(26), action: 'soft_restrict' });
  });
}

/** Runs {@link describeEnforcementContract} under a name. @example describeEnforcement('SQLite', createSqliteTestDatabase) */
export function describeEnforcement(name: string, open: () => Promise<TestDatabase>): void {
  describe(`enforcement on ${name}`, () => describeEnforcementContract(open));
}
