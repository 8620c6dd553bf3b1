import { createEngine, type Decision } from '@vigil/engine';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestServer, type TestServer } from '../../testing/test-server.js';

let s: TestServer;
let shop: { id: string; apiKey: string };
let other: { id: string; apiKey: string };

beforeAll(async () => {
  s = await createTestServer();
  shop = await s.createApp('shop');
  other = await s.createApp('other');
});
afterAll(async () => {
  await s.close();
});

const count = async (table: 'events' | 'decisions' | 'users' | 'signals') =>
  Number(
    (
      await s.rt.db.kysely
        .selectFrom(table)
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );

describe('POST /v1/events', () => {
  it('answers the decision once stored, with the event, decision and profile committed', async () => {
    const res = await s.call('POST', '/v1/events', {
      key: shop.apiKey,
      body: { id: 'login-1', type: 'login', user: 'alice', ip: '203.0.113.7', tier: 'gold' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['vigil-duplicate']).toBe('false');
    const d = res.json<Decision>();
    expect(d).toMatchObject({ eventId: 'login-1', app: shop.id, user: 'alice' });
    expect(d.score).toBeGreaterThanOrEqual(0);
    expect(['SAFE', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL']).toContain(d.level);

    const ev = await s.rt.db.kysely
      .selectFrom('events')
      .selectAll()
      .where('app_id', '=', shop.id)
      .where('id', '=', 'login-1')
      .executeTakeFirstOrThrow();
    expect(ev).toMatchObject({
      type: 'login',
      user_id: 'alice',
      at: s.clock.now(),
      received_at: s.clock.now(),
    });
    const stored = await s.rt.db.kysely
      .selectFrom('decisions')
      .selectAll()
      .where('event_seq', '=', ev.seq)
      .executeTakeFirstOrThrow();
    expect(JSON.parse(stored.payload)).toEqual(d);
    expect(stored).toMatchObject({ level: d.level, score: d.score, outcome: d.outcome, flag: d.flag });
    const user = await s.rt.db.kysely
      .selectFrom('users')
      .selectAll()
      .where('app_id', '=', shop.id)
      .where('user_id', '=', 'alice')
      .executeTakeFirstOrThrow();
    expect(user).toMatchObject({ tier: 'gold', event_count: 1, last_score: d.score, status: 'active' });
  });

  it('re-posting an id answers the stored decision and writes nothing; features are not updated twice', async () => {
    const t0 = s.clock.now();
    const events = [
      { id: 'p-1', type: 'payment', user: 'bob', amount: 50, currency: 'usd', at: t0 - 3000 },
      { id: 'p-2', type: 'payment', user: 'bob', amount: 60, currency: 'usd', at: t0 - 2000 },
      { id: 'p-3', type: 'payment', user: 'bob', amount: 9000, currency: 'usd', at: t0 - 1000 },
    ];
    const first = await s.call('POST', '/v1/events', { key: shop.apiKey, body: events[0] });
    await s.call('POST', '/v1/events', { key: shop.apiKey, body: events[1] });
    const before = await count('events');
    const again = await s.call('POST', '/v1/events', {
      key: shop.apiKey,
      body: { ...events[0], amount: 999_999 }, // a different body with the same id
    });
    expect(again.statusCode).toBe(200);
    expect(again.headers['vigil-duplicate']).toBe('true');
    expect(again.body).toBe(first.body);
    expect(await count('events')).toBe(before);
    const third = await s.call('POST', '/v1/events', { key: shop.apiKey, body: events[2] });

    // a fresh engine fed the same three events (no duplicate) decides the third the same way
    const reference = createEngine();
    let expected: Decision | undefined;
    for (const e of [
      { id: 'login-1', type: 'login', user: 'alice', ip: '203.0.113.7', tier: 'gold' },
      ...events,
    ]) {
      const r = reference.process(e, { now: s.clock.now(), app: shop.id });
      if (!r.ok) throw new Error('reference rejected an event');
      expected = r.value.decision;
    }
    expect(third.json()).toEqual(expected);
    // and the feature state is exactly that of the run without the duplicate
    const served = Buffer.from(s.rt.engine.store.snapshot());
    expect(served.equals(Buffer.from(reference.store.snapshot()))).toBe(true);
  });

  it('the same id sent concurrently is scored and stored once', async () => {
    const before = await count('events');
    const body = { id: 'race-1', type: 'signup', user: 'carol', email: 'carol@example.com' };
    const all = await Promise.all(
      Array.from({ length: 8 }, () => s.call('POST', '/v1/events', { key: shop.apiKey, body })),
    );
    expect(all.map((r) => r.statusCode)).toEqual(Array(8).fill(200));
    expect(new Set(all.map((r) => r.body)).size).toBe(1);
    expect(all.filter((r) => r.headers['vigil-duplicate'] === 'false')).toHaveLength(1);
    expect(await count('events')).toBe(before + 1);
  });

  it('the same id in two apps is two events', async () => {
    const a = await s.call('POST', '/v1/events', {
      key: other.apiKey,
      body: { id: 'login-1', type: 'login', user: 'alice' },
    });
    expect(a.statusCode).toBe(200);
    expect(a.headers['vigil-duplicate']).toBe('false');
    expect(a.json<Decision>().app).toBe(other.id);
  });

  it('rejects bad events with 400 and details, and writes nothing', async () => {
    const before = await count('events');
    const cases: { body: unknown; path: string }[] = [
      { body: { id: 'b1', type: 'teleport', user: 'u' }, path: '/type' },
      { body: { id: 'b2', type: 'payment', amount: '12' }, path: '/amount' },
      { body: { type: 'login' }, path: '/' },
      { body: { id: 'b4', type: 'login', colour: 'red' }, path: '/colour' },
      { body: { id: 'b5', type: 'login', ip: '999.1.1.1' }, path: '/ip' },
      { body: { id: 'b6', type: 'login', at: '2100-01-01T00:00:00Z' }, path: '/at' },
      { body: { id: 'b7', type: 'login', at: '1990-01-01T00:00:00Z' }, path: '/at' },
      { body: { id: 'b8', type: 'login', geo: { lat: 123, lon: 0 } }, path: '/geo/lat' },
      { body: { id: 'b9', type: 'login', app: other.id }, path: '/app' },
      { body: { id: 'b10', type: 'login', email: 'not-an-email' }, path: '/email' },
      { body: [1, 2, 3], path: '/' },
      { body: 'null', path: '/' },
    ];
    for (const c of cases) {
      const res = await s.call('POST', '/v1/events', { key: shop.apiKey, body: c.body });
      expect(res.statusCode, JSON.stringify(c.body)).toBe(400);
      const body = res.json<{ error: string; details: { path: string }[] }>();
      expect(body.error).toBe('validation_failed');
      expect(
        body.details.map((d) => d.path),
        JSON.stringify(c.body),
      ).toContain(c.path);
    }
    const malformed = await s.call('POST', '/v1/events', { key: shop.apiKey, body: '{"id":"x","type":' });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json().error).toBe('invalid_json');
    expect(await count('events')).toBe(before);
  });

  it('needs an app key: 401 without, 403 with an admin key', async () => {
    const body = { id: 'auth-1', type: 'login' };
    expect((await s.call('POST', '/v1/events', { body })).statusCode).toBe(401);
    expect((await s.call('POST', '/v1/events', { key: 'vgl_wrong_key_000000', body })).statusCode).toBe(401);
    const admin = await s.call('POST', '/v1/events', { key: s.adminKey, body });
    expect(admin.statusCode).toBe(403);
  });
});

describe('POST /v1/events/batch', () => {
  it('answers per item: decisions, duplicates and errors, without failing the batch', async () => {
    const before = await count('events');
    const res = await s.call('POST', '/v1/events/batch', {
      key: shop.apiKey,
      body: {
        events: [
          { id: 'bt-1', type: 'login', user: 'dave' },
          { id: 'bt-2', type: 'nonsense', user: 'dave' },
          { id: 'login-1', type: 'login', user: 'alice' },
          { id: 'bt-1', type: 'login', user: 'dave' },
          { id: 'bt-3', type: 'payment', user: 'dave', amount: -5 },
          { id: 'bt-4', type: 'payment', user: 'dave', amount: 5 },
        ],
      },
    });
    expect(res.statusCode).toBe(200);
    const body = res.json<{
      accepted: number;
      duplicates: number;
      rejected: number;
      results: {
        index: number;
        ok: boolean;
        duplicate?: boolean;
        decision?: Decision;
        error?: { error: string; details: { path: string }[] };
      }[];
    }>();
    expect(body).toMatchObject({ accepted: 2, duplicates: 2, rejected: 2 });
    expect(body.results.map((r) => [r.index, r.ok, r.duplicate ?? null])).toEqual([
      [0, true, false],
      [1, false, null],
      [2, true, true],
      [3, true, true],
      [4, false, null],
      [5, true, false],
    ]);
    expect(body.results[1]!.error).toMatchObject({
      error: 'validation_failed',
      details: [{ path: '/type' }],
    });
    expect(body.results[4]!.error?.details[0]?.path).toBe('/amount');
    expect(body.results[3]!.decision).toEqual(body.results[0]!.decision);
    expect(body.results[2]!.decision?.eventId).toBe('login-1');
    expect(await count('events')).toBe(before + 2);
  });

  it('rejects a batch that is too large, empty, not an array, or has unknown fields', async () => {
    const big = Array.from({ length: 1001 }, (_, i) => ({ id: `big-${i}`, type: 'login' }));
    const tooBig = await s.call('POST', '/v1/events/batch', { key: shop.apiKey, body: { events: big } });
    expect(tooBig.statusCode).toBe(400);
    expect(tooBig.json().error).toBe('batch_too_large');
    for (const body of [
      { events: [] },
      { events: 'x' },
      {},
      [],
      { events: [{ id: 'x', type: 'login' }], extra: 1 },
    ]) {
      const res = await s.call('POST', '/v1/events/batch', { key: shop.apiKey, body });
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.json().error).toBe('validation_failed');
    }
  });

  it('takes a full batch of 1,000 events in one request', async () => {
    const events = Array.from({ length: 1000 }, (_, i) => ({
      id: `full-${i}`,
      type: 'payment',
      user: `u${i % 37}`,
      amount: 10 + (i % 90),
    }));
    const res = await s.call('POST', '/v1/events/batch', { key: other.apiKey, body: { events } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ accepted: 1000, duplicates: 0, rejected: 0 });
  });
});

describe('reading the log', () => {
  it('GET /v1/events filters and pages, scoped to the key’s app', async () => {
    const all = await s.call('GET', '/v1/events?limit=1000', { key: shop.apiKey });
    expect(all.statusCode).toBe(200);
    const items = all.json<{
      items: { id: string; app: string; event: { id: string }; decision: unknown }[];
    }>().items;
    expect(items.every((i) => i.app === shop.id)).toBe(true);
    expect(items[0]!.event.id).toBe(items[0]!.id);
    expect(items.map((i) => i.id)).toContain('login-1');

    const bob = await s.call('GET', '/v1/events?user=bob&type=payment', { key: shop.apiKey });
    expect(bob.json<{ items: { id: string }[] }>().items.map((i) => i.id)).toEqual(['p-3', 'p-2', 'p-1']);

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const url: string = `/v1/events?limit=2${cursor ? `&cursor=${cursor}` : ''}`;
      const page = (await s.call('GET', url, { key: shop.apiKey })).json<{
        items: { id: string }[];
        nextCursor: string | null;
      }>();
      seen.push(...page.items.map((i) => i.id));
      cursor = page.nextCursor;
    } while (cursor !== null);
    expect(seen).toEqual(items.map((i) => i.id));

    const t = s.clock.now();
    const ranged = await s.call(
      'GET',
      `/v1/events?user=bob&from=${t - 2500}&to=${new Date(t - 500).toISOString()}`,
      {
        key: shop.apiKey,
      },
    );
    expect(ranged.json<{ items: { id: string }[] }>().items.map((i) => i.id)).toEqual(['p-3', 'p-2']);
  });

  it('GET /v1/decisions filters by level and user', async () => {
    const res = await s.call('GET', '/v1/decisions?user=bob', { key: shop.apiKey });
    expect(res.statusCode).toBe(200);
    const items = res.json<{ items: { seq: number; type: string; decision: Decision }[] }>().items;
    expect(items.map((i) => i.decision.eventId)).toEqual(['p-3', 'p-2', 'p-1']);
    const level = items[0]!.decision.level;
    const byLevel = await s.call('GET', `/v1/decisions?level=${level}&limit=1000`, { key: shop.apiKey });
    const levels = byLevel.json<{ items: { decision: Decision }[] }>().items.map((i) => i.decision.level);
    expect(levels.length).toBeGreaterThan(0);
    expect(new Set(levels)).toEqual(new Set([level]));
  });

  it("an app key never sees another app's events, decisions, users or stats", async () => {
    const ev = await s.call('GET', '/v1/events?user=alice', { key: other.apiKey });
    expect(ev.json<{ items: { app: string }[] }>().items.every((i) => i.app === other.id)).toBe(true);
    const dec = await s.call('GET', '/v1/decisions?user=bob', { key: other.apiKey });
    expect(dec.json<{ items: unknown[] }>().items).toEqual([]);
    for (const url of [
      `/v1/events?app=${shop.id}`,
      `/v1/decisions?app=${shop.id}`,
      `/v1/stats?app=${shop.id}`,
      `/v1/users/bob?app=${shop.id}`,
    ]) {
      const res = await s.call('GET', url, { key: other.apiKey });
      expect(res.statusCode, url).toBe(403);
    }
    const user = await s.call('GET', '/v1/users/bob', { key: other.apiKey });
    expect(user.statusCode).toBe(404);
    expect(user.json().error).toBe('user_not_found');
  });

  it('admin keys read any app by naming it', async () => {
    const res = await s.call('GET', `/v1/events?app=${shop.id}&user=bob`, { key: s.adminKey });
    expect(res.json<{ items: unknown[] }>().items).toHaveLength(3);
    const needsApp = await s.call('GET', '/v1/users/bob', { key: s.adminKey });
    expect(needsApp.statusCode).toBe(400);
    expect(needsApp.json().details).toEqual([{ path: '/app', message: 'required for admin keys' }]);
    expect((await s.call('GET', `/v1/users/bob?app=${shop.id}`, { key: s.adminKey })).statusCode).toBe(200);
  });

  it('rejects bad filters with 400', async () => {
    const queries = [
      'level=PURPLE',
      'limit=0',
      'limit=abc',
      'limit=5000',
      'from=yesterday',
      'to=-5',
      'cursor=%21%21',
      'colour=red',
    ];
    for (const route of ['/v1/events', '/v1/decisions']) {
      for (const q of queries) {
        const res = await s.call('GET', `${route}?${q}`, { key: shop.apiKey });
        expect(res.statusCode, `${route}?${q}`).toBe(400);
        expect(res.json().details.length, q).toBeGreaterThan(0);
      }
    }
    for (const url of ['/v1/users/bob?colour=red', '/v1/users/bob/status?x=1', '/v1/stats?level=HIGH']) {
      const res = await s.call('GET', url, { key: shop.apiKey });
      expect(res.statusCode, url).toBe(400);
      expect(res.json().error, url).toBe('validation_failed');
    }
  });

  it('never answers 500 to arbitrary JSON bodies', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.jsonValue({ maxDepth: 4 }),
        fc.constantFrom('/v1/events', '/v1/events/batch'),
        async (body, url) => {
          const res = await s.call('POST', url, { key: other.apiKey, body: JSON.stringify(body) });
          expect([200, 400]).toContain(res.statusCode);
          if (res.statusCode === 400) expect(res.json<{ error: string }>().error).toMatch(/^[a-z_]+$/);
        },
      ),
      { numRuns: 150 },
    );
    const events = fc.record(
      {
        id: fc.string({ minLength: 1, maxLength: 10 }),
        type: fc.constantFrom('login', 'payment', 'signup', 'custom:x', 'bogus'),
        user: fc.oneof(fc.string({ maxLength: 5 }), fc.integer()),
        amount: fc.oneof(fc.double(), fc.integer(), fc.string()),
        ip: fc.oneof(fc.ipV4(), fc.ipV6(), fc.string()),
        at: fc.oneof(
          fc.integer(),
          fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
          fc.string(),
        ),
        attrs: fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 }),
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(events, async (body) => {
        const res = await s.call('POST', '/v1/events', { key: other.apiKey, body: JSON.stringify(body) });
        expect([200, 400]).toContain(res.statusCode);
      }),
      { numRuns: 300 },
    );
  });
});

describe('users and stats', () => {
  it('GET /v1/users/:id shows the profile, recent decisions and signals', async () => {
    const res = await s.call('GET', '/v1/users/bob', { key: shop.apiKey });
    expect(res.statusCode).toBe(200);
    const p = res.json<{
      user: string;
      eventCount: number;
      recentDecisions: { eventId: string }[];
      recentSignals: unknown[];
      enforcements: unknown[];
      peakRisk: number;
      risk: number;
    }>();
    expect(p).toMatchObject({ app: shop.id, user: 'bob', eventCount: 3 });
    // the structuring payment (risk 0.70, guest tier) put a 24 h temporary suspension in force
    expect(p.enforcements).toEqual([
      expect.objectContaining({
        action: 'temp_suspend',
        status: 'active',
        expiresAt: s.clock.now() + 86_400_000,
      }),
    ]);
    expect(p.recentDecisions.map((d) => d.eventId)).toEqual(['p-3', 'p-2', 'p-1']);
    expect(p.peakRisk).toBeGreaterThanOrEqual(p.risk);
    expect((await s.call('GET', '/v1/users/nobody', { key: shop.apiKey })).statusCode).toBe(404);
  });

  it('GET /v1/users/:id/status answers what middleware needs', async () => {
    const res = await s.call('GET', '/v1/users/alice/status', { key: shop.apiKey });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      app: shop.id,
      user: 'alice',
      status: 'active',
      blocked: false,
      restrictedFeatures: [],
    });
    // enforcements in force suspend and restrict (full lifecycle: modules/enforcement tests)
    const row = (id: string, action: string, features: string[]) => ({
      id,
      app_id: shop.id,
      user_id: 'alice',
      action,
      status: 'active',
      reason: 'test',
      decision_seq: null,
      features: JSON.stringify(features),
      starts_at: s.clock.now() - 1,
      ends_at: s.clock.now() + 60_000,
      lifted_at: null,
      created_by: 'test',
      created_at: s.clock.now(),
    });
    await s.rt.db.kysely
      .insertInto('enforcements')
      .values([row('enf-1', 'temp_suspend', []), row('enf-2', 'soft_restrict', ['withdraw', 'chat'])])
      .execute();
    const suspended = await s.call('GET', '/v1/users/alice/status', { key: shop.apiKey });
    expect(suspended.json()).toMatchObject({
      status: 'suspended',
      blocked: false,
      suspended: true,
      suspendedUntil: s.clock.now() + 60_000,
      restrictedFeatures: ['chat', 'withdraw'],
    });
    s.clock.advance(120_000); // expired
    expect((await s.call('GET', '/v1/users/alice/status', { key: shop.apiKey })).json()).toMatchObject({
      status: 'active',
      blocked: false,
      suspended: false,
      suspendedUntil: null,
      restrictedFeatures: [],
      enforcements: [],
    });
    expect((await s.call('GET', '/v1/users/nobody/status', { key: shop.apiKey })).statusCode).toBe(404);
  });

  it('GET /v1/stats counts decisions per level, outcome and flag', async () => {
    const res = await s.call('GET', '/v1/stats', { key: shop.apiKey });
    expect(res.statusCode).toBe(200);
    const st = res.json<{
      total: number;
      byLevel: Record<string, number>;
      byOutcome: Record<string, number>;
      blockRate: number;
    }>();
    const decisions = await s.rt.db.kysely
      .selectFrom('decisions')
      .select(['level', 'outcome'])
      .where('app_id', '=', shop.id)
      .execute();
    expect(st.total).toBe(decisions.length);
    expect(Object.keys(st.byLevel)).toEqual(['SAFE', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL']);
    expect(Object.values(st.byLevel).reduce((a, b) => a + b, 0)).toBe(decisions.length);
    expect(st.blockRate).toBeCloseTo(
      decisions.filter((d) => d.outcome === 'block').length / decisions.length,
      10,
    );
    expect((await s.call('GET', '/v1/stats?from=never', { key: shop.apiKey })).statusCode).toBe(400);
  });

  it('metrics count decisions by level', async () => {
    const res = await s.call('GET', '/metrics');
    expect(res.body).toMatch(/vigil_decisions_total\{level="[A-Z]+",outcome="[a-z]+"\} \d+/);
    expect(res.body).toMatch(/vigil_group_commit_events_count \d+/);
  });
});
