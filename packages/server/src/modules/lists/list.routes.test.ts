import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createEngine, emptyLists, type ListLookup } from '@vigil/engine';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../app.js';
import { loadConfig } from '../../config.js';
import { createRuntime, type Runtime } from '../../runtime.js';
import { createFakeClock } from '../../testing/fake-clock.js';
import { verifyAuditChain } from '../audit/audit.store.js';
import { createListRegistry, withAppLists } from './list-registry.js';
import { listRoutes } from './list.routes.js';
import { MAX_LIST_ROWS } from './list.schemas.js';
import { createListService, type ListService } from './list.service.js';
import { createListStore, GLOBAL_LIST_SCOPE } from './list.store.js';

/** The server as main.ts will wire it: engine over the registry, list routes registered after buildApp. */
interface Harness {
  readonly app: FastifyInstance;
  readonly rt: Runtime;
  readonly lists: ListService;
  readonly clock: ReturnType<typeof createFakeClock>;
  readonly admin: string;
  call(
    method: 'GET' | 'POST' | 'DELETE',
    url: string,
    opts?: { key?: string; body?: unknown },
  ): Promise<LightMyRequestResponse>;
  newApp(): Promise<{ id: string; key: string }>;
  close(): Promise<void>;
}

function isListService(v: unknown): v is ListService {
  return typeof v === 'object' && v !== null && 'registry' in v && 'add' in v && 'load' in v;
}

/**
 * Starts the server the way main.ts does. Until runtime.ts wires the lists (`rt.lists`), the
 * harness wires them itself: engine over a registry, list routes registered after buildApp.
 */
async function start(): Promise<Harness> {
  const dir = mkdtempSync(path.join(tmpdir(), 'vigil-lists-'));
  const config = loadConfig({ DATA_DIR: dir, SNAPSHOT_INTERVAL_MS: '0' });
  const clock = createFakeClock(Date.UTC(2026, 0, 15, 12));
  const mine = createListRegistry();
  let target: ListLookup = emptyLists;
  const delegate: ListLookup = { lookup: (kind, value) => target.lookup(kind, value) };
  const rt = await createRuntime({
    config,
    clock,
    createEngine: () => withAppLists(createEngine({ lists: delegate }), mine),
  });
  const wired: unknown = Reflect.get(rt, 'lists');
  const lists = isListService(wired)
    ? wired
    : createListService({ db: rt.db, clock, registry: mine, apps: rt.apps });
  target = lists.registry.lookup;
  if (!isListService(wired)) await lists.load();
  const admin = (await rt.keys.create({ role: 'admin', name: 'admin' }, 'test')).key;
  const app = await buildApp(rt);
  if (!isListService(wired)) await app.register(listRoutes({ lists, clock }));
  let n = 0;
  const call: Harness['call'] = (method, url, opts = {}) =>
    app.inject({
      method,
      url,
      headers: {
        ...(opts.key !== undefined ? { authorization: `Bearer ${opts.key}` } : {}),
        ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(opts.body !== undefined
        ? { payload: typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body) }
        : {}),
    });
  return {
    app,
    rt,
    lists,
    clock,
    admin,
    call,
    async newApp() {
      const created = await rt.apps.create(`lists-${++n}`, 'test');
      return { id: created.app.id, key: created.apiKey };
    },
    async close() {
      await app.close();
      await rt.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

let h: Harness;
beforeAll(async () => {
  h = await start();
});
afterAll(async () => {
  await h.close();
});

const countRows = async (scope: string) => createListStore(h.rt.db).count(scope);

describe('POST /v1/lists/:kind', () => {
  it('adds one entry in canonical form (201) and the engine sees it at once', async () => {
    const a = await h.newApp();
    const res = await h.call('POST', '/v1/lists/ip', {
      key: a.key,
      body: { value: '10.1.2.3/8', label: 'office' },
    });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({
      app: a.id,
      kind: 'ip',
      value: '10.0.0.0/8',
      verdict: 'block',
      label: 'office',
      weight: 1,
      expiresAt: null,
      scored: true,
    });
    expect(h.lists.lookup(a.id, 'ip', '10.200.3.4')).toMatchObject({ verdict: 'block', match: '10.0.0.0/8' });

    const ev = await h.call('POST', '/v1/events', {
      key: a.key,
      body: { id: 'ev-1', type: 'login', user: 'u1', ip: '10.9.8.7' },
    });
    expect(ev.statusCode).toBe(200);
    const codes = ev.json<{ signals: { code: string }[] }>().signals.map((s) => s.code);
    expect(codes).toContain('lists.ip_blocked');
  });

  it('lower-cases wallets and e-mail domains, keeps user ids exact', async () => {
    const a = await h.newApp();
    const w = await h.call('POST', '/v1/lists/wallet', {
      key: a.key,
      body: { value: '0xABCdef', verdict: 'allow' },
    });
    expect(w.json()).toMatchObject({ value: '0xabcdef', verdict: 'allow', label: 'allowlist' });
    const d = await h.call('POST', '/v1/lists/email_domain', {
      key: a.key,
      body: { value: '@Mailinator.COM' },
    });
    expect(d.json()).toMatchObject({ value: 'mailinator.com' });
    expect(h.lists.lookup(a.id, 'email_domain', 'x.mailinator.com')?.verdict).toBe('block');
    const u = await h.call('POST', '/v1/lists/user', { key: a.key, body: { value: 'User-7' } });
    expect(u.json()).toMatchObject({ value: 'User-7' });
  });

  it('replaces the entry for a value already listed (latest verdict wins)', async () => {
    const a = await h.newApp();
    await h.call('POST', '/v1/lists/device', { key: a.key, body: { value: 'd1', verdict: 'block' } });
    const r = await h.call('POST', '/v1/lists/device', {
      key: a.key,
      body: { value: 'd1', verdict: 'allow' },
    });
    expect(r.statusCode).toBe(201);
    expect(await countRows(a.id)).toEqual({ block: 0, allow: 1, flag: 0 });
    expect(h.lists.lookup(a.id, 'device', 'd1')?.verdict).toBe('allow');
  });

  it('stores flag entries (reputation) and scores them without making the engine block on them', async () => {
    const a = await h.newApp();
    const r = await h.call('POST', '/v1/lists/ip', {
      key: a.key,
      body: { value: '198.51.100.7', verdict: 'flag', label: 'tor' },
    });
    expect(r.statusCode).toBe(201);
    expect(r.json()).toMatchObject({ verdict: 'flag', label: 'tor' });
    const ev = await h.call('POST', '/v1/events', {
      key: a.key,
      body: { id: 'ev-flag', type: 'login', user: 'u1', ip: '198.51.100.7' },
    });
    const body = ev.json<{ outcome: string; signals: { code: string }[] }>();
    const codes = body.signals.map((s) => s.code);
    expect(codes).not.toContain('lists.ip_blocked');
    // graded once, by the IP-reputation detector (the list detector leaves flagged IPs to it)
    expect(codes).toContain('shield.ip_reputation.listed');
    expect(codes).not.toContain('lists.ip_flagged');
    expect(body.outcome).not.toBe('block');
  });

  it('answers a bulk write with a per-row report, storing the good rows only', async () => {
    const a = await h.newApp();
    const res = await h.call('POST', '/v1/lists/ip', {
      key: a.key,
      body: {
        entries: [
          { value: '1.2.3.4' },
          { value: '999.1.1.1' },
          { value: '2001:db8::1/32', label: 'v6' },
          { value: '10.0.0.0/33' },
          { value: '5.6.7.8', verdict: 'maybe' },
          { value: '5.6.7.9', extra: 1 },
        ],
      },
    });
    expect(res.statusCode).toBe(200);
    const body = res.json<{
      loaded: number;
      failed: number;
      results: {
        index: number;
        ok: boolean;
        value?: string;
        error?: { error: string; details: { path: string; message: string }[] };
      }[];
    }>();
    expect(body.loaded).toBe(2);
    expect(body.failed).toBe(4);
    expect(body.results.map((r) => r.ok)).toEqual([true, false, true, false, false, false]);
    expect(body.results[0]).toEqual({ index: 0, ok: true, value: '1.2.3.4' });
    expect(body.results[2]).toEqual({ index: 2, ok: true, value: '2001:db8::/32' });
    expect(body.results[1]!.error).toMatchObject({
      error: 'validation_failed',
      details: [{ path: '/value' }],
    });
    expect(body.results[1]!.error!.details[0]!.message).toContain('999.1.1.1');
    expect(body.results[3]!.error!.details[0]!.message).toContain('10.0.0.0/33');
    expect(body.results[4]!.error!.details[0]).toMatchObject({ path: '/verdict' });
    expect(body.results[5]!.error!.details[0]).toEqual({ path: '/extra', message: 'unknown field' });
    expect((await countRows(a.id)).block).toBe(2);
  });
});

describe('bad input', () => {
  it('rejects an invalid IP or CIDR with 400 and details, writing nothing', async () => {
    const a = await h.newApp();
    for (const value of ['999.1.1.1', '10.0.0.0/33', '1.2.3.4/abc', 'not-an-ip', '1.2.3', '::g']) {
      const res = await h.call('POST', '/v1/lists/ip', { key: a.key, body: { value } });
      expect(res.statusCode, value).toBe(400);
      expect(res.json()).toMatchObject({ error: 'validation_failed', message: 'invalid ip entry' });
      expect(res.json().details[0].path).toBe('/value');
      expect(res.json().details[0].message).toContain(value);
    }
    expect(await countRows(a.id)).toEqual({ block: 0, allow: 0, flag: 0 });
  });

  it('rejects wrong types, unknown fields, unknown kinds, past expiry and bad e-mails', async () => {
    const a = await h.newApp();
    const cases: [string, unknown, string][] = [
      ['/v1/lists/ip', { value: 42 }, '/value'],
      ['/v1/lists/ip', { value: '1.1.1.1', weight: -1 }, '/weight'],
      ['/v1/lists/ip', { value: '1.1.1.1', label: '' }, '/label'],
      ['/v1/lists/ip', { value: '1.1.1.1', sudo: true }, '/sudo'],
      ['/v1/lists/ip', {}, '/value'],
      ['/v1/lists/ip', { value: '1.1.1.1', expiresAt: h.clock.now() - 1 }, '/expiresAt'],
      ['/v1/lists/email', { value: 'nobody' }, '/value'],
      ['/v1/lists/email_domain', { value: 'bad domain' }, '/value'],
      ['/v1/lists/wallet', { value: '0x a' }, '/value'],
      ['/v1/lists/planet', { value: 'mars' }, '/kind'],
      ['/v1/lists/ip', [], '/'],
      ['/v1/lists/ip', { entries: [] }, '/entries'],
      ['/v1/lists/ip', { entries: [{ value: '1.1.1.1' }], more: 1 }, '/more'],
    ];
    for (const [url, body, p] of cases) {
      const res = await h.call('POST', url, { key: a.key, body });
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.json().error).toBe('validation_failed');
      const paths = res.json<{ details: { path: string }[] }>().details.map((d) => d.path);
      expect(paths, JSON.stringify(body)).toContain(p);
    }
    const kind = await h.call('POST', '/v1/lists/planet', { key: a.key, body: { value: 'x' } });
    expect(kind.json().details[0].message).toContain('"ip"');
    expect(await countRows(a.id)).toEqual({ block: 0, allow: 0, flag: 0 });
  });

  it('answers malformed JSON with invalid_json and oversized batches with batch_too_large', async () => {
    const a = await h.newApp();
    const bad = await h.call('POST', '/v1/lists/ip', { key: a.key, body: '{"value": "1.1.1.1"' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toBe('invalid_json');
    const entries = Array.from({ length: MAX_LIST_ROWS + 1 }, (_, i) => ({
      value: `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`,
    }));
    const big = await h.call('POST', '/v1/lists/ip', { key: a.key, body: { entries } });
    expect(big.statusCode).toBe(400);
    expect(big.json()).toMatchObject({ error: 'batch_too_large', details: [{ path: '/entries' }] });
    expect((await countRows(a.id)).block).toBe(0);
  });

  it('rejects a bad cursor and a bad limit', async () => {
    const a = await h.newApp();
    const c = await h.call('GET', '/v1/lists/ip?cursor=%%%', { key: a.key });
    expect(c.statusCode).toBe(400);
    expect(c.json().details[0].path).toBe('/cursor');
    const l = await h.call('GET', '/v1/lists/ip?limit=0', { key: a.key });
    expect(l.statusCode).toBe(400);
    expect(l.json().details[0].path).toBe('/limit');
  });
});

describe('GET /v1/lists/:kind', () => {
  it('pages in value order, filters by verdict and label', async () => {
    const a = await h.newApp();
    await h.call('POST', '/v1/lists/user', {
      key: a.key,
      body: {
        entries: [
          { value: 'u3' },
          { value: 'u1', verdict: 'allow' },
          { value: 'u5', label: 'fraud' },
          { value: 'u2' },
          { value: 'u4', verdict: 'flag' },
        ],
      },
    });
    const seen: string[] = [];
    let url = '/v1/lists/user?limit=2';
    for (let i = 0; i < 5; i++) {
      const res = await h.call('GET', url, { key: a.key });
      expect(res.statusCode).toBe(200);
      const page = res.json<{ items: { value: string }[]; nextCursor: string | null }>();
      seen.push(...page.items.map((x) => x.value));
      if (page.nextCursor === null) break;
      url = `/v1/lists/user?limit=2&cursor=${page.nextCursor}`;
    }
    expect(seen).toEqual(['u1', 'u2', 'u3', 'u4', 'u5']);
    const blocks = await h.call('GET', '/v1/lists/user?verdict=block', { key: a.key });
    expect(blocks.json<{ items: { value: string }[] }>().items.map((x) => x.value)).toEqual([
      'u2',
      'u3',
      'u5',
    ]);
    const fraud = await h.call('GET', '/v1/lists/user?label=fraud', { key: a.key });
    expect(fraud.json<{ items: { value: string }[] }>().items.map((x) => x.value)).toEqual(['u5']);
    const flag = await h.call('GET', '/v1/lists/user?verdict=flag', { key: a.key });
    expect(flag.json().items[0]).toMatchObject({
      value: 'u4',
      verdict: 'flag',
      label: 'reputation',
      scored: true,
    });
  });
});

describe('GET and DELETE /v1/lists/:kind/:value', () => {
  it('shows the stored entry and the engine match; removes a CIDR range given URL-encoded or plain', async () => {
    const a = await h.newApp();
    await h.call('POST', '/v1/lists/ip', { key: a.key, body: { value: '172.16.0.0/12' } });
    await h.call('POST', '/v1/lists/ip', { key: a.key, body: { value: '2001:db8::/48', verdict: 'allow' } });
    const inRange = await h.call('GET', '/v1/lists/ip/172.20.1.1', { key: a.key });
    expect(inRange.statusCode).toBe(200);
    expect(inRange.json()).toEqual({
      entry: null,
      hit: { verdict: 'block', label: 'blocklist', weight: 1, match: '172.16.0.0/12' },
    });
    const exact = await h.call('GET', '/v1/lists/ip/172.16.0.0%2F12', { key: a.key });
    expect(exact.json().entry).toMatchObject({ value: '172.16.0.0/12' });
    expect((await h.call('GET', '/v1/lists/ip/8.8.8.8', { key: a.key })).statusCode).toBe(404);

    const del = await h.call('DELETE', '/v1/lists/ip/172.16.0.0%2F12', { key: a.key });
    expect(del.statusCode).toBe(200);
    expect(del.json()).toMatchObject({ value: '172.16.0.0/12', verdict: 'block' });
    expect(h.lists.lookup(a.id, 'ip', '172.20.1.1')).toBeUndefined();

    // plain slash and non-canonical spelling of the same range
    const v6 = await h.call('DELETE', '/v1/lists/ip/2001:0db8:0:0::1/48', { key: a.key });
    expect(v6.statusCode).toBe(200);
    expect(v6.json().value).toBe('2001:db8::/48');
    expect(await countRows(a.id)).toEqual({ block: 0, allow: 0, flag: 0 });

    const again = await h.call('DELETE', '/v1/lists/ip/172.16.0.0%2F12', { key: a.key });
    expect(again.statusCode).toBe(404);
    expect(again.json().error).toBe('not_found');
    const bad = await h.call('DELETE', '/v1/lists/ip/300.1.1.1%2F8', { key: a.key });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ error: 'validation_failed', details: [{ path: '/value' }] });
  });
});

describe('scoping and roles', () => {
  it("never lets an app key read or change another app's lists", async () => {
    const a = await h.newApp();
    const b = await h.newApp();
    await h.call('POST', '/v1/lists/user', { key: a.key, body: { value: 'secret-user' } });
    const readOther = await h.call('GET', `/v1/lists/user?app=${a.id}`, { key: b.key });
    expect(readOther.statusCode).toBe(403);
    const writeOther = await h.call('POST', `/v1/lists/user?app=${a.id}`, {
      key: b.key,
      body: { value: 'x' },
    });
    expect(writeOther.statusCode).toBe(403);
    const delOther = await h.call('DELETE', `/v1/lists/user/secret-user?app=${a.id}`, { key: b.key });
    expect(delOther.statusCode).toBe(403);
    const global = await h.call('POST', '/v1/lists/user?app=*', { key: b.key, body: { value: 'x' } });
    expect(global.statusCode).toBe(403);
    const own = await h.call('GET', '/v1/lists/user', { key: b.key });
    expect(own.json().items).toEqual([]);
    expect((await h.call('DELETE', '/v1/lists/user/secret-user', { key: b.key })).statusCode).toBe(404);
    expect(h.lists.lookup(a.id, 'user', 'secret-user')?.verdict).toBe('block');
    expect(h.lists.lookup(b.id, 'user', 'secret-user')).toBeUndefined();
  });

  it('needs a key (401); admin keys name the app (400 without, 404 unknown); viewers read but cannot write (403)', async () => {
    const a = await h.newApp();
    expect((await h.call('GET', '/v1/lists/ip')).statusCode).toBe(401);
    expect((await h.call('GET', '/v1/lists/ip', { key: 'vgl_revoked_or_unknown_key' })).statusCode).toBe(401);
    const noApp = await h.call('GET', '/v1/lists/ip', { key: h.admin });
    expect(noApp.statusCode).toBe(400);
    expect(noApp.json().details[0].path).toBe('/app');
    const unknown = await h.call('POST', '/v1/lists/ip?app=nope', {
      key: h.admin,
      body: { value: '1.1.1.1' },
    });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().error).toBe('app_not_found');
    const viewer = (await h.rt.keys.create({ role: 'viewer', name: 'ro' }, 'test')).key;
    const analyst = (await h.rt.keys.create({ role: 'analyst', name: 'an' }, 'test')).key;
    expect((await h.call('GET', `/v1/lists/ip?app=${a.id}`, { key: viewer })).statusCode).toBe(200);
    const denied = await h.call('POST', `/v1/lists/ip?app=${a.id}`, {
      key: viewer,
      body: { value: '1.1.1.1' },
    });
    expect(denied.statusCode).toBe(403);
    expect(denied.json().message).toContain('analyst');
    expect((await h.call('DELETE', `/v1/lists/ip/1.1.1.1?app=${a.id}`, { key: viewer })).statusCode).toBe(
      403,
    );
    const ok = await h.call('POST', `/v1/lists/ip?app=${a.id}`, { key: analyst, body: { value: '1.1.1.1' } });
    expect(ok.statusCode).toBe(201);
    expect(ok.json().createdBy).toMatch(/^key:/);
    expect((await h.call('POST', '/v1/lists/reload', { key: analyst })).statusCode).toBe(403);
  });

  it('global lists (?app=*) apply to every app; an app entry overrides a global one', async () => {
    const a = await h.newApp();
    const b = await h.newApp();
    const g = await h.call('POST', `/v1/lists/ip?app=${GLOBAL_LIST_SCOPE}`, {
      key: h.admin,
      body: { value: '203.0.113.0/24', label: 'bad_actor' },
    });
    expect(g.statusCode).toBe(201);
    expect(g.json().app).toBe('*');
    await h.call('POST', '/v1/lists/ip', { key: b.key, body: { value: '203.0.113.5', verdict: 'allow' } });
    expect(h.lists.lookup(a.id, 'ip', '203.0.113.5')?.verdict).toBe('block');
    expect(h.lists.lookup(b.id, 'ip', '203.0.113.5')?.verdict).toBe('allow');
    const evA = await h.call('POST', '/v1/events', {
      key: a.key,
      body: { id: 'g1', type: 'login', ip: '203.0.113.5' },
    });
    expect(evA.json<{ signals: { code: string }[] }>().signals.map((s) => s.code)).toContain(
      'lists.ip_blocked',
    );
    const evB = await h.call('POST', '/v1/events', {
      key: b.key,
      body: { id: 'g1', type: 'login', ip: '203.0.113.5' },
    });
    expect(evB.json<{ signals: { code: string }[] }>().signals.map((s) => s.code)).not.toContain(
      'lists.ip_blocked',
    );
    expect((await h.call('DELETE', `/v1/lists/ip/203.0.113.0%2F24?app=*`, { key: h.admin })).statusCode).toBe(
      200,
    );
  });
});

describe('oracle compatibility routes', () => {
  it('POST /blacklist and /whitelist set a wallet verdict and answer {success, address, listed}', async () => {
    const a = await h.newApp();
    const bl = await h.call('POST', '/blacklist', {
      key: a.key,
      body: { address: '0xDEADbeef', reason: 'sanctioned' },
    });
    expect(bl.statusCode).toBe(200);
    expect(bl.json()).toEqual({ success: true, address: '0xdeadbeef', listed: 'blacklist' });
    expect(h.lists.lookup(a.id, 'wallet', '0xdeadbeef')).toMatchObject({
      verdict: 'block',
      label: 'sanctioned',
    });
    const wl = await h.call('POST', '/whitelist', { key: a.key, body: { address: '0xdeadbeef' } });
    expect(wl.json()).toEqual({ success: true, address: '0xdeadbeef', listed: 'whitelist' });
    expect(h.lists.lookup(a.id, 'wallet', '0xDEADBEEF')?.verdict).toBe('allow');
    const bad = await h.call('POST', '/blacklist', { key: a.key, body: { address: 'has space' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().details[0].path).toBe('/address');
    const missing = await h.call('POST', '/whitelist', { key: a.key, body: { reason: 'x' } });
    expect(missing.statusCode).toBe(400);
    expect(missing.json().details[0].message).toContain('address');
    const admin = await h.call('POST', `/blacklist?app=${a.id}`, { key: h.admin, body: { address: '0x1' } });
    expect(admin.statusCode).toBe(200);
  });
});

describe('durability', () => {
  it('reloads from the database (entries written offline appear after POST /v1/lists/reload)', async () => {
    const a = await h.newApp();
    await createListStore(h.rt.db).upsertMany([
      {
        id: 'offline-1',
        scope: a.id,
        kind: 'email_domain',
        value: 'throwaway.test',
        verdict: 'block',
        label: 'disposable',
        weight: 1,
        expiresAt: null,
        createdAt: h.clock.now(),
        createdBy: 'cli',
      },
    ]);
    expect(h.lists.lookup(a.id, 'email_domain', 'throwaway.test')).toBeUndefined();
    const r = await h.call('POST', '/v1/lists/reload', { key: h.admin });
    expect(r.statusCode).toBe(200);
    expect(r.json().loaded).toBeGreaterThanOrEqual(1);
    expect(h.lists.lookup(a.id, 'email_domain', 'sub.throwaway.test')?.label).toBe('disposable');
  });

  it('expires entries: prune deletes them from the database and memory', async () => {
    const a = await h.newApp();
    const at = h.clock.now() + 60_000;
    await h.call('POST', '/v1/lists/user', { key: a.key, body: { value: 'temp', expiresAt: at } });
    expect(h.lists.lookup(a.id, 'user', 'temp')).toBeDefined();
    h.clock.set(at);
    expect(await h.lists.prune()).toBeGreaterThanOrEqual(1);
    expect(h.lists.lookup(a.id, 'user', 'temp')).toBeUndefined();
    expect((await countRows(a.id)).block).toBe(0);
  });

  it('audit-logs list changes in an intact chain', async () => {
    const rows = await h.rt.db.kysely.selectFrom('audit_log').select(['action']).execute();
    expect(rows.map((r) => r.action)).toEqual(expect.arrayContaining(['list.add', 'list.remove']));
    expect((await verifyAuditChain(h.rt.db)).ok).toBe(true);
  });
});
