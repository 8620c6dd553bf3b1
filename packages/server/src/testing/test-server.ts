import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { createFakeClock } from './fake-clock.js';
import { buildApp } from '../app.js';
import { loadConfig, type Config } from '../config.js';
import { createRuntime, type Runtime } from '../runtime.js';

/** A server over a temporary SQLite file, with a fake clock and an admin key. */
export interface TestServer {
  readonly app: FastifyInstance;
  readonly rt: Runtime;
  readonly clock: ReturnType<typeof createFakeClock>;
  readonly config: Config;
  /** A key with the admin role. */
  readonly adminKey: string;
  /** Creates an app and returns its id and key. */
  createApp(name?: string): Promise<{ readonly id: string; readonly apiKey: string }>;
  /** `app.inject` with a bearer key and a JSON body. */
  call(
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    url: string,
    opts?: {
      readonly key?: string | undefined;
      readonly body?: unknown;
      readonly headers?: Record<string, string>;
    },
  ): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

let appCounter = 0;

/**
 * Starts a test server. `env` overrides configuration variables (DATABASE_URL for PostgreSQL).
 * @example const s = await createTestServer(); const res = await s.call('GET', '/v1/apps', { key: s.adminKey });
 */
export async function createTestServer(env: Record<string, string> = {}): Promise<TestServer> {
  const dir = mkdtempSync(path.join(tmpdir(), 'vigil-srv-'));
  const config = loadConfig({ DATA_DIR: dir, SNAPSHOT_INTERVAL_MS: '0', ...env });
  const clock = createFakeClock(Date.UTC(2026, 0, 15, 12));
  const rt = await createRuntime({ config, clock });
  const admin = await rt.keys.create({ role: 'admin', name: 'test admin' }, 'test');
  const app = await buildApp(rt);
  const call: TestServer['call'] = (method, url, opts = {}) => {
    const headers: Record<string, string> = { ...(opts.headers ?? {}) };
    if (opts.key !== undefined) headers['authorization'] = `Bearer ${opts.key}`;
    if (opts.body !== undefined) {
      return app.inject({
        method,
        url,
        headers: { 'content-type': 'application/json', ...headers },
        payload: typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body),
      });
    }
    return app.inject({ method, url, headers });
  };
  return {
    app,
    rt,
    clock,
    config,
    adminKey: admin.key,
    call,
    async createApp(name = `app-${++appCounter}-${Math.random().toString(36).slice(2, 7)}`) {
      const res = await call('POST', '/v1/apps', { key: admin.key, body: { name } });
      if (res.statusCode !== 201) throw new Error(`creating app failed: ${res.statusCode} ${res.body}`);
      const body = res.json<{ id: string; apiKey: string }>();
      return { id: body.id, apiKey: body.apiKey };
    },
    async close() {
      await app.close();
      await rt.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
