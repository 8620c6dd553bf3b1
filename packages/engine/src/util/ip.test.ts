import { describe, expect, it } from 'vitest';
import { canonicalIp, cidrContains, formatCidr, isPrivateIp, parseCidr, parseIp } from './ip.js';

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
