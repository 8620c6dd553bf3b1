import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../storage/database.js';
import type { TestDatabase } from '../../storage/test-databases.js';
import { ulid } from '../../storage/ulid.js';
import { createWebhookDeliveryStore, type WebhookDelivery } from './webhook-delivery.store.js';
import { createWebhookEndpointStore, type WebhookEndpoint } from './webhook-endpoint.store.js';

/** The webhook stores' contract, run on every dialect (webhook.store.test.ts, webhook.store.int.test.ts). */
export function describeWebhookStoreContract(open: () => Promise<TestDatabase>): void {
  let t: TestDatabase;
  let db: Db;
  beforeAll(async () => {
    t = await open();
    db = t.db;
  });
  afterAll(async () => {
    await t?.cleanup();
  });

  const endpoint = (app: string, over: Partial<WebhookEndpoint> = {}): WebhookEndpoint => ({
    id: ulid(),
    app,
    url: 'https://93.184.216.34/hook',
    description: '',
    events: ['decision.high_risk'],
    enabled: true,
    secret: 'whsec_AAAA',
    previousSecret: null,
    previousSecretExpiresAt: null,
    createdAt: 1000,
    updatedAt: 1000,
    ...over,
  });

  describe('webhook endpoint store', () => {
    it('inserts, reads, lists per app, counts, updates, rotates and removes', async () => {
      const s = createWebhookEndpointStore(db);
      const app = ulid();
      const other = ulid();
      const e1 = endpoint(app, {
        description: 'first',
        events: ['decision.high_risk', 'enforcement.created'],
      });
      const e2 = endpoint(app, { createdAt: 2000, updatedAt: 2000, enabled: false });
      const e3 = endpoint(other);
      for (const e of [e1, e2, e3]) await s.insert(e);
      expect(await s.get(e1.id)).toEqual(e1);
      expect(await s.get('nope')).toBeUndefined();
      expect((await s.list(app)).map((e) => e.id)).toEqual([e1.id, e2.id]);
      expect(await s.count(app)).toBe(2);
      expect((await s.listEnabled([app, other])).map((e) => e.id).sort()).toEqual([e1.id, e3.id].sort());
      expect(await s.listEnabled([])).toEqual([]);

      expect(
        await s.update(
          e1.id,
          { url: 'https://93.184.216.35/x', events: ['case.resolved'], enabled: false },
          3000,
        ),
      ).toBe(true);
      expect(await s.get(e1.id)).toMatchObject({
        url: 'https://93.184.216.35/x',
        events: ['case.resolved'],
        enabled: false,
        description: 'first',
        updatedAt: 3000,
      });
      expect(await s.update('nope', { description: 'x' }, 1)).toBe(false);

      expect(await s.rotateSecret(e3.id, 'whsec_BBBB', 9000, 4000)).toBe(true);
      expect(await s.get(e3.id)).toMatchObject({
        secret: 'whsec_BBBB',
        previousSecret: 'whsec_AAAA',
        previousSecretExpiresAt: 9000,
        updatedAt: 4000,
      });
      expect(await s.remove(e3.id)).toBe(true);
      expect(await s.remove(e3.id)).toBe(false);
      expect(await s.get(e3.id)).toBeUndefined();
    });
  });

  describe('webhook delivery store', () => {
    const delivery = (
      endpointId: string,
      attempt: number,
      over: Partial<WebhookDelivery> = {},
    ): WebhookDelivery => ({
      id: ulid(),
      app: 'a',
      endpointId,
      messageId: 'm1',
      webhookId: 'msg_1',
      type: 'decision.high_risk',
      attempt,
      status: 'failed',
      statusCode: 500,
      durationMs: 12,
      error: 'HTTP 500',
      responseBody: 'oops',
      nextAttemptAt: 5000,
      createdAt: 1000 * attempt,
      ...over,
    });

    it('logs attempts and pages them newest first, with a status filter', async () => {
      const s = createWebhookDeliveryStore(db);
      const ep = ulid();
      const rows = [1, 2, 3, 4].map((n) =>
        delivery(ep, n, n === 4 ? { status: 'dead', nextAttemptAt: null } : {}),
      );
      for (const r of rows) await s.insert(r);
      await s.insert(delivery(ulid(), 1));
      expect(await s.get(rows[0]!.id)).toEqual(rows[0]);
      const page = await s.list({ endpointId: ep, limit: 3 });
      expect(page.map((d) => d.attempt)).toEqual([4, 3, 2]);
      const rest = await s.list({ endpointId: ep, limit: 3, before: page[2]!.id });
      expect(rest.map((d) => d.attempt)).toEqual([1]);
      expect((await s.list({ endpointId: ep, limit: 10, status: 'dead' })).map((d) => d.attempt)).toEqual([
        4,
      ]);

      expect(await s.purge(2500)).toBeGreaterThanOrEqual(2);
      expect((await s.list({ endpointId: ep, limit: 10 })).map((d) => d.attempt)).toEqual([4, 3]);
      expect(await s.removeByEndpoint(ep)).toBe(2);
      expect(await s.list({ endpointId: ep, limit: 10 })).toEqual([]);
    });
  });
}
