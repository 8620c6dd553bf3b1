import { randomBytes } from 'node:crypto';
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DomainError } from '../../errors.js';
import { openDatabase, type Db } from '../../storage/database.js';
import {
  createPgTestDatabase,
  createSqliteTestDatabase,
  describeWithPostgres,
  type TestDatabase,
} from '../../storage/test-databases.js';
import { createFakeClock } from '../../testing/fake-clock.js';
import { createPasskeyChallengeStore } from './passkey-challenge.store.js';
import { createPasskeyService, type PasskeyOptions, type PasskeyService } from './passkey.service.js';

/** The DomainError `fn` throws (fails the test when it resolves or throws something else). */
async function domainError(fn: () => Promise<unknown>): Promise<DomainError> {
  try {
    await fn();
  } catch (err) {
    if (err instanceof DomainError) return err;
    throw err;
  }
  throw new Error('expected a DomainError');
}

function contract(open: () => Promise<TestDatabase>): void {
  let t: TestDatabase;
  /** A second handle on the same database: another process's connections. */
  let other: Db;
  const clock = createFakeClock(Date.UTC(2026, 0, 15, 12));
  const secret = randomBytes(32);
  const account = privateKeyToAccount(generatePrivateKey());
  /** A service as one process would create it, on `db`. */
  const serviceOn = (db: Db, opts: PasskeyOptions = {}): PasskeyService =>
    createPasskeyService({ db, clock, secret }, opts);
  const rows = async (db: Db, appId?: string) => {
    let q = db.kysely
      .withTables<{ passkey_challenges: { app_id: string; wallet: string } }>()
      .selectFrom('passkey_challenges')
      .select(['app_id', 'wallet']);
    if (appId !== undefined) q = q.where('app_id', '=', appId);
    return q.execute();
  };

  beforeEach(async () => {
    t = await open();
    other = await openDatabase(t.config, { poolSize: 2 });
  });
  afterEach(async () => {
    await other.close();
    await t.cleanup();
  });

  it('verifies in one process a challenge issued by another, once; the session holds in both', async () => {
    const a = serviceOn(t.db);
    const b = serviceOn(other);
    const c = await a.challenge('app1', account.address.toLowerCase());
    expect(c.wallet).toBe(account.address);
    expect(c.expiresAt).toBe(clock.now() + 5 * 60_000);
    const signature = await account.signMessage({ message: c.challenge });

    const s = await b.verify('app1', account.address, signature, 'key:test');
    expect(s.wallet).toBe(account.address);
    expect(a.session('app1', s.token)).toMatchObject({ wallet: account.address, app: 'app1' });
    expect(a.session('app2', s.token)).toBeUndefined();

    // consumed: a replay fails in either process
    for (const svc of [a, b]) {
      const replay = await domainError(() => svc.verify('app1', account.address, signature, 'key:test'));
      expect(replay.code).toBe('bad_request');
    }
    expect(await rows(t.db)).toEqual([]);
    const audit = await t.db.kysely
      .selectFrom('audit_log')
      .select('details')
      .where('action', '=', 'access.verify')
      .execute();
    expect(audit.map((r) => JSON.parse(r.details) as unknown)).toEqual([{ verified: true, nonce: c.nonce }]);
  });

  it('keeps a pending challenge across a restart (a new service on a new connection)', async () => {
    const c = await serviceOn(other).challenge('app1', account.address);
    await other.close();
    other = await openDatabase(t.config, { poolSize: 2 });
    const signature = await account.signMessage({ message: c.challenge });
    await expect(
      serviceOn(other).verify('app1', account.address, signature, 'key:test'),
    ).resolves.toMatchObject({ wallet: account.address });
  });

  it('lets exactly one of two concurrent verifications of the same challenge through', async () => {
    const a = serviceOn(t.db);
    const b = serviceOn(other);
    const c = await a.challenge('app1', account.address);
    const signature = await account.signMessage({ message: c.challenge });
    const results = await Promise.allSettled([
      a.verify('app1', account.address, signature, 'key:a'),
      b.verify('app1', account.address, signature, 'key:b'),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const failed = results.find((r) => r.status === 'rejected');
    expect(failed?.status === 'rejected' && failed.reason instanceof DomainError && failed.reason.code).toBe(
      'bad_request',
    );
  });

  it('a new challenge replaces the pending one; the old one no longer verifies', async () => {
    const a = serviceOn(t.db);
    const first = await a.challenge('app1', account.address);
    const second = await serviceOn(other).challenge('app1', account.address);
    expect(second.nonce).not.toBe(first.nonce);
    expect(await rows(t.db, 'app1')).toHaveLength(1);
    const stale = await account.signMessage({ message: first.challenge });
    expect((await domainError(() => a.verify('app1', account.address, stale, 'key:test'))).code).toBe(
      'forbidden',
    );
    // the wrong attempt consumed the challenge too
    const fresh = await account.signMessage({ message: second.challenge });
    expect((await domainError(() => a.verify('app1', account.address, fresh, 'key:test'))).code).toBe(
      'bad_request',
    );
  });

  it('refuses an expired challenge (bad_request) and consumes it', async () => {
    const a = serviceOn(t.db);
    const c = await a.challenge('app1', account.address);
    const signature = await account.signMessage({ message: c.challenge });
    clock.advance(5 * 60_000);
    const err = await domainError(() =>
      serviceOn(other).verify('app1', account.address, signature, 'key:test'),
    );
    expect(err.code).toBe('bad_request');
    expect(await rows(t.db)).toEqual([]);
  });

  it('refuses a signature by another key (forbidden), audit-logged', async () => {
    const intruder = privateKeyToAccount(generatePrivateKey());
    const c = await serviceOn(t.db).challenge('app1', account.address);
    const forged = await intruder.signMessage({ message: c.challenge });
    const err = await domainError(() => serviceOn(other).verify('app1', account.address, forged, 'key:x'));
    expect(err.code).toBe('forbidden');
    const audit = await t.db.kysely
      .selectFrom('audit_log')
      .select(['details', 'target', 'actor'])
      .where('action', '=', 'access.verify')
      .execute();
    expect(audit).toEqual([
      {
        details: JSON.stringify({ nonce: c.nonce, verified: false }),
        target: account.address,
        actor: 'key:x',
      },
    ]);
  });

  it('caps pending challenges per app (rate_limited), counting unexpired ones in every process', async () => {
    const a = serviceOn(t.db, { maxPending: 2 });
    const b = serviceOn(other, { maxPending: 2 });
    const w = [1, 2, 3].map(() => privateKeyToAccount(generatePrivateKey()).address);
    await a.challenge('app1', w[0]!);
    await b.challenge('app1', w[1]!);
    const err = await domainError(() => a.challenge('app1', w[2]!));
    expect(err.code).toBe('rate_limited');
    expect(err.retryAfterSeconds).toBe(60);
    expect((await domainError(() => b.challenge('app1', w[2]!))).code).toBe('rate_limited');
    // renewing a pending one adds nothing; another app has its own cap
    await expect(b.challenge('app1', w[0]!)).resolves.toMatchObject({ wallet: w[0] });
    await expect(a.challenge('app2', w[2]!)).resolves.toMatchObject({ wallet: w[2] });
    // once they expire the slots are free again, and the expired rows are gone
    clock.advance(5 * 60_000);
    await expect(a.challenge('app1', w[2]!)).resolves.toMatchObject({ wallet: w[2] });
    expect((await rows(t.db, 'app1')).map((r) => r.wallet)).toEqual([w[2]]);
  });

  it('rejects a malformed wallet or signature (validation_failed) without consuming the challenge', async () => {
    const a = serviceOn(t.db);
    for (const wallet of ['0x123', 'not-a-wallet', '', `0x${'g'.repeat(40)}`]) {
      expect((await domainError(() => a.challenge('app1', wallet))).code).toBe('validation_failed');
      expect((await domainError(() => a.verify('app1', wallet, `0x${'1'.repeat(130)}`, 'k'))).code).toBe(
        'validation_failed',
      );
    }
    const c = await a.challenge('app1', account.address);
    for (const sig of ['0x1234', 'zz', `0x${'1'.repeat(131)}`, `${'1'.repeat(130)}`]) {
      const err = await domainError(() => a.verify('app1', account.address, sig, 'key:test'));
      expect(err.code).toBe('validation_failed');
      expect(err.details).toEqual([expect.objectContaining({ path: '/signature' })]);
    }
    const signature = await account.signMessage({ message: c.challenge });
    await expect(a.verify('app1', account.address, signature, 'key:test')).resolves.toMatchObject({
      wallet: account.address,
    });
  });

  it('store: deletes expired challenges in bounded batches, never a renewed one', async () => {
    const store = createPasskeyChallengeStore(t.db);
    const now = clock.now();
    for (let i = 0; i < 5; i++) {
      await store.put({
        appId: 'app1',
        wallet: `w${i}`,
        nonce: `n${i}`,
        challenge: 'c',
        createdAt: now - 10,
        expiresAt: now - 1,
      });
    }
    await store.put({
      appId: 'app1',
      wallet: 'w0',
      nonce: 'n',
      challenge: 'c',
      createdAt: now,
      expiresAt: now + 1,
    });
    await store.put({ appId: 'app2', wallet: 'w9', nonce: 'n', challenge: 'c', createdAt: 0, expiresAt: 1 });
    expect(await store.countPending('app1', now, 10)).toBe(1);
    expect(await store.deleteExpired('app1', now, 3)).toBe(3);
    expect(await store.deleteExpired('app1', now, 3)).toBe(1);
    expect(await store.deleteExpired('app1', now, 3)).toBe(0);
    expect((await rows(t.db)).map((r) => `${r.app_id}/${r.wallet}`).sort()).toEqual(['app1/w0', 'app2/w9']);
    expect(await store.hasPending('app1', 'w0', now)).toBe(true);
    expect(await store.hasPending('app1', 'w0', now + 1)).toBe(false);
    expect(await store.countPending('app1', now - 100, 1)).toBe(1);
  });
}

describe('passkey challenges on SQLite', () => contract(() => createSqliteTestDatabase()));
describe('passkey challenges on SQLite (worker thread)', () =>
  contract(() => createSqliteTestDatabase({ workerThread: true })));
describeWithPostgres('passkey challenges on PostgreSQL', () => contract(createPgTestDatabase));
