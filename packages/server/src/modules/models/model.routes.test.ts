import type { Decision } from '@vigil/engine';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestServer, type TestServer } from '../../testing/test-server.js';
import { createModelHooks } from './model-hooks.js';
import { createModelStore } from './model.store.js';
import { fraudCsv } from './fraud-csv.fixture.js';

interface ModelBody {
  id: string;
  name: string;
  version: number;
  status: string;
  metrics: { rocAuc: number };
}

let s: TestServer;
beforeAll(async () => {
  s = await createTestServer();
});
afterAll(async () => {
  await s.close();
});

async function upload(key: string, body: string, query: string) {
  return s.app.inject({
    method: 'POST',
    url: `/v1/models?${query}`,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'text/csv' },
    payload: body,
  });
}

/** Seven quick €900 payments by one user: the model's fraud pattern. */
async function burst(key: string, user: string, from: number): Promise<Decision> {
  let d: Decision | undefined;
  for (let i = 0; i < 7; i++) {
    const res = await s.call('POST', '/v1/events', {
      key,
      body: { id: `${user}-${from + i}`, type: 'payment', user, amount: 900 },
    });
    expect(res.statusCode).toBe(200);
    d = res.json<Decision>();
  }
  return d!;
}

describe('model registry API', () => {
  it('trains from an upload, deploys, and the model scores live events; shadow does not change outcomes; rollback', async () => {
    const shop = await s.createApp();
    const res = await upload(shop.apiKey, fraudCsv(800), 'model=gbdt&label=is_fraud&name=fraud');
    expect(res.statusCode).toBe(201);
    const v1 = res.json<ModelBody>();
    expect(v1).toMatchObject({ name: 'fraud', version: 1, status: 'trained', kind: 'gbdt' });
    expect(v1.metrics.rocAuc).toBeGreaterThan(0.95);

    const before = await burst(shop.apiKey, 'pre', 0);
    expect(before.models).toEqual([]);

    // shadow: scored and reported, outcome unchanged
    const sh = await s.call('POST', `/v1/models/${v1.id}/shadow`, { key: shop.apiKey });
    expect(sh.json()).toMatchObject({ status: 'shadow' });
    const shadowed = await burst(shop.apiKey, 'sh', 0);
    expect(shadowed.models[0]).toMatchObject({ model: 'fraud', version: '1', live: false });
    expect(shadowed.models[0]!.score).toBeGreaterThan(0.8);
    expect(shadowed.outcome).toBe(before.outcome);
    expect(shadowed.risk).toBeCloseTo(before.risk, 9);

    // deploy: live, changes the risk without a restart
    const dep = await s.call('POST', `/v1/models/${v1.id}/deploy`, { key: shop.apiKey });
    expect(dep.json()).toMatchObject({ status: 'deployed' });
    const live = await burst(shop.apiKey, 'live', 0);
    expect(live.models[0]).toMatchObject({ model: 'fraud', version: '1', live: true });
    expect(live.risk).toBeGreaterThan(0.8);
    expect(live.risk).toBeGreaterThan(before.risk);
    expect(live.models[0]!.contributions.length).toBeGreaterThan(0);

    // v2 via the ML spec's shape; v1 retired; rollback brings v1 back
    const v2 = (
      await upload(shop.apiKey, fraudCsv(400, 99), 'model=rf&label=is_fraud&name=fraud')
    ).json<ModelBody>();
    expect(v2.version).toBe(2);
    const d2 = await s.call('POST', '/v1/models/deploy', { key: shop.apiKey, body: { model_id: v2.id } });
    expect(d2.statusCode).toBe(200);
    const list = (await s.call('GET', '/v1/models', { key: shop.apiKey })).json<{ items: ModelBody[] }>()
      .items;
    expect(list.map((m) => [m.version, m.status])).toEqual([
      [2, 'deployed'],
      [1, 'retired'],
    ]);
    expect((await burst(shop.apiKey, 'v2', 0)).models[0]).toMatchObject({ version: '2', live: true });
    const rb = await s.call('POST', '/v1/models/rollback', { key: shop.apiKey, body: { name: 'fraud' } });
    expect(rb.json()).toMatchObject({ id: v1.id, status: 'deployed' });
    expect((await burst(shop.apiKey, 'rb', 0)).models[0]).toMatchObject({ version: '1', live: true });
    const again = (await s.call('GET', `/v1/models/${v2.id}`, { key: shop.apiKey })).json<ModelBody>();
    expect(again.status).toBe('retired');

    // performance: stored metrics, live distribution, PSI
    const perf = await s.call('GET', `/v1/models/${v1.id}/performance`, { key: shop.apiKey });
    const p = perf.json<{
      live: { count: number };
      drift: { psi: number } | null;
      metrics: { rocAuc: number };
    }>();
    expect(p.metrics.rocAuc).toBeGreaterThan(0.95);
    expect(p.live.count).toBeGreaterThanOrEqual(14);
    expect(p.drift?.psi).toBeGreaterThan(0);

    // a second app is not affected
    const other = await s.createApp();
    expect((await burst(other.apiKey, 'o', 0)).models).toEqual([]);
  });

  it('rejects every bad input with a 400 naming the problem', async () => {
    const a = await s.createApp();
    const cases: [string, string, RegExp][] = [
      ['amount,is_fraud\n1,0\n2,1\n', 'model=gbdt&label=nope', /label column "nope" is not in the data/],
      ['amount,is_fraud\n1,0\n2,0\n3,0\n', 'model=gbdt&label=is_fraud', /class/i],
      ['amount,empty,is_fraud\n1,,0\n2,,1\n3,,0\n', 'model=gbdt&label=is_fraud', /empty|missing/i],
      [
        `amount,is_fraud\n${Array.from({ length: 20 }, (_, i) => `${i},${i % 2}`).join('\n')}\nabc,1\n`,
        'model=gbdt&label=is_fraud',
        /abc/,
      ],
      ['amount,is_fraud\n1,0\n', 'model=svm&label=is_fraud', /model must be one of/],
      ['amount,is_fraud\n1,0\n', 'model=gbdt', /supervised/],
      ['amount,is_fraud\n1,0\n', 'model=gru', /gru model is supervised/],
    ];
    for (const [body, q, msg] of cases) {
      const res = await upload(a.apiKey, body, q);
      expect(res.statusCode, `${q}: ${res.body}`).toBe(400);
      expect(res.json<{ message: string }>().message).toMatch(msg);
    }
    // a model on columns live events cannot provide is refused at deploy
    const csv = fraudCsv(200).replace('amount,user_count_1h', 'V1,V2');
    const m = (await upload(a.apiKey, csv, 'model=rf&label=is_fraud&name=offline')).json<ModelBody>();
    const dep = await s.call('POST', `/v1/models/${m.id}/deploy`, { key: a.apiKey });
    expect(dep.statusCode).toBe(400);
    expect(dep.json<{ message: string }>().message).toMatch(/V1, V2 cannot be computed from live events/);
    const rb = await s.call('POST', '/v1/models/rollback', { key: a.apiKey, body: { name: 'offline' } });
    expect(rb.statusCode).toBe(409);
  });

  it('file batches (POST /v1/batch) score with the deployed model too', async () => {
    const shop = await s.createApp();
    const m = (
      await upload(shop.apiKey, fraudCsv(800), 'model=gbdt&label=is_fraud&name=fraud')
    ).json<ModelBody>();
    const csv = [
      'id,type,at,user,amount',
      ...Array.from({ length: 7 }, (_, i) => `b${i},payment,2026-01-10T10:0${i}:00Z,burst,900`),
    ].join('\n');
    const risks = async (): Promise<number[]> => {
      const up = await s.app.inject({
        method: 'POST',
        url: '/v1/batch',
        headers: { authorization: `Bearer ${shop.apiKey}`, 'content-type': 'text/csv' },
        payload: csv,
      });
      expect(up.statusCode).toBe(202);
      const id = up.json<{ id: string }>().id;
      await s.rt.batches.idle();
      const res = await s.call('GET', `/v1/batch/${id}/result?format=json`, { key: shop.apiKey });
      return res.json<{ risk: number }[]>().map((r) => r.risk);
    };
    const before = await risks();
    await s.call('POST', `/v1/models/${m.id}/deploy`, { key: shop.apiKey });
    const after = await risks();
    expect(after).toHaveLength(7);
    expect(after[6]!).toBeGreaterThan(before[6]! + 0.05);
  });

  it('lets a viewer read models but not deploy, shadow or roll them back (403), and hides them from other apps', async () => {
    const a = await s.createApp();
    const other = await s.createApp();
    const m = (await upload(a.apiKey, fraudCsv(300), 'model=gbdt&label=is_fraud&name=v')).json<ModelBody>();
    const viewer = (await s.rt.keys.create({ role: 'viewer', name: 'models viewer' }, 'test')).key;
    expect((await s.call('GET', `/v1/models/${m.id}?app=${a.id}`, { key: viewer })).statusCode).toBe(200);
    for (const action of ['deploy', 'shadow']) {
      const res = await s.call('POST', `/v1/models/${m.id}/${action}?app=${a.id}`, { key: viewer });
      expect(res.statusCode).toBe(403);
    }
    const rb = await s.call('POST', `/v1/models/rollback?app=${a.id}`, { key: viewer, body: { name: 'v' } });
    expect(rb.statusCode).toBe(403);
    expect((await s.call('GET', `/v1/models/${m.id}`, { key: a.apiKey })).json<ModelBody>().status).toBe(
      'trained',
    );
    expect([403, 404]).toContain(
      (await s.call('POST', `/v1/models/${m.id}/deploy`, { key: other.apiKey })).statusCode,
    );
  });

  it('a corrupted stored package is rejected at deploy and never loaded', async () => {
    const a = await s.createApp();
    const m = (await upload(a.apiKey, fraudCsv(300), 'model=gbdt&label=is_fraud&name=c')).json<ModelBody>();
    await s.rt.db.kysely.updateTable('models').set({ status: 'deployed' }).where('id', '=', m.id).execute();
    const store = createModelStore(s.rt.db);
    const pkg = (await store.get(a.id, m.id))!.package!;
    const obj = JSON.parse(pkg) as { model: { base: number } };
    obj.model.base += 1;
    const broken = JSON.stringify(obj);
    await s.rt.db.kysely
      .withTables<{ models: { package: string } }>()
      .updateTable('models')
      .set({ package: broken })
      .where('id', '=', m.id)
      .execute();
    const hooks = createModelHooks(store);
    const r = await hooks.reload();
    expect(r.failures.find((f) => f.id === m.id)?.error).toMatch(/corrupt model package: checksum mismatch/);
    expect(hooks.forApp(a.id)).toEqual([]);
    const dep = await s.call('POST', `/v1/models/${m.id}/deploy`, { key: a.apiKey });
    expect(dep.statusCode).toBe(400);
    expect(dep.json<{ message: string }>().message).toMatch(/corrupt model package/);
  });

  it('records labels and trains from the event log joined with them', async () => {
    const a = await s.createApp();
    for (let u = 0; u < 30; u++) {
      const bad = u % 5 === 0;
      for (let i = 0; i < (bad ? 6 : 2); i++) {
        const res = await s.call('POST', '/v1/events', {
          key: a.apiKey,
          body: { id: `u${u}-${i}`, type: 'payment', user: `u${u}`, amount: bad ? 900 + i : 20 + u },
        });
        expect(res.statusCode).toBe(200);
      }
      const l = await s.call('POST', '/v1/labels', {
        key: a.apiKey,
        body: bad ? { user: `u${u}`, label: 'chargeback' } : { event_id: `u${u}-0`, label: 'legit' },
      });
      expect(l.statusCode).toBe(201);
    }
    const missing = await s.call('POST', '/v1/labels', {
      key: a.apiKey,
      body: { event_id: 'nope', label: 'fraud' },
    });
    expect(missing.statusCode).toBe(404);
    const rows = await s.rt.db.kysely
      .selectFrom('labels' as never)
      .selectAll()
      .where('app_id' as never, '=', a.id as never)
      .execute();
    expect(rows.length).toBe(30);
    const res = await s.call('POST', '/v1/models', {
      key: a.apiKey,
      body: { data_source: 'events', label_source: 'labels', model: 'gbdt', name: 'events-gbdt' },
    });
    expect(res.statusCode, res.body).toBe(201);
    const m = res.json<{ params: { events: number }; metrics: unknown }>();
    expect(m.params.events).toBe(6 * 6 + 24 * 2);
  });
});
