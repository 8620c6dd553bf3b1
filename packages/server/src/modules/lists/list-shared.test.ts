import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestServer, type TestServer } from '../../testing/test-server.js';

interface Decision {
  signals: { code: string; evidence: Record<string, unknown> }[];
}

interface ErrorBody {
  error: string;
  details: { path: string; message: string }[];
}

/** `shared: true` list entries become shared intelligence for the other apps, over HTTP. */
describe('lists: shared entries', () => {
  let s: TestServer;
  let a: { id: string; apiKey: string };
  let b: { id: string; apiKey: string };
  let n = 0;

  const intelCodes = async (key: string, body: Record<string, unknown>): Promise<string[]> => {
    const res = await s.call('POST', '/v1/events', {
      key,
      body: { id: `ev-${++n}`, type: 'login', ...body },
    });
    expect(res.statusCode).toBe(200);
    return res
      .json<Decision>()
      .signals.map((x) => x.code)
      .filter((c) => c.startsWith('intel.'));
  };
  const shareable = async (key: string, kind: string, body: Record<string, unknown>) =>
    s.call('POST', `/v1/lists/${kind}`, { key, body: { shared: true, ...body } });

  beforeAll(async () => {
    s = await createTestServer();
    a = await s.createApp('shop-a');
    b = await s.createApp('shop-b');
  });
  afterAll(async () => {
    await s?.close();
  });

  it('an entry posted with shared: true in app A raises intel.shared_* in app B; removing it withdraws it', async () => {
    expect(await intelCodes(b.apiKey, { user: 'bob', device: 'dev-evil-1' })).toEqual([]);

    const added = await shareable(a.apiKey, 'device', { value: 'dev-evil-1', label: 'bad_actor' });
    expect(added.statusCode).toBe(201);
    const listed = await s.call('GET', '/v1/intel/shared', { key: a.apiKey });
    expect(
      listed.json<{ items: { kind: string; source: string; reason: string; hash: string }[] }>().items,
    ).toEqual([
      expect.objectContaining({
        kind: 'device',
        source: 'list',
        reason: 'bad_actor',
        hash: expect.any(String),
      }),
    ]);

    expect(await intelCodes(b.apiKey, { user: 'bob', device: 'dev-evil-1' })).toEqual([
      'intel.shared_device',
    ]);
    // the contributing app does not get its own share back (its list entry is what acts there)
    expect(await intelCodes(a.apiKey, { user: 'alice', device: 'dev-evil-1' })).toEqual([]);
    // app B never sees app A's events or users
    expect((await s.call('GET', '/v1/users/alice/status', { key: b.apiKey })).statusCode).toBe(404);

    const removed = await s.call('DELETE', '/v1/lists/device/dev-evil-1', { key: a.apiKey });
    expect(removed.statusCode).toBeLessThan(300);
    expect(
      (await s.call('GET', '/v1/intel/shared', { key: a.apiKey })).json<{ items: unknown[] }>().items,
    ).toEqual([]);
    expect(await intelCodes(b.apiKey, { user: 'bob', device: 'dev-evil-1' })).toEqual([]);
  });

  it('an unshared entry stays private, and bulk entries are shared per row', async () => {
    expect(
      (await s.call('POST', '/v1/lists/wallet', { key: a.apiKey, body: { value: '0xaaa111' } })).statusCode,
    ).toBe(201);
    expect(await intelCodes(b.apiKey, { user: 'bob', wallet: '0xaaa111' })).toEqual([]);

    const bulk = await s.call('POST', '/v1/lists/email', {
      key: a.apiKey,
      body: { entries: [{ value: 'Fraud@Example.com', shared: true }, { value: 'quiet@example.com' }] },
    });
    expect(bulk.json<{ loaded: number; failed: number }>()).toMatchObject({ loaded: 2, failed: 0 });
    // canonical form: the share matches whatever case the other app sends
    expect(await intelCodes(b.apiKey, { user: 'bob', email: 'fraud@example.com' })).toEqual([
      'intel.shared_email',
    ]);
    expect(await intelCodes(b.apiKey, { user: 'bob', email: 'quiet@example.com' })).toEqual([]);
  });

  it('removing a list entry leaves a share made for another reason', async () => {
    const manual = await s.call('POST', '/v1/intel/shared', {
      key: a.apiKey,
      body: { kind: 'ip', value: '198.51.100.23', reason: 'chargeback ring' },
    });
    expect(manual.statusCode).toBe(201);
    expect((await shareable(a.apiKey, 'ip', { value: '198.51.100.23' })).statusCode).toBe(201);
    expect((await s.call('DELETE', '/v1/lists/ip/198.51.100.23', { key: a.apiKey })).statusCode).toBeLessThan(
      300,
    );
    expect(await intelCodes(b.apiKey, { user: 'bob', ip: '198.51.100.23' })).toEqual(['intel.shared_ip']);
  });

  it('refuses what cannot be shared, storing nothing', async () => {
    const refused = async (kind: string, body: Record<string, unknown>, message: RegExp, key = a.apiKey) => {
      const res = await shareable(key, kind, body);
      expect(res.statusCode).toBe(400);
      const e = res.json<ErrorBody>();
      expect(e.details).toEqual([{ path: '/shared', message: expect.stringMatching(message) }]);
      const value = String(body['value']);
      const got = await s.call('GET', `/v1/lists/${kind}/${encodeURIComponent(value)}`, { key });
      expect(got.statusCode).toBe(404);
    };
    await refused('device', { value: 'dev-ok', verdict: 'allow' }, /only block entries/);
    await refused('ip', { value: '10.0.0.0/8' }, /ranges/);
    await refused('email_domain', { value: 'mailinator.com' }, /only device, ip, wallet and email/);
    await refused('user', { value: 'someone' }, /only device, ip, wallet and email/);

    // an app that does not contribute cannot share
    const off = await s.call('PUT', '/v1/intel/settings', { key: b.apiKey, body: { contribute: false } });
    expect(off.statusCode).toBe(200);
    await refused('device', { value: 'dev-b-1' }, /does not contribute/, b.apiKey);

    // global entries (admin, app '*') already apply everywhere
    const global = await s.call('POST', '/v1/lists/device?app=*', {
      key: s.adminKey,
      body: { value: 'dev-g', shared: true },
    });
    expect(global.statusCode).toBe(400);
    expect(global.json<ErrorBody>().details[0]?.message).toMatch(/global entries/);
  });
});
