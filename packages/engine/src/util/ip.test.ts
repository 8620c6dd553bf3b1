import { describe, expect, it } from 'vitest';
import {
  canonicalIp,
  cidrContains,
  formatCidr,
  formatIp,
  isCanonicalIpv4,
  isPrivateIp,
  parseCidr,
  parseIp,
} from './ip.js';

describe('ip', () => {
  it.each([
    ['1.2.3.4', '1.2.3.4'],
    ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
    ['::1', '::1'],
    ['::ffff:10.0.0.1', '10.0.0.1'],
    ['fe80::1%eth0', 'fe80::1'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
  ])('canonicalises %s', (a, b) => expect(canonicalIp(a)).toBe(b));

  it.each(['1.2.3', '256.1.1.1', '01.2.3.4', '1::2::3', 'abc', '', '1.2.3.4.5', '12345::'])(
    'rejects %s',
    (s) => expect(parseIp(s)).toBeUndefined(),
  );

  it('the canonical-IPv4 fast path agrees with parsing and formatting', () => {
    const slow = (s: string): boolean => {
      const p = parseIp(s);
      return p !== undefined && p.version === 4 && formatIp(p) === s;
    };
    const fixed = ['0.0.0.0', '255.255.255.255', '10.0.0.1', '1.2.3.04', '1.2.3.256', '1.2.3.', '.1.2.3'];
    for (const s of [...fixed, '1..2.3', '1.2.3.4.', '1234.1.1.1', '1.2.3.4 ', '1.2.3.a', '00.1.2.3'])
      expect(isCanonicalIpv4(s), s).toBe(slow(s));
    // random strings over digits and dots, biased towards address-like shapes
    let seed = 7;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    for (let k = 0; k < 20_000; k++) {
      const parts = Array.from({ length: 3 + rand(3) }, () => String(rand(3) === 0 ? rand(400) : rand(256)));
      let s = parts.join('.');
      if (rand(10) === 0) s = s.replace(/\d/, '0$&');
      if (rand(20) === 0) s += '.';
      expect(isCanonicalIpv4(s), s).toBe(slow(s));
      expect(canonicalIp(s)).toBe(parseIp(s) === undefined ? undefined : formatIp(parseIp(s)!));
    }
  });

  it('matches CIDR ranges', () => {
    const c = parseCidr('10.1.2.3/8')!;
    expect(formatCidr(c)).toBe('10.0.0.0/8');
    expect(cidrContains(c, parseIp('10.200.0.1')!)).toBe(true);
    expect(cidrContains(c, parseIp('11.0.0.1')!)).toBe(false);
    expect(cidrContains(parseCidr('2001:db8::/32')!, parseIp('2001:db8:ffff::1')!)).toBe(true);
    expect(cidrContains(parseCidr('0.0.0.0/0')!, parseIp('8.8.8.8')!)).toBe(true);
    expect(parseCidr('10.0.0.0/33')).toBeUndefined();
    expect(parseCidr('10.0.0.0/x')).toBeUndefined();
  });

  it('knows private ranges', () => {
    expect(isPrivateIp(parseIp('192.168.1.1')!)).toBe(true);
    expect(isPrivateIp(parseIp('127.0.0.1')!)).toBe(true);
    expect(isPrivateIp(parseIp('::1')!)).toBe(true);
    expect(isPrivateIp(parseIp('8.8.8.8')!)).toBe(false);
  });
});
