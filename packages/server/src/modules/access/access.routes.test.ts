import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../app.js';
import { createWiredTestServer, type WiredTestServer } from '../compat/wired-test-server.js';
import { HEADS } from './file-heads.fake.js';
import { createPasskeyService, type PasskeyOptions } from './passkey.service.js';

let s: WiredTestServer;
let shop: { id: string; apiKey: string };
let other: { id: string; apiKey: string };
const MB = 1024 * 1024;
const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');

beforeAll(async () => {
  s = await createWiredTestServer();
  shop = await s.createApp('shop');
  other = await s.createApp('other');
  for (const user of ['alice', 'mallory', 'frozen', 'limited']) {
    const r = await s.ingest.submit(shop.id, { id: `seed-${user}`, type: 'login', user, ip: '203.0.113.5' });
    if (!r.ok) throw new Error('seed failed');
  }
});
afterAll(async () => {
  await s.close();
});

type AccessBody = {
  access_granted: boolean;
  access_level: string;
  behavior_score: number | null;
  required_level: string;
  errors: { code: string; message: string }[];
};

const validate = (body: unknown, key = shop.apiKey) => s.call('POST', '/v1/access/validate', { key, body });

describe('POST /v1/access/validate', () => {
  it('grants access from the stored behaviour score and the thresholds in force, and audit-logs it', async () => {
    const res = await validate({ user: 'alice' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      user: 'alice',
      resource: null,
      access_granted: true,
      access_level: 'FULL',
      behavior_score: 80,
      required_level: 'LIMITED',
      status: 'active',
      errors: [],
    });
    const audit = await s.rt.db.kysely
      .selectFrom('audit_log')
      .selectAll()
      .where('action', '=', 'access.validate')
      .where('target', '=', 'alice')
      .execute();
    expect(audit).toHaveLength(1);
    expect(JSON.parse(audit[0]!.details)).toMatchObject({
      granted: true,
      accessLevel: 'FULL',
      behaviorScore: 80,
    });
  });

  it("follows the app's thresholds and per-resource levels after a config change", async () => {
    const app = await s.createApp();
    await s.ingest.submit(app.id, { id: 'e1', type: 'login', user: 'u1' });
    const put = await s.call('PUT', '/v1/config', {
      key: app.apiKey,
      body: {
        access: { full: 90, restricted: 75, limited: 50 },
        gatekeeper: { access: { resources: { withdrawals: 'FULL' } } },
      },
    });
    expect(put.statusCode).toBe(200);
    const plain = (await validate({ user: 'u1' }, app.apiKey)).json<AccessBody>();
    expect(plain).toMatchObject({
      access_granted: true,
      access_level: 'RESTRICTED',
      required_level: 'LIMITED',
    });
    const res = (await validate({ user: 'u1', resource: 'withdrawals' }, app.apiKey)).json<AccessBody>();
    expect(res).toMatchObject({ access_granted: false, access_level: 'RESTRICTED', required_level: 'FULL' });
    expect(res.errors).toEqual([
      {
        code: 'insufficient_access_level',
        message: "access level RESTRICTED (behaviour score 80) is below the FULL 'withdrawals' requires",
      },
    ]);
  });

  it('refuses suspended users and features restricted by an active enforcement', async () => {
    await s.rt.db.kysely
      .updateTable('users')
      .set({ status: 'suspended' })
      .where('app_id', '=', shop.id)
      .where('user_id', '=', 'frozen')
      .execute();
    const frozen = (await validate({ user: 'frozen' })).json<AccessBody>();
    expect(frozen).toMatchObject({ access_granted: false, access_level: 'FULL' });
    expect(frozen.errors.map((e) => e.code)).toEqual(['user_blocked']);

    const now = s.clock.now();
    await s.rt.db.kysely
      .insertInto('enforcements')
      .values({
        id: '01JTESTENFORCEMENT00000000A',
        app_id: shop.id,
        user_id: 'mallory',
        action: 'suspend_features',
        status: 'active',
        reason: 'test',
        decision_seq: null,
        features: JSON.stringify(['withdrawals']),
        starts_at: now - 1000,
        ends_at: now + 60_000,
        lifted_at: null,
        created_by: 'test',
        created_at: now,
      })
      .execute();
    const restricted = (await validate({ user: 'mallory', resource: 'withdrawals' })).json<AccessBody>();
    expect(restricted.errors.map((e) => e.code)).toEqual(['feature_restricted']);
    expect((await validate({ user: 'mallory', resource: 'chat' })).json<AccessBody>().access_granted).toBe(
      true,
    );
    s.clock.advance(61_000);
    expect(
      (await validate({ user: 'mallory', resource: 'withdrawals' })).json<AccessBody>().access_granted,
    ).toBe(true);
  });

  it('answers 404 for an unknown user, 400 for bad bodies, 403 across apps', async () => {
    const unknown = await validate({ user: 'nobody' });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toMatchObject({ error: 'user_not_found' });
    const missing = await validate({ resource: 'x' });
    expect(missing.statusCode).toBe(400);
    expect(missing.json().details).toEqual([{ path: '/', message: 'must have required properties user' }]);
    expect((await validate({ user: 'alice', extra: 1 })).statusCode).toBe(400);
    expect((await validate({ user: '' })).statusCode).toBe(400);
    expect(
      (
        await s.call('POST', `/v1/access/validate?app=${shop.id}`, {
          key: other.apiKey,
          body: { user: 'alice' },
        })
      ).statusCode,
    ).toBe(403);
    // another app's key sees its own (empty) user base
    expect((await validate({ user: 'alice' }, other.apiKey)).statusCode).toBe(404);
  });
});

describe('POST /v1/uploads/validate', () => {
  const upload = (body: Record<string, unknown>, key = shop.apiKey) =>
    s.call('POST', '/v1/uploads/validate', { key, body });

  it("accepts the spec's example (image/jpeg, 5 MB, meme.jpg) after sniffing the bytes", async () => {
    const res = await upload({
      user: 'alice',
      filename: 'meme.jpg',
      contentType: 'image/jpeg',
      contentLength: 5 * MB,
      head: b64(HEADS.jpeg),
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      valid: true,
      user: 'alice',
      filename: 'meme.jpg',
      claimed_type: 'image/jpeg',
      detected_type: 'image/jpeg',
      extension: 'jpg',
      extension_type: 'image/jpeg',
      content_length: 5 * MB,
      max_bytes: 15 * MB,
      sniffed: true,
      errors: [],
    });
    const audit = await s.rt.db.kysely
      .selectFrom('audit_log')
      .selectAll()
      .where('action', '=', 'upload.validate')
      .execute();
    expect(audit.length).toBeGreaterThanOrEqual(1);
  });

  it('lists every problem: disguised HTML, too big', async () => {
    const res = await upload({
      user: 'alice',
      filename: 'meme.jpg',
      contentType: 'image/jpeg',
      contentLength: 20 * MB,
      head: b64(HEADS.html),
    });
    expect(res.statusCode).toBe(200);
    expect(res.json<{ valid: boolean; errors: { code: string }[] }>()).toMatchObject({
      valid: false,
      detected_type: 'text/html',
    });
    expect(res.json<{ errors: { code: string }[] }>().errors.map((e) => e.code)).toEqual([
      'file_too_large',
      'type_not_allowed',
      'type_mismatch',
      'extension_mismatch',
    ]);
  });

  it('uses the configured limit and types', async () => {
    const app = await s.createApp();
    await s.call('PUT', '/v1/config', {
      key: app.apiKey,
      body: { gatekeeper: { uploads: { maxBytes: 2 * MB, allowedTypes: ['image/png', 'application/pdf'] } } },
    });
    const jpg = await upload(
      {
        user: 'u',
        filename: 'meme.jpg',
        contentType: 'image/jpeg',
        contentLength: 3 * MB,
        head: b64(HEADS.jpeg),
      },
      app.apiKey,
    );
    expect(jpg.json<{ errors: { code: string }[] }>().errors.map((e) => e.code)).toEqual([
      'file_too_large',
      'type_not_allowed',
    ]);
    const pdf = await upload(
      {
        user: 'u',
        filename: 'a.pdf',
        contentType: 'application/pdf',
        contentLength: MB,
        head: b64(HEADS.pdf),
      },
      app.apiKey,
    );
    expect(pdf.json()).toMatchObject({ valid: true, max_bytes: 2 * MB });
  });

  it('answers 400 for malformed input', async () => {
    const good = {
      user: 'alice',
      filename: 'meme.jpg',
      contentType: 'image/jpeg',
      contentLength: 10,
      head: b64(HEADS.jpeg),
    };
    const badHead = await upload({ ...good, head: 'not base64!' });
    expect(badHead.statusCode).toBe(400);
    expect(badHead.json().details).toEqual([
      { path: '/head', message: 'must be the base64 of the first bytes of the file' },
    ]);
    expect((await upload({ ...good, head: 'A' })).statusCode).toBe(400);
    expect((await upload({ ...good, contentLength: -1 })).statusCode).toBe(400);
    expect((await upload({ ...good, contentLength: 1.5 })).statusCode).toBe(400);
    expect((await upload({ ...good, head: 'A'.repeat(9000) })).statusCode).toBe(400);
    const { head: _head, ...noHead } = good;
    expect((await upload(noHead)).json().details).toEqual([
      { path: '/', message: 'must have required properties head' },
    ]);
  });
});

describe('wallet passkeys', () => {
  const account = privateKeyToAccount(generatePrivateKey());

  const challenge = async (wallet: string, key = shop.apiKey) => {
    const res = await s.call('POST', '/v1/access/challenge', { key, body: { wallet } });
    return res;
  };

  it('issues a challenge, verifies the personal_sign signature and a 15-minute session token', async () => {
    const c = await challenge(account.address.toLowerCase());
    expect(c.statusCode).toBe(200);
    const body = c.json<{ challenge: string; nonce: string; wallet: string; expiresAt: number }>();
    expect(body.wallet).toBe(account.address);
    expect(body.expiresAt).toBe(s.clock.now() + 5 * 60_000);
    expect(body.challenge).toContain(`Nonce: ${body.nonce}`);
    expect(body.challenge).toContain(`App: ${shop.id}`);

    const signature = await account.signMessage({ message: body.challenge });
    const v = await s.call('POST', '/v1/access/verify', {
      key: shop.apiKey,
      body: { wallet: account.address, signature },
    });
    expect(v.statusCode).toBe(200);
    const session = v.json<{ verified: boolean; token: string; wallet: string; expiresAt: number }>();
    expect(session).toMatchObject({
      verified: true,
      wallet: account.address,
      expiresAt: s.clock.now() + 15 * 60_000,
    });

    const check = await s.call('POST', '/v1/access/session', {
      key: shop.apiKey,
      body: { token: session.token },
    });
    expect(check.json()).toEqual({ valid: true, wallet: account.address, expiresAt: session.expiresAt });
    // another app's key cannot use it
    expect(
      (
        await s.call('POST', '/v1/access/session', { key: other.apiKey, body: { token: session.token } })
      ).json(),
    ).toMatchObject({
      valid: false,
    });
    s.clock.advance(15 * 60_000);
    expect(
      (
        await s.call('POST', '/v1/access/session', { key: shop.apiKey, body: { token: session.token } })
      ).json(),
    ).toEqual({
      valid: false,
      wallet: null,
      expiresAt: null,
    });

    // the challenge was used up: the same signature cannot be replayed
    const replay = await s.call('POST', '/v1/access/verify', {
      key: shop.apiKey,
      body: { wallet: account.address, signature },
    });
    expect(replay.statusCode).toBe(400);
    const audit = await s.rt.db.kysely
      .selectFrom('audit_log')
      .selectAll()
      .where('action', '=', 'access.verify')
      .execute();
    expect(audit.map((a) => JSON.parse(a.details) as { verified: boolean })).toEqual([
      expect.objectContaining({ verified: true }),
    ]);
  });

  it('refuses a signature by another key (403) and an expired challenge (400)', async () => {
    const intruder = privateKeyToAccount(generatePrivateKey());
    const c = (await challenge(account.address)).json<{ challenge: string }>();
    const forged = await intruder.signMessage({ message: c.challenge });
    const res = await s.call('POST', '/v1/access/verify', {
      key: shop.apiKey,
      body: { wallet: account.address, signature: forged },
    });
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({ error: 'forbidden', details: [{ path: '/signature' }] });

    const late = (await challenge(account.address)).json<{ challenge: string }>();
    const signature = await account.signMessage({ message: late.challenge });
    s.clock.advance(5 * 60_000);
    const expired = await s.call('POST', '/v1/access/verify', {
      key: shop.apiKey,
      body: { wallet: account.address, signature },
    });
    expect(expired.statusCode).toBe(400);
    expect(expired.json().error).toBe('bad_request');

    // a signature over a different message does not verify either
    await challenge(account.address);
    const other = await account.signMessage({ message: 'something else' });
    expect(
      (
        await s.call('POST', '/v1/access/verify', {
          key: shop.apiKey,
          body: { wallet: account.address, signature: other },
        })
      ).statusCode,
    ).toBe(403);
  });

  it('answers 400 for malformed wallets and signatures, and needs an app key', async () => {
    expect((await challenge('0x123')).statusCode).toBe(400);
    expect((await challenge('not-a-wallet')).json().details).toEqual([
      { path: '/wallet', message: 'must be a 0x-prefixed 20-byte hex address' },
    ]);
    await challenge(account.address);
    const badSig = await s.call('POST', '/v1/access/verify', {
      key: shop.apiKey,
      body: { wallet: account.address, signature: '0x1234' },
    });
    expect(badSig.statusCode).toBe(400);
    expect(badSig.json().details).toEqual([expect.objectContaining({ path: '/signature' })]);
    // a well-formed but invalid signature (r = s = 0) is a refusal, not a crash
    await challenge(account.address);
    const zero = `0x${'0'.repeat(128)}1b`;
    expect(
      (
        await s.call('POST', '/v1/access/verify', {
          key: shop.apiKey,
          body: { wallet: account.address, signature: zero },
        })
      ).statusCode,
    ).toBe(403);
    expect(
      (await s.call('POST', '/v1/access/challenge', { key: s.adminKey, body: { wallet: account.address } }))
        .statusCode,
    ).toBe(403);
    expect(
      (await s.call('POST', '/v1/access/session', { key: shop.apiKey, body: { token: 'garbage' } })).json()
        .valid,
    ).toBe(false);
  });

  describe('across servers on one database', () => {
    const apps: FastifyInstance[] = [];
    /** Another server on the same database, with its own passkey service (another process). */
    const secondServer = async (opts: PasskeyOptions = {}) => {
      const passkeys = createPasskeyService({ db: s.rt.db, clock: s.clock, secret: randomBytes(32) }, opts);
      const app = await buildApp({ ...s.rt, passkeys });
      apps.push(app);
      return (url: string, body: unknown, key = shop.apiKey) =>
        app.inject({
          method: 'POST',
          url,
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
          payload: JSON.stringify(body),
        });
    };
    afterAll(async () => {
      for (const app of apps) await app.close();
    });

    it('verifies on one server a challenge issued by another, once', async () => {
      const wallet = privateKeyToAccount(generatePrivateKey());
      const second = await secondServer();
      const c = (await challenge(wallet.address)).json<{ challenge: string }>();
      const signature = await wallet.signMessage({ message: c.challenge });
      const v = await second('/v1/access/verify', { wallet: wallet.address, signature });
      expect(v.statusCode).toBe(200);
      expect(v.json()).toMatchObject({ verified: true, wallet: wallet.address });
      for (const replay of [
        await second('/v1/access/verify', { wallet: wallet.address, signature }),
        await s.call('POST', '/v1/access/verify', {
          key: shop.apiKey,
          body: { wallet: wallet.address, signature },
        }),
      ]) {
        expect(replay.statusCode).toBe(400);
        expect(replay.json().error).toBe('bad_request');
      }
    });

    it('answers 429 with retry-after when an app has too many pending challenges', async () => {
      const app = await s.createApp();
      const capped = await secondServer({ maxPending: 1 });
      const [w1, w2] = [0, 1].map(() => privateKeyToAccount(generatePrivateKey()).address);
      expect((await challenge(w1!, app.apiKey)).statusCode).toBe(200);
      const res = await capped('/v1/access/challenge', { wallet: w2 }, app.apiKey);
      expect(res.statusCode).toBe(429);
      expect(res.headers['retry-after']).toBe('60');
      expect(res.json().error).toBe('rate_limited');
      // the wallet already pending may renew; another app is not affected
      expect((await capped('/v1/access/challenge', { wallet: w1 }, app.apiKey)).statusCode).toBe(200);
      expect((await capped('/v1/access/challenge', { wallet: w2 }, other.apiKey)).statusCode).toBe(200);
      // malformed input stays a 400, even at the cap
      expect((await capped('/v1/access/challenge', { wallet: '0x12' }, app.apiKey)).statusCode).toBe(400);
      expect(
        (await capped('/v1/access/verify', { wallet: w1, signature: '0xzz' }, app.apiKey)).statusCode,
      ).toBe(400);
    });
  });
});
