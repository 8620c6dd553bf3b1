import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../config.js';
import { createEnrichment, loadEnrichmentConfig } from './enrichment.config.js';

describe('enrichment configuration', () => {
  it('is off by default', () => {
    const c = loadEnrichmentConfig({});
    expect(c).toMatchObject({
      iphub: undefined,
      fingerprint: undefined,
      cacheSize: 10_000,
      breakerFailures: 5,
    });
    expect(createEnrichment(c)).toBeUndefined();
  });

  it('turns a provider on with its key, with defaults for the rest', () => {
    const c = loadEnrichmentConfig({
      IPHUB_API_KEY: ' k1 ',
      FINGERPRINT_API_KEY: 'k2',
      FINGERPRINT_URL: 'https://eu.api.fpjs.io',
    });
    expect(c.iphub).toEqual({ apiKey: 'k1', baseUrl: 'https://v2.api.iphub.info', timeoutMs: 300 });
    expect(c.fingerprint).toEqual({ apiKey: 'k2', baseUrl: 'https://eu.api.fpjs.io', timeoutMs: 500 });
    expect(createEnrichment(c)?.providers.map((p) => p.name)).toEqual(['iphub', 'fingerprint']);
  });

  it('lists every problem at once', () => {
    let err: unknown;
    try {
      loadEnrichmentConfig({
        IPHUB_API_KEY: 'has space',
        IPHUB_URL: 'ftp://x',
        IPHUB_TIMEOUT_MS: '0',
        FINGERPRINT_URL: 'not a url',
        ENRICHMENT_CACHE_SIZE: '-1',
        ENRICHMENT_BREAKER_COOLDOWN_MS: 'soon',
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    if (!(err instanceof ConfigError)) return;
    expect(err.problems.map((p) => p.key)).toEqual([
      'IPHUB_API_KEY',
      'IPHUB_URL',
      'IPHUB_TIMEOUT_MS',
      'FINGERPRINT_URL',
      'ENRICHMENT_CACHE_SIZE',
      'ENRICHMENT_BREAKER_COOLDOWN_MS',
    ]);
  });
});
