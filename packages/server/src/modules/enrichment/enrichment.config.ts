import { ConfigError, type ConfigProblem } from '../../config.js';
import { createEnricher, type Enricher } from './enricher.js';
import type { WarnLogger } from './enrichment-provider.js';
import { createFingerprintProvider, FINGERPRINT_DEFAULT_URL } from './fingerprint.provider.js';
import { createIphubProvider, IPHUB_DEFAULT_URL } from './iphub.provider.js';
import { withResilience, type ResilientProvider } from './resilient-provider.js';

/** Environment variables of the enrichment providers, with one line of help each. */
export const ENRICHMENT_VARIABLES = {
  IPHUB_API_KEY: 'IPHub v2 API key; set it to look up VPN/proxy/hosting per IP (off by default)',
  IPHUB_URL: `IPHub-compatible base URL (default ${IPHUB_DEFAULT_URL})`,
  IPHUB_TIMEOUT_MS: 'longest wait for one IP lookup (default 300)',
  FINGERPRINT_API_KEY: 'FingerprintJS Pro secret Server API key; set it to look devices up (off by default)',
  FINGERPRINT_URL: `Server API base URL (default ${FINGERPRINT_DEFAULT_URL}; EU https://eu.api.fpjs.io, Asia https://ap.api.fpjs.io)`,
  FINGERPRINT_TIMEOUT_MS: 'longest wait for one device lookup (default 500)',
  ENRICHMENT_CACHE_SIZE: 'lookups cached per provider (default 10000; 0 = no cache)',
  ENRICHMENT_CACHE_TTL_MS: 'how long a lookup is reused (default 3600000)',
  ENRICHMENT_BREAKER_FAILURES: "consecutive failures that open a provider's circuit (default 5)",
  ENRICHMENT_BREAKER_COOLDOWN_MS:
    'how long an open circuit skips the provider before one trial (default 30000)',
} as const;
type EnrichmentKey = keyof typeof ENRICHMENT_VARIABLES;

/** One provider's connection settings. */
export interface ProviderConfig {
  readonly apiKey: string;
  readonly baseUrl: string;
  readonly timeoutMs: number;
}

/** Validated enrichment settings; a provider is on when its API key is set. */
export interface EnrichmentConfig {
  readonly iphub: ProviderConfig | undefined;
  readonly fingerprint: ProviderConfig | undefined;
  readonly cacheSize: number;
  readonly cacheTtlMs: number;
  readonly breakerFailures: number;
  readonly breakerCooldownMs: number;
}

function int(
  env: Readonly<Record<string, string | undefined>>,
  key: EnrichmentKey,
  dflt: number,
  min: number,
  max: number,
  problems: ConfigProblem[],
): number {
  const raw = env[key]?.trim();
  if (raw === undefined || raw === '') return dflt;
  if (!/^\d+$/.test(raw)) {
    problems.push({ key, message: `must be a whole number, got '${raw}'` });
    return dflt;
  }
  const n = Number(raw);
  if (n < min || n > max) {
    problems.push({ key, message: `must be between ${min} and ${max}, got ${n}` });
    return dflt;
  }
  return n;
}

function url(
  env: Readonly<Record<string, string | undefined>>,
  key: EnrichmentKey,
  dflt: string,
  problems: ConfigProblem[],
): string {
  const raw = env[key]?.trim();
  if (raw === undefined || raw === '') return dflt;
  let parsed: URL | undefined;
  try {
    parsed = new URL(raw);
  } catch {
    problems.push({ key, message: `is not a URL: '${raw}'` });
    return dflt;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    problems.push({ key, message: `must be an http(s) URL, got '${parsed.protocol}'` });
    return dflt;
  }
  return raw;
}

function apiKey(
  env: Readonly<Record<string, string | undefined>>,
  key: EnrichmentKey,
  problems: ConfigProblem[],
): string | undefined {
  const raw = env[key]?.trim();
  if (raw === undefined || raw === '') return undefined;
  if (/[\s\r\n]/.test(raw) || raw.length > 500) {
    problems.push({ key, message: 'must be at most 500 characters without spaces' });
    return undefined;
  }
  return raw;
}

/**
 * Reads the enrichment settings, appending every problem to `problems` (so `loadConfig` can
 * report them together with its own) and using defaults for the bad values.
 * @example const problems: ConfigProblem[] = []; const cfg = collectEnrichmentConfig(env, problems);
 */
export function collectEnrichmentConfig(
  env: Readonly<Record<string, string | undefined>>,
  problems: ConfigProblem[],
): EnrichmentConfig {
  const iphubKey = apiKey(env, 'IPHUB_API_KEY', problems);
  const iphubUrl = url(env, 'IPHUB_URL', IPHUB_DEFAULT_URL, problems);
  const iphubTimeout = int(env, 'IPHUB_TIMEOUT_MS', 300, 1, 60_000, problems);
  const fpKey = apiKey(env, 'FINGERPRINT_API_KEY', problems);
  const fpUrl = url(env, 'FINGERPRINT_URL', FINGERPRINT_DEFAULT_URL, problems);
  const fpTimeout = int(env, 'FINGERPRINT_TIMEOUT_MS', 500, 1, 60_000, problems);
  const cacheSize = int(env, 'ENRICHMENT_CACHE_SIZE', 10_000, 0, 10_000_000, problems);
  const cacheTtlMs = int(env, 'ENRICHMENT_CACHE_TTL_MS', 3_600_000, 1, 30 * 86_400_000, problems);
  const breakerFailures = int(env, 'ENRICHMENT_BREAKER_FAILURES', 5, 1, 1000, problems);
  const breakerCooldownMs = int(env, 'ENRICHMENT_BREAKER_COOLDOWN_MS', 30_000, 0, 86_400_000, problems);
  return Object.freeze({
    iphub:
      iphubKey === undefined ? undefined : { apiKey: iphubKey, baseUrl: iphubUrl, timeoutMs: iphubTimeout },
    fingerprint: fpKey === undefined ? undefined : { apiKey: fpKey, baseUrl: fpUrl, timeoutMs: fpTimeout },
    cacheSize,
    cacheTtlMs,
    breakerFailures,
    breakerCooldownMs,
  });
}

/**
 * Reads and validates the enrichment settings from the environment, listing every problem in one
 * {@link ConfigError}. With no API key set, enrichment is off (both providers undefined).
 * @example const cfg = loadEnrichmentConfig(process.env); cfg.iphub?.timeoutMs; // 300
 */
export function loadEnrichmentConfig(env: Readonly<Record<string, string | undefined>>): EnrichmentConfig {
  const problems: ConfigProblem[] = [];
  const config = collectEnrichmentConfig(env, problems);
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

/**
 * Builds the enricher from the settings, or undefined when no provider is configured (the
 * default: events are scored without enrichment).
 * @example const enricher = createEnrichment(loadEnrichmentConfig(process.env), { logger });
 */
export function createEnrichment(
  config: EnrichmentConfig,
  deps: { readonly logger?: WarnLogger; readonly now?: () => number } = {},
): Enricher | undefined {
  const common = {
    cacheSize: config.cacheSize,
    cacheTtlMs: config.cacheTtlMs,
    breakerFailures: config.breakerFailures,
    breakerCooldownMs: config.breakerCooldownMs,
    ...(deps.logger ? { logger: deps.logger } : {}),
    ...(deps.now ? { now: deps.now } : {}),
  };
  const providers: ResilientProvider[] = [];
  if (config.iphub) {
    providers.push(
      withResilience(createIphubProvider(config.iphub), { ...common, timeoutMs: config.iphub.timeoutMs }),
    );
  }
  if (config.fingerprint) {
    providers.push(
      withResilience(createFingerprintProvider(config.fingerprint), {
        ...common,
        timeoutMs: config.fingerprint.timeoutMs,
      }),
    );
  }
  return providers.length === 0 ? undefined : createEnricher(providers);
}
