/**
 * IP address parsing without Node's `net` module, so the engine also runs in a browser.
 * Addresses become a version plus a bigint, which makes CIDR matching a mask and compare.
 */
export interface ParsedIp {
  readonly version: 4 | 6;
  readonly value: bigint;
}

const V4_PART = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

function parseV4(s: string): bigint | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  let v = 0n;
  for (const p of parts) {
    if (!V4_PART.test(p)) return undefined;
    v = (v << 8n) | BigInt(Number(p));
  }
  return v;
}

function parseV6(input: string): bigint | undefined {
  let s = input;
  const zone = s.indexOf('%');
  if (zone >= 0) s = s.slice(0, zone);
  if (s.length < 2 || s.length > 45) return undefined;
  let tailV4: bigint | undefined;
  const lastColon = s.lastIndexOf(':');
  if (s.includes('.', lastColon)) {
    tailV4 = parseV4(s.slice(lastColon + 1));
    if (tailV4 === undefined) return undefined;
    s = `${s.slice(0, lastColon + 1)}0:0`;
  }
  const dbl = s.indexOf('::');
  if (dbl >= 0 && s.indexOf('::', dbl + 1) >= 0) return undefined;
  const head = dbl >= 0 ? s.slice(0, dbl) : s;
  const tail = dbl >= 0 ? s.slice(dbl + 2) : '';
  const hs = head === '' ? [] : head.split(':');
  const ts = tail === '' ? [] : tail.split(':');
  const groups = dbl >= 0 ? hs.length + ts.length : hs.length;
  if (dbl >= 0 ? groups > 7 : groups !== 8) return undefined;
  const all = dbl >= 0 ? [...hs, ...Array<string>(8 - groups).fill('0'), ...ts] : hs;
  let v = 0n;
  for (const g of all) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
    v = (v << 16n) | BigInt(parseInt(g, 16));
  }
  if (tailV4 !== undefined) v = (v & ~0xffffffffn) | tailV4;
  return v;
}

/**
 * Parses an IPv4 or IPv6 address; IPv4-mapped IPv6 (`::ffff:1.2.3.4`) becomes IPv4.
 * @example parseIp('10.0.0.1'); // { version: 4, value: 167772161n }
 */
export function parseIp(s: string): ParsedIp | undefined {
  if (s.includes(':')) {
    const v = parseV6(s);
    if (v === undefined) return undefined;
    if (v >> 32n === 0xffffn) return { version: 4, value: v & 0xffffffffn };
    return { version: 6, value: v };
  }
  const v = parseV4(s);
  return v === undefined ? undefined : { version: 4, value: v };
}

/** Canonical text of a parsed address (IPv6 compressed per RFC 5952). @example formatIp(parseIp('::ffff:1.2.3.4')!) // '1.2.3.4' */
export function formatIp(ip: ParsedIp): string {
  if (ip.version === 4) {
    const v = Number(ip.value);
    return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
  }
  const groups: number[] = [];
  for (let i = 7; i >= 0; i--) groups.push(Number((ip.value >> BigInt(i * 16)) & 0xffffn));
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

/** @example canonicalIp('2001:DB8:0:0:0:0:0:1'); // '2001:db8::1' */
export function canonicalIp(s: string): string | undefined {
  // most addresses already are canonical IPv4: answered without the bigint round trip
  if (isCanonicalIpv4(s)) return s;
  const p = parseIp(s);
  return p ? formatIp(p) : undefined;
}

/**
 * Whether `s` is an IPv4 address in canonical form (four decimal parts 0-255 without leading
 * zeros), which {@link canonicalIp} returns unchanged. One pass over the characters, no allocation.
 * @example isCanonicalIpv4('10.0.0.1') // true; isCanonicalIpv4('010.0.0.1') // false
 */
export function isCanonicalIpv4(s: string): boolean {
  const n = s.length;
  if (n < 7 || n > 15) return false;
  let parts = 0;
  let i = 0;
  for (;;) {
    const from = i;
    let v = 0;
    while (i < n) {
      const c = s.charCodeAt(i);
      if (c < 48 || c > 57) break;
      v = v * 10 + (c - 48);
      i++;
    }
    const len = i - from;
    if (len === 0 || len > 3 || (len > 1 && s.charCodeAt(from) === 48) || v > 255) return false;
    parts++;
    if (i === n) return parts === 4;
    if (s.charCodeAt(i) !== 46 || parts === 4) return false;
    i++;
  }
}

/** A CIDR range. */
export interface Cidr {
  readonly version: 4 | 6;
  readonly base: bigint;
  readonly prefix: number;
}

/** @example parseCidr('10.0.0.0/8'); parseCidr('1.2.3.4'); // a /32 */
export function parseCidr(s: string): Cidr | undefined {
  const slash = s.indexOf('/');
  const ip = parseIp(slash >= 0 ? s.slice(0, slash) : s);
  if (!ip) return undefined;
  const bits = ip.version === 4 ? 32 : 128;
  let prefix = bits;
  if (slash >= 0) {
    const p = s.slice(slash + 1);
    if (!/^\d{1,3}$/.test(p)) return undefined;
    prefix = Number(p);
    if (prefix > bits) return undefined;
  }
  const mask = prefix === 0 ? 0n : ((1n << BigInt(prefix)) - 1n) << BigInt(bits - prefix);
  return { version: ip.version, base: ip.value & mask, prefix };
}

/** @example cidrContains(parseCidr('10.0.0.0/8')!, parseIp('10.1.2.3')!); // true */
export function cidrContains(c: Cidr, ip: ParsedIp): boolean {
  if (c.version !== ip.version) return false;
  const bits = c.version === 4 ? 32 : 128;
  const mask = c.prefix === 0 ? 0n : ((1n << BigInt(c.prefix)) - 1n) << BigInt(bits - c.prefix);
  return (ip.value & mask) === c.base;
}

/** @example formatCidr(parseCidr('10.1.0.0/8')!); // '10.0.0.0/8' */
export function formatCidr(c: Cidr): string {
  return `${formatIp({ version: c.version, value: c.base })}/${c.prefix}`;
}

/** True for loopback, private, link-local, CGNAT and unique-local ranges (SSRF guard, geo-less traffic). */
export function isPrivateIp(ip: ParsedIp): boolean {
  return PRIVATE.some((c) => cidrContains(c, ip));
}

const PRIVATE: readonly Cidr[] = [
  '0.0.0.0/8',
  '10.0.0.0/8',
  '100.64.0.0/10',
  '127.0.0.0/8',
  '169.254.0.0/16',
  '172.16.0.0/12',
  '192.168.0.0/16',
  '::1/128',
  '::/128',
  'fc00::/7',
  'fe80::/10',
].map((s) => {
  const c = parseCidr(s);
  if (!c) throw new Error(s);
  return c;
});
