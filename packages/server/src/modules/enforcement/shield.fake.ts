import type { LightMyRequestResponse } from 'fastify';
import { createPgTestDatabaseUrl } from '../../storage/test-databases.js';
import { createTestServer, type TestServer } from '../../testing/test-server.js';
import { startFakeReceiver, type FakeReceiver } from '../webhooks/webhook-receiver.fake.js';

/** Webhook kinds the shield emits. */
export const SHIELD_KINDS = [
  'enforcement.created',
  'enforcement.updated',
  'enforcement.lifted',
  'case.resolved',
  'anomaly.alert',
] as const;

/** A delivered webhook body. */
export interface Delivered {
  readonly type: string;
  readonly app: string;
  readonly data: Record<string, unknown>;
}

/** A test server with apps, admin keys of each role and a receiver subscribed to every shield kind. */
export interface ShieldHarness {
  readonly s: TestServer;
  readonly viewerKey: string;
  readonly analystKey: string;
  newApp(): Promise<{ readonly id: string; readonly key: string }>;
  /** Subscribes a receiver to every shield kind of the app; `delivered()` drains the outbox and reads them. */
  subscribe(appKey: string): Promise<void>;
  /** Delivers what is pending and returns every body received so far, in order. */
  delivered(): Promise<readonly Delivered[]>;
  event(key: string, body: Record<string, unknown>): Promise<LightMyRequestResponse>;
  call(
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    url: string,
    key: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

function parseBody(body: string): Delivered {
  const v: unknown = JSON.parse(body);
  if (typeof v !== 'object' || v === null) throw new Error('webhook body is not an object');
  const type: unknown = Reflect.get(v, 'type');
  const app: unknown = Reflect.get(v, 'app');
  const data: unknown = Reflect.get(v, 'data');
  if (typeof type !== 'string' || typeof app !== 'string' || typeof data !== 'object' || data === null) {
    throw new Error('webhook body lacks type, app or data');
  }
  return { type, app, data: Object.fromEntries(Object.entries(data)) };
}

let seq = 0;

/** Where a harness keeps its data: extra environment (DATABASE_URL) and how to drop it. */
export interface ShieldDatabase {
  readonly env: Readonly<Record<string, string>>;
  drop(): Promise<void>;
}

/** The test server's own SQLite file. @example startShieldHarness(await sqliteDatabase()) */
export async function sqliteDatabase(): Promise<ShieldDatabase> {
  return { env: {}, drop: async () => {} };
}

/** A fresh PostgreSQL database on the test server. @example startShieldHarness(await postgresDatabase()) */
export async function postgresDatabase(): Promise<ShieldDatabase> {
  const { url, drop } = await createPgTestDatabaseUrl();
  return { env: { DATABASE_URL: url }, drop };
}

/**
 * Starts the harness (SQLite, fake clock, outbox delivered on demand, loopback webhooks allowed).
 * @example const h = await startShieldHarness(); const a = await h.newApp(); await h.event(a.key, { type: 'fraud_signal', user: 'u1' });
 */
export async function startShieldHarness(
  database: ShieldDatabase = { env: {}, drop: async () => {} },
): Promise<ShieldHarness> {
  const s = await createTestServer({
    WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true',
    OUTBOX_DISPATCH: 'false',
    WEBHOOK_TIMEOUT_MS: '2000',
    ...database.env,
  });
  const viewerKey = (await s.rt.keys.create({ role: 'viewer', name: 'viewer' }, 'test')).key;
  const analystKey = (await s.rt.keys.create({ role: 'analyst', name: 'analyst' }, 'test')).key;
  let receiver: FakeReceiver | undefined;
  const call: ShieldHarness['call'] = (method, url, key, body, headers) =>
    s.call(method, url, { key, ...(body !== undefined ? { body } : {}), ...(headers ? { headers } : {}) });
  return {
    s,
    viewerKey,
    analystKey,
    async newApp() {
      const a = await s.createApp();
      return { id: a.id, key: a.apiKey };
    },
    async subscribe(appKey) {
      receiver ??= await startFakeReceiver();
      const res = await call('POST', '/v1/webhooks', appKey, {
        url: receiver.url,
        events: [...SHIELD_KINDS],
      });
      if (res.statusCode !== 201) throw new Error(`subscribing failed: ${res.statusCode} ${res.body}`);
    },
    async delivered() {
      await s.rt.outbox.drain();
      return (receiver?.requests ?? []).map((r) => parseBody(r.body));
    },
    event(key, body) {
      return call('POST', '/v1/events', key, { id: `ev-${++seq}`, ...body });
    },
    call,
    async close() {
      await s.close();
      await receiver?.close();
      await database.drop();
    },
  };
}
