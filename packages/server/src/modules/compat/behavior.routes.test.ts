import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWiredTestServer, type WiredTestServer } from './wired-test-server.js';

let s: WiredTestServer;
let shop: { id: string; apiKey: string };

beforeAll(async () => {
  s = await createWiredTestServer();
  shop = await s.createApp('checkout');
});
afterAll(async () => {
  await s.close();
});

const human = {
  mouseMovements: Array.from({ length: 40 }, (_, i) => ({
    x: 100 + i * 7 + Math.round(12 * Math.sin(i / 3)),
    y: 200 + Math.round(30 * Math.sin(i / 5)) + (i % 3),
    t: 1000 + i * 16 + (i % 4) * 9,
  })),
  keystrokes: [0, 140, 230, 410, 520, 700, 760, 980, 1100, 1290].map((t) => ({ t: 5000 + t })),
  clicks: [0, 850, 2300, 4100, 5200].map((t) => ({ t: 9000 + t })),
  scrollEvents: [120, 80, 240, 100, 53, 300].map((deltaY, i) => ({ deltaY, t: 12000 + i * 200 })),
  formInteractions: [{ field: 'email', focusTime: 2300 }],
  sessionMetrics: { duration: 14000 },
};

const bot = {
  mouseMovements: Array.from({ length: 30 }, (_, i) => ({ x: i * 10, y: i * 5, t: i * 10 })),
  keystrokes: Array.from({ length: 12 }, (_, i) => ({ t: i * 10 })),
  clicks: Array.from({ length: 5 }, (_, i) => ({ t: i * 5 })),
  formInteractions: [],
  sessionMetrics: {},
};

type TrackBody = {
  success: boolean;
  trustScore: number;
  trustLevel: string;
  needsCaptcha: boolean;
  confidence: number;
  reasons: string[];
  patterns: string[];
  aiMethod: string;
  eventId: string;
  duplicate: boolean;
};

const track = (userId: string, trackingData: unknown, key = shop.apiKey) =>
  s.call('POST', '/api/behavior/track', { key, body: { userId, behaviorData: { trackingData } } });

describe('POST /api/behavior/track', () => {
  it('trusts a human session and stores it as a behavior event', async () => {
    const r = await track('shopper_1', human);
    expect(r.statusCode).toBe(200);
    const body = r.json<TrackBody>();
    expect(body).toMatchObject({
      success: true,
      trustScore: 1,
      trustLevel: 'high',
      needsCaptcha: false,
      patterns: [],
      reasons: [],
      aiMethod: 'rule-based',
      duplicate: false,
    });
    const ev = await s.rt.db.kysely
      .selectFrom('events')
      .selectAll()
      .where('app_id', '=', shop.id)
      .where('id', '=', body.eventId)
      .executeTakeFirstOrThrow();
    expect(ev).toMatchObject({ type: 'behavior', user_id: 'shopper_1' });
    expect(JSON.parse(ev.payload)).toMatchObject({
      attrs: {
        rule_trust: 100,
        bot_patterns: '',
        mouse_samples: 40,
        key_samples: 10,
        click_samples: 5,
        scroll_samples: 6,
      },
    });
    // the same samples again are a retry, not a new session
    expect((await track('shopper_1', human)).json()).toMatchObject({
      eventId: body.eventId,
      duplicate: true,
    });
  });

  it("asks a scripted client for a captcha, naming the spec's patterns", async () => {
    const body = (await track('bot_1', bot)).json<TrackBody>();
    expect(body).toMatchObject({ trustScore: 0.35, trustLevel: 'suspicious', needsCaptcha: true });
    expect(body.patterns).toEqual([
      'rapid_clicking',
      'straight_mouse_movement',
      'constant_velocity',
      'impossible_typing_speed',
      'regular_typing',
    ]);
    expect(body.reasons).toHaveLength(5);
  });

  it("caps trust by the engine's decision: webdriver sessions and blocked users", async () => {
    const wd = (await track('wd_1', { ...human, sessionMetrics: { webdriver: true } })).json<TrackBody>();
    expect(wd.trustScore).toBeLessThanOrEqual(0.35);
    expect(wd.needsCaptcha).toBe(true);
    expect(wd.reasons.some((r) => r.includes('webdriver'))).toBe(true);

    await s.lists.add(shop.id, 'user', [{ value: 'banned_1', verdict: 'block', label: 'fraud' }], 'test');
    const banned = (await track('banned_1', human)).json<TrackBody>();
    expect(banned.trustScore).toBeLessThan(0.2);
    expect(banned).toMatchObject({ trustLevel: 'suspicious', needsCaptcha: true });
  });

  it("uses the app's captcha threshold", async () => {
    const oneClickBurst = { ...human, clicks: [{ t: 0 }, { t: 10 }, { t: 20 }] };
    expect((await track('fast_1', oneClickBurst)).json<TrackBody>()).toMatchObject({
      trustScore: 0.8,
      needsCaptcha: false,
    });
    await s.call('PUT', '/v1/config', { key: shop.apiKey, body: { captcha: { threshold: 80 } } });
    expect((await track('fast_2', oneClickBurst)).json<TrackBody>()).toMatchObject({
      trustScore: 0.8,
      needsCaptcha: true,
    });
  });

  it('answers 400 for a malformed body and tolerates malformed samples', async () => {
    expect(
      (await s.call('POST', '/api/behavior/track', { key: shop.apiKey, body: { userId: 'u' } })).statusCode,
    ).toBe(400);
    expect((await track('u', 'nope')).statusCode).toBe(400);
    expect((await track('', human)).statusCode).toBe(400);
    const junk = await track('u', { mouseMovements: 'x', keystrokes: [null, 'a', { t: 'b' }], clicks: [{}] });
    expect(junk.statusCode).toBe(200);
    expect(junk.json()).toMatchObject({ trustScore: 0.8, confidence: 0.3, patterns: [] });
  });
});
