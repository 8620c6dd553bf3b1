import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestServer, type TestServer } from '../../testing/test-server.js';

// Batch scoring through the real runtime: the routes are registered by buildApp, jobs run in the
// runtime's batch service with the app's engine, and live feature state is left alone.
let s: TestServer;
let shop: { id: string; apiKey: string };
let other: { id: string; apiKey: string };

beforeAll(async () => {
  s = await createTestServer();
  shop = await s.createApp('batch-shop');
  other = await s.createApp('batch-other');
});
afterAll(async () => {
  await s.close();
});

const CSV = [
  'id,type,at,user,amount,ip,is_fraud',
  'b1,payment,2026-01-10T10:00:00Z,u1,12.5,1.2.3.4,0',
  'b2,payment,2026-01-10T10:01:00Z,u1,not-a-number,1.2.3.4,0',
  'b3,payment,2026-01-10T10:02:00Z,u2,9500,1.2.3.5,1',
  '',
].join('\n');

describe('batch scoring wired into the runtime', () => {
  it('scores an uploaded CSV in the background, reports bad rows by line, and keeps it private', async () => {
    const features = Buffer.from(s.rt.engine.store.snapshot()).toString('base64');
    const up = await s.app.inject({
      method: 'POST',
      url: '/v1/batch',
      headers: { authorization: `Bearer ${shop.apiKey}`, 'content-type': 'text/csv' },
      payload: CSV,
    });
    expect(up.statusCode).toBe(202);
    const { id } = up.json<{ id: string }>();
    await s.rt.batches.idle();

    const job = await s.call('GET', `/v1/batch/${id}`, { key: shop.apiKey });
    expect(job.statusCode).toBe(200);
    expect(job.json()).toMatchObject({ status: 'done', total: 3, processed: 3, scored: 2, errors: 1 });
    expect(JSON.stringify(job.json())).toContain('"line":3');

    const result = await s.call('GET', `/v1/batch/${id}/result?format=json`, { key: shop.apiKey });
    expect(result.statusCode).toBe(200);
    expect(result.body).toContain('b3');

    expect((await s.call('GET', `/v1/batch/${id}`, { key: other.apiKey })).statusCode).toBe(404);
    // live features untouched by batch scoring
    expect(Buffer.from(s.rt.engine.store.snapshot()).toString('base64')).toBe(features);
  });

  it('refuses an unsupported content type with a 4xx', async () => {
    const res = await s.app.inject({
      method: 'POST',
      url: '/v1/batch',
      headers: { authorization: `Bearer ${shop.apiKey}`, 'content-type': 'application/xml' },
      payload: '<rows/>',
    });
    expect(res.statusCode).toBeGreaterThanOrEqual(400);
    expect(res.statusCode).toBeLessThan(500);
  });
});
