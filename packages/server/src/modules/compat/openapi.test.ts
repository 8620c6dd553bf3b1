import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWiredTestServer, type WiredTestServer } from './wired-test-server.js';

let s: WiredTestServer;
beforeAll(async () => {
  s = await createWiredTestServer();
});
afterAll(async () => {
  await s.close();
});

describe('OpenAPI', () => {
  it('documents every route of the config, access, entity and compatibility modules', async () => {
    const res = await s.call('GET', '/openapi.json');
    expect(res.statusCode).toBe(200);
    const doc = res.json<{ paths: Record<string, Record<string, unknown>> }>();
    const expected: [string, string][] = [
      ['/v1/config', 'get'],
      ['/v1/config', 'put'],
      ['/v1/config/versions', 'get'],
      ['/v1/access/validate', 'post'],
      ['/v1/uploads/validate', 'post'],
      ['/v1/access/challenge', 'post'],
      ['/v1/access/verify', 'post'],
      ['/v1/access/session', 'post'],
      ['/v1/wallets/{address}', 'get'],
      ['/v1/devices/{id}', 'get'],
      ['/api/bse/process', 'post'],
      ['/api/maf/detect', 'post'],
      ['/api/agk/validate', 'post'],
      ['/api/shield/ingest', 'post'],
      ['/api/shield/events', 'get'],
      ['/api/shield/enforcements', 'get'],
      ['/api/shield/stats', 'get'],
      ['/v1/score', 'post'],
      ['/analyze', 'post'],
      ['/wallet/{address}', 'get'],
      ['/stats', 'get'],
      ['/api/behavior/track', 'post'],
    ];
    for (const [path, method] of expected)
      expect(doc.paths[path]?.[method], `${method} ${path}`).toBeDefined();
  });
});
