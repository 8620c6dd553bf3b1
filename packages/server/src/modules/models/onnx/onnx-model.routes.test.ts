import {
  compileLiveFeatures,
  compilePlan,
  createMemoryFeatureStore,
  createTable,
  type Cell,
  type Decision,
  type VigilEvent,
} from '@vigil/engine';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isDomainError } from '../../../errors.js';
import { createTestServer, type TestServer } from '../../../testing/test-server.js';
import { createModelHooks } from '../model-hooks.js';
import { createModelService } from '../model.service.js';
import { createModelStore } from '../model.store.js';
import { fraudCsv } from '../fraud-csv.fixture.js';
import { classifierOnnx, logisticOnnx } from './logistic-onnx.fixture.js';
import { loadOnnxPackageScorer } from './onnx-model.js';
import { createOnnxPackage } from './onnx-package.js';
import { skipOnnx } from './onnx-runtime.fixture.js';

interface ModelBody {
  id: string;
  name: string;
  version: number;
  kind: string;
  status: string;
  loadError?: string;
  params: { sha256: string; columns: string[] };
}

const COLS = ['amount', 'user_count_1d', 'attrs.score'] as const;
const V1 = { w: [0.002, 0.3, 1.5], b: -3 } as const;
const V2 = { w: [-0.001, 0.1, 0.5], b: 0.5 } as const;
const missingRuntime = {
  importer: () => Promise.reject(new Error("Cannot find package 'onnxruntime-node'")),
};

let s: TestServer;
beforeAll(async () => {
  s = await createTestServer();
});
afterAll(async () => {
  await s.close();
});

function importOnnx(key: string, bytes: Uint8Array, query: string, type = 'application/octet-stream') {
  return s.app.inject({
    method: 'POST',
    url: `/v1/models/import?${query}`,
    headers: { authorization: `Bearer ${key}`, 'content-type': type },
    payload: Buffer.from(bytes),
  });
}

/** One user's events: amounts, and a score attribute on some. */
function sequence(user: string, at: number): Omit<VigilEvent, 'app'>[] {
  const amounts = [20, 900, 45.5, 2500, 310, 12];
  return amounts.map((amount, i) => ({
    id: `${user}-${i}`,
    type: 'payment',
    user,
    amount,
    at: at + i * 60_000,
    ...(i % 3 === 2 ? {} : { attrs: { score: i * 0.75 } }),
  }));
}

async function post(key: string, events: readonly Omit<VigilEvent, 'app'>[]): Promise<Decision[]> {
  const out: Decision[] = [];
  for (const e of events) {
    const res = await s.call('POST', '/v1/events', { key, body: e });
    expect(res.statusCode, res.body).toBe(200);
    out.push(res.json<Decision>());
  }
  return out;
}

/** The model's columns for the events, computed as live scoring computes them (one user's state). */
function liveTable(events: readonly Omit<VigilEvent, 'app'>[]) {
  const set = compileLiveFeatures([...COLS]);
  const plan = compilePlan(set.specs);
  const fs = createMemoryFeatureStore();
  const cols: Cell[][] = COLS.map(() => []);
  const record: Record<string, Cell> = {};
  for (const e of events) {
    const ev: VigilEvent = { ...e, app: 'x' };
    set.fill(ev, fs.evaluate(plan, ev), record);
    COLS.forEach((c, i) => cols[i]!.push(record[c] ?? null));
  }
  return createTable([...COLS], cols);
}

describe.skipIf(skipOnnx)('ONNX models in the registry, live (onnxruntime-node)', () => {
  it('import, shadow, deploy, re-deploy and roll back: decision.models equals the batch scorer on the same features', async () => {
    const shop = await s.createApp();
    const t0 = s.clock.now() - 3_600_000;
    const res = await importOnnx(
      shop.apiKey,
      classifierOnnx([...V1.w], V1.b),
      `name=fraud-onnx&columns=${COLS.join(',')}&baseline=0,0,0&missing=0&file=lr.onnx`,
    );
    expect(res.statusCode, res.body).toBe(201);
    const v1 = res.json<ModelBody>();
    expect(v1).toMatchObject({ name: 'fraud-onnx', version: 1, kind: 'onnx', status: 'trained' });
    expect(v1).not.toHaveProperty('package');
    expect(v1.params).toMatchObject({
      columns: [...COLS],
      file: 'lr.onnx',
      output: { name: 'probabilities' },
    });
    expect(v1.params.sha256).toMatch(/^[0-9a-f]{64}$/);

    const before = await post(shop.apiKey, sequence('pre', t0));
    expect(before.every((d) => d.models.length === 0)).toBe(true);

    // batch scores of the same features, through the public asynchronous API
    const text = await s.rt.models.packageOf(shop.id, v1.id);
    const batch = async (pkgText: string, events: readonly Omit<VigilEvent, 'app'>[]) => {
      const { scorer, release } = await loadOnnxPackageScorer(pkgText, { id: 'x', version: '1' });
      try {
        return await scorer.scoreTable(liveTable(events));
      } finally {
        await release();
      }
    };

    // shadow: scored and reported with live=false, decisions unchanged
    const sh = await s.call('POST', `/v1/models/${v1.id}/shadow`, { key: shop.apiKey });
    expect(sh.json()).toMatchObject({ status: 'shadow' });
    expect(sh.json()).not.toHaveProperty('package');
    const shEvents = sequence('sh', t0);
    const shadowed = await post(shop.apiKey, shEvents);
    const shScores = await batch(text, shEvents);
    shadowed.forEach((d, i) => {
      expect(d.models).toHaveLength(1);
      expect(d.models[0]).toMatchObject({ model: 'fraud-onnx', version: '1', live: false });
      expect(Math.abs(d.models[0]!.score - shScores[i]!)).toBeLessThan(1e-6);
      expect(d.outcome).toBe(before[i]!.outcome);
      expect(d.risk).toBeCloseTo(before[i]!.risk, 9);
    });
    // the scores vary with the stateful feature (user_count_1d) and the attribute
    expect(new Set(shadowed.map((d) => d.models[0]!.score.toFixed(4))).size).toBe(shEvents.length);

    // deploy: live, counted, contributions by occlusion against the baseline
    const dep = await s.call('POST', '/v1/models/deploy', { key: shop.apiKey, body: { model_id: v1.id } });
    expect(dep.json()).toMatchObject({ status: 'deployed' });
    const liveEvents = sequence('live', t0);
    const live = await post(shop.apiKey, liveEvents);
    const liveScores = await batch(text, liveEvents);
    live.forEach((d, i) => {
      expect(d.models[0]).toMatchObject({ model: 'fraud-onnx', version: '1', live: true });
      expect(Math.abs(d.models[0]!.score - liveScores[i]!)).toBeLessThan(1e-6);
      expect(d.models[0]!.contributions.length).toBeGreaterThan(0);
      expect(COLS).toContain(d.models[0]!.contributions[0]!.feature);
    });
    const top = live.reduce((a, d, i) => (d.models[0]!.score > live[a]!.models[0]!.score ? i : a), 0);
    expect(live[top]!.models[0]!.score).toBeGreaterThan(0.9);
    expect(live[top]!.risk).toBeGreaterThan(before[top]!.risk);

    // v2 (other weights, no baseline) replaces v1; rollback brings v1 back
    const v2 = (
      await importOnnx(
        shop.apiKey,
        classifierOnnx([...V2.w], V2.b),
        `name=fraud-onnx&columns=${COLS.join(',')}&missing=-1`,
      )
    ).json<ModelBody>();
    expect(v2.version).toBe(2);
    expect((await s.call('POST', `/v1/models/${v2.id}/deploy`, { key: shop.apiKey })).statusCode).toBe(200);
    const v2Events = sequence('v2', t0);
    const v2Scores = await batch(await s.rt.models.packageOf(shop.id, v2.id), v2Events);
    (await post(shop.apiKey, v2Events)).forEach((d, i) => {
      expect(d.models).toEqual([
        { model: 'fraud-onnx', version: '2', live: true, score: d.models[0]!.score, contributions: [] },
      ]);
      expect(Math.abs(d.models[0]!.score - v2Scores[i]!)).toBeLessThan(1e-6);
    });
    const rb = await s.call('POST', '/v1/models/rollback', {
      key: shop.apiKey,
      body: { name: 'fraud-onnx' },
    });
    expect(rb.json()).toMatchObject({ id: v1.id, status: 'deployed' });
    const rbEvents = sequence('rb', t0);
    const rbScores = await batch(text, rbEvents);
    (await post(shop.apiKey, rbEvents)).forEach((d, i) => {
      expect(d.models[0]).toMatchObject({ version: '1', live: true });
      expect(Math.abs(d.models[0]!.score - rbScores[i]!)).toBeLessThan(1e-6);
    });

    // performance: live scores counted, no drift reference; no held-out report
    const perf = (await s.call('GET', `/v1/models/${v1.id}/performance`, { key: shop.apiKey })).json<{
      live: { count: number };
      drift: unknown;
    }>();
    expect(perf.live.count).toBeGreaterThanOrEqual(12);
    expect(perf.drift).toBeNull();
    const rep = await s.call('GET', `/v1/models/${v1.id}/report`, { key: shop.apiKey });
    expect(rep.statusCode).toBe(404);
    expect(rep.json<{ message: string }>().message).toMatch(
      /imported ONNX model and keeps no held-out scores/,
    );

    // a backtest replays the app's events with the onnx model on both sides
    const bt = await s.call('POST', '/v1/backtests', {
      key: shop.apiKey,
      body: {
        // the candidate runs the live onnx model in shadow mode: its outcomes move where it counted
        config: { models: { modes: { 'fraud-onnx': 'shadow' } } },
        from: new Date(t0 - 60_000).toISOString(),
        to: new Date(t0 + 3_600_000).toISOString(),
      },
    });
    expect(bt.statusCode, bt.body).toBe(202);
    let job: {
      status: string;
      result?: { events: { compared: number; changed: number } };
    } = {
      status: 'running',
    };
    for (let i = 0; i < 300 && job.status !== 'done' && job.status !== 'failed'; i++) {
      await new Promise((r) => setTimeout(r, 10));
      job = (
        await s.call('GET', `/v1/backtests/${bt.json<{ id: string }>().id}`, { key: shop.apiKey })
      ).json();
    }
    expect(job.status, JSON.stringify(job)).toBe('done');
    // five sequences of six events were posted to this app (pre, shadow, live, v2, rollback)
    expect(job.result?.events.compared).toBe(5 * 6);
    expect(job.result?.events.changed).toBeGreaterThan(0);

    // backtests share the stateless onnx hook; another app sees nothing
    const hooks = createModelHooks(createModelStore(s.rt.db));
    expect((await hooks.reload()).failures.filter((f) => f.appId === shop.id)).toEqual([]);
    expect(hooks.forReplay(shop.id)[0]).toBe(hooks.forApp(shop.id)[0]);
    expect(hooks.forApp(shop.id)[0]).toMatchObject({ id: 'fraud-onnx', version: '1', live: true });
    const other = await s.createApp();
    expect((await post(other.apiKey, sequence('o', t0))).every((d) => d.models.length === 0)).toBe(true);
  });

  it('refuses every bad import with a 4xx naming the problem', async () => {
    const a = await s.createApp();
    const clf = classifierOnnx([...V1.w], V1.b);
    const cols = `columns=${COLS.join(',')}`;
    const cases: [Uint8Array, string, number, RegExp, string?][] = [
      [clf, 'columns=amount,V7,attrs.x', 400, /V7 cannot be computed from live events/, '/columns'],
      [clf, 'columns=amount,hour', 400, /takes 3 features per row .* but 2 columns were given/, '/columns'],
      [clf, 'columns=amount,country,hour', 400, /country hold text/, '/columns'],
      [classifierOnnx([...V1.w], V1.b, { input: 'int64' }), cols, 400, /is of type int64/, '/onnx'],
      [classifierOnnx([...V1.w], V1.b, { secondInput: true }), cols, 400, /has 2 inputs/, '/onnx'],
      [
        classifierOnnx([...V1.w], V1.b, { zipmap: true }),
        cols,
        400,
        /sequence of maps .*'zipmap': False/,
        '/output',
      ],
      [clf, `${cols}&output=label`, 400, /'label' is int64, not a float score/, '/output'],
      [clf, `${cols}&class_index=5`, 400, /class_index 5 is outside/, '/class_index'],
      [clf, `${cols}&baseline=0,x,0`, 400, /baseline holds 'x', not a number/, '/baseline'],
      [clf, `${cols}&transform=softmax`, 400, /invalid query/, '/transform'],
      [clf, 'name=x', 400, /invalid query/, '/'],
      [clf, `${cols}&name=bad name!`, 400, /name must be/],
      [clf.subarray(0, 40), cols, 400, /^invalid ONNX model: /, '/onnx'],
      [new Uint8Array(0), cols, 400, /the file is empty/, '/onnx'],
    ];
    for (const [bytes, q, status, message, path] of cases) {
      const res = await importOnnx(a.apiKey, bytes, q);
      expect(res.statusCode, `${q}: ${res.body}`).toBe(status);
      const body = res.json<{ message: string; details: { path: string }[] }>();
      expect(body.message).toMatch(message);
      if (path !== undefined) expect(body.details[0]?.path).toBe(path);
    }
    const csv = await importOnnx(a.apiKey, clf, cols, 'text/csv');
    expect(csv.statusCode).toBe(415);
    const viewer = (await s.rt.keys.create({ role: 'viewer', name: 'onnx viewer' }, 'test')).key;
    expect((await importOnnx(viewer, clf, `${cols}&app=${a.id}`)).statusCode).toBe(403);
    expect((await s.call('GET', '/v1/models', { key: a.apiKey })).json<{ items: unknown[] }>().items).toEqual(
      [],
    );
  });

  it('a tampered stored package is refused at deploy and never loaded', async () => {
    const a = await s.createApp();
    const m = (
      await importOnnx(a.apiKey, classifierOnnx([...V1.w], V1.b), `name=t&columns=${COLS.join(',')}`)
    ).json<ModelBody>();
    const store = createModelStore(s.rt.db);
    const obj = JSON.parse((await store.get(a.id, m.id))!.package!) as { onnx: string };
    obj.onnx = Buffer.from(logisticOnnx([...V1.w], V1.b)).toString('base64');
    await s.rt.db.kysely
      .withTables<{ models: { package: string } }>()
      .updateTable('models')
      .set({ package: JSON.stringify(obj) })
      .where('id', '=', m.id)
      .execute();
    const dep = await s.call('POST', `/v1/models/${m.id}/deploy`, { key: a.apiKey });
    expect(dep.statusCode).toBe(400);
    expect(dep.json<{ message: string }>().message).toMatch(
      /cannot be deployed: corrupt model package: the ONNX bytes do not match their sha256/,
    );
    await s.rt.db.kysely.updateTable('models').set({ status: 'deployed' }).where('id', '=', m.id).execute();
    const hooks = createModelHooks(store);
    const r = await hooks.reload();
    expect(r.failures.find((f) => f.id === m.id)?.error).toMatch(/corrupt model package/);
    expect(hooks.forApp(a.id)).toEqual([]);
  });
});

describe('ONNX models without onnxruntime-node', () => {
  it('import and deploy fail with a 400 naming the install command; every other kind still loads', async () => {
    const a = await s.createApp();
    const models = createModelService({ db: s.rt.db, clock: s.clock, onnx: missingRuntime });
    const err = await models
      .importOnnx(a.id, classifierOnnx([...V1.w], V1.b), { name: 'm', columns: [...COLS], createdBy: 'test' })
      .catch((e: unknown) => e);
    expect(isDomainError(err, 'bad_request')).toBe(true);
    expect(String((err as Error).message)).toMatch(
      /ONNX models need the optional onnxruntime-node package: ONNXRUNTIME_NODE_INSTALL=skip npm install --no-save onnxruntime-node@1\.30\.0/,
    );
    // an onnx version stored by a server that had the runtime
    const store = createModelStore(s.rt.db);
    const pkg = createOnnxPackage(classifierOnnx([...V1.w], V1.b), {
      features: [...COLS],
      input: { name: 'input', type: 'float32', batch: null },
      output: { name: 'probabilities', width: 2, index: 1, transform: 'none' },
      missing: null,
      baseline: null,
      training: { source: 'import', file: null, bytes: 0 },
    });
    const rec = await store.insert({
      appId: a.id,
      name: 'm',
      kind: 'onnx',
      params: '{}',
      metrics: 'null',
      package: JSON.stringify(pkg),
      now: s.clock.now(),
    });
    await expect(models.deploy(a.id, rec.id)).rejects.toThrow(
      /cannot be deployed: ONNX models need the optional onnxruntime-node package: ONNXRUNTIME_NODE_INSTALL=skip/,
    );
    // a gbdt version beside it still trains, deploys and loads
    const trained = await models.trainFromFile(a.id, 'csv', Buffer.from(fraudCsv(300)), {
      name: 'g',
      kind: 'gbdt',
      label: 'is_fraud',
      createdBy: 'test',
    });
    const g = 'model' in trained ? trained.model : undefined;
    await models.deploy(a.id, g!.id);
    await s.rt.db.kysely.updateTable('models').set({ status: 'shadow' }).where('id', '=', rec.id).execute();
    const hooks = createModelHooks(store, { onnx: missingRuntime });
    const r = await hooks.reload();
    expect(r.failures.find((f) => f.id === rec.id)?.error).toMatch(/onnxruntime-node@1\.30\.0/);
    expect(hooks.forApp(a.id).map((h) => h.id)).toEqual(['g']);
  });
});
