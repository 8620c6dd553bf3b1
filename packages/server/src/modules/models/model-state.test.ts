import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createEngine, createLiveModelHook, type Decision } from '@vigil/engine';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { runModelsCommand } from '../../cli/models.js';
import { loadConfig, type Config } from '../../config.js';
import { createRuntime, type Runtime } from '../../runtime.js';
import { createFakeClock } from '../../testing/fake-clock.js';
import { gruPackageFixture } from './gru-package.fixture.js';
import type { ModelStateTables } from './model-state.migration.js';
import { createModelService } from './model.service.js';
import { createModelStore } from './model.store.js';

const T0 = Date.UTC(2026, 3, 1, 9);
const GRU = gruPackageFixture(5);
const GRU_V2 = gruPackageFixture(9);

function traffic(from: number, to: number) {
  return Array.from({ length: to - from }, (_, k) => {
    const i = from + k;
    return {
      id: `ev-${i}`,
      type: i % 4 === 0 ? 'login' : 'payment',
      user: `user-${i % 6}`,
      amount: i % 4 === 0 ? undefined : 5 + ((i * 53) % 700),
      at: T0 + i * 7000,
    };
  });
}

let cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

function tempConfig(): Config {
  const dir = mkdtempSync(path.join(tmpdir(), 'vigil-mstate-'));
  cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
  return loadConfig({ DATA_DIR: dir, SNAPSHOT_INTERVAL_MS: '0' });
}

function capture() {
  const lines: { msg: string; model?: string }[] = [];
  const logger = pino({ level: 'info' }, { write: (s: string) => lines.push(JSON.parse(s) as never) });
  return { logger, lines };
}

async function start(config: Config, logger?: ReturnType<typeof capture>['logger']) {
  const clock = createFakeClock(T0 + 86_400_000);
  return createRuntime({ config, clock, ...(logger ? { logger } : {}) });
}

/** Stores a gru package as the next version of `seq` and returns its id. */
async function storeGru(rt: Runtime, appId: string, pkg: object): Promise<string> {
  const m = await createModelStore(rt.db).insert({
    appId,
    name: 'seq',
    kind: 'gru',
    params: '{}',
    metrics: '{}',
    package: JSON.stringify(pkg),
    now: rt.clock.now(),
  });
  return m.id;
}

/** The gru scores of the decisions of `events`, in order. */
async function gruScores(rt: Runtime, appId: string, events: readonly object[]): Promise<number[]> {
  const out: number[] = [];
  for (const r of await rt.ingest.submitMany(appId, events)) {
    if (!('ok' in r) || !r.ok) throw new Error(`event refused: ${JSON.stringify(r)}`);
    const d = JSON.parse(r.json) as Decision;
    const m = d.models.find((x) => x.model === 'seq');
    if (m === undefined) throw new Error('no gru score in the decision');
    out.push(m.score);
  }
  return out;
}

/** Logs events without checking any model score. */
async function submit(rt: Runtime, appId: string, events: readonly object[]): Promise<void> {
  for (const r of await rt.ingest.submitMany(appId, events)) {
    if (!('ok' in r) || !r.ok) throw new Error(`event refused: ${JSON.stringify(r)}`);
  }
}

/** Stops like a crash: committed events stay, no final snapshot. */
async function crash(rt: Runtime): Promise<void> {
  await rt.ingest.close();
  await rt.db.close();
}

/** A server that never stops, fed `events` before: the scores it gives `next`. */
async function neverRestarted(pkg: object, events: readonly object[], next: readonly object[]) {
  const rt = await start(tempConfig());
  cleanups.push(() => rt.close());
  const app = await rt.apps.create('reference', 'test');
  await rt.models.deploy(app.app.id, await storeGru(rt, app.app.id, pkg));
  await gruScores(rt, app.app.id, events);
  return gruScores(rt, app.app.id, next);
}

describe('gru state across restarts', () => {
  it('a restart (snapshot, then replay of the later events) scores exactly like a server that never stopped', async () => {
    const config = tempConfig();
    const rt = await start(config);
    const app = await rt.apps.create('shop', 'test');
    const appId = app.app.id;
    await rt.models.deploy(appId, await storeGru(rt, appId, GRU));
    await gruScores(rt, appId, traffic(0, 40));
    expect((await rt.snapshotter.snapshot())?.lastSeq).toBe(40);
    await gruScores(rt, appId, traffic(40, 80));
    await crash(rt);

    const { logger, lines } = capture();
    const again = await start(config, logger);
    cleanups.push(() => again.close());
    expect(again.recovery).toMatchObject({ snapshotSeq: 40, replayed: 40 });
    expect(lines.some((l) => l.msg === 'model states restored')).toBe(true);
    const next = traffic(80, 92);
    const got = await gruScores(again, appId, next);
    const want = await neverRestarted(GRU, traffic(0, 80), next);
    expect(got).toEqual(want);

    // and the clean shutdown's snapshot carries it on (nothing left to replay)
    await again.close();
    const third = await start(config);
    cleanups.push(() => third.close());
    expect(third.recovery.replayed).toBe(0);
    const more = traffic(92, 100);
    expect(await gruScores(third, appId, more)).toEqual(await neverRestarted(GRU, traffic(0, 92), more));
  });

  it('a version deployed after the last snapshot replays, after a crash, only the events after its deployment', async () => {
    const config = tempConfig();
    const rt = await start(config);
    const appId = (await rt.apps.create('shop', 'test')).app.id;
    await submit(rt, appId, traffic(0, 20));
    expect((await rt.snapshotter.snapshot())?.lastSeq).toBe(20);
    await submit(rt, appId, traffic(20, 40)); // logged after the snapshot, before the deployment
    await rt.models.deploy(appId, await storeGru(rt, appId, GRU));
    await gruScores(rt, appId, traffic(40, 60));
    await crash(rt); // no snapshot since the deployment

    const again = await start(config);
    cleanups.push(() => again.close());
    expect(again.recovery).toMatchObject({ snapshotSeq: 20, replayed: 40 });
    const next = traffic(60, 72);
    expect(await gruScores(again, appId, next)).toEqual(await neverRestarted(GRU, traffic(40, 60), next));
  });

  it('without any snapshot, a shadow version promoted later keeps the events from its shadow start on', async () => {
    const config = tempConfig();
    const rt = await start(config);
    const appId = (await rt.apps.create('shop', 'test')).app.id;
    await submit(rt, appId, traffic(0, 15));
    const id = await storeGru(rt, appId, GRU);
    await rt.models.shadow(appId, id); // its state starts here
    await gruScores(rt, appId, traffic(15, 30));
    await rt.models.deploy(appId, id); // promoted in place: the state goes along
    await gruScores(rt, appId, traffic(30, 45));
    await crash(rt);

    const again = await start(config);
    cleanups.push(() => again.close());
    expect(again.recovery).toMatchObject({ snapshotSeq: 0, replayed: 45 });
    const next = traffic(45, 55);
    expect(await gruScores(again, appId, next)).toEqual(await neverRestarted(GRU, traffic(15, 45), next));
  });

  it('a version deployed (CLI) while the server was down, after a crash, replays none of the earlier events', async () => {
    const config = tempConfig();
    const rt = await start(config);
    const appId = (await rt.apps.create('shop', 'test')).app.id;
    await submit(rt, appId, traffic(0, 25));
    const id = await storeGru(rt, appId, GRU);
    await crash(rt);
    const io = { out: () => undefined, err: () => undefined, env: { DATA_DIR: config.dataDir } };
    expect(await runModelsCommand(['deploy', id, '--app', appId], io)).toBe(0);

    const again = await start(config);
    cleanups.push(() => again.close());
    expect(again.recovery).toMatchObject({ snapshotSeq: 0, replayed: 25 });
    const next = traffic(25, 35);
    expect(await gruScores(again, appId, next)).toEqual(await neverRestarted(GRU, [], next));
  });

  it('a version deployed by another process starts where this server picked it up, not where it was stored', async () => {
    const config = tempConfig();
    const rt = await start(config);
    const appId = (await rt.apps.create('shop', 'test')).app.id;
    await submit(rt, appId, traffic(0, 20));
    // another process (no onChange): this server scores on without the model until its watch looks
    await createModelService({ db: rt.db, clock: rt.clock }).deploy(appId, await storeGru(rt, appId, GRU));
    await submit(rt, appId, traffic(20, 30));
    await rt.watch.check();
    await gruScores(rt, appId, traffic(30, 45));
    await crash(rt);

    const again = await start(config);
    cleanups.push(() => again.close());
    const next = traffic(45, 55);
    expect(await gruScores(again, appId, next)).toEqual(await neverRestarted(GRU, traffic(30, 45), next));
  });

  it('a corrupt saved state is logged and ignored: the model starts afresh, start-up goes on', async () => {
    const config = tempConfig();
    const rt = await start(config);
    const appId = (await rt.apps.create('shop', 'test')).app.id;
    await rt.models.deploy(appId, await storeGru(rt, appId, GRU));
    await gruScores(rt, appId, traffic(0, 30));
    await rt.snapshotter.snapshot();
    await rt.db.kysely
      .withTables<ModelStateTables>()
      .updateTable('model_states')
      .set({ bytes: Buffer.from('not a state at all') })
      .execute();
    await crash(rt);

    const { logger, lines } = capture();
    const again = await start(config, logger);
    cleanups.push(() => again.close());
    const warn = lines.find((l) => l.msg === 'saved model state unusable; the model starts afresh');
    expect(warn?.model).toBe(`${appId}/seq@1`);
    // afresh: only the events after the snapshot (none) reached it; the next ones score as new users'
    const next = traffic(30, 36);
    const fresh = createEngine({
      detectors: [],
      models: [createLiveModelHook(GRU, { id: 'seq', live: true })],
    });
    const want = next.map((e) => {
      const r = fresh.process(e, { now: T0, app: appId });
      if (!r.ok) throw new Error('refused');
      return r.value.decision.models[0]!.score;
    });
    expect(await gruScores(again, appId, next)).toEqual(want);
  });

  it("another version deployed while the server was down starts clean; the old version's state is not used", async () => {
    const config = tempConfig();
    const rt = await start(config);
    const appId = (await rt.apps.create('shop', 'test')).app.id;
    await rt.models.deploy(appId, await storeGru(rt, appId, GRU));
    await gruScores(rt, appId, traffic(0, 30));
    const v2 = await storeGru(rt, appId, GRU_V2);
    await rt.close(); // snapshot with v1's state

    const out: string[] = [];
    const io = {
      out: (t: string) => out.push(t),
      err: (t: string) => out.push(t),
      env: { DATA_DIR: config.dataDir },
    };
    expect(await runModelsCommand(['deploy', v2, '--app', appId], io)).toBe(0);

    const { logger, lines } = capture();
    const again = await start(config, logger);
    cleanups.push(() => again.close());
    expect(
      lines.find((l) => l.msg === 'model state saved for another version; this version starts afresh')?.model,
    ).toBe(`${appId}/seq@2`);
    const next = traffic(30, 36);
    expect(await gruScores(again, appId, next)).toEqual(await neverRestarted(GRU_V2, [], next));
  });

  it('keeps the running state when its app engine is rebuilt (registry reload, configuration change, shadow promoted)', async () => {
    const rt = await start(tempConfig());
    cleanups.push(() => rt.close());
    const appId = (await rt.apps.create('shop', 'test')).app.id;
    const other = (await rt.apps.create('other', 'test')).app.id;
    const id = await storeGru(rt, appId, GRU);
    await rt.models.shadow(appId, id);
    await gruScores(rt, appId, traffic(0, 20));
    await rt.models.deploy(appId, id); // promoted: the shadow's state goes along
    await gruScores(rt, appId, traffic(20, 30));
    await rt.models.deploy(other, await storeGru(rt, other, GRU_V2)); // reloads every app's hooks
    await rt.configs.put(appId, { access: { full: 75 } }, 'test'); // a new engine for the app
    const next = traffic(30, 40);
    expect(await gruScores(rt, appId, next)).toEqual(await neverRestarted(GRU, traffic(0, 30), next));

    // states of pruned snapshots go at the next snapshot (3 snapshots kept, one set of rows behind)
    for (let round = 0; round < 5; round++) {
      await gruScores(rt, appId, traffic(40 + round, 41 + round));
      await rt.snapshotter.snapshot();
    }
    const rows = await rt.db.kysely
      .withTables<ModelStateTables>()
      .selectFrom('model_states')
      .select(['snapshot_id', 'app_id', 'users'])
      .execute();
    expect(new Set(rows.map((r) => r.snapshot_id)).size).toBe(4);
    // one row per stateful model and snapshot: the shop's 6 users, none yet for the other app
    expect(rows.map((r) => `${r.app_id === appId ? 'shop' : 'other'}:${r.users}`).sort()).toEqual([
      ...Array<string>(4).fill('other:0'),
      ...Array<string>(4).fill('shop:6'),
    ]);
  });
});
