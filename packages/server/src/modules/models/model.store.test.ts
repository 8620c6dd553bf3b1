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
import { createModelHooks } from './model-hooks.js';
import { createModelService } from './model.service.js';

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
}

describe('model registry on SQLite', () => contract(createSqliteTestDatabase));
describeWithPostgres('model registry on PostgreSQL', () => contract(createPgTestDatabase));
