import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatIp } from '../util/ip.js';
import { createListSet } from './list-set.js';

const v4 = (n: number): string => formatIp({ version: 4, value: BigInt(n >>> 0) });
const v6 = (n: bigint): string => formatIp({ version: 6, value: n });
const V6_MAX = (1n << 128n) - 1n;

describe('createListSet', () => {
  it('stores canonical values and finds exact entries', () => {
    const l = createListSet();
    const r = l.add({ kind: 'ip', value: '2001:DB8:0:0:0:0:0:1', verdict: 'block', label: 'bad_ip' });
    expect(r.ok && r.value.value).toBe('2001:db8::1');
    expect(l.lookup('ip', '2001:db8::1')).toMatchObject({
      verdict: 'block',
      label: 'bad_ip',
      match: '2001:db8::1',
    });
    expect(l.lookup('ip', '2001:db8::2')).toBeUndefined();

    l.add({ kind: 'wallet', value: '0xABCdef', verdict: 'block', label: 'sanctioned' });
    expect(l.lookup('wallet', '0xabcdef')?.label).toBe('sanctioned');
    expect(l.lookup('wallet', '0xABCDEF')?.label).toBe('sanctioned');

    l.add({ kind: 'user', value: 'Alice', verdict: 'allow' });
    expect(l.lookup('user', 'Alice')).toMatchObject({ verdict: 'allow', label: 'allowlist', weight: 1 });
    expect(l.lookup('user', 'alice')).toBeUndefined();

    l.add({ kind: 'email', value: 'Bad@Example.com', verdict: 'block' });
    expect(l.lookup('email', 'bad@example.com')?.verdict).toBe('block');
    expect(l.size()).toBe(4);
  });

  it('normalises CIDR ranges and a full-length prefix to a plain address', () => {
    const l = createListSet();
    const a = l.add({ kind: 'ip', value: '10.1.2.3/8', verdict: 'block' });
    const b = l.add({ kind: 'ip', value: '1.2.3.4/32', verdict: 'block' });
    expect(a.ok && a.value.value).toBe('10.0.0.0/8');
    expect(b.ok && b.value.value).toBe('1.2.3.4');
    expect(l.lookup('ip', '10.200.3.4')?.match).toBe('10.0.0.0/8');
    expect(l.lookup('ip', '1.2.3.4')?.match).toBe('1.2.3.4');
    expect(l.lookup('ip', '11.0.0.1')).toBeUndefined();
  });

  it('rejects bad values with a path', () => {
    const l = createListSet();
    const bad = [
      { kind: 'ip', value: '300.1.1.1' },
      { kind: 'ip', value: '10.0.0.0/33' },
      { kind: 'email', value: 'not-an-email' },
      { kind: 'email_domain', value: 'bad domain.com' },
      { kind: 'wallet', value: 'has space' },
      { kind: 'user', value: '   ' },
    ] as const;
    for (const b of bad) {
      const r = l.add({ ...b, verdict: 'block' });
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.problems[0]?.path).toBe('/value');
    }
    const w = l.add({ kind: 'user', value: 'u', verdict: 'block', weight: Number.NaN });
    expect(!w.ok && w.problems[0]?.path).toBe('/weight');
    expect(l.size()).toBe(0);
  });

  it('prefers the more specific entry: exact over range, longer prefix over shorter', () => {
    const l = createListSet();
    l.add({ kind: 'ip', value: '10.0.0.0/8', verdict: 'block', label: 'bad_ip' });
    l.add({ kind: 'ip', value: '10.1.0.0/16', verdict: 'allow', label: 'office' });
    l.add({ kind: 'ip', value: '10.1.2.3', verdict: 'block', label: 'tor' });
    expect(l.lookup('ip', '10.2.0.1')?.label).toBe('bad_ip');
    expect(l.lookup('ip', '10.1.9.9')?.label).toBe('office');
    expect(l.lookup('ip', '10.1.2.3')?.label).toBe('tor');
    l.add({ kind: 'ip', value: '2001:db8::/32', verdict: 'block', label: 'bad_ip' });
    l.add({ kind: 'ip', value: '2001:db8:1::/48', verdict: 'allow', label: 'office' });
    expect(l.lookup('ip', '2001:db8:2::1')?.label).toBe('bad_ip');
    expect(l.lookup('ip', '2001:db8:1::1')?.label).toBe('office');
    expect(l.lookup('ip', '2001:db9::1')).toBeUndefined();
    // IPv4-mapped IPv6 queries are matched against IPv4 ranges.
    expect(l.lookup('ip', '::ffff:10.2.0.1')?.label).toBe('bad_ip');
    expect(l.lookup('ip', 'garbage')).toBeUndefined();
  });

  it('matches IPv6 ranges at any prefix length, whatever the spelling of the address', () => {
    const l = createListSet();
    l.add({ kind: 'ip', value: '2001:db8:abcd:1230::/60', verdict: 'block', label: 'p60' });
    l.add({ kind: 'ip', value: '2001:db8:abcd:1234:8000::/65', verdict: 'block', label: 'p65' });
    l.add({ kind: 'ip', value: '10.0.0.0/8', verdict: 'block', label: 'v4' });
    expect(l.lookup('ip', '2001:db8:abcd:123f::1')?.label).toBe('p60');
    expect(l.lookup('ip', '2001:db8:abcd:1240::1')).toBeUndefined();
    expect(l.lookup('ip', '2001:db8:abcd:1234:8000::9')?.label).toBe('p65');
    expect(l.lookup('ip', '2001:db8:abcd:1234:7fff::9')?.label).toBe('p60');
    expect(l.lookup('ip', '2001:DB8:ABCD:1234:8000:0:0:9')?.label).toBe('p65');
    expect(l.lookup('ip', '2001:0db8:abcd:1234:8000:0000:0000:0009')?.label).toBe('p65');
    expect(l.lookup('ip', '::ffff:a00:1')?.label).toBe('v4');
    expect(l.lookup('ip', '1:2:3:4:5:6:7:8::')).toBeUndefined();
    expect(l.lookup('ip', ':::')).toBeUndefined();
  });

  it('matches e-mail domains and their subdomains, the most specific first', () => {
    const l = createListSet();
    l.add({ kind: 'email_domain', value: '@Mailinator.com', verdict: 'block', label: 'disposable' });
    l.add({ kind: 'email_domain', value: '*.corp.mailinator.com', verdict: 'allow', label: 'partner' });
    expect(l.lookup('email_domain', 'mailinator.com')?.label).toBe('disposable');
    expect(l.lookup('email_domain', 'eu.mailinator.com')?.label).toBe('disposable');
    expect(l.lookup('email_domain', 'x.corp.mailinator.com')?.label).toBe('partner');
    expect(l.lookup('email_domain', 'notmailinator.com')).toBeUndefined();
  });

  it('matches user-agent patterns case-insensitively, the longest pattern winning', () => {
    const l = createListSet();
    l.add({ kind: 'user_agent', value: 'bot', verdict: 'block', label: 'crawler' });
    l.add({ kind: 'user_agent', value: 'Googlebot', verdict: 'allow', label: 'search' });
    l.add({ kind: 'user_agent', value: 'HeadlessChrome', verdict: 'block', label: 'automation' });
    expect(l.lookup('user_agent', 'Mozilla/5.0 (compatible; Googlebot/2.1)')?.label).toBe('search');
    expect(l.lookup('user_agent', 'bot googlebot')?.label).toBe('search');
    expect(l.lookup('user_agent', 'SomeBOT/1.0')?.label).toBe('crawler');
    expect(l.lookup('user_agent', 'Mozilla/5.0 HeadlessChrome/120')?.label).toBe('automation');
    expect(l.lookup('user_agent', 'Mozilla/5.0 (Windows NT 10.0) Chrome/120')).toBeUndefined();
    // The matcher is rebuilt after a change.
    l.remove('user_agent', 'GOOGLEBOT');
    expect(l.lookup('user_agent', 'Googlebot/2.1')?.label).toBe('crawler');
  });

  it('replaces an entry for the same value and removes entries', () => {
    const l = createListSet();
    l.add({ kind: 'ip', value: '10.0.0.0/8', verdict: 'block' });
    l.add({ kind: 'ip', value: '10.9.9.9/8', verdict: 'allow' });
    expect(l.size()).toBe(1);
    expect(l.lookup('ip', '10.1.1.1')?.verdict).toBe('allow');
    expect(l.remove('ip', '10.0.0.0/8')).toBe(true);
    expect(l.remove('ip', '10.0.0.0/8')).toBe(false);
    expect(l.remove('ip', 'nonsense')).toBe(false);
    expect(l.lookup('ip', '10.1.1.1')).toBeUndefined();
    l.add({ kind: 'ip', value: '1.2.3.4', verdict: 'block' });
    expect(l.remove('ip', '1.2.3.4/32')).toBe(true);
    expect(l.lookup('ip', '1.2.3.4')).toBeUndefined();
    expect(l.size()).toBe(0);
  });

  it('lists entries by kind and prunes expired ones', () => {
    const l = createListSet();
    l.add({ kind: 'ip', value: '1.1.1.1', verdict: 'block', expiresAt: 1000 });
    l.add({ kind: 'ip', value: '2.2.2.0/24', verdict: 'block', expiresAt: 2000 });
    l.add({ kind: 'user', value: 'u1', verdict: 'block' });
    expect(l.entries('ip').map((e) => e.value)).toEqual(['1.1.1.1', '2.2.2.0/24']);
    expect(l.entries()).toHaveLength(3);
    expect(l.prune(999)).toBe(0);
    expect(l.prune(1000)).toBe(1);
    expect(l.lookup('ip', '1.1.1.1')).toBeUndefined();
    expect(l.lookup('ip', '2.2.2.9')).toBeDefined();
    expect(l.prune(5000)).toBe(1);
    expect(l.lookup('ip', '2.2.2.9')).toBeUndefined();
    expect(l.entries().map((e) => e.value)).toEqual(['u1']);
  });

  it('bulk-loads untrusted rows with a per-row report', () => {
    const l = createListSet();
    const r = l.load([
      { kind: 'ip', value: '1.2.3.4', verdict: 'block' },
      { kind: 'ip', value: 'nope', verdict: 'block' },
      { kind: 'planet', value: 'x', verdict: 'block' },
      'not an object',
      { kind: 'wallet', value: '0xA', verdict: 'allow', extra: 1 },
      { kind: 'wallet', value: '0xB', verdict: 'allow', label: 'treasury' },
    ]);
    expect(r.loaded).toBe(2);
    expect(r.failed).toBe(4);
    expect(r.errors.map((e) => e.row)).toEqual([1, 2, 3, 4]);
    expect(r.errors[0]?.problems[0]).toEqual({
      path: '/value',
      message: "'nope' is not an IPv4/IPv6 address or CIDR range",
    });
    expect(r.errors[1]?.problems.some((p) => p.path === '/kind')).toBe(true);
    expect(l.lookup('wallet', '0xb')?.label).toBe('treasury');
  });

  it('property: an IPv4 inside an added range is found, one outside is not', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.integer({ min: 1, max: 31 }),
        fc.integer({ min: 0, max: 0xffffffff }),
        (base, prefix, noise) => {
          const l = createListSet();
          const mask = (0xffffffff << (32 - prefix)) >>> 0;
          const net = (base & mask) >>> 0;
          l.add({ kind: 'ip', value: `${v4(net)}/${prefix}`, verdict: 'block' });
          const inside = (net | (noise & ~mask)) >>> 0;
          // Flip one bit of the network part: guaranteed outside.
          const bit = 31 - (noise % prefix);
          const outside = (inside ^ (1 << bit)) >>> 0;
          expect(l.lookup('ip', v4(inside))?.match).toBe(`${v4(net)}/${prefix}`);
          expect(l.lookup('ip', v4(outside))).toBeUndefined();
        },
      ),
    );
  });

  it('property: an IPv6 inside an added range is found, one outside is not', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: V6_MAX }),
        fc.integer({ min: 1, max: 127 }),
        fc.bigInt({ min: 0n, max: V6_MAX }),
        (base, prefix, noise) => {
          const l = createListSet();
          const mask = ((1n << BigInt(prefix)) - 1n) << BigInt(128 - prefix);
          const net = base & mask;
          const added = l.add({ kind: 'ip', value: `${v6(net)}/${prefix}`, verdict: 'block' });
          expect(added.ok).toBe(true);
          const inside = net | (noise & ~mask & V6_MAX);
          const bit = 127 - Number(noise % BigInt(prefix));
          const outside = inside ^ (1n << BigInt(bit));
          // Skip addresses that canonicalise to IPv4 (::ffff:0:0/96).
          fc.pre(inside >> 32n !== 0xffffn && outside >> 32n !== 0xffffn);
          expect(l.lookup('ip', v6(inside))).toBeDefined();
          expect(l.lookup('ip', v6(outside))).toBeUndefined();
        },
      ),
    );
  });
});
