import { afterAll, beforeAll, expect, it } from 'vitest';
import { startShieldHarness, type ShieldHarness, type ShieldDatabase } from '../enforcement/shield.fake.js';

interface DecisionBody {
  risk: number;
  signals: { code: string; category: string; reason: string; evidence: Record<string, unknown> }[];
  enforcement: { action: string };
}

/**
 * The shared intelligence across apps suite over HTTP, on the database `database` gives (SQLite by default, PostgreSQL
 * in the `.int.test.ts`).
 * @example describeIntelRoutes(sqliteDatabase);
 */
export function describeIntelRoutes(database: () => Promise<ShieldDatabase>): void {
  let h: ShieldHarness;
  let a: { id: string; key: string };
  let b: { id: string; key: string };
  let c: { id: string; key: string };

  beforeAll(async () => {
    h = await startShieldHarness(await database());
    a = await h.newApp();
    b = await h.newApp();
    c = await h.newApp();
  });
  afterAll(async () => {
    await h.close();
  });

  it('a device confirmed fraudulent in app A raises risk in app B, which never sees A’s events', async () => {
    await h.event(a.key, {
      id: 'a-login',
      type: 'login',
      user: 'a-mule',
      device: 'dev-ring',
      ip: '203.0.113.50',
    });
    await h.event(a.key, { id: 'a-fraud', type: 'fraud_signal', user: 'a-mule', device: 'dev-ring' });
    const [caseA] = (await h.call('GET', '/v1/cases?user=a-mule', a.key)).json<{ items: { id: string }[] }>()
      .items;
    const resolved = await h.call('POST', `/v1/cases/${caseA?.id}/resolve`, h.analystKey, {
      resolution: 'confirmed_fraud',
    });
    expect(resolved.json()).toMatchObject({ identifiersShared: 1 }); // the case's event carried the device only

    const res = await h.event(b.key, { id: 'b-login', type: 'login', user: 'b-user', device: 'dev-ring' });
    expect(res.statusCode).toBe(200);
    const d = res.json<DecisionBody>();
    const intel = d.signals.filter((s) => s.code.startsWith('intel.'));
    expect(intel).toEqual([
      expect.objectContaining({
        code: 'intel.shared_device',
        category: 'reputation',
        evidence: { kind: 'device', apps: 1, sources: ['confirmed_fraud'] },
      }),
    ]);
    expect(intel[0]?.reason).toBe(
      'This device was confirmed fraudulent after review in another app on this Vigil.',
    );
    expect(d.risk).toBeGreaterThanOrEqual(0.6);
    expect(d.enforcement.action).toBe('temp_suspend');
    // nothing of app A leaks into B's answer or B's views
    const text = res.body;
    for (const secret of [a.id, 'a-mule', 'a-fraud', 'a-login', caseA?.id ?? 'x'])
      expect(text).not.toContain(secret);
    const events = (await h.call('GET', '/v1/events', b.key)).json<{ items: { id: string }[] }>().items;
    expect(events.map((e) => e.id)).toEqual(['b-login']);
    expect(
      (await h.call('GET', '/v1/cases', b.key))
        .json<{ items: { user: string }[] }>()
        .items.map((x) => x.user),
    ).toEqual(['b-user']);
    expect((await h.call('GET', `/v1/cases/${caseA?.id}`, b.key)).statusCode).toBe(404);
    expect((await h.call('GET', '/v1/intel/shared', b.key)).json<{ items: unknown[] }>().items).toEqual([]);
    expect((await h.call('GET', '/v1/users/a-mule', b.key)).statusCode).toBe(404);
    expect((await h.call('GET', `/v1/events?app=${a.id}`, b.key)).statusCode).toBe(403);
    // A's own traffic on the device is judged by A's own evidence, not by the shared mark
    const own = (
      await h.event(a.key, { type: 'login', user: 'a-other', device: 'dev-ring' })
    ).json<DecisionBody>();
    expect(own.signals.filter((s) => s.code.startsWith('intel.'))).toEqual([]);
  });

  it('per-app settings: an app can stop consuming, or stop contributing', async () => {
    expect((await h.call('GET', '/v1/intel/settings', c.key)).json()).toEqual({
      app: c.id,
      contribute: true,
      consume: true,
    });
    expect(
      (await h.call('PUT', '/v1/intel/settings', h.viewerKey, { consume: false }, undefined)).statusCode,
    ).toBe(403);
    const off = await h.call('PUT', '/v1/intel/settings', c.key, { consume: false });
    expect(off.json()).toEqual({ app: c.id, contribute: true, consume: false });
    const quiet = (
      await h.event(c.key, { type: 'login', user: 'c1', device: 'dev-ring' })
    ).json<DecisionBody>();
    expect(quiet.signals.filter((s) => s.code.startsWith('intel.'))).toEqual([]);
    await h.call('PUT', '/v1/intel/settings', c.key, { consume: true });
    // A withdraws from sharing: its marks stop counting everywhere at once
    await h.call('PUT', '/v1/intel/settings', a.key, { contribute: false });
    const after = (
      await h.event(c.key, { type: 'login', user: 'c2', device: 'dev-ring' })
    ).json<DecisionBody>();
    expect(after.signals.filter((s) => s.code.startsWith('intel.'))).toEqual([]);
    // and it survives a reload from the database (another process's view)
    await h.s.rt.shield.sweep();
    expect(
      (await h.event(c.key, { type: 'login', user: 'c3', device: 'dev-ring' }))
        .json<DecisionBody>()
        .signals.filter((s) => s.code.startsWith('intel.')),
    ).toEqual([]);
    await h.call('PUT', '/v1/intel/settings', a.key, { contribute: true });
    expect((await h.call('PUT', '/v1/intel/settings', a.key, { consume: 'no' })).statusCode).toBe(400);
  });

  it('shares and withdraws single identifiers by hand (a shared block-list entry), as hashes', async () => {
    const share = (key: string, body: unknown) => h.call('POST', '/v1/intel/shared', key, body);
    const first = await share(b.key, {
      kind: 'ip',
      value: '198.51.100.23',
      reason: 'card testing',
      source: 'list',
    });
    expect(first.statusCode).toBe(201);
    expect(first.json()).toMatchObject({
      kind: 'ip',
      source: 'list',
      reason: 'card testing',
    });
    expect(first.json<{ hash: string }>().hash).toMatch(/^[0-9a-f]{64}$/);
    expect(first.body).not.toContain('198.51.100.23');
    expect((await share(b.key, { kind: 'ip', value: '198.51.100.23' })).statusCode).toBe(200);
    expect((await share(h.viewerKey, { kind: 'ip', value: '198.51.100.24' })).statusCode).toBe(403);
    expect((await share(b.key, { kind: 'ip', value: '10.0.0.0/8' })).json()).toMatchObject({
      error: 'validation_failed',
    });
    expect((await share(b.key, { kind: 'email', value: 'not-an-email' })).json()).toMatchObject({
      error: 'validation_failed',
    });
    expect((await share(b.key, { kind: 'phone', value: '123' })).statusCode).toBe(400);

    const seen = (
      await h.event(c.key, { type: 'login', user: 'c4', ip: '198.51.100.23' })
    ).json<DecisionBody>();
    expect(seen.signals.find((s) => s.code === 'intel.shared_ip')).toMatchObject({
      evidence: { sources: ['list'] },
    });
    expect(seen.signals.find((s) => s.code === 'intel.shared_ip')?.reason).toContain(
      'block-listed in another app',
    );

    expect((await h.call('DELETE', '/v1/intel/shared/ip/198.51.100.23', b.key)).statusCode).toBe(204);
    expect((await h.call('DELETE', '/v1/intel/shared/ip/198.51.100.23', b.key)).statusCode).toBe(404);
    const gone = (
      await h.event(c.key, { type: 'login', user: 'c5', ip: '198.51.100.23' })
    ).json<DecisionBody>();
    expect(gone.signals.filter((s) => s.code.startsWith('intel.'))).toEqual([]);
  });

  it('an app that does not contribute cannot share by hand', async () => {
    await h.call('PUT', '/v1/intel/settings', c.key, { contribute: false });
    const res = await h.call('POST', '/v1/intel/shared', c.key, { kind: 'device', value: 'dev-c' });
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ error: 'conflict' });
    expect(res.json<{ message: string }>().message).toContain('does not contribute');
  });
}
