import { createEngine, simulate } from '@vigil/engine';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../storage/database.js';
import { createSqliteTestDatabase, type TestDatabase } from '../../storage/test-databases.js';
import { createFakeClock } from '../../testing/fake-clock.js';
import { createBatchTables } from './batch.migration.js';
import { createBatchService, type BatchService } from './batch.service.js';
import { createBatchStore } from './batch.store.js';
import { simCsv } from './sim-csv.fixture.js';

let t: TestDatabase;
let db: Db;
const clock = createFakeClock(Date.UTC(2026, 0, 20));
const csv = simCsv(simulate({ seed: 21, users: 100 }, 600));

beforeAll(async () => {
  t = await createSqliteTestDatabase();
  db = t.db;
  await createBatchTables(db.kysely, db.dialect);
});
afterAll(async () => {
  await t?.cleanup();
});

function service(opts: { sliceMs?: number } = {}): BatchService {
  return createBatchService(
    { db, clock, makeEngine: () => createEngine() },
    { chunkRows: 40, sliceMs: opts.sliceMs ?? 5, inputChunkChars: 4096 },
  );
}

async function results(s: BatchService, id: string): Promise<string> {
  const parts: string[] = [];
  for await (const c of s.results(id)) parts.push(c);
  return parts.join('\n');
}

describe('batch service', () => {
  it('a job interrupted by a shutdown resumes on the next start with the same results', async () => {
    const reference = service();
    await reference.start();
    const ref = await reference.submit({ appId: 'a1', format: 'csv', body: csv, createdBy: 'test' });
    await reference.idle();
    expect((await reference.get(ref.id, 'a1')).status).toBe('done');
    const expected = await results(reference, ref.id);
    await reference.close();

    // slices of 0 ms yield after every row: close() stops the job part-way
    const first = service({ sliceMs: 0 });
    await first.start();
    const job = await first.submit({ appId: 'a1', format: 'csv', body: csv, createdBy: 'test' });
    // stop it once some progress is stored (every 40 rows), however slow the machine is
    const until = Date.now() + 20_000;
    while (((await createBatchStore(db).get(job.id))?.processed ?? 0) === 0 && Date.now() < until) {
      await new Promise((r) => setImmediate(r));
    }
    await first.close();
    const stopped = await createBatchStore(db).get(job.id);
    expect(stopped?.status).toBe('running');
    expect(stopped!.processed).toBeGreaterThan(0);
    expect(stopped!.processed).toBeLessThan(600);
    await expect(first.submit({ appId: 'a1', format: 'csv', body: csv, createdBy: 'test' })).rejects.toThrow(
      /shutting down/,
    );

    const second = service();
    await second.start();
    await second.idle();
    const done = await second.get(job.id, undefined);
    expect(done).toMatchObject({ status: 'done', total: 600, processed: 600, scored: 600, rejected: 0 });
    expect(await results(second, job.id)).toBe(expected);
    await second.close();
  });

  it('marks a job failed when its engine throws outside scoring, and moves on', async () => {
    const broken = createBatchService(
      {
        db,
        clock,
        makeEngine: () => {
          throw new Error('no engine for you');
        },
      },
      { chunkRows: 40 },
    );
    await broken.start();
    const job = await broken.submit({ appId: 'a2', format: 'csv', body: csv, createdBy: 'test' });
    await broken.idle();
    expect(await broken.get(job.id, 'a2')).toMatchObject({ status: 'failed', message: 'no engine for you' });
    await expect(broken.get(job.id, 'other-app')).rejects.toThrow(/no batch/);
    await broken.close();
  });

  it('refuses uploads over the row limit', async () => {
    const small = createBatchService({ db, clock, makeEngine: () => createEngine() }, { maxRows: 10 });
    await expect(
      small.submit({ appId: 'a1', format: 'csv', body: csv, createdBy: 'test' }),
    ).rejects.toMatchObject({
      code: 'batch_too_large',
    });
    await small.close();
  });
});
