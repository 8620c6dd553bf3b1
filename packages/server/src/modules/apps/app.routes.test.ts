import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestServer, type TestServer } from '../../testing/test-server.js';

let s: TestServer;
beforeAll(async () => {
  s = await createTestServer();
});
afterAll(async () => {
  await s.close();
});

describe('apps', () => {
  it('POST /v1/apps returns the id and a working app key', async () => {
    const res = await s.call('POST', '/v1/apps', { key: s.adminKey, body: { name: 'shop' } });
    expect(res.statusCode).toBe(201);
    const body = res.json<{ id: string; name: string; apiKey: string; createdAt: number }>();
    expect(body).toMatchObject({ name: 'shop', createdAt: s.clock.now() });
    expect(body.id).toMatch(/^[0-9A-Z]{26}$/);
    const own = await s.call('GET', `/v1/apps/${body.id}`, { key: body.apiKey });
    expect(own.statusCode).toBe(200);
    expect(own.json()).toEqual({ id: body.id, name: 'shop', createdAt: body.createdAt });
    const listed = await s.call('GET', '/v1/apps', { key: s.adminKey });
    expect(listed.json<{ items: { id: string }[] }>().items.map((a) => a.id)).toContain(body.id);
  });

  it('an app key cannot read another app', async () => {
    const a = await s.createApp();
    const b = await s.createApp();
    const res = await s.call('GET', `/v1/apps/${b.id}`, { key: a.apiKey });
    expect(res.statusCode).toBe(403);
    expect(res.json().error).toBe('forbidden');
  });

  it('rejects duplicates, bad names, wrong types, unknown fields, malformed JSON', async () => {
    await s.call('POST', '/v1/apps', { key: s.adminKey, body: { name: 'dup' } });
    const dup = await s.call('POST', '/v1/apps', { key: s.adminKey, body: { name: 'dup' } });
    expect(dup.statusCode).toBe(409);
    expect(dup.json().error).toBe('app_exists');

    const bad = await s.call('POST', '/v1/apps', { key: s.adminKey, body: { name: '  <script>' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ error: 'validation_failed', details: [{ path: '/name' }] });

    const wrongType = await s.call('POST', '/v1/apps', { key: s.adminKey, body: { name: 42 } });
    expect(wrongType.statusCode).toBe(400);
    expect(wrongType.json().details).toEqual([{ path: '/name', message: 'must be string' }]);

    const missing = await s.call('POST', '/v1/apps', { key: s.adminKey, body: {} });
    expect(missing.statusCode).toBe(400);
    expect(missing.json().details[0].message).toContain('name');

    const unknown = await s.call('POST', '/v1/apps', { key: s.adminKey, body: { name: 'x1', owner: 'me' } });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().details).toEqual([{ path: '/owner', message: 'unknown field' }]);

    const malformed = await s.call('POST', '/v1/apps', { key: s.adminKey, body: '{"name": "x",' });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json().error).toBe('invalid_json');

    expect((await s.call('GET', '/v1/apps/NOPE', { key: s.adminKey })).statusCode).toBe(404);
  });
});
