import { describe, expect, it } from 'vitest';
import {
  getClientIP,
  getDeviceId,
  getRequestContext,
  getUserAgent,
  headerValue,
  normalizeIp,
  type RequestLike,
} from './request-info.js';

function req(
  remote: string | undefined,
  xff?: string | string[],
  extra: Record<string, string> = {},
): RequestLike {
  return {
    headers: { ...(xff === undefined ? {} : { 'x-forwarded-for': xff }), ...extra },
    socket: { remoteAddress: remote },
  };
}

describe('getClientIP', () => {
  // client 198.51.100.7 -> CDN edge 203.0.113.5 -> internal LB 10.0.0.2 -> app
  const chain = req('10.0.0.2', '198.51.100.7, 203.0.113.5');

  it('ignores X-Forwarded-For by default: a client cannot spoof its address', () => {
    expect(getClientIP(req('198.51.100.7', '1.1.1.1'))).toBe('198.51.100.7');
    expect(getClientIP(chain, { trustProxy: false })).toBe('10.0.0.2');
  });

  it('trustProxy true takes the leftmost forwarded address', () => {
    expect(getClientIP(chain, { trustProxy: true })).toBe('198.51.100.7');
    expect(getClientIP(req('10.0.0.2'), { trustProxy: true })).toBe('10.0.0.2');
  });

  it('a hop count trusts that many proxies nearest the server', () => {
    expect(getClientIP(chain, { trustProxy: 0 })).toBe('10.0.0.2');
    expect(getClientIP(chain, { trustProxy: 1 })).toBe('203.0.113.5');
    expect(getClientIP(chain, { trustProxy: 2 })).toBe('198.51.100.7');
    expect(getClientIP(chain, { trustProxy: 5 })).toBe('198.51.100.7');
  });

  it('a hop count is not fooled by addresses the client prepends', () => {
    // The client sent "X-Forwarded-For: 6.6.6.6"; the one LB appended the client's real address.
    expect(getClientIP(req('10.0.0.2', '6.6.6.6, 198.51.100.7'), { trustProxy: 1 })).toBe('198.51.100.7');
  });

  it('a list of proxies and CIDRs walks back through trusted hops only', () => {
    expect(getClientIP(chain, { trustProxy: ['10.0.0.0/8'] })).toBe('203.0.113.5');
    expect(getClientIP(chain, { trustProxy: ['10.0.0.0/8', '203.0.113.5'] })).toBe('198.51.100.7');
    expect(getClientIP(chain, { trustProxy: '10.0.0.0/8, 203.0.113.0/24' })).toBe('198.51.100.7');
    // The socket peer is not a trusted proxy: its headers mean nothing.
    expect(getClientIP(req('198.51.100.9', '1.2.3.4'), { trustProxy: ['10.0.0.0/8'] })).toBe('198.51.100.9');
  });

  it('presets name the usual private ranges', () => {
    expect(getClientIP(req('127.0.0.1', '198.51.100.7'), { trustProxy: 'loopback' })).toBe('198.51.100.7');
    expect(getClientIP(req('192.168.1.10', '198.51.100.7'), { trustProxy: ['uniquelocal'] })).toBe(
      '198.51.100.7',
    );
    expect(getClientIP(req('::1', '2001:db8::7'), { trustProxy: ['loopback'] })).toBe('2001:db8::7');
  });

  it('a function decides per hop', () => {
    const trustFirst = (_addr: string, hop: number) => hop === 0;
    expect(getClientIP(chain, { trustProxy: trustFirst })).toBe('203.0.113.5');
  });

  it('normalises IPv4-mapped IPv6, ports and repeated headers', () => {
    expect(getClientIP(req('::ffff:10.0.0.2', ['198.51.100.7:5555', '203.0.113.5']), { trustProxy: 2 })).toBe(
      '198.51.100.7',
    );
    expect(getClientIP(req('::ffff:198.51.100.7'))).toBe('198.51.100.7');
    expect(getClientIP(req('10.0.0.2', '[2001:db8::1]:443'), { trustProxy: 1 })).toBe('2001:db8::1');
  });

  it('answers undefined for garbage where the address should be', () => {
    expect(getClientIP(req('10.0.0.2', 'not-an-ip'), { trustProxy: 1 })).toBeUndefined();
    expect(getClientIP(req('10.0.0.2', 'not-an-ip'), { trustProxy: ['10.0.0.0/8'] })).toBeUndefined();
    expect(getClientIP(req(undefined))).toBeUndefined();
  });

  it('reads Fetch Headers (no socket: only trustProxy true yields an address)', () => {
    const fetchReq = { headers: new Headers({ 'X-Forwarded-For': '198.51.100.7, 10.0.0.1' }) };
    expect(getClientIP(fetchReq, { trustProxy: true })).toBe('198.51.100.7');
    expect(getClientIP(fetchReq, { trustProxy: 1 })).toBeUndefined();
    expect(getClientIP(fetchReq)).toBeUndefined();
  });

  it('refuses a malformed trust list', () => {
    expect(() => getClientIP(chain, { trustProxy: ['10.0.0.0/33'] })).toThrow(/prefix/);
    expect(() => getClientIP(chain, { trustProxy: ['proxy.internal'] })).toThrow(/not an IP/);
  });
});

describe('normalizeIp', () => {
  it('canonicalises and rejects', () => {
    expect(normalizeIp(' 203.0.113.7 ')).toBe('203.0.113.7');
    expect(normalizeIp('2001:DB8::1')).toBe('2001:db8::1');
    expect(normalizeIp('fe80::1%eth0')).toBe('fe80::1');
    expect(normalizeIp('999.1.1.1')).toBeUndefined();
    expect(normalizeIp('[::1')).toBeUndefined();
  });
});

describe('headers, user agent and device id', () => {
  it('headerValue is case-insensitive for plain objects and Headers', () => {
    expect(headerValue({ 'X-Device-Id': 'd1' }, 'x-device-id')).toBe('d1');
    expect(headerValue(new Headers({ 'X-Device-Id': 'd2' }), 'X-DEVICE-ID')).toBe('d2');
    expect(headerValue({}, 'x')).toBeUndefined();
  });

  it('getUserAgent reads and caps the header', () => {
    expect(getUserAgent({ headers: { 'user-agent': 'Mozilla/5.0' } })).toBe('Mozilla/5.0');
    expect(getUserAgent({ headers: { 'user-agent': 'x'.repeat(5000) } })).toHaveLength(1000);
    expect(getUserAgent({ headers: { 'user-agent': '' } })).toBeUndefined();
    expect(getUserAgent({ headers: {} })).toBeUndefined();
  });

  it('getDeviceId prefers the header, then the cookie, and ignores unsafe values', () => {
    expect(getDeviceId({ headers: { 'x-device-id': 'dev-1', cookie: 'vigil_did=dev-2' } })).toBe('dev-1');
    expect(getDeviceId({ headers: { cookie: 'a=1; vigil_did=dev-2; b=2' } })).toBe('dev-2');
    expect(getDeviceId({ headers: { cookie: 'vigil_did="dev-3"' } })).toBe('dev-3');
    expect(getDeviceId({ headers: { 'x-device-id': '<script>', cookie: 'vigil_did=dev-4' } })).toBe('dev-4');
    expect(getDeviceId({ headers: { cookie: 'vigil_did=%E0%A4%A' } })).toBeUndefined();
    expect(getDeviceId({ headers: { 'x-fp': 'f1', cookie: 'fp=f2' } }, { header: 'x-fp' })).toBe('f1');
    expect(getDeviceId({ headers: { cookie: 'fp=f2' } }, { cookie: 'fp' })).toBe('f2');
    expect(getDeviceId({ headers: {} })).toBeUndefined();
  });

  it('getRequestContext returns only the fields present', () => {
    expect(getRequestContext(req('198.51.100.7', undefined, { 'user-agent': 'UA' }))).toEqual({
      ip: '198.51.100.7',
      userAgent: 'UA',
    });
    expect(Object.keys(getRequestContext({ headers: {} }))).toEqual([]);
  });
});
