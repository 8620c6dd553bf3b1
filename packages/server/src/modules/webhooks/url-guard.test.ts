import type { LookupAddress } from 'node:dns';
import { describe, expect, it } from 'vitest';
import {
  checkUrlSyntax,
  checkWebhookUrl,
  guardedLookup,
  isRefusedAddress,
  type ResolveHost,
} from './url-guard.js';

const resolver =
  (table: Record<string, string[]>): ResolveHost =>
  async (host) => {
    const list = table[host];
    if (list === undefined)
      throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    return list.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };

const strict = { allowPrivateNetworks: false };

describe('SSRF guard', () => {
  it('refuses loopback, private, link-local, unique-local, CGNAT, multicast and reserved addresses', () => {
    for (const ip of [
      '127.0.0.1',
      '127.255.0.9',
      '10.0.0.1',
      '172.16.5.4',
      '172.31.255.255',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '224.0.0.1',
      '255.255.255.255',
      '198.18.0.1',
      '::1',
      '::',
      'fe80::1',
      'fd00::1',
      'fc12:3456::1',
      'ff02::1',
      '::ffff:127.0.0.1',
      '::ffff:10.0.0.1',
      '64:ff9b::a00:1', // NAT64 of 10.0.0.1
      '2002:7f00:1::1', // 6to4 of 127.0.0.1
      'not-an-ip',
    ]) {
      expect(isRefusedAddress(ip), ip).toBe(true);
    }
  });

  it('allows public addresses', () => {
    for (const ip of [
      '93.184.216.34',
      '8.8.8.8',
      '172.32.0.1',
      '2606:4700:4700::1111',
      '64:ff9b::808:808',
      '2002:808:808::1',
    ]) {
      expect(isRefusedAddress(ip), ip).toBe(false);
    }
  });

  it('accepts only absolute http(s) URLs with a host', () => {
    for (const [url, reason] of [
      ['ftp://example.com/hook', /http or https, not ftp/],
      ['file:///etc/passwd', /http or https, not file/],
      ['javascript:alert(1)', /http or https/],
      ['http://', /not an absolute URL/],
      ['/relative/path', /not an absolute URL/],
      ['not a url', /not an absolute URL/],
      [`https://example.com/${'a'.repeat(2100)}`, /longer than 2048/],
    ] as const) {
      const r = checkUrlSyntax(url, { allowPrivateNetworks: true });
      expect(r.ok, url).toBe(false);
      if (!r.ok) expect(r.reason).toMatch(reason);
    }
    expect(checkUrlSyntax('https://example.com/hook?x=1', strict).ok).toBe(true);
  });

  it('refuses literal private IPs in every spelling the URL parser accepts', async () => {
    for (const url of [
      'http://127.0.0.1/',
      'http://[::1]:8080/',
      'http://0x7f000001/',
      'http://2130706433/',
      'http://017700000001/',
      'http://10.1.2.3/',
      'http://[::ffff:192.168.0.1]/',
      'https://169.254.169.254/latest/meta-data',
    ]) {
      const r = await checkWebhookUrl(url, { ...strict, resolveHost: resolver({}) });
      expect(r.ok, url).toBe(false);
      if (!r.ok) expect(r.reason).toMatch(/private or reserved/);
    }
  });

  it('resolves host names and refuses them when any address is private', async () => {
    const resolveHost = resolver({
      'hooks.example.com': ['93.184.216.34'],
      'mixed.example.com': ['93.184.216.34', '10.0.0.7'],
      'v6.example.com': ['2606:4700::1', 'fd00::2'],
      localhost: ['127.0.0.1', '::1'],
    });
    expect((await checkWebhookUrl('https://hooks.example.com/x', { ...strict, resolveHost })).ok).toBe(true);
    const mixed = await checkWebhookUrl('https://mixed.example.com/x', { ...strict, resolveHost });
    expect(mixed).toEqual({
      ok: false,
      reason: 'host mixed.example.com resolves to a private or reserved address (10.0.0.7)',
    });
    expect((await checkWebhookUrl('https://v6.example.com/x', { ...strict, resolveHost })).ok).toBe(false);
    expect((await checkWebhookUrl('http://localhost:3000/x', { ...strict, resolveHost })).ok).toBe(false);
    const missing = await checkWebhookUrl('https://nope.example.com/x', { ...strict, resolveHost });
    expect(missing).toEqual({ ok: false, reason: 'host nope.example.com does not resolve (ENOTFOUND)' });
  });

  it('with private networks allowed, only the syntax is checked', async () => {
    const r = await checkWebhookUrl('http://127.0.0.1:9/hook', {
      allowPrivateNetworks: true,
      resolveHost: resolver({}),
    });
    expect(r.ok).toBe(true);
    expect((await checkWebhookUrl('ftp://127.0.0.1/', { allowPrivateNetworks: true })).ok).toBe(false);
  });

  describe('guardedLookup (connect time)', () => {
    const lookup = (policy: Parameters<typeof guardedLookup>[0], host: string, all: boolean, family = 0) =>
      new Promise<{ err: NodeJS.ErrnoException | null; address: string | LookupAddress[]; family?: number }>(
        (resolve) =>
          guardedLookup(policy)(host, { all, family }, (err, address, fam) =>
            resolve({ err, address, family: fam }),
          ),
      );
    const resolveHost = resolver({
      'ok.test': ['93.184.216.34', '2606:4700::1'],
      'rebind.test': ['127.0.0.1'],
    });

    it('answers with the checked addresses, in both callback forms', async () => {
      expect(await lookup({ ...strict, resolveHost }, 'ok.test', false)).toEqual({
        err: null,
        address: '93.184.216.34',
        family: 4,
      });
      expect(await lookup({ ...strict, resolveHost }, 'ok.test', false, 6)).toEqual({
        err: null,
        address: '2606:4700::1',
        family: 6,
      });
      expect((await lookup({ ...strict, resolveHost }, 'ok.test', true)).address).toEqual([
        { address: '93.184.216.34', family: 4 },
        { address: '2606:4700::1', family: 6 },
      ]);
    });

    it('fails the connection when the host now resolves to a private address', async () => {
      const r = await lookup({ ...strict, resolveHost }, 'rebind.test', true);
      expect(r.err?.message).toBe('host rebind.test resolves to a private or reserved address (127.0.0.1)');
      expect(r.err?.code).toBe('EREFUSEDADDRESS');
      expect((await lookup({ allowPrivateNetworks: true, resolveHost }, 'rebind.test', false)).address).toBe(
        '127.0.0.1',
      );
      expect((await lookup({ ...strict, resolveHost }, 'gone.test', false)).err?.code).toBe('ENOTFOUND');
    });
  });
});
