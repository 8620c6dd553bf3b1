import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../storage/database.js';
import type { TestDatabase } from '../../storage/test-databases.js';
import { ulid } from '../../storage/ulid.js';
import { createOutboxStore } from './outbox.store.js';

/** The outbox store's contract, run on every dialect (outbox.store.test.ts, outbox.store.int.test.ts). */
export function describeOutboxStoreContract(open: () => Promise<TestDatabase>): void {
  let t: TestDatabase;
  let db: Db;
  beforeAll(async () => {
    t = await open();
    db = t.db;
  });
  afterAll(async () => {
    await t?.cleanup();
  });

  // every test uses its own kind, so tests never claim each other's rows
  const kind = () => `k-${ulid()}`;

  describe('outbox store', () => {
    it('enqueues messages that read back with their JSON payload, pending and due', async () => {
      const s = createOutboxStore(db);
      const k = kind();
      const [id] = await s.enqueue(
        [{ app: 'a1', kind: k, payload: { n: 1, list: ['x'], nested: { ok: true } } }],
        1000,
      );
      expect(await s.get(id!)).toEqual({
        id,
        app: 'a1',
        kind: k,
        payload: { n: 1, list: ['x'], nested: { ok: true } },
        createdAt: 1000,
        availableAt: 1000,
        attempts: 0,
        status: 'pending',
        deliveredAt: null,
        deadAt: null,
        lastError: null,
      });
      expect(await s.get('missing')).toBeUndefined();
      expect(await s.nextDueAt([k])).toBe(1000);
    });

    it('enqueued in a transaction that rolls back leaves nothing', async () => {
      const k = kind();
      await expect(
        db.transaction(async (tx) => {
          await createOutboxStore(tx).enqueue([{ app: 'a1', kind: k, payload: 1 }], 10);
          throw new Error('decision failed');
        }),
      ).rejects.toThrow('decision failed');
      expect(await createOutboxStore(db).claim({ now: 1e15, limit: 10, leaseMs: 1, kinds: [k] })).toEqual([]);
    });

    it('claims due rows of the given kinds, oldest due first, up to the limit, with a lease', async () => {
      const s = createOutboxStore(db);
      const k = kind();
      const other = kind();
      const [late, early, future] = await s.enqueue(
        [
          { app: 'a', kind: k, payload: 'late', availableAt: 2000 },
          { app: 'a', kind: k, payload: 'early', availableAt: 1500 },
          { app: 'a', kind: k, payload: 'future', availableAt: 9000 },
        ],
        1000,
      );
      await s.enqueue([{ app: 'a', kind: other, payload: 'other' }], 1000);

      const first = await s.claim({ now: 3000, limit: 1, leaseMs: 500, kinds: [k] });
      expect(first.map((m) => m.id)).toEqual([early]);
      expect(first[0]).toMatchObject({ attempts: 1, availableAt: 3500, status: 'pending' });
      expect(first[0]!.token).toMatch(/^[0-9A-Z]{26}$/);

      const second = await s.claim({ now: 3000, limit: 10, leaseMs: 500, kinds: [k] });
      expect(second.map((m) => m.id)).toEqual([late]);
      // everything due is leased now
      expect(await s.claim({ now: 3000, limit: 10, leaseMs: 500, kinds: [k] })).toEqual([]);
      // a lease nobody settled runs out: the message is due again, one more attempt, a new token
      const again = await s.claim({ now: 3500, limit: 10, leaseMs: 500, kinds: [k] });
      expect(again.map((m) => m.id).sort()).toEqual([early, late].sort());
      const earlyAgain = again.find((m) => m.id === early)!;
      expect(earlyAgain.attempts).toBe(2);
      expect(earlyAgain.token).not.toBe(first[0]!.token);
      expect((await s.get(future!))?.attempts).toBe(0);
    });

    it('records results only for the lease holder', async () => {
      const s = createOutboxStore(db);
      const k = kind();
      const [a, b, c] = await s.enqueue(
        [
          { app: 'a', kind: k, payload: 1 },
          { app: 'a', kind: k, payload: 2 },
          { app: 'a', kind: k, payload: 3 },
        ],
        100,
      );
      const claimed = await s.claim({ now: 100, limit: 10, leaseMs: 50, kinds: [k] });
      const token = (id: string | undefined) => claimed.find((m) => m.id === id)!.token;

      expect(await s.markDelivered(a!, 'not-the-token', 110)).toBe(false);
      expect(await s.markDelivered(a!, token(a), 110)).toBe(true);
      expect(await s.markDelivered(a!, token(a), 111)).toBe(false);
      expect(await s.get(a!)).toMatchObject({ status: 'delivered', deliveredAt: 110, lastError: null });

      expect(await s.markRetry(b!, token(b), 5000, 'HTTP 500')).toBe(true);
      expect(await s.get(b!)).toMatchObject({
        status: 'pending',
        availableAt: 5000,
        attempts: 1,
        lastError: 'HTTP 500',
      });
      // the old token no longer holds b
      expect(await s.markDead(b!, token(b), 120, 'x')).toBe(false);

      expect(await s.markDead(c!, token(c), 130, 'e'.repeat(5000))).toBe(true);
      const dead = await s.get(c!);
      expect(dead).toMatchObject({ status: 'dead', deadAt: 130 });
      expect(dead!.lastError!.length).toBeLessThanOrEqual(1000);

      // delivered and dead messages are never claimed again
      const later = await s.claim({ now: 1e9, limit: 10, leaseMs: 50, kinds: [k] });
      expect(later.map((m) => m.id)).toEqual([b]);
      expect(later[0]!.attempts).toBe(2);
    });

    it('release hands a message back untried', async () => {
      const s = createOutboxStore(db);
      const k = kind();
      const [id] = await s.enqueue([{ app: 'a', kind: k, payload: 1 }], 100);
      const [m] = await s.claim({ now: 100, limit: 1, leaseMs: 60_000, kinds: [k] });
      expect(await s.release(id!, m!.token, 150)).toBe(true);
      expect(await s.get(id!)).toMatchObject({ attempts: 0, availableAt: 150, status: 'pending' });
      expect(await s.release(id!, m!.token, 150)).toBe(false);
      expect((await s.claim({ now: 150, limit: 1, leaseMs: 1, kinds: [k] })).map((x) => x.id)).toEqual([id]);
    });

    it('concurrent claims never hand the same message to two dispatchers', async () => {
      const s = createOutboxStore(db);
      const k = kind();
      const ids = await s.enqueue(
        Array.from({ length: 60 }, (_, i) => ({ app: 'a', kind: k, payload: i })),
        100,
      );
      const rounds = await Promise.all(
        Array.from({ length: 6 }, () => s.claim({ now: 200, limit: 15, leaseMs: 10_000, kinds: [k] })),
      );
      const claimed = rounds.flat().map((m) => m.id);
      expect(new Set(claimed).size).toBe(claimed.length);
      expect(claimed.length).toBe(60);
      expect([...claimed].sort()).toEqual([...ids].sort());
    });

    it('counts by status and purges finished messages older than the cut-off', async () => {
      const s = createOutboxStore(db);
      const k = kind();
      const before = await s.counts();
      const [a, b, c] = await s.enqueue(
        [
          { app: 'a', kind: k, payload: 1 },
          { app: 'a', kind: k, payload: 2 },
          { app: 'a', kind: k, payload: 3 },
        ],
        100,
      );
      const claimed = await s.claim({ now: 100, limit: 2, leaseMs: 10, kinds: [k] });
      await s.markDelivered(a!, claimed.find((m) => m.id === a)!.token, 200);
      await s.markDead(b!, claimed.find((m) => m.id === b)!.token, 300, 'gone');
      const after = await s.counts();
      expect(after.delivered - before.delivered).toBe(1);
      expect(after.dead - before.dead).toBe(1);
      expect(after.pending - before.pending).toBe(1);

      expect(await s.purge(250)).toBeGreaterThanOrEqual(1);
      expect(await s.get(a!)).toBeUndefined();
      expect(await s.get(b!)).toBeDefined();
      await s.purge(301);
      expect(await s.get(b!)).toBeUndefined();
      // pending messages are never purged
      expect(await s.get(c!)).toBeDefined();
      expect(await s.nextDueAt([k])).toBe(100);
      expect(await s.nextDueAt([kind()])).toBeUndefined();
    });
  });
}
