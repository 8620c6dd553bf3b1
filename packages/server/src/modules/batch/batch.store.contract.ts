import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Db } from '../../storage/database.js';
import type { TestDatabase } from '../../storage/test-databases.js';
import { createBatchTables } from './batch.migration.js';
import { createBatchStore, type BatchStore, type NewBatch } from './batch.store.js';

/** The batch store's contract, run on every dialect (batch.store.test.ts, batch.store.int.test.ts). */
export function describeBatchStoreContract(open: () => Promise<TestDatabase>): void {
  let t: TestDatabase;
  let db: Db;
  let store: BatchStore;
  beforeAll(async () => {
    t = await open();
    db = t.db;
    await createBatchTables(db.kysely, db.dialect);
    store = createBatchStore(db);
  });
  afterAll(async () => {
    await t?.cleanup();
  });

  const batch = (id: string, over: Partial<NewBatch> = {}): NewBatch => ({
    id,
    appId: 'app1',
    inputFormat: 'csv',
    total: 3,
    withLabel: true,
    inputBytes: 42,
    options: { defaultAt: 1000, warnings: ['w'], defaultType: 'payment' },
    createdAt: 1000,
    createdBy: 'key:k1',
    input: ['id,type\n', 'e1,login\ne2,login\n', 'e3,login\n'],
    ...over,
  });

  it('stores a job with its upload pieces, in order', async () => {
    await store.create(batch('b1'));
    const b = await store.get('b1');
    expect(b).toMatchObject({
      id: 'b1',
      appId: 'app1',
      status: 'queued',
      inputFormat: 'csv',
      total: 3,
      processed: 0,
      withLabel: true,
      inputBytes: 42,
      options: { defaultAt: 1000, warnings: ['w'], defaultType: 'payment' },
      errorSample: [],
      summary: null,
      startedAt: null,
    });
    const pieces: string[] = [];
    for await (const p of store.readInput('b1')) pieces.push(p);
    expect(pieces.join('')).toBe('id,type\ne1,login\ne2,login\ne3,login\n');
    expect(await store.get('nope')).toBeUndefined();
  });

  it('reads many pieces in order (more than one page)', async () => {
    const input = Array.from({ length: 40 }, (_, i) => `piece ${i};`);
    await store.create(batch('b2', { input, createdAt: 2000 }));
    const got: string[] = [];
    for await (const p of store.readInput('b2')) got.push(p);
    expect(got).toEqual(input);
  });

  it('keeps progress with each result chunk and finishes', async () => {
    await store.markRunning('b1', 1500);
    await store.markRunning('b1', 1600); // a resumed run keeps the first start
    expect(await store.resultChunks('b1')).toBe(0);
    await store.saveResults('b1', 0, 2, '{"line":2}\n{"line":3}', {
      processed: 2,
      scored: 1,
      rejected: 1,
      errorSample: [{ line: 3, message: 'bad' }],
    });
    let b = await store.get('b1');
    expect(b).toMatchObject({ status: 'running', startedAt: 1500, processed: 2, scored: 1, rejected: 1 });
    expect(b?.errorSample).toEqual([{ line: 3, message: 'bad' }]);
    expect(await store.resultChunks('b1')).toBe(1);
    await store.saveResults('b1', 1, 1, '{"line":4}', {
      processed: 3,
      scored: 2,
      rejected: 1,
      errorSample: [{ line: 3, message: 'bad' }],
    });
    const summary = {
      byLevel: { SAFE: 2, LOW: 0, MEDIUM: 0, HIGH: 0, CRITICAL: 0 },
      byOutcome: { allow: 2, challenge: 0, review: 0, block: 0 },
    };
    await store.finish(
      'b1',
      1700,
      { processed: 3, scored: 2, rejected: 1, errorSample: [{ line: 3, message: 'bad' }] },
      summary,
    );
    b = await store.get('b1');
    expect(b).toMatchObject({ status: 'done', processed: 3, finishedAt: 1700, summary });
    const results: string[] = [];
    for await (const r of store.readResults('b1')) results.push(r);
    expect(results).toEqual(['{"line":2}\n{"line":3}', '{"line":4}']);
  });

  it('a result chunk is stored once', async () => {
    await expect(
      store.saveResults('b1', 0, 1, 'x', { processed: 1, scored: 1, rejected: 0, errorSample: [] }),
    ).rejects.toThrow();
    expect((await store.get('b1'))?.processed).toBe(3);
  });

  it('lists newest first per app, and the unfinished jobs oldest first', async () => {
    await store.create(batch('b3', { appId: 'app2', createdAt: 3000 }));
    await store.fail('b2', 2500, 'boom');
    expect(await store.get('b2')).toMatchObject({ status: 'failed', message: 'boom', finishedAt: 2500 });
    expect((await store.list('app1', 10)).map((b) => b.id)).toEqual(['b2', 'b1']);
    expect((await store.list(undefined, 2)).map((b) => b.id)).toEqual(['b3', 'b2']);
    await store.create(batch('b4', { createdAt: 4000 }));
    await store.markRunning('b4', 4100);
    expect((await store.unfinished()).map((b) => b.id)).toEqual(['b3', 'b4']);
  });
}
