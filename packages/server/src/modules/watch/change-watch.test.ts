import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Decision } from '@vigil/engine';
import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { listsCommand } from '../../cli/lists-import.js';
import { runModelsCommand } from '../../cli/models.js';
import { loadConfig, type Config } from '../../config.js';
import { createRuntime, type Runtime } from '../../runtime.js';
import { createFakeClock } from '../../testing/fake-clock.js';
import { gruPackageFixture } from '../models/gru-package.fixture.js';
import { createModelStore } from '../models/model.store.js';
import { createChangeWatch, type WatchSource } from './change-watch.js';

const T0 = Date.UTC(2026, 3, 1, 9);
const GRU = gruPackageFixture(5);
const GRU_V2 = gruPackageFixture(9);

let cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  vi.useRealTimers();
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

function tempConfig(): Config {
  const dir = mkdtempSync(path.join(tmpdir(), 'vigil-watch-'));
  cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
  return loadConfig({ DATA_DIR: dir, SNAPSHOT_INTERVAL_MS: '0' });
}

interface Line {
  readonly msg: string;
  readonly source?: string;
  readonly activated?: readonly string[];
  readonly writes?: number;
}

function capture() {
  const lines: Line[] = [];
  const logger = pino({ level: 'info' }, { write: (s: string) => lines.push(JSON.parse(s) as Line) });
  return { logger, lines };
}

async function start(config: Config, opts: { watchIntervalMs?: number; logger?: Line[] } = {}) {
  const { logger, lines } = capture();
  const rt = await createRuntime({
    config,
    clock: createFakeClock(T0 + 86_400_000),
    logger,
    ...(opts.watchIntervalMs === undefined ? {} : { watchIntervalMs: opts.watchIntervalMs }),
  });
  cleanups.push(() => rt.close());
  return { rt, lines };
}

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

let n = 0;
/** The models in the live decision of a new event. */
async function liveModels(rt: Runtime, appId: string): Promise<Decision['models']> {
  const i = n++;
  const [r] = await rt.ingest.submitMany(appId, [
    { id: `probe-${i}`, type: 'payment', user: `u${i % 5}`, amount: 10 + i, at: T0 + i * 1000 },
  ]);
  if (r === undefined || !('ok' in r) || !r.ok) throw new Error(`event refused: ${JSON.stringify(r)}`);
  return (JSON.parse(r.json) as Decision).models;
}

const cliIo = (config: Config) => {
  const out: string[] = [];
  return {
    out,
    io: {
      out: (t: string) => out.push(t),
      err: (t: string) => out.push(t),
      env: { DATA_DIR: config.dataDir },
    },
  };
};

describe('a running server picks up changes made by other processes', () => {
  it('vigil models deploy / rollback / shadow apply to the live decisions within the poll interval', async () => {
    const config = tempConfig();
    const { rt, lines } = await start(config, { watchIntervalMs: 100 });
    const appId = (await rt.apps.create('shop', 'test')).app.id;
    const v1 = await storeGru(rt, appId, GRU);
    const v2 = await storeGru(rt, appId, GRU_V2);
    expect(await liveModels(rt, appId)).toEqual([]);
    const { io } = cliIo(config);
    const until = async (version: string | undefined, live = true): Promise<number> => {
      const t0 = Date.now();
      await vi.waitFor(
        async () => {
          const models = await liveModels(rt, appId);
          if (version === undefined) expect(models).toEqual([]);
          else expect(models).toMatchObject([{ model: 'seq', version, live }]);
        },
        { timeout: 3000, interval: 20 },
      );
      return Date.now() - t0;
    };

    expect(await runModelsCommand(['deploy', v1, '--app', appId], io)).toBe(0);
    const deployMs = await until('1');
    expect(await runModelsCommand(['deploy', v2, '--app', appId], io)).toBe(0);
    await until('2');
    expect(await runModelsCommand(['rollback', 'seq', '--app', appId], io)).toBe(0);
    const rollbackMs = await until('1');
    expect(await runModelsCommand(['shadow', v2, '--app', appId], io)).toBe(0);
    await vi.waitFor(
      async () => {
        const models = await liveModels(rt, appId);
        expect(models.map((m) => `${m.version}:${m.live}`).sort()).toEqual(['1:true', '2:false']);
      },
      { timeout: 3000, interval: 20 },
    );
    // a poll every 100 ms: each change shows within a few polls, not at the next start
    expect(Math.max(deployMs, rollbackMs)).toBeLessThan(1500);
    const reloads = lines.filter((l) => l.msg === 'stored state changed by another process; reloaded');
    expect(reloads.map((l) => l.source)).toEqual(['models', 'models', 'models', 'models']);
    expect(reloads[0]!.activated).toEqual([`${appId}/${v1}:deployed`]);

    // close stops the timer: no check runs on the closed database afterwards
    await rt.close();
    const logged = lines.length;
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(lines.slice(logged)).toEqual([]);
  });

  it('two servers on one database: each applies the other one’s models, configurations and lists at the next check, and its own at once', async () => {
    const config = tempConfig();
    const { rt: a } = await start(config);
    const { rt: b, lines } = await start(config);
    const appId = (await a.apps.create('shop', 'test')).app.id;
    const v1 = await storeGru(a, appId, GRU);

    // models (the HTTP API's path on A)
    await a.models.deploy(appId, v1);
    expect(await a.watch.check()).toEqual([]);
    expect(await liveModels(b, appId)).toEqual([]);
    expect(await b.watch.check()).toEqual(['models']);
    expect(await liveModels(b, appId)).toMatchObject([{ model: 'seq', version: '1', live: true }]);
    expect(await b.watch.check()).toEqual([]);

    // configurations
    await a.configs.put(appId, { access: { full: 75 } }, 'test');
    expect(await a.watch.check()).toEqual([]);
    expect(b.configs.current(appId).version).toBe(0);
    expect(await b.watch.check()).toEqual(['configs']);
    expect(b.configs.current(appId).version).toBe(1);
    expect(b.engine.forApp(appId).config.access.full).toBe(75);
    // the new engine kept the app's model
    expect(await liveModels(b, appId)).toMatchObject([{ model: 'seq', version: '1' }]);
    // a stored version that no longer validates is reported once, not reloaded at every check
    await a.db.kysely
      .insertInto('configs')
      .values({
        app_id: appId,
        version: 2,
        body: '{"levels":{"bands":{"LOW":"x"}}}',
        created_at: 1,
        created_by: 'x',
      })
      .execute();
    expect(await b.watch.check()).toEqual(['configs']);
    expect(lines.filter((l) => l.msg === 'stored configurations that no longer validate')).toHaveLength(1);
    expect(await b.watch.check()).toEqual([]);
    expect(b.configs.current(appId).version).toBe(1);
    expect(await a.watch.check()).toEqual(['configs']); // written behind A's back too

    // lists
    const ip = '203.0.113.7';
    await a.lists.add(appId, 'ip', [{ value: ip, verdict: 'block', label: 'fraud' }], 'test');
    expect(await a.watch.check()).toEqual([]);
    expect(b.lists.lookup(appId, 'ip', ip)).toBeUndefined();
    expect(await b.watch.check()).toEqual(['lists']);
    expect(b.lists.lookup(appId, 'ip', ip)).toMatchObject({ verdict: 'block' });
    // own write and another's between two checks: the count tells them apart
    await b.lists.add(appId, 'ip', [{ value: '198.51.100.9', verdict: 'block' }], 'test');
    await a.lists.remove(appId, 'ip', ip, 'test');
    expect(b.lists.lookup(appId, 'ip', ip)).toBeDefined();
    expect(await b.watch.check()).toEqual(['lists']);
    expect(b.lists.lookup(appId, 'ip', ip)).toBeUndefined();
    expect(b.lists.lookup(appId, 'ip', '198.51.100.9')).toBeDefined();
    expect(await a.watch.check()).toEqual(['lists']);
    expect(a.lists.lookup(appId, 'ip', '198.51.100.9')).toBeDefined();
    expect(await a.watch.check()).toEqual([]);
    expect(await b.watch.check()).toEqual([]);
    // a write with nothing stored logs no row and counts for nothing
    const none = await b.lists.add(appId, 'ip', [{ value: 'not an ip' }], 'test');
    expect(none.loaded).toBe(0);
    expect(await b.watch.check()).toEqual([]);
    const reloads = lines.filter((l) => l.msg === 'stored state changed by another process; reloaded');
    expect(reloads.find((l) => l.source === 'lists')?.writes).toBe(1);
  });

  it('vigil lists import (and --replace) on a running server: the entries apply at the next check', async () => {
    const config = tempConfig();
    const { rt } = await start(config);
    const file = path.join(config.dataDir, 'tor.txt');
    writeFileSync(file, '# exits\n192.0.2.1\n192.0.2.2\n');
    const { io, out } = cliIo(config);
    expect(await listsCommand(['import', 'ip', file, '--label', 'tor', '--verdict', 'block'], io)).toBe(0);
    expect(rt.lists.lookup('*', 'ip', '192.0.2.2')).toBeUndefined();
    expect(await rt.watch.check()).toEqual(['lists']);
    expect(rt.lists.lookup('some-app', 'ip', '192.0.2.2')).toMatchObject({ verdict: 'block', label: 'tor' });
    writeFileSync(file, '192.0.2.1\n');
    expect(
      await listsCommand(['import', 'ip', file, '--label', 'tor', '--verdict', 'block', '--replace'], io),
    ).toBe(0);
    expect(await rt.watch.check()).toEqual(['lists']);
    expect(rt.lists.lookup('some-app', 'ip', '192.0.2.2')).toBeUndefined();
    expect(rt.lists.lookup('some-app', 'ip', '192.0.2.1')).toBeDefined();
    expect(out.join('')).toContain('imported 2 ip entries');
  });

  it('a database error is logged and retried at the next check, never thrown; close stops the timer', async () => {
    const config = tempConfig();
    const { rt, lines } = await start(config, { watchIntervalMs: 100 });
    // the database goes away under the running watch
    await rt.ingest.close();
    await rt.db.close();
    await vi.waitFor(
      () => {
        const failed = lines.filter(
          (l) => l.msg === 'checking for changes by other processes failed; retrying',
        );
        expect(new Set(failed.map((l) => l.source))).toEqual(new Set(['models', 'configs', 'lists']));
      },
      { timeout: 3000, interval: 20 },
    );
    expect(await rt.watch.check()).toEqual([]);
  });
});

describe('createChangeWatch', () => {
  it('checks on its timer until stopped, one check at a time, and goes on after a failing source', async () => {
    vi.useFakeTimers();
    const calls: string[] = [];
    let fail = true;
    const flaky: WatchSource = {
      name: 'flaky',
      sync: async () => {
        calls.push('flaky');
        if (fail) {
          fail = false;
          throw new Error('connection lost');
        }
        return { changed: 1 };
      },
    };
    const steady: WatchSource = {
      name: 'steady',
      sync: async () => {
        calls.push('steady');
        return undefined;
      },
    };
    const { logger, lines } = capture();
    const watch = createChangeWatch({ sources: [flaky, steady], logger });
    watch.start(1000);
    watch.start(1000); // once
    await vi.advanceTimersByTimeAsync(999);
    expect(calls).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(calls).toEqual(['flaky', 'steady']);
    expect(lines.map((l) => `${l.msg}:${l.source}`)).toEqual([
      'checking for changes by other processes failed; retrying:flaky',
    ]);
    await vi.advanceTimersByTimeAsync(1000);
    expect(calls).toHaveLength(4);
    expect(lines[1]).toMatchObject({
      msg: 'stored state changed by another process; reloaded',
      source: 'flaky',
    });
    await watch.stop();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(calls).toHaveLength(4);
  });
});
