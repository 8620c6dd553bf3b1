import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startShieldHarness, type ShieldHarness } from './shield.fake.js';

const HOUR = 3_600_000;

interface Shown {
  id: string;
  app: string;
  user: string;
  action: string;
  status: string;
  expiresAt: number | null;
  features: string[];
  overdue: boolean;
  source: string;
  caseId: string | null;
}

describe('enforcement routes', () => {
  let h: ShieldHarness;
  let a: { id: string; key: string };
  let b: { id: string; key: string };

  beforeAll(async () => {
    h = await startShieldHarness();
    a = await h.newApp();
    b = await h.newApp();
    await h.subscribe(a.key);
  });
  afterAll(async () => {
    await h.close();
  });

  it('a guest fraud signal blocks the user for 72 h: listed, in the status, announced once', async () => {
    const t0 = h.s.clock.now();
    const res = await h.event(a.key, { type: 'fraud_signal', user: 'mallory', tier: 'guest' });
    expect(res.json()).toMatchObject({ enforcement: { action: 'auto_block', durationMs: 72 * HOUR } });
    const list = await h.call('GET', '/v1/enforcements?user=mallory', a.key);
    expect(list.statusCode).toBe(200);
    const items = list.json<{ items: Shown[] }>().items;
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({
      app: a.id,
      user: 'mallory',
      action: 'auto_block',
      status: 'active',
      expiresAt: t0 + 72 * HOUR,
      source: 'decision',
    });
    expect(items[0]?.caseId).toEqual(expect.any(String));
    const status = await h.call('GET', '/v1/users/mallory/status', a.key);
    expect(status.json()).toMatchObject({
      blocked: true,
      suspended: false,
      status: 'suspended',
      enforcements: [
        { id: items[0]?.id, action: 'auto_block', status: 'active', expiresAt: t0 + 72 * HOUR, features: [] },
      ],
    });
    const sent = (await h.delivered()).filter(
      (d) => d.data['user'] === 'mallory' && d.type.startsWith('enforcement.'),
    );
    expect(sent.map((d) => d.type)).toEqual(['enforcement.created']);
    expect(sent[0]).toMatchObject({
      app: a.id,
      data: { id: items[0]?.id, action: 'auto_block', status: 'active' },
    });
  });

  it('an app key never sees or lifts another app’s enforcements', async () => {
    const [e] = (await h.call('GET', '/v1/enforcements?user=mallory', a.key)).json<{ items: Shown[] }>()
      .items;
    expect((await h.call('GET', '/v1/enforcements', b.key)).json<{ items: Shown[] }>().items).toEqual([]);
    expect((await h.call('GET', `/v1/enforcements/${e?.id}`, b.key)).statusCode).toBe(404);
    expect((await h.call('POST', `/v1/enforcements/${e?.id}/lift`, b.key, {})).statusCode).toBe(404);
    expect((await h.call('GET', `/v1/enforcements?app=${a.id}`, b.key)).statusCode).toBe(403);
    // admin keys see every app
    const all = (await h.call('GET', '/v1/enforcements', h.viewerKey)).json<{ items: Shown[] }>().items;
    expect(all.some((x) => x.id === e?.id)).toBe(true);
  });

  it('lifts once: the second lift is 409 with a clear error and no second webhook', async () => {
    await h.event(a.key, { type: 'fraud_signal', user: 'eve' });
    const [e] = (await h.call('GET', '/v1/enforcements?user=eve', a.key)).json<{ items: Shown[] }>().items;
    expect((await h.call('POST', `/v1/enforcements/${e?.id}/lift`, h.viewerKey, {})).statusCode).toBe(403);
    const lifted = await h.call('POST', `/v1/enforcements/${e?.id}/lift`, a.key, {
      reason: 'appeal accepted',
    });
    expect(lifted.statusCode).toBe(200);
    expect(lifted.json()).toMatchObject({ status: 'lifted', liftReason: 'appeal accepted' });
    const again = await h.call('POST', `/v1/enforcements/${e?.id}/lift`, a.key, { reason: 'again' });
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({
      error: 'conflict',
      message: expect.stringContaining('already lifted'),
    });
    // no body is fine too
    expect((await h.call('POST', `/v1/enforcements/${e?.id}/lift`, h.analystKey)).statusCode).toBe(409);
    const sent = (await h.delivered())
      .filter((d) => d.data['user'] === 'eve' && d.type.startsWith('enforcement.'))
      .map((d) => d.type);
    expect(sent.sort()).toEqual(['enforcement.created', 'enforcement.lifted']);
    expect((await h.call('GET', '/v1/users/eve/status', a.key)).json()).toMatchObject({
      blocked: false,
      enforcements: [],
    });
  });

  it('creates manual enforcements (app key or analyst), merging with the one in force', async () => {
    const body = { user: 'trent', action: 'temp_suspend', durationMs: 2 * HOUR, reason: 'spam wave' };
    expect((await h.call('POST', '/v1/enforcements', h.viewerKey, { ...body, app: a.id })).statusCode).toBe(
      403,
    );
    const created = await h.call('POST', '/v1/enforcements', a.key, body);
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({
      outcome: 'created',
      enforcement: { action: 'temp_suspend', source: 'manual', status: 'active' },
    });
    const status = (await h.call('GET', '/v1/users/trent/status', a.key)).json<{ suspendedUntil: number }>();
    expect(status).toMatchObject({
      suspended: true,
      blocked: false,
      suspendedUntil: h.s.clock.now() + 2 * HOUR,
    });
    const escalated = await h.call('POST', '/v1/enforcements', h.analystKey, {
      app: a.id,
      user: 'trent',
      action: 'auto_block',
      reason: 'repeat',
    });
    expect(escalated.statusCode).toBe(200);
    expect(escalated.json()).toMatchObject({
      outcome: 'escalated',
      // an auto-block without a duration lasts until lifted: the later end wins
      enforcement: { action: 'auto_block', expiresAt: null },
    });
    const restricted = await h.call('POST', '/v1/enforcements', a.key, {
      user: 'trent',
      action: 'suspend_features',
      features: ['chat'],
      reason: 'chat abuse',
    });
    expect(restricted.statusCode).toBe(201);
    expect((await h.call('GET', '/v1/users/trent/status', a.key)).json()).toMatchObject({
      blocked: true,
      restrictedFeatures: ['chat'],
    });
    const sent = (await h.delivered())
      .filter((d) => d.data['user'] === 'trent')
      .map((d) => [d.type, d.data['action']]);
    expect(sent.sort()).toEqual([
      ['enforcement.created', 'suspend_features'],
      ['enforcement.created', 'temp_suspend'],
      ['enforcement.updated', 'auto_block'],
    ]);
  });

  it('refuses bad input with clear 4xx errors', async () => {
    const bad = async (body: unknown) => h.call('POST', '/v1/enforcements', a.key, body);
    expect((await bad({ user: 'x', action: 'observe', reason: 'r' })).json()).toMatchObject({
      error: 'validation_failed',
    });
    expect((await bad({ user: 'x', action: 'temp_suspend', reason: 'r' })).json()).toMatchObject({
      error: 'validation_failed',
      details: [{ path: '/durationMs' }],
    });
    expect((await bad({ user: 'x', action: 'auto_block' })).statusCode).toBe(400);
    expect((await bad({ user: 'x', action: 'auto_block', reason: 'r', durationMs: -5 })).statusCode).toBe(
      400,
    );
    expect((await bad({ user: 'x', action: 'auto_block', reason: 'r', colour: 'red' })).statusCode).toBe(400);
    expect(
      (await bad({ user: 'x', action: 'auto_block', reason: 'r', features: ['chat'] })).json(),
    ).toMatchObject({ error: 'validation_failed' });
    expect(
      (
        await h.call('POST', '/v1/enforcements', h.analystKey, {
          user: 'x',
          action: 'auto_block',
          reason: 'r',
        })
      ).json(),
    ).toMatchObject({ error: 'bad_request' });
    expect((await h.call('GET', '/v1/enforcements?status=gone', a.key)).statusCode).toBe(400);
    expect((await h.call('GET', '/v1/enforcements?cursor=AAAA', a.key)).statusCode).toBe(400);
    expect((await h.call('GET', '/v1/enforcements/nope', a.key)).statusCode).toBe(404);
    expect((await h.call('POST', '/v1/enforcements/nope/lift', a.key, {})).statusCode).toBe(404);
    const [m] = (await h.call('GET', '/v1/enforcements?user=mallory', a.key)).json<{ items: Shown[] }>()
      .items;
    const lift = (body: unknown) => h.call('POST', `/v1/enforcements/${m?.id}/lift`, a.key, body);
    expect((await lift({ reason: '' })).json()).toMatchObject({
      error: 'validation_failed',
      details: [{ path: '/reason' }],
    });
    expect((await lift({ why: 'x' })).json()).toMatchObject({
      error: 'validation_failed',
      details: [{ path: '/why' }],
    });
    expect((await lift([1])).statusCode).toBe(400);
    expect((await lift('"text"')).statusCode).toBe(400);
  });

  it('filters by status, tier and overdue review, and pages', async () => {
    await h.event(a.key, { type: 'fraud_signal', user: 'vera', tier: 'vip' });
    const vip = (await h.call('GET', '/v1/enforcements?tier=vip', a.key)).json<{ items: Shown[] }>().items;
    expect(vip).toHaveLength(1);
    expect(vip[0]).toMatchObject({
      user: 'vera',
      action: 'soft_restrict',
      features: ['betting', 'withdrawals'],
      overdue: false,
    });
    expect((await h.call('GET', '/v1/users/vera/status', a.key)).json()).toMatchObject({
      blocked: false,
      status: 'restricted',
      restrictedFeatures: ['betting', 'withdrawals'],
    });
    expect(
      (await h.call('GET', '/v1/enforcements?overdue=true', a.key)).json<{ items: Shown[] }>().items,
    ).toEqual([]);
    h.s.clock.advance(5 * HOUR); // the VIP SLA is 4 h
    const overdue = (await h.call('GET', '/v1/enforcements?overdue=true', a.key)).json<{ items: Shown[] }>()
      .items;
    expect(overdue.map((x) => x.user)).toEqual(['vera']);
    expect(overdue[0]?.overdue).toBe(true);
    const lifted = (await h.call('GET', '/v1/enforcements?status=lifted', a.key)).json<{ items: Shown[] }>()
      .items;
    expect(lifted.map((x) => x.user)).toEqual(['eve']);
    const p1 = (await h.call('GET', '/v1/enforcements?limit=2', a.key)).json<{
      items: Shown[];
      nextCursor: string | null;
    }>();
    expect(p1.items).toHaveLength(2);
    const p2 = (await h.call('GET', `/v1/enforcements?limit=2&cursor=${p1.nextCursor}`, a.key)).json<{
      items: Shown[];
    }>();
    expect(p2.items.map((x) => x.id)).not.toContain(p1.items[0]?.id);
  });

  it('expiry lifts by itself: the status is right before the sweep, the sweep announces it', async () => {
    await h.event(a.key, { type: 'fraud_signal', user: 'tess', attrs: { confidence: 0.8 } }); // 0.64: 24 h suspension
    expect((await h.call('GET', '/v1/users/tess/status', a.key)).json()).toMatchObject({ suspended: true });
    h.s.clock.advance(24 * HOUR);
    expect((await h.call('GET', '/v1/users/tess/status', a.key)).json()).toMatchObject({
      suspended: false,
      suspendedUntil: null,
      status: 'active',
    });
    expect(
      (await h.call('GET', '/v1/enforcements?user=tess&status=expired', a.key)).json<{ items: Shown[] }>()
        .items,
    ).toHaveLength(1);
    expect((await h.call('GET', '/v1/users/tess', a.key)).json()).toMatchObject({
      status: 'active',
      enforcements: [],
    });
    const report = await h.s.rt.shield.sweep();
    expect(report.expired).toBeGreaterThanOrEqual(1);
    const sent = (await h.delivered())
      .filter((d) => d.data['user'] === 'tess' && d.type.startsWith('enforcement.'))
      .map((d) => d.type);
    expect(sent.sort()).toEqual(['enforcement.created', 'enforcement.lifted']);
    expect((await h.s.rt.shield.sweep()).expired).toBe(0);
    expect((await h.call('GET', '/v1/users/tess', a.key)).json()).toMatchObject({ status: 'active' });
  });

  it('documents its routes in the OpenAPI document', async () => {
    const doc = (await h.s.call('GET', '/openapi.json')).json<{ paths: Record<string, unknown> }>();
    for (const p of [
      '/v1/enforcements',
      '/v1/enforcements/{id}/lift',
      '/v1/cases',
      '/v1/cases/{id}/report',
      '/v1/cases/{id}/enforcements/{eid}/approve',
      '/v1/intel/shared',
      '/v1/intel/settings',
    ]) {
      expect(Object.keys(doc.paths)).toContain(p);
    }
  });
});
