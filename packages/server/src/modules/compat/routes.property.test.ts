import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWiredTestServer, type WiredTestServer } from './wired-test-server.js';

let s: WiredTestServer;
let key: string;

beforeAll(async () => {
  s = await createWiredTestServer();
  key = (await s.createApp('fuzz')).apiKey;
});
afterAll(async () => {
  await s.close();
});

/** Every body-taking route of these modules, with the fields its source shape names. */
const ROUTES: readonly {
  readonly method: 'POST' | 'PUT';
  readonly url: string;
  readonly fields: readonly string[];
}[] = [
  {
    method: 'POST',
    url: '/api/bse/process',
    fields: ['user_id', 'event_type', 'metadata', 'event_id', 'tier'],
  },
  {
    method: 'POST',
    url: '/api/maf/detect',
    fields: ['user_id', 'event_type', 'request_data', 'behavior_score'],
  },
  {
    method: 'POST',
    url: '/api/agk/validate',
    fields: ['user_id', 'resource', 'content_type', 'content_length', 'filename', 'file_head'],
  },
  {
    method: 'POST',
    url: '/api/shield/ingest',
    fields: ['userId', 'tier', 'eventType', 'data', 'app', 'eventId', 'timestamp'],
  },
  {
    method: 'POST',
    url: '/v1/score',
    fields: ['transaction_id', 'amount', 'user_id', 'merchant_id', 'timestamp', 'ip_address'],
  },
  {
    method: 'POST',
    url: '/analyze',
    fields: ['transaction_id', 'sender', 'recipient', 'amount', 'timestamp'],
  },
  { method: 'POST', url: '/api/behavior/track', fields: ['userId', 'behaviorData', 'sessionId'] },
  { method: 'POST', url: '/v1/access/validate', fields: ['user', 'resource'] },
  {
    method: 'POST',
    url: '/v1/uploads/validate',
    fields: ['user', 'filename', 'contentType', 'contentLength', 'head'],
  },
  { method: 'POST', url: '/v1/access/challenge', fields: ['wallet'] },
  { method: 'POST', url: '/v1/access/verify', fields: ['wallet', 'signature'] },
  {
    method: 'PUT',
    url: '/v1/config',
    fields: ['access', 'levels', 'captcha', 'rules', 'gatekeeper', 'combination'],
  },
];

const value = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom(
    'login',
    'signup',
    '2026-01-15T12:00:00Z',
    1768478400,
    '203.0.113.1',
    '0x' + 'ab'.repeat(20),
    '/9j/4A==',
    '',
  ),
);

describe('bad input never answers 500', () => {
  for (const r of ROUTES) {
    it(`${r.method} ${r.url}`, async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(
            fc.jsonValue({ maxDepth: 3 }),
            fc.dictionary(fc.constantFrom(...r.fields), value, { maxKeys: r.fields.length }),
          ),
          async (body) => {
            const res = await s.call(r.method, r.url, { key, body: JSON.stringify(body) });
            expect(res.statusCode, res.body).toBeLessThan(500);
          },
        ),
        { numRuns: 60 },
      );
    });
  }
});
