import { DEFAULT_ENGINE_CONFIG } from '@vigil/engine';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWiredTestServer, type WiredTestServer } from '../compat/wired-test-server.js';
import { createConfigService } from './config.service.js';

let s: WiredTestServer;
let shop: { id: string; apiKey: string };
let other: { id: string; apiKey: string };
let viewerKey: string;
let analystKey: string;

beforeAll(async () => {
  s = await createWiredTestServer();
  shop = await s.createApp('shop');
  other = await s.createApp('other');
  viewerKey = (await s.rt.keys.create({ role: 'viewer', name: 'viewer' }, 'test')).key;
  analystKey = (await s.rt.keys.create({ role: 'analyst', name: 'analyst' }, 'test')).key;
});
afterAll(async () => {
  await s.close();
});

const auditRows = (appId: string) =>
  s.rt.db.kysely
    .selectFrom('audit_log')
    .selectAll()
    .where('app_id', '=', appId)
    .where('action', '=', 'config.update')
    .execute();

describe('GET /v1/config', () => {
  it('answers the defaults as version 0 for an app that never stored one', async () => {
    const res = await s.call('GET', '/v1/config', { key: shop.apiKey });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ app: shop.id, version: 0, createdAt: null, createdBy: null, overrides: {} });
    expect(body.config).toEqual(DEFAULT_ENGINE_CONFIG);
    expect(body.gatekeeper.uploads.maxBytes).toBe(15 * 1024 * 1024);
  });

  it('scopes keys: another app is 403, an admin must name the app', async () => {
    expect((await s.call('GET', `/v1/config?app=${shop.id}`, { key: other.apiKey })).statusCode).toBe(403);
    const noApp = await s.call('GET', '/v1/config', { key: viewerKey });
    expect(noApp.statusCode).toBe(400);
    expect(noApp.json().details).toEqual([{ path: '/app', message: 'required for admin keys' }]);
    expect((await s.call('GET', `/v1/config?app=${shop.id}`, { key: viewerKey })).statusCode).toBe(200);
    expect(
      (await s.call('GET', '/v1/config?app=01NOSUCHAPP0000000000000000', { key: viewerKey })).json(),
    ).toMatchObject({
      error: 'app_not_found',
    });
    expect((await s.call('GET', '/v1/config')).statusCode).toBe(401);
  });
});

describe('PUT /v1/config', () => {
  it('validates, stores version 1 with an audit row, and applies it to the next event without restart', async () => {
    const before = await s.call('POST', '/api/bse/process', {
      key: shop.apiKey,
      body: { user_id: 'alice', event_type: 'login', metadata: { ip_address: '203.0.113.9' } },
    });
    expect(before.json()).toMatchObject({ behavior_score: 80, access_level: 'FULL' });

    const put = await s.call('PUT', '/v1/config', {
      key: shop.apiKey,
      body: {
        access: { full: 95, restricted: 90, limited: 85 },
        gatekeeper: { uploads: { maxBytes: 1_000_000 } },
      },
    });
    expect(put.statusCode).toBe(200);
    expect(put.json()).toMatchObject({
      app: shop.id,
      version: 1,
      overrides: {
        access: { full: 95, restricted: 90, limited: 85 },
        gatekeeper: { uploads: { maxBytes: 1_000_000 } },
      },
      config: { access: { full: 95, restricted: 90, limited: 85, defaultBehaviorScore: 60 } },
      gatekeeper: { uploads: { maxBytes: 1_000_000 } },
    });
    expect(s.configs.current(shop.id).version).toBe(1);
    expect(s.engines.configuredApps()).toContain(shop.id);

    const after = await s.call('POST', '/api/bse/process', {
      key: shop.apiKey,
      body: { user_id: 'alice', event_type: 'login', metadata: { ip_address: '203.0.113.9' } },
    });
    expect(after.json()).toMatchObject({ behavior_score: 80, access_level: 'MINIMAL' });
    // another app keeps the defaults
    const untouched = await s.call('POST', '/api/bse/process', {
      key: other.apiKey,
      body: { user_id: 'alice', event_type: 'login' },
    });
    expect(untouched.json()).toMatchObject({ access_level: 'FULL' });

    const audit = await auditRows(shop.id);
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ target: 'v1', actor: expect.stringMatching(/^key:/) });
    expect(JSON.parse(audit[0]!.details)).toMatchObject({
      version: 1,
      previousVersion: 0,
      sections: ['access', 'gatekeeper'],
    });
  });

  it('answers 400 with every problem and stores nothing', async () => {
    const res = await s.call('PUT', '/v1/config', {
      key: other.apiKey,
      body: {
        levels: { bands: { LOW: 10, MEDIUM: 'x' } },
        enforcement: { tiers: { vip: { severe: { action: 'permanent_ban', review: false } } } },
        nope: true,
        gatekeeper: { uploads: { allowedTypes: ['application/x-shockwave-flash'] } },
      },
    });
    expect(res.statusCode).toBe(400);
    const body = res.json<{ error: string; details: { path: string }[] }>();
    expect(body.error).toBe('validation_failed');
    expect(body.details.map((d) => d.path)).toEqual(
      expect.arrayContaining(['/levels/bands/MEDIUM', '/nope', '/gatekeeper/uploads/allowedTypes/0']),
    );
    const semantic = await s.call('PUT', '/v1/config', {
      key: other.apiKey,
      body: { enforcement: { tiers: { vip: { severe: { action: 'permanent_ban', review: false } } } } },
    });
    expect(semantic.json().details).toEqual([
      {
        path: '/enforcement/tiers/vip/severe/review',
        message: 'a permanent ban of a vip user needs human approval (review: true)',
      },
    ]);
    expect((await s.call('GET', '/v1/config/versions', { key: other.apiKey })).json().items).toEqual([]);
    expect(await auditRows(other.id)).toHaveLength(0);
  });

  it('rejects bodies that are not JSON objects', async () => {
    const arr = await s.call('PUT', '/v1/config', { key: other.apiKey, body: [1, 2] });
    expect(arr.statusCode).toBe(400);
    expect(arr.json().details).toEqual([{ path: '/', message: 'must be a JSON object' }]);
    const bad = await s.call('PUT', '/v1/config', { key: other.apiKey, body: '{"access": ' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toBe('invalid_json');
    const rule = await s.call('PUT', '/v1/config', {
      key: other.apiKey,
      body: { rules: [{ id: 'r1', name: 'big', expression: 'event.amount >', score: 0.8 }] },
    });
    expect(rule.statusCode).toBe(400);
    expect(rule.json().details[0].path).toMatch(/^\/rules\/0/);
  });

  it('needs an app key or the analyst role; admins name the app', async () => {
    const viewer = await s.call('PUT', `/v1/config?app=${other.id}`, { key: viewerKey, body: {} });
    expect(viewer.statusCode).toBe(403);
    const cross = await s.call('PUT', `/v1/config?app=${shop.id}`, { key: other.apiKey, body: {} });
    expect(cross.statusCode).toBe(403);
    const analyst = await s.call('PUT', `/v1/config?app=${other.id}`, {
      key: analystKey,
      body: { captcha: { threshold: 40 } },
    });
    expect(analyst.statusCode).toBe(200);
    expect(analyst.json()).toMatchObject({
      app: other.id,
      version: 1,
      config: { captcha: { threshold: 40 } },
    });
  });

  it('versions every change; old versions stay readable; concurrent changes get consecutive versions', async () => {
    const app = await s.createApp();
    const puts = await Promise.all(
      [10, 20, 30].map((t) =>
        s.call('PUT', '/v1/config', { key: app.apiKey, body: { captcha: { threshold: t } } }),
      ),
    );
    expect(puts.map((r) => r.statusCode)).toEqual([200, 200, 200]);
    expect(puts.map((r) => r.json<{ version: number }>().version).sort()).toEqual([1, 2, 3]);
    const list = await s.call('GET', '/v1/config/versions?limit=2', { key: app.apiKey });
    expect(list.json()).toMatchObject({ app: app.id, current: 3, nextBefore: 2 });
    expect(list.json<{ items: { version: number }[] }>().items.map((v) => v.version)).toEqual([3, 2]);
    const rest = await s.call('GET', '/v1/config/versions?before=2', { key: app.apiKey });
    expect(rest.json()).toMatchObject({ items: [{ version: 1 }], nextBefore: null });
    const v1 = await s.call('GET', '/v1/config?version=1', { key: app.apiKey });
    expect(v1.json()).toMatchObject({ version: 1, overrides: { captcha: { threshold: 10 } } });
    expect((await s.call('GET', '/v1/config?version=9', { key: app.apiKey })).statusCode).toBe(404);
    expect((await s.call('GET', '/v1/config?version=-1', { key: app.apiKey })).statusCode).toBe(400);
    expect((await s.call('GET', '/v1/config/versions?limit=0', { key: app.apiKey })).statusCode).toBe(400);
  });
});

describe('ConfigService.load', () => {
  it('restores every app on start and reports stored versions that no longer validate', async () => {
    const broken = await s.createApp();
    await s.rt.db.kysely
      .insertInto('configs')
      .values({
        app_id: broken.id,
        version: 1,
        body: '{"levels":{"bands":{"LOW":"x"}}}',
        created_at: 1,
        created_by: 'test',
      })
      .execute();
    const installed: string[] = [];
    const fresh = createConfigService({
      db: s.rt.db,
      clock: s.clock,
      apps: s.rt.apps,
      prepare: (appId) => () => installed.push(appId),
    });
    const report = await fresh.load();
    expect(fresh.current(shop.id)).toMatchObject({ version: 1, engine: { access: { full: 95 } } });
    expect(installed).toContain(shop.id);
    expect(report.invalid).toEqual([
      { appId: broken.id, version: 1, problems: [expect.objectContaining({ path: '/levels/bands/LOW' })] },
    ]);
    expect(fresh.current(broken.id).version).toBe(0);
    const view = await s.call('GET', '/v1/config', { key: broken.apiKey });
    expect(view.statusCode).toBe(409);
    expect(view.json().error).toBe('conflict');
  });

  it('refuses a change whose engine cannot be built, storing nothing', async () => {
    const app = await s.createApp();
    const failing = createConfigService({
      db: s.rt.db,
      clock: s.clock,
      apps: s.rt.apps,
      prepare: () => {
        throw new Error('detector options rejected');
      },
    });
    const err: unknown = await failing.put(app.id, {}, 'test').catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: 'validation_failed',
      details: [{ path: '/', message: 'detector options rejected' }],
    });
    expect((await failing.versions(app.id)).items).toEqual([]);
  });
});
