import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestServer, type TestServer } from '../../testing/test-server.js';

interface EndpointBody {
  id: string;
  app: string;
  url: string;
  description: string;
  events: string[];
  enabled: boolean;
  createdAt: number;
  updatedAt: number;
  previousSecretExpiresAt: number | null;
  secret?: string;
}

describe('webhook routes', () => {
  let s: TestServer;
  let a: { id: string; apiKey: string };
  let b: { id: string; apiKey: string };
  let viewerKey: string;
  beforeAll(async () => {
    s = await createTestServer();
    a = await s.createApp();
    b = await s.createApp();
    viewerKey = (await s.rt.keys.create({ role: 'viewer', name: 'viewer' }, 'test')).key;
  });
  afterAll(async () => {
    await s?.close();
  });

  const patch = (url: string, key: string, body: unknown) =>
    s.app.inject({
      method: 'PATCH',
      url,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      payload: JSON.stringify(body),
    });
  // a public literal address: no DNS needed
  const PUBLIC = 'https://93.184.216.34/hooks/vigil';
  const create = async (
    key = a.apiKey,
    body: unknown = { url: PUBLIC, events: ['decision.high_risk'] },
    q = '',
  ) => s.call('POST', `/v1/webhooks${q}`, { key, body });

  it('creates an endpoint and shows its whsec_ secret once', async () => {
    const res = await create(a.apiKey, {
      url: PUBLIC,
      events: ['enforcement.created', 'decision.high_risk'],
      description: 'prod receiver',
    });
    expect(res.statusCode).toBe(201);
    const body = res.json<EndpointBody>();
    expect(body).toEqual({
      id: expect.stringMatching(/^[0-9A-Z]{26}$/),
      app: a.id,
      url: PUBLIC,
      description: 'prod receiver',
      // stored in the vocabulary's order
      events: ['decision.high_risk', 'enforcement.created'],
      enabled: true,
      createdAt: s.clock.now(),
      updatedAt: s.clock.now(),
      previousSecretExpiresAt: null,
      secret: expect.stringMatching(/^whsec_[A-Za-z0-9+/]{43}=$/),
    });
    expect(Buffer.from(body.secret!.slice(6), 'base64').length).toBeGreaterThanOrEqual(24);

    const one = await s.call('GET', `/v1/webhooks/${body.id}`, { key: a.apiKey });
    expect(one.statusCode).toBe(200);
    expect(one.json()).toEqual({ ...body, secret: undefined });
    expect(one.body).not.toContain('whsec_');
    const list = await s.call('GET', '/v1/webhooks', { key: a.apiKey });
    expect(list.statusCode).toBe(200);
    expect(list.json<{ items: EndpointBody[] }>().items.map((e) => e.id)).toContain(body.id);
    expect(list.body).not.toContain('whsec_');
  });

  it('refuses bad URLs with 400 and says why', async () => {
    const cases: [string, RegExp][] = [
      ['ftp://example.com/hook', /must use http or https, not ftp/],
      ['http://', /not an absolute URL/],
      ['hooks.example.com/x', /not an absolute URL/],
      ['http://127.0.0.1:8080/hook', /private or reserved address \(127\.0\.0\.1\)/],
      ['http://10.0.0.1/hook', /private or reserved/],
      ['http://[::1]/hook', /private or reserved/],
      ['http://169.254.169.254/latest/meta-data/', /private or reserved/],
      ['http://localhost:3000/hook', /private or reserved/],
    ];
    for (const [url, why] of cases) {
      const res = await create(a.apiKey, { url, events: ['decision.high_risk'] });
      expect(res.statusCode, url).toBe(400);
      const err = res.json<{ error: string; details: { path: string; message: string }[] }>();
      expect(err.error).toBe('validation_failed');
      expect(err.details[0]?.path).toBe('/url');
      expect(err.details[0]?.message, url).toMatch(why);
    }
  });

  it('refuses bad bodies with 400', async () => {
    for (const body of [
      { url: PUBLIC, events: [] },
      { url: PUBLIC, events: ['decision.nope'] },
      { url: PUBLIC, events: ['decision.high_risk', 'decision.high_risk'] },
      { url: PUBLIC },
      { events: ['decision.high_risk'] },
      { url: PUBLIC, events: ['decision.high_risk'], secret: 'whsec_mine' },
      { url: 42, events: ['decision.high_risk'] },
    ]) {
      const res = await create(a.apiKey, body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.json<{ error: string }>().error).toBe('validation_failed');
    }
  });

  it("keeps each app's endpoints private to it", async () => {
    const id = (await create()).json<EndpointBody>().id;
    for (const [method, url] of [
      ['GET', `/v1/webhooks/${id}`],
      ['DELETE', `/v1/webhooks/${id}`],
      ['POST', `/v1/webhooks/${id}/rotate-secret`],
      ['GET', `/v1/webhooks/${id}/deliveries`],
    ] as const) {
      const res = await s.call(method, url, { key: b.apiKey });
      expect(res.statusCode, `${method} ${url}`).toBe(404);
      expect(res.json<{ error: string }>().error).toBe('not_found');
    }
    expect((await patch(`/v1/webhooks/${id}`, b.apiKey, { enabled: false })).statusCode).toBe(404);
    // naming the other app is refused outright
    expect((await s.call('GET', `/v1/webhooks?app=${a.id}`, { key: b.apiKey })).statusCode).toBe(403);
    expect((await s.call('GET', `/v1/webhooks/${id}?app=${a.id}`, { key: b.apiKey })).statusCode).toBe(403);
    const listB = await s.call('GET', '/v1/webhooks', { key: b.apiKey });
    expect(listB.json<{ items: EndpointBody[] }>().items.map((e) => e.id)).not.toContain(id);
    // the endpoint is untouched
    expect((await s.call('GET', `/v1/webhooks/${id}`, { key: a.apiKey })).json<EndpointBody>().enabled).toBe(
      true,
    );
  });

  it('lets admin keys work on any app; viewers only read', async () => {
    expect((await s.call('GET', '/v1/webhooks', { key: s.adminKey })).statusCode).toBe(400);
    const created = await create(s.adminKey, { url: PUBLIC, events: ['case.resolved'] }, `?app=${b.id}`);
    expect(created.statusCode).toBe(201);
    const id = created.json<EndpointBody>().id;
    expect(created.json<EndpointBody>().app).toBe(b.id);
    expect((await s.call('GET', `/v1/webhooks/${id}`, { key: s.adminKey })).statusCode).toBe(200);
    expect((await s.call('GET', `/v1/webhooks?app=${b.id}`, { key: viewerKey })).statusCode).toBe(200);
    expect((await s.call('GET', `/v1/webhooks/${id}`, { key: viewerKey })).statusCode).toBe(200);
    expect(
      (await create(viewerKey, { url: PUBLIC, events: ['case.resolved'] }, `?app=${b.id}`)).statusCode,
    ).toBe(403);
    expect((await s.call('POST', `/v1/webhooks/${id}/rotate-secret`, { key: viewerKey })).statusCode).toBe(
      403,
    );
    expect((await s.call('DELETE', `/v1/webhooks/${id}`, { key: viewerKey })).statusCode).toBe(403);
    expect((await s.call('GET', '/v1/webhooks')).statusCode).toBe(401);
  });

  it('updates URL, events, description and enabled; re-checks the URL', async () => {
    const id = (await create()).json<EndpointBody>().id;
    s.clock.advance(1000);
    const res = await patch(`/v1/webhooks/${id}`, a.apiKey, {
      url: 'https://93.184.216.35/other',
      events: ['enforcement.lifted', 'anomaly.alert'],
      description: 'moved',
      enabled: false,
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      url: 'https://93.184.216.35/other',
      events: ['enforcement.lifted', 'anomaly.alert'],
      description: 'moved',
      enabled: false,
      updatedAt: s.clock.now(),
    });
    const bad = await patch(`/v1/webhooks/${id}`, a.apiKey, { url: 'http://192.168.0.10/' });
    expect(bad.statusCode).toBe(400);
    expect((await patch(`/v1/webhooks/${id}`, a.apiKey, {})).statusCode).toBe(400);
    expect((await patch(`/v1/webhooks/${id}`, a.apiKey, { events: [] })).statusCode).toBe(400);
    expect((await s.call('GET', `/v1/webhooks/${id}`, { key: a.apiKey })).json<EndpointBody>().url).toBe(
      'https://93.184.216.35/other',
    );
  });

  it('rotates the secret with a 24 h grace period for the old one', async () => {
    const created = (await create()).json<EndpointBody>();
    const res = await s.call('POST', `/v1/webhooks/${created.id}/rotate-secret`, { key: a.apiKey });
    expect(res.statusCode).toBe(200);
    const r = res.json<{ id: string; secret: string; previousSecretExpiresAt: number }>();
    expect(r.id).toBe(created.id);
    expect(r.secret).toMatch(/^whsec_/);
    expect(r.secret).not.toBe(created.secret);
    expect(r.previousSecretExpiresAt).toBe(s.clock.now() + 86_400_000);
    const after = (await s.call('GET', `/v1/webhooks/${created.id}`, { key: a.apiKey })).json<EndpointBody>();
    expect(after.previousSecretExpiresAt).toBe(r.previousSecretExpiresAt);
  });

  it('deletes an endpoint', async () => {
    const id = (await create()).json<EndpointBody>().id;
    expect((await s.call('DELETE', `/v1/webhooks/${id}`, { key: a.apiKey })).statusCode).toBe(204);
    expect((await s.call('GET', `/v1/webhooks/${id}`, { key: a.apiKey })).statusCode).toBe(404);
    expect((await s.call('DELETE', `/v1/webhooks/${id}`, { key: a.apiKey })).statusCode).toBe(404);
    expect((await s.call('POST', '/v1/webhooks/deliveries/NOPE/replay', { key: a.apiKey })).statusCode).toBe(
      404,
    );
  });

  it('validates delivery listing filters', async () => {
    const id = (await create()).json<EndpointBody>().id;
    const ok = await s.call('GET', `/v1/webhooks/${id}/deliveries?status=dead&limit=10`, { key: a.apiKey });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toEqual({ items: [], nextCursor: null });
    for (const q of ['status=weird', 'limit=0', 'limit=501', 'colour=red']) {
      expect(
        (await s.call('GET', `/v1/webhooks/${id}/deliveries?${q}`, { key: a.apiKey })).statusCode,
        q,
      ).toBe(400);
    }
  });
});
