import { escalate, MAF_DEFAULTS } from '@vigil/engine';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HEADS } from '../access/file-heads.fake.js';
import { createWiredTestServer, type WiredTestServer } from './wired-test-server.js';

let s: WiredTestServer;
let app: { id: string; apiKey: string };

beforeAll(async () => {
  s = await createWiredTestServer();
  app = await s.createApp('community');
});
afterAll(async () => {
  await s.close();
});

const events = () => s.rt.db.kysely.selectFrom('events').selectAll().where('app_id', '=', app.id).execute();
const post = (url: string, body: unknown, headers?: Record<string, string>) =>
  s.call('POST', url, { key: app.apiKey, body, ...(headers ? { headers } : {}) });

describe('POST /api/bse/process', () => {
  const example = {
    user_id: 'user_123',
    event_type: 'login',
    metadata: {
      ip_address: '192.0.2.10',
      user_agent: 'Mozilla/5.0 (Macintosh)',
      timestamp: '2026-01-15T11:59:00Z',
    },
  };

  it("answers the spec example's behavior_score and risk_level and stores the mapped event", async () => {
    const res = await post('/api/bse/process', example);
    expect(res.statusCode).toBe(200);
    const body = res.json<Record<string, unknown>>();
    expect(body).toMatchObject({
      success: true,
      user_id: 'user_123',
      event_type: 'login',
      behavior_score: 80,
      risk_level: 'SAFE',
      flag_color: 'GREEN',
      anomalies_detected: [],
      access_level: 'FULL',
      action: 'allow',
      captcha_required: false,
      duplicate: false,
    });
    const stored = (await events()).find((e) => e.id === body['event_id']);
    expect(stored).toMatchObject({
      type: 'login',
      user_id: 'user_123',
      at: Date.parse('2026-01-15T11:59:00Z'),
    });
    expect(JSON.parse(stored!.payload)).toMatchObject({
      ip: '192.0.2.10',
      userAgent: 'Mozilla/5.0 (Macintosh)',
    });
  });

  it('is idempotent: the same timed body (or Idempotency-Key) answers the first decision and stores nothing', async () => {
    const before = (await events()).length;
    const again = await post('/api/bse/process', example);
    expect(again.json()).toMatchObject({ duplicate: true });
    const keyed = await post(
      '/api/bse/process',
      { user_id: 'user_9', event_type: 'social_interaction' },
      { 'idempotency-key': 'bse-retry-1' },
    );
    const keyedAgain = await post(
      '/api/bse/process',
      { user_id: 'user_9', event_type: 'social_interaction' },
      { 'idempotency-key': 'bse-retry-1' },
    );
    expect(keyed.json()).toMatchObject({ event_id: 'bse-retry-1', event_type: 'social', duplicate: false });
    expect(keyedAgain.json()).toMatchObject({ event_id: 'bse-retry-1', duplicate: true });
    // without a timestamp or key every call is a new event
    await post('/api/bse/process', { user_id: 'user_9', event_type: 'login' });
    await post('/api/bse/process', { user_id: 'user_9', event_type: 'login' });
    expect((await events()).length).toBe(before + 3);
  });

  it('maps source event names and accepts numeric user ids and epoch-second timestamps', async () => {
    const res = await post('/api/bse/process', {
      user_id: 42,
      event_type: 'meme_upload',
      metadata: { timestamp: Date.UTC(2026, 0, 15, 11) / 1000, image_hash: 'ab12cd34ef567890' },
    });
    expect(res.json()).toMatchObject({ user_id: '42', event_type: 'upload' });
    const custom = await post('/api/bse/process', { user_id: 'u', event_type: 'quest_completed' });
    expect(custom.json()).toMatchObject({ event_type: 'custom:quest_completed' });
  });

  it('answers 400 at the source paths, never 500', async () => {
    const ip = await post('/api/bse/process', {
      ...example,
      metadata: { ip_address: '999.1.1.1', timestamp: 'yesterday' },
    });
    expect(ip.statusCode).toBe(400);
    expect(
      ip
        .json<{ details: { path: string }[] }>()
        .details.map((d) => d.path)
        .sort(),
    ).toEqual(['/metadata/ip_address', '/metadata/timestamp']);
    const future = await post('/api/bse/process', {
      ...example,
      metadata: { timestamp: '2030-01-01T00:00:00Z' },
    });
    expect(future.json()).toMatchObject({
      details: [{ path: '/metadata/timestamp', message: 'event time is too far in the future' }],
    });
    const type = await post('/api/bse/process', { user_id: 'u', event_type: 'not valid!' });
    expect(type.json()).toMatchObject({ error: 'validation_failed', details: [{ path: '/event_type' }] });
    expect((await post('/api/bse/process', { event_type: 'login' })).statusCode).toBe(400);
    expect(
      (await post('/api/bse/process', { user_id: 'u', event_type: 'login', metadata: 'x' })).statusCode,
    ).toBe(400);
    const longAttr = await post('/api/bse/process', {
      user_id: 'u',
      event_type: 'login',
      metadata: { ['k'.repeat(80)]: 1 },
    });
    expect(longAttr.statusCode).toBe(400);
    expect(longAttr.json()).toMatchObject({ details: [{ path: `/metadata/${'k'.repeat(80)}` }] });
    expect((await s.call('POST', '/api/bse/process', { key: s.adminKey, body: example })).statusCode).toBe(
      403,
    );
    expect((await s.call('POST', '/api/bse/process', { body: example })).statusCode).toBe(401);
  });
});

describe('POST /api/maf/detect', () => {
  it("answers the spec example's flag_color and anomalies_detected, escalating with the behavior_score sent", async () => {
    const ok = await post('/api/maf/detect', {
      user_id: 'new_1',
      event_type: 'signup',
      request_data: {
        ip_address: '198.51.100.20',
        user_agent: 'Mozilla/5.0',
        screen_resolution: '1920x1080',
      },
      behavior_score: 65,
    });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({
      flag_color: 'GREEN',
      anomalies_detected: [],
      behavior_score: 65,
      action: 'allow',
    });

    let last: Record<string, unknown> = {};
    for (let i = 2; i <= MAF_DEFAULTS.ipSignup.redAt; i++) {
      const r = await post('/api/maf/detect', {
        user_id: `new_${i}`,
        event_type: 'signup',
        request_data: {
          ip_address: '198.51.100.20',
          user_agent: 'Mozilla/5.0',
          screen_resolution: '1920x1080',
        },
        behavior_score: 65,
      });
      last = r.json();
    }
    expect(last).toMatchObject({
      flag_color: 'RED',
      anomalies_detected: ['ip_signup_cluster'],
      behavior_score: 65,
    });
    const e = escalate('RED', 65);
    expect(last).toMatchObject({ action: e.action, escalation_reason: e.reason });
    expect(last['action']).not.toBe('allow');
  });

  it('reads the fingerprint fields (a 0-px screen is headless) and falls back to the stored score', async () => {
    const r = await post('/api/maf/detect', {
      user_id: 'ghost',
      event_type: 'login',
      request_data: { ip_address: '198.51.100.99', screen_resolution: '0x0' },
    });
    const body = r.json<{ flag_color: string; anomalies_detected: string[]; behavior_score: number }>();
    expect(body.flag_color).toBe('RED');
    expect(body.anomalies_detected.length).toBeGreaterThan(0);
    expect(body.behavior_score).toBe(80);
  });

  it('answers 400 for a behavior_score out of range', async () => {
    const r = await post('/api/maf/detect', { user_id: 'u', event_type: 'login', behavior_score: 150 });
    expect(r.statusCode).toBe(400);
    expect(r.json().details).toEqual([expect.objectContaining({ path: '/behavior_score' })]);
  });
});

describe('POST /api/agk/validate', () => {
  it('answers validate_access for a known user', async () => {
    await post('/api/bse/process', { user_id: 'alice', event_type: 'login' });
    const r = await post('/api/agk/validate', { user_id: 'alice' });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({
      user_id: 'alice',
      access_granted: true,
      access_level: 'FULL',
      behavior_score: 80,
      errors: [],
      upload: null,
    });
  });

  it("refuses an unknown user with an error instead of a 404 (the source's shape)", async () => {
    const r = await post('/api/agk/validate', { user_id: 'stranger' });
    expect(r.json()).toEqual({
      user_id: 'stranger',
      access_granted: false,
      access_level: 'MINIMAL',
      behavior_score: null,
      errors: ["no user 'stranger' in this app: send events for it first"],
      upload: null,
    });
  });

  it("validates the spec's upload example, with and without the file's bytes", async () => {
    const example = {
      user_id: 'alice',
      content_type: 'image/jpeg',
      content_length: 5 * 1024 * 1024,
      filename: 'meme.jpg',
    };
    expect((await post('/api/agk/validate', example)).json()).toMatchObject({
      access_granted: true,
      upload: { valid: true, detected_type: null, max_bytes: 15 * 1024 * 1024, errors: [] },
    });
    const disguised = await post('/api/agk/validate', {
      ...example,
      file_head: Buffer.from(HEADS.pdf).toString('base64'),
    });
    expect(disguised.json()).toMatchObject({
      access_granted: false,
      access_level: 'FULL',
      upload: { valid: false, detected_type: 'application/pdf' },
    });
    expect(disguised.json<{ errors: string[] }>().errors).toEqual([
      'the content is application/pdf, which is not allowed',
      'the file is declared as image/jpeg but its content is application/pdf',
      "the extension '.jpg' stands for image/jpeg but the content is application/pdf",
    ]);
  });

  it('needs all upload fields together, and well-formed bytes', async () => {
    const r = await post('/api/agk/validate', { user_id: 'alice', filename: 'meme.jpg' });
    expect(r.statusCode).toBe(400);
    expect(r.json<{ details: { path: string }[] }>().details.map((d) => d.path)).toEqual([
      '/content_type',
      '/content_length',
    ]);
    const bad = await post('/api/agk/validate', {
      user_id: 'alice',
      filename: 'meme.jpg',
      content_type: 'image/jpeg',
      content_length: 10,
      file_head: '%%%',
    });
    expect(bad.json()).toMatchObject({ details: [{ path: '/file_head' }] });
  });
});
