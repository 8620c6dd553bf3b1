import { isPrivateIp, parseIp, type VigilEvent } from '@vigil/engine';
import {
  EnrichmentError,
  type EnrichContext,
  type EnrichmentAttrs,
  type EnrichmentProvider,
  type EnrichmentValue,
} from './enrichment-provider.js';
import { getJson, prop, trimBase } from './http-json.js';

/** IPHub's public endpoint. */
export const IPHUB_DEFAULT_URL = 'https://v2.api.iphub.info';

/** Options of {@link createIphubProvider}. */
export interface IphubOptions {
  /** The X-Key API key. */
  readonly apiKey: string;
  /** Base URL (default {@link IPHUB_DEFAULT_URL}). */
  readonly baseUrl?: string;
}

const COUNTRY_RE = /^[A-Z]{2}$/;

/**
 * Maps an IPHub v2 answer to event attributes: `iphub_block` (0 residential, 1 non-residential:
 * hosting, proxy or VPN, 2 mixed), `ip_hosting` and `ip_proxy` true for block 1, `ip_asn`,
 * `ip_isp`, `ip_country`. Throws when `block` is missing or not 0, 1 or 2.
 * @example iphubAttrs({ ip: '1.2.3.4', block: 1, asn: 16509, isp: 'AMAZON-02' }); // { iphub_block: 1, ip_hosting: true, ip_proxy: true, ip_asn: 16509, ip_isp: 'AMAZON-02' }
 */
export function iphubAttrs(body: unknown): EnrichmentAttrs {
  const block = prop(body, 'block');
  if (block !== 0 && block !== 1 && block !== 2) {
    throw new EnrichmentError(`unexpected IPHub answer: block is ${JSON.stringify(block) ?? 'missing'}`);
  }
  const out: Record<string, EnrichmentValue> = { iphub_block: block };
  if (block === 1) {
    out['ip_hosting'] = true;
    out['ip_proxy'] = true;
  }
  const asn = prop(body, 'asn');
  if (typeof asn === 'number' && Number.isInteger(asn) && asn > 0) out['ip_asn'] = asn;
  const isp = prop(body, 'isp');
  if (typeof isp === 'string' && isp !== '') out['ip_isp'] = isp.slice(0, 200);
  const country = prop(body, 'countryCode');
  if (typeof country === 'string' && COUNTRY_RE.test(country) && country !== 'ZZ')
    out['ip_country'] = country;
  return out;
}

/**
 * IP intelligence speaking IPHub's v2 protocol: `GET {baseUrl}/ip/{ip}` with header `X-Key`.
 * Private and reserved addresses are not looked up.
 * @example const p = withResilience(createIphubProvider({ apiKey: process.env.IPHUB_API_KEY! }));
 */
export function createIphubProvider(opts: IphubOptions): EnrichmentProvider {
  const base = trimBase(opts.baseUrl ?? IPHUB_DEFAULT_URL);
  const headers = { 'X-Key': opts.apiKey };
  return {
    name: 'iphub',
    cacheKey(event: VigilEvent): string | undefined {
      const ip = event.ip;
      if (ip === undefined) return undefined;
      const parsed = parseIp(ip);
      return parsed === undefined || isPrivateIp(parsed) ? undefined : ip;
    },
    async enrich(event: VigilEvent, ctx?: EnrichContext): Promise<EnrichmentAttrs> {
      const ip = event.ip;
      if (ip === undefined) return {};
      return iphubAttrs(await getJson(`${base}/ip/${encodeURIComponent(ip)}`, headers, ctx?.signal));
    },
  };
}
