import { createEngine, type VigilEvent } from '@vigil/engine';
import { describe, expect, it } from 'vitest';
import { createEnricher } from './enricher.js';
import { mergeEnrichment, type EnrichmentProvider } from './enrichment-provider.js';
import { withResilience } from './resilient-provider.js';

const base: VigilEvent = {
  id: 'e1',
  app: 'a',
  type: 'login',
  at: 0,
  ip: '52.1.2.3',
  attrs: { ip_vpn: true, mine: 1 },
};

const fixed = (
  name: string,
  attrs: Record<string, string | number | boolean>,
  delayMs = 0,
): EnrichmentProvider => ({
  name,
  cacheKey: (e) => e.ip,
  enrich: () => new Promise((r) => setTimeout(() => r(attrs), delayMs)),
});

describe('enricher', () => {
  it('merges results into attrs (provider values win, later providers over earlier ones)', async () => {
    const enricher = createEnricher([
      withResilience(fixed('one', { ip_asn: 1, shared: 'one', mine: 2 })),
      withResilience(fixed('two', { shared: 'two' })),
    ]);
    const out = await enricher.enrich(base);
    expect(out.attrs).toEqual({ ip_vpn: true, mine: 2, ip_asn: 1, shared: 'two' });
    expect(out).not.toBe(base);
    expect(base.attrs).toEqual({ ip_vpn: true, mine: 1 });
  });

  it('runs providers concurrently and a failing or hanging one does not hold the others back', async () => {
    const broken: EnrichmentProvider = { name: 'broken', enrich: () => Promise.reject(new Error('down')) };
    const hanging: EnrichmentProvider = { name: 'hanging', enrich: () => new Promise(() => {}) };
    const enricher = createEnricher([
      withResilience(fixed('slow', { a: 1 }, 60)),
      withResilience(fixed('slow2', { b: 2 }, 60)),
      withResilience(broken),
      withResilience(hanging, { timeoutMs: 100 }),
    ]);
    const t0 = performance.now();
    const out = await enricher.enrich(base);
    const took = performance.now() - t0;
    expect(out.attrs).toMatchObject({ a: 1, b: 2 });
    expect(took).toBeLessThan(400);
    expect(took).toBeGreaterThanOrEqual(95);
  });

  it('returns the event itself when nothing was found', async () => {
    expect(mergeEnrichment(base, [{}, {}])).toBe(base);
    expect(await createEnricher([]).enrich(base)).toBe(base);
  });

  it('feeds the engine: an IPHub block 1 answer raises the IP reputation signal', async () => {
    const enricher = createEnricher([
      withResilience(fixed('iphub', { iphub_block: 1, ip_hosting: true, ip_proxy: true })),
    ]);
    const engine = createEngine();
    const plain: VigilEvent = { id: 'p1', app: 'a', type: 'login', at: 0, ip: '52.1.2.3' };
    const codes = (e: VigilEvent) => engine.score(e, 0).signals.map((s) => s.code);
    expect(codes(plain).some((c) => c.startsWith('shield.ip_reputation'))).toBe(false);
    const enriched = await enricher.enrich({ ...plain, id: 'p2' });
    expect(codes(enriched)).toContain('shield.ip_reputation.anonymizer');
  });
});
