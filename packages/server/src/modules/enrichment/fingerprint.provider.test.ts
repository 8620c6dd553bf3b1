import type { VigilEvent } from '@vigil/engine';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createEnricher } from './enricher.js';
import { createFingerprintProvider, fingerprintAttrs } from './fingerprint.provider.js';
import { startFakeProvider, type FakeAnswer, type FakeProvider } from './http-provider.fake.js';
import { withResilience } from './resilient-provider.js';

const KEY = 'fp-secret';

/** A Server API `/events/{requestId}` answer, shaped like FingerprintJS Pro's v3 response. */
function eventBody(visitorId: string, bot: string, vpn: boolean, incognito: boolean, tampering: boolean) {
  return {
    products: {
      identification: {
        data: {
          visitorId,
          requestId: 'ignored',
          incognito,
          confidence: { score: 0.99 },
          browserDetails: { browserName: 'Chrome' },
        },
      },
      botd: { data: { bot: { result: bot }, url: 'https://shop.example/login' } },
      vpn: { data: { result: vpn, originTimezone: 'Europe/Berlin', methods: { timezoneMismatch: vpn } } },
      proxy: { data: { result: false } },
      incognito: { data: { result: incognito } },
      tampering: { data: { result: tampering, anomalyScore: tampering ? 0.9 : 0.01 } },
      ipInfo: { error: { code: 'Failed', message: 'internal' } },
    },
  };
}

function serverApi(r: { url: string; headers: Record<string, unknown> }): FakeAnswer {
  if (r.headers['auth-api-key'] !== KEY)
    return { status: 403, body: '{"error":{"code":"TokenRequired","message":"secret key is required"}}' };
  const m = /^\/events\/([^/?]+)$/.exec(r.url);
  const id = m?.[1] ? decodeURIComponent(m[1]) : '';
  if (id === 'req-bad')
    return { status: 200, body: JSON.stringify(eventBody('vis-bad', 'bad', true, true, true)) };
  if (id.startsWith('req-'))
    return {
      status: 200,
      body: JSON.stringify(eventBody(`vis-${id.slice(4)}`, 'notDetected', false, false, false)),
    };
  return { status: 404, body: '{"error":{"code":"RequestNotFound","message":"request id not found"}}' };
}

const ev = (attrs: Record<string, string> | undefined, device?: string): VigilEvent => ({
  id: 'e1',
  app: 'a',
  type: 'login',
  at: 0,
  ...(attrs !== undefined ? { attrs } : {}),
  ...(device !== undefined ? { device } : {}),
});

let fake: FakeProvider;
beforeAll(async () => {
  fake = await startFakeProvider(serverApi);
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => {
  fake.requests.length = 0;
  fake.answer(serverApi);
});

describe('FingerprintJS Pro provider', () => {
  it('fetches the event by request id with Auth-API-Key and maps bot, VPN, incognito, tampering', async () => {
    const p = withResilience(createFingerprintProvider({ apiKey: KEY, baseUrl: fake.url }));
    expect(await p.enrich(ev({ fp_request_id: 'req-bad' }))).toEqual({
      fp_visitor_id: 'vis-bad',
      fp_bot: 'bad',
      fp_vpn: true,
      fp_proxy: false,
      fp_incognito: true,
      fp_tampering: true,
    });
    expect(fake.requests[0]).toMatchObject({ method: 'GET', url: '/events/req-bad' });
    expect(fake.requests[0]!.headers['auth-api-key']).toBe(KEY);
  });

  it('fills event.device with the visitor id when absent, keeps a device the app sent', async () => {
    const enricher = createEnricher([
      withResilience(createFingerprintProvider({ apiKey: KEY, baseUrl: fake.url })),
    ]);
    const filled = await enricher.enrich(ev({ fp_request_id: 'req-7', other: 'kept' }));
    expect(filled.device).toBe('vis-7');
    expect(filled.attrs).toMatchObject({
      fp_request_id: 'req-7',
      other: 'kept',
      fp_bot: 'notDetected',
      fp_vpn: false,
    });
    const kept = await enricher.enrich(ev({ fp_request_id: 'req-8' }, 'app-device'));
    expect(kept.device).toBe('app-device');
    expect(kept.attrs?.['fp_visitor_id']).toBe('vis-8');
  });

  it('caches by request id and skips events without a usable one', async () => {
    const p = withResilience(createFingerprintProvider({ apiKey: KEY, baseUrl: fake.url }));
    await p.enrich(ev({ fp_request_id: 'req-1' }));
    await p.enrich(ev({ fp_request_id: 'req-1' }));
    expect(fake.requests).toHaveLength(1);
    const unusable: (Record<string, string> | undefined)[] = [
      undefined,
      {},
      { fp_request_id: '' },
      { fp_request_id: '../../admin' },
      { fp_request_id: 'x'.repeat(101) },
    ];
    for (const attrs of unusable) expect(await p.enrich(ev(attrs))).toEqual({});
    expect(fake.requests).toHaveLength(1);
  });

  it('treats an unknown request id (404) as nothing found, not as a provider failure', async () => {
    const p = withResilience(createFingerprintProvider({ apiKey: KEY, baseUrl: fake.url }), {
      breakerFailures: 1,
    });
    expect(await p.enrich(ev({ fp_request_id: 'unknown-1' }))).toEqual({});
    expect(await p.enrich(ev({ fp_request_id: 'unknown-2' }))).toEqual({});
    expect(p.stats()).toMatchObject({ calls: 2, failures: 0, circuit: 'closed' });
  });

  it('answers {} for a wrong key (403), 5xx, malformed JSON, and opens the circuit', async () => {
    const wrong = withResilience(createFingerprintProvider({ apiKey: 'nope', baseUrl: fake.url }), {
      breakerFailures: 2,
    });
    expect(await wrong.enrich(ev({ fp_request_id: 'req-1' }))).toEqual({});
    expect(await wrong.enrich(ev({ fp_request_id: 'req-2' }))).toEqual({});
    expect(wrong.stats().circuit).toBe('open');
    expect(await wrong.enrich(ev({ fp_request_id: 'req-3' }))).toEqual({});
    expect(fake.requests).toHaveLength(2);

    const p = withResilience(createFingerprintProvider({ apiKey: KEY, baseUrl: fake.url }), {
      breakerFailures: 10,
    });
    for (const a of [
      { status: 500, body: '{"error":{"code":"Failed"}}' },
      { status: 200, body: '{"products": ' },
      { status: 200, body: '{"visitorId":"flat-shape"}' },
    ] satisfies FakeAnswer[]) {
      fake.answer(() => a);
      expect(await p.enrich(ev({ fp_request_id: 'req-9' }))).toEqual({});
    }
    expect(p.stats().failures).toBe(3);
  });

  it('answers {} within the timeout when the Server API hangs', async () => {
    fake.answer(() => ({ hang: true }));
    const p = withResilience(createFingerprintProvider({ apiKey: KEY, baseUrl: fake.url }), {
      timeoutMs: 80,
    });
    const t0 = performance.now();
    expect(await p.enrich(ev({ fp_request_id: 'req-slow' }))).toEqual({});
    expect(performance.now() - t0).toBeLessThan(600);
    expect(p.stats().timeouts).toBe(1);
  });

  it('maps partial answers (products that failed or are missing are left out)', () => {
    expect(
      fingerprintAttrs({
        products: {
          identification: { data: { visitorId: 'v1', incognito: true } },
          botd: { error: { code: 'Failed' } },
          vpn: { data: { result: 'maybe' } },
        },
      }),
    ).toEqual({ fp_visitor_id: 'v1', fp_incognito: true });
    expect(fingerprintAttrs({ products: { botd: { data: { bot: { result: 'weird' } } } } })).toEqual({});
    expect(() => fingerprintAttrs({ visitorId: 'x' })).toThrow('no products');
  });
});
