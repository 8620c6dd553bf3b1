import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyAuditChain } from '../audit/audit.store.js';
import { createTestServer, type TestServer } from '../../testing/test-server.js';

let s: TestServer;
beforeAll(async () => {
  s = await createTestServer();
});
afterAll(async () => {
  await s.close();
});

describe('authentication', () => {
  it('answers 401 with WWW-Authenticate for a missing, malformed or unknown key', async () => {
    const variants: Record<string, string>[] = [
      {},
      { authorization: 'Basic abc' },
      { authorization: 'Bearer vgl_nope_nope_nope' },
    ];
    for (const headers of variants) {
      const res = await s.call('GET', '/v1/apps', { headers });
      expect(res.statusCode).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Bearer');
      expect(res.json()).toMatchObject({ error: 'unauthorized', details: [] });
    }
  });

  it('answers 403 when an app key calls an admin route', async () => {
    const a = await s.createApp();
    const res = await s.call('GET', '/v1/keys', { key: a.apiKey });
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({ error: 'forbidden' });
  });

  it('checks admin roles: viewer < analyst < admin', async () => {
    const viewer = await s.call('POST', '/v1/keys', {
      key: s.adminKey,
      body: { role: 'viewer', name: 'ro' },
    });
    expect(viewer.statusCode).toBe(201);
    const vkey = viewer.json<{ key: string }>().key;
    expect((await s.call('GET', '/v1/apps', { key: vkey })).statusCode).toBe(200);
    expect((await s.call('GET', '/v1/keys', { key: vkey })).statusCode).toBe(200);
    const denied = await s.call('POST', '/v1/apps', { key: vkey, body: { name: 'nope' } });
    expect(denied.statusCode).toBe(403);
    expect(denied.json().message).toContain('admin role');
  });
});

describe('keys', () => {
  it('creates an app key, lists it without the secret, revokes it (401 afterwards)', async () => {
    const a = await s.createApp();
    const created = await s.call('POST', '/v1/keys', {
      key: s.adminKey,
      body: { role: 'app', app: a.id, name: 'ci' },
    });
    expect(created.statusCode).toBe(201);
    const k = created.json<{ id: string; key: string; prefix: string; app: string; role: string }>();
    expect(k).toMatchObject({ app: a.id, role: 'app', name: 'ci', revokedAt: null });
    expect(k.key.startsWith(k.prefix)).toBe(true);
    expect(k.key).toMatch(/^vgl_[A-Za-z0-9_-]{43}$/);
    expect((await s.call('GET', `/v1/apps/${a.id}`, { key: k.key })).statusCode).toBe(200);

    const list = await s.call('GET', `/v1/keys?app=${a.id}`, { key: s.adminKey });
    expect(list.statusCode).toBe(200);
    const items = list.json<{ items: { id: string; key?: string }[] }>().items;
    expect(items.map((i) => i.id)).toContain(k.id);
    expect(items.every((i) => i.key === undefined)).toBe(true);
    expect(list.body).not.toContain(k.key);

    const revoked = await s.call('DELETE', `/v1/keys/${k.id}`, { key: s.adminKey });
    expect(revoked.statusCode).toBe(200);
    expect(revoked.json<{ revokedAt: number }>().revokedAt).toBe(s.clock.now());
    const after = await s.call('GET', `/v1/apps/${a.id}`, { key: k.key });
    expect(after.statusCode).toBe(401);
    expect(after.json().message).toContain('revoked');
    expect((await s.call('DELETE', `/v1/keys/${k.id}`, { key: s.adminKey })).statusCode).toBe(404);
    const withRevoked = await s.call('GET', `/v1/keys?app=${a.id}&includeRevoked=true`, { key: s.adminKey });
    expect(withRevoked.json<{ items: unknown[] }>().items).toHaveLength(2);
  });

  it('rejects bad key requests with 4xx and details', async () => {
    const noApp = await s.call('POST', '/v1/keys', { key: s.adminKey, body: { role: 'app' } });
    expect(noApp.statusCode).toBe(400);
    expect(noApp.json()).toMatchObject({ error: 'bad_request', details: [{ path: '/app' }] });
    const adminWithApp = await s.call('POST', '/v1/keys', {
      key: s.adminKey,
      body: { role: 'viewer', app: 'x' },
    });
    expect(adminWithApp.statusCode).toBe(400);
    const unknownApp = await s.call('POST', '/v1/keys', {
      key: s.adminKey,
      body: { role: 'app', app: 'nope' },
    });
    expect(unknownApp.statusCode).toBe(404);
    expect(unknownApp.json().error).toBe('app_not_found');
    const badRole = await s.call('POST', '/v1/keys', { key: s.adminKey, body: { role: 'root' } });
    expect(badRole.statusCode).toBe(400);
    expect(badRole.json()).toEqual({
      error: 'validation_failed',
      message: 'invalid body',
      details: [{ path: '/role', message: 'must be one of "app", "viewer", "analyst", "admin"' }],
    });
    const extra = await s.call('POST', '/v1/keys', { key: s.adminKey, body: { role: 'viewer', sudo: true } });
    expect(extra.statusCode).toBe(400);
    expect(extra.json().details).toEqual([{ path: '/sudo', message: 'unknown field' }]);
    const badQuery = await s.call('GET', '/v1/keys?includeRevoked=maybe', { key: s.adminKey });
    expect(badQuery.statusCode).toBe(400);
    expect(badQuery.json().details[0].path).toBe('/includeRevoked');
    expect((await s.call('DELETE', '/v1/keys/missing', { key: s.adminKey })).statusCode).toBe(404);
  });

  it('audit-logs key changes in an intact chain', async () => {
    const v = await verifyAuditChain(s.rt.db);
    expect(v.ok).toBe(true);
    const actions = await s.rt.db.kysely.selectFrom('audit_log').select(['action']).execute();
    expect(actions.map((a) => a.action)).toEqual(
      expect.arrayContaining(['app.create', 'key.create', 'key.revoke']),
    );
  });
});
