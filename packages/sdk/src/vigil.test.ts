import { afterAll, beforeAll, beforeEach, describe, expect, expectTypeOf, it, vi } from 'vitest';
import { startFakeVigil, unusedUrl, type FakeVigil } from './testing/fake-vigil.js';
import { Vigil, signalEvent, type TrackResult } from './vigil.js';
import { VigilError } from './vigil-error.js';
import { signWebhook, WebhookVerificationError } from './webhook-verify.js';
import type { Decision, UserStatus } from './wire-types.js';

let fake: FakeVigil;
let downUrl: string;

beforeAll(async () => {
  fake = await startFakeVigil();
  downUrl = await unusedUrl();
});
afterAll(() => fake.close());
beforeEach(() => {
  fake.requests.length = 0;
  Object.assign(fake.behaviour, {
    statusDelayMs: 0,
    eventDelayMs: 0,
    failNext: 0,
    failStatus: 503,
    retryAfterSec: undefined,
  });
});

function client(extra: Partial<ConstructorParameters<typeof Vigil>[0]> = {}): Vigil {
  return new Vigil({ apiUrl: fake.url, apiKey: fake.apiKey, retryBaseMs: 5, ...extra });
}

const eventPosts = () => fake.requests.filter((r) => r.method === 'POST' && r.path === '/v1/events');
const statusGets = (user: string) => fake.requests.filter((r) => r.path === `/v1/users/${user}/status`);

describe('options', () => {
  it('refuses a bad apiUrl or an empty apiKey before any request', () => {
    expect(() => new Vigil({ apiUrl: 'not a url', apiKey: 'k' })).toThrow(/apiUrl/);
    expect(() => new Vigil({ apiUrl: 'ftp://x', apiKey: 'k' })).toThrow(/http/);
    expect(() => new Vigil({ apiUrl: 'http://x', apiKey: '' })).toThrow(/apiKey/);
    expect(() => new Vigil({ apiUrl: 'http://x', apiKey: 'k', timeoutMs: -1 })).toThrow(/timeoutMs/);
  });

  it('sends the key, app name, environment and SDK user agent', async () => {
    await client({ appName: 'casino', environment: 'staging' }).score({ type: 'login', user: 'h1' });
    const h = eventPosts()[0]!.headers;
    expect(h['authorization']).toBe(`Bearer ${fake.apiKey}`);
    expect(h['x-vigil-app-name']).toBe('casino');
    expect(h['x-vigil-environment']).toBe('staging');
    expect(h['user-agent']).toBe('vigil-sdk-node/0.1.0');
    expect(h['content-type']).toBe('application/json');
  });

  it('keeps a path prefix of apiUrl', async () => {
    const v = new Vigil({ apiUrl: `${fake.url}/prefix/`, apiKey: fake.apiKey, retries: 0 });
    const err = await v.score({ type: 'login' }).catch((e: unknown) => e);
    expect(fake.requests.at(-1)!.path).toBe('/prefix/v1/events');
    expect(err).toBeInstanceOf(VigilError);
    expect((err as VigilError).status).toBe(404);
  });
});

describe('score and track', () => {
  it('score returns the typed decision and generates an id', async () => {
    const d = await client().score({ type: 'login', user: 'u-score' });
    expectTypeOf(d).toEqualTypeOf<Decision>();
    expect(d.outcome).toBe('allow');
    expect(d.level).toBe('SAFE');
    expect(d.user).toBe('u-score');
    const sent = eventPosts()[0]!.body as { id: string; type: string };
    expect(sent.type).toBe('login');
    expect(sent.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(d.eventId).toBe(sent.id);
  });

  it('keeps an id the app gives', async () => {
    const d = await client().score({ id: 'my-event-1', type: 'payment', amount: 10, currency: 'EUR' });
    expect(d.eventId).toBe('my-event-1');
  });

  it('rejects with the server code, status and details on a validation error', async () => {
    const err = await client()
      .score({ type: 'payment', amount: -1 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VigilError);
    const e = err as VigilError;
    expect(e.code).toBe('validation_failed');
    expect(e.status).toBe(400);
    expect(e.details).toEqual([{ path: '/amount', message: 'must be >= 0' }]);
    expect(e.unavailable).toBe(false);
    expect(eventPosts()).toHaveLength(1); // 4xx is not retried
  });

  it('rejects with unauthorized on a wrong key', async () => {
    const err = await new Vigil({ apiUrl: fake.url, apiKey: 'wrong' })
      .score({ type: 'login' })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'unauthorized', status: 401 });
  });

  it('track resolves with the decision', async () => {
    const r = await client().track({ type: 'login', user: 'u-track' });
    expectTypeOf(r).toEqualTypeOf<TrackResult>();
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.decision.eventId).toBe(r.id);
  });

  it('track never rejects when Vigil is down: it resolves the error and reports it', async () => {
    const reported: [string, string][] = [];
    const v = new Vigil({
      apiUrl: downUrl,
      apiKey: 'k',
      retryBaseMs: 1,
      onError: (err, op) => reported.push([err.code, op]),
    });
    const r = await v.track({ id: 'e-down', type: 'login' });
    expect(r).toMatchObject({ ok: false, id: 'e-down' });
    if (!r.ok) expect(r.error.code).toBe('network_error');
    expect(reported).toEqual([['network_error', 'track']]);
  });

  it('track survives a throwing onError', async () => {
    const v = new Vigil({
      apiUrl: downUrl,
      apiKey: 'k',
      retries: 0,
      onError: () => {
        throw new Error('logger broke');
      },
    });
    await expect(v.track({ type: 'login' })).resolves.toMatchObject({ ok: false });
  });
});

describe('retries and timeout', () => {
  it('retries a 503 with the same event id and succeeds', async () => {
    fake.behaviour.failNext = 2;
    const d = await client({ retries: 2 }).score({ type: 'login', user: 'u-retry' });
    expect(d.outcome).toBe('allow');
    const posts = fake.requests.filter((r) => r.path === '/v1/events');
    expect(posts).toHaveLength(3);
    expect(eventPosts().at(-1)!.body).toMatchObject({ id: d.eventId });
  });

  it('gives up after the retry cap with the last error', async () => {
    fake.behaviour.failNext = 10;
    const err = await client({ retries: 2 })
      .score({ type: 'login' })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'unavailable', status: 503 });
    expect((err as VigilError).unavailable).toBe(true);
    expect(fake.requests.filter((r) => r.path === '/v1/events')).toHaveLength(3);
  });

  it('waits Retry-After on 429 when the budget allows', async () => {
    fake.behaviour.failNext = 1;
    fake.behaviour.failStatus = 429;
    fake.behaviour.retryAfterSec = 0.2;
    const started = Date.now();
    const d = await client({ retries: 1, timeoutMs: 2000 }).score({ type: 'login' });
    expect(d.outcome).toBe('allow');
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
  });

  it('does not wait a Retry-After longer than the remaining budget', async () => {
    fake.behaviour.failNext = 1;
    fake.behaviour.failStatus = 429;
    fake.behaviour.retryAfterSec = 30;
    const started = Date.now();
    const err = await client({ retries: 3, timeoutMs: 1000 })
      .score({ type: 'login' })
      .catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(900);
    expect(err).toMatchObject({ code: 'rate_limited', status: 429, retryAfterMs: 30_000 });
  });

  it('honours timeoutMs on a slow server', async () => {
    fake.behaviour.eventDelayMs = 3000;
    const started = Date.now();
    const err = await client({ timeoutMs: 150 })
      .score({ type: 'login' })
      .catch((e: unknown) => e);
    const elapsed = Date.now() - started;
    expect(err).toMatchObject({ code: 'timeout', status: undefined });
    expect(elapsed).toBeGreaterThanOrEqual(140);
    expect(elapsed).toBeLessThan(1000);
  });

  it('retries a refused connection and then reports network_error', async () => {
    const err = await new Vigil({ apiUrl: downUrl, apiKey: 'k', retryBaseMs: 1 })
      .score({ type: 'login' })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'network_error', status: undefined });
    expect((err as VigilError).message).toMatch(/ECONNREFUSED/);
  });
});

describe('shield signals', () => {
  it('maps each helper to its event type, lifting event fields and putting the rest in attrs', async () => {
    const v = client();
    await v.sendFraudSignal('s1', 'gold', {
      reason: 'stolen card',
      ip: '203.0.113.9',
      cards: 3,
      flagged: true,
    });
    await v.sendCheatSignal('s1', 'gold', { game: 'poker' });
    await v.sendPaymentRisk('s1', 'silver', { amount: 500, currency: 'USD', bin: '411111' });
    await v.sendBehavioralAnomaly('s1', 'bronze', { pattern: 'scripted', skipped: undefined });
    const bodies = eventPosts().map((r) => r.body as Record<string, unknown>);
    expect(bodies.map((b) => b['type'])).toEqual([
      'fraud_signal',
      'cheat_signal',
      'payment_risk',
      'behavioral_anomaly',
    ]);
    expect(bodies[0]).toMatchObject({
      user: 's1',
      tier: 'gold',
      ip: '203.0.113.9',
      attrs: { reason: 'stolen card', cards: 3, flagged: true },
    });
    expect(bodies[0]!['attrs']).not.toHaveProperty('ip');
    expect(bodies[2]).toMatchObject({ amount: 500, currency: 'USD', attrs: { bin: '411111' } });
    expect(bodies[3]!['attrs']).toEqual({ pattern: 'scripted' });
  });

  it('returns the decision of a signal', async () => {
    const d = await client().sendFraudSignal('s-guest', 'guest', { reason: 'stolen card' });
    expect(d.enforcement.action).toBe('auto_block');
    expect(d.outcome).toBe('block');
    expect(d.signals[0]!.code).toBe('shield.fraud_signal');
  });

  it('signalEvent keeps a wrongly typed event field in attrs and leaves attrs out when empty', () => {
    expect(signalEvent('fraud_signal', 'u', 'guest', { ip: 42, toString: 'x' })).toEqual({
      type: 'fraud_signal',
      user: 'u',
      tier: 'guest',
      attrs: { ip: 42, toString: 'x' },
    });
    expect(signalEvent('cheat_signal', 'u', 'vip', { device: 'd1' })).toEqual({
      type: 'cheat_signal',
      user: 'u',
      tier: 'vip',
      device: 'd1',
    });
  });
});

describe('user status', () => {
  it('answers a clean status for an unknown user', async () => {
    const s = await client().getUserStatus('nobody');
    expectTypeOf(s).toEqualTypeOf<UserStatus>();
    expect(s).toMatchObject({ user: 'nobody', blocked: false, suspended: false, restrictedFeatures: [] });
  });

  it('reads a blocked, suspended and restricted status', async () => {
    const until = Date.now() + 3_600_000;
    await fake.block('st-b', { notify: false });
    await fake.suspend('st-s', until, { notify: false });
    await fake.restrict('st-r', ['betting'], { notify: false });
    const v = client();
    expect((await v.getUserStatus('st-b')).blocked).toBe(true);
    expect(await v.getUserStatus('st-s')).toMatchObject({ suspended: true, suspendedUntil: until });
    const r = await v.getUserStatus('st-r');
    expect(r.restrictedFeatures).toEqual(['betting']);
    expect(r.enforcements[0]).toMatchObject({
      action: 'suspend_features',
      features: ['betting'],
      expiresAt: null,
    });
  });

  it('caches statuses for statusCacheMs, then asks again', async () => {
    let now = 1_000_000;
    const v = client({ statusCacheMs: 30_000, now: () => now });
    await v.getUserStatus('c1');
    await v.getUserStatus('c1');
    expect(statusGets('c1')).toHaveLength(1);
    now += 30_001;
    await v.getUserStatus('c1');
    expect(statusGets('c1')).toHaveLength(2);
  });

  it('makes one request for concurrent checks of one user', async () => {
    fake.behaviour.statusDelayMs = 50;
    const v = client();
    const all = await Promise.all([v.getUserStatus('c2'), v.getUserStatus('c2'), v.getUserStatus('c2')]);
    expect(all.map((s) => s.blocked)).toEqual([false, false, false]);
    expect(statusGets('c2')).toHaveLength(1);
  });

  it('does not cache with statusCacheMs 0', async () => {
    const v = client({ statusCacheMs: 0 });
    await v.getUserStatus('c3');
    await v.getUserStatus('c3');
    expect(statusGets('c3')).toHaveLength(2);
  });

  it('invalidateUserStatus forgets one user', async () => {
    const v = client();
    await v.getUserStatus('c4');
    v.invalidateUserStatus('c4');
    await v.getUserStatus('c4');
    expect(statusGets('c4')).toHaveLength(2);
  });

  it('a suspension ending sooner than the cache TTL ends the cached entry', async () => {
    let now = Date.now();
    await fake.suspend('c5', now + 5_000, { notify: false });
    const v = client({ statusCacheMs: 60_000, now: () => now });
    await v.getUserStatus('c5');
    now += 5_001;
    await v.getUserStatus('c5');
    expect(statusGets('c5')).toHaveLength(2);
  });

  it('answers a stale cached status while Vigil fails, and errors once it is too old', async () => {
    let now = 5_000_000;
    await fake.block('c6', { notify: false });
    const reported: string[] = [];
    const v = client({
      statusCacheMs: 1000,
      staleStatusMs: 10_000,
      retries: 0,
      now: () => now,
      onError: (e, op) => reported.push(`${op}:${e.code}`),
    });
    expect((await v.getUserStatus('c6')).blocked).toBe(true);
    now += 5000;
    fake.behaviour.failNext = 1;
    expect((await v.getUserStatus('c6')).blocked).toBe(true);
    expect(reported).toEqual(['getUserStatus:unavailable']);
    now += 10_000;
    fake.behaviour.failNext = 1;
    await expect(v.getUserStatus('c6')).rejects.toMatchObject({ code: 'unavailable' });
  });

  it('times out a slow status read', async () => {
    fake.behaviour.statusDelayMs = 3000;
    const started = Date.now();
    await expect(client({ timeoutMs: 100 }).getUserStatus('slow')).rejects.toMatchObject({ code: 'timeout' });
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('a 404 for a missing route is an error, not a clean user', async () => {
    const v = new Vigil({ apiUrl: `${fake.url}/nope`, apiKey: fake.apiKey });
    await expect(v.getUserStatus('u1')).rejects.toMatchObject({ status: 404 });
  });

  it('refuses an empty user id', async () => {
    await expect(client().getUserStatus('')).rejects.toMatchObject({ code: 'invalid_argument' });
  });
});

describe('handleWebhook', () => {
  const body = (user: string) =>
    JSON.stringify({ type: 'enforcement.created', app: 'fake-app', data: { user }, at: Date.now() });

  it('verifies and drops the cached status of the user it names', async () => {
    const v = client({ webhookSecret: fake.webhookSecret });
    expect((await v.getUserStatus('w1')).blocked).toBe(false);
    await fake.block('w1', { notify: false });
    expect((await v.getUserStatus('w1')).blocked).toBe(false); // still cached
    const raw = body('w1');
    const payload = v.handleWebhook(signWebhook('m1', Date.now() / 1000, raw, fake.webhookSecret), raw);
    expect(payload).toMatchObject({ type: 'enforcement.created', data: { user: 'w1' } });
    expect((await v.getUserStatus('w1')).blocked).toBe(true);
  });

  it('discards a status fetched before the webhook arrived', async () => {
    const v = client({ webhookSecret: fake.webhookSecret });
    fake.behaviour.statusDelayMs = 80;
    const before = v.getUserStatus('w2');
    await vi.waitFor(() => expect(statusGets('w2')).toHaveLength(1));
    await fake.block('w2', { notify: false });
    const raw = body('w2');
    v.handleWebhook(signWebhook('m2', Date.now() / 1000, raw, fake.webhookSecret), raw);
    expect((await before).blocked).toBe(false); // answered from the state before the block
    fake.behaviour.statusDelayMs = 0;
    expect((await v.getUserStatus('w2')).blocked).toBe(true);
  });

  it('refuses a bad signature and keeps the cache', async () => {
    const v = client({ webhookSecret: fake.webhookSecret });
    await v.getUserStatus('w3');
    const raw = body('w3');
    const other = `whsec_${Buffer.from('another secret').toString('base64')}`;
    expect(() => v.handleWebhook(signWebhook('m3', Date.now() / 1000, raw, other), raw)).toThrow(
      WebhookVerificationError,
    );
    await v.getUserStatus('w3');
    expect(statusGets('w3')).toHaveLength(1);
  });

  it("drops only the named user's status; an enforcement without a user drops all", async () => {
    const v = client({ webhookSecret: fake.webhookSecret });
    const send = (payload: object) => {
      const raw = JSON.stringify(payload);
      return v.handleWebhook(
        signWebhook(`m-${Math.random()}`, Date.now() / 1000, raw, fake.webhookSecret),
        raw,
      );
    };
    await Promise.all([v.getUserStatus('w4'), v.getUserStatus('w5')]);
    send({ type: 'enforcement.lifted', app: 'a', data: { user: 'w4' }, at: 1 });
    await Promise.all([v.getUserStatus('w4'), v.getUserStatus('w5')]);
    expect([statusGets('w4').length, statusGets('w5').length]).toEqual([2, 1]);
    send({ type: 'anomaly.alert', app: 'a', data: { pattern: 'x' }, at: 1 });
    await Promise.all([v.getUserStatus('w4'), v.getUserStatus('w5')]);
    expect([statusGets('w4').length, statusGets('w5').length]).toEqual([2, 1]);
    send({ type: 'enforcement.updated', app: 'a', data: {}, at: 1 });
    await Promise.all([v.getUserStatus('w4'), v.getUserStatus('w5')]);
    expect([statusGets('w4').length, statusGets('w5').length]).toEqual([3, 2]);
  });

  it('needs the webhookSecret option', () => {
    expect(() => client().handleWebhook({}, '{}')).toThrow(/webhookSecret/);
  });
});
