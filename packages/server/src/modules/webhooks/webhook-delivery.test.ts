import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Webhook } from 'standardwebhooks';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestServer, type TestServer } from '../../testing/test-server.js';
import { createOutboxStore } from '../outbox/outbox.store.js';
import { startFakeReceiver, type FakeReceiver } from './webhook-receiver.fake.js';
import type { WebhookDelivery } from './webhook-delivery.store.js';
import { WEBHOOK_OUTBOX_KIND } from './webhook.service.js';

const ENV = { WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true', OUTBOX_DISPATCH: 'false', WEBHOOK_TIMEOUT_MS: '300' };

interface Created {
  id: string;
  secret: string;
}

function headersOf(r: { headers: Record<string, string | string[] | undefined> }) {
  const h = (n: string) => {
    const v = r.headers[n];
    return typeof v === 'string' ? v : '';
  };
  return {
    'webhook-id': h('webhook-id'),
    'webhook-timestamp': h('webhook-timestamp'),
    'webhook-signature': h('webhook-signature'),
  };
}

describe('webhook delivery', () => {
  // a server per test: the outbox is shared by every app of a server
  let s: TestServer;
  let app: { id: string; apiKey: string };
  const receivers: FakeReceiver[] = [];
  beforeEach(async () => {
    s = await createTestServer(ENV);
    app = await s.createApp();
  });
  afterEach(async () => {
    await s?.close();
    await Promise.all(receivers.splice(0).map((r) => r.close()));
  });

  const receiver = async () => {
    const r = await startFakeReceiver();
    receivers.push(r);
    return r;
  };
  const endpoint = async (url: string, events: string[], key = app.apiKey): Promise<Created> => {
    const res = await s.call('POST', '/v1/webhooks', { key, body: { url, events } });
    expect(res.statusCode).toBe(201);
    return res.json<Created>();
  };
  const deliveries = async (id: string, key = app.apiKey) => {
    const res = await s.call('GET', `/v1/webhooks/${id}/deliveries`, { key });
    expect(res.statusCode).toBe(200);
    return res.json<{ items: WebhookDelivery[] }>().items;
  };
  let n = 0;
  const event = (type: string, extra: Record<string, unknown> = {}) =>
    s.call('POST', '/v1/events', {
      key: app.apiKey,
      body: { id: `ev-${++n}`, type, user: `u${n}`, tier: 'guest', ...extra },
    });

  it('delivers decision webhooks signed per Standard Webhooks; standardwebhooks verifies them', async () => {
    s.clock.set(Date.now()); // the verifier checks the timestamp against the wall clock
    const r = await receiver();
    const both = await endpoint(r.url, ['decision.high_risk', 'anomaly.alert']);
    const onlyEnforcement = await endpoint(r.url.replace('/hook', '/enf'), ['enforcement.created']);

    expect((await event('login')).statusCode).toBe(200); // SAFE: nothing to send
    const res = await event('fraud_signal');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ level: 'HIGH', flag: 'RED' });
    // two decision webhooks, and the guest's auto-block (enforcement.created) for the other endpoint
    expect(await s.rt.outbox.drain()).toBe(3);

    expect(r.requests.map((q) => q.url).sort()).toEqual(['/enf', '/hook', '/hook']);
    const verifier = new Webhook(both.secret);
    const hooks = r.requests.filter((q) => q.url === '/hook');
    const payloads = hooks.map((q) => {
      expect(q.headers['content-type']).toBe('application/json');
      expect(q.headers['webhook-id']).toMatch(/^msg_[0-9A-Z]{26}$/);
      expect(q.headers['webhook-timestamp']).toBe(String(Math.floor(s.clock.now() / 1000)));
      expect(q.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
      return verifier.verify(q.body, headersOf(q)) as {
        type: string;
        app: string;
        data: Record<string, unknown>;
        at: number;
      };
    });
    expect(new Set(hooks.map((q) => q.headers['webhook-id'])).size).toBe(2);
    expect(payloads.map((p) => p.type).sort()).toEqual(['anomaly.alert', 'decision.high_risk']);
    for (const p of payloads) {
      expect(p).toMatchObject({ app: app.id, at: s.clock.now() });
      expect(p.data).toMatchObject({
        eventId: `ev-${n}`,
        eventType: 'fraud_signal',
        user: `u${n}`,
        level: 'HIGH',
        flag: 'RED',
        outcome: 'review',
      });
      expect(Array.isArray(p.data['signals'])).toBe(true);
    }
    // a wrong secret does not verify
    expect(() => new Webhook(onlyEnforcement.secret).verify(hooks[0]!.body, headersOf(hooks[0]!))).toThrow();

    const log = await deliveries(both.id);
    expect(log).toHaveLength(2);
    for (const d of log) {
      expect(d).toMatchObject({
        status: 'delivered',
        statusCode: 204,
        attempt: 1,
        error: null,
        endpointId: both.id,
        app: app.id,
      });
    }
    expect((await deliveries(onlyEnforcement.id)).map((d) => d.type)).toEqual(['enforcement.created']);
  });

  it('emit() enqueues in the caller transaction: committed ones arrive (data.user), rolled back ones never', async () => {
    s.clock.set(Date.now());
    const r = await receiver();
    const e = await endpoint(r.url, ['enforcement.created', 'enforcement.lifted']);
    const other = await s.createApp();
    const otherR = await receiver();
    await endpoint(otherR.url, ['enforcement.created'], other.apiKey);

    const count = await s.rt.db.transaction((tx) =>
      s.rt.webhooks.emit(tx, app.id, 'enforcement.created', { user: 'u7', action: 'auto_block' }),
    );
    expect(count).toBe(1);
    await expect(
      s.rt.db.transaction(async (tx) => {
        await s.rt.webhooks.emit(tx, app.id, 'enforcement.lifted', { user: 'u7' });
        throw new Error('the enforcement change failed');
      }),
    ).rejects.toThrow('the enforcement change failed');
    // a type nobody subscribed to enqueues nothing
    expect(await s.rt.db.transaction((tx) => s.rt.webhooks.emit(tx, app.id, 'case.resolved', {}))).toBe(0);

    await s.rt.outbox.drain();
    expect(r.requests).toHaveLength(1);
    const p = new Webhook(e.secret).verify(r.requests[0]!.body, headersOf(r.requests[0]!));
    expect(p).toEqual({
      type: 'enforcement.created',
      app: app.id,
      data: { user: 'u7', action: 'auto_block' },
      at: s.clock.now(),
    });
    expect(otherR.requests).toHaveLength(0);
  });

  it('signs with the old and the new secret during the rotation grace period, then only the new', async () => {
    s.clock.set(Date.now());
    const r = await receiver();
    const e = await endpoint(r.url, ['score.updated']);
    const rotated = (await s.call('POST', `/v1/webhooks/${e.id}/rotate-secret`, { key: app.apiKey })).json<{
      secret: string;
    }>();
    await s.rt.db.transaction((tx) =>
      s.rt.webhooks.emit(tx, app.id, 'score.updated', { user: 'u1', score: 40 }),
    );
    await s.rt.outbox.drain();
    const first = r.requests[0]!;
    expect(String(first.headers['webhook-signature']).split(' ')).toHaveLength(2);
    // receivers holding either secret verify the same delivery
    expect(new Webhook(e.secret).verify(first.body, headersOf(first))).toMatchObject({
      type: 'score.updated',
    });
    expect(new Webhook(rotated.secret).verify(first.body, headersOf(first))).toMatchObject({
      type: 'score.updated',
    });

    s.clock.advance(86_400_001);
    await s.rt.db.transaction((tx) =>
      s.rt.webhooks.emit(tx, app.id, 'score.updated', { user: 'u1', score: 41 }),
    );
    await s.rt.outbox.drain();
    const second = r.requests[1]!;
    const h = headersOf(second);
    expect(h['webhook-signature'].split(' ')).toHaveLength(1);
    const ts = new Date(Number(h['webhook-timestamp']) * 1000);
    expect(h['webhook-signature']).toBe(new Webhook(rotated.secret).sign(h['webhook-id'], ts, second.body));
    expect(h['webhook-signature']).not.toBe(new Webhook(e.secret).sign(h['webhook-id'], ts, second.body));
  });

  it('retries a failing receiver with growing, jittered backoff and dead-letters after 8 attempts; replay sends it again', async () => {
    const r = await receiver();
    r.respond((_q, res) => res.writeHead(500, { 'content-type': 'text/plain' }).end('database down'));
    const e = await endpoint(r.url, ['access.logged']);
    await s.rt.db.transaction((tx) =>
      s.rt.webhooks.emit(tx, app.id, 'access.logged', { user: 'u1', level: 'LIMITED' }),
    );

    for (let attempt = 1; attempt <= 8; attempt++) {
      expect(await s.rt.outbox.runOnce()).toBe(1);
      const [last] = await deliveries(e.id);
      expect(last).toMatchObject({
        attempt,
        statusCode: 500,
        error: 'HTTP 500',
        responseBody: 'database down',
      });
      if (attempt < 8) {
        expect(last!.status).toBe('failed');
        // full jitter under a ceiling of 30 s doubling per attempt, capped at 1 h
        const ceiling = Math.min(3_600_000, 30_000 * 2 ** (attempt - 1));
        const delay = last!.nextAttemptAt! - s.clock.now();
        expect(delay).toBeGreaterThanOrEqual(0);
        expect(delay).toBeLessThan(ceiling);
        // not before its time (unless the jitter drew 0)
        if (delay > 0) expect(await s.rt.outbox.runOnce()).toBe(0);
        s.clock.advance(delay);
      } else {
        expect(last).toMatchObject({ status: 'dead', nextAttemptAt: null });
      }
    }
    s.clock.advance(86_400_000);
    expect(await s.rt.outbox.runOnce()).toBe(0);
    expect(r.requests).toHaveLength(8);
    expect(new Set(r.requests.map((q) => q.headers['webhook-id'])).size).toBe(1);
    expect(new Set(r.requests.map((q) => q.body)).size).toBe(1);
    const log = await deliveries(e.id);
    expect(log.map((d) => d.attempt)).toEqual([8, 7, 6, 5, 4, 3, 2, 1]);
    expect(
      (await s.call('GET', `/v1/webhooks/${e.id}/deliveries?status=dead`, { key: app.apiKey })).json<{
        items: unknown[];
      }>().items,
    ).toHaveLength(1);
    const page = (await s.call('GET', `/v1/webhooks/${e.id}/deliveries?limit=5`, { key: app.apiKey })).json<{
      items: WebhookDelivery[];
      nextCursor: string;
    }>();
    expect(page.items.map((d) => d.attempt)).toEqual([8, 7, 6, 5, 4]);
    const rest = (
      await s.call('GET', `/v1/webhooks/${e.id}/deliveries?limit=5&cursor=${page.nextCursor}`, {
        key: app.apiKey,
      })
    ).json<{ items: WebhookDelivery[]; nextCursor: string | null }>();
    expect(rest.items.map((d) => d.attempt)).toEqual([3, 2, 1]);
    expect(rest.nextCursor).toBeNull();

    // the receiver is fixed: replay the dead delivery
    r.respond((_q, res) => res.writeHead(200).end('ok'));
    const other = await s.createApp();
    expect(
      (await s.call('POST', `/v1/webhooks/deliveries/${log[0]!.id}/replay`, { key: other.apiKey }))
        .statusCode,
    ).toBe(404);
    const replay = await s.call('POST', `/v1/webhooks/deliveries/${log[0]!.id}/replay`, { key: app.apiKey });
    expect(replay.statusCode).toBe(202);
    expect(replay.json()).toEqual({
      messageId: expect.stringMatching(/^[0-9A-Z]{26}$/),
      webhookId: log[0]!.webhookId,
      endpointId: e.id,
    });
    expect(await s.rt.outbox.runOnce()).toBe(1);
    expect(r.requests).toHaveLength(9);
    expect(r.requests[8]!.headers['webhook-id']).toBe(log[0]!.webhookId);
    expect(r.requests[8]!.body).toBe(r.requests[0]!.body);
    const [replayed] = await deliveries(e.id);
    expect(replayed).toMatchObject({
      status: 'delivered',
      attempt: 1,
      statusCode: 200,
      messageId: replay.json<{ messageId: string }>().messageId,
    });
  });

  it('times out a receiver that hangs and logs it', async () => {
    const r = await receiver();
    r.respond(() => {}); // never answers
    const e = await endpoint(r.url, ['case.resolved']);
    await s.rt.db.transaction((tx) => s.rt.webhooks.emit(tx, app.id, 'case.resolved', { caseId: 'c1' }));
    expect(await s.rt.outbox.runOnce()).toBe(1);
    const [d] = await deliveries(e.id);
    expect(d).toMatchObject({
      status: 'failed',
      statusCode: null,
      error: 'timed out after 300 ms',
      responseBody: null,
    });
    expect(d!.durationMs).toBeGreaterThanOrEqual(290);
  });

  it('reads an oversized answer only up to 1 KB', async () => {
    const r = await receiver();
    r.respond((_q, res) =>
      res.writeHead(200, { 'content-type': 'text/plain' }).end('y'.repeat(5 * 1024 * 1024)),
    );
    const e = await endpoint(r.url, ['case.resolved']);
    await s.rt.db.transaction((tx) => s.rt.webhooks.emit(tx, app.id, 'case.resolved', { caseId: 'c2' }));
    expect(await s.rt.outbox.runOnce()).toBe(1);
    const [d] = await deliveries(e.id);
    expect(d).toMatchObject({ status: 'delivered', statusCode: 200, error: null });
    expect(d!.responseBody).toBe('y'.repeat(1024));
  });

  it('a disabled or deleted endpoint gets nothing; its pending messages die', async () => {
    const r = await receiver();
    const e = await endpoint(r.url, ['anomaly.alert']);
    await s.rt.db.transaction((tx) => s.rt.webhooks.emit(tx, app.id, 'anomaly.alert', { n: 1 }));
    await s.app.inject({
      method: 'PATCH',
      url: `/v1/webhooks/${e.id}`,
      headers: { authorization: `Bearer ${app.apiKey}`, 'content-type': 'application/json' },
      payload: JSON.stringify({ enabled: false }),
    });
    expect(await s.rt.outbox.runOnce()).toBe(1);
    expect(r.requests).toHaveLength(0);
    const [d] = await deliveries(e.id);
    expect(d).toMatchObject({ status: 'dead', error: 'the endpoint is disabled', statusCode: null });
    // emitted while disabled: nothing is enqueued at all
    expect(await s.rt.db.transaction((tx) => s.rt.webhooks.emit(tx, app.id, 'anomaly.alert', { n: 2 }))).toBe(
      0,
    );
  });
});

describe('webhook delivery across restarts', () => {
  let dir: string;
  let r: FakeReceiver;
  const servers: TestServer[] = [];
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'vigil-wh-restart-'));
    r = await startFakeReceiver();
  });
  afterAll(async () => {
    for (const s of servers) await s.close().catch(() => {});
    await r.close();
    rmSync(dir, { recursive: true, force: true });
  });
  // restart tests count attempts exactly: a healthy receiver must not time out on a loaded machine
  const start = async (env: Record<string, string> = {}) => {
    const s = await createTestServer({ ...ENV, WEBHOOK_TIMEOUT_MS: '10000', DATA_DIR: dir, ...env });
    servers.push(s);
    return s;
  };

  it('a message enqueued before a stop is delivered exactly once after the restart', async () => {
    const s1 = await start();
    s1.clock.set(Date.now());
    const app = await s1.createApp();
    const e = (
      await s1.call('POST', '/v1/webhooks', {
        key: app.apiKey,
        body: { url: r.url, events: ['decision.high_risk'] },
      })
    ).json<Created>();
    const res = await s1.call('POST', '/v1/events', {
      key: app.apiKey,
      body: { id: 'before-stop', type: 'fraud_signal', user: 'mallory', tier: 'guest' },
    });
    expect(res.json()).toMatchObject({ level: 'HIGH' });
    expect((await createOutboxStore(s1.rt.db).counts()).pending).toBe(1);
    await s1.close(); // stopped before any delivery
    expect(r.requests).toHaveLength(0);

    // the next process delivers on its own (the dispatcher loop runs)
    const s2 = await start({ OUTBOX_DISPATCH: 'true' });
    s2.clock.set(s1.clock.now());
    s2.rt.outbox.wake();
    await r.waitFor(1);
    await s2.close(); // lets the attempt in flight finish and record its result
    const s3 = await start();
    // past any retry's backoff (at most 1 h) but inside the guest's 24 h review SLA, so the
    // sweeper raises no overdue-case message that drain would count
    s3.clock.set(s1.clock.now() + 2 * 3_600_000);
    expect(await s3.rt.outbox.drain()).toBe(0);
    expect(await createOutboxStore(s3.rt.db).counts()).toMatchObject({ pending: 0, delivered: 1, dead: 0 });
    expect(r.requests).toHaveLength(1);
    const p = new Webhook(e.secret).verify(r.requests[0]!.body, headersOf(r.requests[0]!)) as {
      data: { eventId: string };
    };
    expect(p.data.eventId).toBe('before-stop');
    await s3.close();
  });

  it('a delivery whose result was never recorded (crash) is sent again with the same webhook-id', async () => {
    r.requests.length = 0;
    const s1 = await start();
    s1.clock.set(Date.now());
    const app = await s1.createApp();
    await s1.call('POST', '/v1/webhooks', {
      key: app.apiKey,
      body: { url: r.url, events: ['enforcement.created'] },
    });
    await s1.rt.db.transaction((tx) =>
      s1.rt.webhooks.emit(tx, app.id, 'enforcement.created', { user: 'u9' }),
    );
    // the process sends the webhook and dies before recording the result
    const crashed = { ...s1.rt.webhooks.handler };
    const [m] = await createOutboxStore(s1.rt.db).claim({
      now: s1.clock.now(),
      limit: 1,
      leaseMs: 300_000,
      kinds: [WEBHOOK_OUTBOX_KIND],
    });
    const result = await crashed.handle(m!, new AbortController().signal);
    expect(result.ok).toBe(true);
    expect(r.requests).toHaveLength(1);
    await s1.close();

    const s2 = await start();
    s2.clock.set(s1.clock.now());
    expect(await s2.rt.outbox.drain()).toBe(0); // still leased by the dead process
    s2.clock.advance(300_000);
    expect(await s2.rt.outbox.drain()).toBe(1);
    expect(r.requests).toHaveLength(2);
    // at least once on the wire, exactly once for a receiver that deduplicates on webhook-id
    const ids = new Set(r.requests.map((q) => q.headers['webhook-id']));
    expect(ids.size).toBe(1);
    expect(r.requests[0]!.body).toBe(r.requests[1]!.body);
    expect((await createOutboxStore(s2.rt.db).get(m!.id))?.status).toBe('delivered');
    await s2.close();
  });
});
