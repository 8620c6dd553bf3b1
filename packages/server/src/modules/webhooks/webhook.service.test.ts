import { Webhook } from 'standardwebhooks';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isDomainError } from '../../errors.js';
import {
  createPgTestDatabase,
  createSqliteTestDatabase,
  describeWithPostgres,
  type TestDatabase,
} from '../../storage/test-databases.js';
import { ulid } from '../../storage/ulid.js';
import { createFakeClock } from '../../testing/fake-clock.js';
import { createOutbox } from '../outbox/outbox.js';
import { createOutboxDispatcher } from '../outbox/outbox-dispatcher.js';
import { createOutboxStore } from '../outbox/outbox.store.js';
import type { ResolveHost } from './url-guard.js';
import { startFakeReceiver, type FakeReceiver } from './webhook-receiver.fake.js';
import { createWebhookDeliveryStore } from './webhook-delivery.store.js';
import { createWebhookService, type WebhookServiceOptions } from './webhook.service.js';

function serviceSuite(open: () => Promise<TestDatabase>): void {
  let t: TestDatabase;
  const receivers: FakeReceiver[] = [];
  beforeAll(async () => {
    t = await open();
  });
  afterAll(async () => {
    await t?.cleanup();
  });
  afterEach(async () => {
    await Promise.all(receivers.splice(0).map((r) => r.close()));
  });

  const setup = (opts: Partial<WebhookServiceOptions> = {}) => {
    const clock = createFakeClock(Date.now());
    const outbox = createOutbox({ clock });
    const webhooks = createWebhookService(
      { db: t.db, clock, outbox },
      { allowPrivateNetworks: true, timeoutMs: 2000, ...opts },
    );
    const dispatcher = createOutboxDispatcher({
      db: t.db,
      clock,
      handlers: [webhooks.handler],
      random: () => 0.5,
    });
    return { clock, webhooks, dispatcher };
  };
  const receiver = async () => {
    const r = await startFakeReceiver();
    receivers.push(r);
    return r;
  };

  it('delivers a signed message that standardwebhooks verifies', async () => {
    const { webhooks, dispatcher, clock } = setup();
    const r = await receiver();
    const app = ulid();
    const e = await webhooks.create(app, { url: r.url, events: ['enforcement.lifted'] });
    await t.db.transaction((tx) =>
      webhooks.emit(tx, app, 'enforcement.lifted', { user: 'u1', reason: 'expired' }),
    );
    await dispatcher.drain();
    expect(r.requests).toHaveLength(1);
    const q = r.requests[0]!;
    const headers = {
      'webhook-id': String(q.headers['webhook-id']),
      'webhook-timestamp': String(q.headers['webhook-timestamp']),
      'webhook-signature': String(q.headers['webhook-signature']),
    };
    expect(new Webhook(e.secret).verify(q.body, headers)).toEqual({
      type: 'enforcement.lifted',
      app,
      data: { user: 'u1', reason: 'expired' },
      at: clock.now(),
    });
    const page = await webhooks.deliveries(app, e.id, {});
    expect(page.items).toHaveLength(1);
    expect(page.items[0]).toMatchObject({
      status: 'delivered',
      attempt: 1,
      webhookId: headers['webhook-id'],
    });
  });

  it('checks the host again at delivery time: a name rebound to loopback is refused without connecting', async () => {
    const r = await receiver();
    const port = new URL(r.url).port;
    let answer = '93.184.216.34';
    const resolveHost: ResolveHost = async () => [{ address: answer, family: 4 }];
    const { webhooks, dispatcher } = setup({ allowPrivateNetworks: false, resolveHost });
    const app = ulid();
    const e = await webhooks.create(app, {
      url: `http://rebind.test:${port}/hook`,
      events: ['score.updated'],
    });
    answer = '127.0.0.1'; // the attacker's DNS now points at the server's own network
    await t.db.transaction((tx) => webhooks.emit(tx, app, 'score.updated', { user: 'u1' }));
    expect(await dispatcher.runOnce()).toBe(1);
    expect(r.requests).toHaveLength(0);
    const [d] = (await webhooks.deliveries(app, e.id, {})).items;
    expect(d).toMatchObject({ status: 'failed', statusCode: null });
    expect(d!.error).toMatch(/resolves to a private or reserved address \(127\.0\.0\.1\)/);
    // and creation refuses it outright now
    const err: unknown = await webhooks
      .create(app, { url: `http://rebind.test:${port}/hook`, events: ['score.updated'] })
      .catch((x: unknown) => x);
    expect(isDomainError(err, 'validation_failed')).toBe(true);
  });

  it('caps the endpoints of an app', async () => {
    const { webhooks } = setup({ maxEndpointsPerApp: 2 });
    const app = ulid();
    for (let i = 0; i < 2; i++)
      await webhooks.create(app, { url: `http://127.0.0.1:9/${i}`, events: ['case.resolved'] });
    const err: unknown = await webhooks
      .create(app, { url: 'http://127.0.0.1:9/x', events: ['case.resolved'] })
      .catch((x: unknown) => x);
    expect(isDomainError(err, 'conflict')).toBe(true);
  });

  it('messages to a deleted endpoint die without a delivery; the log goes with the endpoint', async () => {
    const { webhooks, dispatcher } = setup();
    const r = await receiver();
    const app = ulid();
    const e = await webhooks.create(app, { url: r.url, events: ['case.resolved'] });
    await t.db.transaction((tx) => webhooks.emit(tx, app, 'case.resolved', { caseId: 'c1' }));
    await dispatcher.drain();
    await t.db.transaction((tx) => webhooks.emit(tx, app, 'case.resolved', { caseId: 'c2' }));
    const [pending] = await t.db.kysely
      .selectFrom('outbox')
      .select('id')
      .where('app_id', '=', app)
      .where('status', '=', 'pending')
      .execute();
    await webhooks.remove(app, e.id);
    expect(await createWebhookDeliveryStore(t.db).list({ endpointId: e.id, limit: 10 })).toEqual([]);
    await dispatcher.drain();
    expect(r.requests).toHaveLength(1);
    expect(await createOutboxStore(t.db).get(pending!.id)).toMatchObject({
      status: 'dead',
      lastError: 'the endpoint was deleted',
    });
  });

  it('purging drops old delivery logs with the finished messages', async () => {
    const { webhooks, dispatcher, clock } = setup();
    const r = await receiver();
    const app = ulid();
    const e = await webhooks.create(app, { url: r.url, events: ['case.resolved'] });
    await t.db.transaction((tx) => webhooks.emit(tx, app, 'case.resolved', { caseId: 'old' }));
    await dispatcher.drain();
    const [old] = (await webhooks.deliveries(app, e.id, {})).items;
    clock.advance(8 * 86_400_000);
    expect(await dispatcher.purge()).toBeGreaterThanOrEqual(1);
    expect((await webhooks.deliveries(app, e.id, {})).items).toEqual([]);
    // a purged delivery can no longer be replayed
    const err: unknown = await webhooks.replay(app, old!.id).catch((x: unknown) => x);
    expect(isDomainError(err, 'not_found')).toBe(true);
  });
}

describe('webhook service on SQLite', () => {
  serviceSuite(createSqliteTestDatabase);
});

describeWithPostgres('webhook service on PostgreSQL', () => {
  serviceSuite(createPgTestDatabase);
});
