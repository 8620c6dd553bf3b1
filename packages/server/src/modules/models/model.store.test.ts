import { trainModelPackage, createTable } from '@vigil/engine';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrateToLatest } from '../../storage/migrations.js';
import {
  createPgTestDatabase,
  createSqliteTestDatabase,
  describeWithPostgres,
  type TestDatabase,
} from '../../storage/test-databases.js';
import { createFakeClock } from '../../testing/fake-clock.js';
import { createEventStore } from '../events/event.store.js';
import { createModelHooks } from './model-hooks.js';
import { createModelService } from './model.service.js';
import { createModelStore } from './model.store.js';
import { classifierOnnx } from './onnx/logistic-onnx.fixture.js';
import { createOnnxPackage, parseOnnxPackage } from './onnx/onnx-package.js';
import { skipOnnx } from './onnx/onnx-runtime.fixture.js';

const table = createTable(
  ['amount', 'is_fraud'],
  [
    Array.from({ length: 60 }, (_, i) => (i % 4 === 0 ? 900 + i : i)),
    Array.from({ length: 60 }, (_, i) => (i % 4 === 0 ? 1 : 0)),
  ],
);

function contract(open: () => Promise<TestDatabase>): void {
  let t: TestDatabase;
  beforeEach(async () => {
    t = await open();
    await migrateToLatest(t.db);
  });
  afterEach(async () => {
    await t.cleanup();
  });

  it('versions per name, deploy retires the previous live version, rollback restores it, hooks follow', async () => {
    const clock = createFakeClock(Date.UTC(2026, 0, 1));
    await t.db.kysely.insertInto('apps').values({ id: 'app1', name: 'app1', created_at: 0 }).execute();
    const hooks = createModelHooks({
      active: () => import('./model.store.js').then((m) => m.createModelStore(t.db).active()),
    });
    const svc = createModelService({ db: t.db, clock, onChange: async () => void (await hooks.reload()) });
    const pkg = trainModelPackage(table, { kind: 'rf', label: 'is_fraud', trees: 5 }).package;
    const v1 = await svc.register('app1', 'fraud', pkg, 'test');
    clock.advance(1);
    const v2 = await svc.register('app1', 'fraud', pkg, 'test');
    expect([v1.version, v2.version]).toEqual([1, 2]);
    await svc.deploy('app1', v1.id);
    clock.advance(1);
    await svc.deploy('app1', v2.id);
    expect((await svc.list('app1')).map((m) => [m.version, m.status])).toEqual([
      [2, 'deployed'],
      [1, 'retired'],
    ]);
    expect(hooks.forApp('app1').map((h) => [h.id, h.version, h.live])).toEqual([['fraud', '2', true]]);
    clock.advance(1);
    const back = await svc.rollback('app1', 'fraud');
    expect(back.id).toBe(v1.id);
    expect(hooks.forApp('app1').map((h) => h.version)).toEqual(['1']);
    await svc.shadow('app1', v2.id);
    expect(hooks.forApp('app1').map((h) => [h.version, h.live])).toEqual([
      ['1', true],
      ['2', false],
    ]);
    await expect(svc.get('app1', 'nope')).rejects.toThrow(/no model 'nope'/);
  });

  it('records where a version went live or into shadow in the log; moves between the two keep it', async () => {
    await t.db.kysely.insertInto('apps').values({ id: 'app4', name: 'app4', created_at: 0 }).execute();
    const events = createEventStore(t.db);
    const log = async (from: number, to: number) => {
      const rows = Array.from({ length: to - from }, (_, k) => ({
        appId: 'app4',
        id: `e${from + k}`,
        type: 'login',
        at: from + k,
        userId: null,
        receivedAt: from + k,
        payload: '{}',
      }));
      await events.insertNew(rows);
    };
    const store = createModelStore(t.db);
    const svc = createModelService({ db: t.db, clock: createFakeClock(Date.UTC(2026, 0, 1)) });
    const pkg = trainModelPackage(table, { kind: 'rf', label: 'is_fraud', trees: 5 }).package;
    const v1 = await svc.register('app4', 'm', pkg, 'test');
    const v2 = await svc.register('app4', 'm', pkg, 'test');
    const starts = async () =>
      (await store.stateStarts())
        .filter((x) => x.appId === 'app4')
        .map((x) => [x.version, x.seq])
        .sort();
    await svc.shadow('app4', v1.id); // an empty log: position 0
    expect(await starts()).toEqual([[1, 0]]);
    await log(0, 5);
    await svc.deploy('app4', v1.id); // promoted in place: its state goes along
    await svc.shadow('app4', v2.id);
    expect(await starts()).toEqual([
      [1, 0],
      [2, 5],
    ]);
    await log(5, 9);
    await svc.deploy('app4', v2.id); // v1 retired
    expect(await starts()).toEqual([[2, 5]]);
    await svc.rollback('app4', 'm'); // v1 live again: a new state from here
    expect(await starts()).toEqual([[1, 9]]);
    await store.setStateStart('app4', 'm', 1, 11);
    expect(await starts()).toEqual([[1, 11]]);
  });

  it('keeps an onnx package (base64 text, here 3 MB) byte for byte', async () => {
    await t.db.kysely.insertInto('apps').values({ id: 'app2', name: 'app2', created_at: 0 }).execute();
    const bytes = new Uint8Array(3 * 1024 * 1024).map((_, i) => (i * 7919) & 0xff);
    const pkg = createOnnxPackage(bytes, {
      features: ['amount'],
      input: { name: 'x', type: 'float32', batch: null },
      output: { name: 'y', width: 1, index: 0, transform: 'none' },
      missing: null,
      baseline: null,
      training: { source: 'import', file: 'big.onnx', bytes: bytes.length },
    });
    const store = createModelStore(t.db);
    const r = await store.insert({
      appId: 'app2',
      name: 'big',
      kind: 'onnx',
      params: '{}',
      metrics: 'null',
      package: JSON.stringify(pkg),
      now: 1,
    });
    expect(r).toMatchObject({ kind: 'onnx', version: 1 });
    const back = parseOnnxPackage((await store.get('app2', r.id))!.package).bytes;
    expect(Buffer.from(back).equals(Buffer.from(bytes))).toBe(true);
  });

  it.skipIf(skipOnnx)('imports, deploys and loads an onnx model', async () => {
    await t.db.kysely.insertInto('apps').values({ id: 'app3', name: 'app3', created_at: 0 }).execute();
    const hooks = createModelHooks(createModelStore(t.db));
    const svc = createModelService({
      db: t.db,
      clock: createFakeClock(Date.UTC(2026, 0, 1)),
      onChange: async () => void (await hooks.reload()),
    });
    const m = await svc.importOnnx('app3', classifierOnnx([0.01, 1], -1), {
      name: 'lr',
      columns: ['amount', 'hour'],
      createdBy: 'test',
    });
    await svc.deploy('app3', m.id);
    expect(hooks.forApp('app3').map((h) => [h.id, h.version, h.live])).toEqual([['lr', '1', true]]);
  });
}

describe('model registry on SQLite', () => contract(createSqliteTestDatabase));
describeWithPostgres('model registry on PostgreSQL', () => contract(createPgTestDatabase));
