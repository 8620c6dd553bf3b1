import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config.js';
import { startServer, type RunningServer } from '../../server.js';
import { startFakeReceiver, type FakeReceiver } from '../webhooks/webhook-receiver.fake.js';

const ADMIN_KEY = 'vgl_acceptance_admin_key_0123456789abcdefghij';

/**
 * The acceptance contract over real HTTP: a listening server (wall clock, dispatcher
 * running), a real webhook receiver on loopback, signatures checked with the `standardwebhooks`
 * package as a receiver would.
 */
describe('acceptance: guest fraud signal → auto-block → signed enforcement.created → status', () => {
  let dir: string;
  let server: RunningServer;
  let receiver: FakeReceiver;

  const api = async (method: string, url: string, key: string, body?: unknown) => {
    const res = await fetch(`${server.url}${url}`, {
      method,
      headers: {
        authorization: `Bearer ${key}`,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, json: (text === '' ? null : JSON.parse(text)) as Record<string, unknown> };
  };

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'vigil-accept-'));
    receiver = await startFakeReceiver();
    server = await startServer(
      loadConfig({
        DATA_DIR: dir,
        PORT: '0',
        HOST: '127.0.0.1',
        VIGIL_ADMIN_KEY: ADMIN_KEY,
        WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true',
        SNAPSHOT_INTERVAL_MS: '0',
        LOG_LEVEL: 'silent',
      }),
    );
  });
  afterAll(async () => {
    await server?.close();
    await receiver?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('fulfils the contract', async () => {
    const app = await api('POST', '/v1/apps', ADMIN_KEY, { name: 'casino' });
    expect(app.status).toBe(201);
    const appKey = String(app.json['apiKey']);

    const hook = await api('POST', '/v1/webhooks', appKey, {
      url: receiver.url,
      events: ['enforcement.created'],
    });
    expect(hook.status).toBe(201);
    expect(hook.json['id']).toEqual(expect.any(String));
    const secret = String(hook.json['secret']);
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/=]+$/);

    const decided = await api('POST', '/v1/events', appKey, {
      id: 'sig-1',
      type: 'fraud_signal',
      user: 'guest-7',
      tier: 'guest',
    });
    expect(decided.status).toBe(200);
    expect(decided.json['enforcement']).toMatchObject({
      action: 'auto_block',
      tier: 'guest',
      durationMs: 72 * 3_600_000,
    });

    await receiver.waitFor(1);
    const delivery = receiver.requests[0];
    if (delivery === undefined) throw new Error('no delivery');
    const headers = {
      'webhook-id': String(delivery.headers['webhook-id']),
      'webhook-timestamp': String(delivery.headers['webhook-timestamp']),
      'webhook-signature': String(delivery.headers['webhook-signature']),
    };
    const payload = new Webhook(secret).verify(delivery.body, headers) as {
      type: string;
      app: string;
      data: Record<string, unknown>;
    };
    expect(payload).toMatchObject({
      type: 'enforcement.created',
      app: app.json['id'],
      data: { user: 'guest-7', action: 'auto_block', status: 'active', tier: 'guest', eventId: 'sig-1' },
    });
    expect(() =>
      new Webhook(`whsec_${Buffer.from('wrong secret, 32 bytes long!!!!!').toString('base64')}`).verify(
        delivery.body,
        headers,
      ),
    ).toThrow();

    const status = await api('GET', '/v1/users/guest-7/status', appKey);
    expect(status.status).toBe(200);
    expect(status.json).toMatchObject({
      user: 'guest-7',
      app: app.json['id'],
      blocked: true,
      suspended: false,
      suspendedUntil: null,
      restrictedFeatures: [],
      enforcements: [{ id: payload.data['id'], action: 'auto_block', status: 'active', features: [] }],
    });
    expect((await api('GET', '/v1/users/nobody/status', appKey)).status).toBe(404);
    // exactly one delivery for one enforcement
    expect(receiver.requests).toHaveLength(1);
  });
});
