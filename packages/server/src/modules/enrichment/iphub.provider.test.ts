import type { VigilEvent } from '@vigil/engine';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  startFakeProvider,
  recordingLogger,
  type FakeAnswer,
  type FakeProvider,
} from './http-provider.fake.js';
import { createIphubProvider, iphubAttrs } from './iphub.provider.js';
import { withResilience } from './resilient-provider.js';

const KEY = 'test-iphub-key';
const event = (ip: string | undefined, id = 'e1'): VigilEvent => ({
  id,
  app: 'a',
  type: 'login',
  at: 0,
  ...(ip !== undefined ? { ip } : {}),
});

/** IPHub v2: GET /ip/{ip} with X-Key; 403 without a valid key. */
function iphub(
  blockOf: (ip: string) => 0 | 1 | 2,
): (r: { url: string; headers: Record<string, unknown> }) => FakeAnswer {
  return (r) => {
    if (r.headers['x-key'] !== KEY) return { status: 403, body: '{"error":"Invalid API key"}' };
    const m = /^\/ip\/([^/]+)$/.exec(r.url);
    if (!m?.[1]) return { status: 404, body: '{"error":"not found"}' };
    const ip = decodeURIComponent(m[1]);
    return {
      status: 200,
      body: JSON.stringify({
        ip,
        countryCode: 'US',
        countryName: 'United States',
        asn: 16509,
        isp: 'AMAZON-02',
        block: blockOf(ip),
        hostname: ip,
      }),
    };
  };
}

let fake: FakeProvider;
beforeAll(async () => {
  fake = await startFakeProvider(iphub(() => 1));
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => {
  fake.requests.length = 0;
  fake.answer(iphub((ip) => (ip.startsWith('52.') ? 1 : ip.startsWith('9.') ? 2 : 0)));
});

describe('IPHub provider', () => {
  it('looks the IP up with X-Key and maps block 1 to hosting/proxy', async () => {
    const p = withResilience(createIphubProvider({ apiKey: KEY, baseUrl: `${fake.url}/` }));
    expect(await p.enrich(event('52.1.2.3'))).toEqual({
      iphub_block: 1,
      ip_hosting: true,
      ip_proxy: true,
      ip_asn: 16509,
      ip_isp: 'AMAZON-02',
      ip_country: 'US',
    });
    expect(fake.requests[0]).toMatchObject({ method: 'GET', url: '/ip/52.1.2.3' });
    expect(fake.requests[0]!.headers['x-key']).toBe(KEY);
    expect(await p.enrich(event('81.2.69.160'))).toEqual({
      iphub_block: 0,
      ip_asn: 16509,
      ip_isp: 'AMAZON-02',
      ip_country: 'US',
    });
    expect((await p.enrich(event('9.9.9.9')))['iphub_block']).toBe(2);
    expect(await p.enrich(event('2001:db8::1'))).toMatchObject({ iphub_block: 0 });
    expect(fake.requests[3]!.url).toBe('/ip/2001%3Adb8%3A%3A1');
  });

  it('serves repeated and concurrent lookups of one IP from one request', async () => {
    const p = withResilience(createIphubProvider({ apiKey: KEY, baseUrl: fake.url }));
    const [a, b, c] = await Promise.all([
      p.enrich(event('52.0.0.1', 'x')),
      p.enrich(event('52.0.0.1', 'y')),
      p.enrich(event('52.0.0.1', 'z')),
    ]);
    expect(a).toEqual(b);
    expect(b).toEqual(c);
    expect(await p.enrich(event('52.0.0.1', 'w'))).toEqual(a);
    expect(fake.requests).toHaveLength(1);
    expect(p.stats()).toMatchObject({ lookups: 4, cacheHits: 3, calls: 1 });
  });

  it('re-asks after the TTL', async () => {
    let now = 0;
    const p = withResilience(createIphubProvider({ apiKey: KEY, baseUrl: fake.url }), {
      cacheTtlMs: 1000,
      now: () => now,
    });
    await p.enrich(event('52.0.0.2'));
    now = 999;
    await p.enrich(event('52.0.0.2'));
    expect(fake.requests).toHaveLength(1);
    now = 1000;
    await p.enrich(event('52.0.0.2'));
    expect(fake.requests).toHaveLength(2);
  });

  it('does not look up events without an IP, or private and reserved addresses', async () => {
    const p = withResilience(createIphubProvider({ apiKey: KEY, baseUrl: fake.url }));
    for (const ip of [undefined, '10.1.2.3', '192.168.0.1', '127.0.0.1', '::1', 'not-an-ip'])
      expect(await p.enrich(event(ip))).toEqual({});
    expect(fake.requests).toHaveLength(0);
    expect(p.stats().lookups).toBe(0);
  });

  it('answers {} within the timeout when the server hangs, aborting the request', async () => {
    fake.answer(() => ({ hang: true }));
    const log = recordingLogger();
    const p = withResilience(createIphubProvider({ apiKey: KEY, baseUrl: fake.url }), {
      timeoutMs: 100,
      logger: log,
    });
    const t0 = performance.now();
    expect(await p.enrich(event('52.9.9.9'))).toEqual({});
    const took = performance.now() - t0;
    expect(took).toBeGreaterThanOrEqual(95);
    expect(took).toBeLessThan(600);
    expect(p.stats()).toMatchObject({ calls: 1, failures: 1, timeouts: 1, circuit: 'closed' });
    expect(fake.requests).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 50));
    expect(fake.requests[0]!.aborted).toBe(true);
    expect(log.warns[0]?.msg).toBe('enrichment lookup failed; scoring without it');
    expect(log.warns[0]?.obj).toMatchObject({ provider: 'iphub' });
    // a failure is not cached: the next event asks again
    fake.answer(iphub(() => 1));
    expect((await p.enrich(event('52.9.9.9')))['iphub_block']).toBe(1);
  });

  it('handles 5xx, 4xx, malformed JSON and unexpected answers as {} (not cached)', async () => {
    const log = recordingLogger();
    const p = withResilience(createIphubProvider({ apiKey: KEY, baseUrl: fake.url }), {
      logger: log,
      breakerFailures: 100,
    });
    const answers: FakeAnswer[] = [
      { status: 500, body: 'oops' },
      { status: 503, body: '' },
      { status: 429, body: '{"error":"rate limited"}' },
      { status: 200, body: '{"block": 1' },
      { status: 200, body: '<html>' },
      { status: 200, body: '{"ip":"52.1.1.1","block":"yes"}' },
      { status: 200, body: '[]' },
    ];
    for (const a of answers) {
      fake.answer(() => a);
      expect(await p.enrich(event('52.1.1.1')), JSON.stringify(a)).toEqual({});
    }
    expect(p.stats()).toMatchObject({ calls: 7, failures: 7, cacheHits: 0 });
    expect(log.warns).toHaveLength(7);
    const wrongKey = withResilience(createIphubProvider({ apiKey: 'wrong', baseUrl: fake.url }), {
      breakerFailures: 100,
    });
    fake.answer(iphub(() => 0));
    expect(await wrongKey.enrich(event('52.1.1.1'))).toEqual({});
    expect(wrongKey.stats().failures).toBe(1); // 403 means the provider is unusable: it counts
    expect(iphubAttrs({ block: 2, asn: -1, isp: '', countryCode: 'ZZ' })).toEqual({ iphub_block: 2 });
  });

  it('opens the circuit after consecutive failures and half-opens after the cool-down', async () => {
    let now = 0;
    const log = recordingLogger();
    fake.answer(() => ({ status: 502, body: 'bad gateway' }));
    const p = withResilience(createIphubProvider({ apiKey: KEY, baseUrl: fake.url }), {
      breakerFailures: 3,
      breakerCooldownMs: 10_000,
      now: () => now,
      logger: log,
    });
    for (let i = 0; i < 3; i++) expect(await p.enrich(event(`52.0.1.${i}`))).toEqual({});
    expect(p.stats().circuit).toBe('open');
    for (let i = 0; i < 5; i++) expect(await p.enrich(event(`52.0.2.${i}`))).toEqual({});
    expect(fake.requests).toHaveLength(3);
    expect(p.stats().shortCircuits).toBe(5);
    expect(log.warns.some((w) => w.msg === 'enrichment circuit opened')).toBe(true);

    // still failing at the trial: open again for another cool-down
    now = 10_000;
    expect(await p.enrich(event('52.0.3.1'))).toEqual({});
    expect(fake.requests).toHaveLength(4);
    expect(p.stats().circuit).toBe('open');
    expect(await p.enrich(event('52.0.3.2'))).toEqual({});
    expect(fake.requests).toHaveLength(4);

    // recovered: the trial succeeds and the circuit closes
    fake.answer(iphub(() => 1));
    now = 20_000;
    expect((await p.enrich(event('52.0.4.1')))['iphub_block']).toBe(1);
    expect(p.stats().circuit).toBe('closed');
    expect((await p.enrich(event('52.0.4.2')))['iphub_block']).toBe(1);
    expect(fake.requests).toHaveLength(6);
  });

  it('lets only one trial through while half-open', async () => {
    let now = 0;
    fake.answer(() => ({ status: 500, body: '' }));
    const p = withResilience(createIphubProvider({ apiKey: KEY, baseUrl: fake.url }), {
      breakerFailures: 1,
      breakerCooldownMs: 1000,
      now: () => now,
    });
    await p.enrich(event('52.5.5.1'));
    expect(p.stats().circuit).toBe('open');
    now = 1000;
    fake.answer(iphub(() => 1));
    fake.requests.length = 0;
    const results = await Promise.all([
      p.enrich(event('52.5.5.2')),
      p.enrich(event('52.5.5.3')),
      p.enrich(event('52.5.5.4')),
    ]);
    expect(fake.requests).toHaveLength(1);
    expect(results.filter((r) => r['iphub_block'] === 1)).toHaveLength(1);
    expect(p.stats().circuit).toBe('closed');
  });

  it('does not count 404 answers toward the circuit (the provider is up)', async () => {
    fake.answer(() => ({ status: 404, body: '{"error":"unknown"}' }));
    const p = withResilience(createIphubProvider({ apiKey: KEY, baseUrl: fake.url }), { breakerFailures: 2 });
    for (let i = 0; i < 5; i++) expect(await p.enrich(event(`52.6.6.${i}`))).toEqual({});
    expect(p.stats()).toMatchObject({ calls: 5, failures: 0, circuit: 'closed' });
  });

  it('answers {} when nothing listens (connection refused)', async () => {
    const closed = await startFakeProvider(() => ({ status: 200, body: '{}' }));
    await closed.close();
    const p = withResilience(createIphubProvider({ apiKey: KEY, baseUrl: closed.url }));
    expect(await p.enrich(event('52.7.7.7'))).toEqual({});
    expect(p.stats().failures).toBe(1);
  });
});
