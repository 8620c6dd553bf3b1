import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Vigil, type WebhookPayload } from '@vigil/sdk';
import * as vx from '@vigil/sdk/express';
import * as vf from '@vigil/sdk/fastify';
import express from 'express';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from './app.js';
import { loadConfig } from './config.js';
import { createRuntime, type Runtime } from './runtime.js';
import { createFakeClock } from './testing/fake-clock.js';

/*
 * The SDK against the real server: a listening Vigil (SQLite in a temp dir, outbox dispatcher
 * and enforcement sweeper running, a fake clock), and a real Express app and a real Fastify app
 * that use only `@vigil/sdk` (client, middleware, webhook receiver). Everything is driven through
 * the SDK and the HTTP API; the only other lever is the fake clock, to make a suspension expire.
 *
 * Routes of both apps (user id from `x-user-id`):
 *   GET  /account        checkStatus
 *   POST /withdraw       checkFeatureAccess('withdrawals')
 *   POST /chat           checkFeatureAccess('chat')
 *   POST /vigil/webhook  the SDK's webhook receiver
 */

const HOUR = 3_600_000;
const ADMIN_KEY = 'vgl_e2e_admin_key_0123456789abcdefghijklmn';

interface RunningApp {
  readonly name: string;
  readonly url: string;
  readonly vigil: Vigil;
  /** Verified deliveries, in arrival order. */
  readonly received: WebhookPayload[];
  close(): Promise<void>;
}

interface Answer {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

async function call(base: string, method: string, route: string, user: string): Promise<Answer> {
  const res = await fetch(`${base}${route}`, { method, headers: { 'x-user-id': user } });
  const text = await res.text();
  return { status: res.status, body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
}

/** Polls until `check` holds (bounded: webhook deliveries are asynchronous). */
async function until(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function userIdOf(req: { readonly headers: Record<string, string | string[] | undefined> }) {
  const h = req.headers['x-user-id'];
  return typeof h === 'string' ? h : undefined;
}

async function startExpressApp(vigil: Vigil, received: WebhookPayload[]): Promise<RunningApp> {
  const app = express();
  const guard = { vigil, getUserId: (req: express.Request) => req.get('x-user-id') };
  const ok = (_req: express.Request, res: express.Response) => {
    res.json({ ok: true });
  };
  app.post(
    '/vigil/webhook',
    express.raw({ type: 'application/json' }),
    vx.webhookHandler(vigil, { onPayload: (p) => void received.push(p) }),
  );
  app.get('/account', vx.checkStatus(guard), ok);
  app.post('/withdraw', vx.checkFeatureAccess('withdrawals', guard), ok);
  app.post('/chat', vx.checkFeatureAccess('chat', guard), ok);
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    name: 'express',
    url: `http://127.0.0.1:${port}`,
    vigil,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function startFastifyApp(vigil: Vigil, received: WebhookPayload[]): Promise<RunningApp> {
  const app = Fastify({ forceCloseConnections: true });
  const guard = { vigil, getUserId: (req: FastifyRequest) => userIdOf(req) };
  await app.register(vf.vigilWebhookPlugin(vigil, { onPayload: (p) => void received.push(p) }));
  app.get('/account', { preHandler: vf.checkStatus(guard) }, async () => ({ ok: true }));
  app.post('/withdraw', { preHandler: vf.checkFeatureAccess('withdrawals', guard) }, async () => ({
    ok: true,
  }));
  app.post('/chat', { preHandler: vf.checkFeatureAccess('chat', guard) }, async () => ({ ok: true }));
  await app.listen({ port: 0, host: '127.0.0.1' });
  const addr = app.server.address();
  if (addr === null || typeof addr === 'string') throw new Error('no port');
  return { name: 'fastify', url: `http://127.0.0.1:${addr.port}`, vigil, received, close: () => app.close() };
}

describe('SDK + middleware against the real Vigil server, Express and Fastify', () => {
  const clock = createFakeClock(Date.now());
  let dir: string;
  let rt: Runtime;
  let server: FastifyInstance;
  let vigilUrl: string;
  let appId: string;
  let appKey: string;
  let analystKey: string;
  const apps: RunningApp[] = [];

  const api = async (method: string, route: string, key: string, body?: unknown): Promise<Answer> => {
    const res = await fetch(`${vigilUrl}${route}`, {
      method,
      headers: {
        authorization: `Bearer ${key}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
  };

  /** Waits until every app received a delivery of `type` about `user`; returns the first one's data. */
  const delivered = async (type: string, user: string): Promise<Record<string, unknown>> => {
    const find = (a: RunningApp) => a.received.find((p) => p.type === type && p.data['user'] === user);
    await until(`${type} for ${user} at every app`, () => apps.every((a) => find(a) !== undefined));
    const first = apps[0] && find(apps[0]);
    if (first === undefined) throw new Error('unreachable');
    return first.data;
  };

  /** The same request through every app: their answers must agree. */
  const everywhere = async (method: string, route: string, user: string): Promise<Answer> => {
    const answers = await Promise.all(apps.map((a) => call(a.url, method, route, user)));
    const [first, ...rest] = answers;
    if (first === undefined) throw new Error('no apps');
    for (const [i, other] of rest.entries()) {
      expect(other, `${apps[i + 1]?.name} agrees with ${apps[0]?.name} on ${method} ${route}`).toEqual(first);
    }
    return first;
  };

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'vigil-sdk-e2e-'));
    const config = loadConfig({
      DATA_DIR: dir,
      HOST: '127.0.0.1',
      PORT: '0',
      VIGIL_ADMIN_KEY: ADMIN_KEY,
      WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true',
      OUTBOX_DISPATCH: 'true',
      SNAPSHOT_INTERVAL_MS: '0',
      LOG_LEVEL: 'silent',
    });
    // the sweeper runs often in real time; what it finds expired depends on the fake clock
    rt = await createRuntime({ config, clock, sweepIntervalMs: 50 });
    await rt.keys.ensureAdminKey(config.adminKey);
    server = await buildApp(rt);
    vigilUrl = await server.listen({ host: '127.0.0.1', port: 0 });

    const created = await api('POST', '/v1/apps', ADMIN_KEY, { name: 'casino' });
    expect(created.status).toBe(201);
    appId = String(created.body['id']);
    appKey = String(created.body['apiKey']);
    const analyst = await api('POST', '/v1/keys', ADMIN_KEY, { role: 'analyst', name: 'reviewer' });
    expect(analyst.status).toBe(201);
    analystKey = String(analyst.body['key']);

    // Each app registers its receiver (created first on a placeholder URL to learn the secret,
    // as an operator would before configuring and deploying the app), then points it at the app.
    for (const start of [startExpressApp, startFastifyApp]) {
      const hook = await api('POST', '/v1/webhooks', appKey, {
        url: 'http://127.0.0.1:9/not-yet',
        events: ['enforcement.created', 'enforcement.updated', 'enforcement.lifted'],
      });
      expect(hook.status).toBe(201);
      const secret = String(hook.body['secret']);
      const vigil = new Vigil({
        apiUrl: vigilUrl,
        apiKey: appKey,
        appName: 'casino',
        environment: 'test',
        webhookSecret: secret,
        // long enough that only a webhook (or the status's own end) can make a change visible
        statusCacheMs: 10 * 60_000,
        now: () => clock.now(),
      });
      const app = await start(vigil, []);
      apps.push(app);
      const moved = await api('PATCH', `/v1/webhooks/${String(hook.body['id'])}`, appKey, {
        url: `${app.url}/vigil/webhook`,
      });
      expect(moved.status).toBe(200);
    }
  });

  afterAll(async () => {
    for (const a of apps) await a.close();
    await server?.close();
    await rt?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('a guest fraud signal auto-blocks: the enforcement.created webhook clears the cached status, routes answer 403', async () => {
    const user = 'guest-1';
    const [first] = apps;
    if (first === undefined) throw new Error('no apps');
    await first.vigil.score({ type: 'login', user, tier: 'guest', ip: '203.0.113.7' });
    // a clean status is cached by both apps
    expect((await everywhere('GET', '/account', user)).status).toBe(200);
    expect((await everywhere('POST', '/withdraw', user)).status).toBe(200);

    const decision = await first.vigil.sendFraudSignal(user, 'guest', { reason: 'stolen card' });
    expect(decision.enforcement).toMatchObject({
      action: 'auto_block',
      tier: 'guest',
      durationMs: 72 * HOUR,
    });

    const data = await delivered('enforcement.created', user);
    expect(data).toMatchObject({ user, action: 'auto_block', status: 'active' });
    const account = await everywhere('GET', '/account', user);
    expect(account).toEqual({
      status: 403,
      body: { error: 'user_blocked', message: 'This account is blocked.' },
    });
    expect((await everywhere('POST', '/withdraw', user)).body['error']).toBe('user_blocked');

    const status = await first.vigil.getUserStatus(user);
    expect(status).toMatchObject({
      user,
      app: appId,
      blocked: true,
      suspended: false,
      suspendedUntil: null,
      restrictedFeatures: [],
      enforcements: [
        { id: data['id'], action: 'auto_block', status: 'active', expiresAt: clock.now() + 72 * HOUR },
      ],
    });
    // another user of the same apps is untouched
    expect((await everywhere('GET', '/account', 'guest-2')).status).toBe(200);
  });

  it('a VIP payment risk restricts features: 403 only on the restricted feature; an analyst lift restores it', async () => {
    const user = 'vip-1';
    const [first] = apps;
    if (first === undefined) throw new Error('no apps');
    expect((await everywhere('POST', '/withdraw', user)).status).toBe(200);

    const decision = await first.vigil.sendPaymentRisk(user, 'vip', {
      amount: 5000,
      currency: 'USD',
      reason: 'bin mismatch',
    });
    const action = decision.enforcement.action;
    expect(['soft_restrict', 'suspend_features']).toContain(action);
    const data = await delivered('enforcement.created', user);
    expect(data).toMatchObject({ user, action, status: 'active' });
    const features = data['features'];
    expect(features).toEqual(expect.arrayContaining(['withdrawals', 'betting']));
    expect(features).not.toContain('chat');

    expect(await everywhere('POST', '/withdraw', user)).toEqual({
      status: 403,
      body: {
        error: 'feature_restricted',
        message: expect.any(String),
        feature: 'withdrawals',
      },
    });
    expect((await everywhere('GET', '/account', user)).status).toBe(200);
    expect((await everywhere('POST', '/chat', user)).status).toBe(200);
    const status = await first.vigil.getUserStatus(user);
    expect(status).toMatchObject({ blocked: false, suspended: false });
    expect(status.restrictedFeatures).toEqual([...(features as string[])].sort());

    // a reviewer (admin key with the analyst role) lifts it through the API
    const id = String(data['id']);
    const lifted = await api('POST', `/v1/enforcements/${id}/lift?app=${appId}`, analystKey, {
      reason: 'card holder verified by phone',
    });
    expect(lifted.status).toBe(200);
    expect(lifted.body).toMatchObject({ id, status: 'lifted' });
    const liftedData = await delivered('enforcement.lifted', user);
    expect(liftedData).toMatchObject({ id, user });

    expect((await everywhere('POST', '/withdraw', user)).status).toBe(200);
    expect((await first.vigil.getUserStatus(user)).restrictedFeatures).toEqual([]);
    // lifting again is a conflict, not a second action
    expect(
      (await api('POST', `/v1/enforcements/${id}/lift?app=${appId}`, analystKey, { reason: 'again' })).status,
    ).toBe(409);
  });

  it('an analyst lifts the guest block: the enforcement.lifted webhook restores access', async () => {
    const user = 'guest-1';
    const [first] = apps;
    if (first === undefined) throw new Error('no apps');
    expect((await everywhere('GET', '/account', user)).status).toBe(403);
    const listed = await api('GET', `/v1/enforcements?app=${appId}&user=${user}&status=active`, analystKey);
    expect(listed.status).toBe(200);
    const items = listed.body['items'];
    if (!Array.isArray(items)) throw new Error('no items');
    expect(items).toHaveLength(1);
    const id = String((items[0] as Record<string, unknown>)['id']);
    const liftsOf = (a: RunningApp) =>
      a.received.filter(
        (p) => p.type === 'enforcement.lifted' && p.data['user'] === user && p.data['id'] === id,
      ).length;
    expect(apps.map(liftsOf)).toEqual([0, 0]);

    expect((await api('POST', `/v1/enforcements/${id}/lift?app=${appId}`, analystKey, {})).status).toBe(200);
    await until('enforcement.lifted for guest-1', () => apps.every((a) => liftsOf(a) === 1));
    expect(await everywhere('GET', '/account', user)).toEqual({ status: 200, body: { ok: true } });
    expect((await first.vigil.getUserStatus(user)).blocked).toBe(false);
  });

  it('a temporary suspension answers 403 with its end, then expires on the clock: the sweeper lifts it and access returns', async () => {
    const user = 'gold-1';
    const [first] = apps;
    if (first === undefined) throw new Error('no apps');
    expect((await everywhere('GET', '/account', user)).status).toBe(200);

    const decision = await first.vigil.sendFraudSignal(user, 'gold', { reason: 'chargeback' });
    expect(decision.enforcement.action).toBe('temp_suspend');
    const durationMs = decision.enforcement.durationMs;
    if (durationMs === null || durationMs === undefined) throw new Error('a temp suspension has a duration');
    const endsAt = clock.now() + durationMs;
    const data = await delivered('enforcement.created', user);
    expect(data).toMatchObject({ user, action: 'temp_suspend', status: 'active' });

    const refused = await everywhere('GET', '/account', user);
    expect(refused).toEqual({
      status: 403,
      body: { error: 'user_suspended', message: expect.any(String), until: new Date(endsAt).toISOString() },
    });
    expect((await everywhere('POST', '/chat', user)).body['error']).toBe('user_suspended');
    expect(await first.vigil.getUserStatus(user)).toMatchObject({
      suspended: true,
      suspendedUntil: endsAt,
      blocked: false,
    });

    // one minute before the end: still suspended
    clock.set(endsAt - 60_000);
    await new Promise((r) => setTimeout(r, 150)); // a few sweeps find nothing to expire
    expect(
      apps.every((a) => !a.received.some((p) => p.type === 'enforcement.lifted' && p.data['user'] === user)),
    ).toBe(true);
    expect((await everywhere('GET', '/account', user)).status).toBe(403);

    // past the end: the sweeper marks it expired and announces the lift
    clock.set(endsAt + 1000);
    const lifted = await delivered('enforcement.lifted', user);
    expect(lifted).toMatchObject({ id: data['id'], user });
    expect(await everywhere('GET', '/account', user)).toEqual({ status: 200, body: { ok: true } });
    expect(await first.vigil.getUserStatus(user)).toMatchObject({ suspended: false, suspendedUntil: null });
    const gone = await api('GET', `/v1/enforcements/${String(data['id'])}?app=${appId}`, analystKey);
    expect(gone.body).toMatchObject({ status: 'expired' });
  });
});
