import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWiredTestServer, type WiredTestServer } from './wired-test-server.js';

let s: WiredTestServer;
let game: { id: string; apiKey: string };
let bank: { id: string; apiKey: string };
let viewerKey: string;
const HOUR = 3_600_000;

beforeAll(async () => {
  s = await createWiredTestServer();
  game = await s.createApp('game-arena');
  bank = await s.createApp('bank');
  viewerKey = (await s.rt.keys.create({ role: 'viewer', name: 'ops' }, 'test')).key;
});
afterAll(async () => {
  await s.close();
});

const ingest = (body: unknown, key = game.apiKey) => s.call('POST', '/api/shield/ingest', { key, body });

describe('POST /api/shield/ingest', () => {
  it("sendFraudSignal for a bronze user: risk 0.8 → the tier matrix's 72 h auto-block", async () => {
    const r = await ingest({
      userId: 'player_1',
      tier: 'bronze',
      eventType: 'fraud_signal',
      data: { ip: '203.0.113.50', deviceId: 'dev-9', reason: 'stolen card' },
    });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({
      success: true,
      userId: 'player_1',
      eventType: 'fraud_signal',
      riskScore: 0.8,
      riskLevel: 'HIGH',
      action: 'auto_block',
      enforcement: {
        action: 'auto_block',
        tier: 'bronze',
        durationMs: 72 * HOUR,
        expiresAt: s.clock.now() + 72 * HOUR,
        requiresReview: false,
        reviewSlaMs: 24 * HOUR,
        features: [],
      },
      duplicate: false,
    });
    const stored = await s.rt.db.kysely
      .selectFrom('events')
      .select(['payload'])
      .where('app_id', '=', game.id)
      .where('user_id', '=', 'player_1')
      .executeTakeFirstOrThrow();
    expect(JSON.parse(stored.payload)).toMatchObject({
      ip: '203.0.113.50',
      device: 'dev-9',
      tier: 'bronze',
      attrs: { reason: 'stolen card' },
    });
  });

  it('follows the matrix per tier: VIP payment risk suspends features, a mild anomaly is observed', async () => {
    const vip = await ingest({
      userId: 'whale',
      tier: 'VIP',
      eventType: 'payment_risk',
      data: { amount: 5000 },
    });
    expect(vip.json()).toMatchObject({
      riskScore: 0.9,
      action: 'suspend_features',
      enforcement: { tier: 'vip', reviewSlaMs: 4 * HOUR },
    });
    expect(vip.json<{ enforcement: { features: string[] } }>().enforcement.features.length).toBeGreaterThan(
      0,
    );
    const mild = await ingest({ userId: 'p2', tier: 'gold', eventType: 'behavioral_anomaly' });
    expect(mild.json()).toMatchObject({
      riskScore: 0.5,
      action: 'observe',
      enforcement: { durationMs: null, expiresAt: null },
    });
  });

  it('is idempotent by eventId and accepts the own app by name', async () => {
    const body = {
      userId: 'p3',
      tier: 'silver',
      eventType: 'cheat_signal',
      eventId: 'sig-1',
      app: 'game-arena',
    };
    expect((await ingest(body)).json()).toMatchObject({ eventId: 'sig-1', duplicate: false, riskScore: 0.7 });
    expect((await ingest(body)).json()).toMatchObject({ eventId: 'sig-1', duplicate: true, riskScore: 0.7 });
    expect((await ingest({ ...body, eventId: 'sig-2', app: game.id })).statusCode).toBe(200);
  });

  it('answers 4xx for another app, a bad tier or event type, and bad data', async () => {
    const cross = await ingest({ userId: 'p', eventType: 'fraud_signal', app: 'bank' });
    expect(cross.statusCode).toBe(403);
    expect(cross.json()).toMatchObject({ details: [{ path: '/app' }] });
    const tier = await ingest({ userId: 'p', tier: 'diamond', eventType: 'fraud_signal' });
    expect(tier.statusCode).toBe(400);
    expect(tier.json()).toMatchObject({ details: [{ path: '/tier' }] });
    expect((await ingest({ userId: 'p', eventType: 'no such type!' })).json()).toMatchObject({
      details: [{ path: '/eventType' }],
    });
    const ip = await ingest({ userId: 'p', eventType: 'ip_reputation', data: { ipAddress: 'not-an-ip' } });
    expect(ip.json()).toMatchObject({ details: [{ path: '/data/ipAddress' }] });
    expect((await ingest({ userId: 'p', eventType: 'fraud_signal', data: [] })).statusCode).toBe(400);
    expect((await ingest({ userId: 'p', eventType: 'fraud_signal' }, viewerKey)).statusCode).toBe(403);
  });
});

describe('shield admin routes', () => {
  it('lists events newest first with filters and a cursor (viewer role; app keys are refused)', async () => {
    await ingest({ userId: 'bank-user', eventType: 'fraud_signal' }, bank.apiKey);
    const all = await s.call('GET', `/api/shield/events?app=${game.id}&limit=2`, { key: viewerKey });
    expect(all.statusCode).toBe(200);
    const page = all.json<{
      events: { id: string; app: string; riskScore: number }[];
      nextCursor: string | null;
    }>();
    expect(page.events).toHaveLength(2);
    expect(page.events.every((e) => e.app === game.id)).toBe(true);
    expect(page.nextCursor).not.toBeNull();
    const next = await s.call(
      'GET',
      `/api/shield/events?app=${game.id}&limit=50&cursor=${page.nextCursor ?? ''}`,
      { key: viewerKey },
    );
    const rest = next.json<{ events: { id: string }[]; nextCursor: string | null }>();
    expect(rest.nextCursor).toBeNull();
    expect(new Set([...page.events, ...rest.events].map((e) => e.id)).size).toBe(
      page.events.length + rest.events.length,
    );

    const p1 = await s.call('GET', `/api/shield/events?userId=player_1&eventType=fraud_signal`, {
      key: viewerKey,
    });
    expect(p1.json()).toMatchObject({
      events: [
        {
          userId: 'player_1',
          tier: 'bronze',
          eventType: 'fraud_signal',
          riskScore: 0.8,
          action: 'auto_block',
          data: { reason: 'stolen card' },
        },
      ],
    });
    const risky = await s.call('GET', `/api/shield/events?minRisk=0.85`, { key: viewerKey });
    expect(risky.json<{ events: { riskScore: number }[] }>().events.every((e) => e.riskScore >= 0.85)).toBe(
      true,
    );
    const everyApp = await s.call('GET', '/api/shield/events', { key: viewerKey });
    expect(new Set(everyApp.json<{ events: { app: string }[] }>().events.map((e) => e.app))).toEqual(
      new Set([game.id, bank.id]),
    );

    expect((await s.call('GET', '/api/shield/events', { key: game.apiKey })).statusCode).toBe(403);
    expect((await s.call('GET', '/api/shield/events?cursor=abc', { key: viewerKey })).statusCode).toBe(400);
    expect((await s.call('GET', '/api/shield/events?minRisk=2', { key: viewerKey })).statusCode).toBe(400);
  });

  it('lists enforcements with cursor pagination and counts them in the stats', async () => {
    // the fraud_signal above was enforced by the tier matrix; start from known rows instead
    const enforced = await s.call('GET', `/api/shield/enforcements?app=${game.id}`, { key: viewerKey });
    expect(enforced.json<{ enforcements: { userId: string }[] }>().enforcements.length).toBeGreaterThan(0);
    await s.rt.db.kysely.deleteFrom('enforcements').where('app_id', '=', game.id).execute();
    const empty = await s.call('GET', `/api/shield/enforcements?app=${game.id}`, { key: viewerKey });
    expect(empty.json()).toEqual({ enforcements: [], nextCursor: null });
    const now = s.clock.now();
    const row = (id: string, action: string, endsAt: number | null) => ({
      id,
      app_id: game.id,
      user_id: 'player_1',
      action,
      status: 'active',
      reason: 'fraud_signal',
      decision_seq: null,
      features: '[]',
      starts_at: now - 10,
      ends_at: endsAt,
      lifted_at: null,
      created_by: 'system',
      created_at: now,
    });
    await s.rt.db.kysely
      .insertInto('enforcements')
      .values([
        row('01JENF00000000000000000001', 'auto_block', now + HOUR),
        row('01JENF00000000000000000002', 'temp_suspend', now - 1),
      ])
      .execute();
    const list = await s.call('GET', `/api/shield/enforcements?app=${game.id}&limit=1`, { key: viewerKey });
    expect(list.json()).toMatchObject({
      enforcements: [
        { id: '01JENF00000000000000000002', userId: 'player_1', action: 'temp_suspend', endsAt: now - 1 },
      ],
      nextCursor: '01JENF00000000000000000002',
    });
    const second = await s.call(
      'GET',
      `/api/shield/enforcements?app=${game.id}&cursor=01JENF00000000000000000002`,
      { key: viewerKey },
    );
    expect(second.json()).toMatchObject({
      enforcements: [{ id: '01JENF00000000000000000001' }],
      nextCursor: null,
    });

    const stats = await s.call('GET', `/api/shield/stats?app=${game.id}`, { key: viewerKey });
    expect(stats.statusCode).toBe(200);
    const body = stats.json<{
      totalEvents: number;
      highRiskEvents: number;
      byEventType: Record<string, number>;
      byLevel: Record<string, number>;
      enforcements: unknown;
    }>();
    expect(body).toMatchObject({
      app: game.id,
      highRiskThreshold: 0.6,
      enforcements: { total: 2, active: 1, byAction: { auto_block: 1, temp_suspend: 1 } },
    });
    expect(body.byEventType['fraud_signal']).toBe(1);
    expect(body.totalEvents).toBe(Object.values(body.byLevel).reduce((a, b) => a + b, 0));
    expect(body.highRiskEvents).toBe(4); // fraud 0.8, payment risk 0.9, cheat 0.7 twice (sig-1, sig-2)
    expect((await s.call('GET', '/api/shield/stats', { key: viewerKey })).json()).toMatchObject({
      app: null,
    });
    expect((await s.call('GET', '/api/shield/stats?app=nope', { key: viewerKey })).statusCode).toBe(404);
    expect((await s.call('GET', '/api/shield/enforcements?cursor=zzz', { key: viewerKey })).statusCode).toBe(
      400,
    );
  });
});
