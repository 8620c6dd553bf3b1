import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestServer, type TestServer } from '../testing/test-server.js';
import { jsonDepth } from './json-body.js';
import { createRateLimiter } from './rate-limit.js';
import { createFakeClock } from '../testing/fake-clock.js';

let s: TestServer;
beforeAll(async () => {
  s = await createTestServer({ BODY_LIMIT_BYTES: '4096', JSON_MAX_DEPTH: '8' });
});
afterAll(async () => {
  await s.close();
});

describe('system routes', () => {
  it('healthz and readyz answer without a key', async () => {
    expect((await s.call('GET', '/healthz')).json()).toEqual({ status: 'ok' });
    const ready = await s.call('GET', '/readyz');
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ status: 'ready' });
  });

  it('metrics are valid Prometheus text with request counters', async () => {
    await s.call('GET', '/healthz');
    const res = await s.call('GET', '/metrics');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/plain');
    expect(res.body).toContain('# TYPE vigil_http_requests_total counter');
    expect(res.body).toMatch(/vigil_http_requests_total\{method="GET",route="\/healthz",status="200"\} \d+/);
    expect(res.body).toContain('# TYPE vigil_http_request_duration_seconds histogram');
    expect(res.body).toContain('vigil_ingest_queue_depth');
  });

  it('serves OpenAPI 3.1 and the docs page', async () => {
    const spec = await s.call('GET', '/openapi.json');
    expect(spec.statusCode).toBe(200);
    const doc = spec.json<{
      openapi: string;
      paths: Record<string, unknown>;
      components: { schemas: object };
    }>();
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/v1/apps',
        '/v1/keys',
        '/v1/keys/{id}',
        '/v1/events',
        '/v1/events/batch',
        '/v1/users/{id}',
      ]),
    );
    expect(Object.keys(doc.components.schemas)).toEqual(expect.arrayContaining(['Error', 'Decision']));
    const docs = await s.call('GET', '/docs/');
    expect(docs.statusCode).toBe(200);
    expect(docs.headers['content-type']).toContain('text/html');
  });

  it('echoes a sane x-request-id and makes one otherwise', async () => {
    const given = await s.call('GET', '/healthz', { headers: { 'x-request-id': 'abc-123' } });
    expect(given.headers['x-request-id']).toBe('abc-123');
    const made = await s.call('GET', '/healthz', { headers: { 'x-request-id': 'bad id with spaces' } });
    expect(made.headers['x-request-id']).toMatch(/^[0-9A-Z]{26}$/);
  });

  it('sends the request id on errors too (401, 404, malformed JSON)', async () => {
    const unauthorized = await s.call('GET', '/v1/apps', { headers: { 'x-request-id': 'r-401' } });
    expect(unauthorized.statusCode).toBe(401);
    expect(unauthorized.headers['x-request-id']).toBe('r-401');
    const missing = await s.call('GET', '/v1/nothing', {
      key: s.adminKey,
      headers: { 'x-request-id': 'r-404' },
    });
    expect(missing.statusCode).toBe(404);
    expect(missing.headers['x-request-id']).toBe('r-404');
    const bad = await s.call('POST', '/v1/apps', {
      key: s.adminKey,
      headers: { 'x-request-id': 'r-400' },
      body: '{"name":',
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.headers['x-request-id']).toBe('r-400');
  });
});

describe('bad input never answers 500', () => {
  it('unknown route: 404 route_not_found', async () => {
    const res = await s.call('GET', '/v1/nothing', { key: s.adminKey });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({
      error: 'route_not_found',
      message: 'no route GET /v1/nothing',
      details: [],
    });
  });

  it('oversized body: 413', async () => {
    const res = await s.call('POST', '/v1/apps', { key: s.adminKey, body: { name: 'x'.repeat(10_000) } });
    expect(res.statusCode).toBe(413);
    expect(res.json().error).toBe('payload_too_large');
  });

  it('too deep JSON: 400 json_too_deep', async () => {
    let deep: unknown = 1;
    for (let i = 0; i < 20; i++) deep = { a: deep };
    const res = await s.call('POST', '/v1/apps', { key: s.adminKey, body: { name: 'deep', x: deep } });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toBe('json_too_deep');
  });

  it('empty body, non-JSON content type, __proto__ key, JSON array', async () => {
    const empty = await s.call('POST', '/v1/apps', { key: s.adminKey, body: '' });
    expect(empty.statusCode).toBe(400);
    expect(empty.json().error).toBe('invalid_json');
    const text = await s.app.inject({
      method: 'POST',
      url: '/v1/apps',
      headers: { authorization: `Bearer ${s.adminKey}`, 'content-type': 'text/plain' },
      payload: 'name=x',
    });
    expect(text.statusCode).toBe(415);
    expect(text.json().error).toBe('unsupported_media_type');
    const proto = await s.call('POST', '/v1/apps', {
      key: s.adminKey,
      body: '{"name":"p","__proto__":{"x":1}}',
    });
    expect(proto.statusCode).toBe(400);
    expect(proto.json().error).toBe('invalid_json');
    const arr = await s.call('POST', '/v1/apps', { key: s.adminKey, body: '[1,2]' });
    expect(arr.statusCode).toBe(400);
    expect(arr.json().error).toBe('validation_failed');
  });
});

describe('rate limit', () => {
  it('answers 429 with Retry-After once a key spends its burst, then recovers', async () => {
    const limited = await (
      await import('../testing/test-server.js')
    ).createTestServer({
      RATE_LIMIT_PER_SEC: '2',
      RATE_LIMIT_BURST: '3',
    });
    try {
      const codes: number[] = [];
      for (let i = 0; i < 4; i++)
        codes.push((await limited.call('GET', '/v1/apps', { key: limited.adminKey })).statusCode);
      expect(codes).toEqual([200, 200, 200, 429]);
      const res = await limited.call('GET', '/v1/apps', { key: limited.adminKey });
      expect(res.statusCode).toBe(429);
      expect(res.headers['retry-after']).toBe('1');
      expect(res.json().error).toBe('rate_limited');
      // public routes are not limited
      expect((await limited.call('GET', '/healthz')).statusCode).toBe(200);
      limited.clock.advance(1000);
      expect((await limited.call('GET', '/v1/apps', { key: limited.adminKey })).statusCode).toBe(200);
    } finally {
      await limited.close();
    }
  });

  it('token bucket refills at the configured rate, capped at burst', () => {
    const clock = createFakeClock(0);
    const l = createRateLimiter({ perSecond: 10, burst: 2 }, clock);
    expect([l.take('k').ok, l.take('k').ok, l.take('k').ok]).toEqual([true, true, false]);
    expect(l.take('other').ok).toBe(true);
    clock.advance(100);
    expect(l.take('k').ok).toBe(true);
    expect(l.take('k').ok).toBe(false);
    clock.advance(60_000);
    expect([l.take('k').ok, l.take('k').ok, l.take('k').ok]).toEqual([true, true, false]);
    expect(createRateLimiter({ perSecond: 0, burst: 0 }, clock).take('k').ok).toBe(true);
  });
});

describe('jsonDepth', () => {
  it('counts nesting of objects and arrays', () => {
    expect(jsonDepth(1, 10)).toBe(0);
    expect(jsonDepth({ a: [1, { b: 2 }] }, 10)).toBe(3);
  });
});
