import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Vigil, type VigilOptions } from '../vigil.js';
import { startFakeVigil, unusedUrl, type FakeVigil } from './fake-vigil.js';

/*
 * One behaviour suite for the Express and the Fastify middleware: each test file starts a real
 * app of its framework (listening on 127.0.0.1) and the suite drives it with fetch, against a
 * fake Vigil server that is also real HTTP.
 *
 * Every app under test has these routes, the user id coming from the `x-user-id` header:
 *   GET  /public        no check
 *   GET  /profile       checkStatus
 *   POST /withdraw      checkFeatureAccess('withdrawals')
 *   POST /bet           checkFeatureAccess('betting')
 *   GET  /scoped/area   checkStatus applied to a whole scope (app.use / addHook)
 *   POST /report-fraud  vigil.sendFraudSignal(user, 'guest', ...) and answers the decision
 *   POST /vigil/webhook the SDK's webhook receiver
 */

/** A running app under test. @example const app = await start(vigil); await fetch(`${app.url}/profile`); */
export interface AppUnderTest {
  readonly url: string;
  close(): Promise<void>;
}

/** Options the suite passes to the middleware of an app. @example start(vigil, { failOpen: false }) */
export interface MiddlewareSettings {
  readonly failOpen?: boolean;
  readonly requireUser?: boolean;
}

/** Starts an app of one framework using the SDK. @example const start: StartApp = startExpressApp; */
export type StartApp = (vigil: Vigil, settings?: MiddlewareSettings) => Promise<AppUnderTest>;

interface Answer {
  readonly status: number;
  readonly body: unknown;
}

async function call(base: string, method: string, path: string, user?: string): Promise<Answer> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: user === undefined ? {} : { 'x-user-id': user },
  });
  const text = await res.text();
  return { status: res.status, body: text === '' ? undefined : (JSON.parse(text) as unknown) };
}

/**
 * Registers the middleware behaviour suite for one framework.
 * @example describeMiddleware('express', startExpressApp);
 */
export function describeMiddleware(framework: string, start: StartApp): void {
  describe(`${framework} middleware`, () => {
    let fake: FakeVigil;
    let vigil: Vigil;
    let app: AppUnderTest;
    const opened: AppUnderTest[] = [];
    const clientOf = (extra: Partial<VigilOptions> = {}) =>
      new Vigil({
        apiUrl: fake.url,
        apiKey: fake.apiKey,
        webhookSecret: fake.webhookSecret,
        statusCacheMs: 60_000,
        ...extra,
      });
    const startApp = async (client: Vigil, settings?: MiddlewareSettings) => {
      const a = await start(client, settings);
      opened.push(a);
      return a;
    };

    beforeAll(async () => {
      fake = await startFakeVigil();
      vigil = clientOf();
      app = await startApp(vigil);
      fake.setWebhookUrl(`${app.url}/vigil/webhook`);
    });
    afterAll(async () => {
      for (const a of opened) await a.close();
      await fake.close();
    });
    beforeEach(() => {
      fake.behaviour.statusDelayMs = 0;
      fake.behaviour.failNext = 0;
    });

    it('lets a clean user through every guarded route', async () => {
      for (const [method, path] of [
        ['GET', '/profile'],
        ['POST', '/withdraw'],
        ['POST', '/bet'],
      ] as const) {
        const r = await call(app.url, method, path, 'clean-1');
        expect(r, `${method} ${path}`).toEqual({ status: 200, body: { ok: true, route: path } });
      }
    });

    it('answers 403 user_blocked to a blocked user on guarded routes only', async () => {
      await fake.block('blocked-1', { notify: false });
      const r = await call(app.url, 'GET', '/profile', 'blocked-1');
      expect(r).toEqual({
        status: 403,
        body: { error: 'user_blocked', message: 'This account is blocked.' },
      });
      expect((await call(app.url, 'POST', '/bet', 'blocked-1')).body).toMatchObject({
        error: 'user_blocked',
      });
      expect((await call(app.url, 'GET', '/public', 'blocked-1')).status).toBe(200);
    });

    it('answers 403 user_suspended with the end of the suspension', async () => {
      const until = Date.now() + 3_600_000;
      await fake.suspend('susp-1', until, { notify: false });
      const r = await call(app.url, 'GET', '/profile', 'susp-1');
      expect(r.status).toBe(403);
      expect(r.body).toEqual({
        error: 'user_suspended',
        message: `This account is suspended until ${new Date(until).toISOString()}.`,
        until: new Date(until).toISOString(),
      });
    });

    it('answers 403 feature_restricted on the restricted feature route only', async () => {
      await fake.restrict('restr-1', ['betting'], { notify: false });
      const bet = await call(app.url, 'POST', '/bet', 'restr-1');
      expect(bet).toEqual({
        status: 403,
        body: {
          error: 'feature_restricted',
          message: "'betting' is not available to this account.",
          feature: 'betting',
        },
      });
      expect((await call(app.url, 'POST', '/withdraw', 'restr-1')).status).toBe(200);
      expect((await call(app.url, 'GET', '/profile', 'restr-1')).status).toBe(200);
    });

    it('lets requests without a user through, unless requireUser', async () => {
      expect((await call(app.url, 'GET', '/profile')).status).toBe(200);
      const strict = await startApp(vigil, { requireUser: true });
      expect(await call(strict.url, 'GET', '/profile')).toEqual({
        status: 401,
        body: { error: 'user_required', message: 'Sign in to use this.' },
      });
      expect((await call(strict.url, 'GET', '/profile', 'clean-2')).status).toBe(200);
    });

    it('Vigil down: fail-open lets users through, fail-closed answers 503', async () => {
      const down = new Vigil({ apiUrl: await unusedUrl(), apiKey: 'k', retryBaseMs: 1 });
      const open = await startApp(down);
      expect((await call(open.url, 'GET', '/profile', 'u-down')).status).toBe(200);
      const closed = await startApp(down, { failOpen: false });
      expect(await call(closed.url, 'POST', '/bet', 'u-down')).toEqual({
        status: 503,
        body: { error: 'vigil_unavailable', message: 'Account checks are unavailable; try again shortly.' },
      });
      // The client's own failOpen: false applies when the middleware does not override it.
      const closedClient = new Vigil({ apiUrl: await unusedUrl(), apiKey: 'k', retries: 0, failOpen: false });
      const closedByClient = await startApp(closedClient);
      expect((await call(closedByClient.url, 'GET', '/profile', 'u-down')).status).toBe(503);
    });

    it('honours the timeout: a slow Vigil answers within the budget, then the policy applies', async () => {
      fake.behaviour.statusDelayMs = 3000;
      const slowOpen = await startApp(clientOf({ timeoutMs: 150 }));
      let started = Date.now();
      expect((await call(slowOpen.url, 'GET', '/profile', 'slow-1')).status).toBe(200);
      expect(Date.now() - started).toBeLessThan(1500);
      const slowClosed = await startApp(clientOf({ timeoutMs: 150 }), { failOpen: false });
      started = Date.now();
      expect((await call(slowClosed.url, 'GET', '/profile', 'slow-1')).status).toBe(503);
      expect(Date.now() - started).toBeLessThan(1500);
    });

    it('caches the status, and a signed enforcement webhook invalidates it', async () => {
      expect((await call(app.url, 'GET', '/profile', 'cached-1')).status).toBe(200);
      await fake.block('cached-1', { notify: false });
      // Vigil blocked the user but the app has not heard yet: the cached status still answers.
      expect((await call(app.url, 'GET', '/profile', 'cached-1')).status).toBe(200);
      expect(await fake.deliver('enforcement.created', { user: 'cached-1' })).toBe(204);
      expect((await call(app.url, 'GET', '/profile', 'cached-1')).status).toBe(403);
    });

    it('refuses a webhook with a bad signature and keeps the cache', async () => {
      expect((await call(app.url, 'GET', '/profile', 'cached-2')).status).toBe(200);
      await fake.block('cached-2', { notify: false });
      const body = JSON.stringify({
        type: 'enforcement.created',
        app: 'fake-app',
        data: { user: 'cached-2' },
        at: 1,
      });
      const res = await fetch(`${app.url}/vigil/webhook`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'webhook-id': 'msg_forged',
          'webhook-timestamp': String(Math.floor(Date.now() / 1000)),
          'webhook-signature': `v1,${Buffer.alloc(32).toString('base64')}`,
        },
        body,
      });
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ error: 'invalid_signature' });
      expect((await call(app.url, 'GET', '/profile', 'cached-2')).status).toBe(200);
    });

    it('whole lifecycle: a fraud signal blocks the user, lifting restores them, via real webhooks', async () => {
      expect((await call(app.url, 'GET', '/profile', 'life-1')).status).toBe(200);
      const report = await call(app.url, 'POST', '/report-fraud', 'life-1');
      expect(report.body).toMatchObject({
        outcome: 'block',
        enforcement: { action: 'auto_block', tier: 'guest' },
      });
      expect(fake.deliveries.at(-1)).toEqual({ type: 'enforcement.created', user: 'life-1', status: 204 });
      expect((await call(app.url, 'GET', '/profile', 'life-1')).body).toMatchObject({
        error: 'user_blocked',
      });
      await fake.lift('life-1');
      expect(fake.deliveries.at(-1)).toEqual({ type: 'enforcement.lifted', user: 'life-1', status: 204 });
      expect((await call(app.url, 'GET', '/profile', 'life-1')).status).toBe(200);

      await fake.restrict('life-1', ['withdrawals']);
      expect((await call(app.url, 'POST', '/withdraw', 'life-1')).body).toMatchObject({
        error: 'feature_restricted',
        feature: 'withdrawals',
      });
      expect((await call(app.url, 'POST', '/bet', 'life-1')).status).toBe(200);
      await fake.lift('life-1');
      expect((await call(app.url, 'POST', '/withdraw', 'life-1')).status).toBe(200);
    });
  });
}
