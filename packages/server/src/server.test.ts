import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';
import { startServer } from './server.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function config(extra: Record<string, string> = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), 'vigil-start-'));
  dirs.push(dir);
  return loadConfig({
    DATA_DIR: path.join(dir, 'nested', 'data'),
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    ...extra,
  });
}

describe('startServer', () => {
  it('first start creates DATA_DIR, the database and one admin key; later starts do not', async () => {
    const c = config();
    const first = await startServer(c);
    try {
      expect(first.createdAdminKey).toMatch(/^vgl_/);
      const res = await fetch(`${first.url}/v1/apps`, {
        headers: { authorization: `Bearer ${first.createdAdminKey}` },
      });
      expect(res.status).toBe(200);
      expect(await (await fetch(`${first.url}/readyz`)).json()).toEqual({ status: 'ready' });
    } finally {
      await first.close();
    }
    const second = await startServer(c);
    try {
      expect(second.createdAdminKey).toBeUndefined();
      const res = await fetch(`${second.url}/v1/apps`, {
        headers: { authorization: `Bearer ${first.createdAdminKey}` },
      });
      expect(res.status).toBe(200);
    } finally {
      await second.close();
    }
  });

  it('VIGIL_ADMIN_KEY seeds the admin key (not printed)', async () => {
    const key = 'automation-admin-key-0123456789';
    const s = await startServer(config({ VIGIL_ADMIN_KEY: key }));
    try {
      expect(s.createdAdminKey).toBeUndefined();
      const res = await fetch(`${s.url}/v1/apps`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'auto' }),
      });
      expect(res.status).toBe(201);
      expect(((await res.json()) as { apiKey: string }).apiKey).toMatch(/^vgl_/);
    } finally {
      await s.close();
    }
  });
});
