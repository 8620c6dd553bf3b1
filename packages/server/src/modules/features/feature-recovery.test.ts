import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createEngine } from '@vigil/engine';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '../../config.js';
import { createRuntime, type Runtime } from '../../runtime.js';
import { createPgTestDatabaseUrl, describeWithPostgres } from '../../storage/test-databases.js';
import { createFakeClock } from '../../testing/fake-clock.js';
import { createSnapshotStore } from './snapshot.store.js';

const T0 = Date.UTC(2026, 3, 1, 9);

function traffic(from: number, to: number) {
  return Array.from({ length: to - from }, (_, k) => {
    const i = from + k;
    return {
      id: `ev-${i}`,
      type: i % 3 === 0 ? 'login' : 'payment',
      user: `user-${i % 7}`,
      ip: `198.51.100.${i % 11}`,
      device: `dev-${i % 5}`,
      amount: i % 3 === 0 ? undefined : 10 + ((i * 37) % 500),
      at: T0 + i * 1000,
    };
  });
}

const bytes = (rt: Runtime) => Buffer.from(rt.engine.store.snapshot());

function recoveryContract(setup: () => Promise<{ config: Config; cleanup: () => Promise<void> }>): void {
  let cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.reverse()) await c();
    cleanups = [];
  });

  async function start(config: Config, clock: ReturnType<typeof createFakeClock>) {
    const rt = await createRuntime({ config, clock });
    const app = await rt.apps.create(`app-${Math.random().toString(36).slice(2, 8)}`, 'test');
    return { rt, appId: app.app.id };
  }

  async function send(rt: Runtime, appId: string, events: readonly object[]) {
    const results = await rt.ingest.submitMany(appId, events);
    for (const r of results)
      if (!('ok' in r) || !r.ok) throw new Error(`event refused: ${JSON.stringify(r)}`);
  }

  it('a clean restart restores the shutdown snapshot and replays nothing', async () => {
    const env = await setup();
    cleanups.push(env.cleanup);
    const clock = createFakeClock(T0 + 60_000);
    const { rt, appId } = await start(env.config, clock);
    await send(rt, appId, traffic(0, 40));
    const before = bytes(rt);
    const lastSeq = rt.ingest.lastSeq();
    await rt.close();

    const again = await createRuntime({ config: env.config, clock });
    cleanups.push(() => again.close());
    expect(again.recovery).toEqual({ snapshotSeq: lastSeq, replayed: 0, lastSeq });
    expect(bytes(again).equals(before)).toBe(true);
  });

  it('after a crash, replays the events logged since the last snapshot to the same features', async () => {
    const env = await setup();
    cleanups.push(env.cleanup);
    const clock = createFakeClock(T0 + 120_000);
    const { rt, appId } = await start(env.config, clock);
    await send(rt, appId, traffic(0, 30));
    const snap = await rt.snapshotter.snapshot();
    expect(snap?.lastSeq).toBe(rt.ingest.lastSeq());
    await send(rt, appId, traffic(30, 75));
    const before = bytes(rt);
    // crash: no final snapshot, the process just stops
    await rt.ingest.close();
    await rt.db.close();

    const again = await createRuntime({ config: env.config, clock });
    cleanups.push(() => again.close());
    expect(again.recovery).toMatchObject({ snapshotSeq: snap!.lastSeq, replayed: 45 });
    expect(bytes(again).equals(before)).toBe(true);

    // and it goes on deciding exactly like a process that never stopped
    const reference = createEngine();
    for (const e of traffic(0, 75)) reference.process(e, { now: clock.now(), app: appId });
    const next = traffic(75, 76)[0]!;
    const expected = reference.process(next, { now: clock.now(), app: appId });
    const got = await again.ingest.submit(appId, next);
    if (!got.ok || !expected.ok) throw new Error('refused');
    expect(JSON.parse(got.json)).toEqual(expected.value.decision);
  });

  it('an unusable snapshot falls back to replaying the whole log', async () => {
    const env = await setup();
    cleanups.push(env.cleanup);
    const clock = createFakeClock(T0 + 200_000);
    const { rt, appId } = await start(env.config, clock);
    await send(rt, appId, traffic(0, 20));
    const before = bytes(rt);
    const lastSeq = rt.ingest.lastSeq();
    await rt.ingest.close();
    await createSnapshotStore(rt.db).save(new Uint8Array([1, 2, 3, 4, 5]), lastSeq, clock.now());
    await rt.db.close();

    const again = await createRuntime({ config: env.config, clock });
    cleanups.push(() => again.close());
    expect(again.recovery).toEqual({ snapshotSeq: 0, replayed: 20, lastSeq });
    expect(bytes(again).equals(before)).toBe(true);
  });

  it('snapshots only when something changed and keeps the newest three', async () => {
    const env = await setup();
    cleanups.push(env.cleanup);
    const clock = createFakeClock(T0 + 300_000);
    const { rt, appId } = await start(env.config, clock);
    cleanups.push(() => rt.close());
    expect(await rt.snapshotter.snapshot()).toBeUndefined(); // empty log, nothing to save
    for (let round = 0; round < 5; round++) {
      await send(rt, appId, traffic(round * 5, round * 5 + 5));
      expect((await rt.snapshotter.snapshot())?.lastSeq).toBe(rt.ingest.lastSeq());
      expect(await rt.snapshotter.snapshot()).toBeUndefined();
    }
    const rows = await rt.db.kysely.selectFrom('feature_snapshots').select(['last_seq']).execute();
    expect(rows).toHaveLength(3);
  });
}

describe('feature recovery on SQLite', () => {
  recoveryContract(async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'vigil-rec-'));
    return {
      config: loadConfig({ DATA_DIR: dir, SNAPSHOT_INTERVAL_MS: '0' }),
      cleanup: async () => rmSync(dir, { recursive: true, force: true }),
    };
  });
});

describeWithPostgres('feature recovery on PostgreSQL', () => {
  recoveryContract(async () => {
    const { url, drop } = await createPgTestDatabaseUrl();
    return { config: loadConfig({ DATABASE_URL: url, SNAPSHOT_INTERVAL_MS: '0' }), cleanup: drop };
  });
});
