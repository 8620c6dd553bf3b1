import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createPgTestDatabase,
  createSqliteTestDatabase,
  describeWithPostgres,
  type TestDatabase,
} from '../../storage/test-databases.js';
import { createFakeClock } from '../../testing/fake-clock.js';
import { createTestServer, type TestServer } from '../../testing/test-server.js';
import { createEventStore, eventKey } from '../events/event.store.js';
import { createModelService, DRIFT_MIN_SCORES, DRIFT_REFERENCE_SCORES } from './model.service.js';
import { createModelStore } from './model.store.js';
import { classifierOnnx } from './onnx/logistic-onnx.fixture.js';
import { createOnnxPackage } from './onnx/onnx-package.js';
import { skipOnnx } from './onnx/onnx-runtime.fixture.js';

const T0 = Date.UTC(2026, 4, 1);
const HOUR = 3_600_000;

/**
 * Without the ONNX runtime: an onnx version's live scores are whatever its stored decisions carry,
 * so the reference window, its storage and the checks after it run on real decisions rows.
 */
function contract(open: () => Promise<TestDatabase>): void {
  let t: TestDatabase;
  beforeEach(async () => {
    t = await open();
  });
  afterEach(async () => {
    await t.cleanup();
  });

  /** An imported onnx version (not loadable: its bytes are not a graph), made live in the registry. */
  async function onnxVersion(appId: string, status: 'deployed' | 'shadow') {
    await t.db.kysely.insertInto('apps').values({ id: appId, name: appId, created_at: 0 }).execute();
    const bytes = new Uint8Array([1, 2, 3]);
    const pkg = createOnnxPackage(bytes, {
      features: ['amount'],
      input: { name: 'x', type: 'float32', batch: null },
      output: { name: 'y', width: 1, index: 0, transform: 'none' },
      missing: null,
      baseline: null,
      training: { source: 'import', file: 'lr.onnx', bytes: bytes.length },
    });
    const store = createModelStore(t.db);
    const m = await store.insert({
      appId,
      name: 'lr',
      kind: 'onnx',
      params: '{}',
      metrics: 'null',
      package: JSON.stringify(pkg),
      now: T0,
    });
    await store.setStatus(m.id, status, T0);
    return m;
  }

  let n = 0;
  /** Logs events whose decisions carry `scores` for lr@1 (and another model's score), at `at`. */
  async function decided(appId: string, scores: readonly number[], at: number): Promise<void> {
    const events = createEventStore(t.db);
    const rows = scores.map(() => {
      const id = `e${n++}`;
      return { appId, id, type: 'payment', at, userId: 'u', receivedAt: at, payload: '{}' };
    });
    const seqs = await events.insertNew(rows);
    await events.insertDecisions(
      rows.map((r, i) => ({
        eventSeq: seqs.get(eventKey(appId, r.id))!,
        appId,
        eventId: r.id,
        userId: 'u',
        type: 'payment',
        at,
        risk: 0,
        score: 0,
        level: 'SAFE',
        outcome: 'allow',
        flag: 'GREEN',
        createdAt: at,
        payload: JSON.stringify({
          models: [
            { model: 'lr', version: '1', live: true, score: scores[i], contributions: [] },
            { model: 'other', version: '1', live: false, score: 0.99, contributions: [] },
          ],
        }),
        signals: [],
      })),
    );
  }

  const low = (k: number) => Array.from({ length: k }, (_, i) => 0.05 + (i % 10) * 0.02);
  const high = (k: number) => Array.from({ length: k }, (_, i) => 0.8 + (i % 10) * 0.02);

  it('takes the first N live scores after deployment as the reference, stores it, then checks later windows', async () => {
    const clock = createFakeClock(T0);
    const svc = createModelService({ db: t.db, clock, driftReferenceScores: 100 });
    await decided('pre', low(5), T0 - HOUR); // another app's decisions are not read
    const m = await onnxVersion('app1', 'deployed');
    await decided('app1', high(30), T0); // this version's first scores: the reference starts here
    clock.advance(HOUR);
    expect(await svc.checkDrift(HOUR)).toEqual([]); // 30 of 100: no reference yet
    expect((await createModelStore(t.db).driftReference(m.id))?.reference).toBeNull();

    await decided('app1', [...high(70), ...low(40)], clock.now());
    clock.advance(1000);
    // the reference is full (high scores); the 40 after it are too few to judge
    expect(await svc.checkDrift(HOUR)).toEqual([]);
    const stored = JSON.parse((await createModelStore(t.db).driftReference(m.id))!.reference!) as {
      scores: number[];
      untilSeq: number;
    };
    expect(stored.scores).toEqual([...high(30), ...high(70)]);

    await decided('app1', low(DRIFT_MIN_SCORES), clock.now());
    clock.advance(1000);
    // a fresh service (a restart, another server) reads the stored reference; only later scores count
    const again = createModelService({ db: t.db, clock, driftReferenceScores: 100 });
    const [r] = await again.checkDrift(HOUR);
    expect(r).toMatchObject({
      modelId: m.id,
      reference: 'live',
      liveCount: 40 + DRIFT_MIN_SCORES,
      alerted: true,
    });
    expect(r!.psi).toBeGreaterThan(0.25);
    const alert = await t.db.kysely
      .selectFrom('alerts')
      .select('payload')
      .where('app_id', '=', 'app1')
      .where('type', '=', 'model_drift')
      .executeTakeFirstOrThrow();
    expect(JSON.parse(alert.payload)).toMatchObject({ model: { id: m.id }, reference: 'live' });
    const perf = await again.performance('app1', m.id, T0);
    expect(perf.drift).toMatchObject({ reference: 'live' });
    expect(perf.drift!.psi).toBeCloseTo(r!.psi, 6);

    // scores like the reference's, in a later window: no drift
    clock.advance(2 * HOUR);
    await decided('app1', high(DRIFT_MIN_SCORES + 10), clock.now());
    clock.advance(1000);
    const [later] = await again.checkDrift(HOUR);
    expect(later).toMatchObject({ reference: 'live', liveCount: DRIFT_MIN_SCORES + 10, alerted: false });
    expect(later!.psi).toBeLessThan(0.1);
  });

  it('a shadow version gathers its reference too; the window size is checked', async () => {
    const clock = createFakeClock(T0);
    await onnxVersion('app2', 'shadow');
    await decided('app2', low(10), T0);
    await decided('app2', high(DRIFT_MIN_SCORES), T0 + 1000);
    clock.advance(2000);
    const [r] = await createModelService({ db: t.db, clock, driftReferenceScores: 10 }).checkDrift(HOUR);
    expect(r).toMatchObject({ reference: 'live', liveCount: DRIFT_MIN_SCORES, alerted: true });
    expect(DRIFT_REFERENCE_SCORES).toBe(1000);
    expect(() => createModelService({ db: t.db, clock, driftReferenceScores: 2 })).toThrow(/at least 10/);
  });
}

describe('live drift reference on SQLite', () => contract(createSqliteTestDatabase));
describeWithPostgres('live drift reference on PostgreSQL', () => contract(createPgTestDatabase));

describe.skipIf(skipOnnx)('live drift reference of an imported ONNX model', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await createTestServer();
  });
  afterAll(async () => {
    await s.close();
  });

  it('scores live through onnxruntime, forms its reference from the first scores and alerts on a shift', async () => {
    const a = await s.createApp();
    const up = await s.app.inject({
      method: 'POST',
      url: '/v1/models/import?name=lr&columns=amount',
      headers: { authorization: `Bearer ${a.apiKey}`, 'content-type': 'application/octet-stream' },
      payload: Buffer.from(classifierOnnx([0.004], -2)),
    });
    expect(up.statusCode, up.body).toBe(201);
    const id = up.json<{ id: string }>().id;
    expect((await s.call('POST', `/v1/models/${id}/deploy`, { key: a.apiKey })).statusCode).toBe(200);
    const models = createModelService({ db: s.rt.db, clock: s.clock, driftReferenceScores: 60 });
    const post = async (from: number, count: number, amount: (i: number) => number) => {
      for (let i = from; i < from + count; i++) {
        const res = await s.call('POST', '/v1/events', {
          key: a.apiKey,
          body: { id: `e${i}`, type: 'payment', user: `u${i % 7}`, amount: amount(i) },
        });
        expect(res.statusCode).toBe(200);
        s.clock.advance(1000);
      }
    };
    await post(0, 60, (i) => 10 + (i % 12) * 15); // small payments: scores near sigmoid(-2)
    expect((await models.checkDrift()).filter((r) => r.appId === a.id)).toEqual([]);
    await post(60, DRIFT_MIN_SCORES + 5, (i) => 1500 + (i % 9) * 100); // large ones: near 1
    const results = (await models.checkDrift()).filter((r) => r.appId === a.id);
    expect(results).toEqual([
      expect.objectContaining({
        modelId: id,
        reference: 'live',
        liveCount: DRIFT_MIN_SCORES + 5,
        alerted: true,
      }),
    ]);
    const perf = await s.call('GET', `/v1/models/${id}/performance`, { key: a.apiKey });
    expect(perf.json<{ drift: { reference: string; level: string } }>().drift).toMatchObject({
      reference: 'live',
    });
  });
});
