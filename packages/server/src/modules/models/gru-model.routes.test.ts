import type { Decision } from '@vigil/engine';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestServer, type TestServer } from '../../testing/test-server.js';
import { createModelHooks } from './model-hooks.js';
import { createModelStore } from './model.store.js';
import { simulatorCsv } from './sim-csv.fixture.js';

interface ModelBody {
  id: string;
  name: string;
  version: number;
  status: string;
  kind: string;
  metrics: { rocAuc: number; rows: number };
}

let s: TestServer;
let csv: string;
beforeAll(async () => {
  s = await createTestServer();
  csv = simulatorCsv(8000);
});
afterAll(async () => {
  await s.close();
});

async function upload(key: string, query: string, body = csv) {
  return s.app.inject({
    method: 'POST',
    url: `/v1/models?${query}`,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'text/csv' },
    payload: body,
  });
}

async function events(key: string, user: string, n: number): Promise<Decision[]> {
  const out: Decision[] = [];
  for (let i = 0; i < n; i++) {
    const res = await s.call('POST', '/v1/events', {
      key,
      body: { id: `${user}-${i}`, type: i === 0 ? 'login' : 'payment', user, amount: 40 + i },
    });
    expect(res.statusCode).toBe(200);
    out.push(res.json<Decision>());
  }
  return out;
}

describe('gru models through the registry', () => {
  it('trains from an upload, shadow leaves outcomes unchanged, deploy puts the score in decisions', async () => {
    const shop = await s.createApp();
    const res = await upload(shop.apiKey, 'model=gru&label=is_fraud&name=seq');
    expect(res.statusCode).toBe(201);
    const m = res.json<ModelBody>();
    expect(m).toMatchObject({ name: 'seq', version: 1, kind: 'gru', status: 'trained' });
    expect(m.metrics.rocAuc).toBeGreaterThan(0.7);

    const before = await events(shop.apiKey, 'pre', 3);
    expect(before[2]!.models).toEqual([]);

    expect((await s.call('POST', `/v1/models/${m.id}/shadow`, { key: shop.apiKey })).statusCode).toBe(200);
    const shadowed = await events(shop.apiKey, 'sh', 3);
    expect(shadowed[2]!.models[0]).toMatchObject({ model: 'seq', version: '1', live: false });
    expect(shadowed[2]!.models[0]!.score).toBeGreaterThan(0);
    expect(shadowed.map((d) => d.outcome)).toEqual(before.map((d) => d.outcome));
    expect(shadowed[2]!.risk).toBeCloseTo(before[2]!.risk, 9);

    expect((await s.call('POST', `/v1/models/${m.id}/deploy`, { key: shop.apiKey })).statusCode).toBe(200);
    const live = await events(shop.apiKey, 'live', 3);
    const score = live[2]!.models[0];
    expect(score).toMatchObject({ model: 'seq', version: '1', live: true });
    expect(Number.isFinite(score!.score)).toBe(true);
    // the user's state advanced: the same events by a new user score the same
    const twin = await events(shop.apiKey, 'twin', 3);
    expect(twin[2]!.models[0]!.score).toBeCloseTo(score!.score, 9);
    expect(twin[0]!.models[0]!.score).not.toBeCloseTo(twin[2]!.models[0]!.score, 6);

    // report of the stored held-out scores: own app 200 HTML, another app 404
    const rep = await s.call('GET', `/v1/models/${m.id}/report`, { key: shop.apiKey });
    expect(rep.statusCode).toBe(200);
    expect(rep.headers['content-type']).toMatch(/^text\/html/);
    expect(rep.body).toContain('<svg');
    expect(rep.body).toContain('seq v1');
    const other = await s.createApp();
    expect((await s.call('GET', `/v1/models/${m.id}/report`, { key: other.apiKey })).statusCode).toBe(404);
    // backtest replays get their own gru state
    const hooks = createModelHooks(createModelStore(s.rt.db));
    await hooks.reload();
    expect(hooks.forReplay(shop.id)[0]).not.toBe(hooks.forApp(shop.id)[0]);
  });

  it('needs a label and the event columns; a corrupt gru package is refused', async () => {
    const a = await s.createApp();
    const noLabel = await upload(a.apiKey, 'model=gru&name=x');
    expect(noLabel.statusCode).toBe(400);
    expect(noLabel.json<{ message: string }>().message).toMatch(/gru model is supervised/);
    const noCols = await upload(a.apiKey, 'model=gru&label=is_fraud', 'amount,is_fraud\n1,0\n2,1\n');
    expect(noCols.statusCode).toBe(400);
    expect(noCols.json<{ message: string }>().message).toMatch(/"user" is not in the data/);

    const m = (await upload(a.apiKey, 'model=gru&label=is_fraud&name=c')).json<ModelBody>();
    const store = createModelStore(s.rt.db);
    const obj = JSON.parse((await store.get(a.id, m.id))!.package!) as { model: { theta: string } };
    obj.model.theta = `${obj.model.theta.startsWith('A') ? 'B' : 'A'}${obj.model.theta.slice(1)}`;
    await s.rt.db.kysely
      .withTables<{ models: { package: string } }>()
      .updateTable('models')
      .set({ package: JSON.stringify(obj) })
      .where('id', '=', m.id)
      .execute();
    const dep = await s.call('POST', `/v1/models/${m.id}/deploy`, { key: a.apiKey });
    expect(dep.statusCode).toBe(400);
    expect(dep.json<{ message: string }>().message).toMatch(/corrupt model package: checksum mismatch/);
    await s.rt.db.kysely.updateTable('models').set({ status: 'deployed' }).where('id', '=', m.id).execute();
    const hooks = createModelHooks(store);
    const r = await hooks.reload();
    expect(r.failures.find((f) => f.id === m.id)?.error).toMatch(/corrupt model package/);
    expect(hooks.forApp(a.id)).toEqual([]);
  });
});
