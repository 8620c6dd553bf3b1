import type { VigilEvent } from '@vigil/engine';
import {
  DEVICE_ATTR,
  EnrichmentError,
  type EnrichContext,
  type EnrichmentAttrs,
  type EnrichmentProvider,
  type EnrichmentValue,
} from './enrichment-provider.js';
import { getJson, prop, trimBase } from './http-json.js';

/** FingerprintJS Pro's Server API (global region; EU and Asia have their own hosts). */
export const FINGERPRINT_DEFAULT_URL = 'https://api.fpjs.io';

/** The event attribute carrying the client's identification request id. */
export const FP_REQUEST_ATTR = 'fp_request_id';

/** Bot verdicts of the Server API. */
export const FP_BOT_RESULTS = ['notDetected', 'good', 'bad'] as const;

/** Options of {@link createFingerprintProvider}. */
export interface FingerprintOptions {
  /** The secret Server API key (header Auth-API-Key). */
  readonly apiKey: string;
  /** Base URL (default {@link FINGERPRINT_DEFAULT_URL}). */
  readonly baseUrl?: string;
}

const REQUEST_ID_RE = /^[A-Za-z0-9._-]{1,100}$/;

function productData(body: unknown, product: string): unknown {
  return prop(prop(prop(body, 'products'), product), 'data');
}

function flag(out: Record<string, EnrichmentValue>, name: string, value: unknown): void {
  if (typeof value === 'boolean') out[name] = value;
}

/**
 * Maps a Server API `/events/{requestId}` answer to attributes: `fp_visitor_id` (which becomes
 * `event.device` when the event has none), `fp_bot` ('notDetected' | 'good' | 'bad'), `fp_vpn`,
 * `fp_proxy`, `fp_incognito`, `fp_tampering`. Throws when the answer has no `products`.
 * @example fingerprintAttrs({ products: { identification: { data: { visitorId: 'v1' } } } }); // { fp_visitor_id: 'v1' }
 */
export function fingerprintAttrs(body: unknown): EnrichmentAttrs {
  const products = prop(body, 'products');
  if (typeof products !== 'object' || products === null) {
    throw new EnrichmentError('unexpected Server API answer: no products');
  }
  const out: Record<string, EnrichmentValue> = {};
  const ident = productData(body, 'identification');
  const visitorId = prop(ident, 'visitorId');
  if (typeof visitorId === 'string' && visitorId !== '' && visitorId.length <= 200)
    out[DEVICE_ATTR] = visitorId;
  const bot = prop(prop(productData(body, 'botd'), 'bot'), 'result');
  if (typeof bot === 'string' && (FP_BOT_RESULTS as readonly string[]).includes(bot)) out['fp_bot'] = bot;
  flag(out, 'fp_vpn', prop(productData(body, 'vpn'), 'result'));
  flag(out, 'fp_proxy', prop(productData(body, 'proxy'), 'result'));
  const incognito = prop(productData(body, 'incognito'), 'result');
  flag(out, 'fp_incognito', typeof incognito === 'boolean' ? incognito : prop(ident, 'incognito'));
  flag(out, 'fp_tampering', prop(productData(body, 'tampering'), 'result'));
  return out;
}

/**
 * Server-side device lookup speaking FingerprintJS Pro's Server API:
 * `GET {baseUrl}/events/{requestId}` with header `Auth-API-Key`; the request id comes from
 * `attrs.fp_request_id` (sent by the app from the browser agent's result).
 * @example const p = withResilience(createFingerprintProvider({ apiKey: process.env.FINGERPRINT_API_KEY! }));
 */
export function createFingerprintProvider(opts: FingerprintOptions): EnrichmentProvider {
  const base = trimBase(opts.baseUrl ?? FINGERPRINT_DEFAULT_URL);
  const headers = { 'Auth-API-Key': opts.apiKey };
  const requestId = (event: VigilEvent): string | undefined => {
    const v = event.attrs?.[FP_REQUEST_ATTR];
    return typeof v === 'string' && REQUEST_ID_RE.test(v) ? v : undefined;
  };
  return {
    name: 'fingerprint',
    cacheKey: requestId,
    async enrich(event: VigilEvent, ctx?: EnrichContext): Promise<EnrichmentAttrs> {
      const id = requestId(event);
      if (id === undefined) return {};
      return fingerprintAttrs(
        await getJson(`${base}/events/${encodeURIComponent(id)}`, headers, ctx?.signal),
      );
    },
  };
}
