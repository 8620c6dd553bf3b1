import { createEngine, createLiveModelHook, type Decision } from '@vigil/engine';
import { afterEach, expect, it } from 'vitest';
import { loadConfig, type Config } from '../../config.js';
import { createRuntime, type Runtime } from '../../runtime.js';
import { createPgTestDatabaseUrl, describeWithPostgres } from '../../storage/test-databases.js';
import { createFakeClock } from '../../testing/fake-clock.js';
import { gruPackageFixture } from '../models/gru-package.fixture.js';
import { createModelStore } from '../models/model.store.js';

const T0 = Date.UTC(2026, 3, 1, 9);

let cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

async function start(config: Config): Promise<Runtime> {
  const rt = await createRuntime({ config, clock: createFakeClock(T0 + 86_400_000) });
  cleanups.push(() => rt.close());
  return rt;
}

async function liveModels(rt: Runtime, appId: string, i: number): Promise<Decision['models']> {
  const [r] = await rt.ingest.submitMany(appId, [
    { id: `probe-${i}`, type: 'payment', user: `u${i % 3}`, amount: 10 + i, at: T0 + i * 1000 },
  ]);
  if (r === undefined || !('ok' in r) || !r.ok) throw new Error(`event refused: ${JSON.stringify(r)}`);
  return (JSON.parse(r.json) as Decision).models;
}

describeWithPostgres('two servers on one PostgreSQL database', () => {
  it('each picks up the models, configurations and lists the other changed', async () => {
    const { url, drop } = await createPgTestDatabaseUrl();
    cleanups.push(drop);
    const config = loadConfig({ DATABASE_URL: url, SNAPSHOT_INTERVAL_MS: '0' });
    const a = await start(config);
    const b = await start(config);
    const appId = (await a.apps.create('shop', 'test')).app.id;
    const m = await createModelStore(a.db).insert({
      appId,
      name: 'seq',
      kind: 'gru',
      params: '{}',
      metrics: '{}',
      package: JSON.stringify(gruPackageFixture(5)),
      now: T0,
    });
    await a.models.deploy(appId, m.id);
    await a.configs.put(appId, { access: { full: 75 } }, 'test');
    await a.lists.add(appId, 'ip', [{ value: '203.0.113.7', verdict: 'block' }], 'test');
    expect(await a.watch.check()).toEqual([]);

    expect(await liveModels(b, appId, 0)).toEqual([]);
    expect(await b.watch.check()).toEqual(['models', 'configs', 'lists']);
    expect(await liveModels(b, appId, 1)).toMatchObject([{ model: 'seq', version: '1', live: true }]);
    expect(b.engine.forApp(appId).config.access.full).toBe(75);
    expect(b.lists.lookup(appId, 'ip', '203.0.113.7')).toMatchObject({ verdict: 'block' });
    expect(await b.watch.check()).toEqual([]);

    await b.lists.remove(appId, 'ip', '203.0.113.7', 'test');
    await b.models.rollback(appId, 'seq').catch(() => undefined); // nothing to roll back to: no change
    expect(await b.watch.check()).toEqual([]);
    expect(await a.watch.check()).toEqual(['lists']);
    expect(a.lists.lookup(appId, 'ip', '203.0.113.7')).toBeUndefined();
  });
});

describeWithPostgres('gru state on PostgreSQL', () => {
  it('is saved with the snapshot and restored at start (bytea round trip)', async () => {
    const { url, drop } = await createPgTestDatabaseUrl();
    cleanups.push(drop);
    const config = loadConfig({ DATABASE_URL: url, SNAPSHOT_INTERVAL_MS: '0' });
    const pkg = gruPackageFixture(5);
    const a = await createRuntime({ config, clock: createFakeClock(T0 + 86_400_000) });
    const appId = (await a.apps.create('shop', 'test')).app.id;
    const m = await createModelStore(a.db).insert({
      appId,
      name: 'seq',
      kind: 'gru',
      params: '{}',
      metrics: '{}',
      package: JSON.stringify(pkg),
      now: T0,
    });
    await a.models.deploy(appId, m.id);
    const reference = createEngine({
      detectors: [],
      models: [createLiveModelHook(pkg, { id: 'seq', live: true })],
    });
    const expected: number[] = [];
    for (let i = 0; i < 12; i++) {
      const e = { id: `probe-${i}`, type: 'payment', user: `u${i % 3}`, amount: 10 + i, at: T0 + i * 1000 };
      const r = reference.process(e, { now: T0, app: appId });
      if (!r.ok) throw new Error('refused');
      expected.push(r.value.decision.models[0]!.score);
      if (i < 9) await liveModels(a, appId, i);
    }
    await a.close();
    const b = await start(config);
    expect(b.recovery.replayed).toBe(0);
    for (let i = 9; i < 12; i++) expect((await liveModels(b, appId, i))[0]!.score).toBe(expected[i]);
  });
});
