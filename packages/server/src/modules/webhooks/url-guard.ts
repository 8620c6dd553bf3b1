import { promises as dns, type LookupAddress } from 'node:dns';
import type { LookupFunction } from 'node:net';
import { cidrContains, isPrivateIp, parseCidr, parseIp, type Cidr, type ParsedIp } from '@vigil/engine';

/** One address a host name resolves to. */
export interface ResolvedAddress {
  readonly address: string;
  /** 4 or 6. */
  readonly family: number;
}

/** Resolves a host name to every address it has (the system resolver by default). */
export type ResolveHost = (hostname: string) => Promise<readonly ResolvedAddress[]>;

/** `dns.lookup` with `all: true`: what the HTTP client would connect to. @example await systemResolveHost('example.com') */
export const systemResolveHost: ResolveHost = (hostname) =>
  dns.lookup(hostname, { all: true, verbatim: true });

/** How strict the guard is. */
export interface UrlPolicy {
  /** WEBHOOK_ALLOW_PRIVATE_NETWORKS: deliver to loopback, private and link-local addresses too. */
  readonly allowPrivateNetworks: boolean;
  /** Default {@link systemResolveHost}. */
  readonly resolveHost?: ResolveHost;
}

/** The guard's verdict on a URL. */
export type UrlCheck =
  { readonly ok: true; readonly url: URL } | { readonly ok: false; readonly reason: string };

/** Longest accepted webhook URL. */
export const MAX_URL_LENGTH = 2048;

function cidrs(list: readonly string[]): readonly Cidr[] {
  return list.map((s) => {
    const c = parseCidr(s);
    if (!c) throw new Error(`bad CIDR ${s}`);
    return c;
  });
}

/** Ranges refused on top of the engine's `isPrivateIp` (which covers loopback, RFC 1918, CGNAT, link-local, ULA). */
const ALSO_REFUSED = cidrs([
  '192.0.0.0/24',
  '192.0.2.0/24',
  '198.18.0.0/15',
  '198.51.100.0/24',
  '203.0.113.0/24',
  '224.0.0.0/4',
  '240.0.0.0/4',
  '100::/64',
  '2001::/32',
  '2001:db8::/32',
  'ff00::/8',
]);
/** IPv6 prefixes that carry an IPv4 address: judged by the address inside. */
const NAT64 = cidrs(['64:ff9b::/96'])[0]!;
const SIX_TO_FOUR = cidrs(['2002::/16'])[0]!;
const V4_COMPATIBLE = cidrs(['::/96'])[0]!;

function refusedParsed(ip: ParsedIp): boolean {
  if (isPrivateIp(ip) || ALSO_REFUSED.some((c) => cidrContains(c, ip))) return true;
  if (ip.version === 6) {
    if (cidrContains(NAT64, ip) || cidrContains(V4_COMPATIBLE, ip)) {
      return refusedParsed({ version: 4, value: ip.value & 0xffffffffn });
    }
    if (cidrContains(SIX_TO_FOUR, ip))
      return refusedParsed({ version: 4, value: (ip.value >> 80n) & 0xffffffffn });
  }
  return false;
}

/**
 * Whether deliveries to this address are refused: loopback, private, link-local, unique-local,
 * CGNAT, multicast, reserved and documentation ranges, and IPv6 forms embedding such an IPv4
 * address. Anything unparsable is refused.
 * @example isRefusedAddress('10.1.2.3'); // true
 * @example isRefusedAddress('93.184.216.34'); // false
 */
export function isRefusedAddress(address: string): boolean {
  const ip = parseIp(address);
  return ip === undefined || refusedParsed(ip);
}

/** The host of a URL without IPv6 brackets. */
function bareHost(url: URL): string {
  const h = url.hostname;
  return h.startsWith('[') && h.endsWith(']') ? h.slice(1, -1) : h;
}

/**
 * The checks that need no DNS: an absolute http(s) URL with a host, not longer than
 * {@link MAX_URL_LENGTH}, and (unless private networks are allowed) not a refused literal IP.
 * Deliveries run it before connecting; host names are then checked by {@link guardedLookup}.
 * @example checkUrlSyntax('ftp://example.com/', { allowPrivateNetworks: false }).ok; // false
 */
export function checkUrlSyntax(raw: string, policy: UrlPolicy): UrlCheck {
  if (raw.length > MAX_URL_LENGTH)
    return { ok: false, reason: `is longer than ${MAX_URL_LENGTH} characters` };
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: 'is not an absolute URL' };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return { ok: false, reason: `must use http or https, not ${url.protocol.replace(/:$/, '')}` };
  }
  const host = bareHost(url);
  if (host === '') return { ok: false, reason: 'has no host' };
  if (!policy.allowPrivateNetworks && parseIp(host) !== undefined && isRefusedAddress(host)) {
    return { ok: false, reason: `points to a private or reserved address (${host})` };
  }
  return { ok: true, url };
}

/**
 * Checks a webhook URL: http(s) with a host, and unless private networks are allowed, every
 * address the host resolves to (or the literal IP) is public. Run it when an endpoint is saved;
 * deliveries check again at connect time with {@link guardedLookup} (DNS rebinding).
 * @example
 * const r = await checkWebhookUrl('http://10.0.0.1/hook', { allowPrivateNetworks: false });
 * r.ok; // false: 'points to a private or reserved address (10.0.0.1)'
 */
export async function checkWebhookUrl(raw: string, policy: UrlPolicy): Promise<UrlCheck> {
  const syntax = checkUrlSyntax(raw, policy);
  if (!syntax.ok || policy.allowPrivateNetworks) return syntax;
  const host = bareHost(syntax.url);
  if (parseIp(host) !== undefined) return syntax;
  let addresses: readonly ResolvedAddress[];
  try {
    addresses = await (policy.resolveHost ?? systemResolveHost)(host);
  } catch (err) {
    const code = typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : 'error';
    return { ok: false, reason: `host ${host} does not resolve (${code})` };
  }
  if (addresses.length === 0) return { ok: false, reason: `host ${host} does not resolve` };
  const bad = addresses.find((a) => isRefusedAddress(a.address));
  if (bad !== undefined) {
    return { ok: false, reason: `host ${host} resolves to a private or reserved address (${bad.address})` };
  }
  return syntax;
}

/** Thrown through the HTTP client when a delivery's host resolves to a refused address. */
export class RefusedAddressError extends Error {
  readonly code = 'EREFUSEDADDRESS';
  constructor(message: string) {
    super(message);
    this.name = 'RefusedAddressError';
  }
}

/**
 * A `lookup` for `http.request` that resolves with `resolveHost`, refuses the connection when any
 * address is refused, and otherwise connects to exactly the addresses it checked (no second
 * resolution an attacker could rebind between check and connect).
 * @example http.request(url, { lookup: guardedLookup({ allowPrivateNetworks: false }) });
 */
export function guardedLookup(policy: UrlPolicy): LookupFunction {
  const resolve = policy.resolveHost ?? systemResolveHost;
  return (hostname, options, callback) => {
    resolve(hostname).then(
      (all) => {
        const family = options.family === 4 || options.family === 6 ? options.family : 0;
        const usable = family === 0 ? all : all.filter((a) => a.family === family);
        const bad = policy.allowPrivateNetworks ? undefined : all.find((a) => isRefusedAddress(a.address));
        if (bad !== undefined) {
          callback(
            new RefusedAddressError(
              `host ${hostname} resolves to a private or reserved address (${bad.address})`,
            ),
            '',
          );
          return;
        }
        const first = usable[0];
        if (first === undefined) {
          callback(
            Object.assign(new Error(`host ${hostname} has no usable address`), { code: 'ENOTFOUND' }),
            '',
          );
          return;
        }
        if (options.all === true) {
          const list: LookupAddress[] = usable.map((a) => ({ address: a.address, family: a.family }));
          callback(null, list);
        } else {
          callback(null, first.address, first.family);
        }
      },
      (err: unknown) => {
        callback(err instanceof Error ? err : new Error(String(err)), '');
      },
    );
  };
}
