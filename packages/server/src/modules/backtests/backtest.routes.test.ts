import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestServer, type TestServer } from '../../testing/test-server.js';

interface Job {
  id: string;
  app: string;
  status: string;
  progress: { processed: number; total: number };
  result: {
    events: { compared: number; changed: number };
    users: { newlyBlockedUsers: string[] };
    candidate: { byOutcome: Record<string, number> };
  } | null;
}

describe('backtest routes', () => {
  let s: TestServer;
  let a: { id: string; apiKey: string };
  let b: { id: string; apiKey: string };
  let start: number;

  beforeAll(async () => {
    s = await createTestServer();
    a = await s.createApp();
    b = await s.createApp();
    start = s.clock.now();
    const events = [
      { id: 'r1', type: 'payment', user: 'u1', amount: 20, currency: 'USD' },
      { id: 'r2', type: 'payment', user: 'u2', amount: 1800, currency: 'USD' },
      { id: 'r3', type: 'payment', user: 'u3', amount: 35, currency: 'USD' },
    ];
    for (const e of events) {
      const res = await s.call('POST', '/v1/events', { key: a.apiKey, body: e });
      expect(res.statusCode).toBe(200);
      s.clock.advance(1000);
    }
  });
  afterAll(async () => {
    await s?.close();
  });

  const candidate = { rules: [{ id: 'big', expression: 'amount > 1000', score: 1, outcome: 'block' }] };

  const waitDone = async (id: string, key: string): Promise<Job> => {
    for (let i = 0; i < 200; i++) {
      const res = await s.call('GET', `/v1/backtests/${id}`, { key });
      expect(res.statusCode).toBe(200);
      const job = res.json<Job>();
      if (job.status === 'done' || job.status === 'failed') return job;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error('backtest did not finish');
  };

  it('POST answers 202 with an id; the job reaches its total and reports newly blocked users', async () => {
    const res = await s.call('POST', '/v1/backtests', {
      key: a.apiKey,
      body: {
        config: candidate,
        from: new Date(start - 60_000).toISOString(),
        to: new Date(start + 60_000).toISOString(),
      },
    });
    expect(res.statusCode).toBe(202);
    const { id } = res.json<{ id: string }>();
    const job = await waitDone(id, a.apiKey);
    expect(job.status).toBe('done');
    expect(job.app).toBe(a.id);
    expect(job.progress).toEqual({ processed: 3, total: 3 });
    expect(job.result?.events.compared).toBe(3);
    expect(job.result?.users.newlyBlockedUsers).toEqual(['u2']);
    expect(job.result?.candidate.byOutcome['block']).toBe(1);

    const list = await s.call('GET', '/v1/backtests', { key: a.apiKey });
    expect(list.statusCode).toBe(200);
    const items = list.json<{ items: Record<string, unknown>[] }>().items;
    expect(items.map((i) => i['id'])).toEqual([id]);
    expect(items[0]).not.toHaveProperty('result');

    // an admin key reads any app's, and names the app to start one
    expect((await s.call('GET', `/v1/backtests/${id}`, { key: s.adminKey })).statusCode).toBe(200);
    const admin = await s.call('POST', `/v1/backtests?app=${a.id}`, {
      key: s.adminKey,
      body: { config: {}, from: start, to: start + 60_000, baseline: 'live', costs: { reviewCost: 1 } },
    });
    expect(admin.statusCode).toBe(202);
    const live = await waitDone(admin.json<{ id: string }>().id, s.adminKey);
    expect(live.status).toBe('done');
  });

  it("another app's key cannot read a backtest or list it", async () => {
    const res = await s.call('POST', '/v1/backtests', {
      key: a.apiKey,
      body: { config: {}, from: start, to: start + 1 },
    });
    const { id } = res.json<{ id: string }>();
    expect((await s.call('GET', `/v1/backtests/${id}`, { key: b.apiKey })).statusCode).toBe(404);
    expect((await s.call('GET', `/v1/backtests/${id}?app=${a.id}`, { key: b.apiKey })).statusCode).toBe(403);
    const list = await s.call('GET', '/v1/backtests', { key: b.apiKey });
    expect(list.json<{ items: unknown[] }>().items).toEqual([]);
    expect(
      (await s.call('GET', '/v1/backtests', { key: a.apiKey })).json<{ items: unknown[] }>().items.length,
    ).toBeGreaterThan(0);
  });

  it('an invalid candidate is 400 with every problem under /config', async () => {
    const res = await s.call('POST', '/v1/backtests', {
      key: a.apiKey,
      body: {
        config: { rules: [{ id: 'x', expression: 'amount >', score: 2 }], access: { full: 'high' } },
        from: start,
        to: start + 1,
      },
    });
    expect(res.statusCode).toBe(400);
    const body = res.json<{ error: string; details: { path: string }[] }>();
    expect(body.error).toBe('validation_failed');
    const paths = body.details.map((d) => d.path);
    expect(paths.some((p) => p.startsWith('/config/rules/0'))).toBe(true);
    expect(paths.some((p) => p.startsWith('/config/access/full'))).toBe(true);
    // a rule that does not compile is reported with its path too
    const rule = await s.call('POST', '/v1/backtests', {
      key: a.apiKey,
      body: {
        config: { rules: [{ id: 'x', expression: 'amount >', score: 0.5 }] },
        from: start,
        to: start + 1,
      },
    });
    expect(rule.statusCode).toBe(400);
    expect(rule.json<{ details: { path: string }[] }>().details[0]?.path).toMatch(/^\/config\/rules\/0/);
  });

  it('from after to, unparsable times, bad costs and a missing app are 400', async () => {
    const post = (body: unknown, key = a.apiKey, q = '') =>
      s.call('POST', `/v1/backtests${q}`, { key, body });
    const reversed = await post({ config: {}, from: '2026-01-02T00:00:00Z', to: '2026-01-01T00:00:00Z' });
    expect(reversed.statusCode).toBe(400);
    expect(reversed.json<{ details: { path: string }[] }>().details[0]?.path).toBe('/from');
    const garbage = await post({ config: {}, from: 'yesterday', to: '2026-01-01T00:00:00Z' });
    expect(garbage.statusCode).toBe(400);
    expect(garbage.json<{ details: { path: string }[] }>().details[0]?.path).toBe('/from');
    expect((await post({ config: {}, from: 0, to: 1, costs: { reviewCost: -2 } })).statusCode).toBe(400);
    expect((await post({ config: {}, from: 0, to: 1, costs: { other: 1 } })).statusCode).toBe(400);
    expect((await post({ from: 0, to: 1 })).statusCode).toBe(400);
    expect((await post({ config: {}, from: 0, to: 1 }, s.adminKey)).statusCode).toBe(400);
    expect((await s.call('GET', '/v1/backtests/nope', { key: a.apiKey })).statusCode).toBe(404);
  });
});
