import type { Decision } from '@vigil/engine';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestServer, type TestServer } from '../../testing/test-server.js';

// The lists module through the real runtime: entries written over HTTP reach the engine of the
// writing app only.
let s: TestServer;
let shop: { id: string; apiKey: string };
let other: { id: string; apiKey: string };

beforeAll(async () => {
  s = await createTestServer();
  shop = await s.createApp('wired-shop');
  other = await s.createApp('wired-other');
});
afterAll(async () => {
  await s.close();
});

describe('lists wired into the runtime', () => {
  it('blocks an event from a listed CIDR in the listing app and nowhere else', async () => {
    const add = await s.call('POST', '/v1/lists/ip', {
      key: shop.apiKey,
      body: { value: '198.51.100.0/24', verdict: 'block', label: 'fraud_ring' },
    });
    expect(add.statusCode).toBe(201);

    const hit = await s.call('POST', '/v1/events', {
      key: shop.apiKey,
      body: { id: 'w-1', type: 'login', user: 'mallory', ip: '198.51.100.77' },
    });
    expect(hit.statusCode).toBe(200);
    expect(hit.json<Decision>().outcome).toBe('block');

    const elsewhere = await s.call('POST', '/v1/events', {
      key: other.apiKey,
      body: { id: 'w-1', type: 'login', user: 'mallory', ip: '198.51.100.77' },
    });
    expect(elsewhere.statusCode).toBe(200);
    expect(elsewhere.json<Decision>().outcome).not.toBe('block');
  });

  it('rejects an invalid CIDR with a 400 and writes nothing', async () => {
    const res = await s.call('POST', '/v1/lists/ip', {
      key: shop.apiKey,
      body: { value: '10.0.0.0/40', verdict: 'block' },
    });
    expect(res.statusCode).toBe(400);
    const list = await s.call('GET', '/v1/lists/ip', { key: shop.apiKey });
    expect(JSON.stringify(list.json())).not.toContain('10.0.0.0');
  });
});
