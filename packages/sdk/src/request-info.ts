import { BlockList, isIP } from 'node:net';
import { VigilError } from './vigil-error.js';

/**
 * Request headers as Node (`IncomingHttpHeaders`, Express, Fastify) or the Fetch API (`Headers`)
 * hold them.
 * @example const h: HeaderBag = { 'user-agent': 'curl/8' };
 */
export type HeaderBag =
  Readonly<Record<string, string | readonly string[] | undefined>> | { get(name: string): string | null };

/**
 * The part of a request the helpers read: Express, Fastify and Node requests fit, and so does a
 * Fetch `Request` (which has no socket).
 * @example const r: RequestLike = { headers: {}, socket: { remoteAddress: '10.0.0.1' } };
 */
export interface RequestLike {
  readonly headers: HeaderBag;
  readonly socket?: { readonly remoteAddress?: string | undefined } | undefined;
}

/**
 * Which proxies may set `X-Forwarded-For`:
 * - `false` (default): none, the client is the socket's peer;
 * - `true`: every hop, the client is the leftmost X-Forwarded-For address;
 * - a number n: the n hops nearest the server (1 = one load balancer in front);
 * - addresses, CIDRs or the presets `loopback`, `linklocal`, `uniquelocal` (an array or a
 *   comma-separated string): hops whose address matches;
 * - a function `(address, hop) => boolean`, hop 0 being the socket's peer.
 * @example const t: TrustProxy = ['10.0.0.0/8', 'loopback'];
 */
export type TrustProxy =
  boolean | number | string | readonly string[] | ((address: string, hop: number) => boolean);

/** Options of {@link getClientIP}. @example getClientIP(req, { trustProxy: 1 }); */
export interface ClientIpOptions {
  /** Which proxies may set X-Forwarded-For; default `false` (see {@link TrustProxy}). */
  readonly trustProxy?: TrustProxy;
}

/**
 * Reads one header case-insensitively; repeated headers are joined with `, `.
 * @example headerValue({ 'x-device-id': 'd1' }, 'X-Device-Id'); // 'd1'
 */
export function headerValue(headers: HeaderBag, name: string): string | undefined {
  const lower = name.toLowerCase();
  if ('get' in headers && typeof headers.get === 'function') {
    return headers.get(lower) ?? undefined;
  }
  const rec: Readonly<Record<string, unknown>> = headers;
  let v = rec[lower];
  if (v === undefined) {
    const key = Object.keys(rec).find((k) => k.toLowerCase() === lower);
    v = key === undefined ? undefined : rec[key];
  }
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) return v.filter((x): x is string => typeof x === 'string').join(', ');
  return undefined;
}

const PRESETS: Readonly<Record<string, readonly string[]>> = {
  loopback: ['127.0.0.0/8', '::1/128'],
  linklocal: ['169.254.0.0/16', 'fe80::/10'],
  uniquelocal: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'],
};

/**
 * Canonical form of one address: brackets, ports and zones removed, IPv4-mapped IPv6 as IPv4.
 * Undefined when it is not an IP address.
 * @example normalizeIp('[::ffff:203.0.113.7]:443'); // '203.0.113.7'
 */
export function normalizeIp(raw: string): string | undefined {
  let s = raw.trim();
  if (s.startsWith('[')) {
    const end = s.indexOf(']');
    if (end < 0) return undefined;
    s = s.slice(1, end);
  } else if (s.indexOf(':') > 0 && s.indexOf(':') === s.lastIndexOf(':') && s.includes('.')) {
    s = s.slice(0, s.indexOf(':')); // IPv4 with a port
  }
  const zone = s.indexOf('%');
  if (zone >= 0) s = s.slice(0, zone);
  const version = isIP(s);
  if (version === 0) return undefined;
  if (version === 6) {
    const lower = s.toLowerCase();
    if (lower.startsWith('::ffff:') && isIP(lower.slice(7)) === 4) return lower.slice(7);
    return lower;
  }
  return s;
}

type Trust = (address: string, hop: number) => boolean;

function compileList(entries: readonly string[]): Trust {
  const blocks = new BlockList();
  for (const raw of entries) {
    const entry = raw.trim();
    if (entry === '') continue;
    const preset = PRESETS[entry];
    if (preset !== undefined) {
      for (const cidr of preset) addEntry(blocks, cidr);
      continue;
    }
    addEntry(blocks, entry);
  }
  return (address) => blocks.check(address, isIP(address) === 6 ? 'ipv6' : 'ipv4');
}

function addEntry(blocks: BlockList, entry: string): void {
  const slash = entry.indexOf('/');
  const addr = normalizeIp(slash < 0 ? entry : entry.slice(0, slash));
  if (addr === undefined) {
    throw new VigilError('invalid_argument', `trustProxy: '${entry}' is not an IP address, CIDR or preset`);
  }
  const type = isIP(addr) === 6 ? 'ipv6' : 'ipv4';
  if (slash < 0) {
    blocks.addAddress(addr, type);
    return;
  }
  const prefix = Number(entry.slice(slash + 1));
  const max = type === 'ipv6' ? 128 : 32;
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > max) {
    throw new VigilError('invalid_argument', `trustProxy: '${entry}' has an invalid prefix length`);
  }
  blocks.addSubnet(addr, prefix, type);
}

// Lists are compiled once per array (or string) and reused on every request.
const compiledLists = new WeakMap<readonly string[], Trust>();
const compiledStrings = new Map<string, Trust>();

function trustOf(setting: string | readonly string[] | ((a: string, h: number) => boolean)): Trust {
  if (typeof setting === 'function') return setting;
  if (typeof setting === 'string') {
    let t = compiledStrings.get(setting);
    if (t === undefined) {
      t = compileList(setting.split(','));
      if (compiledStrings.size < 64) compiledStrings.set(setting, t);
    }
    return t;
  }
  let t = compiledLists.get(setting);
  if (t === undefined) {
    t = compileList(setting);
    compiledLists.set(setting, t);
  }
  return t;
}

/**
 * The client's IP address. `X-Forwarded-For` is only believed as far as `trustProxy` allows, so
 * a client cannot spoof its address by sending the header itself. Returns undefined when the
 * address is unknown or not an IP (a Fetch `Request` has no socket: there only `trustProxy:
 * true` yields an address).
 * @example
 * app.set('trust proxy', false); // Vigil reads the headers itself
 * const ip = getClientIP(req, { trustProxy: ['10.0.0.0/8'] }); // behind an internal load balancer
 */
export function getClientIP(req: RequestLike, opts: ClientIpOptions = {}): string | undefined {
  const trust = opts.trustProxy ?? false;
  const socketAddr = req.socket?.remoteAddress;
  if (trust === false) return socketAddr === undefined ? undefined : normalizeIp(socketAddr);
  const xff = headerValue(req.headers, 'x-forwarded-for');
  const forwarded =
    xff === undefined
      ? []
      : xff
          .split(',')
          .map((s) => s.trim())
          .filter((s) => s !== '');
  if (trust === true) {
    const leftmost = forwarded[0] ?? socketAddr;
    return leftmost === undefined ? undefined : normalizeIp(leftmost);
  }
  if (socketAddr === undefined) return undefined;
  // Hop 0 is the socket's peer, then X-Forwarded-For from right (nearest) to left.
  const hops = [socketAddr, ...forwarded.reverse()];
  if (typeof trust === 'number') {
    const n = Number.isFinite(trust) ? Math.max(0, Math.floor(trust)) : 0;
    const pick = hops[Math.min(n, hops.length - 1)];
    return pick === undefined ? undefined : normalizeIp(pick);
  }
  const isTrusted = trustOf(trust);
  for (let i = 0; i < hops.length; i++) {
    const addr = normalizeIp(hops[i] ?? '');
    if (addr === undefined) return undefined;
    if (i === hops.length - 1 || !isTrusted(addr, i)) return addr;
  }
  return undefined;
}

/** Most characters Vigil keeps of a user agent. */
const MAX_USER_AGENT = 1000;

/**
 * The request's User-Agent, cut to the 1000 characters an event accepts; undefined if absent.
 * @example vigil.track({ type: 'login', user, userAgent: getUserAgent(req) });
 */
export function getUserAgent(req: { readonly headers: HeaderBag }): string | undefined {
  const ua = headerValue(req.headers, 'user-agent');
  if (ua === undefined || ua === '') return undefined;
  return ua.length > MAX_USER_AGENT ? ua.slice(0, MAX_USER_AGENT) : ua;
}

/** Options of {@link getDeviceId}. @example getDeviceId(req, { header: 'x-fp', cookie: 'fp' }); */
export interface DeviceIdOptions {
  /** Header the app's client sets with its device id; default `x-device-id`. */
  readonly header?: string;
  /** Cookie holding the device id when the header is absent; default `vigil_did`. */
  readonly cookie?: string;
}

const DEVICE_ID = /^[A-Za-z0-9._:~-]{1,200}$/;

function cookieValue(cookieHeader: string, name: string): string | undefined {
  for (const part of cookieHeader.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== name) continue;
    let v = part.slice(eq + 1).trim();
    if (v.startsWith('"') && v.endsWith('"') && v.length >= 2) v = v.slice(1, -1);
    try {
      return decodeURIComponent(v);
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/**
 * The device id the app's client sent, from the `x-device-id` header or the `vigil_did` cookie
 * (names configurable). Values that are not 1-200 characters of `[A-Za-z0-9._:~-]` are ignored.
 * @example vigil.track({ type: 'signup', user, device: getDeviceId(req) });
 */
export function getDeviceId(
  req: { readonly headers: HeaderBag },
  opts: DeviceIdOptions = {},
): string | undefined {
  const fromHeader = headerValue(req.headers, opts.header ?? 'x-device-id')?.trim();
  if (fromHeader !== undefined && DEVICE_ID.test(fromHeader)) return fromHeader;
  const cookies = headerValue(req.headers, 'cookie');
  if (cookies === undefined) return undefined;
  const fromCookie = cookieValue(cookies, opts.cookie ?? 'vigil_did');
  return fromCookie !== undefined && DEVICE_ID.test(fromCookie) ? fromCookie : undefined;
}

/** The request fields an event takes. @example const c: RequestContext = getRequestContext(req); */
export interface RequestContext {
  readonly ip?: string;
  readonly userAgent?: string;
  readonly device?: string;
}

/**
 * `ip`, `userAgent` and `device` of a request, only the ones present, ready to spread into an event.
 * @example await vigil.score({ type: 'login', user: 'u1', ...getRequestContext(req, { trustProxy: 1 }) });
 */
export function getRequestContext(
  req: RequestLike,
  opts: ClientIpOptions & DeviceIdOptions = {},
): RequestContext {
  const ip = getClientIP(req, opts);
  const userAgent = getUserAgent(req);
  const device = getDeviceId(req, opts);
  return {
    ...(ip === undefined ? {} : { ip }),
    ...(userAgent === undefined ? {} : { userAgent }),
    ...(device === undefined ? {} : { device }),
  };
}
